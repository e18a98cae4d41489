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


SECCOMP_ONLY = "only where seccomp works"
GUARANTEES = [
    Guarantee("read", False),
    Guarantee("write", False),
    Guarantee("network", None, SECCOMP_ONLY),
    Guarantee("signal", False, "as a normal user (as root, the sandbox's uid differs)"),
    Guarantee("see", False),
    Guarantee("processes", None, f"{SECCOMP_ONLY}; the grader kills what it finds"),
    Guarantee("namespaces", None, SECCOMP_ONLY),
    Guarantee("tamper", None, f"{SECCOMP_ONLY}, or as root"),
    Guarantee("uncounted", None, f"open removed files count; the rest {SECCOMP_ONLY}"),
    Guarantee("threads", True, "the same"),
    Guarantee("limits", True),
    Guarantee("phases", True),
    Guarantee("forge", True),
]


def seccomp_here() -> bool:
    try:
        from ..harness import confine
    except ImportError:
        return False
    return confine.seccomp_available()
