"""Finding and stopping whatever a submission started: processes of its uid, orphans, files."""

from __future__ import annotations

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
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def process_table(uids: bool = False):
    """One dict per process: pid, ppid, session, state, resident pages (rss_pages), the CPU time it
    and its reaped children used (cpu_ticks, in clock ticks), and with ``uids`` its uid (one more
    system call per process, so only when asked)."""
    try:
        entries = list(os.scandir("/proc"))
    except OSError:  # no /proc (macOS): nothing to find, the session kill still applies
        return
    for entry in entries:
        if entry.name.isdigit():
            info = process_info(int(entry.name), uids)
            if info is not None:
                yield info


def process_info(pid: int, uid: bool = False) -> dict | None:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            fields = stat_file.read().rsplit(")", 1)[1].split()
        owner = os.stat(f"/proc/{pid}").st_uid if uid else None
    except (OSError, IndexError):
        return None
    return {
        "pid": pid,
        "ppid": int(fields[1]),
        "session": int(fields[3]),
        "uid": owner,
        "state": fields[0],
        "cpu_ticks": sum(int(value) for value in fields[11:15]),  # utime, stime, cutime, cstime
        "rss_pages": int(fields[21]),
        "threads": int(fields[17]),
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def kill_processes(selected, uids: bool = False) -> set[int]:
    """SIGKILL every process the predicate selects (given uids, with ``uids``), until none is left
    (forks may race us). Returns the pids killed."""
    killed: set[int] = set()
    for _ in range(50):
        victims = [info["pid"] for info in process_table(uids) if info["pid"] != os.getpid() and selected(info)]
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


SHARED_SCRATCH = ("/dev/shm", "/var/tmp", "/run/lock", "/tmp")


def remove_files_of(uid: int) -> None:
    """Delete what the sandbox uid left in the machine's shared scratch folders (only the process
    mode can write there; bubblewrap and Landlock confine writes to the sandbox's own folders)."""
    for folder in dict.fromkeys([Path(tempfile.gettempdir()), *map(Path, SHARED_SCRATCH)]):
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
