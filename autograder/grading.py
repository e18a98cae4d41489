"""Grading, end to end: intake -> sandbox -> checks -> result, for one submission or many.

The process running this module never imports submission code: the sandbox runs it in a child
and returns plain arrays, which the checks compare here. Batch grading spreads submissions over
worker processes; each submission is graded the same way whatever the number of workers or the
order, so results do not depend on either.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import intake
from .plugin import GradingPlugin, Outcome, run_checks
from .reference import ReferenceCase, available_variants, load_references
from .isolation import describe_isolation
from .rubric import load_rubric
from .sandbox import Limits, Sandbox

ROOT = Path(__file__).resolve().parent.parent


def stubs_dir() -> Path:
    """Pristine starter modules: autograder/stubs/ in a bundle, else the kit's starter/."""
    bundled = Path(__file__).resolve().parent / "stubs"
    return bundled if bundled.is_dir() else ROOT / "starter"


@dataclass
class TestResult:
    test_id: str
    module: str
    title: str
    variant: str
    score: float
    max_score: float
    kind: str  # passed, failed, not_implemented, error, timeout, crashed, grader_error
    message: str

    @property
    def passed(self) -> bool:
        return self.kind == "passed"


@dataclass
class GradeResult:
    """Everything known about one graded submission; plain data, safe to pass between processes."""

    submission_id: str
    source: str
    variants: tuple[str, ...]
    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str | None = None
    isolation: str = ""
    printed: str = ""
    seconds: float = 0.0
    peak_memory_bytes: int = 0  # the sandbox's, as its harness reported it (not in any report: it varies)

    @property
    def score(self) -> float:
        return round(sum(test.score for test in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(test.max_score for test in self.tests), 4)

    def module_scores(self) -> dict[str, tuple[float, float]]:
        scores: dict[str, tuple[float, float]] = {}
        for module in load_rubric().modules:
            tests = [test for test in self.tests if test.module == module]
            scores[module] = (round(sum(t.score for t in tests), 4), round(sum(t.max_score for t in tests), 4))
        return scores

    @property
    def status(self) -> str:
        return f"error: {self.problem}" if self.problem else "graded"


@cache
def references_for(variant: str) -> dict[str, ReferenceCase]:
    return load_references(variant)


# A variant run alongside a scored one, never shipped, whose failures count against it: see the
# rubric's header. (Without its references, as in the student bundle, the scored variant runs alone.)
TWINS = {"fresh": "public"}


def run_variants(variants: tuple[str, ...]) -> tuple[str, ...]:
    """The variants to run for these scored ones: each, plus its twin where its references exist."""
    available = available_variants()
    return tuple(variants) + tuple(twin for twin, scored in TWINS.items() if scored in variants and twin in available)


def plan_cases(variants: tuple[str, ...], only: frozenset[str] | None = None) -> tuple[list[dict], dict]:
    """The probe plan (id, kind, args per case) and the inputs, for every test the rubric scores
    (or only the tests whose ids are in ``only``)."""
    rubric = load_rubric()
    cases, inputs = [], {}
    for variant in variants:
        references = references_for(variant)
        for test in rubric.tests:
            if not test.runs_in(TWINS.get(variant, variant)) or (only is not None and test.id not in only):
                continue
            reference = references[test.id]
            case_id = f"{variant}:{test.id}"
            cases.append({"id": case_id, "kind": reference.kind, "args": reference.args})
            inputs.update({f"{case_id}/in/{name}": value for name, value in reference.inputs.items()})
    return cases, inputs


def all_failed(result: GradeResult, message: str, kind: str = "error") -> GradeResult:
    rubric = load_rubric()
    for test in rubric.tests:
        for variant in result.variants:
            if test.runs_in(variant):
                points = test.points[variant]
                result.tests.append(TestResult(test.id, test.module, test.title, variant, 0.0, points, kind, message))
    return result


def grade_submission(
    path: Path,
    variants: tuple[str, ...] = ("public", "hidden"),
    isolation: str = "auto",
    limits: Limits | None = None,
    submission_id: str | None = None,
    only: frozenset[str] | None = None,
) -> GradeResult:
    """Grade one submission (a folder or a .zip) on the given variants; with ``only`` (test ids, see
    selection.py), run and report just those tests."""
    started = time.monotonic()
    submission = intake.read_submission(Path(path))
    result = GradeResult(submission_id or submission.id, str(path), variants, notes=list(submission.notes))
    if not submission.problem and not submission.modules:
        submission.problem = "none of the six module files (" + ", ".join(intake.MODULE_FILES) + ") was found in it"
    if submission.problem:
        result.problem = submission.problem
        result.seconds = time.monotonic() - started
        return all_failed(result, f"Your submission could not be read: {submission.problem}")
    stubs = stubs_dir()
    modules = {f"{m}.py": submission.modules.get(f"{m}.py") or (stubs / f"{m}.py").read_bytes() for m in intake.MODULES}
    for module in submission.missing:
        result.notes.append(f"{module}.py is missing; its tests ran on the starter stub")
    runs = run_variants(variants)
    cases, inputs = plan_cases(runs, only)
    run = Sandbox(isolation, limits).run(modules, stubs, cases, inputs)
    sources = {m: modules[f"{m}.py"].decode("utf-8-sig", errors="replace") for m in intake.MODULES}
    plugin = GradingPlugin(load_rubric(), runs, TWINS, run, {v: references_for(v) for v in runs}, set(submission.missing), sources)
    outcomes = run_checks(plugin)
    for test in load_rubric().tests:
        for variant in variants:
            if not test.runs_in(variant) or (only is not None and test.id not in only):
                continue
            outcome = combined(outcomes, test.id, variant, runs)
            points = test.points[variant]
            result.tests.append(
                TestResult(test.id, test.module, test.title, variant, points if outcome.passed else 0.0, points, outcome.kind, outcome.message)
            )
    result.isolation = describe_isolation(run.isolation)
    result.printed = run.printed
    result.peak_memory_bytes = run.peak_memory_bytes
    result.seconds = time.monotonic() - started
    return result


def combined(outcomes: dict, test_id: str, variant: str, runs: tuple[str, ...]) -> Outcome:
    """A scored variant's outcome: its own, unless it passed and its twin (run too) failed."""
    outcome = outcomes[(test_id, variant)]
    for twin, scored in TWINS.items():
        if scored == variant and twin in runs and outcome.passed and not outcomes[(test_id, twin)].passed:
            failure = outcomes[(test_id, twin)]
            return Outcome(False, failure.kind, FRESH_FAILURE + failure.message)
    return outcome


FRESH_FAILURE = (
    "Right on the public inputs, but not on fresh inputs of the same shapes (results must be computed "
    "from the inputs, never looked up):\n"
)


# ----------------------------------------------------------------------------------------------
# Many submissions
# ----------------------------------------------------------------------------------------------

def _grade_job(job: tuple) -> GradeResult:
    path, submission_id, variants, isolation, limits = job
    try:
        return grade_submission(Path(path), variants, isolation, limits, submission_id)
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop the batch
        result = GradeResult(submission_id, str(path), variants, problem=f"the grader failed on it: {error!r}")
        return all_failed(result, f"The grader could not grade this submission ({error!r}); please tell your instructor.", "grader_error")


def grade_many(
    paths: list[Path],
    ids: list[str],
    variants: tuple[str, ...],
    isolation: str,
    limits: Limits,
    jobs: int,
    on_result=None,
) -> list[GradeResult]:
    """Grade every submission with ``jobs`` worker processes; results come back sorted by id."""
    for variant in run_variants(variants):
        references_for(variant)  # verify the references once, before any work starts
    jobs_list = [(str(path), submission_id, variants, isolation, limits) for path, submission_id in zip(paths, ids)]
    results = []
    if jobs <= 1 or len(jobs_list) <= 1:
        for job in jobs_list:
            results.append(_grade_job(job))
            if on_result:
                on_result(results[-1])
    else:
        import multiprocessing  # imported here: a single submission does not pay for it
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = [pool.submit(_grade_job, job) for job in jobs_list]
            for future in as_completed(futures):
                results.append(future.result())
                if on_result:
                    on_result(results[-1])
    return sorted(results, key=lambda result: result.submission_id)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
