"""How outcomes are said: every sentence the grader writes about how a test or a launch ended.

This module only renders data (outcome.py) into words; nothing reads these words back. Counts,
kinds and limits travel as fields beside the text, so a sentence here can be reworded freely
(tests/test_words.py rewords all of them and checks that the class report counts the same).
The checks' own messages about values (what was expected, the likely cause) are written next to
each check.
"""

from __future__ import annotations

from .outcome import Kind, Stop, StopReason

# The word a table shows for each kind (the terminal, feedback.md, results.json's first line).
KIND_LABELS = {
    Kind.PASSED: "passed",
    Kind.PARTIAL: "PARTLY",
    Kind.FAILED: "FAILED",
    Kind.NOT_IMPLEMENTED: "not implemented yet",
    Kind.ERROR: "ERROR",
    Kind.BAD_RETURN: "FAILED",
    Kind.TIMEOUT: "TIMED OUT",
    Kind.CRASHED: "CRASHED",
    Kind.NOT_RUN: "not run",
    Kind.GRADER_ERROR: "GRADER ERROR",
}


def label(kind: Kind) -> str:
    return KIND_LABELS[Kind(kind)]


# ----------------------------------------------------------------------------------------------
# Why a launch of the sandbox's child stopped
# ----------------------------------------------------------------------------------------------

STOPS = {
    StopReason.TIME_COMPUTING: (
        "{call} ran past the time limit ({value:g} s of CPU time, {wall:g} s in all) while computing: an endless loop, "
        "or very slow code?"
    ),
    StopReason.TIME_WAITING: (
        "{call} ran past the time limit ({value:g} s of CPU time, {wall:g} s in all) while sleeping or waiting, not "
        "computing: is it sleeping, or waiting for input?"
    ),
    StopReason.CPU_SIGNAL: "your code used up the CPU time limit",
    StopReason.DEADLINE: "the grading time limit for the whole submission ran out",
    StopReason.MEMORY: "your code used more than {mib} MiB of memory in all its processes",
    StopReason.FILES: "your code wrote more than {mib} MiB of files",
    StopReason.STARTUP: "the sandbox did not start within {value:g} s",
    StopReason.CHANNEL_FLOOD: (
        "your code sent the grader more data than any right answer needs (did it write to the grader's file descriptor?)"
    ),
    StopReason.CHANNEL_CORRUPT: (
        "the channel back to the grader was corrupted ({detail}); did your code write to its file descriptors?"
    ),
    StopReason.EXIT: (
        "the process running your code ended with exit code {detail} (does your code call os._exit or kill its own process?)"
    ),
    StopReason.SEGFAULT: "the process running your code crashed (segmentation fault)",
    StopReason.FORBIDDEN_CALL: "your code made a system call the sandbox forbids",
    StopReason.KILLED: "the process running your code was killed by {detail} (out of memory, or it killed itself?)",
    StopReason.UNFINISHED: "the harness did not finish",
}
YOUR_CODE = "your code"  # the call running, when the harness had not announced one


def stop(reason: Stop | None) -> str:
    """Why a launch stopped, for the student."""
    if reason is None:
        return ""
    return STOPS[reason.reason].format(
        call=reason.call or YOUR_CODE, detail=reason.detail, value=reason.value, wall=reason.wall_seconds, mib=int(reason.value) >> 20
    )


# ----------------------------------------------------------------------------------------------
# The sandbox as a whole
# ----------------------------------------------------------------------------------------------

INCOMPLETE_DEADLINE = "the grading time limit for the whole submission ran out"
NOT_RUN_AFTER_DEADLINE = "not run: {reason} (ask your instructor)"
KEPT_STOPPING = "your code kept stopping the sandbox between tests ({stop})"
NOT_RUN = "not run: {reason}"
COULD_NOT_START = "the sandbox could not start: {stop}"
IMPORTING = "importing {module}.py: {stop}"
UNKNOWN_STATUS = "the harness sent an unknown status"
RESULT_TOO_LARGE = "your code returned {kib} KiB of results where the right ones take a few: check the shapes of what it returns"
RESULT_UNREADABLE = "the values your code returned could not be read back ({error})"


def kept_stopping(reason: Stop | None) -> str:
    return KEPT_STOPPING.format(stop=stop(reason))


def not_run(reason: str, after_deadline: bool = False) -> str:
    return (NOT_RUN_AFTER_DEADLINE if after_deadline else NOT_RUN).format(reason=reason)


def could_not_start(reason: Stop | None) -> str:
    return COULD_NOT_START.format(stop=stop(reason))


def importing(module: str, reason: Stop | None) -> str:
    return IMPORTING.format(module=module, stop=stop(reason))


# ----------------------------------------------------------------------------------------------
# A test
# ----------------------------------------------------------------------------------------------

NOT_IMPLEMENTED = "Not implemented yet"
PART_NOT_IMPLEMENTED = "not implemented yet"
PARTS_SCORED = "Scored for {passed}; not for {failed} ({count} of {total} shares):"
IMPORT_FAILED = "{module}.py could not be imported, so its tests could not run (they used the starter stub):\n{message}"
MISSING_MODULE = "{module}.py is not in your submission. {message}"
TIMED_OUT = "Timed out: {message}"
NOT_RUN_TEST = "this test was not run"
NO_CHECK = "the grader has no check for this test"
CHECK_BROKE = "The grader could not check this (please tell your instructor):\n{trace}"
GRADER_FAILED = "The grader could not grade this submission ({error}); please tell your instructor."


def not_implemented(function: str | None, message: str = "") -> str:
    """"Not implemented yet: Sigmoid.forward"."""
    if not function:
        return f"{NOT_IMPLEMENTED}: {message}"
    extra = "" if not message or message.startswith(function) else f" ({message})"
    return f"{NOT_IMPLEMENTED}: {function}{extra}"


def parts_failed(passed: list[str], failed: dict[str, str], total: int) -> str:
    """A split test's message: which shares were scored, then why each other was not."""
    lines = []
    if passed:
        lines.append(PARTS_SCORED.format(passed=", ".join(passed), failed=", ".join(failed), count=len(passed), total=total))
    for part, text in failed.items():
        lines.append(f"- {part}: " + text.replace("\n", "\n  "))
    return "\n".join(lines)


def unavailable(kind: Kind, message: str) -> str:
    """What a test says when the sandbox stopped before its case answered."""
    return TIMED_OUT.format(message=message) if kind == Kind.TIMEOUT else message


# A visible test whose never-shipped fresh twin failed says no more than how (the twin's own
# message could carry what the code made of inputs no student may see).
FRESH_FAILURE = "Right on the public inputs, but not on fresh inputs of the same shapes (never shipped)"
FRESH_KINDS = {
    Kind.FAILED: "the results were wrong",
    Kind.PARTIAL: "the results were wrong",
    Kind.BAD_RETURN: "it returned the wrong kind of value",
    Kind.NOT_IMPLEMENTED: "it raised NotImplementedError",
    Kind.ERROR: "it raised an exception",
    Kind.TIMEOUT: "it ran out of time",
    Kind.CRASHED: "the process running it crashed",
    Kind.NOT_RUN: "it was not run",
}
FRESH_ADVICE = (
    "The details stay hidden, as the inputs are. Does the code answer from the inputs it is given each call, "
    "and nothing it kept from an earlier one?"
)


def fresh_failure(kind: Kind, parts: tuple[str, ...]) -> str:
    where = f" in {', '.join(parts)}" if parts else ""
    return f"{FRESH_FAILURE}: {FRESH_KINDS.get(kind, 'it failed')}{where}. {FRESH_ADVICE}"
