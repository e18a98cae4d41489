"""The sandbox's self-confinement (autograder/sandbox/harness/confine.py): each restriction is shown
working WITHOUT the defence (so the attempt is real) and failing WITH it.

Every attempt runs in a child so that this process stays unconfined: a fork of this process that
applies the defence and then tries (``attempt_in_child``), or a fresh ``python -I -S`` that
confines itself at start, as the harness does. Each runs as root and as a normal user (a user this
module creates when it runs as root; the test process itself otherwise). A test is skipped only
where the kernel lacks the feature, and says which (with the Landlock ABI).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from autograder.sandbox.harness import confine
from users import Identity, normal_user_fixture

ROOT = Path(__file__).resolve().parents[3]
HARNESS = ROOT / "autograder" / "sandbox" / "harness"
ABI = confine.landlock_abi()
SECCOMP = confine.seccomp_available()
IS_ROOT = os.geteuid() == 0
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long

needs_landlock = pytest.mark.skipif(ABI < 1, reason="this kernel has no Landlock (ABI 0)")
needs_seccomp = pytest.mark.skipif(not SECCOMP, reason="seccomp filters are not available here")
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (the sandbox drops from root to a uid)")


def needs_abi(minimum: int, what: str):
    return pytest.mark.skipif(ABI < minimum, reason=f"{what} needs Landlock ABI {minimum}; this kernel has ABI {ABI}")


# --- who the child runs as ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def normal_user():
    yield from normal_user_fixture()


@pytest.fixture(params=["root", "user"])
def identity(request, normal_user) -> Identity:
    if request.param == "root":
        if not IS_ROOT:
            pytest.skip("the test process is not root")
        return Identity("root", None, None)
    return normal_user


# --- the file system the child sees -------------------------------------------------------------


@dataclass
class Place:
    base: Path
    outside: Path  # a folder anyone may write, outside every allowed path
    secret: Path  # a world-readable file in it
    owned: Path  # a file in it owned by the child's uid (for the hard-link attempt)
    stage: Path  # the child's own folder (read_write)
    listed: Path  # list_only
    listed_file: Path
    readable: Path  # read_only
    readable_file: Path


@pytest.fixture
def place(identity) -> Place:
    base = Path(tempfile.mkdtemp(prefix="nn-confine-", dir="/tmp"))
    os.chmod(base, 0o755)
    folders = {name: base / name for name in ("outside", "stage", "listed", "readable")}
    for folder in folders.values():
        folder.mkdir(mode=0o755)
    os.chmod(folders["outside"], 0o777)
    (folders["outside"] / "secret.txt").write_text("the solution\n")
    (folders["outside"] / "owned.txt").write_text("the grader's own file\n")
    (folders["listed"] / "inside.txt").write_text("listed, not readable\n")
    (folders["readable"] / "data.txt").write_text("readable\n")
    for path in base.rglob("*.txt"):
        os.chmod(path, 0o644)
    if identity.uid is not None:
        os.chown(folders["stage"], identity.uid, identity.gid)
        os.chown(folders["outside"] / "owned.txt", identity.uid, identity.gid)
    os.chmod(folders["stage"], 0o700)
    yield Place(base, folders["outside"], folders["outside"] / "secret.txt", folders["outside"] / "owned.txt",
                folders["stage"], folders["listed"], folders["listed"] / "inside.txt", folders["readable"],
                folders["readable"] / "data.txt")
    for mount in (base / "stage" / "mnt",):  # a tmpfs an undefended attempt may have left
        subprocess.run(["umount", str(mount)], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


# --- running an attempt in a child --------------------------------------------------------------


def outcome(action: Callable[[], object]) -> str:
    """'done', or the errno name of the OSError the action raised."""
    try:
        action()
        return "done"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))


def attempt_in_child(identity: Identity, defence: Callable[[], object], attempt: Callable[[], object],
                     timeout: float = 20) -> object:
    """Fork; the child becomes ``identity``, applies ``defence``, returns ``attempt()`` (JSON)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            identity.become()
            defence()
            result = {"result": attempt()}
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            result = {"crash": f"{type(error).__name__}: {error}"}
        try:
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"the child did not finish within {timeout} s")
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    reply = json.loads(b"".join(chunks) or b'{"crash": "no reply"}')
    assert "crash" not in reply, reply.get("crash")
    return reply["result"]


def nothing() -> None:
    pass


def landlock(place: Place, minimum_abi: int = 1) -> Callable[[], int]:
    return lambda: confine.restrict_filesystem_and_more(
        read_exec=[], read_only=[str(place.readable)], list_only=[str(place.listed)],
        read_write=[str(place.stage)], minimum_abi=minimum_abi)


def seccomp() -> None:
    confine.install_seccomp_filter()


# --- the platform ------------------------------------------------------------------------------


