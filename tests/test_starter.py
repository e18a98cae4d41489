"""starter/ is solution/ with the student parts cut out, and nothing else changed.

(a) starter/ is up to date with solution/, and the staleness check really detects an edit;
(a') the starter holds no backward formula unless course.toml switches the hints on, and the switch works;
(b) every public name has the same kind, signature and docstring in both trees (docstrings as
    the hint setting makes them);
(c) the provided parts of the starter work as they are;
(d) every student stub raises NotImplementedError naming itself;
(e) no solution marker survives in starter/.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import io
import json
import re
import shutil
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import solution
from autograder.kit import MODULES as KIT_MODULES
import starter

ROOT = Path(__file__).resolve().parent.parent
MODULES = list(KIT_MODULES)
BEGIN_MARKER = "### BEGIN SOLUTION"

# The student's part of the assignment, as SPEC.md lists it.
STUDENT_FUNCTIONS = [
    "activations.Sigmoid.forward",
    "activations.Sigmoid.backward",
    "activations.TanH.forward",
    "activations.TanH.backward",
    "activations.ReLU.forward",
    "activations.ReLU.backward",
    "activations.SoftMax.forward",
    "activations.SoftMax.backward",
    "layers.FullyConnectedLayer.forward",
    "layers.FullyConnectedLayer.backward",
    "loss.CrossEntropyLoss.forward",
    "loss.CrossEntropyLoss.backward",
    "loss.MSELoss.forward",
    "loss.MSELoss.backward",
    "optimizer.SGD.step",
    "optimizer.Adam.step",
    "model.NeuralNetworkModel.forward",
    "model.NeuralNetworkModel.backward",
    "model.NeuralNetworkModel.predict",
    "util.one_hot",
    "util.DataLoader.__iter__",
    "util.DataLoader.__len__",
]


def solution_module(name: str) -> ModuleType:
    return sys.modules[f"solution.{name}"]


def starter_module(name: str) -> ModuleType:
    return sys.modules[f"starter.{name}"]


# --------------------------------------------------------------------------------------------
# (a) starter/ is not stale, and staleness is detected
# --------------------------------------------------------------------------------------------


def load_make_starter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_starter_under_test", ROOT / "scripts" / "make_starter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_make_starter(monkeypatch, root: Path, *arguments: str) -> int:
    """Run make_starter.py's main() as if the project lived at ``root``."""
    make_starter = load_make_starter()
    monkeypatch.setattr(make_starter, "ROOT", root)
    monkeypatch.setattr(sys, "argv", ["make_starter.py", *arguments])
    return make_starter.main()


def test_make_starter_check_passes_on_the_committed_starter() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.make_starter", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, f"starter/ is stale; run `make starter`:\n{result.stdout}{result.stderr}"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for tree in ("solution", "starter"):
        shutil.copytree(ROOT / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "course.toml", tmp_path / "course.toml")
    return tmp_path


def test_make_starter_check_accepts_an_unchanged_copy(project_copy: Path, monkeypatch, capsys) -> None:
    assert run_make_starter(monkeypatch, project_copy, "--check") == 0
    assert "stale" not in capsys.readouterr().out


def edit_module_docstring(path: Path, prefix: str) -> None:
    """Insert ``prefix`` at the start of the module docstring of ``path``."""
    lines = path.read_text().splitlines(keepends=True)
    docstring = ast.parse("".join(lines)).body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant), f"{path} has no docstring"
    line = docstring.lineno - 1
    lines[line] = lines[line].replace('"""', '"""' + prefix, 1)
    path.write_text("".join(lines))


def test_make_starter_check_detects_an_edited_solution_docstring(project_copy: Path, monkeypatch, capsys) -> None:
    marker = "Edited by test_starter. "
    edit_module_docstring(project_copy / "solution" / "activations.py", marker)
    starter_file = project_copy / "starter" / "activations.py"

    assert run_make_starter(monkeypatch, project_copy, "--check") == 1
    output = capsys.readouterr().out
    assert "stale: starter/activations.py" in output
    assert "layers.py" not in output  # only the edited module is stale
    assert marker not in starter_file.read_text(), "--check must write nothing"

    # Regenerating fixes it, and the new starter carries the edited docstring.
    assert run_make_starter(monkeypatch, project_copy) == 0
    assert marker in starter_file.read_text()
    assert run_make_starter(monkeypatch, project_copy, "--check") == 0


