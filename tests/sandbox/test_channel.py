"""The grader's side of the channel: malformed or out-of-turn frames never crash it, never reset a
time limit, and never make it keep data it did not ask for."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from autograder.sandbox.harness.npzio import pack
from autograder.sandbox.isolation import make_mode
from autograder.sandbox.channel import FrameReader, ProtocolError, outcome_from_frame
from autograder.sandbox.child import ChildProcess, Launch, Phases
from autograder.kit import MODULES
from autograder.sandbox import Limits


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
    notes = {"a": ["error", "b" * 10_000], "b": "not a pair", "c": ["made up", "x"], "d": ["hung", "slept"]}
    outcome = outcome_from_frame({"status": "ok", "seconds": 1e400, "notes": notes}, pack({"Y": [1.0]}), 1 << 20)
    assert outcome.status == "ok" and outcome.notes["a"].status == "error" and len(outcome.notes["a"].message) <= 1500
    assert outcome.notes["b"].status == outcome.notes["c"].status == "error", "a malformed note reads as an error"
    assert outcome.notes["d"].status == "hung" and outcome.notes["d"].limit == "time"
    assert outcome_from_frame({"status": "made up"}, b"", 1 << 20).status == "error"
    assert outcome_from_frame({"status": "ok"}, b"garbage", 1 << 20).status == "bad_return"


def test_a_result_larger_than_its_case_allows_is_refused_whatever_it_holds():
    payload = pack({"Y": [1.0] * 1000})
    outcome = outcome_from_frame({"status": "ok"}, payload, len(payload) - 1)
    assert outcome.status == "bad_return" and outcome.outputs == {} and "check the shapes" in outcome.message


class CountingClock:
    """Stands for the sandbox's clock: counts the restarts a frame causes."""

    def __init__(self):
        self.restarts = 0

    def restart(self):
        self.restarts += 1


def child(cases: list[str]) -> ChildProcess:
    phases = Phases(Path("/nonexistent"), [], Limits())
    return ChildProcess(make_mode("process"), Path("/nonexistent"), Limits(case_seconds=3.0), None, set(), [{"id": case} for case in cases], phases)


def test_only_the_next_planned_case_may_start_and_answer():
    process, launch, clock = child(["public:a", "public:b"]), Launch(), CountingClock()
    handle = lambda header, payload=b"": process._handle(header, payload, launch, clock, None, -1)  # noqa: E731
    handle({"event": "ready", "uid": 1234})
    for module in MODULES:
        handle({"event": "start", "case": f"import:{module}"})
        handle({"event": "import", "module": module, "status": "ok"})
    restarts = clock.restarts
    handle({"event": "start", "case": "public:b"})  # out of turn
    assert launch.current is None and clock.restarts == restarts
    handle({"event": "start", "case": "public:a"})
    assert launch.current == "public:a" and clock.restarts == restarts + 1
    handle({"event": "start", "case": "keepalive"})
    handle({"event": "phase", "number": 1})  # only between cases
    assert clock.restarts == restarts + 1, "frames out of turn must not reset the time limit"
    handle({"event": "call", "label": "Sigmoid.forward"})
    assert launch.call == "Sigmoid.forward"
    handle({"event": "result", "case": "junk", "status": "ok"}, pack({"Y": [1.0]}))
    assert launch.outcomes == {}, "a result for a case not running is dropped"
    handle({"event": "result", "case": "public:a", "status": "ok"}, pack({"Y": [1.0]}))
    assert list(launch.outcomes) == ["public:a"] and launch.current is None and launch.call is None
    handle({"event": "done"})
    assert not launch.done, "done before every planned case answered is ignored"


