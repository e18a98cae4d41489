"""Run a command and report the processes it started that outlived it.

Usage: python tests/outlived.py REPORT.json COMMAND...

This process makes itself a child subreaper first, so every descendant of COMMAND that is
orphaned (a double fork, a new session, a sandbox the grader lost track of) is re-parented to it
rather than to init. When COMMAND has exited, its live children are exactly what COMMAND left
behind, whoever else runs on the machine: a test judges only processes it started. They are
written to REPORT.json (pid, uid, command line), then killed. Exits with COMMAND's exit code.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
GRACE_SECONDS = 2.0  # processes the command killed as it ended may take a moment to go


def live_children() -> list[dict]:
    """This process's children that are not zombies (zombies are reaped on the way)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            owner = entry.stat().st_uid
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append({"pid": int(entry.name), "uid": owner, "command": command})
    return found


def main() -> int:
    report, command = Path(sys.argv[1]), sys.argv[2:]
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("cannot become a child subreaper")
    returncode = subprocess.run(command).returncode
    deadline = time.monotonic() + GRACE_SECONDS
    while (left := live_children()) and time.monotonic() < deadline:
        time.sleep(0.1)
    report.write_text(json.dumps(left))
    for process in left:
        try:
            os.kill(process["pid"], signal.SIGKILL)
        except OSError:
            pass
    return returncode


if __name__ == "__main__":
    sys.exit(main())
