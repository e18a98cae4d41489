"""The process mode: a plain child process with resource limits, and nothing else of a sandbox.

For code you trust (your own, in `make check`) or a machine where neither bubblewrap nor Landlock
works. The child can read whatever the grader's user can read (the solution, the references, other
submissions) and use the network; as a normal user it runs as the grader's own user and can signal
the grader. Where the kernel offers seccomp, the same filter as in the other modes refuses new
processes, namespaces and sockets, so that code behaves the same in every mode. Grading a batch in
this mode needs an explicit `--isolation process`; reports say it was unsafe.
"""

from __future__ import annotations

import os
from pathlib import Path

from .common import ChildProcessMode, Guarantee


class Process(ChildProcessMode):
    name = "process"
    safe_for_untrusted_code = False

    def __init__(self, hidden: tuple[Path, ...] = ()):
        self.hidden = hidden

    def problem(self) -> str | None:
        return None

    def plan(self, stage: Path) -> dict:
        return {
            "confine": {"seccomp": seccomp_here()},
            "library_path": [str(stage / "lib")],
            "stage": str(stage),
            "keep_read_search": True,
        }

    def guarantees(self) -> list[Guarantee]:
        return GUARANTEES

    def describe(self) -> str:
        user = "an unprivileged uid" if hasattr(os, "geteuid") and os.geteuid() == 0 else "the grader's own user"
        refused = "; sockets and new processes refused (seccomp)" if seccomp_here() else "; no seccomp here: sockets and processes allowed"
        return (
            f"process: resource limits and {user}{refused}; no file-system isolation: "
            "NOT SAFE for untrusted code (neither bubblewrap nor Landlock was used)"
        )


GUARANTEES = [
    Guarantee("cannot read the solution, the references, the grader, the output or other submissions", False, "nothing hides files the grader's user can read"),
    Guarantee("cannot write outside its stage", False, "nothing stops writes where the grader's user (or, as root, the sandbox uid) may write"),
    Guarantee("cannot use the network", False, "only where seccomp is available (it refuses every socket but AF_UNIX)"),
    Guarantee("cannot signal or trace the grader's processes", False, "as root the sandbox uid differs from the grader's; as a normal user nothing stops it"),
    Guarantee("cannot start processes (so none is left behind)", False, "only where seccomp is available; otherwise the grader kills what it finds"),
    Guarantee("cannot change the grader's files' modes or its processes' limits and scheduling", False, "only where seccomp is available, or as root (the sandbox's uid owns nothing of the grader's)"),
    Guarantee("memory, CPU time, file size, output and returned bytes are bounded", True, "rlimits, and the grader's own accounting"),
]


def seccomp_here() -> bool:
    try:
        from ..harness import confine
    except ImportError:
        return False
    return confine.seccomp_available()
