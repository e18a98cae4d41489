"""Run submission code in a child process and get plain data back.

One sandbox per submission. The child (harness/run.py) imports the submission and runs the probes;
this side reads frames from a pipe, enforces the limits, and kills everything the child started.
How the child is isolated is the business of isolation/ (one module per mode); how leftovers are
found, of processes.py.

Time is judged per call, in CPU time: a probe may use ``case_seconds`` of CPU (or, if it sleeps or
waits, ``case_wall_seconds`` of wall time). The call running when a limit is hit is blamed (the
harness announces every call into student code), the child is relaunched with the remaining
probes, and that function is not called again: a hanging function costs only the tests that call
it, however many hang, and a busy machine changes nothing (CPU time does not grow with load).

Inputs come in phases: the public inputs first, then (only when the harness asks for them) the
never-shipped fresh and hidden ones. What the submission printed before that point may be shown
to the student at once; what it printed after may hold hidden inputs and is kept apart.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .harness.npzio import pack, unpack
from .isolation import SANDBOX_ENV, Mode, choose_isolation, limit_resources, make_mode, sandbox_identity
from .processes import CLOCK_TICKS, become_subreaper, kill_processes, process_info, process_table, remove_files_of

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")
MAX_HEADER_BYTES = 64 * 1024
MONITOR_SECONDS = 0.1  # how often CPU time, memory and files written are added up
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MAX_ARRAY_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    total_seconds: float = 600.0  # wall clock for the whole submission: a safety net, see README
    case_seconds: float = 3.0  # CPU time per probe (and per module import)
    startup_seconds: float = 60.0  # wall clock until the harness is ready
    memory_bytes: int = 1 << 30
    processes: int = 16
    output_bytes: int = 16 * 1024  # printed output kept for the feedback, per phase
    payload_bytes: int = 8 << 20  # the largest result frame read (real ones are a few KiB)
    channel_bytes: int = 64 << 20  # all frames of one launch together
    file_bytes: int = 16 << 20
    scratch_bytes: int = 16 << 20  # files the submission may write in its scratch folder

    @property
    def case_wall_seconds(self) -> float:
        """Wall-clock limit per probe, for code that sleeps or waits instead of computing."""
        return max(3 * self.case_seconds, self.case_seconds + 10)


@dataclass
class CaseOutcome:
    """What came back for one probe. status: ok, not_implemented, error, bad_return, hung (skipped:
    it hung earlier), timeout, crashed or not_run. ``outputs`` holds whatever the probe recorded,
    also when the student code raised part way."""

    status: str
    message: str = ""
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    function: str = ""  # the student function the probe called last
    seconds: float = 0.0


@dataclass
class SandboxRun:
    outcomes: dict[str, CaseOutcome]
    imports: dict[str, tuple[str, str]]  # module -> (status, message); status ok/error/crashed/timeout
    isolation: str
    printed: str  # printed while only public inputs were in the sandbox: safe to show at once
    printed_hidden: str = ""  # printed once unshipped inputs were there: shown after publication
    launches: int = 0  # how many times the child was started (1 unless something crashed or hung)
    peak_memory_bytes: int = 0  # as the harness reported it (for benchmarks; the limit is enforced regardless)
    hung: tuple[str, ...] = ()  # student functions that ran past the time limit
    incomplete: str = ""  # set when the whole-submission safety limit stopped grading
    child_uid: int | None = None  # the uid the harness reported running as


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


def outcome_from_frame(header: dict, payload: bytes, max_bytes: int) -> CaseOutcome:
    status = header.get("status")
    if status not in ("ok", "not_implemented", "error", "bad_return", "hung"):
        return CaseOutcome("error", "the harness sent an unknown status")
    notes = header.get("notes") if isinstance(header.get("notes"), dict) else {}
    notes = {_text(key, 200): _text(value, 1500) for key, value in list(notes.items())[:100]}
    outcome = CaseOutcome(status, _text(header.get("message")), notes=notes, function=_text(header.get("function"), 200))
    if len(payload) > max_bytes:
        outcome.status, outcome.message = "bad_return", (
            f"your code returned {len(payload) >> 10} KiB of results where the right ones take a few: "
            "check the shapes of what it returns"
        )
        return outcome
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
    call: str | None = None  # the student function the current case was in, as last announced
    ending: str = ""  # why the child stopped, when it did not finish
    timed_out: bool = False
    peak_memory_bytes: int = 0
    uid: int | None = None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def explain_exit(returncode: int, isolation: str) -> str:
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
    if name == "SIGSYS":
        return "your code made a system call the sandbox forbids"
    return f"the process running your code was killed by {name} (out of memory, or it killed itself?)"


class Phases:
    """The inputs of each phase, written into the stage only when the harness asks, and which
    output bucket printed bytes go to (``visible`` until a phase past 0 was asked for)."""

    def __init__(self, stage: Path, inputs: list[dict[str, np.ndarray]], limits: Limits, chown=None):
        self.stage, self.inputs, self.limits, self.chown = stage, inputs, limits, chown
        self.written: set[int] = set()
        self.bucket = "visible"
        self.printed = {"visible": bytearray(), "hidden": bytearray()}

    def release(self, number) -> bool:
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < len(self.inputs):
            return False
        if number > 0:
            self.bucket = "hidden"
        if number not in self.written:
            final = self.stage / f"inputs-{number}.bin"
            temporary = self.stage / f".inputs-{number}.tmp"
            temporary.write_bytes(pack(self.inputs[number]))
            if self.chown:
                self.chown(temporary)
            os.replace(temporary, final)
            self.written.add(number)
        return True

    def keep(self, data: bytes) -> None:
        printed = self.printed[self.bucket]
        printed += data[: max(0, self.limits.output_bytes - len(printed))]


class ChildProcess:
    """One launch: start the harness, read its frames and output, stop it and everything it made."""

    def __init__(self, mode: Mode, stage: Path, limits: Limits, identity: dict | None, stubbed: set[str], cases: list[dict], phases: Phases):
        self.mode, self.stage, self.limits, self.identity, self.phases = mode, stage, limits, identity, phases
        # What the harness will announce, in order: each module's import, then each case. A frame
        # for anything else (or out of turn) is ignored, so a submission writing its own frames can
        # neither reset a time limit nor make the grader store data it did not ask for.
        self.expected = [f"import:{module}" for module in MODULES if module not in stubbed] + [case["id"] for case in cases]
        self.max_bytes = {case["id"]: case.get("max_bytes", limits.payload_bytes) for case in cases}
        self.received_bytes = 0

    def run(self, deadline: float) -> Launch:
        launch = Launch()
        channel_read, channel_write = os.pipe()
        control_read, control_write = os.pipe()
        children_before = {info["pid"] for info in process_table() if info["ppid"] == os.getpid()}
        env = {**SANDBOX_ENV, "HOME": str(self.stage / "scratch"), "TMPDIR": str(self.stage / "scratch")}
        try:
            process = subprocess.Popen(
                self.mode.command(self.stage, channel_write, control_read),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(channel_write, control_read),
                cwd=self.stage / "scratch",
                env=env,
                preexec_fn=limit_resources(self.limits, self.identity is not None),
                start_new_session=True,
            )
        finally:
            os.close(channel_write)
            os.close(control_read)
        try:
            self._read(process, channel_read, control_write, launch, deadline)
        finally:
            os.close(channel_read)
            os.close(control_write)
            if launch.done:  # it exits right after "done": let it, so its resource usage is counted
                try:
                    process.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            self._stop(process, children_before)
        if not launch.done and not launch.ending:
            launch.ending = explain_exit(process.returncode, self.mode.name)
        return launch

    # -- the loop ------------------------------------------------------------------------------

    def _read(self, process, channel_fd: int, control_fd: int, launch: Launch, deadline: float) -> None:
        reader = FrameReader(self.limits.payload_bytes)
        # Non-blocking: a readiness the selector reported can be stale once the output was drained
        # (see _drain_output), and a blocking read would then wait for the child forever.
        os.set_blocking(channel_fd, False)
        os.set_blocking(process.stdout.fileno(), False)
        selector = selectors.DefaultSelector()
        selector.register(channel_fd, selectors.EVENT_READ, "channel")
        selector.register(process.stdout, selectors.EVENT_READ, "output")
        clock = CaseClock(self, process)
        exited_at = None
        next_check = time.monotonic()
        while not launch.done:
            now = time.monotonic()
            if now >= next_check:
                next_check = now + MONITOR_SECONDS
                problem = clock.check(launch, now, deadline)
                if problem:
                    launch.ending = problem
                    return
            if process.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > 0.2 or not selector.get_map():
                    return
            for key, _ in selector.select(timeout=MONITOR_SECONDS / 2):
                try:
                    data = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                if key.data == "output":
                    self.phases.keep(data)
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
                    self._handle(header, payload, launch, clock, process, control_fd)

    def _handle(self, header: dict, payload: bytes, launch: Launch, clock: "CaseClock", process, control_fd: int) -> None:
        event = header["event"]
        if event == "ready" and not launch.ready:
            launch.ready = True
            launch.uid = header.get("uid") if isinstance(header.get("uid"), int) else None
            clock.restart()
        elif event == "start" and launch.current is None and self._next(header.get("case")):
            launch.current, launch.call = header["case"], None
            clock.restart()
        elif event == "call" and launch.current and not launch.current.startswith("import:"):
            launch.call = _text(header.get("label"), 200) or None
        elif event == "phase" and launch.current is None:
            self._drain_output(process)
            if self.phases.release(header.get("number")):
                os.write(control_fd, b"1")
            clock.restart()
        elif event == "import" and launch.current == f"import:{header.get('module')}":
            status = "ok" if header.get("status") == "ok" else "error"
            launch.imports[header["module"]] = (status, _text(header.get("message")))
            launch.current = None
            clock.restart()
        elif event == "result" and launch.current == header.get("case") and not str(launch.current).startswith("import:"):
            launch.outcomes[header["case"]] = outcome_from_frame(header, payload, self.max_bytes.get(header["case"], 0))
            launch.current = launch.call = None
            clock.restart()
        elif event == "done" and launch.current is None and not self.expected:
            launch.done = True
            if isinstance(header.get("peak_rss_kib"), int):
                launch.peak_memory_bytes = header["peak_rss_kib"] * 1024

    def _drain_output(self, process) -> None:
        """Everything the child printed before it asked for the next phase, read now, so that it
        counts as printed before that phase's inputs existed."""
        fd = process.stdout.fileno()  # non-blocking (see _read)
        try:
            while True:
                data = os.read(fd, 1 << 16)
                if not data:
                    break
                self.phases.keep(data)
        except OSError:  # BlockingIOError: nothing more for now
            pass

    def _next(self, case) -> bool:
        """True when ``case`` is the next thing the plan expects (and consume it)."""
        if self.expected and case == self.expected[0]:
            self.expected.pop(0)
            return True
        return False

    # -- accounting ----------------------------------------------------------------------------

    def members(self, process) -> set[int]:
        """The pids of this sandbox: the child's descendants, its uid's processes (as root), and
        orphans re-parented to the grader since it started."""
        table = list(process_table(uids=self.identity is not None))
        members, grew = {process.pid}, True
        while grew:
            found = {info["pid"] for info in table if info["ppid"] in members}
            grew = not found <= members
            members |= found
        if self.identity is not None:
            members |= {info["pid"] for info in table if info["uid"] == self.identity["uid"]}
        return members

    def _stop(self, process: subprocess.Popen, children_before: set[int]) -> None:
        """Kill the child's session, every process of the sandbox uid, and orphans left to us."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.identity is not None:
            kill_processes(lambda info: info["uid"] == self.identity["uid"], uids=True)
        orphans = kill_processes(
            lambda info: info["ppid"] == os.getpid() and info["pid"] != process.pid and info["pid"] not in children_before
        )
        process.wait()
        if process.stdout:
            process.stdout.close()
        if self.identity is not None and self.mode.name == "process":
            remove_files_of(self.identity["uid"])
        for pid in orphans:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


class CaseClock:
    """The limits of the current step (start-up, an import, a probe, or the gap between them):
    CPU time of all the sandbox's processes, wall time, memory and files written."""

    def __init__(self, child: ChildProcess, process):
        self.child, self.process, self.limits = child, process, child.limits
        self.pids: set[int] = {process.pid}
        self.refreshed = 0.0
        self.started = time.monotonic()
        self.cpu_at_start = 0.0

    def restart(self) -> None:
        self.started = time.monotonic()
        self.cpu_at_start = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        return sum(info["cpu_ticks"] for info in map(process_info, self.pids) if info) / CLOCK_TICKS

    def check(self, launch: Launch, now: float, deadline: float) -> str | None:
        if now >= deadline:
            return "the grading time limit for the whole submission ran out"
        if now - self.refreshed > 0.5:
            self.pids, self.refreshed = self.child.members(self.process), now
        infos = [info for info in map(process_info, self.pids) if info]
        memory = sum(info["rss_pages"] for info in infos) * PAGE_BYTES
        if memory > self.limits.memory_bytes:
            return f"your code used more than {self.limits.memory_bytes >> 20} MiB of memory in all its processes"
        written = scratch_bytes(self.child.stage / "scratch", self.limits.scratch_bytes)
        if written > self.limits.scratch_bytes:
            return f"your code wrote more than {self.limits.scratch_bytes >> 20} MiB of files"
        wall = now - self.started
        if not launch.ready:
            if wall > self.limits.startup_seconds:
                return f"the sandbox did not start within {self.limits.startup_seconds:g} s"
            return None
        cpu = sum(info["cpu_ticks"] for info in infos) / CLOCK_TICKS - self.cpu_at_start
        what = launch.call or "your code"
        if cpu > self.limits.case_seconds:
            launch.timed_out = True
            return f"{what} ran past the time limit ({self.limits.case_seconds:g} s of CPU time): an endless loop, or very slow code?"
        if wall > self.limits.case_wall_seconds:
            launch.timed_out = True
            return (
                f"{what} did not finish within {self.limits.case_wall_seconds:g} s while using little CPU time "
                "(is it sleeping, or waiting for input?)"
            )
        return None


