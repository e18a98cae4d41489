"""What every check uses: the case a test looks at, the comparisons, and per-function parts.

Checks see only plain arrays: the inputs that were sent, the reference outputs of the solution, and
what the sandboxed submission sent back (all it recorded, also when its code raised part way). A
check fails by raising ``CheckFailed`` (through the helpers here) with a message for the student.

Everything the sandbox sends back comes from a process the submission controls, so every point is
earned against data the submission never sees: reference outputs (on hidden inputs, or on "fresh"
twins of the public ones), or the submission's source text, read here. A property only the sandbox
can observe (an input left unchanged, a parameter updated in place) is never scored on its own: a
property test gives each function it covers a share of its points, and a function's share also
needs that function's own results in the test to be right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder import tolerances, words
from autograder.checks.compare import CheckFailed, close, require_close, require_shape_and_dtype, shape_text
from autograder.outcome import Kind, Limit, merged
from autograder.sandbox.channel import Note, Status
from autograder.text import one_line, quoted

# NumPy's words for a shape mistake, and what usually causes it.
SHAPE_HINTS = (
    ("matmul: Input operand", "a matrix product of incompatible shapes: check the order of the operands and any missing or extra .T"),
    ("not aligned", "a matrix product of incompatible shapes: check the order of the operands and any missing or extra .T"),
    ("could not be broadcast", "arrays of incompatible shapes in an elementwise operation: check keepdims=True on sums and maxima, and the axis"),
)


def shape_hint(message: str) -> str | None:
    """The likely cause NumPy's words in an error point to, if any."""
    return next((hint for clue, hint in SHAPE_HINTS if clue in message), None)


def quoted_error(message: str) -> str:
    """An error as the sandbox reported it, quoted, and a likely cause where NumPy's words point
    to one."""
    hint = shape_hint(message)
    return quoted(message) + (f"\nlikely cause: {hint}" if hint else "")


def error_fields(message: str, status: Status) -> dict:
    """What reports count of an error the sandbox reported: a memory limit, a likely cause."""
    hint = shape_hint(message)
    return {"likely_causes": (hint,) if hint else (), "limits": (Limit.MEMORY,) if status == Status.OUT_OF_MEMORY else ()}


def raised(call: str, message: str, status: Status = Status.ERROR) -> CheckFailed:
    """The failure of a call whose code raised ``message``."""
    return CheckFailed(f"{call}: your code raised an error:\n{quoted_error(message)}", Kind.ERROR, **error_fields(message, status))


def not_implemented(function: str | None, message: str = "") -> CheckFailed:
    """"Not implemented yet: Sigmoid.forward"; the report lists the functions to write from these."""
    return CheckFailed(words.not_implemented(function, message), Kind.NOT_IMPLEMENTED, not_implemented=(function,) if function else ())


def timed_out(message: str) -> CheckFailed:
    return CheckFailed(one_line(message), Kind.TIMEOUT, limits=(Limit.TIME,))


class PartsFailed(CheckFailed):
    """A test split over several functions, some (or all) of which failed their share."""

    def __init__(self, failed: dict[str, CheckFailed], parts: list[str]):
        passed = [part for part in parts if part not in failed]
        kinds = {error.kind for error in failed.values()}
        kind = Kind.PARTIAL if passed else (kinds.pop() if len(kinds) == 1 else Kind.FAILED)
        missing = [part for part, error in failed.items() if error.kind == Kind.NOT_IMPLEMENTED]
        texts = {part: words.PART_NOT_IMPLEMENTED if part in missing else str(error) for part, error in failed.items()}
        outcomes = [error.outcome for error in failed.values()]
        super().__init__(
            words.parts_failed(passed, texts, len(parts)), kind,
            limits=merged(*(outcome.limits for outcome in outcomes)),
            likely_causes=merged(*(outcome.likely_causes for outcome in outcomes)),
            not_implemented=tuple(missing), parts=tuple(parts), failed_parts=tuple(failed),
        )


@dataclass
class Case:
    """One test in one variant: inputs, reference outputs, and what the submission sent back."""

    test_id: str
    variant: str
    args: dict
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    status: Status = Status.OK  # how the probe ended
    message: str = ""
    analysis: dict = field(default_factory=dict)  # static.analyse of the submission's source
    function: str = ""  # the student function the probe called last

    def output(self, name: str, call: str, function: str | None = None) -> np.ndarray:
        """The submission's value called ``name``; when it did not come back, a failure saying
        why (the function raised, is not written, hung, returned something else). A function that
        raised NotImplementedError counts as not written, whatever it recorded."""
        if self.status == Status.NOT_IMPLEMENTED:
            raise not_implemented(self.function or function, one_line(self.message))
        note = self.notes.get(function or "")
        if note and note.status == Status.NOT_IMPLEMENTED:
            raise failure_from_note(call, note, function)
        if name in self.outputs:
            return self.outputs[name]
        note = note or self.notes.get(name)
        if note:
            raise failure_from_note(call, note, function)
        if self.status == Status.HUNG:
            raise timed_out(self.message)
        if self.status == Status.BAD_RETURN:
            raise CheckFailed(f"{call}: {one_line(self.message)}")
        if self.status != Status.OK:
            raise raised(call, self.message, self.status)
        raise CheckFailed(f"{call}: no result came back")

    @property
    def reveal(self) -> bool:
        """Whether messages may show expected values: only for inputs students already have."""
        return self.variant == "public"


