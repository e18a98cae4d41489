"""Partial credit is compared in points: a mistake costs exactly the tests about it.

Each submission below is solution/ with one function replaced whole (tests/mutants.py). Its fair
points are written here from the rubric before grading: every test keeps its maximum except the
ones named, which lose what is named. Comparing status alone would let a grader bug pass that keeps
a test "passed" but zeroes its points, or a crash that zeroes the module's other tests. These run
in `make test-fast`.
"""

from __future__ import annotations

import pytest

import mutants
from autograder.rubric import load_rubric
from grader_support import ROOT, failed_outputs, grade, gradebook, results

BACKWARD_SETS_THEN_RAISES = """\
def backward(self, dLdY):
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = X.T @ dZ
    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
    raise ValueError("dX is not finished")
"""
BACKWARD_SETS_THEN_RETURNS_NONE = BACKWARD_SETS_THEN_RAISES.replace('    raise ValueError("dX is not finished")\n', "    return None\n")
LEN_RETURNS_A_FLOAT = """\
def __len__(self):
    return self.X.shape[0] / self.batch_size
"""


def graded(tmp_path, name: str, changes: dict, *options: str) -> tuple[dict, dict]:
    """results.json and the gradebook row of solution/ with ``changes``."""
    mutants.build(changes, tmp_path / name)
    completed = grade([tmp_path / name], tmp_path / "out", *options)
    assert completed.returncode == 0, completed.stderr
    return results(tmp_path / "out", name), gradebook(tmp_path / "out")[name]


def assert_points(graded_as: tuple[dict, dict], lost: dict[str, float], variants: tuple[str, ...]) -> None:
    """Every test of ``variants`` at its maximum, except the tests of ``lost`` (test id -> points
    lost in each variant); every module's total in the gradebook to match."""
    document, row = graded_as
    rubric = load_rubric()
    got = {test["name"].split(":")[0]: test["score"] for test in document["tests"]}
    wanted = {}
    for test in rubric.tests:
        for variant in variants:
            if test.runs_in(variant):
                wanted[f"{test.id} [{variant}]"] = test.points[variant] - lost.get(test.id, 0.0)
    assert got == pytest.approx(wanted), {name: (got.get(name), points) for name, points in wanted.items() if got.get(name) != pytest.approx(points)}
    for module in rubric.modules:
        fair = rubric.points(module, variants) - sum(points * len(variants) for test_id, points in lost.items() if test_id.startswith(f"{module}."))
        assert float(row[module]) == pytest.approx(fair), (module, row)


def test_what_a_backward_set_before_it_raised_still_counts(tmp_path):
    """Fair, by the fairness catalogue's rules (tests/fairness/catalogue.py: a crash keeps what was
    set before it; a function's share of a property test is lost when its results there are
    wrong): dW and db keep their 2 + 1.5 points; the dL/dX test loses its 2, and backward's half of
    batch_of_one_non_square (0.25), where it gives no dL/dX either; the other property tests look
    at what it did produce."""
    document, row = graded(tmp_path, "raises_late", {"layers": {"FullyConnectedLayer.backward": BACKWARD_SETS_THEN_RAISES}})
    assert_points((document, row), {"layers.backward_input": 2.0, "layers.batch_of_one_non_square": 0.25}, ("public", "hidden"))
    assert "dX is not finished" in failed_outputs(document)["layers.backward_input [public]: " + load_rubric().test("layers.backward_input").title]


def test_a_backward_that_returns_none_costs_only_the_input_gradient(tmp_path):
    document, row = graded(tmp_path, "returns_none", {"layers": {"FullyConnectedLayer.backward": BACKWARD_SETS_THEN_RETURNS_NONE}}, "--public-only")
    assert_points((document, row), {"layers.backward_input": 2.0, "layers.batch_of_one_non_square": 0.25}, ("public",))
    assert any("returned None" in text for text in failed_outputs(document).values())
    # What people read shows two decimals (results.json and the gradebook keep four): 10 - 2 - 0.25.
    feedback = (tmp_path / "out" / "returns_none" / "feedback.md").read_text()
    assert "| layers | 7.75 / 10 |" in feedback and "**Score: 47.75 / 50**" in feedback, feedback[:3000]
    assert "| layers.batch_of_one_non_square [public] | 0.25 / 0.5 |" in feedback, feedback[:3000]


def test_a_len_that_returns_a_float_costs_only_the_len_test(tmp_path):
    document, row = graded(tmp_path, "float_len", {"util": {"DataLoader.__len__": LEN_RETURNS_A_FLOAT}}, "--public-only")
    assert_points((document, row), {"util.loader_len": 0.5}, ("public",))
    assert "must return an int" in next(iter(failed_outputs(document).values()))


def test_the_sample_submissions_lose_points_only_where_their_mistakes_are(tmp_path):
    """examples/submissions/ as scripts/make_examples.py describes them, per module: Bob's averaged
    bias gradient and momentum-less SGD cost some of layers and optimizer and his unattempted
    model.py all of it; Carol's layers.py crashes at import (0) and her unused torch import costs
    nothing; Dave's syntax error costs model.py; Alice keeps everything."""
    completed = grade([ROOT / "examples" / "submissions"], tmp_path / "out", "--batch", "--public-only")
    assert completed.returncode == 0, completed.stderr
    book = gradebook(tmp_path / "out")
    public = {module: load_rubric().points(module, ("public",)) for module in load_rubric().modules}
    expected = {
        "alice_correct": {},
        "bob_partial": {"layers": "some", "optimizer": "some", "model": 0.0},
        "carol_crashes_on_import": {"layers": 0.0},
        "dave_syntax_error": {"model": 0.0},
    }
    assert set(book) == set(expected)
    for name, losses in expected.items():
        for module, maximum in public.items():
            got, wanted = float(book[name][module]), losses.get(module, maximum)
            if wanted == "some":
                assert 0 < got < maximum, (name, module, got)
            else:
                assert got == wanted, (name, module, got, failed_outputs(results(tmp_path / "out", name)))
