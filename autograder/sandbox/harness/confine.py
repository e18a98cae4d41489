"""The sandbox confining itself, before any submission code runs: Landlock, seccomp, no_new_privs.

Called by the sandbox's child process (run.py) on itself, in this order:

    set_no_new_privs()
    restrict_filesystem_and_more(read_exec, read_only, list_only, read_write, minimum_abi=6)
    keep_read_search_capability_after_setuid(uid, gid)   # only as root, only when needed
    install_seccomp_filter()

Only the standard library is used (ctypes, os, stat, struct): the child runs with ``python -I``
where nothing but the standard library and NumPy can be imported. Importing this module is safe on
every platform; ``landlock_abi()`` and ``seccomp_available()`` then say what the kernel offers.

Constants come from the kernel's uapi headers (linux/landlock.h, seccomp.h, filter.h, audit.h,
capability.h, securebits.h, prctl.h, sched.h, and the syscall tables asm/unistd_64.h for x86_64
and asm-generic/unistd.h for aarch64).
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import sys

__all__ = [
    "ConfinementError",
    "install_seccomp_filter",
    "keep_read_search_capability_after_setuid",
    "landlock_abi",
    "restrict_filesystem_and_more",
    "seccomp_available",
    "set_no_new_privs",
]


class ConfinementError(RuntimeError):
    """A restriction could not be applied (the process must then not run untrusted code)."""


# --- the platform ------------------------------------------------------------------------------

# Per architecture: the seccomp_data.arch value (AUDIT_ARCH_*) and the syscall numbers used here.
# Landlock's 444-446 and everything from 424 on are shared by both.
_X86_64 = "x86_64"
_AARCH64 = "aarch64"
_AUDIT_ARCH = {_X86_64: 0xC000003E, _AARCH64: 0xC00000B7}  # EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
_SYSCALLS = {
    _X86_64: {
        "fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "unshare": 272, "setns": 308,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
        "process_madvise": 440, "kcmp": 312,
        "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "move_mount": 429,
        "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "open_tree_attr": 467,
        "bpf": 321, "perf_event_open": 298, "keyctl": 250, "add_key": 248, "request_key": 249,
        "userfaultfd": 323, "open_by_handle_at": 304, "name_to_handle_at": 303,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
        "io_uring_setup": 425, "socket": 41, "connect": 42, "sendto": 44, "sendmsg": 46,
        "sendmmsg": 307, "ioctl": 16, "seccomp": 317, "capset": 126, "capget": 125,
        "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93,
        "lchown": 94, "fchownat": 260, "utime": 132, "utimes": 235, "utimensat": 280, "futimesat": 261,
        "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197, "lremovexattr": 198,
        "fremovexattr": 199, "memfd_create": 319, "memfd_secret": 447,
        "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
        "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
        "setpriority": 141, "ioprio_set": 251, "prlimit64": 302, "sched_setparam": 142,
        "sched_setscheduler": 144, "sched_setaffinity": 203, "sched_setattr": 314,
        "migrate_pages": 256, "move_pages": 279, "fcntl": 72,
    },
    _AARCH64: {
        "clone": 220, "clone3": 435, "unshare": 97, "setns": 268,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
        "process_madvise": 440, "kcmp": 272,
        "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "move_mount": 429,
        "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "open_tree_attr": 467,
        "bpf": 280, "perf_event_open": 241, "keyctl": 219, "add_key": 217, "request_key": 218,
        "userfaultfd": 282, "open_by_handle_at": 265, "name_to_handle_at": 264,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225, "acct": 89,
        "io_uring_setup": 425, "socket": 198, "connect": 203, "sendto": 206, "sendmsg": 211,
        "sendmmsg": 269, "ioctl": 29, "seccomp": 277, "capset": 91, "capget": 90,
        "fchmod": 52, "fchmodat": 53, "fchmodat2": 452, "fchown": 55, "fchownat": 54, "utimensat": 88,
        "setxattr": 5, "lsetxattr": 6, "fsetxattr": 7, "removexattr": 14, "lremovexattr": 15,
        "fremovexattr": 16, "memfd_create": 279, "memfd_secret": 447,
        "shmget": 194, "shmat": 196, "shmctl": 195, "semget": 190, "semop": 193, "semctl": 191,
        "semtimedop": 192, "msgget": 186, "msgsnd": 189, "msgrcv": 188, "msgctl": 187, "mq_open": 180,
        "setpriority": 140, "ioprio_set": 30, "prlimit64": 261, "sched_setparam": 118,
        "sched_setscheduler": 119, "sched_setaffinity": 122, "sched_setattr": 274,
        "migrate_pages": 238, "move_pages": 239, "fcntl": 25,
    },
}
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446


def _architecture() -> str | None:
    """x86_64 or aarch64 for a 64-bit process on Linux, else None (this module then does nothing)."""
    if sys.platform != "linux" or struct.calcsize("P") != 8:
        return None
    machine = os.uname().machine
    return machine if machine in _SYSCALLS else None


_libc_handle = None


def _libc():
    global _libc_handle
    if _libc_handle is None:
        import ctypes  # here, not at the top: a Python built without ctypes can still import this

        _libc_handle = ctypes.CDLL(None, use_errno=True)
        _libc_handle.syscall.restype = ctypes.c_long
        _libc_handle.prctl.restype = ctypes.c_int
    return _libc_handle


def _syscall(number: int, *arguments) -> int:
    """syscall(2); raises OSError with the errno on failure. Integers are passed as C longs."""
    import ctypes

    converted = [ctypes.c_long(value) if isinstance(value, int) else value for value in arguments]
    result = _libc().syscall(ctypes.c_long(number), *converted)
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _prctl(option: int, *arguments: int) -> int:
    import ctypes

    padded = [ctypes.c_ulong(value) for value in (list(arguments) + [0, 0, 0, 0])[:4]]
    result = _libc().prctl(ctypes.c_int(option), *padded)
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


_task_folder: tuple[int, int] | None = None  # (pid, descriptor of /proc/<pid>/task), see below
_landlocked_pid: int | None = None  # the process restrict_filesystem_and_more confined


def _thread_count() -> int:
    """Threads of this process. Landlock may deny opening /proc afterwards, so the folder opened
    before restricting is kept and listed again (listing an open descriptor is not an open)."""
    global _task_folder
    if _task_folder is None or _task_folder[0] != os.getpid():
        _task_folder = (os.getpid(), os.open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    return len(os.listdir(_task_folder[1]))


def _require_single_thread(what: str) -> None:
    """Landlock (before ABI 8), securebits and capabilities apply to the calling thread only."""
    try:
        threads = _thread_count()
    except OSError as error:
        raise ConfinementError(f"{what}: cannot count this process's threads ({error})") from None
    if threads != 1:
        raise ConfinementError(
            f"{what} applies to the calling thread only, and this process has {threads} threads: "
            "call it before anything starts a thread (importing NumPy starts OpenBLAS's)"
        )


# --- no_new_privs ------------------------------------------------------------------------------

_PR_SET_NO_NEW_PRIVS, _PR_GET_NO_NEW_PRIVS = 38, 39


def set_no_new_privs() -> None:
    """No execve may ever grant privileges again (setuid bits, file capabilities)."""
    if _architecture() is None:
        raise ConfinementError("no_new_privs needs Linux on x86_64 or aarch64")
    try:
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        if _prctl(_PR_GET_NO_NEW_PRIVS) != 1:
            raise ConfinementError("no_new_privs did not stick")
    except OSError as error:
        raise ConfinementError(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {error}") from None


# --- Landlock ----------------------------------------------------------------------------------

_LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
_LANDLOCK_RULE_PATH_BENEATH = 1
KNOWN_LANDLOCK_ABI = 7  # the newest ABI whose rights this module knows; newer kernels get these

# Filesystem access rights (LANDLOCK_ACCESS_FS_*) and the ABI that introduced each.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
FS_MAKE_SYM, FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
_FS_RIGHTS_SINCE = {1: (1 << 13) - 1, 2: FS_REFER, 3: FS_TRUNCATE, 5: FS_IOCTL_DEV}
_FS_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
# Network rights (LANDLOCK_ACCESS_NET_*, ABI 4) and scopes (LANDLOCK_SCOPE_*, ABI 6).
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ_EXEC = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
READ_ONLY = FS_READ_FILE | FS_READ_DIR
LIST_ONLY = FS_READ_DIR
# Read, write, create and remove files and folders, truncate. Not: execute, make devices, sockets,
# pipes or symbolic links, refer (link or rename across folders), ioctl on devices.
READ_WRITE = (FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_TRUNCATE | FS_REMOVE_DIR | FS_REMOVE_FILE
              | FS_MAKE_DIR | FS_MAKE_REG)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is unavailable (not built, disabled, old
    kernel, not Linux, not x86_64/aarch64). Never raises."""
    if _architecture() is None:
        return 0
    try:
        return max(0, _syscall(_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION))
    except Exception:  # noqa: BLE001 - ENOSYS, EOPNOTSUPP, no ctypes: all mean "not available"
        return 0


