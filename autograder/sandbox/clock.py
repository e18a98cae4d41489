"""The limits of the step a launch is on (start-up, an import, a probe, or the gap between two):
CPU time of all the sandbox's processes, wall time, memory, and files written.

Time is judged per call, in CPU time of all the sandbox's processes (or in wall-clock time for a
call that sleeps); memory is their resident memory added up, and files written are added up in
the stage's scratch folder, with what they hold open that no folder shows.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Protocol

from ..outcome import Stop, StopReason
from .limits import Limits
from .processes import CLOCK_TICKS, process_info

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Step(Protocol):
    """What the clock needs to know of a launch: whether the harness is up, and the call running."""

    ready: bool
    call: str | None


class CaseClock:
    """The limits of the current step (start-up, an import, a probe, or the gap between them):
    CPU time of all the sandbox's processes, wall time, memory and files written."""

    def __init__(self, limits: Limits, scratch: Path, pid: int, members: Callable[[], set[int]]):
        """``members`` lists the sandbox's processes now (the child's, its uid's, orphans)."""
        self.limits, self.scratch, self.members = limits, scratch, members
        self.pids: set[int] = {pid}
        self.refreshed = 0.0
        self.started = time.monotonic()
        self.cpu_at_start = 0.0

    def restart(self) -> None:
        self.started = time.monotonic()
        self.cpu_at_start = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        return sum(info["cpu_ticks"] for info in map(process_info, self.pids) if info) / CLOCK_TICKS

    def check(self, launch: Step, now: float, deadline: float) -> Stop | None:
        """The limit the current step is past, if any."""
        if now >= deadline:
            return Stop(StopReason.DEADLINE)
        if now - self.refreshed > 0.5:
            self.pids, self.refreshed = self.members(), now
        infos = [info for info in map(process_info, self.pids) if info]
        memory = sum(info["rss_pages"] for info in infos) * PAGE_BYTES
        if memory > self.limits.memory_bytes:
            return Stop(StopReason.MEMORY, value=self.limits.memory_bytes)
        written = scratch_bytes(self.scratch, self.limits.scratch_bytes) + held_bytes(self.pids)
        if written > self.limits.scratch_bytes:
            return Stop(StopReason.FILES, value=self.limits.scratch_bytes)
        wall = now - self.started
        if not launch.ready:
            return Stop(StopReason.STARTUP, value=self.limits.startup_seconds) if wall > self.limits.startup_seconds else None
        cpu = sum(info["cpu_ticks"] for info in infos) / CLOCK_TICKS - self.cpu_at_start
        if cpu > self.limits.case_seconds or wall > self.limits.case_wall_seconds:
            # The same stop whichever limit came first; what the code was doing tells them apart.
            busy = cpu > self.limits.case_seconds or computing(self.pids)
            reason = StopReason.TIME_COMPUTING if busy else StopReason.TIME_WAITING
            return Stop(reason, call=launch.call or "", value=self.limits.case_seconds, wall_seconds=self.limits.case_wall_seconds)
        return None


def computing(pids) -> bool:
    """Whether any thread of the processes is running or waiting for a CPU (state R)."""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as stat_file:
                    if stat_file.read().rsplit(")", 1)[1].split()[0] == "R":
                        return True
            except (OSError, IndexError):
                continue
    return False


def held_bytes(pids) -> int:
    """Bytes of the files the processes hold open that no folder shows: removed while open, or
    memfds. They keep their blocks until closed, so they count against the files limit."""
    total, seen = 0, set()
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            descriptors = os.listdir(folder)
        except OSError:
            continue
        for descriptor in descriptors[:4096]:
            path = f"{folder}/{descriptor}"
            try:
                target = os.readlink(path)
                if not (target.endswith(" (deleted)") or target.startswith("/memfd:")):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def scratch_bytes(folder: Path, limit: int) -> int:
    """Bytes the files under ``folder`` take (more than ``limit`` as soon as that is certain)."""
    total, seen = 0, 0
    stack = [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > 10_000:
                return limit + 1  # a flood of files is over the limit whatever their size
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += info.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
        if total > limit:
            return total
    return total