def test_module_works_where_these_system_calls_do_not_exist(monkeypatch):
    """On macOS or Windows `python -m autograder check` imports the harness: nothing may fail."""
    for platform_name in ("darwin", "win32"):
        monkeypatch.setattr(confine.sys, "platform", platform_name)
        assert confine.landlock_abi() == 0
        assert confine.seccomp_available() is False
        with pytest.raises(confine.ConfinementError):
            confine.install_seccomp_filter()
        with pytest.raises(confine.ConfinementError, match="no Landlock"):
            confine.restrict_filesystem_and_more([], [], [], [])


def test_landlock_abi_is_0_when_the_system_call_is_missing(monkeypatch):
    def missing(*arguments):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(confine, "_syscall", missing)
    assert confine.landlock_abi() == 0


def test_a_fresh_interpreter_imports_the_module_as_on_macos():
    code = (f"import sys; sys.platform = 'darwin'; sys.path.insert(0, {str(HARNESS)!r}); import confine; "
            "print(confine.landlock_abi(), confine.seccomp_available())")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.split()) == (0, ["0", "False"]), done.stderr


def header_numbers(path: Path) -> dict[str, int]:
    numbers = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "#define" and parts[2].isdigit():
            for prefix in ("__NR_", "__NR3264_"):
                if parts[1].startswith(prefix):
                    numbers[parts[1][len(prefix):]] = int(parts[2])
    return numbers


