"""What happened to a test, as data: how it ended, the sandbox limit it hit, the likely causes the
checks named, the functions found not written, the shares it was split into.

Checks and the sandbox produce these fields; results.json carries them (each test's
``extra_data``); the class report, the PrairieLearn converter and the notebook check read them.
Words are a view of them (words.py): no report reads another's sentences, so rewording a message
changes no count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a test ended."""

    PASSED = "passed"
    PARTIAL = "partial"  # a test split over functions: some earned their share, some did not
    FAILED = "failed"  # wrong values
    BAD_RETURN = "bad_return"  # not an array of numbers, or far larger than a right answer
    NOT_IMPLEMENTED = "not_implemented"
    ERROR = "error"  # the code raised, or its module could not be imported
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    NOT_RUN = "not_run"
    GRADER_ERROR = "grader_error"


class Limit(StrEnum):
    """A limit of the sandbox that stopped student code."""

    TIME = "time"
    MEMORY = "memory"
    FILES = "files"


class StopReason(StrEnum):
    """Why the grader stopped a launch of the sandbox's child before it finished (sandbox/child.py)."""

    # A call past its time limit (its CPU seconds, or its wall-clock seconds, whichever came first:
    # on a busy machine an endless loop reaches the wall-clock one first), told by what it was doing
    # when stopped, which does not depend on the load.
    TIME_COMPUTING = "time_computing"
    TIME_WAITING = "time_waiting"  # sleeping or waiting for input
    CPU_SIGNAL = "cpu_signal"  # the kernel's CPU limit (SIGXCPU)
    DEADLINE = "deadline"  # the whole submission's safety limit ran out
    MEMORY = "memory"
    FILES = "files"
    STARTUP = "startup"  # the harness did not report ready in time
    CHANNEL_FLOOD = "channel_flood"  # more bytes than any right answer needs
    CHANNEL_CORRUPT = "channel_corrupt"  # bytes that are no frame
    EXIT = "exit"  # the process ended by itself (detail: the exit code)
    SEGFAULT = "segfault"
    FORBIDDEN_CALL = "forbidden_call"  # a system call the seccomp filter refuses (SIGSYS)
    KILLED = "killed"  # another signal (detail: its name)
    UNFINISHED = "unfinished"  # the harness stopped without saying why (a trial launch)

    @property
    def limit(self) -> Limit | None:
        return STOP_LIMITS.get(self)

    @property
    def timed_out(self) -> bool:
        """A call ran out of time: its function is not called again, and the test's kind is timeout."""
        return self in (StopReason.TIME_COMPUTING, StopReason.TIME_WAITING)


STOP_LIMITS = {
    StopReason.TIME_COMPUTING: Limit.TIME,
    StopReason.TIME_WAITING: Limit.TIME,
    StopReason.CPU_SIGNAL: Limit.TIME,
    StopReason.DEADLINE: Limit.TIME,
    StopReason.MEMORY: Limit.MEMORY,
    StopReason.FILES: Limit.FILES,
}


@dataclass(frozen=True)
class Stop:
    """Why a launch of the child ended early, with what a message needs to say so."""

    reason: StopReason
    call: str = ""  # the student function that was running, as the harness announced it
    detail: str = ""  # an exit code, a signal's name, what was wrong with the channel
    value: float = 0.0  # the limit that was hit, in its unit (seconds or bytes)
    wall_seconds: float = 0.0  # with a time limit: the wall-clock seconds beside ``value``'s CPU seconds


@dataclass(frozen=True)
class Outcome:
    """How one test ended in one variant: the message for the student, and what reports count."""

    kind: Kind
    message: str = ""
    limits: tuple[Limit, ...] = ()  # sandbox limits the code hit
    likely_causes: tuple[str, ...] = ()  # the mistakes the checks recognised
    not_implemented: tuple[str, ...] = ()  # functions found not written yet ("Sigmoid.forward")
    import_failed: str = ""  # the module that could not be imported (its tests ran on the stub)
    parts: tuple[str, ...] = ()  # the functions a split test covers (empty: all or nothing)
    failed_parts: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.kind == Kind.PASSED

    @property
    def fraction(self) -> float:
        """The share of the test's points earned."""
        if self.passed:
            return 1.0
        if self.parts:
            return 1.0 - len(set(self.failed_parts)) / len(self.parts)
        return 0.0

    def data(self) -> dict:
        """The fields reports count, as JSON (results.json's per-test ``extra_data``): the kind,
        and each other field only where it holds something (a reader takes an absent one as empty)."""
        fields = {
            "limits": [str(limit) for limit in self.limits],
            "likely_causes": list(self.likely_causes),
            "not_implemented": list(self.not_implemented),
            "import_failed": self.import_failed,
            "parts": list(self.parts),
            "failed_parts": list(self.failed_parts),
        }
        return {"kind": str(self.kind), **{name: value for name, value in fields.items() if value}}


def merged(*groups: tuple) -> tuple:
    """The items of every group, each once, in the order first seen."""
    return tuple(dict.fromkeys(item for group in groups for item in group))
