"""Normal users for the tests that must hold as root and as a normal user alike.

When the tests run as root, ``create_user`` adds a user of its own (no home, a uid outside the
sandbox's 61000-64999); running as a normal user, that user is the test process itself.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

IS_ROOT = os.geteuid() == 0


@dataclass
class Identity:
    name: str
    uid: int | None  # the uid a child drops to; None: it stays what this process is
    gid: int | None

    def become(self) -> None:
        if self.uid is not None:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)

    def popen_options(self) -> dict:
        return {} if self.uid is None else {"user": self.uid, "group": self.gid, "extra_groups": []}

    @property
    def effective_uid(self) -> int:
        return os.geteuid() if self.uid is None else self.uid


def create_user() -> tuple[str, int, int]:
    """useradd a user of its own (no home), with a uid outside the grader's 61000-64999."""
    for uid in range(59000, 60000):
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        name = f"nnconfine{uid}"
        for _ in range(20):  # /etc/passwd may be locked by a concurrent useradd
            done = subprocess.run(["useradd", "-M", "-U", "-u", str(uid), "-s", "/usr/sbin/nologin", name],
                                  capture_output=True, text=True)
            if done.returncode != 10:
                break
            time.sleep(0.2)
        if done.returncode == 0:
            entry = pwd.getpwnam(name)
            return name, entry.pw_uid, entry.pw_gid
        if done.returncode not in (4, 9):  # uid or name taken meanwhile: try the next
            raise RuntimeError(f"useradd failed: {done.stderr}")
    raise RuntimeError("no free uid in 59000-59999")


def normal_user_fixture():
    """A generator for a session fixture: the test process itself when it is not root, else a user
    created for the session and removed after it."""
    if not IS_ROOT:
        yield Identity("user", None, None)
        return
    name, uid, gid = create_user()
    try:
        yield Identity("user", uid, gid)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


# Every test session on the machine that opens folders for others records their first mode here,
# and only the last one still needing them restores it: another checkout's tests running beside
# this one must not close /root under it (nor leave it open for good).
OPENED_RECORD = Path("/tmp/nn-tests-opened-folders.json")


def open_ancestors_for_others(paths) -> int:
    """Give "others" search (x) permission on every folder above ``paths`` that lacks it, so that a
    normal user can reach the interpreter and the kit (a pyenv under /root, say). Returns a handle
    for ``restore_modes``, which this session must call when it no longer needs them."""
    import fcntl

    handle = os.open(OPENED_RECORD, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.lockf(handle, fcntl.LOCK_EX)
    record = _read_record(handle)
    for path in paths:
        for folder in reversed([str(parent) for parent in Path(path).resolve().parents]):
            mode = os.stat(folder).st_mode
            if not mode & 0o001:
                record.setdefault(folder, mode & 0o7777)
                os.chmod(folder, mode | 0o001)
    _write_record(handle, record)
    fcntl.lockf(handle, fcntl.LOCK_SH)  # held while this session needs the folders open
    return handle


def restore_modes(handle: int) -> None:
    """Close the folders again, unless another session still holds them open (it will)."""
    import fcntl

    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return
    record = _read_record(handle)
    for folder, mode in sorted(record.items(), key=lambda item: -len(item[0])):
        try:
            os.chmod(folder, mode)
        except OSError:
            pass
    _write_record(handle, {})
    os.close(handle)


def _read_record(handle: int) -> dict[str, int]:
    os.lseek(handle, 0, os.SEEK_SET)
    text = os.read(handle, 1 << 20).decode()
    return json.loads(text) if text.strip() else {}


def _write_record(handle: int, record: dict[str, int]) -> None:
    os.lseek(handle, 0, os.SEEK_SET)
    os.ftruncate(handle, 0)
    os.write(handle, json.dumps(record).encode())