@pytest.mark.parametrize("architecture, header", [
    ("x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    ("aarch64", "/usr/include/asm-generic/unistd.h"),  # arm64's table is the generic one
])
def test_syscall_numbers_match_the_kernel_headers(architecture, header):
    if not Path(header).exists():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    numbers = header_numbers(Path(header))
    table = confine._SYSCALLS[architecture]
    checked = {name: number for name, number in table.items() if name in numbers}
    assert checked == {name: numbers[name] for name in checked}
    # only system calls newer than the installed headers may go unchecked
    assert set(table) - set(checked) <= {"open_tree_attr", "fchmodat2"}


# A classic BPF interpreter, to check the filter's decisions for both architectures here.
SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS = 0x7FFF0000, 0x80000000
RET_EPERM, RET_ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS


def run_filter(program, number: int, arch: int, arguments=(0, 0, 0, 0, 0, 0)) -> int:
    data = struct.pack("=iIQ6Q", number, arch, 0, *arguments)
    counter, accumulator = 0, 0
    for _ in range(len(program)):
        code, jump_true, jump_false, k = program[counter]
        if code == 0x06:  # BPF_RET|BPF_K
            return k
        if code == 0x20:  # BPF_LD|BPF_W|BPF_ABS
            accumulator = struct.unpack_from("=I", data, k)[0]
            counter += 1
            continue
        taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
        counter += 1 + (jump_true if taken else jump_false)
    raise AssertionError("the program did not return")


THREAD_FLAGS = 0x3D0F00  # glibc's pthread_create: CLONE_VM|FS|FILES|SYSVSEM|SIGHAND|THREAD|SETTLS|...
FORK_FLAGS = 0x01200011  # glibc's fork: CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
SPAWN_FLAGS = 0x4111  # posix_spawn: CLONE_VM|CLONE_VFORK|SIGCHLD


@pytest.mark.parametrize("architecture, arch, foreign_arch, read_number", [
    ("x86_64", 0xC000003E, 0x40000003, 0),  # AUDIT_ARCH_X86_64; AUDIT_ARCH_I386 (int 0x80); read
    ("aarch64", 0xC00000B7, 0x40000028, 63),  # AUDIT_ARCH_AARCH64; AUDIT_ARCH_ARM (AArch32); read
])
def test_filter_decisions(architecture, arch, foreign_arch, read_number):
    program = confine.seccomp_program(architecture)
    numbers = confine._SYSCALLS[architecture]

    def decide(name, *arguments):
        return run_filter(program, numbers[name] if isinstance(name, str) else name, arch,
                          tuple(arguments) + (0,) * (6 - len(arguments)))

    assert decide(read_number) == SECCOMP_RET_ALLOW
    assert decide("clone", THREAD_FLAGS) == SECCOMP_RET_ALLOW
    assert decide("clone", FORK_FLAGS) == RET_EPERM
    assert decide("clone", SPAWN_FLAGS) == RET_EPERM
    assert decide("clone", THREAD_FLAGS | 0x10000000) == RET_EPERM  # CLONE_NEWUSER
    assert decide("clone3") == RET_ENOSYS
    assert decide("socket", socket.AF_UNIX, socket.SOCK_STREAM) == SECCOMP_RET_ALLOW
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
        assert decide("socket", family, socket.SOCK_DGRAM) == RET_EPERM
    assert decide("socket", socket.AF_INET | 1 << 32) == RET_EPERM  # the kernel reads int domain: AF_INET
    assert decide("sendto", 3, 0x1000, 1, 0, 0, 0) == SECCOMP_RET_ALLOW  # send(): no address
    assert decide("sendto", 3, 0x1000, 1, 0, 0x7FFF0000, 16) == RET_EPERM
    assert decide("sendto", 3, 0x1000, 1, 0, 1 << 40, 16) == RET_EPERM
    assert decide("ioctl", 0, 0x5412) == RET_EPERM  # TIOCSTI
    assert decide("ioctl", 0, 0x5401) == SECCOMP_RET_ALLOW  # TCGETS
    for name in ("unshare", "setns", "ptrace", "mount", "bpf", "io_uring_setup", "open_by_handle_at", "connect"):
        assert decide(name) == RET_EPERM, name
    for name in ("fchmod", "fchmodat", "fchownat", "utimensat", "fsetxattr", "memfd_create", "shmget", "mq_open",
                 "setpriority", "ioprio_set"):
        assert decide(name) == RET_EPERM, name
    for name in confine.SELF_ONLY:
        assert decide(name, 0, 7) == SECCOMP_RET_ALLOW, name  # itself
        assert decide(name, 1234, 7) == RET_EPERM, name  # another process
        assert decide(name, 1 << 32, 7) == SECCOMP_RET_ALLOW, name  # pid_t is 32 bits: still itself
    assert decide("fcntl", 3, 1) == SECCOMP_RET_ALLOW  # F_GETFD
    assert decide("fcntl", 3, 4, 0o4000) == SECCOMP_RET_ALLOW  # F_SETFL
    for command in (8, 10, 15):  # F_SETOWN, F_SETSIG, F_SETOWN_EX
        assert decide("fcntl", 3, command, 1) == RET_EPERM, command
    assert decide("ioctl", 3, 0x8901) == RET_EPERM  # FIOSETOWN
    assert run_filter(program, read_number, foreign_arch) == SECCOMP_RET_KILL_PROCESS
    if architecture == "x86_64":
        assert decide(0x40000000 | 57) == RET_EPERM  # an x32 system call
        assert decide("fork") == RET_EPERM


# --- Landlock: files ---------------------------------------------------------------------------


@needs_landlock
def test_reading_outside_the_allowed_paths_is_denied(identity, place):
    read = lambda: outcome(lambda: place.secret.read_text())  # noqa: E731
    assert attempt_in_child(identity, nothing, read) == "done"
    assert attempt_in_child(identity, landlock(place), read) == "EACCES"


@needs_landlock
def test_reading_an_allowed_file_works(identity, place):
    read = lambda: outcome(lambda: place.readable_file.read_text())  # noqa: E731
    assert attempt_in_child(identity, landlock(place), read) == "done"
    no_rule = lambda: confine.restrict_filesystem_and_more([], [], [], [str(place.stage)])  # noqa: E731
    assert attempt_in_child(identity, no_rule, read) == "EACCES"


@needs_landlock
def test_writing_outside_the_stage_is_denied(identity, place):
    def write():
        return [outcome(lambda: (place.outside / f"new-{os.getpid()}.txt").write_text("x")),
                outcome(lambda: place.owned.open("a").write("x")),
                outcome(lambda: os.mkdir(place.outside / f"folder-{os.getpid()}")),
                outcome(lambda: os.truncate(place.owned, 0)),  # by path: only Landlock's TRUNCATE stops it
                outcome(lambda: os.unlink(place.owned))]

    assert attempt_in_child(identity, nothing, write) == ["done"] * 5
    place.owned.write_text("again\n")
    os.chmod(place.owned, 0o644)
    if identity.uid is not None:
        os.chown(place.owned, identity.uid, identity.gid)
    assert attempt_in_child(identity, landlock(place), write) == ["EACCES"] * 5


@needs_landlock
def test_writing_creating_truncating_and_removing_in_the_stage_work(identity, place):
    def work():
        file = place.stage / "work.txt"
        steps = [
            outcome(lambda: file.write_text("0123456789")),
            outcome(lambda: file.open("a").write("more")),
            outcome(lambda: os.truncate(file, 3)),
            outcome(lambda: os.close(os.open(file, os.O_WRONLY | os.O_TRUNC))),
            outcome(lambda: os.mkdir(place.stage / "sub")),
            outcome(lambda: os.rename(file, place.stage / "renamed.txt")),
            outcome(lambda: os.unlink(place.stage / "renamed.txt")),
            outcome(lambda: os.rmdir(place.stage / "sub")),
        ]
        return steps

    assert attempt_in_child(identity, landlock(place), work) == ["done"] * 8
    no_stage = lambda: confine.restrict_filesystem_and_more([], [], [], [])  # noqa: E731
    assert attempt_in_child(identity, no_stage, work)[0] == "EACCES"


@needs_landlock
def test_a_list_only_folder_can_be_listed_but_its_files_not_read(identity, place):
    def look():
        return [outcome(lambda: os.listdir(place.listed)), outcome(lambda: place.listed_file.read_text())]

    assert attempt_in_child(identity, nothing, look) == ["done", "done"]
    assert attempt_in_child(identity, landlock(place), look) == ["done", "EACCES"]
    no_rule = lambda: confine.restrict_filesystem_and_more([], [], [], [str(place.stage)])  # noqa: E731
    assert attempt_in_child(identity, no_rule, look) == ["EACCES", "EACCES"]


@needs_abi(2, "denying links across folders (REFER)")
def test_hard_linking_an_outside_file_into_the_stage_is_denied(identity, place):
    """Landlock checks paths: a link in the stage would make an outside file readable through it."""
    link = lambda: outcome(lambda: os.link(place.owned, place.stage / "linked.txt"))  # noqa: E731
    assert attempt_in_child(identity, nothing, link) == "done"
    os.unlink(place.stage / "linked.txt")
    assert attempt_in_child(identity, landlock(place), link) == "EXDEV"


@needs_landlock
def test_a_missing_path_is_skipped_and_a_file_gets_file_rights(identity, place):
    def defence():
        confine.restrict_filesystem_and_more([str(place.base / "missing")], [str(place.readable_file)],
                                             [str(place.secret)], [str(place.stage)])

    def read():
        return [outcome(lambda: place.readable_file.read_text()),
                outcome(lambda: os.listdir(place.readable)), outcome(lambda: place.secret.read_text())]

    assert attempt_in_child(identity, defence, read) == ["done", "EACCES", "EACCES"]


@needs_landlock
def test_landlock_refuses_a_process_with_threads(identity, place):
    def with_a_thread():
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        try:
            landlock(place)()
        finally:
            stop.set()

    def unrestricted():
        return outcome(lambda: place.secret.read_text())

    with pytest.raises(AssertionError, match="has 2 threads"):
        attempt_in_child(identity, with_a_thread, unrestricted)


@needs_landlock
def test_the_thread_count_descriptor_kept_open_opens_nothing(identity, place):
    """confine keeps /proc/<pid>/task open to count threads later; nothing beneath it opens."""
    def open_beneath_it():
        folder = confine._task_folder[1]
        return [outcome(lambda: os.listdir(folder)),
                outcome(lambda: os.close(os.open(f"{os.getpid()}/environ", os.O_RDONLY, dir_fd=folder))),
                outcome(lambda: os.close(os.open(f"{os.getpid()}/mem", os.O_RDONLY, dir_fd=folder)))]

    assert attempt_in_child(identity, landlock(place), open_beneath_it) == ["done", "EACCES", "EACCES"]


@needs_landlock
def test_an_abi_below_the_minimum_is_refused(identity, place):
    with pytest.raises(AssertionError, match=f"ABI {ABI}; at least ABI {ABI + 1} is needed"):
        attempt_in_child(identity, landlock(place, minimum_abi=ABI + 1), nothing)


# --- the network --------------------------------------------------------------------------------


@pytest.fixture
def tcp_listener():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()
    listener.close()


def tcp_connect(address):
    def attempt():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(tuple(address))
    return lambda: outcome(attempt)


@needs_abi(4, "denying TCP")
def test_tcp_connect_is_denied_by_landlock(identity, place, tcp_listener):
    assert attempt_in_child(identity, nothing, tcp_connect(tcp_listener)) == "done"
    assert attempt_in_child(identity, landlock(place), tcp_connect(tcp_listener)) == "EACCES"


@needs_seccomp
def test_tcp_connect_is_denied_by_seccomp(identity, tcp_listener):
    assert attempt_in_child(identity, nothing, tcp_connect(tcp_listener)) == "done"
    assert attempt_in_child(identity, seccomp, tcp_connect(tcp_listener)) == "EPERM"  # at socket()


@needs_seccomp
def test_udp_sendto_is_denied(identity):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    address = receiver.getsockname()

    def send():
        def attempt():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(b"hidden inputs", address)
        return outcome(attempt)

    try:
        assert attempt_in_child(identity, nothing, send) == "done"
        assert receiver.recv(100) == b"hidden inputs"
        assert attempt_in_child(identity, seccomp, send) == "EPERM"
    finally:
        receiver.close()


@pytest.fixture
def abstract_listener():
    name = f"\0nn-confine-{os.getpid()}-{time.monotonic_ns()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(name)
    listener.listen(8)
    yield name
    listener.close()


def unix_connect(address):
    def attempt():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(address)
    return lambda: outcome(attempt)


@needs_abi(6, "scoping abstract unix sockets")
def test_connecting_to_an_abstract_unix_socket_outside_is_denied_by_landlock(identity, place, abstract_listener):
    assert attempt_in_child(identity, nothing, unix_connect(abstract_listener)) == "done"
    assert attempt_in_child(identity, landlock(place), unix_connect(abstract_listener)) == "EPERM"


@needs_seccomp
def test_connecting_to_a_named_unix_socket_is_denied_by_seccomp(identity, place):
    """Landlock (before ABI 9) does not restrict connecting to a named unix socket (a session's
    D-Bus, ssh-agent): this is why the filter denies connect() whatever the socket."""
    path = str(place.outside / "agent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.listen(8)
    try:
        assert attempt_in_child(identity, nothing, unix_connect(path)) == "done"
        if ABI >= 1:
            assert attempt_in_child(identity, landlock(place), unix_connect(path)) == "done"
        assert attempt_in_child(identity, seccomp, unix_connect(path)) == "EPERM"
        pair = lambda: outcome(lambda: socket.socketpair(socket.AF_UNIX).__len__())  # noqa: E731
        assert attempt_in_child(identity, seccomp, pair) == "done"  # what needs no address still works
    finally:
        listener.close()


# --- other processes: signals, ptrace ----------------------------------------------------------


@pytest.fixture
def decoy(identity):
    """A process outside the sandbox with the child's uid: the grader, when grading as a normal user."""
    process = subprocess.Popen(["/bin/sleep", "60"], **identity.popen_options())
    yield process
    process.kill()
    process.wait()


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@needs_abi(6, "scoping signals")
def test_signals_to_processes_outside_are_denied(identity, place, decoy):
    parent = os.getpid()

    def signal_decoy():
        return [outcome(lambda: os.kill(decoy.pid, signal.SIGSTOP)),
                outcome(lambda: signal.pidfd_send_signal(os.pidfd_open(decoy.pid), signal.SIGKILL)),
                outcome(lambda: os.kill(decoy.pid, signal.SIGKILL))]

    def signal_decoy_and_the_test_process():
        stopped_parent = outcome(lambda: os.kill(parent, signal.SIGSTOP))
        if stopped_parent == "done":  # the defence failed: undo it before the test process hangs
            os.kill(parent, signal.SIGCONT)
        return signal_decoy() + [stopped_parent]

    assert attempt_in_child(identity, landlock(place), signal_decoy_and_the_test_process) == ["EPERM"] * 4
    assert decoy.poll() is None and process_state(decoy.pid) != "T"  # the decoy runs on
    assert attempt_in_child(identity, nothing, signal_decoy) == ["done"] * 3
    assert decoy.wait(timeout=10) == -signal.SIGKILL


def ptrace_seize(pid: int) -> Callable[[], str]:
    def attempt():
        if LIBC.ptrace(ctypes.c_long(0x4206), ctypes.c_long(pid), None, None) != 0:  # PTRACE_SEIZE
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
    return lambda: outcome(attempt)


def ptrace_scope() -> int:
    try:
        return int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text())
    except OSError:
        return 0


@needs_landlock
@needs_seccomp
def test_ptrace_attach_is_denied(identity, place, decoy):
    if ptrace_scope() >= 3 or (ptrace_scope() > 0 and identity.effective_uid != 0):
        pytest.skip(f"Yama's ptrace_scope is {ptrace_scope()}: attaching fails here even without the defence")
    assert attempt_in_child(identity, nothing, ptrace_seize(decoy.pid)) == "done"
    assert attempt_in_child(identity, landlock(place), ptrace_seize(decoy.pid)) == "EPERM"
    assert attempt_in_child(identity, seccomp, ptrace_seize(decoy.pid)) == "EPERM"
    assert decoy.poll() is None


@needs_seccomp
def test_nothing_acts_on_another_process_or_a_files_metadata(identity, place, decoy):
    """Calls Landlock does not govern: as a normal user the grader shares the sandbox's uid, so
    each of these would reach it (the decoy stands for it) or a file it owns."""
    import fcntl
    import resource

    def attempts():
        channel_read, channel_write = os.pipe()
        tries = {
            "prlimit": lambda: resource.prlimit(decoy.pid, resource.RLIMIT_CPU, (1, 2)),
            "setpriority": lambda: os.setpriority(os.PRIO_PROCESS, decoy.pid, 19),
            "sched_setaffinity": lambda: os.sched_setaffinity(decoy.pid, os.sched_getaffinity(0)),
            "sched_setscheduler": lambda: os.sched_setscheduler(decoy.pid, os.SCHED_IDLE, os.sched_param(0)),
            "chmod": lambda: os.chmod(place.owned, 0o000),
            "utime": lambda: os.utime(place.owned, (0, 0)),
            "memfd": lambda: os.close(os.memfd_create("held")),
            "F_SETOWN": lambda: fcntl.fcntl(channel_write, fcntl.F_SETOWN, decoy.pid),
            "F_SETSIG": lambda: fcntl.fcntl(channel_write, 10, 15),
            # What a program does to itself still works.
            "own limit": lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)),
            "own affinity": lambda: os.sched_setaffinity(0, os.sched_getaffinity(0)),
            "F_SETFL": lambda: fcntl.fcntl(channel_write, fcntl.F_SETFL, os.O_NONBLOCK),
        }
        return {name: outcome(action) for name, action in tries.items()}

    before = place.owned.stat().st_mode
    without = attempt_in_child(identity, nothing, attempts)
    with_filter = attempt_in_child(identity, seccomp, attempts)
    place.owned.chmod(before)
    reached = ("prlimit", "setpriority", "sched_setaffinity", "sched_setscheduler", "chmod", "utime", "memfd", "F_SETOWN", "F_SETSIG")
    assert [name for name in reached if without[name] != "done"] == [], without
    assert {name: with_filter[name] for name in reached} == {name: "EPERM" for name in reached}
    assert [with_filter[name] for name in ("own limit", "own affinity", "F_SETFL")] == ["done"] * 3
    assert decoy.poll() is None


