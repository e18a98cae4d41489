"""The bubblewrap mode: the child sees only what the harness needs, in namespaces of its own.

Mounted read-only: the system's shared libraries and programs (/usr, /lib*, /bin), the base
interpreter's standard library, NumPy (at /opt/nn-lib), and the submission's stage (at /sandbox).
The kit, the grader's virtualenv, the output folder and the submissions being graded are covered
by empty folders wherever they sit under a mounted path (a kit in /usr/local/src stays hidden).
Writable: a 16 MiB /tmp and nothing else (no /dev/shm: /dev holds null, zero, full, random and
urandom only). New mount, PID, network, IPC, UTS and cgroup namespaces; as a normal user also a new
user namespace in which no further one may be made. The harness then adds the seccomp filter
(confine.py) and, as root, drops to the sandbox's own uid.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from .common import Guarantee, Mode, SANDBOX_ENV, harness_arguments, interpreter, is_within, sensitive_paths, try_harness, which

STAGE = "/sandbox"
LIBRARY = "/opt/nn-lib"
TMP_BYTES = 16 << 20
SYSTEM_TOPS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


class Bubblewrap(Mode):
    name = "bubblewrap"
    safe_for_untrusted_code = True

    def __init__(self, hidden: tuple[Path, ...] = ()):
        self.hidden = hidden  # the output folder and the submissions, on top of the kit

    def problem(self) -> str | None:
        return _problem()

    def plan(self, stage: Path) -> dict:
        return {"confine": {"seccomp": True}, "library_path": [LIBRARY], "stage": STAGE}

    def command(self, stage: Path, channel_fd: int, control_fd: int) -> list[str]:
        python = interpreter().executable
        return bubblewrap_command(stage, harness_arguments(str(python), STAGE, channel_fd, control_fd), self.hidden)

    def guarantees(self) -> list[Guarantee]:
        return GUARANTEES

    def describe(self) -> str:
        user = "the sandbox's own unprivileged uid" if os.geteuid() == 0 else "the grader's user, in a user namespace of its own"
        return (
            "bubblewrap: sees only the interpreter, NumPy and its own files (not the kit, the solution, the "
            "references, the output or other submissions); no network; own PID namespace; no new processes; "
            f"resource limits; ran as {user}"
        )


GUARANTEES = [
    Guarantee("cannot read the solution, the references, the grader, the output or other submissions", True, "mount namespace: only the system, the interpreter, NumPy and the stage are mounted; the kit, --out and the submissions are covered wherever they sit"),
    Guarantee("cannot write outside a 16 MiB private /tmp", True, "read-only mounts; /tmp is a size-limited tmpfs; no /dev/shm"),
    Guarantee("cannot use the network", True, "network namespace; the seccomp filter also refuses every socket but AF_UNIX"),
    Guarantee("cannot signal, trace or see the grader's processes", True, "PID namespace; seccomp refuses ptrace"),
    Guarantee("cannot change the grader's files' modes or its processes' limits and scheduling", True, "read-only mounts; PID namespace; seccomp refuses chmod, chown, utime, xattrs, prlimit and sched_set* on another process, F_SETOWN"),
    Guarantee("cannot start processes (so none is left behind)", True, "seccomp refuses fork, vfork and clone without CLONE_THREAD"),
    Guarantee("cannot create namespaces or mount file systems", True, "seccomp refuses unshare, setns, clone with CLONE_NEW*, mount; --disable-userns as a normal user"),
    Guarantee("memory, CPU time, file size, output and returned bytes are bounded", True, "rlimits, and the grader's own accounting of the sandbox's processes and tmpfs"),
]


def _ancestors(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]  # without "/"


def bubblewrap_command(stage: Path, inner: list[str], hidden: tuple[Path, ...] = ()) -> list[str]:
    """bwrap arguments that show the child only the system, the interpreter, NumPy and ``stage``."""
    python = interpreter()
    command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    # --as-pid-1: no bwrap process inside the namespace, whose command line would show the paths
    # of what it mounts (and covers); nothing can fork there anyway (seccomp), so nothing to reap.
    command += ["--unshare-cgroup-try", "--as-pid-1", "--die-with-parent", "--new-session", "--clearenv"]
    if os.geteuid() == 0:
        # Root keeps only what the harness needs to drop to the sandbox uid.
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user", "--disable-userns"]
    for name, value in {**SANDBOX_ENV, "HOME": "/tmp", "TMPDIR": "/tmp"}.items():
        command += ["--setenv", name, value]
    # The private /tmp first: the interpreter may live under /tmp (a checkout there), and a tmpfs
    # mounted after its bind would hide it.
    command += ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    sources = [Path("/usr")]
    command += ["--ro-bind", "/usr", "/usr"]
    for top in SYSTEM_TOPS:
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
            sources.append(Path(top))
    if os.path.exists("/etc/ld.so.cache"):
        command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made: set[Path] = set()

    def bind(source: Path, target: Path | None = None) -> None:
        target = target or source
        if any(is_within(target, mounted) for mounted in sources):
            return
        for ancestor in _ancestors(target):
            if ancestor not in made and not any(is_within(ancestor, mounted) for mounted in sources):
                made.add(ancestor)
                command.extend(["--perms", "0755", "--dir", str(ancestor)])
        command.extend(["--ro-bind", str(source), str(target)])
        sources.append(target)

    bind(python.executable)
    for library in python.shared_libraries:
        bind(library)
    for folder in python.stdlib:
        bind(folder)
    bind(python.numpy, Path(LIBRARY) / "numpy")
    if python.numpy_libs:
        bind(python.numpy_libs, Path(LIBRARY) / "numpy.libs")
    # Whatever must stay unseen but sits under something mounted is covered by an empty folder.
    empty = stage / "empty"
    for path in sensitive_paths(hidden) + [folder / name for folder in python.stdlib for name in ("site-packages", "dist-packages")]:
        if path.exists() and any(is_within(path, mounted) for mounted in sources):
            command += ["--ro-bind", str(empty), str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    command += ["--ro-bind", str(stage), STAGE]
    command += ["--proc", "/proc", "--dir", "/dev"]
    for device in DEVICES:
        if os.path.exists(device):
            command += ["--dev-bind", device, device]
    command += ["--remount-ro", "/", "--chdir", "/tmp", "--"]
    return command + inner


@cache
def _problem() -> str | None:
    if which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    return try_harness(Bubblewrap())