def handled_rights(abi: int) -> tuple[int, int, int]:
    """(filesystem rights, network rights, scopes) that a ruleset for ``abi`` denies by default."""
    fs = 0
    for since, rights in _FS_RIGHTS_SINCE.items():
        if abi >= since:
            fs |= rights
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    return fs, net, scoped


def restrict_filesystem_and_more(
    read_exec: list[str],
    read_only: list[str],
    list_only: list[str],
    read_write: list[str],
    minimum_abi: int = 1,
) -> int:
    """Landlock this process and everything it later starts: afterwards it may only execute and
    read beneath ``read_exec``; read files and list folders beneath ``read_only``; list folders
    beneath ``list_only``; read, write, create, remove and truncate beneath ``read_write``. Every
    other file access is denied, and so (by the ABI) are TCP bind and connect (4), signals to
    processes outside this domain and connecting to abstract unix sockets outside it (6).

    Paths that do not exist are skipped; a path may be a file (then only file rights apply).
    Returns the ABI used; raises ConfinementError if the kernel's ABI is below ``minimum_abi``,
    if the process has more than one thread, or if any step fails.
    """
    abi = landlock_abi()
    if abi < max(1, minimum_abi):
        available = f"Landlock ABI {abi}" if abi else "no Landlock"
        raise ConfinementError(f"this kernel offers {available}; at least ABI {max(1, minimum_abi)} is needed")
    abi = min(abi, KNOWN_LANDLOCK_ABI)
    _require_single_thread("Landlock")
    fs, net, scoped = handled_rights(abi)
    attribute = struct.pack("=QQQ", fs, net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    try:
        ruleset = _syscall(_LANDLOCK_CREATE_RULESET, attribute, len(attribute), 0)
    except OSError as error:
        raise ConfinementError(f"landlock_create_ruleset failed: {error}") from None
    try:
        for paths, rights in ((read_exec, READ_EXEC), (read_only, READ_ONLY), (list_only, LIST_ONLY),
                              (read_write, READ_WRITE)):
            for path in paths:
                _allow_beneath(ruleset, path, rights & fs)
        set_no_new_privs()
        try:
            _syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0)
        except OSError as error:
            raise ConfinementError(f"landlock_restrict_self failed: {error}") from None
    finally:
        os.close(ruleset)
    global _landlocked_pid
    _landlocked_pid = os.getpid()
    return abi


