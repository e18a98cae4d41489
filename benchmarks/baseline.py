"""The baseline the grading benchmarks compare with: the same probes and the same checks, run in
this process on solution/, with no sandbox, no child process and no pipe. Benchmarks only: the
real grader never imports submission code into the grading process."""

from __future__ import annotations

import sys
import time

from autograder import grading
from autograder.checks.plugin import GradingPlugin, run_checks
from autograder.intake.static import analyse
from autograder.kit import KIT_ROOT as ROOT
from autograder.kit import MODULES
from autograder.rubric import load_rubric
from autograder.sandbox import CaseOutcome, SandboxRun, Status
from autograder.sandbox.channel import notes_from
from autograder.sandbox.harness import probes


def grade_in_process(variants=("public", "hidden")) -> tuple[float, float]:
    """Score of solution/ with every probe and check run here (the same cases as a real grade,
    fresh twins included); returns (score, seconds)."""
    __import__("solution")  # the package under test, imported here on purpose (never in the grader)
    modules = {module: sys.modules[f"solution.{module}"] for module in MODULES}
    runs = grading.run_variants(variants)
    cases, phases = grading.plan_cases(runs)
    inputs = {name: value for phase in phases for name, value in phase.items()}
    started = time.perf_counter()
    outcomes = {}
    for case in cases:
        probe = probes.Probe(case["args"], inputs, prefix=f"{case['id']}/")
        probes.PROBES[case["kind"]](modules, probe)
        outcomes[case["id"]] = CaseOutcome(Status.OK, outputs=probe.outputs, notes=notes_from(probe.notes))
    run = SandboxRun(outcomes, {module: CaseOutcome(Status.OK) for module in MODULES}, "none", "")
    sources = {module: (ROOT / "solution" / f"{module}.py").read_bytes() for module in MODULES}
    analysis = analyse(sources, grading.vectorised_functions(runs))
    plugin = GradingPlugin(load_rubric(), runs, grading.TWINS, run, {v: grading.references_for(v) for v in runs}, set(), analysis)
    results = run_checks(plugin)
    seconds = time.perf_counter() - started
    score = sum(
        test.points[variant]
        for test in load_rubric().tests
        for variant in variants
        if test.runs_in(variant) and grading.combined(results, test.id, variant, runs).passed
    )
    return score, seconds
