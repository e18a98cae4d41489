"""One-line bugs put into a copy of solution/, to prove the known-answer tests would catch them.

solution/ makes every expected output the grader uses, so a bug in it becomes every student's
expected answer and the grader's own tests (which compare against those outputs) cannot see it.
The known-answer tests (test_known_answers.py, test_cross_checks.py) are computed another way;
tests/test_known_answers_catch_bugs.py puts each bug below into a temporary copy of solution/,
imports the copy under another name, and requires every bug to fail at least one of them.

A bug is one function of solution/ written out whole, with the mistake in it, and replaces the
function of that name (found with the ast module, as tests/fairness/build.py does). Rewriting
solution/'s code, comments or docstrings leaves every bug a bug: a test here fails only when the
known-answer checks miss it, never because solution/'s text moved.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fairness.build import fill

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"


@dataclass(frozen=True)
class Bug:
    name: str
    module: str  # a file of solution/, without .py
    function: str  # "Class.method" or "function": the definition the bug replaces whole
    why: str  # the mistake, in words
    code: str  # the buggy definition (no docstring)


BUGS = [
    Bug("adam_second_moment_corrected_with_beta1", "optimizer", "Adam.step", "Adam's v_hat divides by 1 - beta1**t instead of 1 - beta2**t", """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, 'Adam.step')
    self.t += 1
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[i, key], self.v[i, key] = (m, v)
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta1 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""),
    Bug("sgd_weight_decay_sign_flipped", "optimizer", "SGD.step", "SGD's weight decay pushes parameters away from 0", """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, 'SGD.step')
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] - self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[i, key] = np.zeros_like(p)
            v = self.velocity[i, key]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""),
    Bug("relu_backward_passes_gradient_at_zero", "activations", "ReLU.backward", "ReLU's derivative at 0 taken as 1", """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, 'Z and dY', 'ReLU.backward')
    return dY * (Z >= 0)
"""),
    Bug("softmax_subtracts_row_mean", "activations", "SoftMax.forward", 'softmax shifted by the row mean instead of the row max (overflows on [1000, -1000])', """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    shifted = np.exp(Z - Z.mean(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
"""),
    Bug("cross_entropy_backward_missing_1_over_m", "loss", "CrossEntropyLoss.backward", "cross-entropy's gradient not averaged over the batch", """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, 'CrossEntropyLoss.backward')
    m = Y.shape[0]
    return -Y / np.maximum(Y_hat, PROBABILITY_FLOOR)
"""),
    Bug("sgd_momentum_sign_flipped", "optimizer", "SGD.step", 'v = -momentum * v + g', """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, 'SGD.step')
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[i, key] = np.zeros_like(p)
            v = self.velocity[i, key]
            v *= -self.momentum
            v += g
            p -= self.lr * v
"""),
    Bug("layer_weight_gradient_divided_by_m", "layers", "FullyConnectedLayer.backward", 'dW averaged a second time', """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if 'Z' not in self.cache:
        raise RuntimeError('FullyConnectedLayer.backward: call forward first, to fill the cache')
    check_same_shape(self.cache['Z'], dLdY, 'Z (from forward) and dLdY', 'FullyConnectedLayer.backward')
    X, Z = (self.cache['X'], self.cache['Z'])
    dZ = self.activation.backward(Z, dLdY)
    self.gradients['W'] = X.T @ dZ / X.shape[0]
    self.gradients['b'] = dZ.sum(axis=0, keepdims=True)
    return dZ @ self.parameters['W'].T
"""),
    Bug("adam_eps_inside_sqrt", "optimizer", "Adam.step", 'eps added under the square root', """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, 'Adam.step')
    self.t += 1
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[i, key], self.v[i, key] = (m, v)
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
"""),
    Bug("adam_first_moment_not_corrected", "optimizer", "Adam.step", 'no bias correction of m', """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, 'Adam.step')
    self.t += 1
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[i, key], self.v[i, key] = (m, v)
            m_hat = m
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""),
    Bug("sgd_weight_decay_ignored", "optimizer", "SGD.step", 'weight decay left out', """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, 'SGD.step')
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key]
            if (i, key) not in self.velocity:
                self.velocity[i, key] = np.zeros_like(p)
            v = self.velocity[i, key]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""),
    Bug("sigmoid_sign_flipped", "activations", "Sigmoid.forward", 'sigmoid(-z) computed', """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(Z))
"""),
    Bug("sigmoid_backward_drops_upstream", "activations", "Sigmoid.backward", 'upstream gradient not multiplied in', """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, 'Z and dY', 'Sigmoid.backward')
    s = self.forward(Z)
    return s * (1.0 - s)
"""),
    Bug("tanh_backward_not_squared", "activations", "TanH.backward", '1 - tanh instead of 1 - tanh**2', """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, 'Z and dY', 'TanH.backward')
    return dY * (1.0 - np.tanh(Z))
"""),
    Bug("tanh_forward_from_sigmoid_of_z", "activations", "TanH.forward", '2 sigmoid(z) - 1, where tanh(z) = 2 sigmoid(2z) - 1', """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return 2.0 / (1.0 + np.exp(-Z)) - 1.0
"""),
    Bug("relu_forward_returns_its_mask", "activations", "ReLU.forward", "the derivative's mask instead of max(0, z)", """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return (Z > 0) * 1.0
"""),
    Bug("softmax_normalised_over_columns", "activations", "SoftMax.forward", 'columns sum to 1', """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    shifted = np.exp(Z - Z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)
"""),
    Bug("softmax_backward_diagonal_only", "activations", "SoftMax.backward", "only the Jacobian's diagonal", """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, 'Z and dY', 'SoftMax.backward')
    S = self.forward(Z)
    return S * (1 - S) * dY
