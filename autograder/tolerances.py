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

SINGLE_PRECISION = Tolerance(
    rtol=1e-4,
    atol=1e-6,
    why=(
        "Results a student computed in float32 (or float16 cast up) hold about 7 digits, and a few "
        "products and sums lose one or two more; 1e-4 accepts every right float32 answer we have "
        "seen (the largest error measured was 2e-6) and rejects every mistake (a factor, a sign, "
        "a transpose, eps in the wrong place are all off by 1e-2 or far more). float32 costs only "
        "the tests that check the dtype itself."
    ),
)


REGENERATION = Tolerance(
    rtol=1e-12,
    atol=1e-12,
    why=(
        "When `make reference` regenerates the reference outputs, the committed ones stay unless a "
        "value moved by more than this. The same solution/ on a CPU with other SIMD paths or "
        "another BLAS kernel (NPY_DISABLE_CPU_FEATURES, OPENBLAS_CORETYPE) differs in the last few "
        "bits: at most 7e-15 relative per entry, measured; a real change to solution/ or to the "
        "cases moves values by far more, and REFERENCE grades with 1e-6, a million times looser, "
        "so references kept within 1e-12 grade exactly as freshly computed ones would."
    ),
)


def for_result(received, tolerance: Tolerance = REFERENCE) -> Tolerance:
    """The tolerance for a received array: single precision for float32/float16 results."""
    import numpy as np

    kind = np.asarray(received).dtype
    return SINGLE_PRECISION if kind.kind == "f" and kind.itemsize < 8 and tolerance is REFERENCE else tolerance