def _allow_beneath(ruleset: int, path: str, rights: int) -> None:
    try:
        descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as error:
        raise ConfinementError(f"cannot open {path!r} for a Landlock rule: {error}") from None
    try:
        if not stat.S_ISDIR(os.fstat(descriptor).st_mode):
            rights &= _FS_FILE_RIGHTS
        if rights:
            rule = struct.pack("=Qi", rights, descriptor)  # struct landlock_path_beneath_attr, packed
            _syscall(_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, rule, 0)
    except OSError as error:
        raise ConfinementError(f"landlock_add_rule for {path!r} failed: {error}") from None
    finally:
        os.close(descriptor)


# --- seccomp -----------------------------------------------------------------------------------

_PR_GET_SECCOMP = 21
_SECCOMP_SET_MODE_FILTER, _SECCOMP_GET_ACTION_AVAIL = 1, 2
_SECCOMP_FILTER_FLAG_TSYNC = 1 << 0
_RET_KILL_PROCESS, _RET_ERRNO, _RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
# Classic BPF opcodes (linux/bpf_common.h): BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_{JEQ,JGE,JSET}|BPF_K,
# BPF_RET|BPF_K.
_LOAD, _JEQ, _JGE, _JSET, _RETURN = 0x20, 0x15, 0x35, 0x45, 0x06
# Offsets in struct seccomp_data {int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6];}.
# Both architectures are little-endian: the low half of args[i] is at 16 + 8 i, the high half 4 on.
_NR, _ARCH = 0, 4


