"""The grader's side of the channel: malformed or out-of-turn frames never crash it, never reset a
time limit, and never make it keep data it did not ask for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.harness.npzio import pack
from autograder.sandbox import ChildProcess, FrameReader, Launch, Limits, ProtocolError, outcome_from_frame


def frame(header: dict, payload: bytes = b"") -> bytes:
    return json.dumps({**header, "payload": len(payload)}).encode() + b"\n" + payload


@pytest.mark.parametrize(
    "data",
    [b"[" * 60_000 + b"\n", b"not json\n", b'"a string"\n', b'{"event": 3}\n', b'{"event": "x", "payload": -1}\n',
     b'{"event": "x", "payload": true}\n', b"x" * 70_000],
    ids=["deep nesting", "not json", "not an object", "event not text", "negative size", "boolean size", "no newline"],
)
def test_malformed_headers_are_protocol_errors(data):
    with pytest.raises(ProtocolError):
        FrameReader(1 << 20).feed(data)


def test_a_header_without_payload_size_means_no_payload():
    frames = FrameReader(1 << 20).feed(b'{"event": "done"}\n')
    assert frames == [({"event": "done", "payload": 0}, b"")]


def test_oversized_payloads_are_refused_before_they_are_read():
    with pytest.raises(ProtocolError):
        FrameReader(1000).feed(frame({"event": "result"}, b"x" * 1001))


def test_result_fields_are_validated():
    outcome = outcome_from_frame({"status": "ok", "seconds": 1e400, "notes": {"a": "b" * 10_000}}, pack({"Y": [1.0]}), Limits())
    assert outcome.status == "ok" and len(outcome.notes["a"]) <= 600
    assert outcome_from_frame({"status": "made up"}, b"", Limits()).status == "error"
    assert outcome_from_frame({"status": "ok"}, b"garbage", Limits()).status == "bad_return"


def child(cases: list[str]) -> ChildProcess:
    return ChildProcess("process", Path("/nonexistent"), Limits(case_seconds=3.0), None, set(), cases)


def test_only_the_next_planned_case_may_start_and_answer():
    process, launch = child(["public:a", "public:b"]), Launch()
    for module in ("util", "activations", "layers", "loss", "optimizer", "model"):
        process._handle({"event": "start", "case": f"import:{module}"}, b"", launch, 0.0)
        process._handle({"event": "import", "module": module, "status": "ok"}, b"", launch, 0.0)
    assert process._handle({"event": "start", "case": "public:b"}, b"", launch, 5.0) == 5.0  # out of turn
    assert launch.current is None
    deadline = process._handle({"event": "start", "case": "public:a"}, b"", launch, 5.0)
    assert launch.current == "public:a" and deadline != 5.0
    again = process._handle({"event": "start", "case": "keepalive"}, b"", launch, deadline)
    assert again == deadline, "a start for another case must not reset the time limit"
    process._handle({"event": "result", "case": "junk", "status": "ok"}, pack({"Y": [1.0]}), launch, deadline)
    assert launch.outcomes == {}, "a result for a case not running is dropped"
    process._handle({"event": "result", "case": "public:a", "status": "ok"}, pack({"Y": [1.0]}), launch, deadline)
    assert list(launch.outcomes) == ["public:a"] and launch.current is None
