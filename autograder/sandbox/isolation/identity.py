"""The sandbox's own uid: when the grader runs as root, every child drops to a uid that owns
nothing of the grader's, whatever the isolation mode.

Each grading process claims a uid of its own for its lifetime by holding a lock file, so that
concurrent graders (parallel workers, or two `make grade` at once) never share one: the cleanup
after a run kills every process of its uid, and the process-count limit is counted per uid.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..processes import kill_processes
from .common import SandboxUnavailable

SANDBOX_UID_BASE = 61000  # sandbox uids are claimed from here up
# A fixed place (not $TMPDIR), so that every grader on the machine sees the same locks.
UID_LOCK_DIR = Path("/run/nn-grader-uids" if os.access("/run", os.W_OK) else "/tmp/nn-grader-uids")
_claimed: tuple[int, int, int] | None = None  # (pid that claimed, uid, lock file descriptor)


def sandbox_identity() -> dict | None:
    """The uid/gid this process's sandboxes drop to, or None when the grader is not root."""
    global _claimed
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    if _claimed is None or _claimed[0] != os.getpid():  # a forked worker claims its own
        claimed = (os.getpid(), *_claim_uid())
        _claimed = claimed
        kill_processes(lambda info: info["uid"] == claimed[1], uids=True)  # leftovers of a grader that crashed
    return {"uid": _claimed[1], "gid": _claimed[1]}


def _claim_uid() -> tuple[int, int]:
    import fcntl  # POSIX only

    UID_LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
    info = os.lstat(UID_LOCK_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxUnavailable(f"{UID_LOCK_DIR} must be a folder owned by root and writable only by root")
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 4000):
        descriptor = os.open(UID_LOCK_DIR / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, descriptor
        except BlockingIOError:
            os.close(descriptor)
    raise SandboxUnavailable("no free sandbox uid: more than 4000 graders are running")