def _argument(index: int, high: bool = False) -> int:
    return 16 + 8 * index + (4 if high else 0)


_X32_SYSCALL_BIT = 0x40000000
CLONE_THREAD = 0x00010000
CLONE_NEW_NAMESPACES = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                        | 0x40000000)  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_AF_UNIX = 1
_TIOCSTI, _TIOCLINUX = 0x5412, 0x541C
_FIOSETOWN, _SIOCSPGRP = 0x8901, 0x8902  # ioctls that make a process the owner of a file's signals
_F_SETOWN, _F_SETSIG, _F_SETOWN_EX = 8, 10, 15  # fcntl: the same, and the signal sent

# Denied outright with EPERM (names absent from an architecture's table, like fork on aarch64,
# are skipped). connect, sendmsg and sendmmsg are denied because Landlock before ABI 9 cannot
# restrict named unix sockets: a session's D-Bus (systemd-run), ssh-agent and gpg-agent listen on
# them. sendto is denied only with a destination address (send() is sendto without one).
DENIED = (
    "fork", "vfork", "unshare", "setns",
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "open_tree_attr",
    "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
    "open_by_handle_at", "name_to_handle_at", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "io_uring_setup",
    "connect", "sendmsg", "sendmmsg",
    # Landlock governs neither a file's metadata nor System V IPC: as a normal user the sandbox runs
    # as the grader's uid and could make the grader's own files unreadable or read-only.
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime",
    "utimes", "utimensat", "futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
    "lremovexattr", "fremovexattr",
    # Memory no process maps (so in no RSS the grader adds up), and channels between sandboxes.
    "memfd_create", "memfd_secret", "shmget", "shmat", "shmctl", "semget", "semop", "semctl",
    "semtimedop", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open",
    # A process's priority (its own is left as it is too: the grader sets it).
    "setpriority", "ioprio_set",
)

# Allowed on the calling process only (pid 0): on another one they act on it without a signal, and
# as a normal user the grader and its workers share the sandbox's uid. prlimit64 on the grader could
# lower its CPU-time limit until the kernel kills it.
SELF_ONLY = ("prlimit64", "sched_setparam", "sched_setscheduler", "sched_setaffinity", "sched_setattr",
             "migrate_pages", "move_pages")


