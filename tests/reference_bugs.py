"""One-line bugs put into a copy of solution/, to prove the known-answer tests would catch them.

solution/ makes every expected output the grader uses, so a bug in it becomes every student's
expected answer and the grader's own tests (which compare against those outputs) cannot see it.
The known-answer tests (test_known_answers.py, test_cross_checks.py) are computed another way;
tests/test_known_answers_catch_bugs.py puts each bug below into a temporary copy of solution/,
imports the copy under another name, and requires every bug to fail at least one of them.

A bug is an edit of one expression inside one function, matched on the syntax tree: formatting,
comments and docstrings do not matter, and an edit that no longer matches exactly once (because
solution/'s code changed) raises instead of producing an unchanged "mutant".
"""

from __future__ import annotations

import ast
import importlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"


@dataclass(frozen=True)
class Bug:
    name: str
    module: str  # a file of solution/, without .py
    function: str  # "Class.method" or "function"
    old: str  # an expression, as Python source
    new: str
    why: str  # the mistake, in words


BUGS = [
    # The two the issue saw pass every test of the kit.
    Bug("adam_second_moment_corrected_with_beta1", "optimizer", "Adam.step",
        "v / (1 - self.beta2 ** self.t)", "v / (1 - self.beta1 ** self.t)",
        "Adam's v_hat divides by 1 - beta1**t instead of 1 - beta2**t"),
    Bug("sgd_weight_decay_sign_flipped", "optimizer", "SGD.step",
        "layer.gradients[key] + self.weight_decay * p", "layer.gradients[key] - self.weight_decay * p",
        "SGD's weight decay pushes parameters away from 0"),
    # The ones the brief names.
    Bug("relu_backward_passes_gradient_at_zero", "activations", "ReLU.backward",
        "Z > 0", "Z >= 0", "ReLU's derivative at 0 taken as 1"),
    Bug("softmax_subtracts_row_mean", "activations", "SoftMax.forward",
        "Z.max(axis=1, keepdims=True)", "Z.mean(axis=1, keepdims=True)",
        "softmax shifted by the row mean instead of the row max (overflows on [1000, -1000])"),
    Bug("cross_entropy_backward_missing_1_over_m", "loss", "CrossEntropyLoss.backward",
        "-Y / (m * np.maximum(Y_hat, PROBABILITY_FLOOR))", "-Y / np.maximum(Y_hat, PROBABILITY_FLOOR)",
        "cross-entropy's gradient not averaged over the batch"),
    Bug("sgd_momentum_sign_flipped", "optimizer", "SGD.step",
        "self.momentum", "-self.momentum", "v = -momentum * v + g"),
    Bug("layer_weight_gradient_divided_by_m", "layers", "FullyConnectedLayer.backward",
        "X.T @ dZ", "X.T @ dZ / X.shape[0]", "dW averaged a second time"),
    # More plausible mistakes, at least one for every student function.
    Bug("adam_eps_inside_sqrt", "optimizer", "Adam.step",
        "np.sqrt(v_hat) + self.eps", "np.sqrt(v_hat + self.eps)", "eps added under the square root"),
    Bug("adam_first_moment_not_corrected", "optimizer", "Adam.step",
        "m / (1 - self.beta1 ** self.t)", "m", "no bias correction of m"),
    Bug("sgd_weight_decay_ignored", "optimizer", "SGD.step",
        "layer.gradients[key] + self.weight_decay * p", "layer.gradients[key]", "weight decay left out"),
    Bug("sigmoid_sign_flipped", "activations", "Sigmoid.forward",
        "np.exp(-Z)", "np.exp(Z)", "sigmoid(-z) computed"),
    Bug("sigmoid_backward_drops_upstream", "activations", "Sigmoid.backward",
        "dY * s * (1.0 - s)", "s * (1.0 - s)", "upstream gradient not multiplied in"),
    Bug("tanh_backward_not_squared", "activations", "TanH.backward",
        "1.0 - np.tanh(Z) ** 2", "1.0 - np.tanh(Z)", "1 - tanh instead of 1 - tanh**2"),
    Bug("tanh_forward_from_sigmoid_of_z", "activations", "TanH.forward",
        "np.tanh(Z)", "2.0 / (1.0 + np.exp(-Z)) - 1.0", "2 sigmoid(z) - 1, where tanh(z) = 2 sigmoid(2z) - 1"),
    Bug("relu_forward_returns_its_mask", "activations", "ReLU.forward",
        "np.maximum(Z, 0.0)", "(Z > 0) * 1.0", "the derivative's mask instead of max(0, z)"),
    Bug("softmax_normalised_over_columns", "activations", "SoftMax.forward",
        "shifted.sum(axis=1, keepdims=True)", "shifted.sum(axis=0, keepdims=True)", "columns sum to 1"),
    Bug("softmax_backward_diagonal_only", "activations", "SoftMax.backward",
        "S * (dY - np.sum(S * dY, axis=1, keepdims=True))", "S * (1 - S) * dY",
        "only the Jacobian's diagonal"),
    Bug("layer_forgets_bias", "layers", "FullyConnectedLayer.forward",
        'X @ self.parameters["W"] + self.parameters["b"]', 'X @ self.parameters["W"]', "no bias"),
    Bug("layer_input_gradient_skips_activation", "layers", "FullyConnectedLayer.backward",
        'dZ @ self.parameters["W"].T', 'dLdY @ self.parameters["W"].T',
        "dX computed from dL/dY instead of dL/dZ"),
    Bug("layer_bias_gradient_averaged", "layers", "FullyConnectedLayer.backward",
        "dZ.sum(axis=0, keepdims=True)", "dZ.mean(axis=0, keepdims=True)", "db averaged instead of summed"),
    Bug("cross_entropy_forward_missing_1_over_m", "loss", "CrossEntropyLoss.forward",
        "-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))) / m",
        "-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR)))", "summed, not averaged"),
    Bug("mse_averaged_over_every_entry", "loss", "MSELoss.forward",
        "np.sum((Y - Y_hat) ** 2) / m", "np.mean((Y - Y_hat) ** 2)", "divided by m*k instead of m"),
    Bug("mse_backward_sign_flipped", "loss", "MSELoss.backward",
        "-2.0 * (Y - Y_hat) / m", "2.0 * (Y - Y_hat) / m", "gradient of the wrong sign"),
    Bug("model_backward_in_forward_order", "model", "NeuralNetworkModel.backward",
        "reversed(self.layers)", "self.layers", "layers backpropagated first to last"),
    Bug("model_forward_skips_last_layer", "model", "NeuralNetworkModel.forward",
        "self.layers", "self.layers[:-1]", "the output layer is never run"),
    Bug("model_predict_wrong_axis", "model", "NeuralNetworkModel.predict",
        "np.argmax(self.forward(X), axis=1)", "np.argmax(self.forward(X), axis=0)", "argmax over examples"),
    Bug("one_hot_sets_whole_columns", "util", "one_hot",
        "(np.arange(labels.shape[0]), labels)", "(slice(None), labels)", "Y[:, labels] = 1"),
    Bug("loader_always_drops_last", "util", "DataLoader.__iter__",
        "m - m % self.batch_size if self.drop_last else m", "m - m % self.batch_size",
        "the short last batch is always skipped"),
    Bug("loader_len_ignores_drop_last", "util", "DataLoader.__len__",
        "m // self.batch_size if self.drop_last else math.ceil(m / self.batch_size)", "m // self.batch_size",
        "len rounds down even when the short batch is yielded"),
]
BUGS_BY_NAME = {bug.name: bug for bug in BUGS}


