"""Finding and stopping whatever a submission started: processes of its uid, orphans, files."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path




def become_subreaper() -> None:
    """Make orphaned descendants of this process re-parent to it, so they can be found and killed."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def process_table():
    """One dict per process: pid, ppid, session, uid and resident pages (rss_pages)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat_file:
                fields = stat_file.read().rsplit(")", 1)[1].split()
            uid = os.stat(f"/proc/{entry.name}").st_uid
        except (OSError, IndexError):
            continue
        yield {"pid": int(entry.name), "ppid": int(fields[1]), "session": int(fields[3]), "uid": uid, "rss_pages": int(fields[21])}


def kill_processes(selected) -> set[int]:
    """SIGKILL every process the predicate selects, until none is left (forks may race us).
    Returns the pids killed."""
    killed: set[int] = set()
    for _ in range(50):
        victims = [info["pid"] for info in process_table() if info["pid"] != os.getpid() and selected(info)]
        victims = [pid for pid in victims if pid not in killed or _alive(pid)]
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)
    return killed


def remove_files_of(uid: int) -> None:
    """Delete what the sandbox uid left in the shared scratch folders (the plain-process sandbox
    can write there; bubblewrap gives each sandbox a /tmp of its own)."""
    for folder in (Path(tempfile.gettempdir()), Path("/dev/shm")):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    """True unless the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
