"""The baseline the grading benchmarks compare with: the same probes and the same checks, run in
this process on solution/, with no sandbox, no child process and no pipe. Benchmarks only: the
real grader never imports submission code into the grading process."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import grading  # noqa: E402
from autograder.checks.plugin import GradingPlugin, run_checks  # noqa: E402
from autograder.rubric import load_rubric  # noqa: E402
from autograder.sandbox.channel import CaseOutcome  # noqa: E402
from autograder.sandbox import SandboxRun  # noqa: E402
from autograder.intake.static import analyse  # noqa: E402

MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")


def load_probes():
    sys.path.insert(0, str(ROOT / "autograder" / "sandbox" / "harness"))  # probes.py imports its neighbours by name
    spec = importlib.util.spec_from_file_location("bench_probes", ROOT / "autograder" / "sandbox" / "harness" / "probes.py")
    probes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probes)
    return probes


def grade_in_process(variants=("public", "hidden")) -> tuple[float, float]:
    """Score of solution/ with every probe and check run here (the same cases as a real grade,
    fresh twins included); returns (score, seconds)."""
    __import__("solution")  # the package under test, imported here on purpose (never in the grader)
    probes = load_probes()
    modules = {module: sys.modules[f"solution.{module}"] for module in MODULES}
    runs = grading.run_variants(variants)
    cases, phases = grading.plan_cases(runs)
    inputs = {name: value for phase in phases for name, value in phase.items()}
    started = time.perf_counter()
    outcomes = {}
    for case in cases:
        probe = probes.Probe(case["args"], inputs, prefix=f"{case['id']}/")
        probes.PROBES[case["kind"]](modules, probe)
        outcomes[case["id"]] = CaseOutcome("ok", outputs=probe.outputs, notes=probe.notes)
    run = SandboxRun(outcomes, {module: ("ok", "") for module in MODULES}, "none", "")
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
