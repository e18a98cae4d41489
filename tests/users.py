"""Normal users for the tests that must hold as root and as a normal user alike.

When the tests run as root, ``create_user`` adds a user of its own (no home, a uid outside the
sandbox's 61000-64999); running as a normal user, that user is the test process itself.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from dataclasses import dataclass

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


def open_ancestors_for_others(paths) -> list[tuple[str, int]]:
    """Give "others" search (x) permission on every folder above ``paths`` that lacks it, so that a
    normal user can reach the interpreter and the kit (a pyenv under /root, say). Returns what to
    restore with ``restore_modes``."""
    changed = []
    for path in paths:
        for folder in reversed([str(parent) for parent in __import__("pathlib").Path(path).resolve().parents]):
            mode = os.stat(folder).st_mode
            if not mode & 0o001:
                os.chmod(folder, mode | 0o001)
                changed.append((folder, mode))
    return changed


def restore_modes(changed: list[tuple[str, int]]) -> None:
    for folder, mode in reversed(changed):
        os.chmod(folder, mode & 0o7777)
