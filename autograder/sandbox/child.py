"""One launch of the sandboxed child: start the harness, read its frames and output, enforce the
limits while it runs (clock.py), and stop it and everything it made.

Inputs come in phases, written into the stage only when the harness asks for them; printed output
is kept apart by phase. Why a launch ended early is data (outcome.Stop); words.py says it.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import words
from ..kit import MODULES
from ..outcome import Stop, StopReason
from ..text import one_line
from .channel import CaseOutcome, FrameReader, ProtocolError, Status, bounded_text, outcome_from_frame
from .clock import CaseClock
from .harness.npzio import pack
from .isolation import SANDBOX_ENV, Mode
from .limits import Limits, rlimits
from .processes import kill_processes, process_table, remove_files_of

MONITOR_SECONDS = 0.1  # how often CPU time, memory and files written are added up


@dataclass
class Launch:
    outcomes: dict[str, CaseOutcome] = field(default_factory=dict)
    imports: dict[str, CaseOutcome] = field(default_factory=dict)  # module -> how its import ended
    ready: bool = False
    done: bool = False
    current: str | None = None  # the case (or "import:<module>") running when the child stopped
    started: str | None = None  # the last case (or import) that started, finished or not
    call: str | None = None  # the student function the current case was in, as last announced
    stop: Stop | None = None  # why the child stopped, when it did not finish
    peak_memory_bytes: int = 0
    uid: int | None = None

    @property
    def ending(self) -> str:
        """Why the child stopped, for the student ("" when it finished)."""
        return words.stop(self.stop)

    @property
    def timed_out(self) -> bool:
        return self.stop is not None and self.stop.reason.timed_out


SIGNAL_STOPS = {"SIGXCPU": StopReason.CPU_SIGNAL, "SIGSEGV": StopReason.SEGFAULT, "SIGSYS": StopReason.FORBIDDEN_CALL}


def exit_stop(returncode: int, isolation: str) -> Stop:
    """What the child's exit status says: an exit code, or the signal that killed it."""
    if isolation == "bubblewrap" and returncode > 128:  # bwrap --as-pid-1 reports a signal so
        returncode = -(returncode - 128)
    if returncode >= 0:
        return Stop(StopReason.EXIT, detail=str(returncode))
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return Stop(SIGNAL_STOPS.get(name, StopReason.KILLED), detail=name)


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
        self.phase_of = {case["id"]: case.get("phase", 0) for case in cases}
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
                preexec_fn=rlimits(self.limits, self.identity is not None),
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
        if not launch.done and launch.stop is None:
            launch.stop = exit_stop(process.returncode, self.mode.name)
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
        clock = CaseClock(self.limits, self.stage / "scratch", process.pid, lambda: self.members(process))
        exited_at = None
        next_check = time.monotonic()
        while not launch.done:
            now = time.monotonic()
            if now >= next_check:
                next_check = now + MONITOR_SECONDS
                problem = clock.check(launch, now, deadline)
                if problem:
                    # The child may have finished the case and started the next before we looked
                    # (a busy machine delays the grader, not the child): take in every frame it has
                    # already sent, so the limit is charged to the step that was really running,
                    # and act only if it still holds.
                    ending = self._take_pending(selector, reader, launch, clock, process, control_fd)
                    problem = ending or (None if launch.done else clock.check(launch, time.monotonic(), deadline))
                if problem:
                    launch.stop = problem
                    return
            if process.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > 0.2 or not selector.get_map():
                    launch.stop = self._take_pending(selector, reader, launch, clock, process, control_fd)
                    return
            for key, _ in selector.select(timeout=MONITOR_SECONDS / 2):
                stop = self._take(key, selector, reader, launch, clock, process, control_fd)
                if stop:
                    launch.stop = stop
                    return

    def _take(self, key, selector, reader: FrameReader, launch: Launch, clock: CaseClock, process, control_fd: int) -> Stop | None:
        """Read what one of the child's pipes holds and act on it; the reason to stop, if any."""
        try:
            data = os.read(key.fd, 1 << 16)
        except BlockingIOError:
            return None
        if not data:
            selector.unregister(key.fileobj)
            return None
        if key.data == "output":
            self.phases.keep(data)
            return None
        self.received_bytes += len(data)
        if self.received_bytes > self.limits.channel_bytes:
            return Stop(StopReason.CHANNEL_FLOOD)
        try:
            frames = reader.feed(data)
        except ProtocolError as error:
            return Stop(StopReason.CHANNEL_CORRUPT, detail=str(error))
        for header, payload in frames:
            self._handle(header, payload, launch, clock, process, control_fd)
        return None

    def _take_pending(self, selector, reader: FrameReader, launch: Launch, clock: CaseClock, process, control_fd: int) -> Stop | None:
        """What the pipes hold right now, without waiting (at most 16 MiB: a child printing without
        pause cannot keep the grader here)."""
        for _ in range(256):
            if launch.done:
                return None
            ready = selector.select(timeout=0)
            if not ready:
                return None
            for key, _ in ready:
                ending = self._take(key, selector, reader, launch, clock, process, control_fd)
                if ending:
                    return ending
        return None

    def _handle(self, header: dict, payload: bytes, launch: Launch, clock: CaseClock, process, control_fd: int) -> None:
        event = header["event"]
        if event == "ready" and not launch.ready:
            launch.ready = True
            launch.uid = header.get("uid") if isinstance(header.get("uid"), int) else None
            clock.restart()
        elif event == "start" and launch.current is None and self._next(header.get("case")):
            launch.current, launch.started, launch.call = header["case"], header["case"], None
            clock.restart()
        elif event == "call" and launch.current and not launch.current.startswith("import:"):
            launch.call = one_line(bounded_text(header.get("label"), 200)) or None
        elif event == "phase" and launch.current is None and self._phase_due(header.get("number")):
            # Only the phase of the next case the plan expects, once every import and earlier case
            # has reported: a forged request cannot get later inputs out before the earlier cases
            # are graded, nor (being ignored) restart the clock.
            self._drain_output(process)
            if self.phases.release(header["number"]):
                os.write(control_fd, b"1")
                clock.restart()
        elif event == "import" and launch.current == f"import:{header.get('module')}":
            status = Status.OUT_OF_MEMORY if header.get("status") == Status.OUT_OF_MEMORY else Status.ERROR
            status = Status.OK if header.get("status") == Status.OK else status
            launch.imports[header["module"]] = CaseOutcome(status, bounded_text(header.get("message")))
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

    def _phase_due(self, number) -> bool:
        return bool(self.expected) and self.expected[0] in self.phase_of and self.phase_of[self.expected[0]] == number

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
