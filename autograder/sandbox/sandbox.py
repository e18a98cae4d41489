"""Run submission code in a child process and get plain data back.

One sandbox per submission. The child (harness/run.py) imports the submission and runs the probes;
this side stages its files, launches it (child.py: one launch, its limits and its cleanup; the
frames it sends are channel.py's) and relaunches it past any probe that kills or hangs it. How the
child is isolated is the business of isolation/ (one module per mode); how leftovers are found, of
processes.py.

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
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .channel import CaseOutcome
from ..kit import MODULES, stubs_dir
from .child import ChildProcess, Phases
from .isolation import Mode, choose_isolation, make_mode, sandbox_identity
from .processes import become_subreaper
from ..text import quoted

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
MAX_UNATTRIBUTED = 2  # stops between two probes charged to the next one, before the rest is not run


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
            modules=list(MODULES),
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
        failed_starts = unattributed = 0
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
                printed = phases.printed["visible"].decode(errors="replace")[-500:]
                message = "the sandbox could not start: " + (launch.ending or "") + ("\n" + quoted(printed) if printed.strip() else "")
                for case in remaining:
                    outcomes[case["id"]] = CaseOutcome("error", message)
                break
            blamed = launch.current
            if blamed is None and (launch.started or "").startswith("import:"):
                # Stopped after an import reported and before the first case: what ran was that
                # module's code (which may have sent the report itself), not the next test's.
                blamed = launch.started
            elif blamed is None:
                # Stopped between two probes (a thread or a finaliser of the submission's, or
                # forged frames): charge the next one, but only so often.
                unattributed += 1
                if unattributed > MAX_UNATTRIBUTED:
                    run.incomplete = f"your code kept stopping the sandbox between tests ({launch.ending})"
                    for case in remaining:
                        outcomes[case["id"]] = CaseOutcome("not_run", f"not run: {run.incomplete}")
                    break
                blamed = remaining[0]["id"]
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
    sandbox = Sandbox.__new__(Sandbox)
    sandbox.isolation, sandbox.mode, sandbox.limits = mode.name, mode, Limits(startup_seconds=timeout)
    identity = sandbox_identity()
    stage = Path(tempfile.mkdtemp(prefix="nn-sandbox-"))
    try:
        sandbox._stage(stage, {f"{m}.py": b"" for m in MODULES}, stubs_dir(), identity)
        (stage / "plan.json").write_text(json.dumps(sandbox._plan(stage, [], set(), set(), identity)))
        phases = Phases(stage, [], sandbox.limits)
        launch = ChildProcess(mode, stage, sandbox.limits, identity, set(), [], phases).run(time.monotonic() + timeout)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if launch.done and launch.uid is not None:
        return None
    printed = phases.printed["visible"].decode(errors="replace").strip()
    return (launch.ending or "the harness did not finish") + (f": {printed[-400:]}" if printed else "")