def test_a_phase_is_released_only_when_its_first_case_is_next(tmp_path, monkeypatch):
    """A submission that forges the frames of an import cannot ask for later inputs early, and a
    request that is refused does not restart the clock."""
    import os

    inputs = [{"public:a/in/Z": [1.0]}, {"fresh:a/in/Z": [2.0]}, {"hidden:b/in/Z": [3.0]}]
    phases = Phases(tmp_path, inputs, Limits())
    cases = [{"id": "public:a", "phase": 0}, {"id": "fresh:a", "phase": 1}, {"id": "hidden:b", "phase": 2}]
    process = ChildProcess(make_mode("process"), tmp_path, Limits(case_seconds=3.0), None, set(), cases, phases)
    launch, clock = Launch(), CountingClock()
    read_end, write_end = os.pipe()
    monkeypatch.setattr(process, "_drain_output", lambda _process: None)
    handle = lambda header, payload=b"": process._handle(header, payload, launch, clock, None, write_end)  # noqa: E731
    released = lambda: sorted(path.name for path in tmp_path.glob("inputs-*.bin"))  # noqa: E731

    handle({"event": "ready", "uid": 1234})
    handle({"event": "start", "case": "import:util"})
    handle({"event": "import", "module": "util", "status": "ok"})  # forged: util's import goes on
    restarts = clock.restarts
    for number in (2, 1, 0, True, 99):
        handle({"event": "phase", "number": number})
    assert released() == [] and clock.restarts == restarts, "no inputs before every import reported"
    for module in MODULES[1:]:  # util reported above
        handle({"event": "start", "case": f"import:{module}"})
        handle({"event": "import", "module": module, "status": "ok"})
    handle({"event": "phase", "number": 2})
    handle({"event": "phase", "number": 1})
    assert released() == []
    handle({"event": "phase", "number": 0})
    assert released() == ["inputs-0.bin"] and os.read(read_end, 1) == b"1"
    handle({"event": "start", "case": "public:a"})
    handle({"event": "result", "case": "public:a", "status": "ok"}, pack({"Y": [1.0]}))
    handle({"event": "phase", "number": 2})
    assert released() == ["inputs-0.bin"], "the hidden inputs wait for the fresh cases"
    handle({"event": "phase", "number": 1})
    assert released() == ["inputs-0.bin", "inputs-1.bin"] and phases.bucket == "hidden"
    os.close(read_end)
    os.close(write_end)


FAST_CHILD = r"""
import json, os, sys, time
channel = int(sys.argv[1])
def send(header):
    os.write(channel, json.dumps({**header, "payload": 0}).encode() + b"\n")
send({"event": "ready", "uid": os.getuid()})
for module in sys.argv[2].split(","):
    send({"event": "start", "case": "import:" + module})
    send({"event": "import", "module": module, "status": "ok"})
send({"event": "start", "case": "public:a"})
send({"event": "result", "case": "public:a", "status": "ok"})
send({"event": "start", "case": "public:b"})
held = []
for number in range(24):  # 24 MiB in files removed while open: over the 16 MiB limit
    path = os.path.join(os.environ["TMPDIR"], f"held{number}")
    held.append(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.unlink(path)
    os.write(held[-1], b"x" * (1 << 20))
open(os.path.join(os.environ["TMPDIR"], "..", "sent"), "w").close()
time.sleep(60)
"""


def test_a_limit_is_charged_to_the_case_running_when_the_grader_looks_late(tmp_path, monkeypatch):
    """On a busy machine the grader may look only after the child has answered one case and begun
    the next: the frames already sent are taken in first, so the next case (which holds the files)
    is charged, not the one that had answered."""
    import sys

    from autograder.sandbox import child as child_module

    (tmp_path / "scratch").mkdir()
    mode = make_mode("process")
    monkeypatch.setattr(mode, "command", lambda stage, channel_fd, control_fd: [sys.executable, "-c", FAST_CHILD, str(channel_fd), ",".join(child_module.MODULES)])
    real_check, looked = child_module.CaseClock.check, []

    def late_check(clock, launch, now, deadline):
        if not looked:  # the grader is descheduled until the child has sent everything
            looked.append(now)
            for _ in range(600):
                if (tmp_path / "sent").exists():
                    break
                time.sleep(0.05)
        return real_check(clock, launch, time.monotonic(), deadline)

    monkeypatch.setattr(child_module.CaseClock, "check", late_check)
    cases = [{"id": "public:a", "phase": 0}, {"id": "public:b", "phase": 0}]
    phases = Phases(tmp_path, [{}], Limits())
    launch = ChildProcess(mode, tmp_path, Limits(case_seconds=30.0), None, set(), cases, phases).run(time.monotonic() + 120)
    assert (tmp_path / "sent").exists()
    assert "public:a" in launch.outcomes, "the answer the child sent before the limit was hit is kept"
    assert launch.current == "public:b" and "16 MiB of files" in (launch.ending or ""), (launch.current, launch.ending)
