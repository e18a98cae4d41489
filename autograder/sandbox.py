"""Run submission code in a child process and get plain data back.

One sandbox per submission. The child (harness/run.py) imports the submission and runs the probes;
this side only reads frames from a pipe, enforces the limits, and kills everything the child
started. Two isolation levels:

* ``bubblewrap``: the child sees a read-only system holding only the interpreter, NumPy, the
  harness and its own stage folder; new mount, PID, network, IPC and UTS namespaces; no solution,
  no reference outputs, no grading output. Used whenever ``bwrap`` works on this machine.
* ``process``: a plain child process in its own session with the same resource limits, and no
  file-system or network isolation. The fallback where bubblewrap is missing; reports say so.

In both, when the grader runs as root the child drops to an unprivileged uid of its own (one per
parallel worker) before importing any submission code, which makes the process-count limit bite
and lets the cleanup kill every process of that uid.

A submission that crashes, exits, hangs or floods costs only the probe it was in: the child is
killed and relaunched with the remaining probes (a module whose import kills the child is replaced
by its starter stub on relaunch).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from .harness.npzio import pack, unpack

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")
SANDBOX_UID_BASE = 61000  # sandbox uids, when grading as root, are claimed from here up
MAX_HEADER_BYTES = 64 * 1024
MEMORY_CHECK_SECONDS = 0.25  # how often the memory of all of a sandbox's processes is added up
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MAX_ARRAY_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class Limits:
    """What one submission may use. ``total_seconds`` is the per-submission time limit."""

    total_seconds: float = 60.0
    case_seconds: float = 3.0
    memory_bytes: int = 1 << 30
    processes: int = 16
    output_bytes: int = 16 * 1024  # printed output kept for the feedback
    payload_bytes: int = 8 << 20  # the largest result frame accepted (real ones are a few KiB)
    channel_bytes: int = 64 << 20  # all frames of one launch together
    file_bytes: int = 16 << 20
    tmp_bytes: int = 16 << 20  # size of /tmp inside bubblewrap


@dataclass
class CaseOutcome:
    """What came back for one probe. status: ok, not_implemented, error, bad_return, timeout,
    crashed or not_run; outputs only when ok."""

    status: str
    message: str = ""
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class SandboxRun:
    outcomes: dict[str, CaseOutcome]
    imports: dict[str, tuple[str, str]]  # module -> (status, message); status ok/error/crashed/timeout
    isolation: str
    printed: str
    launches: int
    wall_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int = 0  # as the harness reported it (for benchmarks; the limit is enforced regardless)


class SandboxUnavailable(RuntimeError):
    """The requested isolation cannot run on this machine."""


# ----------------------------------------------------------------------------------------------
# Choosing the isolation
# ----------------------------------------------------------------------------------------------

# A fixed place (not $TMPDIR), so that every grader on the machine sees the same locks.
UID_LOCK_DIR = Path("/run/nn-grader-uids" if os.access("/run", os.W_OK) else "/tmp/nn-grader-uids")
_claimed: tuple[int, int, int] | None = None  # (pid that claimed, uid, lock file descriptor)


def sandbox_identity() -> dict | None:
    """The uid/gid this process's sandboxes drop to, or None when the grader is not root.

    Each grading process claims a uid of its own for its lifetime by holding a lock file, so that
    concurrent graders (parallel workers, or two `make grade` at once) never share one: the cleanup
    after a run kills every process of its uid, and the process-count limit is counted per uid.
    """
    global _claimed
    if os.geteuid() != 0:
        return None
    if _claimed is None or _claimed[0] != os.getpid():  # a forked worker claims its own
        _claimed = (os.getpid(), *_claim_uid())
        kill_processes(lambda info: info["uid"] == _claimed[1])  # leftovers of a grader that crashed
    return {"uid": _claimed[1], "gid": _claimed[1]}


def _claim_uid() -> tuple[int, int]:
    UID_LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
    info = os.lstat(UID_LOCK_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxUnavailable(f"{UID_LOCK_DIR} must be a folder owned by root and writable only by root")
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 4000):
        descriptor = os.open(UID_LOCK_DIR / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, descriptor
        except BlockingIOError:
            os.close(descriptor)
    raise SandboxUnavailable("no free sandbox uid: more than 4000 graders are running")


@cache
def bubblewrap_problem() -> str | None:
    """None when bubblewrap can run the harness's interpreter here; otherwise why not."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory() as stage:
        command = bubblewrap_command(Path(stage), [sys.executable, "-I", "-c", "import numpy"])
        try:
            result = subprocess.run(command, capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap could not start: {error}"
    if result.returncode != 0:
        return "bwrap could not create a sandbox here: " + result.stderr.decode(errors="replace").strip()[:300]
    return None


def choose_isolation(requested: str = "auto") -> str:
    """'bubblewrap' or 'process'. 'auto' takes bubblewrap when it works; asking for bubblewrap
    where it does not work raises SandboxUnavailable."""
    if requested not in ("auto", "bubblewrap", "process"):
        raise ValueError(f"unknown isolation {requested!r}; expected auto, bubblewrap or process")
    if requested == "process":
        return "process"
    problem = bubblewrap_problem()
    if problem is None:
        return "bubblewrap"
    if requested == "bubblewrap":
        raise SandboxUnavailable(problem)
    return "process"


def describe_isolation(isolation: str) -> str:
    """One line for reports: what protected the grader while this submission ran."""
    user = "an unprivileged user" if os.geteuid() == 0 else "the grader's own user"
    if isolation == "bubblewrap":
        return (
            f"bubblewrap: read-only system, no network, own PID namespace, no access to the solution "
            f"or reference outputs; resource limits; ran as {user}"
        )
    reason = bubblewrap_problem() or "chosen explicitly"
    return (
        f"process: resource limits and {user}, but no file-system or network isolation "
        f"(bubblewrap unavailable: {reason})"
    )


# ----------------------------------------------------------------------------------------------
# Command lines
# ----------------------------------------------------------------------------------------------

SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _ancestors(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]  # without "/"


def bubblewrap_command(stage: Path, inner: list[str]) -> list[str]:
    """bwrap arguments that show the child only the interpreter, the harness and ``stage``."""
    command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    command += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if os.geteuid() == 0:
        # Root keeps only what the harness needs to drop to the sandbox uid.
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user"]
    for name, value in {**SANDBOX_ENV, "HOME": "/sandbox"}.items():
        command += ["--setenv", name, value]
    command += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made = set()
    for source in dict.fromkeys([Path(sys.base_prefix), Path(sys.prefix)]):
        if source == Path("/usr") or Path("/usr") in source.parents:
            continue
        for ancestor in _ancestors(source):
            if ancestor not in made:
                made.add(ancestor)
                command += ["--perms", "0755", "--dir", str(ancestor)]
        command += ["--ro-bind", str(source), str(source)]
    command += ["--ro-bind", str(stage), "/sandbox"]
    command += ["--proc", "/proc", "--dev", "/dev", "--size", str(Limits.tmp_bytes), "--tmpfs", "/tmp"]
    command += ["--remount-ro", "/", "--chdir", "/sandbox", "--"]
    return command + inner


def child_command(isolation: str, stage: Path, channel_fd: int) -> list[str]:
    if isolation == "bubblewrap":
        inner = [sys.executable, "-I", "-B", "/sandbox/harness/run.py", "/sandbox", str(channel_fd)]
        return bubblewrap_command(stage, inner)
    return [sys.executable, "-I", "-B", str(stage / "harness" / "run.py"), str(stage), str(channel_fd)]


def limit_resources(limits: Limits, drops_privileges: bool):
    """A preexec function setting the child's resource limits (inherited by everything it starts)."""
    cpu = int(limits.total_seconds) + 5

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if drops_privileges:
            # Counted per uid, and root is exempt: it bites once the harness has dropped to its uid.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

    return apply


# ----------------------------------------------------------------------------------------------
# Reading frames from the child
# ----------------------------------------------------------------------------------------------


class ProtocolError(Exception):
    pass


class FrameReader:
    """Splits the channel's bytes into (header, payload) frames, refusing anything oversized."""

    def __init__(self, max_payload: int):
        self.buffer = bytearray()
        self.max_payload = max_payload
        self.header: dict | None = None

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        self.buffer += data
        frames = []
        while True:
            if self.header is None:
                end = self.buffer.find(b"\n", 0, MAX_HEADER_BYTES)
                if end < 0:
                    if len(self.buffer) >= MAX_HEADER_BYTES:
                        raise ProtocolError("a header line is too long")
                    return frames
                try:
                    header = json.loads(bytes(self.buffer[:end]))
                except (ValueError, RecursionError):
                    raise ProtocolError("a header line is not JSON") from None
                if not isinstance(header, dict):
                    raise ProtocolError("a header line is malformed")
                size = header.setdefault("payload", 0)
                if not isinstance(header.get("event"), str) or not isinstance(size, int) or isinstance(size, bool):
                    raise ProtocolError("a header line is malformed")
                if not 0 <= size <= self.max_payload:
                    raise ProtocolError(f"a result of {size} bytes exceeds the limit")
                del self.buffer[: end + 1]
                self.header = header
            size = self.header["payload"]
            if len(self.buffer) < size:
                return frames
            frames.append((self.header, bytes(self.buffer[:size])))
            del self.buffer[:size]
            self.header = None


def _text(value, limit: int = 4000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def outcome_from_frame(header: dict, payload: bytes, limits: Limits) -> CaseOutcome:
    status = header.get("status")
    if status not in ("ok", "not_implemented", "error", "bad_return"):
        return CaseOutcome("error", "the harness sent an unknown status")
    notes = header.get("notes") if isinstance(header.get("notes"), dict) else {}
    notes = {_text(key, 200): _text(value, 600) for key, value in list(notes.items())[:50]}
    outcome = CaseOutcome(status, _text(header.get("message")), notes=notes)
    if status == "ok":
        try:
            outcome.outputs = unpack(payload, max_elements=MAX_ARRAY_ELEMENTS)
        except Exception as error:  # noqa: BLE001 - anything unreadable is the submission's failure
            return CaseOutcome("bad_return", f"the values your code returned could not be read back ({error})")
    return outcome


# ----------------------------------------------------------------------------------------------
# One launch of the child
# ----------------------------------------------------------------------------------------------


@dataclass
class Launch:
    outcomes: dict[str, CaseOutcome] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    ready: bool = False
    done: bool = False
    current: str | None = None  # the case (or "import:<module>") running when the child stopped
    ending: str = ""  # why the child stopped, when it did not finish
    peak_memory_bytes: int = 0


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def explain_exit(returncode: int, isolation: str, limits: Limits) -> str:
    if isolation == "bubblewrap" and returncode > 128:
        returncode = -(returncode - 128)
    if returncode >= 0:
        return (
            f"the process running your code ended with exit code {returncode} "
            f"(does your code call os._exit or kill its own process?)"
        )
    name = _signal_name(-returncode)
    if name == "SIGXCPU":
        return "your code used up the CPU time limit"
    if name == "SIGSEGV":
        return "the process running your code crashed (segmentation fault)"
    return f"the process running your code was killed by {name} (out of memory, or it killed itself?)"


class ChildProcess:
    """One launch: start the harness, read its frames and output, stop it and everything it made."""

    def __init__(self, isolation: str, stage: Path, limits: Limits, identity: dict | None, stubbed: set[str], cases: list[str]):
        self.isolation, self.stage, self.limits, self.identity = isolation, stage, limits, identity
        # What the harness will announce, in order: each module's import, then each case. A frame
        # for anything else (or out of turn) is ignored, so a submission writing its own frames can
        # neither reset a time limit nor make the grader store data it did not ask for.
        self.expected = [f"import:{module}" for module in MODULES if module not in stubbed] + cases
        self.received_bytes = 0

    def run(self, deadline: float, printed: bytearray) -> Launch:
        launch = Launch()
        read_fd, write_fd = os.pipe()
        children_before = {info["pid"] for info in _process_table() if info["ppid"] == os.getpid()}
        try:
            process = subprocess.Popen(
                child_command(self.isolation, self.stage, write_fd),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                cwd=self.stage,
                env={**SANDBOX_ENV, "HOME": str(self.stage)},
                preexec_fn=limit_resources(self.limits, self.identity is not None),
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        try:
            self._read(process, read_fd, launch, deadline, printed)
        finally:
            os.close(read_fd)
            if launch.done:  # it exits right after "done": let it, so its resource usage is counted
                try:
                    process.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            self._stop(process, children_before)
        if not launch.done and not launch.ending:
            launch.ending = explain_exit(process.returncode, self.isolation, self.limits)
        return launch

    def _read(self, process, read_fd: int, launch: Launch, deadline: float, printed: bytearray) -> None:
        reader = FrameReader(self.limits.payload_bytes)
        selector = selectors.DefaultSelector()
        selector.register(read_fd, selectors.EVENT_READ, "channel")
        selector.register(process.stdout, selectors.EVENT_READ, "output")
        case_deadline = deadline
        exited_at = None
        next_memory_check = time.monotonic() + MEMORY_CHECK_SECONDS
        while not launch.done:
            now = time.monotonic()
            if now >= next_memory_check:
                next_memory_check = now + MEMORY_CHECK_SECONDS
                if self._memory_in_use(process) > self.limits.memory_bytes:
                    launch.ending = f"your code used more than {self.limits.memory_bytes >> 20} MiB of memory in all its processes"
                    return
            if now >= min(deadline, case_deadline):
                limit = self.limits.case_seconds if case_deadline < deadline else None
                launch.ending = (
                    f"timed out after {limit:g} s (an endless loop, or very slow code?)"
                    if limit else "the time limit for the whole submission ran out"
                )
                return
            if process.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > 0.2 or not selector.get_map():
                    return
            for key, _ in selector.select(timeout=min(0.05, max(0.0, min(deadline, case_deadline) - now))):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                if key.data == "output":
                    printed += data[: max(0, self.limits.output_bytes - len(printed))]
                    continue
                self.received_bytes += len(data)
                if self.received_bytes > self.limits.channel_bytes:
                    launch.ending = "your code sent the grader more data than any right answer needs (did it write to the grader's file descriptor?)"
                    return
                try:
                    frames = reader.feed(data)
                except ProtocolError as error:
                    launch.ending = f"the channel back to the grader was corrupted ({error}); did your code write to its file descriptors?"
                    return
                for header, payload in frames:
                    case_deadline = self._handle(header, payload, launch, case_deadline)
        return

    def _handle(self, header: dict, payload: bytes, launch: Launch, case_deadline: float) -> float:
        event = header["event"]
        if event == "ready":
            launch.ready = True
        elif event == "start" and launch.current is None and self._next(header.get("case")):
            launch.current = header["case"]
            return time.monotonic() + self.limits.case_seconds
        elif event == "import" and launch.current == f"import:{header.get('module')}":
            status = "ok" if header.get("status") == "ok" else "error"
            launch.imports[header["module"]] = (status, _text(header.get("message")))
            launch.current = None
        elif event == "result" and launch.current == header.get("case") and not str(launch.current).startswith("import:"):
            launch.outcomes[header["case"]] = outcome_from_frame(header, payload, self.limits)
            launch.current = None
        elif event == "done":
            launch.done = True
            if isinstance(header.get("peak_rss_kib"), int):
                launch.peak_memory_bytes = header["peak_rss_kib"] * 1024
        return case_deadline

    def _memory_in_use(self, process: subprocess.Popen) -> int:
        """Resident memory of every process of this sandbox: its uid's, or the child's descendants."""
        table = list(_process_table())
        if self.identity is not None:
            members = {info["pid"] for info in table if info["uid"] == self.identity["uid"]}
        else:
            members, grew = {process.pid}, True
            while grew:
                found = {info["pid"] for info in table if info["ppid"] in members}
                grew = not found <= members
                members |= found
        return sum(info["rss_pages"] for info in table if info["pid"] in members) * PAGE_BYTES

    def _next(self, case) -> bool:
        """True when ``case`` is the next thing the plan expects (and consume it)."""
        if self.expected and case == self.expected[0]:
            self.expected.pop(0)
            return True
        return False

    def _stop(self, process: subprocess.Popen, children_before: set[int]) -> None:
        """Kill the child's session, every process of the sandbox uid, and orphans left to us."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.identity is not None:
            kill_processes(lambda info: info["uid"] == self.identity["uid"])
        orphans = kill_processes(
            lambda info: info["ppid"] == os.getpid() and info["pid"] != process.pid and info["pid"] not in children_before
        )
        process.wait()
        if process.stdout:
            process.stdout.close()
        if self.identity is not None and self.isolation == "process":
            remove_files_of(self.identity["uid"])
        for pid in orphans:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


# ----------------------------------------------------------------------------------------------
# Cleaning up whatever a submission started
# ----------------------------------------------------------------------------------------------


def become_subreaper() -> None:
    """Make orphaned descendants of this process re-parent to it, so they can be found and killed."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def _process_table():
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
        victims = [info["pid"] for info in _process_table() if info["pid"] != os.getpid() and selected(info)]
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


# ----------------------------------------------------------------------------------------------
# The sandbox
# ----------------------------------------------------------------------------------------------


class Sandbox:
    """Runs probes on one submission, relaunching the child past any probe that kills or hangs it."""

    def __init__(self, isolation: str = "auto", limits: Limits | None = None):
        self.isolation = choose_isolation(isolation)
        self.limits = limits or Limits()
        become_subreaper()

    def run(self, modules: dict[str, bytes], stubs_dir: Path, cases: list[dict], inputs: dict[str, np.ndarray]) -> SandboxRun:
        """``modules``: file name -> source bytes of the submission's module files; ``cases``:
        dicts with id, kind and args; ``inputs``: arrays keyed ``<case id>/in/<name>``."""
        identity = sandbox_identity()
        wall_start, cpu_start = time.monotonic(), _children_cpu()
        with tempfile.TemporaryDirectory(prefix="nn-sandbox-") as folder:
            stage = Path(folder)
            self._stage(stage, modules, stubs_dir, inputs)
            result = self._run_cases(stage, cases, identity, wall_start)
        result.wall_seconds = time.monotonic() - wall_start
        result.cpu_seconds = _children_cpu() - cpu_start
        return result

    def _stage(self, stage: Path, modules: dict[str, bytes], stubs_dir: Path, inputs: dict[str, np.ndarray]) -> None:
        (stage / "submission").mkdir()
        (stage / "submission" / "__init__.py").write_text("")
        for name, source in modules.items():
            (stage / "submission" / name).write_bytes(source)
        (stage / "stubs").mkdir()
        for module in MODULES:
            shutil.copyfile(stubs_dir / f"{module}.py", stage / "stubs" / f"{module}.py")
        # A copy, not the live folder: the harness cannot change under a batch that is running.
        (stage / "harness").mkdir()
        for path in HARNESS_DIR.glob("*.py"):
            shutil.copyfile(path, stage / "harness" / path.name)
        (stage / "inputs.bin").write_bytes(pack(inputs))
        os.chmod(stage, 0o755)  # readable by the sandbox uid, writable only by the grader

    def _run_cases(self, stage: Path, cases: list[dict], identity: dict | None, wall_start: float) -> SandboxRun:
        deadline = wall_start + self.limits.total_seconds
        remaining = [case["id"] for case in cases]
        by_id = {case["id"]: case for case in cases}
        outcomes: dict[str, CaseOutcome] = {}
        imports: dict[str, tuple[str, str]] = {}
        stubbed: set[str] = set()
        printed = bytearray()
        launches = failed_starts = peak_memory = 0
        while remaining:
            if time.monotonic() >= deadline:
                for case_id in remaining:
                    outcomes[case_id] = CaseOutcome("not_run", "not run: the time limit for the whole submission ran out")
                break
            plan = {
                "cases": [by_id[case_id] for case_id in remaining],
                "stubbed": sorted(stubbed),
                "drop_to": identity,
                # Without bubblewrap's bind mounts, the dropped uid may not be able to read the
                # interpreter's files: load the modules a submission may import beforehand.
                "preload": identity is not None and self.isolation == "process",
            }
            (stage / "plan.json").write_text(json.dumps(plan))
            launch = ChildProcess(self.isolation, stage, self.limits, identity, stubbed, list(remaining)).run(deadline, printed)
            launches += 1
            peak_memory = max(peak_memory, launch.peak_memory_bytes)
            for module, outcome in launch.imports.items():
                imports.setdefault(module, outcome)
            for case_id, outcome in launch.outcomes.items():
                if case_id in remaining:
                    outcomes[case_id] = outcome
                    remaining.remove(case_id)
            if launch.done or not remaining:
                continue
            blamed = launch.current
            if not launch.ready:
                failed_starts += 1
                if failed_starts < 2:
                    continue  # an infrastructure hiccup (say, a fork failed): try once more
                message = "the sandbox could not start: " + printed.decode(errors="replace")[-500:]
                for case_id in remaining:
                    outcomes[case_id] = CaseOutcome("error", message)
                break
            if blamed is None:
                blamed = remaining[0]  # it stopped between two probes: charge the next one
            if blamed.startswith("import:"):
                module = blamed.split(":", 1)[1]
                kind = "timeout" if "timed out" in launch.ending else "crashed"
                imports[module] = (kind, f"importing {module}.py: {launch.ending}")
                stubbed.add(module)
            elif blamed in remaining:
                kind = "timeout" if "timed out" in launch.ending or "time limit" in launch.ending else "crashed"
                outcomes[blamed] = CaseOutcome(kind, launch.ending)
                remaining.remove(blamed)
        return SandboxRun(
            outcomes=outcomes,
            imports=imports,
            isolation=self.isolation,
            printed=printed.decode("utf-8", errors="replace"),
            launches=launches,
            wall_seconds=0.0,
            cpu_seconds=0.0,
            peak_memory_bytes=peak_memory,
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


