"""The Landlock mode: a plain child process that restricts itself before any submission code runs.

For machines without bubblewrap (laptops, department servers, containers that forbid namespaces),
as root or as a normal user, on Linux 6.7 or newer. The harness (confine.py) applies, in this order:
no new privileges; Landlock (ABI 6 or newer), which lets it execute and read only the interpreter,
the system's shared libraries, the standard library (not its site-packages) and NumPy, read its own
stage, and write only the stage's scratch folder, denies every TCP bind and connect, every signal to
a process outside the sandbox (the grader) and abstract unix sockets outside it; then a seccomp
filter that refuses new processes, namespaces, ptrace, mounts and every socket family but AF_UNIX.
As root it then drops to the sandbox's own uid, keeping only the capability to search and read
folders (so a standard library under /root stays importable), which Landlock still confines.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from .common import ChildProcessMode, Guarantee, interpreter, is_within, sensitive_paths, try_harness

MINIMUM_ABI = 6  # signal scoping: a submission must not be able to stop or kill the grader
SYSTEM_LIBRARIES = ("/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32")
READABLE_FILES = ("/etc/ld.so.cache", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


class Landlock(ChildProcessMode):
    name = "landlock"
    safe_for_untrusted_code = True

    def __init__(self, hidden: tuple[Path, ...] = ()):
        self.hidden = hidden

    def problem(self) -> str | None:
        return _problem(self.hidden)

    def plan(self, stage: Path) -> dict:
        return {
            "confine": {"landlock": landlock_rules(stage), "seccomp": True},
            "library_path": [str(stage / "lib")],
            "stage": str(stage),
            "keep_read_search": True,
        }

    def guarantees(self) -> list[Guarantee]:
        return GUARANTEES

    def describe(self) -> str:
        user = "the sandbox's own unprivileged uid" if os.geteuid() == 0 else "the grader's user"
        return (
            "landlock: reads only the interpreter, NumPy and its own files (not the kit, the solution, the "
            "references, the output or other submissions); writes only its own scratch folder; no network; "
            f"cannot signal the grader; no new processes; resource limits; ran as {user}"
        )


GUARANTEES = [
    Guarantee("cannot read the solution, the references, the grader, the output or other submissions", True, "Landlock: reads allowed only beneath the interpreter, the system libraries, the standard library (not site-packages), NumPy and the stage"),
    Guarantee("cannot write outside its stage's scratch folder (16 MiB, counted)", True, "Landlock write rights only there; the grader adds up what is written and stops it past the limit"),
    Guarantee("cannot use the network", True, "Landlock denies TCP bind and connect; seccomp refuses every socket but AF_UNIX; Landlock scopes abstract unix sockets"),
    Guarantee("cannot signal or trace the grader's processes", True, "Landlock signal scoping (ABI 6); seccomp refuses ptrace; /proc is not readable"),
    Guarantee("cannot change the grader's files' modes or its processes' limits and scheduling", True, "seccomp refuses chmod, chown, utime, xattrs, prlimit and sched_set* on another process, setpriority, F_SETOWN (calls Landlock does not govern)"),
    Guarantee("cannot start processes (so none is left behind)", True, "seccomp refuses fork, vfork and clone without CLONE_THREAD"),
    Guarantee("cannot create namespaces or mount file systems", True, "seccomp refuses unshare, setns, clone with CLONE_NEW*, mount"),
    Guarantee("memory, CPU time, file size, output and returned bytes are bounded", True, "rlimits, and the grader's own accounting"),
    Guarantee("cannot see which other processes run", False, "no PID namespace: the pids exist, but /proc cannot be read and signals and ptrace are refused"),
]


def readable_standard_library() -> list[str]:
    """Every entry of the standard library's folders but their site-packages."""
    entries = []
    for folder in interpreter().stdlib:
        for entry in sorted(os.listdir(folder)):
            if entry not in ("site-packages", "dist-packages"):
                entries.append(str(folder / entry))
    return entries


def landlock_rules(stage: Path) -> dict:
    python = interpreter()
    executable = [str(python.executable), *map(str, python.shared_libraries)]
    executable += [os.path.realpath(path) for path in SYSTEM_LIBRARIES if os.path.isdir(path)]
    executable += [str(python.numpy)] + ([str(python.numpy_libs)] if python.numpy_libs else [])
    readable = readable_standard_library() + [str(stage)] + [path for path in READABLE_FILES if os.path.exists(path)]
    return {
        "read_exec": list(dict.fromkeys(executable)),
        "read_only": readable,
        "list_only": [],
        "read_write": [str(stage / "scratch")],
        "minimum_abi": MINIMUM_ABI,
    }


def exposed(hidden: tuple[Path, ...]) -> str | None:
    """Why Landlock's allowed paths would expose something secret, or None."""
    allowed = [Path(path) for key in ("read_exec", "read_only") for path in landlock_rules(Path("/nonexistent-stage"))[key]]
    for secret in sensitive_paths(hidden):
        for path in allowed:
            if is_within(secret, path):
                return f"{secret} lies inside {path}, which the sandbox must be able to read"
    return None


@cache
def _problem(hidden: tuple[Path, ...]) -> str | None:
    import platform

    if platform.system() != "Linux":
        return f"Landlock is a Linux feature (this is {platform.system()})"
    try:
        from ..harness import confine
    except ImportError as error:
        return f"the confinement module could not load: {error}"
    abi = confine.landlock_abi()
    if abi < MINIMUM_ABI:
        return (
            f"Landlock ABI {abi} here; {MINIMUM_ABI} or newer (Linux 6.7+) is needed to stop a submission from "
            "signalling the grader" if abi else "Landlock is not available in this kernel (or is disabled)"
        )
    if not confine.seccomp_available():
        return "seccomp filters are not available here"
    reason = exposed(hidden)
    if reason:
        return reason
    return try_harness(Landlock(hidden))
