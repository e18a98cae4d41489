"""Run submission code in a child process and get plain data back.

One sandbox per submission. The child (harness/run.py) imports the submission and runs the probes;
this side stages its files (stage.py), launches it (child.py: one launch, its cleanup, the limits
clock.py watches; the frames it sends are channel.py's) and relaunches it past any probe that kills
or hangs it. What it may use is limits.py's; how it is isolated, isolation/'s (one module per
mode), and which mode works here, trial.py's; how leftovers are found, processes.py's.

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

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import words
from ..outcome import Stop, StopReason
from ..text import quoted
from .channel import CaseOutcome, Status
from .child import ChildProcess, Launch, Phases
from .isolation import make_mode, sandbox_identity
from .limits import Limits
from .processes import become_subreaper
from .stage import make_stage, write_plan
from .trial import choose_isolation

MAX_UNATTRIBUTED = 2  # stops between two probes charged to the next one, before the rest is not run


@dataclass
class SandboxRun:
    outcomes: dict[str, CaseOutcome]
    imports: dict[str, CaseOutcome]  # module -> how its import ended (status ok, error, out_of_memory, crashed, timeout)
    isolation: str
    printed: str  # printed while only public inputs were in the sandbox: safe to show at once
    printed_hidden: str = ""  # printed once unshipped inputs were there: shown after publication
    launches: int = 0  # how many times the child was started (1 unless something crashed or hung)
    peak_memory_bytes: int = 0  # as the harness reported it (for benchmarks; the limit is enforced regardless)
    hung: tuple[str, ...] = ()  # student functions that ran past the time limit
    incomplete: str = ""  # set when the whole-submission safety limit stopped grading
    child_uid: int | None = None  # the uid the harness reported running as


class Sandbox:
    """Runs probes on one submission, relaunching the child past any probe that kills or hangs it."""

    def __init__(self, isolation: str = "auto", limits: Limits | None = None, hidden: tuple[Path, ...] = (), untrusted: bool = True):
        self.isolation = choose_isolation(isolation, untrusted=untrusted, hidden=tuple(hidden))
        self.limits = limits or Limits()
        self.mode = make_mode(self.isolation, tuple(hidden), self.limits)
        become_subreaper()

    def run(self, modules: dict[str, bytes], cases: list[dict], inputs: list[dict[str, np.ndarray]]) -> SandboxRun:
        """``modules``: file name -> source bytes of the submission's module files; ``cases``:
        dicts with id, kind, args, phase (an index into ``inputs``) and optionally max_bytes;
        ``inputs``: per phase, arrays keyed ``<case id>/in/<name>``."""
        identity = sandbox_identity()
        started = time.monotonic()
        stage = make_stage(modules, self.mode, identity)
        try:
            return self._run_cases(stage, cases, inputs, identity, started)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _run_cases(self, stage: Path, cases: list[dict], inputs: list[dict], identity: dict | None, wall_start: float) -> SandboxRun:
        deadline = wall_start + self.limits.total_seconds
        remaining = list(cases)
        run = SandboxRun(outcomes={}, imports={}, isolation=self.isolation, printed="")
        stubbed: set[str] = set()
        hung: set[str] = set()
        chown = (lambda path: os.chown(path, 0, identity["gid"])) if identity else None
        phases = Phases(stage, inputs, self.limits, chown)
        failed_starts = unattributed = 0
        while remaining:
            if time.monotonic() >= deadline:
                run.incomplete = words.INCOMPLETE_DEADLINE
                self._not_run(run, remaining, words.not_run(run.incomplete, after_deadline=True), Stop(StopReason.DEADLINE))
                break
            write_plan(stage, self.mode, remaining, stubbed, hung, identity)
            launch = ChildProcess(self.mode, stage, self.limits, identity, stubbed, remaining, phases).run(deadline)
            self._take_in(run, launch)
            remaining = [case for case in remaining if case["id"] not in launch.outcomes]
            if launch.done or not remaining:
                continue
            if not launch.ready:
                failed_starts += 1
                if failed_starts < 2:
                    continue  # an infrastructure hiccup (say, a fork failed): try once more
                printed = phases.printed["visible"].decode(errors="replace")[-500:]
                message = words.could_not_start(launch.stop) + ("\n" + quoted(printed) if printed.strip() else "")
                for case in remaining:
                    run.outcomes[case["id"]] = CaseOutcome(Status.ERROR, message)
                break
            blamed = launch.current
            if blamed is None:
                started = launch.started or ""
                if started.startswith("import:"):
                    # Stopped after an import reported and before the first case: what ran was
                    # that module's code (which may have sent the report itself), not the next test's.
                    blamed = started
                else:
                    # Stopped between two probes (a thread or a finaliser of the submission's, or
                    # forged frames): charge the next one, but only so often.
                    unattributed += 1
                    if unattributed > MAX_UNATTRIBUTED:
                        run.incomplete = words.kept_stopping(launch.stop)
                        self._not_run(run, remaining, words.not_run(run.incomplete), launch.stop)
                        break
                    blamed = remaining[0]["id"]
            status = Status.TIMEOUT if launch.timed_out else Status.CRASHED
            limit = launch.stop.reason.limit if launch.stop else None
            if blamed.startswith("import:"):
                module = blamed.split(":", 1)[1]
                run.imports[module] = CaseOutcome(status, words.importing(module, launch.stop), limit=limit)
                stubbed.add(module)
                continue
            if launch.timed_out and launch.call:
                hung.add(launch.call)
            run.outcomes[blamed] = CaseOutcome(status, launch.ending, limit=limit)
            remaining = [case for case in remaining if case["id"] != blamed]
        run.printed = phases.printed["visible"].decode("utf-8", errors="replace")
        run.printed_hidden = phases.printed["hidden"].decode("utf-8", errors="replace")
        run.hung = tuple(sorted(hung))
        return run

    @staticmethod
    def _take_in(run: SandboxRun, launch: Launch) -> None:
        """What one launch found: its cases' outcomes, its imports, its memory and uid."""
        run.launches += 1
        run.peak_memory_bytes = max(run.peak_memory_bytes, launch.peak_memory_bytes)
        if launch.uid is not None:
            run.child_uid = launch.uid
        for module, outcome in launch.imports.items():
            run.imports.setdefault(module, outcome)
        run.outcomes.update(launch.outcomes)

    @staticmethod
    def _not_run(run: SandboxRun, cases: list[dict], message: str, stop: Stop | None) -> None:
        limit = stop.reason.limit if stop else None
        for case in cases:
            run.outcomes[case["id"]] = CaseOutcome(Status.NOT_RUN, message, limit=limit)
