"""What every check uses: the case a test looks at, and the generic comparisons.

Checks see only plain arrays: the inputs that were sent, the reference outputs of the solution, and
what the sandboxed submission sent back. A check fails by raising ``CheckFailed`` (through the
helpers here) with a message for the student.

Everything the sandbox sends back comes from a process the submission controls, so every point is
earned against data the submission never sees: reference outputs (on hidden inputs, or on "fresh"
twins of the public ones), or the submission's own source text. Observations that only the
sandbox can make (an input left unchanged, the lines a call ran) are checked too, but never on
their own: a test that relies on them also requires the values its calls returned to be right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder import tolerances
from autograder.checks.loops import loops_in
from autograder.compare import (
    CheckFailed,
    central_differences,
    close,
    require_close,
    require_shape_and_dtype,
    shape_text,
)

NOT_IMPLEMENTED = "Not implemented yet"


@dataclass
class Case:
    """One test in one variant: inputs, reference outputs, the submission's outputs and source."""

    test_id: str
    variant: str
    args: dict
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    source: str = ""  # the submission's module file, as text (read, never run, by the grader)

    def output(self, name: str, call: str) -> np.ndarray:
        """The submission's value called ``name``; a failure naming the call when it is missing."""
        if name not in self.outputs:
            reason = "; ".join(f"{label}: {note}" for label, note in self.notes.items())
            raise CheckFailed(f"{call}: no result came back" + (f" ({reason})" if reason else ""))
        return self.outputs[name]

    @property
    def reveal(self) -> bool:
        """Whether messages may show expected values: only for inputs students already have."""
        return self.variant == "public"


def shapes_of(case: Case, *names: str) -> str:
    return ", ".join(f"{name} of shape {shape_text(case.inputs[name])}" for name in names)


def batch_size(case: Case) -> int | None:
    """m, the number of examples the case's batch holds (for "off by a factor of m" hints)."""
    for name in ("X", "Z", "Y_hat", "Y"):
        if np.ndim(case.inputs.get(name)) == 2:
            return len(case.inputs[name])
    return None


def matches_reference(
    case: Case, name: str, call: str, *, what: str | None = None, advice: str | None = None, suspects=None
) -> None:
    """The submission's ``name`` equals the reference's, within tolerances.REFERENCE."""
    require_close(
        case.output(name, call),
        case.expected[name],
        tolerances.REFERENCE,
        what=what or name,
        call=call,
        batch_size=batch_size(case),
        suspects=suspects,
        advice=advice,
        reveal=case.reveal,
    )


def gradient_matches(
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
    """The gradient ``analytic`` equals the reference gradient.

    When it does not, central differences of the submission's own forward (its outputs at
    ``point`` +- eps, recorded as ``<stack>_plus/_minus``; ``upstream`` is the dL/dY of
    L = sum(upstream * forward), or None for a scalar forward) tell the student whether the
    backward is at fault or the forward it differentiates.
    """
    received = case.output(analytic, call)
    expected = case.expected[analytic]
    if close(received, expected, tolerances.REFERENCE):
        return
    diagnosis = own_forward_diagnosis(case, received, stack, point, upstream)
    require_close(
        received,
        expected,
        tolerances.REFERENCE,
        what=f"{analytic} (the gradient)",
        call=call,
        batch_size=len(point) if np.ndim(point) == 2 else None,
        suspects=suspects,
        advice="; ".join(part for part in (advice, diagnosis) if part) or None,
        reveal=case.reveal,
    )


def own_forward_diagnosis(case: Case, received, stack: str, point: np.ndarray, upstream) -> str | None:
    """What central differences of the submission's own forward say about its backward."""
    plus, minus = case.outputs.get(f"{stack}_plus"), case.outputs.get(f"{stack}_minus")
    expected_stack = (point.size, *(np.shape(upstream) if upstream is not None else ()))
    if plus is None or minus is None or plus.shape != expected_stack or minus.shape != expected_stack:
        return None
    if not (np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
        return "your forward returns nan or inf near these inputs"
    numerical = central_differences(plus, minus, upstream, tolerances.FINITE_DIFFERENCE_STEP, point.shape)
    if close(received, numerical, tolerances.GRADIENT):
        return (
            "your backward agrees with finite differences of your own forward, so that forward computes "
            "another function than the assignment's: fix the forward (see its test) and this gradient follows"
        )
    return "it does not agree with finite differences of your own forward either: the backward's formula is off"


def calls_succeeded(case: Case, labels: list[str]) -> None:
    """Fail unless every call the probe attempted under these labels ran without an exception."""
    failed = {label: case.notes[label] for label in labels if label in case.notes}
    if not failed:
        return
    not_implemented = [label for label, note in failed.items() if note.startswith("not implemented yet")]
    if not_implemented:  # other failures are most likely consequences of these
        raise CheckFailed(f"{NOT_IMPLEMENTED}: " + ", ".join(not_implemented))
    raise CheckFailed("could not run this check:\n" + "\n".join(f"  {label}: {note}" for label, note in failed.items()))


def results_right(case: Case, names: list[str], call: str) -> None:
    """The recorded results of the calls a property check made are themselves right."""
    for name in names:
        try:
            matches_reference(case, name, call, what=f"the result {name}")
        except CheckFailed as failure:
            raise CheckFailed(
                "This test counts only when the calls it makes return right results, and one did not "
                f"(the test of that function in this module says more):\n{failure}"
            ) from None


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


def loops_over_examples(case: Case, functions: list[str], allowed_loops: str = "") -> None:
    """None of the functions loops in Python: its source holds no loop (read here, where the
    submission cannot interfere), and in the sandbox it ran no more of the student's lines on 64
    rows than on 8. The results of those runs must be right too."""
    calls_succeeded(case, functions)
    for label in functions:
        for size in ("small", "large"):
            matches_reference(case, f"{label}/{size}", f"{label} on {8 if size == 'small' else 64} rows")
    looping = []
    for label in functions:
        found = loops_in(case.source, label)
        if found:
            looping.append(f"{label} has {', '.join(found)}")
            continue
        small, large = (int(value) for value in case.output(label, label))
        if large > small + tolerances.VECTORISED_LINE_SLACK:
            looping.append(f"{label} ran {small} lines of your code on 8 rows but {large} on 64 rows")
    if looping:
        raise CheckFailed(
            "these loop over the examples of the batch: " + "; ".join(looping) + ". Use whole-array "
            "NumPy operations (elementwise arithmetic, broadcasting, matrix products, sums over an axis)"
            + (f"; {allowed_loops}" if allowed_loops else ".")
        )


def has_shape_and_dtype(case: Case, name: str, shape, kind: str, call: str) -> None:
    require_shape_and_dtype(case.output(name, call), shape, kind, what=name, call=call)