# --- seccomp: processes, namespaces, mounts, file handles ---------------------------------------


@needs_seccomp
def test_fork_and_subprocess_are_denied_with_a_permission_error(identity):
    def spawn():
        results = []
        try:
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            results.append("done")
        except OSError as error:
            results.append(f"{type(error).__name__} {errno.errorcode[error.errno]}")
        try:
            subprocess.run(["/bin/true"], check=True)
            results.append("done")
        except OSError as error:
            results.append(f"{type(error).__name__} {errno.errorcode[error.errno]}")
        return results

    assert attempt_in_child(identity, nothing, spawn) == ["done", "done"]
    assert attempt_in_child(identity, seccomp, spawn) == ["PermissionError EPERM"] * 2


@needs_seccomp
def test_threads_still_run(identity):
    def run_threads():
        results = []
        workers = [threading.Thread(target=results.append, args=(index,)) for index in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sorted(results)

    assert attempt_in_child(identity, seccomp, run_threads) == [0, 1, 2, 3]


@needs_seccomp
def test_the_filter_also_covers_threads_started_before_it(identity):
    """Importing NumPy starts OpenBLAS threads before the harness installs the filter."""
    def from_an_earlier_thread():
        go, results = threading.Event(), []

        def worker():
            go.wait()
            results.append(outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()))

        thread = threading.Thread(target=worker)
        thread.start()
        confine.install_seccomp_filter()
        go.set()
        thread.join()
        return results[0]

    assert attempt_in_child(identity, nothing, from_an_earlier_thread) == "EPERM"