def test_make_starter_check_detects_a_hand_edited_starter(project_copy: Path, monkeypatch, capsys) -> None:
    target = project_copy / "starter" / "loss.py"
    target.write_text(target.read_text() + "\n# a note added by hand\n")
    assert run_make_starter(monkeypatch, project_copy, "--check") == 1
    assert "stale: starter/loss.py" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# (a') backward formulas only when course staff switch the hints on
# --------------------------------------------------------------------------------------------

from scripts.course_settings import load_course_settings  # noqa: E402 - beside the tests that use it
from scripts.solution_regions import BEGIN_HINT, END_HINT, apply_hints, hint_lines  # noqa: E402

# The backward formulas the handout asks students to derive (and Question 1.4's answer), as they
# could be written in a docstring or comment (each must be caught in the hints-on starter, see below, so none is dead).
BACKWARD_FORMULAS = {
    "sigmoid's derivative": r"s\s*\*\s*\(1\s*-\s*s\)",
    "tanh's derivative": r"1\s*-\s*tanh\(Z\)\s*\*\*\s*2",
    "ReLU's mask": r"dY where Z > 0|mask of where Z > 0",
    "the elementwise chain rule": r"dY \* f'\(Z\)",
    "the softmax Jacobian": r"diag\(s\)\s*-\s*s s\^T",
    "J^T applied to dY": r"J\^T dY",
    "the closed form of J^T dY": r"s \* dY\[i\] - s \* \(s \. dY\[i\]\)",
    "dL/dW": r"X\^T dZ|X\.T\s*@\s*dZ",
    "dL/db": r"column sums of dZ|sums over\s*(?:#\s*)?axis 0",
    "dL/dX": r"dZ W\^T|dZ\s*@\s*W\.T",
    "cross-entropy's gradient": r"-\(1/m\) \* Y / Y_hat",
    "MSE's gradient": r"-\(2/m\) \* \(Y - Y_hat\)",
    "softmax's shift (Question 1.4)": r"(?i)row's maximum|row maxim|max_k Z\[i, k\]|subtract\w* the (?:row )?max",
}


def starter_text(keep_hints: bool) -> dict[str, str]:
    return {path.name: text for path, text in load_make_starter().generated_files(keep_hints).items()}


def formulas_in(text: str) -> list[str]:
    return [name for name, pattern in BACKWARD_FORMULAS.items() if re.search(pattern, text)]


def test_the_starter_without_hints_states_no_backward_formula() -> None:
    for name, text in starter_text(keep_hints=False).items():
        assert not formulas_in(text), f"starter/{name} gives away {formulas_in(text)}"
        assert BEGIN_HINT not in text and END_HINT not in text


def test_the_starter_with_hints_states_every_backward_formula() -> None:
    found = set()
    for text in starter_text(keep_hints=True).values():
        found.update(formulas_in(text))
        assert BEGIN_HINT not in text and END_HINT not in text, "the markers never reach the starter"
    assert found == set(BACKWARD_FORMULAS), f"hints on, yet missing: {set(BACKWARD_FORMULAS) - found}"


def test_every_hint_line_of_the_solution_follows_the_switch() -> None:
    without, with_hints = starter_text(keep_hints=False), starter_text(keep_hints=True)
    lines = 0
    for path in sorted((ROOT / "solution").glob("*.py")):
        for line in hint_lines(path.read_text().splitlines()):
            lines += 1
            assert line not in without[path.name].splitlines(), f"{path.name}: {line.strip()!r} is in the hints-off starter"
            assert line in with_hints[path.name].splitlines(), f"{path.name}: {line.strip()!r} is missing from the hints-on starter"
    assert lines >= 12, "solution/ should hold the backward formulas in hint regions"


def test_the_committed_starter_follows_course_toml() -> None:
    keep = load_course_settings(ROOT / "course.toml").backward_formula_hints
    for name, text in starter_text(keep).items():
        assert (ROOT / "starter" / name).read_text() == text
    if not keep:
        for path in sorted((ROOT / "starter").glob("*.py")):
            assert not formulas_in(path.read_text()), f"{path.name}: {formulas_in(path.read_text())}"


