"""The bubblewrap mode: the child sees only what the harness needs, in namespaces of its own.

Mounted read-only: the system's shared libraries and programs (/usr, /lib*, /bin), the base
interpreter's standard library, NumPy (at /opt/nn-lib), and the submission's stage (at /sandbox).
The kit, the grader's virtualenv, the output folder and the submissions being graded are covered
by empty folders wherever they sit under a mounted path (a kit in /usr/local/src stays hidden).
Writable: a private /tmp of Limits.scratch_bytes and nothing else (no /dev/shm: /dev holds null,
zero, full, random and urandom only). New mount, PID, network, IPC, UTS and cgroup namespaces; as a normal user also a new
user namespace in which no further one may be made. The harness then adds the seccomp filter
(confine.py) and, as root, drops to the sandbox's own uid.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..limits import Limits
from .common import SANDBOX_ENV, Guarantee, Mode, harness_arguments, interpreter, is_within, mebibytes, sensitive_paths

STAGE = "/sandbox"
LIBRARY = "/opt/nn-lib"
SYSTEM_TOPS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


class Bubblewrap(Mode):
    name = "bubblewrap"
    safe_for_untrusted_code = True

    def problem(self) -> str | None:
        if shutil.which("bwrap") is None:
            return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
        return None

    def plan(self, stage: Path) -> dict:
        return {"confine": {"seccomp": True}, "library_path": [LIBRARY], "stage": STAGE}

    def command(self, stage: Path, channel_fd: int, control_fd: int) -> list[str]:
        python = interpreter().executable
        inner = harness_arguments(str(python), STAGE, channel_fd, control_fd)
        return bubblewrap_command(stage, inner, self.hidden, self.limits.scratch_bytes)

    def guarantees(self) -> list[Guarantee]:
        return guarantees(self.limits)

    def describe(self) -> str:
        user = "the sandbox's own unprivileged uid" if os.geteuid() == 0 else "the grader's user, in a user namespace of its own"
        return (
            "bubblewrap: sees only the interpreter, NumPy and its own files (not the kit, the solution, the "
            "references, the output or other submissions); no network; own PID namespace; no new processes; "
            f"resource limits; ran as {user}"
        )


def guarantees(limits: Limits) -> list[Guarantee]:
    return [
        Guarantee("read", True, (
            "only the system, the interpreter, NumPy and its stage are mounted; the kit, `--out` and the "
            "submissions are covered wherever they sit"
        )),
        Guarantee("write", True, f"read-only mounts, a {mebibytes(limits.scratch_bytes)} `/tmp`, no `/dev/shm`"),
        Guarantee("network", True, "network namespace, and seccomp"),
        Guarantee("signal", True, "PID namespace; seccomp refuses ptrace"),
        Guarantee("see", True, "PID namespace"),
        Guarantee("processes", True, "seccomp refuses fork, vfork and clone without CLONE_THREAD"),
        Guarantee("namespaces", True, "seccomp, and `--disable-userns`"),
        Guarantee("tamper", True, "read-only mounts, PID namespace, and seccomp"),
        Guarantee("uncounted", True, f"seccomp; open removed files count against the {mebibytes(limits.scratch_bytes)}"),
        Guarantee("threads", True, f"`RLIMIT_NPROC` (as a normal user: the uid's tasks now, plus {limits.processes})"),
        Guarantee("limits", True),
        Guarantee("phases", True),
        Guarantee("forge", True, "what it sent is quoted"),
    ]


def _ancestors(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]  # without "/"


def bubblewrap_command(stage: Path, inner: list[str], hidden: tuple[Path, ...] = (), tmp_bytes: int = Limits.scratch_bytes) -> list[str]:
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
    command += ["--size", str(tmp_bytes), "--tmpfs", "/tmp"]
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