def libc_call(name: str, *arguments) -> Callable[[], None]:
    def call():
        if getattr(LIBC, name)(*arguments) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
    return call


CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000


@needs_seccomp
def test_unshare_a_user_namespace_is_denied(identity):
    unshare = lambda: outcome(libc_call("unshare", CLONE_NEWUSER))  # noqa: E731
    without = attempt_in_child(identity, nothing, unshare)
    if without != "done":
        pytest.skip(f"unprivileged user namespaces are not allowed here ({without}) even without the defence")
    assert attempt_in_child(identity, seccomp, unshare) == "EPERM"


@needs_seccomp
def test_mounting_a_tmpfs_is_denied(identity, place):
    """As a normal user the attempt first creates a user namespace, as an attacker would."""
    target = place.stage / "mnt"
    target.mkdir()
    if identity.uid is not None:
        os.chown(target, identity.uid, identity.gid)

    def mount():
        flags = CLONE_NEWNS | (CLONE_NEWUSER if os.geteuid() != 0 else 0)
        unshared = outcome(libc_call("unshare", flags))
        result = outcome(libc_call("mount", b"none", str(target).encode(), b"tmpfs", 0, b"size=1m"))
        if result == "done" and unshared != "done":  # mounted in the host's namespace: undo it
            LIBC.umount2(str(target).encode(), 0)
        return result

    without = attempt_in_child(identity, nothing, mount)
    if without != "done":
        pytest.skip(f"mounting fails here even without the defence ({without}): no user namespaces")
    assert attempt_in_child(identity, seccomp, mount) == "EPERM"