def test_switching_hints_on_in_course_toml_puts_the_formulas_in_the_starter(project_copy: Path, monkeypatch, capsys) -> None:
    course = project_copy / "course.toml"
    course.write_text(course.read_text().replace("backward_formula_hints = false", "backward_formula_hints = true"))
    assert run_make_starter(monkeypatch, project_copy, "--check") == 1, "the committed starter has no hints"
    assert run_make_starter(monkeypatch, project_copy) == 0
    assert "dL/dW = X^T dZ" in (project_copy / "starter" / "layers.py").read_text()
    assert run_make_starter(monkeypatch, project_copy, "--check") == 0
    assert run_make_starter(monkeypatch, project_copy, "--no-hints") == 0, "the option overrides course.toml"
    assert "X^T dZ" not in (project_copy / "starter" / "layers.py").read_text()


@pytest.mark.parametrize("lines, complaint", [
    (["x", BEGIN_HINT, "y"], "never closed"),
    (["x", END_HINT], "without a"),
    ([BEGIN_HINT, BEGIN_HINT, END_HINT], "inside another"),
])
def test_malformed_hint_regions_are_refused(lines, complaint) -> None:
    with pytest.raises(SystemExit, match=complaint):
        apply_hints(lines, keep_hints=False)


def doc_as_generated(doc: str | None) -> str | None:
    """A solution docstring as the starter should carry it under the course's hint setting."""
    if doc is None:
        return None
    keep = load_course_settings(ROOT / "course.toml").backward_formula_hints
    return "\n".join(apply_hints(doc.split("\n"), keep))


# --------------------------------------------------------------------------------------------
# (b) same public names, kinds, signatures and docstrings
# --------------------------------------------------------------------------------------------

METHODS_WITH_DUNDER_NAMES = {"__init__", "__call__", "__iter__", "__len__"}


def public_names(module: ModuleType) -> list[str]:
    return sorted(name for name in vars(module) if not name.startswith("_"))


def kind(value) -> str:
    if inspect.isclass(value):
        return "class"
    if inspect.isfunction(value):
        return "function"
    if inspect.ismodule(value):
        return "module"
    return type(value).__name__


def is_package_code(value) -> bool:
    """A function or class defined in solution/ or starter/ (not imported from elsewhere)."""
    return getattr(value, "__module__", "").split(".")[0] in ("solution", "starter")


def public_methods(cls: type) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(cls).items()
        if (not name.startswith("_") or name in METHODS_WITH_DUNDER_NAMES) and callable(value)
    }


@pytest.mark.parametrize("module_name", MODULES)
def test_starter_module_has_every_public_name_of_the_solution_with_the_same_kind(module_name: str) -> None:
    ours, theirs = solution_module(module_name), starter_module(module_name)
    missing = sorted(set(public_names(ours)) - set(public_names(theirs)))
    assert not missing, f"starter/{module_name}.py lacks {missing}"
    for name in public_names(ours):
        assert kind(getattr(theirs, name)) == kind(getattr(ours, name)), f"{module_name}.{name}"


def test_starter_package_exports_the_same_names() -> None:
    assert starter.__all__ == solution.__all__
    for name in solution.__all__:
        assert kind(getattr(starter, name)) == kind(getattr(solution, name)), name


@pytest.mark.parametrize("module_name", MODULES)
def test_starter_module_docstring_matches(module_name: str) -> None:
    assert starter_module(module_name).__doc__ == doc_as_generated(solution_module(module_name).__doc__)


@pytest.mark.parametrize("module_name", MODULES)
def test_starter_constants_and_imports_match(module_name: str) -> None:
    ours, theirs = solution_module(module_name), starter_module(module_name)
    for name in public_names(ours):
        expected, actual = getattr(ours, name), getattr(theirs, name)
        if inspect.isclass(expected) or inspect.isfunction(expected):
            if not is_package_code(expected):
                assert actual is expected, f"{module_name}.{name}"
        elif isinstance(expected, dict):  # name -> class/function tables such as ACTIVATIONS
            assert list(actual) == list(expected), f"{module_name}.{name}"
            assert [value.__name__ for value in actual.values()] == [value.__name__ for value in expected.values()]
        elif not inspect.ismodule(expected):
            assert actual == expected, f"{module_name}.{name}"


