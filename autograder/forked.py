"""Run a function in a forked child that sends its result back as JSON through a pipe (POSIX).

The static reader uses it to bound the reading of a student's source (rlimits in the child, a wall
clock in the parent); the class report uses it to draw figures beside the grading process."""

from __future__ import annotations

import json
import os
import select
import signal
import time
from typing import Callable


def start(function: Callable[[], object], setup: Callable[[], None] | None = None) -> tuple[int, int]:
    """Fork a child that runs ``setup`` then ``function`` and writes its result as JSON; returns
    (pid, read end of the pipe). Raises OSError when the system cannot fork."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the child: leave without running any clean-up of the parent's
        status = 1
        try:
            os.close(read_end)
            if setup:
                setup()
            view = memoryview(json.dumps(function()).encode())
            while view:
                view = view[os.write(write_end, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def collect(pid: int, read_end: int, wait_seconds: float) -> tuple[str, object]:
    """("ok", result), ("timeout", None) once ``wait_seconds`` passed (the child is killed), or
    ("failed", None) when the child failed or sent no valid JSON. Closes the pipe, reaps the child."""
    chunks, deadline = [], time.monotonic() + wait_seconds
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                return "timeout", None
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        return "failed", None
    try:
        return "ok", json.loads(b"".join(chunks))
    except ValueError:
        return "failed", None
