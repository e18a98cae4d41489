"""The channel from the sandboxed child to the grader: frames, and what one probe's frame says.

A frame is one JSON header line, then as many payload bytes as the header announces (the outputs,
in npzio.pack's format). Everything here distrusts its input: the child runs submission code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .harness.npzio import unpack

MAX_HEADER_BYTES = 64 * 1024
MAX_ARRAY_ELEMENTS = 2_000_000


@dataclass
class CaseOutcome:
    """What came back for one probe. status: ok, not_implemented, error, bad_return, hung (skipped:
    it hung earlier), timeout, crashed or not_run. ``outputs`` holds whatever the probe recorded,
    also when the student code raised part way."""

    status: str
    message: str = ""
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    function: str = ""  # the student function the probe called last
    seconds: float = 0.0


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
        frames = []
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


def outcome_from_frame(header: dict, payload: bytes, max_bytes: int) -> CaseOutcome:
    status = header.get("status")
    if status not in ("ok", "not_implemented", "error", "bad_return", "hung"):
        return CaseOutcome("error", "the harness sent an unknown status")
    notes = header.get("notes") if isinstance(header.get("notes"), dict) else {}
    notes = {bounded_text(key, 200): bounded_text(value, 1500) for key, value in list(notes.items())[:100]}
    outcome = CaseOutcome(status, bounded_text(header.get("message")), notes=notes, function=bounded_text(header.get("function"), 200))
    if len(payload) > max_bytes:
        outcome.status, outcome.message = "bad_return", (
            f"your code returned {len(payload) >> 10} KiB of results where the right ones take a few: "
            "check the shapes of what it returns"
        )
        return outcome
    try:
        outcome.outputs = unpack(payload, max_elements=MAX_ARRAY_ELEMENTS)
    except Exception as error:  # noqa: BLE001 - anything unreadable is the submission's failure
        return CaseOutcome("bad_return", f"the values your code returned could not be read back ({error})")
    return outcome
