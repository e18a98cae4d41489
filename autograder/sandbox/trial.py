"""Which isolation mode works here: each mode's own check of what the machine has, then a trial
launch of the real harness on empty modules, exactly as a submission would be run.

``auto`` takes the first safe mode that works here. Grading untrusted work where neither of the
safe ones works needs an explicit ``--isolation process``; a student's `check` of their own code
falls back to it by itself.
"""

from __future__ import annotations

import os
import shutil
import time
from functools import cache
from pathlib import Path

from .. import words
from ..kit import MODULES
from ..outcome import Stop, StopReason
from .child import ChildProcess, Phases
from .isolation import MODES, SAFE_ORDER, Mode, SandboxUnavailable, make_mode, sandbox_identity
from .limits import Limits
from .stage import make_stage, write_plan

SKIP_VARIABLE = "NN_GRADER_SKIP_MODES"  # e.g. "bubblewrap,landlock": act as if they did not work here
TRIAL_SECONDS = 60.0


def trial_launch(mode: Mode, timeout: float = TRIAL_SECONDS) -> str | None:
    """Start the harness in ``mode`` on empty modules; None when it came up, confined itself and
    finished, else what went wrong."""
    limits = Limits(startup_seconds=timeout)
    identity = sandbox_identity()
    stage = make_stage({f"{module}.py": b"" for module in MODULES}, mode, identity)
    try:
        write_plan(stage, mode, [], set(), set(), identity)
        phases = Phases(stage, [], limits)
        launch = ChildProcess(mode, stage, limits, identity, set(), [], phases).run(time.monotonic() + timeout)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if launch.done and launch.uid is not None:
        return None
    printed = phases.printed["visible"].decode(errors="replace").strip()
    return words.stop(launch.stop or Stop(StopReason.UNFINISHED)) + (f": {printed[-400:]}" if printed else "")


def skipped() -> set[str]:
    """Modes the environment says to treat as unavailable (to try a machine without them)."""
    return {name.strip() for name in os.environ.get(SKIP_VARIABLE, "").split(",") if name.strip()}


@cache
def _problem(name: str, hidden: tuple[Path, ...]) -> str | None:
    mode = make_mode(name, hidden)
    problem = mode.problem()
    if problem or not mode.safe_for_untrusted_code:
        return problem
    try:
        return trial_launch(mode)
    except Exception as error:  # noqa: BLE001 - any failure means the mode does not work here
        return f"{type(error).__name__}: {error}"


def problem(name: str, hidden: tuple[Path, ...] = ()) -> str | None:
    """Why the mode ``name`` does not work here, or None where it does (tried once per process)."""
    if name in skipped():
        return f"turned off by {SKIP_VARIABLE}"
    return _problem(name, tuple(hidden))


def problems(hidden: tuple[Path, ...] = ()) -> dict[str, str | None]:
    """Each safe mode and why it does not work here (None where it does)."""
    return {name: problem(name, hidden) for name in SAFE_ORDER}


def choose_isolation(requested: str = "auto", *, untrusted: bool = True, hidden: tuple[Path, ...] = ()) -> str:
    """The mode to use. ``auto`` takes the first safe mode that works; where none does it takes
    ``process`` only for trusted code (``untrusted=False``, a student's own check) and raises
    SandboxUnavailable otherwise. A mode asked for by name must work here."""
    if requested != "auto":
        if requested not in MODES:
            raise ValueError(f"unknown isolation {requested!r}; expected one of auto, {', '.join(MODES)}")
        reason = problem(requested, hidden)
        if reason:
            raise SandboxUnavailable(f"{requested} does not work here: {reason}")
        return requested
    found = {}
    for name in SAFE_ORDER:  # the first that works; later ones are not even tried
        found[name] = problem(name, hidden)
        if found[name] is None:
            return name
    if not untrusted:
        return "process"
    reasons = "; ".join(f"{name}: {reason}" for name, reason in found.items())
    raise SandboxUnavailable(
        "no safe sandbox works on this machine (" + reasons + "). Grading untrusted submissions here "
        "would let them read the solution and the references, other students' work and results, and "
        "act on the grader. Install bubblewrap (apt-get install bubblewrap) or use Linux 6.7+ for "
        "Landlock; to grade code you trust anyway, pass --isolation process."
    )
