"""The grading tolerances tell a right answer from an approximate one (tolerances.py).

Equivalent float64 formulas agree to about 1e-12; errors between 1e-6 and 1e-3 are approximations,
not rounding (a constant nudged by 1e-4, a derivative by finite differences), and must cost points.
A tolerance loosened to 1e-3 would let them all pass: these tests fail then.
"""

from __future__ import annotations

import numpy as np
import pytest

import mutants
from autograder.checks.compare import close
from autograder.tolerances import REFERENCE, SINGLE_PRECISION
from grader_support import grade, gradebook, module_maxima, results

EXPECTED = np.random.default_rng(7).normal(size=(6, 5))


@pytest.mark.parametrize("relative_error", [1e-9, 1e-8])
def test_round_off_is_accepted(relative_error):
    assert close(EXPECTED * (1 + relative_error), EXPECTED, REFERENCE)
    assert close((EXPECTED * (1 + 1e-6)).astype(np.float32), EXPECTED, REFERENCE), "a right float32 answer"


@pytest.mark.parametrize("relative_error", [1e-5, 1e-4, 5e-4])
def test_an_approximation_between_1e_6_and_1e_3_is_refused(relative_error):
    assert not close(EXPECTED * (1 + relative_error), EXPECTED, REFERENCE)
    near_zero = EXPECTED.copy()
    near_zero[0, 0] += relative_error * np.abs(EXPECTED).max()  # an entry off by that much of the array's scale
    assert not close(near_zero, EXPECTED, REFERENCE)


@pytest.mark.parametrize("relative_error", [1e-3, 5e-3])
def test_a_float32_result_off_by_more_than_float32_rounding_is_refused(relative_error):
    assert not close((EXPECTED * (1 + relative_error)).astype(np.float32), EXPECTED, SINGLE_PRECISION)


SIGMOID_NUDGED = """\
def forward(self, Z):
    return 1.0001 / (1.0 + np.exp(-Z))
"""
TANH_BACKWARD_BY_FINITE_DIFFERENCES = """\
def backward(self, Z, dY):
    h = 1e-2
    return dY * (np.tanh(Z + h) - np.tanh(Z - h)) / (2 * h)
"""


def test_approximate_answers_lose_their_tests(tmp_path):
    """A sigmoid off by 1e-4 relative and tanh's derivative by central differences (error about
    1e-5): each loses its value test; nothing else in the other modules moves."""
    submission = mutants.build({"activations": {"Sigmoid.forward": SIGMOID_NUDGED, "TanH.backward": TANH_BACKWARD_BY_FINITE_DIFFERENCES}}, tmp_path / "approximate")
    completed = grade([submission], tmp_path / "out", "--public-only")
    assert completed.returncode == 0, completed.stderr
    scores = {test["name"].split(" [")[0]: test["score"] for test in results(tmp_path / "out", "approximate")["tests"]}
    assert scores["activations.sigmoid_forward"] == 0 and scores["activations.tanh_backward"] == 0, scores
    assert scores["activations.sigmoid_backward"] > 0 and scores["activations.tanh_forward"] > 0
    row = gradebook(tmp_path / "out")["approximate"]
    assert all(float(row[module]) == maximum / 2 for module, maximum in module_maxima().items() if module != "activations"), row
