"""A call that runs past its time limit is described the same way on an idle and on a busy machine.

An endless loop reaches the CPU-time limit first on an idle machine, and may reach the wall-time
limit first on a busy one (it gets little of a CPU). Results must not depend on the load, so the
message may depend only on what the code was doing when it was stopped: computing (running, or
waiting for its turn on a CPU) or sleeping. Here a real busy loop and a real sleeper are judged by
CaseClock with each limit made to come first.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
import pytest

from autograder import words
from autograder.outcome import StopReason
from autograder.sandbox import Limits
from autograder.sandbox.child import Launch
from autograder.sandbox.clock import CaseClock

BUSY = "while True: pass"
SLEEPING = "import time; time.sleep(600)"


@pytest.fixture
def running(request):
    process = subprocess.Popen([sys.executable, "-c", request.param])
    time.sleep(0.3)  # started, and in its loop or its sleep
    yield process
    process.kill()
    process.wait()


def stopped_by(process, limit: str, tmp_path: Path) -> str:
    """What CaseClock says when ``limit`` ("cpu" or "wall") is the one reached, in words."""
    (tmp_path / "scratch").mkdir(exist_ok=True)
    clock = CaseClock(Limits(), tmp_path / "scratch", process.pid, lambda: {process.pid})
    now = time.monotonic()
    clock.refreshed = now
    if limit == "cpu":  # as if the process had used more than its CPU time since the case began
        clock.started, clock.cpu_at_start = now, clock.cpu_seconds() - Limits().case_seconds - 1
    else:  # as if it had got almost no CPU for longer than the wall-time limit
        clock.started, clock.cpu_at_start = now - Limits().case_wall_seconds - 1, clock.cpu_seconds()
    launch = Launch(ready=True, call="Sigmoid.forward")
    stop = clock.check(launch, now, deadline=now + 600)
    assert stop is not None and stop.reason.timed_out and stop.reason in (StopReason.TIME_COMPUTING, StopReason.TIME_WAITING)
    return words.stop(stop)


@pytest.mark.parametrize("running", [BUSY], indirect=True)
def test_an_endless_loop_reads_the_same_whichever_limit_came_first(running, tmp_path):
    by_cpu, by_wall = stopped_by(running, "cpu", tmp_path), stopped_by(running, "wall", tmp_path)
    assert by_cpu == by_wall
    assert "Sigmoid.forward ran past the time limit" in by_cpu and "while computing" in by_cpu


@pytest.mark.parametrize("running", [SLEEPING], indirect=True)
def test_a_sleeping_call_is_told_it_was_sleeping(running, tmp_path):
    message = stopped_by(running, "wall", tmp_path)
    assert "ran past the time limit" in message and "while sleeping or waiting" in message
