"""The sandbox: run submission code in a child process and get plain data back (sandbox.py).

Its rooms, from the top: sandbox.py (the relaunch loop) and trial.py (which mode works here) use
stage.py (the folder the child sees), child.py (one launch) with clock.py (its limits) and
channel.py (its frames); isolation/ holds one module per mode; limits.py and processes.py are
the ground floor. harness/ is the code that runs inside the child, with only the standard library
and NumPy.
"""

from .channel import CaseOutcome, Status
from .isolation import MODES, SandboxUnavailable, describe_isolation
from .limits import Limits
from .sandbox import Sandbox, SandboxRun
from .trial import choose_isolation, problems

__all__ = [
    "MODES", "CaseOutcome", "Limits", "Sandbox", "SandboxRun", "SandboxUnavailable", "Status", "choose_isolation",
    "describe_isolation", "problems",
]
