"""Run submission code in a child process and get plain data back.

One sandbox per submission. The child (harness/run.py) imports the submission and runs the probes;
this side reads frames from a pipe, enforces the limits, and kills everything the child started.
How the child is isolated is isolation.py's business; how leftovers are found, processes.py's.

A submission that crashes, exits, hangs or floods costs only the probe it was in: the child is
killed and relaunched with the remaining probes (a module whose import kills the child is replaced
by its starter stub on relaunch).
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
from .isolation import (
    SANDBOX_ENV,
    child_command,
    choose_isolation,
    limit_resources,
    sandbox_identity,
)
from .processes import become_subreaper, kill_processes, process_table, remove_files_of

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")
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
    launches: int  # how many times the child was started (1 unless something crashed or hung)
    peak_memory_bytes: int = 0  # as the harness reported it (for benchmarks; the limit is enforced regardless)


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
        children_before = {info["pid"] for info in process_table() if info["ppid"] == os.getpid()}
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
        table = list(process_table())
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
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="nn-sandbox-") as folder:
            stage = Path(folder)
            self._stage(stage, modules, stubs_dir, inputs)
            return self._run_cases(stage, cases, identity, started)

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
            peak_memory_bytes=peak_memory,
        )
