"""Meta-tests of the grader: full marks for the solution, zero for the starter, points lost by
every mutant in exactly the module it breaks, full marks for correct code written differently,
and messages a student can act on."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import mutants
from autograder.reference import available_variants, load_references
from autograder.rubric import load_rubric
from grader_support import ROOT, comparable, failed_outputs, grade, gradebook, module_maxima, results, solution_with

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded_mutants(tmp_path_factory):
    """Every mutant, the equivalent implementation, the solution and the starter, in one batch."""
    base = tmp_path_factory.mktemp("mutants")
    folder = base / "submissions"
    folder.mkdir()
    for mutant in mutants.MUTANTS:
        mutants.build(mutant.changes, folder / mutant.name)
    mutants.build(mutants.EQUIVALENTS, folder / "equivalent")
    mutants.copy_tree("solution", folder / "solution")
    mutants.copy_tree("starter", folder / "starter")
    out = base / "out"
    completed = grade([folder], out, "--batch", "--jobs", "2")
    assert completed.returncode == 0, completed.stderr
    return out, completed


def test_the_catalogue_has_at_least_twenty_mutants_over_every_module():
    assert len(mutants.MUTANTS) >= 20
    assert {mutant.module for mutant in mutants.MUTANTS} == set(load_rubric().modules)


def test_solution_gets_full_marks(graded_mutants):
    out, _ = graded_mutants
    document = results(out, "solution")
    assert failed_outputs(document) == {}
    assert document["score"] == document["extra_data"]["max_score"] == 100


def test_starter_gets_zero_and_every_test_is_reported_as_not_implemented(graded_mutants):
    out, _ = graded_mutants
    document = results(out, "starter")
    rubric = load_rubric()
    expected = sum(1 for test in rubric.tests for variant in ("public", "hidden") if test.runs_in(variant))
    assert len(document["tests"]) == expected
    assert document["score"] == 0
    assert all(test["score"] == 0 and test["output"].startswith("not implemented yet") for test in document["tests"])


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda mutant: mutant.name)
def test_mutant_loses_points_only_in_the_module_it_breaks(graded_mutants, mutant):
    out, _ = graded_mutants
    row = gradebook(out)[mutant.name]
    maxima = module_maxima()
    assert float(row[mutant.module]) < maxima[mutant.module], f"{mutant.name} kept every point of {mutant.module}"
    for module, maximum in maxima.items():
        if module != mutant.module:
            assert float(row[module]) == maximum, f"{mutant.name} lost points in {module}, which it does not touch"


def test_correct_code_written_differently_gets_full_marks(graded_mutants):
    out, _ = graded_mutants
    document = results(out, "equivalent")
    assert failed_outputs(document) == {}, failed_outputs(document)
    assert document["score"] == 100


@pytest.mark.parametrize(
    "mutant, expected_words",
    [
        ("cross_entropy_missing_1_over_m", "factor of m"),
        ("layer_dropped_transpose", ".T"),
        ("mse_backward_sign_flipped", "sign"),
        ("layer_bias_gradient_averaged", "sum over axis 0"),
        ("softmax_without_max_shift", "maximum"),
        ("sgd_velocity_shared_by_every_parameter", "(layer position, key)"),
        ("loader_shuffles_x_apart_from_y", "same permutation"),
        ("loader_same_order_every_pass", "new permutation"),
        ("relu_forward_mutates_input", "modified its input"),
        ("sigmoid_loops_over_examples", "loops in Python"),
        ("softmax_normalised_over_columns", "row of the result must sum to 1"),
        ("softmax_subtracts_row_mean", "not the mean"),
        ("relu_backward_passes_dY_at_zero", "Z > 0"),
        ("cross_entropy_without_floor", "exactly 0"),
        ("adam_eps_inside_the_square_root", "outside the square root"),
        ("sgd_weight_decay_added_into_the_gradient", "changed layer"),
        ("layer_forgets_bias", "bias is missing"),
        ("model_predict_wrong_axis", "np.argmax"),
        ("model_backward_in_forward_order", "from the last layer to the first"),
        ("layer_skips_activation_derivative", "activation"),
    ],
)
def test_failure_messages_name_the_likely_cause(graded_mutants, mutant, expected_words):
    out, _ = graded_mutants
    outputs = failed_outputs(results(out, mutant))
    assert any(expected_words in text for text in outputs.values()), outputs


def test_a_failed_comparison_shows_call_shapes_values_and_largest_error(graded_mutants):
    out, _ = graded_mutants
    outputs = failed_outputs(results(out, "cross_entropy_missing_1_over_m"))
    text = next(text for name, text in outputs.items() if name.startswith("loss.cross_entropy_forward [public]"))
    for part in ("CrossEntropyLoss.forward(Y, Y_hat)", "of shape (6, 4)", "expected:", "received:", "largest absolute error"):
        assert part in text, text


@pytest.mark.parametrize("other", ["hidden", "fresh"])
def test_hidden_and_fresh_tests_use_other_inputs_than_public_ones(other):
    public, unshipped = load_references("public"), load_references(other)
    assert public.keys() == unshipped.keys()
    for test_id in public:
        differs = [
            name for name, array in public[test_id].inputs.items()
            if array.shape != unshipped[test_id].inputs[name].shape or not np.array_equal(array, unshipped[test_id].inputs[name])
        ]
        assert differs, f"{test_id}: every input is the same in {other} as in public"


def test_every_rubric_test_has_exactly_one_check_and_the_total_is_100():
    rubric = load_rubric()
    assert rubric.total == 100, (
        f"the rubric's code part adds up to {rubric.total:g}, not 100: the README, the handout's text and the fair points of "
        "tests/fairness/catalogue.py assume the module totals of rubric.toml; change them together"
    )
    checks = set()
    for path in (ROOT / "autograder" / "checks").glob("test_*.py"):
        module = path.stem.removeprefix("test_")
        text = path.read_text()
        checks |= {f"{module}.{line.split('(')[0][len('def test_'):]}" for line in text.splitlines() if line.startswith("def test_")}
    assert checks == {test.id for test in rubric.tests}
    assert available_variants() == ["fresh", "hidden", "public"]


def test_grading_refuses_a_damaged_reference_file(tmp_path):
    """A copy of the grader whose hidden references were edited must refuse to grade anyone."""
    copy = tmp_path / "kit"
    for name in ("autograder", "starter", "solution"):
        mutants.copy_tree(name, copy / name)
    target = copy / "autograder" / "reference" / "hidden" / "loss.npz"
    data = bytearray(target.read_bytes())
    data[-200] ^= 0xFF
    target.write_bytes(bytes(data))
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "solution", "--out", str(tmp_path / "out")],
        cwd=copy, capture_output=True, text=True,
    )
    assert completed.returncode == 2
    assert "does not match its SHA-256" in completed.stderr and "hidden/loss.npz" in completed.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_an_exception_shows_the_students_own_frames_only(tmp_path):
    source = (ROOT / "solution" / "activations.py").read_text().replace("        return np.maximum(Z, 0.0)", "        return {}[Z.shape]")
    submission = solution_with(tmp_path / "raises", {"activations": source})
    completed = grade([submission], tmp_path / "out", "--public-only")
    assert completed.returncode == 0, completed.stderr
    text = failed_outputs(results(tmp_path / "out", "raises"))
    relu = next(output for name, output in text.items() if name.startswith("activations.relu_forward"))
    assert "KeyError" in relu and "activations.py, line" in relu and "return {}[Z.shape]" in relu
    assert "probes.py" not in relu and "run.py" not in relu and "harness" not in relu
    assert not relu.startswith("not implemented")


def test_check_prints_a_full_table_for_the_starter():
    completed = subprocess.run([sys.executable, "-m", "autograder", "check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    rubric = load_rubric()
    for test in rubric.tests:
        assert f"{test.id} [public]" in completed.stdout
    assert "TOTAL" in completed.stdout and "0 / 50" in completed.stdout
    assert "Not implemented yet" in completed.stdout


def test_results_json_follows_the_gradescope_format(graded_mutants):
    out, _ = graded_mutants
    for submission_id in ("solution", "starter", "layer_dropped_transpose"):
        document = json.loads((out / submission_id / "results.json").read_text())
        assert set(document) >= {"score", "output", "execution_time", "tests", "extra_data"}
        assert isinstance(document["score"], (int, float)) and isinstance(document["execution_time"], (int, float))
        assert document["extra_data"]["max_score"] == sum(test["max_score"] for test in document["tests"]) == 100
        assert abs(document["score"] - sum(test["score"] for test in document["tests"])) < 1e-9
        for test in document["tests"]:
            assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["status"] in ("passed", "failed")
            assert test["visibility"] == ("visible" if "[public]" in test["name"] else "after_published")
            assert 0 <= test["score"] <= test["max_score"]


def test_results_do_not_depend_on_jobs_or_order(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    chosen = [mutant for mutant in mutants.MUTANTS if mutant.name in ("layer_dropped_transpose", "loader_same_order_every_pass", "adam_without_bias_correction")]
    paths = [mutants.build(mutant.changes, folder / mutant.name) for mutant in chosen]
    paths += [mutants.copy_tree("starter", folder / "starter"), ROOT / "examples" / "submissions" / "alice_correct.zip"]
    one = grade(paths, tmp_path / "one", "--jobs", "1")
    two = grade(list(reversed(paths)), tmp_path / "two", "--jobs", "2")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert (tmp_path / "one" / "gradebook.csv").read_text() == (tmp_path / "two" / "gradebook.csv").read_text()
    for path in paths:
        submission_id = path.stem if path.suffix == ".zip" else path.name
        assert comparable(results(tmp_path / "one", submission_id)) == comparable(results(tmp_path / "two", submission_id))
        assert (tmp_path / "one" / submission_id / "feedback.md").read_text() == (tmp_path / "two" / submission_id / "feedback.md").read_text()


def graded_edits(tmp_path, name: str, edits, *options: str) -> dict:
    """Grade solution/ with ``edits`` applied (each must apply) and return its results."""
    mutants.apply(edits, tmp_path / name)
    completed = grade([tmp_path / name], tmp_path / "out", *options)
    assert completed.returncode == 0, completed.stderr
    return results(tmp_path / "out", name)


def scores(document: dict) -> dict[str, float]:
    return {test["name"].split(":")[0]: test["score"] for test in document["tests"]}


def test_a_forward_bug_costs_the_forward_tests_only(graded_mutants):
    """In points, not status: a backward test that "passed" with its points zeroed would be lost."""
    out, _ = graded_mutants
    document = results(out, "layer_forgets_bias")
    lost = {name for name, points in scores(document).items() if points < maximum_of(document, name)}
    assert "layers.forward [public]" in lost and "layers.forward [hidden]" in lost
    backward = [name for name in scores(document) if name.startswith(("layers.backward_input", "layers.backward_weights", "layers.backward_bias"))]
    assert len(backward) == 6 and not set(backward) & lost, lost
    assert not {name for name in lost if not name.startswith("layers.")}, lost
    sigmoid = results(out, "sigmoid_sign_flipped")  # its backward calls self.forward, which is wrong
    backward = [name for name in scores(sigmoid) if name.startswith("activations.sigmoid_backward")]
    assert len(backward) == 2 and all(scores(sigmoid)[name] == maximum_of(sigmoid, name) for name in backward), scores(sigmoid)


def maximum_of(document: dict, name: str) -> float:
    return next(test["max_score"] for test in document["tests"] if test["name"].split(":")[0] == name)


def test_foreign_imports_cost_only_the_functions_that_use_them(tmp_path):
    unused = graded_edits(tmp_path, "unused", [mutants.Edit("util", "import numpy as np\n", "import numpy as np\nimport matplotlib.pyplot as plt\nfrom tqdm import tqdm\n")], "--public-only")
    assert unused["score"] == 50, failed_outputs(unused)
    assert any("imports matplotlib" in note and "line" in note for note in unused["extra_data"]["notes"])
    used = graded_edits(tmp_path, "used", [
        mutants.Edit("activations", "import numpy as np\n", "import numpy as np\nfrom scipy.special import expit\n"),
        mutants.Edit("activations", "return 1.0 / (1.0 + np.exp(-Z))", "return expit(Z)"),
    ], "--public-only")
    failed = failed_outputs(used)
    assert {name.split(" [")[0] for name in failed} <= {"activations.sigmoid_forward", "activations.shapes_and_dtypes", "activations.inputs_unchanged", "activations.vectorised"}
    assert any("scipy is not available when your code is graded" in text for text in failed.values()), failed
    row = gradebook(tmp_path / "out")["used"]
    assert float(row["layers"]) == 10 and float(row["activations"]) < 14


def test_a_broken_module_is_replaced_by_a_stub_that_needs_nothing_from_the_others(tmp_path):
    """util.py keeps only what its own code needs (no check_same_shape, no check_matrix), the
    other modules don't use those helpers, and layers.py does not even parse: only layers loses."""
    helpers = (mutants.ROOT / "solution" / "util.py").read_text()
    start, end = helpers.index("def check_matrix("), helpers.index("# --------------------------------------------------------------------------------------------\n# Labels")
    edits = [mutants.Edit("util", helpers[start:end], "\n")]
    for module in ("activations", "loss", "optimizer"):
        source = (mutants.ROOT / "solution" / f"{module}.py").read_text()
        line = next(line for line in source.splitlines() if line.startswith("from .util import"))
        edits.append(mutants.Edit(module, line + "\n", "check_matrix = check_same_shape = lambda *args: None\n"))
    edits.append(mutants.Edit("layers", "def forward(self, X", "def forward(self X", count=2))
    document = graded_edits(tmp_path, "broken_layers", edits, "--public-only")
    row = gradebook(tmp_path / "out")["broken_layers"]
    assert float(row["layers"]) == 0
    assert {module: float(row[module]) for module in ("activations", "loss", "optimizer", "model", "util")} == {
        "activations": 14, "loss": 7, "optimizer": 7, "model": 6, "util": 6}, failed_outputs(document)


def test_hidden_and_fresh_expected_values_never_reach_the_feedback(graded_mutants):
    """Every failed hidden or fresh comparison describes the difference without the values."""
    out, _ = graded_mutants
    hidden, fresh = load_references("hidden"), load_references("fresh")
    leaks = []
    for name in ("cross_entropy_missing_1_over_m", "layer_dropped_transpose", "mse_mean_over_every_entry", "sigmoid_sign_flipped"):
        document = results(out, name)
        for test in document["tests"]:
            test_id = test["name"].split(" [")[0]
            text = test["output"]
            references = hidden if "[hidden]" in test["name"] else fresh if "fresh inputs" in text else None
            if references is None or test_id not in references:
                continue
            for array in references[test_id].outputs.values():
                for value in np.asarray(array, dtype=float).ravel()[:20]:
                    if abs(value) > 1e-3 and f"{value:.4g}" in text:
                        leaks.append((name, test["name"], f"{value:.4g}"))
    assert not leaks, leaks
    text = "".join(test["output"] for test in results(out, "cross_entropy_missing_1_over_m")["tests"] if "[hidden]" in test["name"])
    assert "the expected values are not shown" in text
