"""What one submission may use: every limit of the sandbox, typed, with its default and its reason,
in one place (the command line's --timeout and --case-timeout set two of them).

The grader enforces them two ways: the kernel's resource limits on the child (``rlimits`` below)
and its own accounting while the child runs (sandbox/clock.py); the bubblewrap mode sizes its
private /tmp from ``scratch_bytes``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Callable


def setting(default: Any, help: str) -> Any:
    """A field of Limits: its default and what it limits (``Limits.describe`` lists them)."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    total_seconds: float = setting(600.0, "wall clock for the whole submission: a safety net, each call has its own limit")
    case_seconds: float = setting(3.0, "CPU seconds one call into student code (or one module's import) may use")
    startup_seconds: float = setting(60.0, "wall clock until the harness reports ready")
    memory_bytes: int = setting(1 << 30, "resident memory of all the sandbox's processes together")
    processes: int = setting(16, "tasks (processes and threads) the sandbox's uid may have")
    output_bytes: int = setting(16 * 1024, "printed output kept for the feedback, per phase")
    payload_bytes: int = setting(8 << 20, "the largest result frame read (real ones are a few KiB)")
    channel_bytes: int = setting(64 << 20, "all frames of one launch together")
    file_bytes: int = setting(16 << 20, "the largest file the code may write")
    scratch_bytes: int = setting(16 << 20, "all files the code may write (its scratch folder, bubblewrap's /tmp)")
    open_files: int = setting(256, "file descriptors the child may hold")

    @property
    def case_wall_seconds(self) -> float:
        """Wall-clock limit per call, for code that sleeps or waits instead of computing."""
        return max(3 * self.case_seconds, self.case_seconds + 10)

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str]]:
        """(name, default, what it limits) for every limit."""
        return [(item.name, item.default, item.metadata["help"]) for item in fields(cls)]


def rlimits(limits: Limits, drops_privileges: bool) -> Callable[[], None] | None:
    """A preexec function setting the child's resource limits (inherited by anything it starts);
    None where the platform has no rlimits (the grader's own accounting still applies)."""
    try:
        import resource  # POSIX only: imported when a sandbox actually starts
    except ImportError:
        return None

    cpu = int(limits.total_seconds) + 5
    processes = limits.processes
    if not drops_privileges and hasattr(os, "getuid") and os.getuid() != 0:
        # The sandbox shares the grader's uid, and RLIMIT_NPROC counts every task (thread) of the
        # uid: allow what it has now, plus the sandbox's own share. Without it a submission could
        # start threads until the machine runs out of pids, the grader's own included.
        from .processes import process_table

        uid = os.getuid()
        processes += sum(info["threads"] for info in process_table(uids=True) if info["uid"] == uid)
    limit_processes = drops_privileges or processes > limits.processes

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        if limit_processes:
            # Counted per uid, and root is exempt: as root it bites once the harness has dropped to
            # its uid.
            hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
            chosen = processes if hard == resource.RLIM_INFINITY else min(processes, hard)
            resource.setrlimit(resource.RLIMIT_NPROC, (chosen, chosen))

    return apply