def package_functions_and_classes() -> list[tuple[str, str]]:
    """(module, name) of every public function and class defined in a solution module."""
    return [
        (module_name, name)
        for module_name in MODULES
        for name, value in vars(solution_module(module_name)).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == f"solution.{module_name}"
    ]


@pytest.mark.parametrize(
    "module_name, name",
    package_functions_and_classes(),
    ids=[f"{module_name}.{name}" for module_name, name in package_functions_and_classes()],
)
def test_starter_signature_and_docstring_match(module_name: str, name: str) -> None:
    expected = getattr(solution_module(module_name), name)
    actual = getattr(starter_module(module_name), name)
    where = f"{module_name}.{name}"
    assert inspect.signature(actual) == inspect.signature(expected), where
    assert actual.__doc__ == doc_as_generated(expected.__doc__), where
    if inspect.isclass(expected):
        assert [base.__name__ for base in actual.__bases__] == [base.__name__ for base in expected.__bases__], where
        expected_methods, actual_methods = public_methods(expected), public_methods(actual)
        assert sorted(actual_methods) == sorted(expected_methods), where
        for method, function in expected_methods.items():
            assert inspect.signature(actual_methods[method]) == inspect.signature(function), f"{where}.{method}"
            assert actual_methods[method].__doc__ == doc_as_generated(function.__doc__), f"{where}.{method}"


# --------------------------------------------------------------------------------------------
# (c) the provided parts of the starter work
# --------------------------------------------------------------------------------------------


def test_starter_linear_activation_is_the_identity_both_ways() -> None:
    rng = np.random.default_rng(0)
    Z, dY = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    linear = starter.Linear()
    Y = linear.forward(Z)
    np.testing.assert_array_equal(Y, Z)
    assert Y is not Z
    np.testing.assert_array_equal(linear(Z), Z)
    np.testing.assert_array_equal(linear.backward(Z, dY), dY)


@pytest.mark.parametrize(
    "name, class_name",
    [("linear", "Linear"), ("sigmoid", "Sigmoid"), ("tanh", "TanH"), ("relu", "ReLU"), ("softmax", "SoftMax")],
)
def test_starter_initialize_activation_builds_every_activation(name: str, class_name: str) -> None:
    activation = starter.initialize_activation(name)
    assert type(activation) is getattr(starter, class_name)


@pytest.mark.parametrize("name, class_name", [("cross_entropy", "CrossEntropyLoss"), ("mse", "MSELoss")])
def test_starter_initialize_loss_builds_every_loss(name: str, class_name: str) -> None:
    assert type(starter.initialize_loss(name)) is getattr(starter, class_name)


def test_starter_initialize_optimizer_builds_both_optimizers_with_their_settings() -> None:
    sgd = starter.initialize_optimizer("sgd", lr=0.2, momentum=0.5, weight_decay=0.01)
    assert type(sgd) is starter.SGD
    assert (sgd.lr, sgd.momentum, sgd.weight_decay) == (0.2, 0.5, 0.01)
    adam = starter.initialize_optimizer("adam", lr=0.003, beta1=0.8, beta2=0.99, eps=1e-7)
    assert type(adam) is starter.Adam
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps, adam.t) == (0.003, 0.8, 0.99, 1e-7, 0)


# name: (is uniform, variance as a function of (n_in, n_out)), from the docstring's formulas.
INITIALIZERS = {
    "xavier_uniform": (True, lambda n_in, n_out: 2.0 / (n_in + n_out)),
    "xavier_normal": (False, lambda n_in, n_out: 2.0 / (n_in + n_out)),
    "he_uniform": (True, lambda n_in, n_out: 2.0 / n_in),
    "he_normal": (False, lambda n_in, n_out: 2.0 / n_in),
}


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_starter_initialize_weights_draws_with_the_documented_spread(name: str) -> None:
    uniform, variance = INITIALIZERS[name]
    n_in, n_out = 200, 300
    W = starter.initialize_weights(name)((n_in, n_out), np.random.default_rng(0))
    assert W.shape == (n_in, n_out) and W.dtype == np.float64
    expected_std = np.sqrt(variance(n_in, n_out))
    # 60,000 draws: the sample std is within 2% of the true one with overwhelming probability.
    assert W.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(W.mean()) < 0.02 * expected_std  # the mean's std is expected_std / 245
    if uniform:  # U(-a, a) has std a / sqrt(3)
        limit = np.sqrt(3.0) * expected_std
        assert np.abs(W).max() <= limit
        assert np.abs(W).max() > 0.99 * limit
    else:  # 60,000 normal draws reach far beyond a uniform's sqrt(3) standard deviations
        assert np.abs(W).max() > 3.0 * expected_std