def failure_from_note(call: str, note: Note, function: str | None = None) -> CheckFailed:
    if note.status == Status.NOT_IMPLEMENTED:
        return not_implemented(function or call)
    if note.status == Status.HUNG:
        return timed_out(note.message)
    if note.status in (Status.MISSING, Status.BAD_RETURN):
        return CheckFailed(f"{call}: {one_line(note.message)}")
    return raised(call, note.message, note.status)


def shapes_of(case: Case, *names: str, prefix: str = "") -> str:
    return ", ".join(f"{name} of shape {shape_text(case.inputs[prefix + name])}" for name in names)


def batch_size(case: Case) -> int | None:
    """m, the number of examples the case's batch holds (for "off by a factor of m" hints)."""
    for name in ("X", "Z", "Y_hat", "Y"):
        if name in case.inputs and np.ndim(case.inputs[name]) == 2:
            return len(case.inputs[name])
    return None


def matches_reference(
    case: Case, name: str, call: str, *, what: str | None = None, advice: str | None = None, suspects=None,
    function: str | None = None, batch: int | None = None,
) -> None:
    """The submission's ``name`` equals the reference's, within the tolerance for its dtype."""
    require_close(
        case.output(name, call, function),
        case.expected[name],
        tolerances.REFERENCE,
        what=what or name,
        call=call,
        batch_size=batch if batch is not None else batch_size(case),
        suspects=suspects,
        advice=advice,
        reveal=case.reveal,
    )


def is_right(case: Case, name: str) -> bool:
    return name in case.outputs and close(case.outputs[name], case.expected[name], tolerances.REFERENCE)


def by_function(case: Case, parts: list[str], check_part) -> None:
    """Run ``check_part(part)`` for each part (a function's name); each failure costs that part's
    share only. Raises PartsFailed when any part failed."""
    failed = {}
    for part in parts:
        try:
            check_part(part)
        except CheckFailed as error:
            failed[part] = error
    if failed:
        raise PartsFailed(failed, parts)


def results_right(case: Case, names: list[str], function: str, test: str) -> None:
    """A property of ``function`` counts only when the results of its calls here are right: every
    result it produced (one it never produced because it raised part way is not held against it)
    and at least one."""
    produced = [name for name in names if name in case.outputs]
    if not produced:
        case.output(names[0], function, function)  # raises, saying why nothing came back
    for name in produced:
        if not is_right(case, name):
            raise CheckFailed(f"not scored: {function}'s results are wrong here (its own test, {test}, says how)")


def unchanged(case: Case, names: dict[str, str], call: str, what_to_do: str) -> None:
    """Each recorded array (key) equals the input it came from (value) exactly."""
    changed = []
    for recorded, original in names.items():
        value = case.output(recorded, call)
        if value.shape != case.inputs[original].shape or not np.array_equal(value, case.inputs[original]):
            changed.append(original)
    if changed:
        raise CheckFailed(f"{call} modified its input{'s' if len(changed) > 1 else ''} {', '.join(changed)}. {what_to_do}")


ACTIVATION_ADVICE = (
    "Work on new arrays (Z * mask, np.maximum(Z, 0), np.exp(Z - ...)) instead of writing into the ones "
    "you are given (Z[Z < 0] = 0, Z -= ..., np.exp(Z, out=Z))."
)


def vectorised_part(case: Case, module: str, function: str, result_names: list[str], allowed: str = "") -> None:
    """``function`` holds no Python loop (read from the source) and its results here are right."""
    loops = case.analysis.get("loops", {})
    if "error" in case.analysis:
        raise CheckFailed(f"the grader could not read your source: {case.analysis['error']}")
    results_right(case, result_names, function, "the value tests of this module")
    found = loops.get(f"{module}:{function}")
    if found is None:
        raise CheckFailed(f"{function} was not found in your {module}.py")
    if found:
        raise CheckFailed(
            f"{function} loops in Python: {'; '.join(found)}. Use whole-array NumPy operations "
            "(elementwise arithmetic, broadcasting, matrix products, sums over an axis)"
            + (f"; {allowed}" if allowed else ".")
        )


def has_shape_and_dtype(case: Case, name: str, shape, kind: str, call: str, function: str | None = None, what: str | None = None) -> None:
    """``what`` names the value for the student (default: the last part of ``name``)."""
    require_shape_and_dtype(case.output(name, call, function), shape, kind, what=what or readable(name), call=call)


def readable(name: str) -> str:
    """"forward/small/Y" -> "Y": the grader's record names never reach a message."""
    last = name.rsplit("/", 1)[-1]
    return "the result" if last == "result" else last
