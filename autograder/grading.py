"""Grading, end to end: intake -> sandbox -> checks -> result, for one submission or many.

The process running this module never imports submission code: the sandbox runs it in a child
and returns plain arrays, which the checks compare here. Batch grading spreads submissions over
worker processes; each submission is graded the same way whatever the number of workers or the
order, so results do not depend on either.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from . import intake, words
from .checks.plugin import GradingPlugin, run_checks
from .intake.static import analyse_with_limits
from .kit import MODULE_FILES, MODULES, stubs_dir
from .outcome import Kind, Outcome
from .reference import ReferenceCase, available_variants, load_references
from .rubric import load_rubric
from .sandbox import Limits, Sandbox, describe_isolation
from .text import clean, one_line

@dataclass
class TestResult:
    test_id: str
    module: str
    title: str
    variant: str
    score: float
    max_score: float
    outcome: Outcome

    @property
    def kind(self) -> Kind:
        return self.outcome.kind

    @property
    def message(self) -> str:
        return self.outcome.message

    @property
    def passed(self) -> bool:
        return self.outcome.passed


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
    printed: str = ""  # what the code printed while only public inputs were in the sandbox
    printed_hidden: str = ""  # what it printed afterwards: shown only once grades are published
    seconds: float = 0.0
    peak_memory_bytes: int = 0  # the sandbox's, as its harness reported it (not in any report: it varies)
    incomplete: str = ""  # set when the whole-submission safety limit stopped grading early
    sandbox_uid: int | None = None  # the uid the sandboxed code reported running as

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
        if self.problem:
            return f"error: {self.problem}"
        return f"incomplete: {self.incomplete}" if self.incomplete else "graded"


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


# Inputs reach the sandbox in phases: the public ones first (what students have), then the fresh
# ones, then the hidden ones, each written only once every case of the phase before has reported.
# Output printed in phase 0 can be shown at once; later output may hold never-shipped inputs and is
# shown only once grades are published. The fresh failures a visible test reports say no more than
# their kind (see words.fresh_failure), so no text or number from a later phase reaches a visible test.
PHASES = {"public": 0, "fresh": 1, "hidden": 2}
RESULT_BYTES_FACTOR = 16  # a result may take this many times the reference's bytes (a wrong shape, say)
MIN_RESULT_BYTES = 64 << 10


def plan_cases(variants: tuple[str, ...], only: frozenset[str] | None = None) -> tuple[list[dict], list[dict]]:
    """The probe plan (id, kind, args, phase, max_bytes per case, public cases first) and the
    inputs of each phase, for every test the rubric scores (or only the tests whose ids are in ``only``)."""
    rubric = load_rubric()
    cases: list[dict] = []
    inputs: list[dict] = [{} for _ in range(max(PHASES.values()) + 1)]
    for variant in sorted(variants, key=lambda name: PHASES[name]):
        references = references_for(variant)
        phase = PHASES[variant]
        for test in rubric.tests:
            if not test.runs_in(TWINS.get(variant, variant)) or (only is not None and test.id not in only):
                continue
            reference = references[test.id]
            case_id = f"{variant}:{test.id}"
            expected_bytes = sum(array.nbytes + 200 for array in reference.outputs.values())
            cases.append({
                "id": case_id, "kind": reference.kind, "args": reference.args, "phase": phase,
                "max_bytes": max(MIN_RESULT_BYTES, RESULT_BYTES_FACTOR * expected_bytes),
            })
            inputs[phase].update({f"{case_id}/in/{name}": value for name, value in reference.inputs.items()})
    return cases, inputs


def vectorised_functions(variants: tuple[str, ...]) -> dict[str, list[str]]:
    """Module -> the functions the vectorisation tests read for loops."""
    functions: dict[str, list[str]] = {}
    for test in load_rubric().tests:
        if test.name == "vectorised":
            reference = references_for(variants[0])[test.id]
            functions[test.module] = list(reference.args.get("functions", []))
    return functions


@cache
def starter_imports() -> frozenset[tuple[str, str]]:
    """(module, import statement) pairs of the starter itself (the provided Logger's matplotlib)."""
    from .intake.static import analyse

    stubs = stubs_dir()
    found = analyse({m: (stubs / f"{m}.py").read_bytes() for m in MODULES}, {})
    return frozenset((module, statement) for module, _, _, statement in found["imports"])


def import_notes(analysis: dict) -> list[str]:
    """A note per import, of something graded code cannot use, that the student added."""
    notes = []
    for module, line, package, statement in analysis.get("imports", []):
        if (module, statement) in starter_imports():
            continue
        notes.append(
            f"{module}.py, line {line}: imports {package}, which is not available when your code is graded "
            "(only the standard library and NumPy are). The import itself is harmless; a graded function "
            f"that uses {package} fails its tests."
        )
    return notes


def introspection_notes(analysis: dict) -> list[str]:
    """A note per place where the code looks beyond itself (static.introspection), for the student
    and for course staff, who review such submissions: the harness's frames hold correct answers."""
    return [
        f"{module}.py, line {line}: {what}. Graded code has no need to look at the grader's frames, objects or "
        "modules; course staff review submissions that do."
        for module, line, what in analysis.get("introspection", [])
    ][:20]


def all_failed(result: GradeResult, message: str, kind: Kind = Kind.ERROR) -> GradeResult:
    rubric = load_rubric()
    for test in rubric.tests:
        for variant in result.variants:
            if test.runs_in(variant):
                points = test.points[variant]
                result.tests.append(TestResult(test.id, test.module, test.title, variant, 0.0, points, Outcome(kind, message)))
    return result


def grade_submission(
    path: Path,
    variants: tuple[str, ...] = ("public", "hidden"),
    isolation: str = "auto",
    limits: Limits | None = None,
    submission_id: str | None = None,
    hidden: tuple[Path, ...] = (),
    untrusted: bool = True,
    only: frozenset[str] | None = None,
) -> GradeResult:
    """Grade one submission (a folder or a .zip) on the given variants. ``hidden``: paths the
    sandbox must not see besides the kit (the output folder, the submissions being graded); with
    ``only`` (test ids, see selection.py), run and report just those tests."""
    started = time.monotonic()
    submission = intake.read_submission(Path(path))
    result = GradeResult(submission_id or submission.id, str(path), variants, notes=list(submission.notes))
    if not submission.problem and not submission.modules:
        submission.problem = "none of the six module files (" + ", ".join(MODULE_FILES) + ") was found in it"
    if submission.problem:
        result.problem = submission.problem
        result.seconds = time.monotonic() - started
        return all_failed(result, f"Your submission could not be read: {submission.problem}")
    stubs = stubs_dir()
    modules = {f"{m}.py": submission.modules.get(f"{m}.py") or (stubs / f"{m}.py").read_bytes() for m in MODULES}
    for module in submission.missing:
        result.notes.append(f"{module}.py is missing; its tests ran on the starter stub")
    runs = run_variants(variants)
    cases, inputs = plan_cases(runs, only)
    analysis = analyse_with_limits({m: modules[f"{m}.py"] for m in MODULES}, vectorised_functions(runs))
    result.notes.extend(import_notes(analysis))
    result.notes.extend(introspection_notes(analysis))
    run = Sandbox(isolation, limits, hidden=hidden, untrusted=untrusted).run(modules, cases, inputs)
    plugin = GradingPlugin(load_rubric(), runs, TWINS, run, {v: references_for(v) for v in runs}, set(submission.missing), analysis)
    outcomes = run_checks(plugin)
    for test in load_rubric().tests:
        for variant in variants:
            if not test.runs_in(variant) or (only is not None and test.id not in only):
                continue
            outcome = combined(outcomes, test.id, variant, runs)
            points = test.points[variant]
            score = round(points * outcome.fraction, 4)
            result.tests.append(TestResult(test.id, test.module, test.title, variant, score, points, cleaned(outcome)))
    result.isolation = describe_isolation(run.isolation)
    result.printed, result.printed_hidden = clean(run.printed), clean(run.printed_hidden)
    result.sandbox_uid = run.child_uid
    result.peak_memory_bytes = run.peak_memory_bytes
    result.incomplete = run.incomplete
    result.seconds = time.monotonic() - started
    return result


def cleaned(outcome: Outcome) -> Outcome:
    """The outcome with the text the sandbox may have sent made safe to print."""
    return replace(outcome, message=clean(outcome.message), not_implemented=tuple(one_line(clean(name)) for name in outcome.not_implemented))


def combined(outcomes: dict, test_id: str, variant: str, runs: tuple[str, ...]) -> Outcome:
    """A scored variant's outcome with its twins' (run too, never shipped) taken into account: the
    test, or for a split test each function's share, counts only where every run of it passed.
    Of a twin's failure only its kind and functions are told (words.fresh_failure): its message,
    and so its likely causes and limits, could carry what the code made of inputs no student may
    see."""
    outcome = outcomes[(test_id, variant)]
    for twin, scored in TWINS.items():
        if scored != variant or twin not in runs or outcomes[(test_id, twin)].passed:
            continue
        other = outcomes[(test_id, twin)]
        parts = outcome.parts or other.parts
        if not parts:  # all or nothing
            return Outcome(other.kind, words.fresh_failure(other.kind, ())) if outcome.passed else outcome
        before, after = failed_parts(outcome, parts), failed_parts(other, parts)
        failed = tuple(part for part in parts if part in before or part in after)
        message = "" if outcome.passed else outcome.message
        newly = tuple(part for part in after if part not in before)
        if newly:
            message = (message + "\n\n" if message else "") + words.fresh_failure(other.kind, newly)
        kind = Kind.PARTIAL if len(failed) < len(parts) else (other.kind if outcome.passed else outcome.kind)
        outcome = replace(outcome, kind=kind, message=message, parts=parts, failed_parts=failed)
    return outcome


def failed_parts(outcome: Outcome, parts: tuple[str, ...]) -> tuple[str, ...]:
    if outcome.passed:
        return ()
    return outcome.failed_parts if outcome.parts else parts  # failed as a whole: every share is lost


# ----------------------------------------------------------------------------------------------
# Many submissions
# ----------------------------------------------------------------------------------------------

def _grade_job(job: tuple) -> GradeResult:
    path, submission_id, variants, isolation, limits, hidden = job
    try:
        return grade_submission(Path(path), variants, isolation, limits, submission_id, hidden)
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop the batch
        result = GradeResult(submission_id, str(path), variants, problem=f"the grader failed on it: {error!r}")
        return all_failed(result, words.GRADER_FAILED.format(error=repr(error)), Kind.GRADER_ERROR)


def grade_many(
    paths: list[Path],
    ids: list[str],
    variants: tuple[str, ...],
    isolation: str,
    limits: Limits,
    jobs: int,
    on_result=None,
    hidden: tuple[Path, ...] = (),
) -> list[GradeResult]:
    """Grade every submission with ``jobs`` worker processes; results come back sorted by id.
    ``hidden``: paths no sandbox may see (the output folder, the submissions themselves)."""
    for variant in run_variants(variants):
        references_for(variant)  # verify the references once, before any work starts
    jobs_list = [(str(path), submission_id, variants, isolation, limits, tuple(hidden)) for path, submission_id in zip(paths, ids)]
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
            # The workers exist now (the fork context starts them all at once): while they grade,
            # this idle process loads what the class report will need.
            threading.Thread(target=_load_report_packages, daemon=True).start()
            for future in as_completed(futures):
                results.append(future.result())
                if on_result:
                    on_result(results[-1])
    return sorted(results, key=lambda result: result.submission_id)


def _load_report_packages() -> None:
    import importlib

    try:
        importlib.import_module(f"{__package__}.reports.class_report_figures")  # matplotlib, for the class report after the batch
        importlib.import_module(f"{__package__}.reports.templates").environment()  # and its page's template engine
    except Exception:  # noqa: BLE001 - the report says so itself when it runs
        pass


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