def file_handle(path: Path) -> bytes:
    """name_to_handle_at(2): struct file_handle with room for 128 bytes of handle."""
    buffer = ctypes.create_string_buffer(struct.pack("=Ii", 128, 0), 8 + 128)
    mount_id = ctypes.c_int()
    if LIBC.name_to_handle_at(-100, str(path).encode(), buffer, ctypes.byref(mount_id), 0) != 0:
        raise OSError(ctypes.get_errno(), "name_to_handle_at")
    return buffer.raw


def open_by_handle(handle: bytes, folder: Path) -> Callable[[], str]:
    def attempt():
        mount_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fd = LIBC.open_by_handle_at(mount_fd, ctypes.create_string_buffer(handle, len(handle)), os.O_RDONLY)
            if fd < 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code))
            os.close(fd)
        finally:
            os.close(mount_fd)
    return lambda: outcome(attempt)


@needs_root
@needs_seccomp
def test_open_by_handle_at_is_denied():
    """It needs CAP_DAC_READ_SEARCH (root, or the kept capability below); a normal user gets EPERM anyway."""
    as_root = Identity("root", None, None)
    base = Path(tempfile.mkdtemp(prefix="nn-confine-", dir="/tmp"))
    try:
        secret = base / "secret.txt"
        secret.write_text("the solution\n")
        handle = file_handle(secret)
        assert attempt_in_child(as_root, nothing, open_by_handle(handle, base)) == "done"
        assert attempt_in_child(as_root, seccomp, open_by_handle(handle, base)) == "EPERM"
        if ABI >= 1:  # Landlock checks the opened file's path too
            only_stage = lambda: confine.restrict_filesystem_and_more([], [], [], [str(base / "stage")])  # noqa: E731
            assert attempt_in_child(as_root, only_stage, open_by_handle(handle, base)) == "EACCES"
    finally:
        shutil.rmtree(base)


