"""How a sandbox is isolated: bubblewrap where it works, else a plain process; as root, a uid of its own.

* ``bubblewrap``: the child sees a read-only system holding only the interpreter, NumPy and its own
  stage folder (the harness is copied there); new mount, PID, network, IPC and UTS namespaces; a
  private /tmp; no solution, no reference outputs, no grading output.
* ``process``: a plain child process in its own session with the same resource limits, and no
  file-system or network isolation. The fallback where bubblewrap is missing; reports say so.

When the grader runs as root, the child drops to an unprivileged uid before importing submission
code: the process-count limit then bites, and the cleanup can kill every process of that uid.
"""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from .processes import kill_processes

SANDBOX_UID_BASE = 61000  # sandbox uids, when grading as root, are claimed from here up
TMP_BYTES = 16 << 20  # the size of /tmp inside bubblewrap


class SandboxUnavailable(RuntimeError):
    """The requested isolation cannot run on this machine."""



# A fixed place (not $TMPDIR), so that every grader on the machine sees the same locks.
UID_LOCK_DIR = Path("/run/nn-grader-uids" if os.access("/run", os.W_OK) else "/tmp/nn-grader-uids")
_claimed: tuple[int, int, int] | None = None  # (pid that claimed, uid, lock file descriptor)


def sandbox_identity() -> dict | None:
    """The uid/gid this process's sandboxes drop to, or None when the grader is not root.

    Each grading process claims a uid of its own for its lifetime by holding a lock file, so that
    concurrent graders (parallel workers, or two `make grade` at once) never share one: the cleanup
    after a run kills every process of its uid, and the process-count limit is counted per uid.
    """
    global _claimed
    if os.geteuid() != 0:
        return None
    if _claimed is None or _claimed[0] != os.getpid():  # a forked worker claims its own
        _claimed = (os.getpid(), *_claim_uid())
        kill_processes(lambda info: info["uid"] == _claimed[1])  # leftovers of a grader that crashed
    return {"uid": _claimed[1], "gid": _claimed[1]}


def _claim_uid() -> tuple[int, int]:
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


@cache
def bubblewrap_problem() -> str | None:
    """None when bubblewrap can run the harness's interpreter here; otherwise why not."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory() as stage:
        command = bubblewrap_command(Path(stage), [sys.executable, "-I", "-c", "import numpy"])
        try:
            result = subprocess.run(command, capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap could not start: {error}"
    if result.returncode != 0:
        return "bwrap could not create a sandbox here: " + result.stderr.decode(errors="replace").strip()[:300]
    return None


def choose_isolation(requested: str = "auto") -> str:
    """'bubblewrap' or 'process'. 'auto' takes bubblewrap when it works; asking for bubblewrap
    where it does not work raises SandboxUnavailable."""
    if requested not in ("auto", "bubblewrap", "process"):
        raise ValueError(f"unknown isolation {requested!r}; expected auto, bubblewrap or process")
    if requested == "process":
        return "process"
    problem = bubblewrap_problem()
    if problem is None:
        return "bubblewrap"
    if requested == "bubblewrap":
        raise SandboxUnavailable(problem)
    return "process"


def describe_isolation(isolation: str) -> str:
    """One line for reports: what protected the grader while this submission ran."""
    user = "an unprivileged user" if os.geteuid() == 0 else "the grader's own user"
    if isolation == "bubblewrap":
        return (
            f"bubblewrap: read-only system, no network, own PID namespace, no access to the solution "
            f"or reference outputs; resource limits; ran as {user}"
        )
    return f"process: resource limits and {user}, but no file-system or network isolation (bubblewrap unavailable)"


# ----------------------------------------------------------------------------------------------
# Command lines
# ----------------------------------------------------------------------------------------------

SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _ancestors(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]  # without "/"


def bubblewrap_command(stage: Path, inner: list[str]) -> list[str]:
    """bwrap arguments that show the child only the interpreter, the harness and ``stage``."""
    command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    command += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if os.geteuid() == 0:
        # Root keeps only what the harness needs to drop to the sandbox uid.
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user"]
    for name, value in {**SANDBOX_ENV, "HOME": "/sandbox"}.items():
        command += ["--setenv", name, value]
    # The private /tmp first: the interpreter may live under /tmp (a checkout there), and a tmpfs
    # mounted after its bind would hide it.
    command += ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    command += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made = set()
    for source in dict.fromkeys([Path(sys.base_prefix), Path(sys.prefix)]):
        if source == Path("/usr") or Path("/usr") in source.parents:
            continue
        for ancestor in _ancestors(source):
            if ancestor not in made:
                made.add(ancestor)
                command += ["--perms", "0755", "--dir", str(ancestor)]
        command += ["--ro-bind", str(source), str(source)]
    command += ["--ro-bind", str(stage), "/sandbox"]
    command += ["--proc", "/proc", "--dev", "/dev"]
    command += ["--remount-ro", "/", "--chdir", "/sandbox", "--"]
    return command + inner


def child_command(isolation: str, stage: Path, channel_fd: int) -> list[str]:
    if isolation == "bubblewrap":
        inner = [sys.executable, "-I", "-B", "/sandbox/harness/run.py", "/sandbox", str(channel_fd)]
        return bubblewrap_command(stage, inner)
    return [sys.executable, "-I", "-B", str(stage / "harness" / "run.py"), str(stage), str(channel_fd)]


def limit_resources(limits, drops_privileges: bool):
    """A preexec function setting the child's resource limits (inherited by everything it starts)."""
    cpu = int(limits.total_seconds) + 5

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if drops_privileges:
            # Counted per uid, and root is exempt: it bites once the harness has dropped to its uid.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

    return apply
