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

from ..limits import Limits
from .common import ChildProcessMode, Guarantee, interpreter, is_within, mebibytes, sensitive_paths

MINIMUM_ABI = 6  # signal scoping: a submission must not be able to stop or kill the grader
SYSTEM_LIBRARIES = ("/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32")
READABLE_FILES = ("/etc/ld.so.cache", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


class Landlock(ChildProcessMode):
    name = "landlock"
    safe_for_untrusted_code = True

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
        return guarantees(self.limits)

    def describe(self) -> str:
        user = "the sandbox's own unprivileged uid" if os.geteuid() == 0 else "the grader's user"
        return (
            "landlock: reads only the interpreter, NumPy and its own files (not the kit, the solution, the "
            "references, the output or other submissions); writes only its own scratch folder; no network; "
            f"cannot signal the grader; no new processes; resource limits; ran as {user}"
        )


def guarantees(limits: Limits) -> list[Guarantee]:
    return [
        Guarantee("read", True, (
            "Landlock allows reads only beneath the interpreter, system libraries, the standard library "
            "(not site-packages), NumPy and its stage"
        )),
        Guarantee("write", True, f"writes only in its stage's scratch folder, whose size the grader adds up ({mebibytes(limits.scratch_bytes)})"),
        Guarantee("network", True, "Landlock denies TCP; seccomp refuses every socket but AF_UNIX, `connect` and addressed sends"),
        Guarantee("signal", True, "Landlock's signal scoping (ABI 6); seccomp refuses ptrace"),
        Guarantee("see", False, "the pids exist (no PID namespace), but /proc cannot be read, and signals and ptrace are refused"),
        Guarantee("processes", True, "the same filter"),
        Guarantee("namespaces", True, "seccomp"),
        Guarantee("tamper", True, "seccomp (Landlock governs none of these, and as a normal user the sandbox shares the grader's uid)"),
        Guarantee("uncounted", True, "the same"),
        Guarantee("threads", True, "the same"),
        Guarantee("limits", True),
        Guarantee("phases", True),
        Guarantee("forge", True),
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
    return exposed(hidden)
