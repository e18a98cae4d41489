"""What every isolation mode shares: the interface, the interpreter the harness runs on, resource
limits, and the sandbox's own uid when the grader runs as root.

Nothing here imports a POSIX-only module at import time (fcntl, resource): a student's
``python -m autograder check`` must start on macOS and Windows too.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...kit import KIT_ROOT

SANDBOX_UID_BASE = 61000  # sandbox uids, when grading as root, are claimed from here up


class SandboxUnavailable(RuntimeError):
    """The requested isolation cannot run on this machine."""


SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8:backslashreplace",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class Guarantee:
    """One line of a mode's promise, for reports and the README's table."""

    what: str
    holds: bool
    how: str


class Mode:
    """An isolation mode. Subclasses say whether they work here and how the child is started."""

    name = ""
    safe_for_untrusted_code = False

    def problem(self) -> str | None:
        """None when this mode works on this machine; otherwise why not (one line)."""
        raise NotImplementedError

    def command(self, stage: Path, channel_fd: int, control_fd: int) -> list[str]:
        """The argv that starts the harness on ``stage``."""
        raise NotImplementedError

    def plan(self, stage: Path) -> dict:
        """What the harness must do to itself before running submission code (plan.json keys:
        ``confine``, ``library_path``, ``stage``)."""
        raise NotImplementedError

    def prepare_stage(self, stage: Path) -> None:
        """Mode-specific files in the stage (say, links to NumPy)."""

    def guarantees(self) -> list[Guarantee]:
        raise NotImplementedError

    def describe(self) -> str:
        """One line for reports: what protected the grader while a submission ran."""
        raise NotImplementedError


class ChildProcessMode(Mode):
    """A mode whose child is a plain process on the base interpreter, NumPy linked into its stage."""

    def prepare_stage(self, stage: Path) -> None:
        link_numpy(stage)

    def command(self, stage: Path, channel_fd: int, control_fd: int) -> list[str]:
        return harness_arguments(str(interpreter().executable), str(stage), channel_fd, control_fd)


def link_numpy(stage: Path) -> None:
    """stage/lib holds links to NumPy: the only third-party package on the child's sys.path."""
    python = interpreter()
    library = stage / "lib"
    library.mkdir(exist_ok=True)
    (library / "numpy").symlink_to(python.numpy, target_is_directory=True)
    if python.numpy_libs:
        (library / "numpy.libs").symlink_to(python.numpy_libs, target_is_directory=True)


# ----------------------------------------------------------------------------------------------
# The interpreter the harness runs on
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interpreter:
    """The base Python (not the virtualenv's wrapper) and the folders the harness needs from it."""

    executable: Path  # the real binary, symlinks resolved
    prefix: Path  # its installation (sys.base_prefix)
    stdlib: tuple[Path, ...]  # what `python -I -S` puts on sys.path (the standard library, lib-dynload)
    shared_libraries: tuple[Path, ...]  # libpython, when the binary links it dynamically
    numpy: Path  # NumPy's package folder
    numpy_libs: Path | None  # the wheel's bundled libraries (numpy.libs), if any


@cache
def interpreter() -> Interpreter:
    executable = Path(os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable))
    probe = subprocess.run(
        [str(executable), "-I", "-S", "-c", "import json, sys; print(json.dumps(sys.path))"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    paths = tuple(Path(entry) for entry in json.loads(probe.stdout) if entry and Path(entry).is_dir()) if probe.returncode == 0 else ()
    import numpy  # the grader's own NumPy, the one the references were made with

    numpy_dir = Path(numpy.__file__).resolve().parent
    bundled = numpy_dir.parent / "numpy.libs"
    libraries = []
    import sysconfig

    libdir, library = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir and library:
        for candidate in Path(libdir).glob(library + "*"):
            libraries.append(Path(os.path.realpath(candidate)))
    return Interpreter(
        executable=executable,
        prefix=Path(sys.base_prefix),
        stdlib=paths,
        shared_libraries=tuple(dict.fromkeys(libraries)),
        numpy=numpy_dir,
        numpy_libs=bundled.resolve() if bundled.is_dir() else None,
    )


def harness_arguments(python: str, stage_in_sandbox: str, channel_fd: int, control_fd: int) -> list[str]:
    return [python, "-I", "-S", "-B", f"{stage_in_sandbox}/harness/run.py", stage_in_sandbox, str(channel_fd), str(control_fd)]


def sensitive_paths(extra: tuple[Path, ...] = ()) -> list[Path]:
    """What a submission must never see: the kit (solution, references, grader), the grader's
    virtualenv, and the caller's extra paths (the output folder, the submissions being graded)."""
    paths = [KIT_ROOT, Path(sys.prefix)]
    paths += [Path(path) for path in extra]
    resolved = []
    for path in paths:
        try:
            resolved.append(Path(os.path.realpath(path)))
        except OSError:
            continue
    return list(dict.fromkeys(resolved))


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


# ----------------------------------------------------------------------------------------------
# Limits and identity
# ----------------------------------------------------------------------------------------------


def limit_resources(limits, drops_privileges: bool):
    """A preexec function setting the child's resource limits (inherited by anything it starts);
    None where the platform has no rlimits (the grader's own monitoring still applies)."""
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
        from ..processes import process_table

        uid = os.getuid()
        processes += sum(info["threads"] for info in process_table(uids=True) if info["uid"] == uid)
    limit_processes = drops_privileges or processes > limits.processes

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        if limit_processes:
            # Counted per uid, and root is exempt: as root it bites once the harness has dropped to
            # its uid.
            hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
            chosen = processes if hard == resource.RLIM_INFINITY else min(processes, hard)
            resource.setrlimit(resource.RLIMIT_NPROC, (chosen, chosen))

    return apply


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
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    if _claimed is None or _claimed[0] != os.getpid():  # a forked worker claims its own
        _claimed = (os.getpid(), *_claim_uid())
        from ..processes import kill_processes

        kill_processes(lambda info: info["uid"] == _claimed[1], uids=True)  # leftovers of a grader that crashed
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


def try_harness(mode: Mode, timeout: float = 60) -> str | None:
    """Start the real harness in ``mode`` on an empty plan; None when it reports ready."""
    from ..sandbox import Limits, probe_mode  # the sandbox runs it exactly as it runs submissions

    try:
        return probe_mode(mode, Limits(), timeout)
    except Exception as error:  # noqa: BLE001 - any failure means the mode does not work here
        return f"{type(error).__name__}: {error}"


def which(command: str) -> str | None:
    return shutil.which(command)


def scratch_root() -> Path:
    return Path(tempfile.gettempdir())