def seccomp_available() -> bool:
    """Whether install_seccomp_filter can work here (Linux x86_64/aarch64, seccomp filters built)."""
    architecture = _architecture()
    if architecture is None:
        return False
    try:
        import ctypes

        _prctl(_PR_GET_SECCOMP)
        for action in (_RET_ERRNO, _RET_KILL_PROCESS, _RET_ALLOW):
            value = ctypes.c_uint32(action)
            _syscall(_SYSCALLS[architecture]["seccomp"], _SECCOMP_GET_ACTION_AVAIL, 0, ctypes.byref(value))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def seccomp_program(architecture: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions; see install_seccomp_filter for what it does."""
    numbers = _SYSCALLS[architecture]
    eperm, enosys = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS
    # Instructions with symbolic jump targets, resolved below: ("label", name) marks a position.
    code: list = [
        (_LOAD, None, None, _ARCH),
        (_JEQ, "number", "kill", _AUDIT_ARCH[architecture]),
        ("label", "number"),
        (_LOAD, None, None, _NR),
    ]
    if architecture == _X86_64:  # x32 system calls share the x86_64 arch value
        code.append((_JGE, "eperm", None, _X32_SYSCALL_BIT))
    for name in DENIED:
        if name in numbers:
            code.append((_JEQ, "eperm", None, numbers[name]))
    code += [
        (_JEQ, "enosys", None, numbers["clone3"]),  # glibc then falls back to clone, whose flags we see
        (_JEQ, "clone", None, numbers["clone"]),
        (_JEQ, "socket", None, numbers["socket"]),
        (_JEQ, "sendto", None, numbers["sendto"]),
        (_JEQ, "ioctl", None, numbers["ioctl"]),
        (_JEQ, "fcntl", None, numbers["fcntl"]),
    ]
    for name in SELF_ONLY:
        code.append((_JEQ, "self", None, numbers[name]))
    code += [
        (_RETURN, None, None, _RET_ALLOW),
        ("label", "self"),  # pid_t pid, read as 32 bits: 0 is the caller
        (_LOAD, None, None, _argument(0)),
        (_JEQ, "allow", "eperm", 0),
        ("label", "fcntl"),  # unsigned int cmd: no signals from a file to another process
        (_LOAD, None, None, _argument(1)),
        (_JEQ, "eperm", None, _F_SETOWN),
        (_JEQ, "eperm", None, _F_SETSIG),
        (_JEQ, "eperm", "allow", _F_SETOWN_EX),
        ("label", "clone"),  # the kernel reads clone's flags as 32 bits (the low byte is the exit signal)
        (_LOAD, None, None, _argument(0)),
        (_JSET, "eperm", None, CLONE_NEW_NAMESPACES),
        (_JSET, "allow", "eperm", CLONE_THREAD),
        ("label", "socket"),  # int domain
        (_LOAD, None, None, _argument(0)),
        (_JEQ, "allow", "eperm", _AF_UNIX),
        ("label", "sendto"),  # a destination address (the fifth argument, a pointer) must be NULL
        (_LOAD, None, None, _argument(4)),
        (_JEQ, None, "eperm", 0),
        (_LOAD, None, None, _argument(4, high=True)),
        (_JEQ, "allow", "eperm", 0),
        ("label", "ioctl"),  # unsigned int request: no typing into a terminal
        (_LOAD, None, None, _argument(1)),
        (_JEQ, "eperm", None, _TIOCSTI),
        (_JEQ, "eperm", None, _TIOCLINUX),
        (_JEQ, "eperm", None, _FIOSETOWN),
        (_JEQ, "eperm", None, _SIOCSPGRP),
        ("label", "allow"),
        (_RETURN, None, None, _RET_ALLOW),
        ("label", "eperm"),
        (_RETURN, None, None, eperm),
        ("label", "enosys"),
        (_RETURN, None, None, enosys),
        ("label", "kill"),
        (_RETURN, None, None, _RET_KILL_PROCESS),
    ]
    positions, index = {}, 0
    for item in code:
        if item[0] == "label":
            positions[item[1]] = index
        else:
            index += 1
    program, index = [], 0
    for item in code:
        if item[0] == "label":
            continue
        opcode, true, false, k = item
        jumps = []
        for target in (true, false):
            offset = 0 if target is None else positions[target] - index - 1
            if not 0 <= offset <= 255:
                raise ConfinementError(f"seccomp filter: jump to {target} out of range")
            jumps.append(offset)
        program.append((opcode, jumps[0], jumps[1], k))
        index += 1
    return program


def install_seccomp_filter() -> None:
    """A seccomp filter on every thread of this process (and all it starts) that makes these fail
    with EPERM: creating processes (fork, vfork, clone without CLONE_THREAD, any clone with a
    CLONE_NEW* flag), unshare, setns, ptrace and the calls that read or act on another process
    (process_vm_readv/writev, pidfd_getfd, process_madvise, kcmp), mounting (mount, umount2,
    pivot_root, chroot, the new mount API), bpf, perf_event_open, keyrings, userfaultfd, file
    handles, kexec, kernel modules, reboot, swap, acct, io_uring_setup, socket() for every family
    but AF_UNIX, connect, sendto with an address, sendmsg, sendmmsg, the terminal ioctls TIOCSTI
    and TIOCLINUX, changing a file's mode, owner, times or extended attributes, memfds, System V
    and POSIX IPC, priorities, acting on another process's limits, scheduling or memory placement
    (SELF_ONLY), and making another process the owner of a file's signals (F_SETOWN, F_SETSIG,
    F_SETOWN_EX, FIOSETOWN, SIOCSPGRP). clone3 fails with ENOSYS (glibc then uses clone). Threads stay allowed;
    so does everything not listed. A system call of another architecture (x86's int 0x80, AArch32)
    kills the process. Sets no_new_privs first.
    """
    architecture = _architecture()
    if architecture is None:
        raise ConfinementError(
            f"the seccomp filter is written for Linux on x86_64 and aarch64, not {sys.platform} "
            f"({struct.calcsize('P') * 8}-bit)" + (f" on {os.uname().machine}" if hasattr(os, "uname") else "")
        )
    import ctypes

    program = seccomp_program(architecture)
    instructions = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(instructions, len(instructions))
    fprog = struct.pack("=HxxxxxxQ", len(program), ctypes.addressof(buffer))  # struct sock_fprog
    set_no_new_privs()
    try:
        result = _syscall(_SYSCALLS[architecture]["seccomp"], _SECCOMP_SET_MODE_FILTER,
                          _SECCOMP_FILTER_FLAG_TSYNC, fprog)
    except OSError as error:
        raise ConfinementError(f"seccomp(SECCOMP_SET_MODE_FILTER) failed: {error}") from None
    if result != 0:
        raise ConfinementError(f"seccomp: thread {result} could not be synchronised to the filter")


# --- keeping one capability across the uid drop ------------------------------------------------

CAP_DAC_READ_SEARCH = 2
_PR_SET_KEEPCAPS, _PR_CAPBSET_READ, _PR_CAPBSET_DROP = 8, 23, 24
_PR_GET_SECUREBITS, _PR_SET_SECUREBITS = 27, 28
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_IS_SET, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 1, 4
_SECBIT_NOROOT, _SECBIT_NOROOT_LOCKED = 1 << 0, 1 << 1
_SECBIT_KEEP_CAPS = 1 << 4
_SECBIT_NO_CAP_AMBIENT_RAISE, _SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 6, 1 << 7
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def keep_read_search_capability_after_setuid(uid: int, gid: int) -> None:
    """As root: become ``uid``/``gid`` (no supplementary groups) keeping exactly
    CAP_DAC_READ_SEARCH (read any file, search any folder, whatever its mode), and no other
    capability, now or after any execve. Meant for a process already under Landlock, which then
    decides what it may read; refuses otherwise. The bounding set is cleared except that one,
    ambient capabilities are cleared and cannot be raised, and securebits NOROOT is set and locked.
    """
    architecture = _architecture()
    if architecture is None:
        raise ConfinementError("keeping a capability needs Linux on x86_64 or aarch64")
    if os.geteuid() != 0:
        raise ConfinementError("keeping a capability across setuid needs root")
    if uid == 0 or gid == 0:
        raise ConfinementError("the uid and gid to drop to must not be root's")
    if _landlocked_pid != os.getpid():
        raise ConfinementError("CAP_DAC_READ_SEARCH may only be kept under Landlock: call restrict_filesystem_and_more first")
    _require_single_thread("keeping a capability")
    try:
        last = _last_capability()
        for capability in range(last + 1):
            if capability != CAP_DAC_READ_SEARCH:
                _prctl(_PR_CAPBSET_DROP, capability)
        _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL)
        _prctl(_PR_SET_SECUREBITS, _SECBIT_KEEP_CAPS | _SECBIT_NOROOT | _SECBIT_NOROOT_LOCKED
               | _SECBIT_NO_CAP_AMBIENT_RAISE | _SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # keeps the permitted set (KEEP_CAPS), clears the effective one
        kept = 1 << CAP_DAC_READ_SEARCH
        _capset(architecture, effective=kept, permitted=kept, inheritable=0)
        _prctl(_PR_SET_KEEPCAPS, 0)
    except OSError as error:
        raise ConfinementError(f"dropping to uid {uid} with CAP_DAC_READ_SEARCH failed: {error}") from None
    _verify_capabilities(architecture, uid, gid, last)


def _last_capability() -> int:
    """The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap, which Landlock hides)."""
    for capability in range(64):
        try:
            _prctl(_PR_CAPBSET_READ, capability)
        except OSError as error:
            if error.errno == errno.EINVAL:
                return capability - 1
            raise
    return 63


def _capset(architecture: str, effective: int, permitted: int, inheritable: int) -> None:
    header = struct.pack("=Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = struct.pack("=6I", effective & 0xFFFFFFFF, permitted & 0xFFFFFFFF, inheritable & 0xFFFFFFFF,
                       effective >> 32, permitted >> 32, inheritable >> 32)
    _syscall(_SYSCALLS[architecture]["capset"], header, data)


def capabilities(architecture: str | None = None) -> tuple[int, int, int]:
    """(effective, permitted, inheritable) of the calling thread, as bit masks."""
    import ctypes

    architecture = architecture or _architecture()
    if architecture is None:
        raise ConfinementError(f"capabilities are read only on {', '.join(_SYSCALLS)}")
    header = struct.pack("=Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = ctypes.create_string_buffer(24)
    _syscall(_SYSCALLS[architecture]["capget"], header, data)
    e0, p0, i0, e1, p1, i1 = struct.unpack("=6I", data.raw)
    return e0 | e1 << 32, p0 | p1 << 32, i0 | i1 << 32


def _verify_capabilities(architecture: str, uid: int, gid: int, last: int) -> None:
    kept = 1 << CAP_DAC_READ_SEARCH
    problems = []
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        problems.append(f"ids are {os.getresuid()}, {os.getresgid()}, groups {os.getgroups()}")
    if capabilities(architecture) != (kept, kept, 0):
        problems.append("capability sets are (effective, permitted, inheritable) = "
                        + ", ".join(hex(mask) for mask in capabilities(architecture)))
    bounding = [cap for cap in range(last + 1) if _prctl(_PR_CAPBSET_READ, cap) == 1]
    if bounding != [CAP_DAC_READ_SEARCH]:
        problems.append(f"bounding set is {bounding}")
    if any(_prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_IS_SET, cap) for cap in range(last + 1)):
        problems.append("an ambient capability is set")
    bits = _prctl(_PR_GET_SECUREBITS)
    if bits & (_SECBIT_NOROOT | _SECBIT_NOROOT_LOCKED) != _SECBIT_NOROOT | _SECBIT_NOROOT_LOCKED:
        problems.append(f"securebits are {bits:#x}")
    if problems:
        raise ConfinementError("after dropping privileges: " + "; ".join(problems))
