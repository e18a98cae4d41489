"""What every isolation mode shares: the interface a mode implements, the promises it is held to,
the environment and the interpreter the harness runs on.

A mode receives the limits and the paths it must hide, and answers: does this machine have what it
needs (``problem``), how to start the harness (``command``), what the harness must do to itself
(``plan``) and what it guarantees. Whether it really works here is tried by a trial launch of the
real harness, one floor up (sandbox/trial.py). Nothing here imports a POSIX-only module at import
time (fcntl, resource): a student's ``python -m autograder check`` must start on macOS and Windows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...kit import KIT_ROOT
from ..limits import Limits


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

# What a submission cannot do: one row of the security table each. Every mode says, for every row,
# whether it holds and how (its GUARANTEES); docs/security.md's table is generated from them.
PROMISES = {
    "read": "read the solution, the references, the grader, `--out` or other submissions",
    "write": "write outside its sandbox (or fill memory through tmpfs)",
    "network": "use the network",
    "signal": "signal, trace or stop the grader",
    "see": "see which other processes run",
    "processes": "start processes, leave one behind",
    "namespaces": "create namespaces, mount",
    "tamper": (
        "change the mode, owner or times of the grader's files; lower the grader's limits, priority or CPUs; "
        "own its signals (`F_SETOWN`)"
    ),
    "uncounted": "hold memory or disk no one counts (memfds, System V or POSIX IPC, files removed while open)",
    "threads": "start threads until the machine runs out of pids",
    "limits": "exceed memory, CPU time, file size, output, returned bytes",
    "phases": "see fresh or hidden inputs before the cases before them are done, or show them before publication",
    "forge": "pass its own text for the grader's (a total, a limit, a likely cause)",
}
@dataclass(frozen=True)
class Guarantee:
    """Whether a mode keeps one promise (a key of PROMISES): always (True), never (False), or only
    as ``how`` says (None); ``how`` names the defence."""

    promise: str
    holds: bool | None
    how: str = ""

    def __post_init__(self) -> None:
        if self.promise not in PROMISES:
            raise ValueError(f"unknown promise {self.promise!r}; expected one of {', '.join(PROMISES)}")


def mebibytes(count: int) -> str:
    return f"{count >> 20} MiB"


class Mode:
    """An isolation mode. Subclasses say what they need, how the child starts, and what they keep."""

    name = ""
    safe_for_untrusted_code = False

    def __init__(self, hidden: tuple[Path, ...] = (), limits: Limits | None = None):
        self.hidden = tuple(hidden)  # the output folder and the submissions, on top of the kit
        self.limits = limits or Limits()

    def problem(self) -> str | None:
        """What this machine lacks for this mode (one line), or None (a trial launch may still fail)."""
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
        """One Guarantee per promise, in PROMISES's order."""
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


def which(command: str) -> str | None:
    return shutil.which(command)
