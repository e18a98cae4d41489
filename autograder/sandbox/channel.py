"""The channel from the sandboxed child to the grader: frames, and what one probe's frame says.

A frame is one JSON header line, then as many payload bytes as the header announces (the outputs,
in npzio.pack's format). Everything here distrusts its input: the child runs submission code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from .. import words
from ..outcome import Limit
from .harness.npzio import unpack

MAX_HEADER_BYTES = 64 * 1024
MAX_ARRAY_ELEMENTS = 2_000_000


class Status(StrEnum):
    """How a probe (or a module's import) ended: as the harness reported it, or as the grader found
    it when the child stopped."""

    OK = "ok"
    NOT_IMPLEMENTED = "not_implemented"
    ERROR = "error"  # the code raised
    OUT_OF_MEMORY = "out_of_memory"  # the code raised MemoryError (the sandbox's memory limit)
    BAD_RETURN = "bad_return"  # not an array of numbers, or unreadable, or far too large
    HUNG = "hung"  # not called: it ran out of time in an earlier probe
    MISSING = "missing"  # (a note) something the case needs was not there, as a layer's cache entry
    TIMEOUT = "timeout"  # the grader stopped the child: a call ran out of time
    CRASHED = "crashed"  # the child stopped, or the grader stopped it for another limit
    NOT_RUN = "not_run"


FROM_HARNESS = (Status.OK, Status.NOT_IMPLEMENTED, Status.ERROR, Status.OUT_OF_MEMORY, Status.BAD_RETURN, Status.HUNG)
NOTE_STATUSES = (*FROM_HARNESS[1:], Status.MISSING)
LIMITS = {Status.OUT_OF_MEMORY: Limit.MEMORY, Status.HUNG: Limit.TIME}


@dataclass(frozen=True)
class Note:
    """Why one function of a probe, or one recorded value, has no result."""

    status: Status
    message: str

    @property
    def limit(self) -> Limit | None:
        return LIMITS.get(self.status)


@dataclass
class CaseOutcome:
    """What came back for one probe (or one module's import). ``outputs`` holds whatever the probe
    recorded, also when the student code raised part way; ``notes`` why a function it called, or a
    value it recorded, has none."""

    status: Status
    message: str = ""
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    function: str = ""  # the student function the probe called last
    seconds: float = 0.0
    limit: Limit | None = None  # the sandbox limit that ended it, if one did

    def __post_init__(self) -> None:
        self.limit = self.limit or LIMITS.get(self.status)


class ProtocolError(Exception):
    pass


class FrameReader:
    """Splits the channel's bytes into (header, payload) frames, refusing anything oversized."""

    def __init__(self, max_payload: int):
        self.buffer = bytearray()
        self.max_payload = max_payload
        self.header: dict | None = None

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        self.buffer += data
        frames: list[tuple[dict, bytes]] = []
        while True:
            if self.header is None:
                end = self.buffer.find(b"\n", 0, MAX_HEADER_BYTES)
                if end < 0:
                    if len(self.buffer) >= MAX_HEADER_BYTES:
                        raise ProtocolError("a header line is too long")
                    return frames
                try:
                    header = json.loads(bytes(self.buffer[:end]))
                except (ValueError, RecursionError):
                    raise ProtocolError("a header line is not JSON") from None
                if not isinstance(header, dict):
                    raise ProtocolError("a header line is malformed")
                size = header.setdefault("payload", 0)
                if not isinstance(header.get("event"), str) or not isinstance(size, int) or isinstance(size, bool):
                    raise ProtocolError("a header line is malformed")
                if not 0 <= size <= self.max_payload:
                    raise ProtocolError(f"a result of {size} bytes exceeds the limit")
                del self.buffer[: end + 1]
                self.header = header
            size = self.header["payload"]
            if len(self.buffer) < size:
                return frames
            frames.append((self.header, bytes(self.buffer[:size])))
            del self.buffer[:size]
            self.header = None


def bounded_text(value, limit: int = 4000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def harness_status(value, allowed: tuple[Status, ...] = FROM_HARNESS) -> Status | None:
    return Status(value) if isinstance(value, str) and value in allowed else None


def notes_from(value) -> dict[str, Note]:
    """The frame's notes ({name: [status, message]}), bounded; a malformed one reads as an error."""
    notes = {}
    for key, note in list(value.items())[:100] if isinstance(value, dict) else ():
        status, message = (note[0], note[1]) if isinstance(note, list) and len(note) == 2 else (None, "")
        notes[bounded_text(key, 200)] = Note(harness_status(status, NOTE_STATUSES) or Status.ERROR, bounded_text(message, 1500))
    return notes


def outcome_from_frame(header: dict, payload: bytes, max_bytes: int) -> CaseOutcome:
    status = harness_status(header.get("status"))
    if status is None:
        return CaseOutcome(Status.ERROR, words.UNKNOWN_STATUS)
    function = bounded_text(header.get("function"), 200)
    outcome = CaseOutcome(status, bounded_text(header.get("message")), notes=notes_from(header.get("notes")), function=function)
    if len(payload) > max_bytes:
        outcome.status, outcome.message = Status.BAD_RETURN, words.RESULT_TOO_LARGE.format(kib=len(payload) >> 10)
        outcome.limit = None
        return outcome
    try:
        outcome.outputs = unpack(payload, max_elements=MAX_ARRAY_ELEMENTS)
    except Exception as error:  # noqa: BLE001 - anything unreadable is the submission's failure
        return CaseOutcome(Status.BAD_RETURN, words.RESULT_UNREADABLE.format(error=error))
    return outcome
