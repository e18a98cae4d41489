"""One launch of the sandboxed child: start the harness, read its frames and output, enforce the
limits while it runs, and stop it and everything it made.

Time is judged per call, in CPU time of all the sandbox's processes (or in wall-clock time for a
call that sleeps); memory is their resident memory added up, and files written are added up in
the stage's scratch folder. Inputs come in phases, written into the stage only when the harness
asks for them; printed output is kept apart by phase.
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

from .channel import CaseOutcome, FrameReader, ProtocolError, bounded_text, outcome_from_frame
from .harness.npzio import pack
from .isolation import SANDBOX_ENV, Mode, limit_resources
from .processes import CLOCK_TICKS, kill_processes, process_info, process_table, remove_files_of
from .text import one_line

MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")
MONITOR_SECONDS = 0.1  # how often CPU time, memory and files written are added up
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Launch:
    outcomes: dict[str, CaseOutcome] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    ready: bool = False
    done: bool = False
    current: str | None = None  # the case (or "import:<module>") running when the child stopped
    started: str | None = None  # the last case (or import) that started, finished or not
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

    def __init__(self, stage: Path, inputs: list[dict[str, np.ndarray]], limits, chown=None):
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

    def __init__(self, mode: Mode, stage: Path, limits, identity: dict | None, stubbed: set[str], cases: list[dict], phases: Phases):
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
                    # The child may have finished the case and started the next before we looked
                    # (a busy machine delays the grader, not the child): take in every frame it has
                    # already sent, so the limit is charged to the step that was really running,
                    # and act only if it still holds.
                    ending = self._take_pending(selector, reader, launch, clock, process, control_fd)
                    problem = ending or (None if launch.done else clock.check(launch, time.monotonic(), deadline))
                if problem:
                    launch.ending = problem
                    return
            if process.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > 0.2 or not selector.get_map():
                    launch.ending = self._take_pending(selector, reader, launch, clock, process, control_fd)
                    return
            for key, _ in selector.select(timeout=MONITOR_SECONDS / 2):
                ending = self._take(key, selector, reader, launch, clock, process, control_fd)
                if ending:
                    launch.ending = ending
                    return

    def _take(self, key, selector, reader: FrameReader, launch: Launch, clock: "CaseClock", process, control_fd: int) -> str | None:
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
            return "your code sent the grader more data than any right answer needs (did it write to the grader's file descriptor?)"
        try:
            frames = reader.feed(data)
        except ProtocolError as error:
            return f"the channel back to the grader was corrupted ({error}); did your code write to its file descriptors?"
        for header, payload in frames:
            self._handle(header, payload, launch, clock, process, control_fd)
        return None

    def _take_pending(self, selector, reader: FrameReader, launch: Launch, clock: "CaseClock", process, control_fd: int) -> str | None:
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

    def _handle(self, header: dict, payload: bytes, launch: Launch, clock: "CaseClock", process, control_fd: int) -> None:
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
            status = "ok" if header.get("status") == "ok" else "error"
            launch.imports[header["module"]] = (status, bounded_text(header.get("message")))
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
        written = scratch_bytes(self.child.stage / "scratch", self.limits.scratch_bytes) + held_bytes(self.pids)
        if written > self.limits.scratch_bytes:
            return f"your code wrote more than {self.limits.scratch_bytes >> 20} MiB of files"
        wall = now - self.started
        if not launch.ready:
            if wall > self.limits.startup_seconds:
                return f"the sandbox did not start within {self.limits.startup_seconds:g} s"
            return None
        cpu = sum(info["cpu_ticks"] for info in infos) / CLOCK_TICKS - self.cpu_at_start
        if cpu > self.limits.case_seconds or wall > self.limits.case_wall_seconds:
            launch.timed_out = True
            return time_limit_message(launch.call or "your code", self.limits, computing=cpu > self.limits.case_seconds or computing(self.pids))
        return None


def time_limit_message(what: str, limits, computing: bool) -> str:
    """The same words whichever limit was hit first: on a busy machine an endless loop reaches the
    wall-time limit before the CPU-time one, and its results must not change with the load. What
    the code was doing when stopped (running or waiting for its turn, against sleeping) does not
    depend on the load."""
    limit = f"the time limit ({limits.case_seconds:g} s of CPU time, {limits.case_wall_seconds:g} s in all)"
    if computing:
        return f"{what} ran past {limit} while computing: an endless loop, or very slow code?"
    return f"{what} ran past {limit} while sleeping or waiting, not computing: is it sleeping, or waiting for input?"


def computing(pids) -> bool:
    """Whether any thread of the processes is running or waiting for a CPU (state R)."""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as stat_file:
                    if stat_file.read().rsplit(")", 1)[1].split()[0] == "R":
                        return True
            except (OSError, IndexError):
                continue
    return False


def held_bytes(pids) -> int:
    """Bytes of the files the processes hold open that no folder shows: removed while open, or
    memfds. They keep their blocks until closed, so they count against the files limit."""
    total, seen = 0, set()
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            descriptors = os.listdir(folder)
        except OSError:
            continue
        for descriptor in descriptors[:4096]:
            path = f"{folder}/{descriptor}"
            try:
                target = os.readlink(path)
                if not (target.endswith(" (deleted)") or target.startswith("/memfd:")):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


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