def test_starter_load_dataset_reads_the_bundled_iris() -> None:
    from sklearn.datasets import load_iris

    X, y = starter.load_dataset("iris")
    np.testing.assert_array_equal(X, load_iris().data)
    np.testing.assert_array_equal(y, load_iris().target)


def test_starter_numerical_gradient_differentiates_a_cubic() -> None:
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.25]])
    gradient = starter.numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(gradient, 3 * x**2, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, [[0.5, -1.0, 2.0], [1.5, 0.0, -0.25]])


def test_starter_fully_connected_layer_constructs_parameters_with_zero_bias() -> None:
    layer = starter.FullyConnectedLayer(5, 3, "tanh", weight_init="he_normal", rng=np.random.default_rng(0))
    assert (layer.n_in, layer.n_out) == (5, 3)
    assert type(layer.activation) is starter.TanH
    assert isinstance(layer.parameters, OrderedDict) and list(layer.parameters) == ["W", "b"]
    assert layer.parameters["W"].shape == (5, 3)
    np.testing.assert_array_equal(layer.parameters["b"], np.zeros((1, 3)))
    assert list(layer.gradients) == ["W", "b"]
    for key in ("W", "b"):
        np.testing.assert_array_equal(layer.gradients[key], np.zeros_like(layer.parameters[key]))


class FilledStarterModel(starter.NeuralNetworkModel):
    """The starter's model with the student's three methods taken from the solution."""

    forward = solution.NeuralNetworkModel.forward
    backward = solution.NeuralNetworkModel.backward
    predict = solution.NeuralNetworkModel.predict


def filled_model_on_xor(rng: np.random.Generator):
    X, y = starter.load_dataset("xor")
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = solution.one_hot(y, 2)
    layers = [solution.FullyConnectedLayer(2, 16, "relu", rng=rng), solution.FullyConnectedLayer(16, 2, "softmax", rng=rng)]
    model = FilledStarterModel(layers, loss=solution.CrossEntropyLoss(), optimizer=solution.Adam(lr=0.03))
    return model, X, Y, y


def test_starter_train_step_returns_the_batch_loss_and_updates_parameters() -> None:
    model, X, Y, _ = filled_model_on_xor(np.random.default_rng(0))
    before = [layer.parameters["W"].copy() for layer in model.layers]
    expected_loss = solution.CrossEntropyLoss().forward(Y[:32], model.forward(X[:32]))

    loss = model.train_step(X[:32], Y[:32])

    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for old, layer in zip(before, model.layers):
        assert not np.array_equal(old, layer.parameters["W"])


def test_starter_fit_and_evaluate_work_with_filled_in_student_parts() -> None:
    rng = np.random.default_rng(0)
    model, X, Y, y = filled_model_on_xor(rng)

    history = model.fit(solution.DataLoader(X, Y, batch_size=32, rng=rng), 20, progress=False)
    result = model.evaluate(X, Y)

    assert set(history) == {"loss", "accuracy"} and len(history["loss"]) == 20
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] == pytest.approx(np.mean(np.argmax(model.forward(X), axis=1) == y))
    assert result["loss"] == pytest.approx(solution.CrossEntropyLoss().forward(Y, model.forward(X)))
    assert result["accuracy"] > 0.9  # xor is learned: the loop really trained the model


class FakeTerminal(io.StringIO):
    """Standard error as a terminal would be: text that claims to be a TTY."""

    def isatty(self) -> bool:
        return True


def quick_fit(monkeypatch, stderr, epochs=3, **options):
    monkeypatch.setattr(sys, "stderr", stderr)
    model, X, Y, _ = filled_model_on_xor(np.random.default_rng(0))
    return model.fit(solution.DataLoader(X, Y, batch_size=64, rng=np.random.default_rng(1)), epochs, **options)


