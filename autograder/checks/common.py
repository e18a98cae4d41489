"""What every check uses: the case a test looks at, and the generic comparisons.

Checks see only plain arrays: the inputs that were sent, the reference outputs of the solution, and
what the sandboxed submission sent back. A check fails by raising ``CheckFailed`` (through the
helpers here) with a message for the student.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder import tolerances
from autograder.compare import (
    CheckFailed,
    central_differences,
    require_close,
    require_shape_and_dtype,
    shape_text,
)

NOT_IMPLEMENTED = "Not implemented yet"


@dataclass
class Case:
    """One test in one variant: inputs, reference outputs and the submission's outputs."""

    test_id: str
    variant: str
    args: dict
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def output(self, name: str, call: str) -> np.ndarray:
        """The submission's value called ``name``; a failure naming the call when it is missing."""
        if name not in self.outputs:
            reason = "; ".join(f"{label}: {note}" for label, note in self.notes.items())
            raise CheckFailed(f"{call}: no result came back" + (f" ({reason})" if reason else ""))
        return self.outputs[name]

    def note_for(self, label: str) -> str | None:
        """The error recorded while calling ``label``, if any."""
        return self.notes.get(label)


def shapes_of(case: Case, *names: str) -> str:
    return ", ".join(f"{name} of shape {shape_text(case.inputs[name])}" for name in names)


def matches_reference(
    case: Case, name: str, call: str, *, what: str | None = None, advice: str | None = None, suspects=None
) -> None:
    """The submission's ``name`` equals the reference's, within tolerances.REFERENCE."""
    batch = next((len(value) for value in case.inputs.values() if np.ndim(value) == 2), None)
    require_close(
        case.output(name, call),
        case.expected[name],
        tolerances.REFERENCE,
        what=what or name,
        call=call,
        batch_size=batch,
        suspects=suspects,
        advice=advice,
        reveal=case.variant == "public",
    )


def matches_finite_differences(
    case: Case,
    analytic: str,
    stack: str,
    point: np.ndarray,
    upstream: np.ndarray | None,
    call: str,
    *,
    suspects=None,
    advice: str | None = None,
) -> None:
    """The analytic gradient ``analytic`` equals central differences of the submission's own forward.

    ``stack`` names the recorded forward outputs at ``point`` +- eps (``<stack>_plus/_minus``);
    ``upstream`` is the dL/dY the loss L = sum(upstream * forward) uses, or None for a scalar forward.
    """
    gradient = case.output(analytic, call)
    plus, minus = case.output(f"{stack}_plus", call), case.output(f"{stack}_minus", call)
    expected_stack = (point.size, *(np.shape(upstream) if upstream is not None else ()))
    if plus.shape != expected_stack or minus.shape != expected_stack:
        raise CheckFailed(
            f"{call}: your forward returned outputs of shape {shape_text(plus[0]) if plus.ndim else '()'}, "
            f"expected {shape_text(upstream) if upstream is not None else 'a single number'}, so the gradient "
            "could not be checked against finite differences of it"
        )
    if not (np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
        raise CheckFailed(f"{call}: your forward returned nan or inf near these inputs, so its gradient cannot be checked")
    numerical = central_differences(plus, minus, upstream, tolerances.FINITE_DIFFERENCE_STEP, point.shape)
    batch = len(point) if np.ndim(point) == 2 else None
    require_close(
        gradient,
        numerical,
        tolerances.GRADIENT,
        what=f"{analytic} (compared with central differences of your forward)",
        call=call,
        batch_size=batch,
        suspects=suspects,
        advice=advice,
        reveal=case.variant == "public",
    )


def calls_succeeded(case: Case, labels: list[str]) -> None:
    """Fail unless every call the probe attempted under these labels ran without an exception."""
    failed = {label: case.notes[label] for label in labels if label in case.notes}
    if not failed:
        return
    not_implemented = [label for label, note in failed.items() if note.startswith("not implemented yet")]
    if not_implemented:  # other failures are most likely consequences of these
        raise CheckFailed(f"{NOT_IMPLEMENTED}: " + ", ".join(not_implemented))
    raise CheckFailed("could not run this check:\n" + "\n".join(f"  {label}: {note}" for label, note in failed.items()))


def unchanged(case: Case, names: dict[str, str], call: str) -> None:
    """Each recorded array (key) equals the input it came from (value) exactly."""
    changed = []
    for recorded, original in names.items():
        value = case.output(recorded, call)
        if value.shape != case.inputs[original].shape or not np.array_equal(value, case.inputs[original]):
            changed.append(recorded)
    if changed:
        raise CheckFailed(
            f"{call} modified its inputs: {', '.join(changed)} changed after the call. Work on new arrays "
            "(e.g. Z * mask, np.maximum(Z, 0), X[rows]) instead of writing into the ones you are given "
            "(Z[Z < 0] = 0, X += ..., rng.shuffle(X))."
        )


def loops_over_examples(case: Case, labels: list[str], allowed_loops: str = "") -> None:
    """None of the functions runs more of the student's lines on 64 rows than on 8."""
    looping, missing = [], []
    for label in labels:
        if label not in case.outputs:
            missing.append(f"{label} ({case.notes.get(label, 'no result')})")
            continue
        small, large = (int(value) for value in case.outputs[label])
        if large > small + tolerances.VECTORISED_LINE_SLACK:
            looping.append(f"{label} ran {small} lines of your code on 8 rows but {large} on 64 rows")
    if missing:
        raise CheckFailed("could not check these for loops: " + "; ".join(missing))
    if looping:
        raise CheckFailed(
            "these loop over the examples of the batch: " + "; ".join(looping) + ". Use whole-array "
            "NumPy operations (elementwise arithmetic, broadcasting, matrix products, sums over an axis)"
            + (f"; {allowed_loops}" if allowed_loops else ".")
        )


def has_shape_and_dtype(case: Case, name: str, shape, kind: str, call: str) -> None:
    require_shape_and_dtype(case.output(name, call), shape, kind, what=name, call=call)
