"""The sandbox: run submission code in a child process and get plain data back (sandbox.py)."""

from .isolation import MODES, SandboxUnavailable, choose_isolation, describe_isolation, problems
from .sandbox import Limits, Sandbox, SandboxRun, probe_mode

__all__ = ["MODES", "Limits", "Sandbox", "SandboxRun", "SandboxUnavailable", "choose_isolation", "describe_isolation", "probe_mode", "problems"]