def scratch_bytes(folder: Path, limit: int) -> int:
    """Bytes the files under ``folder`` take (more than ``limit`` as soon as that is certain)."""
    total, seen = 0, 0
    stack = [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > 10_000:
                return limit + 1  # a flood of files is over the limit whatever their size
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += info.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
        if total > limit:
            return total
    return total


# ----------------------------------------------------------------------------------------------
# The sandbox
# ----------------------------------------------------------------------------------------------


class Sandbox:
    """Runs probes on one submission, relaunching the child past any probe that kills or hangs it."""

    def __init__(self, isolation: str = "auto", limits: Limits | None = None, hidden: tuple[Path, ...] = (), untrusted: bool = True):
        self.isolation = choose_isolation(isolation, untrusted=untrusted, hidden=tuple(hidden))
        self.mode = make_mode(self.isolation, tuple(hidden))
        self.limits = limits or Limits()
        become_subreaper()

    def run(self, modules: dict[str, bytes], stubs_dir: Path, cases: list[dict], inputs: list[dict[str, np.ndarray]]) -> SandboxRun:
        """``modules``: file name -> source bytes of the submission's module files; ``cases``:
        dicts with id, kind, args, phase (an index into ``inputs``) and optionally max_bytes;
        ``inputs``: per phase, arrays keyed ``<case id>/in/<name>``."""
        identity = sandbox_identity()
        started = time.monotonic()
        stage = Path(tempfile.mkdtemp(prefix="nn-sandbox-"))
        try:
            self._stage(stage, modules, stubs_dir, identity)
            return self._run_cases(stage, cases, inputs, identity, started)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _stage(self, stage: Path, modules: dict[str, bytes], stubs_dir: Path, identity: dict | None) -> None:
        for package, sources in (("submission", modules), ("stubs", {f"{m}.py": (stubs_dir / f"{m}.py").read_bytes() for m in MODULES})):
            (stage / package).mkdir()
            (stage / package / "__init__.py").write_text("")
            for name, source in sources.items():
                (stage / package / name).write_bytes(source)
        # A copy, not the live folder: the harness cannot change under a batch that is running.
        (stage / "harness").mkdir()
        for path in HARNESS_DIR.glob("*.py"):
            shutil.copyfile(path, stage / "harness" / path.name)
        (stage / "empty").mkdir()
        (stage / "scratch").mkdir(mode=0o700)
        self.mode.prepare_stage(stage)
        if identity is not None:
            # Readable by the sandbox's group, writable only by the grader; its scratch is its own.
            os.chown(stage, 0, identity["gid"])
            os.chmod(stage, 0o750)
            os.chown(stage / "scratch", identity["uid"], identity["gid"])

    def _plan(self, stage: Path, cases: list[dict], stubbed: set[str], hung: set[str], identity: dict | None) -> dict:
        plan = self.mode.plan(stage)
        keep_read_search = plan.pop("keep_read_search", False)
        plan.update(
            cases=[{key: case[key] for key in ("id", "kind", "args", "phase")} for case in cases],
            stubbed=sorted(stubbed),
            hung=sorted(hung),
            drop_to=dict(identity, keep_read_search=keep_read_search) if identity else None,
        )
        return plan

    def _run_cases(self, stage: Path, cases: list[dict], inputs: list[dict], identity: dict | None, wall_start: float) -> SandboxRun:
        deadline = wall_start + self.limits.total_seconds
        remaining = list(cases)
        outcomes: dict[str, CaseOutcome] = {}
        imports: dict[str, tuple[str, str]] = {}
        stubbed: set[str] = set()
        hung: set[str] = set()
        chown = (lambda path: os.chown(path, 0, identity["gid"])) if identity else None
        phases = Phases(stage, inputs, self.limits, chown)
        run = SandboxRun(outcomes=outcomes, imports=imports, isolation=self.isolation, printed="")
        failed_starts = 0
        while remaining:
            if time.monotonic() >= deadline:
                run.incomplete = "the grading time limit for the whole submission ran out"
                for case in remaining:
                    outcomes[case["id"]] = CaseOutcome("not_run", f"not run: {run.incomplete} (ask your instructor)")
                break
            (stage / "plan.json").write_text(json.dumps(self._plan(stage, remaining, stubbed, hung, identity)))
            launch = ChildProcess(self.mode, stage, self.limits, identity, stubbed, remaining, phases).run(deadline)
            run.launches += 1
            run.peak_memory_bytes = max(run.peak_memory_bytes, launch.peak_memory_bytes)
            if launch.uid is not None:
                run.child_uid = launch.uid
            for module, outcome in launch.imports.items():
                imports.setdefault(module, outcome)
            for case in list(remaining):
                if case["id"] in launch.outcomes:
                    outcomes[case["id"]] = launch.outcomes[case["id"]]
                    remaining.remove(case)
            if launch.done or not remaining:
                continue
            if not launch.ready:
                failed_starts += 1
                if failed_starts < 2:
                    continue  # an infrastructure hiccup (say, a fork failed): try once more
                message = "the sandbox could not start: " + (launch.ending or "") + " " + phases.printed["visible"].decode(errors="replace")[-500:]
                for case in remaining:
                    outcomes[case["id"]] = CaseOutcome("error", message)
                break
            blamed = launch.current or remaining[0]["id"]  # stopped between two probes: charge the next one
            if blamed.startswith("import:"):
                module = blamed.split(":", 1)[1]
                kind = "timeout" if launch.timed_out else "crashed"
                imports[module] = (kind, f"importing {module}.py: {launch.ending}")
                stubbed.add(module)
                continue
            if launch.timed_out and launch.call:
                hung.add(launch.call)
            kind = "timeout" if launch.timed_out else "crashed"
            outcomes[blamed] = CaseOutcome(kind, launch.ending)
            remaining = [case for case in remaining if case["id"] != blamed]
        run.printed = phases.printed["visible"].decode("utf-8", errors="replace")
        run.printed_hidden = phases.printed["hidden"].decode("utf-8", errors="replace")
        run.hung = tuple(sorted(hung))
        return run


def probe_mode(mode: Mode, limits: Limits, timeout: float) -> str | None:
    """Start the harness in ``mode`` on empty modules; None when it came up, confined itself and
    finished, else what went wrong."""
    stubs = Path(__file__).resolve().parent / "stubs"
    stubs = stubs if stubs.is_dir() else Path(__file__).resolve().parent.parent / "starter"
    sandbox = Sandbox.__new__(Sandbox)
    sandbox.isolation, sandbox.mode, sandbox.limits = mode.name, mode, Limits(startup_seconds=timeout)
    identity = sandbox_identity()
    stage = Path(tempfile.mkdtemp(prefix="nn-sandbox-"))
    try:
        sandbox._stage(stage, {f"{m}.py": b"" for m in MODULES}, stubs, identity)
        (stage / "plan.json").write_text(json.dumps(sandbox._plan(stage, [], set(), set(), identity)))
        phases = Phases(stage, [], sandbox.limits)
        launch = ChildProcess(mode, stage, sandbox.limits, identity, set(), [], phases).run(time.monotonic() + timeout)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if launch.done and launch.uid is not None:
        return None
    printed = phases.printed["visible"].decode(errors="replace").strip()
    return (launch.ending or "the harness did not finish") + (f": {printed[-400:]}" if printed else "")