"""),
    Bug("layer_forgets_bias", "layers", "FullyConnectedLayer.forward", 'no bias', """\
def forward(self, X: np.ndarray) -> np.ndarray:
    check_matrix(X, 'X', 'FullyConnectedLayer.forward', n_columns=self.n_in)
    Z = X @ self.parameters['W']
    self.cache['X'] = X
    self.cache['Z'] = Z
    return self.activation(Z)
"""),
    Bug("layer_input_gradient_skips_activation", "layers", "FullyConnectedLayer.backward", 'dX computed from dL/dY instead of dL/dZ', """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if 'Z' not in self.cache:
        raise RuntimeError('FullyConnectedLayer.backward: call forward first, to fill the cache')
    check_same_shape(self.cache['Z'], dLdY, 'Z (from forward) and dLdY', 'FullyConnectedLayer.backward')
    X, Z = (self.cache['X'], self.cache['Z'])
    dZ = self.activation.backward(Z, dLdY)
    self.gradients['W'] = X.T @ dZ
    self.gradients['b'] = dZ.sum(axis=0, keepdims=True)
    return dLdY @ self.parameters['W'].T
"""),
    Bug("layer_bias_gradient_averaged", "layers", "FullyConnectedLayer.backward", 'db averaged instead of summed', """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if 'Z' not in self.cache:
        raise RuntimeError('FullyConnectedLayer.backward: call forward first, to fill the cache')
    check_same_shape(self.cache['Z'], dLdY, 'Z (from forward) and dLdY', 'FullyConnectedLayer.backward')
    X, Z = (self.cache['X'], self.cache['Z'])
    dZ = self.activation.backward(Z, dLdY)
    self.gradients['W'] = X.T @ dZ
    self.gradients['b'] = dZ.mean(axis=0, keepdims=True)
    return dZ @ self.parameters['W'].T
"""),
    Bug("cross_entropy_forward_missing_1_over_m", "loss", "CrossEntropyLoss.forward", 'summed, not averaged', """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, 'CrossEntropyLoss.forward')
    m = Y.shape[0]
    return float(-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))))
"""),
    Bug("mse_averaged_over_every_entry", "loss", "MSELoss.forward", 'divided by m*k instead of m', """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, 'MSELoss.forward')
    m = Y.shape[0]
    return float(np.mean((Y - Y_hat) ** 2))
"""),
    Bug("mse_backward_sign_flipped", "loss", "MSELoss.backward", 'gradient of the wrong sign', """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, 'MSELoss.backward')
    m = Y.shape[0]
    return 2.0 * (Y - Y_hat) / m
"""),
    Bug("model_backward_in_forward_order", "model", "NeuralNetworkModel.backward", 'layers backpropagated first to last', """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    loss = self.loss(Y, Y_hat)
    gradient = self.loss.backward(Y, Y_hat)
    for layer in self.layers:
        gradient = layer.backward(gradient)
    return loss
"""),
    Bug("model_forward_skips_last_layer", "model", "NeuralNetworkModel.forward", 'the output layer is never run', """\
def forward(self, X: np.ndarray) -> np.ndarray:
    for layer in self.layers[:-1]:
        X = layer.forward(X)
    return X
"""),
    Bug("model_predict_wrong_axis", "model", "NeuralNetworkModel.predict", 'argmax over examples', """\
def predict(self, X: np.ndarray) -> np.ndarray:
    return np.argmax(self.forward(X), axis=0)
"""),
    Bug("one_hot_sets_whole_columns", "util", "one_hot", 'Y[:, labels] = 1', """\
def one_hot(labels: np.ndarray, num_classes: int | None=None) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f'one_hot: expected a 1-D array of integer labels, got shape {labels.shape} and dtype {labels.dtype}')
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'one_hot: expected labels in 0..{num_classes - 1}, got values from {labels.min()} to {labels.max()}')
    Y = np.zeros((labels.shape[0], num_classes))
    Y[slice(None), labels] = 1.0
    return Y
"""),
    Bug("loader_always_drops_last", "util", "DataLoader.__iter__", 'the short last batch is always skipped', """\
def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    m = len(self.X)
    order = self.rng.permutation(m) if self.shuffle else np.arange(m)
    stop = m - m % self.batch_size
    for start in range(0, stop, self.batch_size):
        rows = order[start:start + self.batch_size]
        yield (self.X[rows], self.Y[rows])
"""),
    Bug("loader_len_ignores_drop_last", "util", "DataLoader.__len__", 'len rounds down even when the short batch is yielded', """\
def __len__(self) -> int:
    m = len(self.X)
    return m // self.batch_size
"""),
]
BUGS_BY_NAME = {bug.name: bug for bug in BUGS}


def mutated_source(bug: Bug, source: str) -> str:
    """``source`` (a module of solution/) with ``bug.function`` replaced by ``bug.code``; BuildError
    (naming the function) if the module has no such function."""
    return fill(source, {bug.function: bug.code}, where=f"bug {bug.name}: solution/{bug.module}.py")


def same_code(one: str, other: str) -> bool:
    """Whether two definitions are the same code, docstrings, comments and layout aside."""
    def normalised(code: str) -> str:
        function = ast.parse(textwrap.dedent(code)).body[0]
        if function.body and isinstance(function.body[0], ast.Expr) and isinstance(function.body[0].value, ast.Constant):
            function.body = function.body[1:] or [ast.Pass()]
        return ast.dump(function, annotate_fields=False, include_attributes=False)

    return normalised(one) == normalised(other)


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
