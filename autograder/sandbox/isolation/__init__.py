"""How a sandbox is isolated: one small module per mode, behind one interface (common.Mode).

  bubblewrap  namespaces and bind mounts (bubblewrap.py): the strongest; needs bwrap
  landlock    a plain process that confines itself with Landlock and seccomp (landlock.py): for
              machines without bubblewrap, Linux 6.7+, as root or as a normal user
  process     a plain process with resource limits only (process.py): NOT safe for untrusted code

``auto`` takes the first that works here. Grading untrusted work where neither of the safe ones
works needs an explicit ``--isolation process``; a student's `check` of their own code falls back
to it by itself. Whatever the mode, the harness applies the same import policy and the same limits,
so code scores the same in every mode.
"""

from __future__ import annotations

import os
from pathlib import Path

from .bubblewrap import Bubblewrap
from .common import Guarantee, Mode, SANDBOX_ENV, SandboxUnavailable, limit_resources, sandbox_identity
from .landlock import Landlock
from .process import Process

MODES = {"bubblewrap": Bubblewrap, "landlock": Landlock, "process": Process}
SAFE_ORDER = ("bubblewrap", "landlock")

__all__ = [
    "MODES", "Guarantee", "Mode", "SANDBOX_ENV", "SandboxUnavailable", "choose_isolation", "describe_isolation",
    "limit_resources", "make_mode", "problems", "sandbox_identity",
]


def make_mode(name: str, hidden: tuple[Path, ...] = ()) -> Mode:
    if name not in MODES:
        raise ValueError(f"unknown isolation {name!r}; expected one of auto, {', '.join(MODES)}")
    return MODES[name](tuple(hidden))


SKIP_VARIABLE = "NN_GRADER_SKIP_MODES"  # e.g. "bubblewrap,landlock": act as if they did not work here


def skipped() -> set[str]:
    """Modes the environment says to treat as unavailable (to try a machine without them)."""
    return {name.strip() for name in os.environ.get(SKIP_VARIABLE, "").split(",") if name.strip()}


def problems(hidden: tuple[Path, ...] = ()) -> dict[str, str | None]:
    """Each safe mode and why it does not work here (None where it does)."""
    return {
        name: f"turned off by {SKIP_VARIABLE}" if name in skipped() else make_mode(name, hidden).problem()
        for name in SAFE_ORDER
    }


def choose_isolation(requested: str = "auto", *, untrusted: bool = True, hidden: tuple[Path, ...] = ()) -> str:
    """The mode to use. ``auto`` takes the first safe mode that works; where none does it takes
    ``process`` only for trusted code (``untrusted=False``, a student's own check) and raises
    SandboxUnavailable otherwise. A mode asked for by name must work here."""
    if requested == "auto":
        found = {}
        for name in SAFE_ORDER:  # the first that works; later ones are not even tried
            found[name] = f"turned off by {SKIP_VARIABLE}" if name in skipped() else make_mode(name, hidden).problem()
            if found[name] is None:
                return name
        if not untrusted:
            return "process"
        reasons = "; ".join(f"{name}: {problem}" for name, problem in found.items())
        raise SandboxUnavailable(
            "no safe sandbox works on this machine (" + reasons + "). Grading untrusted submissions here "
            "would let them read the solution and the references, other students' work and results, and "
            "act on the grader. Install bubblewrap (apt-get install bubblewrap) or use Linux 6.7+ for "
            "Landlock; to grade code you trust anyway, pass --isolation process."
        )
    problem = f"turned off by {SKIP_VARIABLE}" if requested in skipped() else make_mode(requested, hidden).problem()
    if problem:
        raise SandboxUnavailable(f"{requested} does not work here: {problem}")
    return requested


def describe_isolation(name: str) -> str:
    return make_mode(name).describe()