def test_fit_shows_a_tqdm_bar_on_a_terminal(monkeypatch) -> None:
    terminal = FakeTerminal()
    quick_fit(monkeypatch, terminal)
    shown = terminal.getvalue()
    assert re.search(r"training: 100%.*3/3 \[", shown) and "loss=" in shown, shown  # tqdm's format, with the metrics


def test_fit_is_quiet_when_standard_error_is_not_a_terminal(monkeypatch) -> None:
    log = io.StringIO()  # a log file, a CI job, a test
    quick_fit(monkeypatch, log)
    assert log.getvalue() == ""


@pytest.mark.parametrize("terminal", [True, False])
def test_fit_trains_without_a_bar_when_tqdm_is_missing(monkeypatch, terminal) -> None:
    for name in ("tqdm", "tqdm.auto", "tqdm.std", "tqdm.notebook"):
        monkeypatch.setitem(sys.modules, name, None)  # "import tqdm" now raises ImportError
    stderr = FakeTerminal() if terminal else io.StringIO()
    history = quick_fit(monkeypatch, stderr)
    assert len(history["loss"]) == 3
    assert history["loss"][-1] < history["loss"][0]
    assert stderr.getvalue() == ""


def test_fit_stops_early_and_restores_the_best_epoch(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    model, X, Y, _ = filled_model_on_xor(rng)
    # Training labels shuffled, validation labels true: once the network starts memorising the
    # shuffled labels the validation loss climbs, and early stopping has work to do.
    X_train, Y_train, X_val, Y_val = X[:200], rng.permutation(Y[:200]), X[200:], Y[200:]
    history = model.fit(solution.DataLoader(X_train, Y_train, batch_size=16, rng=rng), 200, val=(X_val, Y_val),
                        progress=False, patience=3, restore_best=True)
    ran, best = len(history["val_loss"]), int(np.argmin(history["val_loss"]))
    assert ran < 200, "the validation loss never stalled for 3 epochs"
    assert ran == best + 1 + 3, "stops exactly `patience` epochs after the best one"
    assert model.evaluate(X_val, Y_val)["loss"] == pytest.approx(history["val_loss"][best], rel=1e-12)
    assert history["val_loss"][-1] > history["val_loss"][best]


def test_fit_without_restore_keeps_the_last_epoch(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    model, X, Y, _ = filled_model_on_xor(rng)
    history = model.fit(solution.DataLoader(X, Y, batch_size=16, rng=rng), 5, val=(X[:40], Y[:40]), progress=False)
    assert model.evaluate(X[:40], Y[:40])["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-12)


@pytest.mark.parametrize("options", [{"patience": 3}, {"restore_best": True}])
def test_fit_refuses_early_stopping_without_a_validation_set(options) -> None:
    model, X, Y, _ = filled_model_on_xor(np.random.default_rng(0))
    with pytest.raises(ValueError, match="validation set"):
        model.fit(solution.DataLoader(X, Y), 2, progress=False, **options)


@pytest.mark.slow
def test_fit_shows_a_widget_in_a_jupyter_kernel(tmp_path: Path) -> None:
    import nbformat

    from notebooks.execute import execute_notebooks

    source = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import numpy as np, solution as nn\n"
        "X, y = nn.load_dataset('xor'); Y = nn.one_hot(y, 2)\n"
        "rng = np.random.default_rng(0)\n"
        "model = nn.NeuralNetworkModel([nn.FullyConnectedLayer(2, 2, 'softmax', rng=rng)])\n"
        "history = model.fit(nn.DataLoader(X, Y, rng=rng), 2)"
    )
    path = tmp_path / "fit.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    (result,) = execute_notebooks([path])
    assert result.error is None, result.error
    kinds = [kind for output in result.notebook.cells[0].outputs for kind in output.get("data", {})]
    assert "application/vnd.jupyter.widget-view+json" in kinds, result.notebook.cells[0].outputs


def test_starter_logger_writes_its_files(tmp_path: Path) -> None:
    model, _, _, _ = filled_model_on_xor(np.random.default_rng(0))
    logger = starter.Logger("xor", {"lr": 0.03}, root=tmp_path)
    logger.log_epoch(1, {"loss": 0.7, "accuracy": 0.5})
    logger.log_epoch(2, {"loss": 0.4, "accuracy": 0.8})
    logger.save_parameters(model)
    logger.plot_losses()

    assert json.loads((tmp_path / "xor" / "hyperparameters.json").read_text()) == {"lr": 0.03}
    assert (tmp_path / "xor" / "metrics.csv").read_text().splitlines() == ["epoch,loss,accuracy", "1,0.7,0.5", "2,0.4,0.8"]
    with np.load(tmp_path / "xor" / "parameters.npz") as saved:
        np.testing.assert_array_equal(saved["layer1.W"], model.layers[1].parameters["W"])
    assert (tmp_path / "xor" / "loss.png").read_bytes()[:4] == b"\x89PNG"


# --------------------------------------------------------------------------------------------
# (d) every stub says it is the student's to implement
# --------------------------------------------------------------------------------------------


def functions_with_solution_regions() -> set[str]:
    """The "module.Qualified.name" of every function in solution/ that holds a solution region."""
    found = set()
    for module_name in MODULES:
        source = (ROOT / "solution" / f"{module_name}.py").read_text()
        lines = source.splitlines()

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    visit(child, f"{prefix}{child.name}.")
                elif isinstance(child, ast.FunctionDef):
                    body = lines[child.lineno - 1 : child.end_lineno]  # noqa: B023 - visit runs within this iteration
                    if any(line.strip() == BEGIN_MARKER for line in body):
                        found.add(f"{module_name}.{prefix}{child.name}")  # noqa: B023

        visit(ast.parse(source), "")
    return found


def test_student_function_list_matches_the_solution_regions() -> None:
    assert functions_with_solution_regions() == set(STUDENT_FUNCTIONS)


def call_student_function(package: ModuleType, qualified: str) -> None:
    """Call ``package``'s version of one student function with valid arguments; whatever else
    the call needs (layers, losses) comes from the solution, so only the function itself is
    ``package``'s."""
    rng = np.random.default_rng(0)
    Z, dY = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    Y = solution.one_hot(np.array([0, 1, 3]), 4)
    Y_hat = solution.SoftMax().forward(Z)
    module_name, *path = qualified.split(".")
    if path == ["one_hot"]:
        package.one_hot(np.array([0, 2, 1]), 3)
        return
    owner, method = getattr(package, path[0]), path[1]
    if module_name == "activations":
        activation = owner()
        activation.forward(Z) if method == "forward" else activation.backward(Z, dY)
    elif module_name == "layers":
        layer = owner(4, 2, "relu", rng=rng)
        if method == "forward":
            layer.forward(Z)
        else:
            layer.cache["X"], layer.cache["Z"] = Z, Z @ layer.parameters["W"] + 0.5
            layer.backward(np.ones((3, 2)))
    elif module_name == "loss":
        getattr(owner(), method)(Y, Y_hat)
    elif module_name == "optimizer":
        owner().step([solution.FullyConnectedLayer(4, 2, "relu", rng=rng)])
    elif module_name == "model":
        layers = [solution.FullyConnectedLayer(4, 4, "softmax", rng=rng)]
        model = owner(layers, loss=solution.CrossEntropyLoss())
        if method == "backward":
            model.backward(Y, layers[0].forward(Z))  # the layer's cache comes from its own forward
        else:
            getattr(model, method)(Z)
    elif module_name == "util":
        loader = owner(Z, Y, batch_size=2)
        list(loader) if method == "__iter__" else len(loader)
    else:
        raise AssertionError(f"no way to call {qualified}")


@pytest.mark.parametrize("qualified", STUDENT_FUNCTIONS)
def test_starter_stub_raises_not_implemented_naming_the_function(qualified: str) -> None:
    name = qualified.split(".", 1)[1]
    with pytest.raises(NotImplementedError) as error:
        call_student_function(starter, qualified)
    assert str(error.value) == f"{name} is yours to implement"


@pytest.mark.parametrize("qualified", STUDENT_FUNCTIONS)
def test_same_call_on_the_solution_succeeds(qualified: str) -> None:
    # Proves the stub tests above fail only because the starter's function is a stub, not because
    # call_student_function passes bad arguments.
    call_student_function(solution, qualified)


# --------------------------------------------------------------------------------------------
# (e) no solution text left behind
# --------------------------------------------------------------------------------------------


def test_no_solution_markers_remain_in_starter() -> None:
    leftovers = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "starter").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line
    ]
    assert not leftovers, leftovers