# --- a fresh interpreter confining itself at start, as the harness does -------------------------

NUMPY_DIR = Path(__import__("numpy").__file__).parent
CHILD = """
import json, os, sys
sys.path.insert(0, {harness!r})
import confine
plan = json.loads(sys.argv[1])
confine.restrict_filesystem_and_more(plan["read_exec"], plan["read_only"], [plan["site"]], plan["read_write"])
if plan["keep_uid"]:
    confine.keep_read_search_capability_after_setuid(plan["keep_uid"], plan["keep_gid"])
confine.install_seccomp_filter()
sys.path.append(plan["site"])
result = {{"uid": os.getuid()}}
try:
    with open(os.__file__) as source:
        result["stdlib"] = len(source.read()) > 0
    import statistics, decimal
    import numpy
    matrix = numpy.arange(36.0).reshape(6, 6)
    result["numpy"] = float((matrix @ matrix).trace())
except Exception as error:
    result["error"] = type(error).__name__
print(json.dumps(result))
"""
SYSTEM_LIBRARIES = ["/usr/lib", "/lib", "/usr/lib64", "/lib64", "/etc/ld.so.cache"]


def run_fresh_interpreter(identity: Identity, place: Place, read_only: list[str]) -> dict:
    """A `python -I -S` that confines itself and imports NumPy from an allowed folder. As a normal
    user who cannot read the interpreter (a pyenv under /root), it starts as root and keeps only
    CAP_DAC_READ_SEARCH after dropping to the user, as the sandbox would."""
    keep = identity.uid is not None and not user_can_run_the_interpreter(identity)
    plan = {"read_exec": [sys.base_prefix], "read_only": read_only, "read_write": [str(place.stage)],
            "site": str(NUMPY_DIR.parent), "keep_uid": identity.uid if keep else None, "keep_gid": identity.gid}
    done = subprocess.run([sys.executable, "-I", "-S", "-c", CHILD.format(harness=str(HARNESS)), json.dumps(plan)],
                          capture_output=True, text=True, timeout=60, **({} if keep else identity.popen_options()))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def user_can_run_the_interpreter(identity: Identity) -> bool:
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(HARNESS)!r}); import confine"],
                              capture_output=True, timeout=60, **identity.popen_options())
    except PermissionError:  # e.g. a pyenv under /root (mode 700)
        return False
    return done.returncode == 0


@needs_landlock
@needs_seccomp
def test_a_confined_interpreter_reads_the_standard_library_and_imports_numpy(identity, place):
    allowed = [str(NUMPY_DIR), str(NUMPY_DIR.parent / "numpy.libs"), *SYSTEM_LIBRARIES]
    result = run_fresh_interpreter(identity, place, allowed)
    matrix = [[6.0 * i + j for j in range(6)] for i in range(6)]
    expected_trace = sum(matrix[i][k] * matrix[k][i] for i in range(6) for k in range(6))
    assert result == {"uid": identity.effective_uid, "stdlib": True, "numpy": expected_trace}
    without_numpy = run_fresh_interpreter(identity, place, SYSTEM_LIBRARIES)
    assert without_numpy["stdlib"] is True and without_numpy["error"] in ("PermissionError", "ImportError",
                                                                         "ModuleNotFoundError")


# --- keeping CAP_DAC_READ_SEARCH after the uid drop (grading as root without bubblewrap) ----------


@dataclass
class PrivatePlace:
    base: Path
    private: Path  # a mode-700 root folder (like a pyenv under /root) that Landlock allows
    private_file: Path
    secret: Path  # a mode-600 root file outside every allowed path
    stage: Path


@pytest.fixture
def private_place(normal_user) -> PrivatePlace:
    base = Path(tempfile.mkdtemp(prefix="nn-confine-", dir="/tmp"))
    os.chmod(base, 0o755)
    private, outside, stage = base / "private", base / "outside", base / "stage"
    for folder in (private, outside, stage):
        folder.mkdir(mode=0o700)
    (private / "module.py").write_text("VALUE = 1\n")
    (outside / "secret.txt").write_text("the solution\n")
    for path in (private / "module.py", outside / "secret.txt"):
        os.chmod(path, 0o600)
    os.chmod(outside, 0o755)
    os.chown(stage, normal_user.uid, normal_user.gid)
    yield PrivatePlace(base, private, private / "module.py", outside / "secret.txt", stage)
    shutil.rmtree(base)


