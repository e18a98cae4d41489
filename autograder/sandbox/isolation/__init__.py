"""How a sandbox is isolated: one small module per mode, behind one interface (common.Mode).

  bubblewrap  namespaces and bind mounts (bubblewrap.py): the strongest; needs bwrap
  landlock    a plain process that confines itself with Landlock and seccomp (landlock.py): for
              machines without bubblewrap, Linux 6.7+, as root or as a normal user
  process     a plain process with resource limits only (process.py): NOT safe for untrusted code

Whatever the mode, the harness applies the same import policy and the same limits, so code scores
the same in every mode. Which mode works on this machine is decided one floor up, by a trial
launch (sandbox/trial.py); nothing here imports the rest of the sandbox but its limits and its
process table.
"""

from __future__ import annotations

from pathlib import Path

from ..limits import Limits
from .bubblewrap import Bubblewrap
from .common import PROMISES, SANDBOX_ENV, Guarantee, Mode, SandboxUnavailable
from .identity import sandbox_identity
from .landlock import Landlock
from .process import Process

MODES: dict[str, type[Mode]] = {"bubblewrap": Bubblewrap, "landlock": Landlock, "process": Process}
SAFE_ORDER = ("bubblewrap", "landlock")  # what `auto` tries, in this order

__all__ = [
    "MODES", "PROMISES", "SAFE_ORDER", "SANDBOX_ENV", "Guarantee", "Mode", "SandboxUnavailable", "describe_isolation",
    "make_mode", "sandbox_identity",
]


def make_mode(name: str, hidden: tuple[Path, ...] = (), limits: Limits | None = None) -> Mode:
    if name not in MODES:
        raise ValueError(f"unknown isolation {name!r}; expected one of auto, {', '.join(MODES)}")
    return MODES[name](tuple(hidden), limits)


def describe_isolation(name: str) -> str:
    return make_mode(name).describe()