def _find_function(tree: ast.Module, qualified_name: str) -> ast.FunctionDef:
    *owners, name = qualified_name.split(".")
    body = tree.body
    for owner in owners:
        classes = [node for node in body if isinstance(node, ast.ClassDef) and node.name == owner]
        if len(classes) != 1:
            raise AssertionError(f"no class {owner} in the module")
        body = classes[0].body
    functions = [node for node in body if isinstance(node, ast.FunctionDef) and node.name == name]
    if len(functions) != 1:
        raise AssertionError(f"no function {qualified_name} in the module")
    return functions[0]


class _ReplaceExpression(ast.NodeTransformer):
    def __init__(self, old: ast.expr, new: ast.expr) -> None:
        self.old, self.new, self.count = ast.dump(old), new, 0

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr) and ast.dump(node) == self.old:
            self.count += 1
            return self.new
        return super().visit(node)


def mutated_source(bug: Bug, source: str) -> str:
    """``source`` (a module of solution/) with ``bug.old`` replaced by ``bug.new`` in ``bug.function``.

    Raises AssertionError unless ``bug.old`` occurs exactly once in that function's code.
    """
    tree = ast.parse(source)
    function = _find_function(tree, bug.function)
    replacer = _ReplaceExpression(ast.parse(bug.old, mode="eval").body, ast.parse(bug.new, mode="eval").body)
    function.body = [replacer.visit(statement) for statement in function.body]
    if replacer.count != 1:
        raise AssertionError(
            f"bug {bug.name} is stale: `{bug.old}` occurs {replacer.count} times in the code of "
            f"solution/{bug.module}.py {bug.function}, expected exactly once; update tests/reference_bugs.py"
        )
    return ast.unparse(ast.fix_missing_locations(tree))


def load_package(folder: Path) -> ModuleType:
    """Import the package in ``folder`` under the folder's name (which must be a new module name)."""
    name = folder.name
    if name in sys.modules:
        raise AssertionError(f"a module called {name} is already imported")
    sys.path.insert(0, str(folder.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder.parent))


def forget_package(package: ModuleType) -> None:
    """Drop ``package`` and its modules from sys.modules (after a test is done with it)."""
    for name in [name for name in sys.modules if name == package.__name__ or name.startswith(package.__name__ + ".")]:
        del sys.modules[name]


def copy_with_bug(bug: Bug | None, parent: Path, package_name: str) -> Path:
    """Copy solution/'s modules into ``parent/package_name``, with ``bug`` applied when given."""
    folder = parent / package_name
    shutil.copytree(SOLUTION, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if bug is not None:
        path = folder / f"{bug.module}.py"
        path.write_text(mutated_source(bug, path.read_text()))
    return folder
