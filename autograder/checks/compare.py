"""Compare a student's arrays with expected ones and explain the difference to a student.

Everything here runs in the grading process on plain arrays; nothing calls submission code.
A failed comparison raises ``CheckFailed`` with a message that says what was called, on what
shapes, what was expected and received (abbreviated), where they differ most, and, when it can
tell, the likely cause.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..outcome import Kind, Outcome
from ..tolerances import Tolerance, for_result


class CheckFailed(AssertionError):
    """A check failed. The message is written for the student; ``outcome`` holds it with the
    fields reports count (outcome.Outcome: the kind, limits hit, likely causes, functions not
    written), so that no report has to read the message."""

    def __init__(self, message: str, kind: Kind = Kind.FAILED, **fields):
        super().__init__(message)
        self.outcome = Outcome(Kind(kind), message, **fields)

    @property
    def kind(self) -> Kind:
        return self.outcome.kind


def shape_text(array) -> str:
    return str(tuple(np.shape(array)))


def abbreviate(array) -> str:
    """A short, readable rendering of an array (corners only for big ones)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{array.item():.6g}" if array.dtype.kind == "f" else str(array.item())
    text = np.array2string(array, precision=4, threshold=16, edgeitems=2, max_line_width=90, suppress_small=False)
    return text if len(text) < 600 else text[:600] + " ..."