def keeping_the_capability(place: PrivatePlace, user: Identity, with_seccomp: bool = True) -> Callable[[], None]:
    def apply():
        confine.restrict_filesystem_and_more([], [str(place.private)], [], [str(place.stage)], minimum_abi=6)
        confine.keep_read_search_capability_after_setuid(user.uid, user.gid)
        if with_seccomp:
            confine.install_seccomp_filter()
    return apply


AS_ROOT = Identity("root", None, None)
needs_keeping = pytest.mark.skipif(
    not (IS_ROOT and SECCOMP and ABI >= 6),
    reason=f"needs root, seccomp and Landlock ABI 6 (signals to the grader must be scoped); "
           f"root: {IS_ROOT}, seccomp: {SECCOMP}, Landlock ABI {ABI}",
)


@needs_keeping
def test_kept_capability_reads_a_private_root_folder_that_landlock_allows(normal_user, private_place):
    read = lambda: outcome(lambda: private_place.private_file.read_text())  # noqa: E731
    plain_drop = Identity("user", normal_user.uid, normal_user.gid)
    plain_landlock = lambda: confine.restrict_filesystem_and_more(  # noqa: E731
        [], [str(private_place.private)], [], [str(private_place.stage)])
    assert attempt_in_child(plain_drop, plain_landlock, read) == "EACCES"  # mode 700 stops a plain drop
    assert attempt_in_child(AS_ROOT, keeping_the_capability(private_place, normal_user), read) == "done"


@needs_keeping
def test_kept_capability_does_not_read_outside_landlocks_paths(normal_user, private_place):
    read = lambda: outcome(lambda: private_place.secret.read_text())  # noqa: E731
    assert attempt_in_child(AS_ROOT, nothing, read) == "done"
    assert attempt_in_child(AS_ROOT, keeping_the_capability(private_place, normal_user), read) == "EACCES"


@needs_keeping
def test_kept_capability_does_not_open_by_handle(normal_user, private_place):
    handle = file_handle(private_place.secret)
    attempt = open_by_handle(handle, private_place.stage)
    assert attempt_in_child(AS_ROOT, nothing, attempt) == "done"
    assert attempt_in_child(AS_ROOT, keeping_the_capability(private_place, normal_user), attempt) == "EPERM"
    without_seccomp = keeping_the_capability(private_place, normal_user, with_seccomp=False)
    assert attempt_in_child(AS_ROOT, without_seccomp, attempt) == "EACCES"  # Landlock on its own too


@needs_keeping
def test_kept_capability_neither_signals_nor_traces_a_root_process(normal_user, private_place):
    decoy = subprocess.Popen(["/bin/sleep", "60"])
    try:
        def act():
            return [outcome(lambda: os.kill(decoy.pid, signal.SIGSTOP)), ptrace_seize(decoy.pid)(),
                    outcome(lambda: os.kill(decoy.pid, signal.SIGKILL))]

        assert attempt_in_child(AS_ROOT, keeping_the_capability(private_place, normal_user), act) == ["EPERM"] * 3
        assert decoy.poll() is None and process_state(decoy.pid) != "T"
    finally:
        decoy.kill()
        decoy.wait()


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}


@needs_keeping
def test_kept_capability_process_as_the_kernel_sees_it(normal_user, private_place):
    """Read from outside, in /proc, while the child waits: its ids, its capability sets, no_new_privs."""
    ready_read, ready_write = os.pipe()
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_read)
            os.close(go_write)
            keeping_the_capability(private_place, normal_user)()
            os.write(ready_write, b"R")
            os.read(go_read, 1)
        finally:
            os._exit(0)
    os.close(ready_write)
    os.close(go_read)
    try:
        ready, _, _ = select.select([ready_read], [], [], 20)
        assert ready and os.read(ready_read, 1) == b"R", "the child did not confine itself"
        status = proc_status(pid)
    finally:
        os.close(go_write)
        os.close(ready_read)
        os.waitpid(pid, 0)
    uid, gid = str(normal_user.uid), str(normal_user.gid)
    assert status["Uid"].split() == [uid] * 4 and status["Gid"].split() == [gid] * 4
    assert status["Groups"] == ""
    read_search = f"{1 << 2:016x}"  # CAP_DAC_READ_SEARCH is capability 2
    assert (status["CapEff"], status["CapPrm"], status["CapBnd"]) == (read_search,) * 3
    assert (status["CapInh"], status["CapAmb"]) == ("0" * 16,) * 2
    assert (status["NoNewPrivs"], status["Seccomp"]) == ("1", "2")


@needs_root
@needs_landlock
def test_keeping_the_capability_is_refused_without_landlock(normal_user):
    keep = lambda: confine.keep_read_search_capability_after_setuid(normal_user.uid, normal_user.gid)  # noqa: E731
    with pytest.raises(AssertionError, match="only be kept under Landlock"):
        attempt_in_child(AS_ROOT, keep, nothing)
