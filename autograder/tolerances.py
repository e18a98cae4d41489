"""Every numerical tolerance the grader uses, with the reason for its value.

A comparison passes when, elementwise, |received - expected| <= atol * scale + rtol * |expected|,
where scale = max(1, max |expected|) makes atol relative to the size of the whole array, so that
entries which are zero up to round-off are judged against the array they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    why: str


REFERENCE = Tolerance(
    rtol=1e-6,
    atol=1e-9,
    why=(
        "Outputs compared with the reference solution. Equivalent float64 formulas (tanh from exp, "
        "sigmoid as exp(z) / (1 + exp(z)), a loop instead of einsum, clipping probabilities at 1e-7 "
        "or below) agree to about 1e-12; every mistake we have seen (a missing 1/m, a transpose, a "
        "sign) is off by far more than 1e-6."
    ),
)

GRADIENT = Tolerance(
    rtol=1e-5,
    atol=1e-7,
    why=(
        "Backward compared with central differences of the student's own forward. With the step "
        "FINITE_DIFFERENCE_STEP below the truncation error is about eps**2 ~ 1e-12 and the round-off "
        "about 1e-16 / eps ~ 1e-10 per term; 1e-5 leaves a wide margin for those and none for a "
        "wrong formula."
    ),
)

FINITE_DIFFERENCE_STEP = 1e-6
"""Central-difference step: balances truncation error (~eps**2) against round-off (~1e-16 / eps).
Inputs of gradient tests keep every kink (ReLU's 0) at least 0.1 away, so no step crosses one."""

VECTORISED_LINE_SLACK = 2
"""A function may run this many more lines of the student's code on a 64-row batch than on an
8-row batch and still count as vectorised (say, a branch taken only for bigger inputs). A loop over
examples runs at least 56 more."""