def _within(received: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> np.ndarray:
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return np.abs(received - expected) <= tolerance.atol * scale + tolerance.rtol * np.abs(expected)


def close(received: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> bool:
    """True when the arrays have the same shape and agree within the tolerance (and are finite);
    float32 results are judged with the single-precision tolerance (see tolerances.py)."""
    tolerance = for_result(received, tolerance)
    received, expected = np.asarray(received, dtype=float), np.asarray(expected, dtype=float)
    if received.shape != expected.shape or not np.all(np.isfinite(received)):
        return False
    return bool(np.all(_within(received, expected, tolerance)))


def constant_factor(received: np.ndarray, expected: np.ndarray) -> float | None:
    """c when received ~ c * expected for one constant c (within 1e-6 relative), else None."""
    denominator = float(np.sum(expected * expected))
    if denominator == 0.0 or not np.all(np.isfinite(received)):
        return None
    factor = float(np.sum(received * expected)) / denominator
    residual = np.linalg.norm(received - factor * expected)
    return factor if residual <= 1e-6 * np.linalg.norm(expected) * max(1.0, abs(factor)) else None


def likely_cause(received, expected, batch_size: int | None, suspects: Mapping[str, np.ndarray] | None) -> str | None:
    """A guess at the mistake behind a wrong result, or None when nothing fits."""
    received, expected = np.asarray(received, dtype=float), np.asarray(expected, dtype=float)
    if received.shape != expected.shape:
        if received.shape == expected.shape[::-1] and received.ndim == 2:
            if np.allclose(received.T, expected, rtol=1e-6, atol=1e-9):
                return "the result is the transpose of the expected one: check the order of a matrix product or a .T"
            return "the shape is transposed: check the order of a matrix product or a missing .T"
        if received.size == expected.size:
            return "the right number of entries in the wrong shape: check reshapes, keepdims or the axis of a sum"
        return None
    for hint, suspect in (suspects or {}).items():
        suspect = np.asarray(suspect, dtype=float)
        if suspect.shape == received.shape and np.allclose(received, suspect, rtol=1e-6, atol=1e-9):
            return hint
    if not np.all(np.isfinite(received)):
        return "the result contains nan or inf: an overflow (exp of a large number?) or a division by zero?"
    if not np.any(received) and np.any(expected):
        return "the result is all zeros"
    factor = constant_factor(received, expected)
    if factor is None:
        return None
    m = batch_size or 0
    if abs(factor - 1) < 1e-4:
        return None  # the same up to round-off: nothing a constant explains
    if abs(factor + 1) < 1e-6:
        return "the sign is flipped"
    if m > 1 and abs(factor - m) < 1e-6 * m:
        return f"off by a factor of m = {m} (the batch size): a missing 1/m, or a sum where a mean belongs?"
    if m > 1 and abs(factor - 1 / m) < 1e-6 / m:
        return f"off by a factor of 1/m = 1/{m}: dividing by the batch size twice, or a mean where a sum belongs?"
    if abs(factor - 2) < 1e-6 or abs(factor - 0.5) < 1e-6:
        return f"off by a factor of {factor:g}: check the constant in front (the 2 of a square?)"
    return f"every entry is {factor:.6g} times the expected one: a constant factor is off"


def describe_difference(received: np.ndarray, expected: np.ndarray, reveal: bool = True) -> str:
    """Where the arrays differ most, in absolute and relative terms (values only when ``reveal``)."""
    received, expected = np.asarray(received, dtype=float), np.asarray(expected, dtype=float)
    if received.size == 0:
        return ""
    lines = []
    bad = ~np.isfinite(received)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        lines.append(f"first non-finite value at {list(first)}: received {received[first]}")
    difference = np.where(bad, 0.0, np.abs(received - expected))
    largest = np.unravel_index(int(np.argmax(difference)), difference.shape)
    index = [int(i) for i in largest]
    values = f" (expected {expected[largest]:.6g}, received {received[largest]:.6g})" if reveal else ""
    lines.append(f"largest absolute error {difference[largest]:.3g} at {index}{values}")
    relative = difference / np.maximum(np.abs(expected), 1e-12)
    worst = np.unravel_index(int(np.argmax(relative)), relative.shape)
    lines.append(f"largest relative error {relative[worst]:.3g} at {[int(i) for i in worst]}")
    return "\n".join(lines)


def require_close(
    received,
    expected,
    tolerance: Tolerance,
    *,
    what: str,
    call: str,
    batch_size: int | None = None,
    suspects: Mapping[str, np.ndarray] | None = None,
    advice: str | None = None,
    reveal: bool = True,
) -> None:
    """Raise CheckFailed unless ``received`` matches ``expected``; ``what`` names the quantity.

    With ``reveal=False`` (hidden tests) the message describes the difference without showing the
    expected values, so feedback never hands hidden reference outputs to students."""
    received, expected = np.asarray(received), np.asarray(expected)
    if received.dtype.kind not in "biuf":
        raise CheckFailed(f"{call}: {what} should be numbers, received dtype {received.dtype}")
    if close(received, expected, tolerance):
        return
    parts = [f"{call}: {what} is wrong."]
    tolerance = for_result(received, tolerance)
    if received.shape != expected.shape:
        parts.append(f"  expected shape {shape_text(expected)}, received shape {shape_text(received)}")
    if reveal:
        parts.append("  expected: " + abbreviate(expected).replace("\n", "\n            "))
        parts.append("  received: " + abbreviate(received).replace("\n", "\n            "))
    else:
        parts.append("  (a hidden test: the expected values are not shown; the public test of the same name shows them)")
    if received.shape == expected.shape:
        parts.append("  " + describe_difference(received, expected, reveal).replace("\n", "\n  "))
    cause = likely_cause(received, expected, batch_size, suspects)
    if cause:
        parts.append(f"  likely cause: {cause}")
    if advice:
        parts.append(f"  hint: {advice}")
    raise CheckFailed("\n".join(parts), likely_causes=(cause,) if cause else ())


def require_shape_and_dtype(value, shape: tuple, dtype: str, *, what: str, call: str) -> None:
    """``dtype`` is "float64", or a string of accepted dtype kinds ("iu" for any integer)."""
    value = np.asarray(value)
    if value.shape != tuple(shape):
        raise CheckFailed(f"{call}: {what} has shape {shape_text(value)}, expected {tuple(shape)}")
    if dtype == "float64" and value.dtype != np.float64:
        raise CheckFailed(f"{call}: {what} has dtype {value.dtype}, expected float64 (NumPy's default; avoid float32 and ints)")
    if dtype != "float64" and value.dtype.kind not in dtype:
        kinds = {"iu": "integer", "b": "boolean"}
        raise CheckFailed(f"{call}: {what} has dtype {value.dtype}, expected {kinds.get(dtype, dtype)}")
