"""The pytest plugin that turns a sandbox run into one pytest test per rubric test and variant.

It parametrizes every check over the variants the rubric gives it points in, provides the ``case``
fixture, and records each test's outcome (which rubric test a check judges, its @graded
declaration says: registry.py). It runs in the grading process, which
never imports submission code: all it handles is plain arrays and strings.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from pathlib import Path

import pytest

from .. import words
from ..outcome import Kind, Outcome
from ..reference import ReferenceCase
from ..rubric import Rubric
from ..sandbox import CaseOutcome, SandboxRun, Status
from .common import Case, error_fields, quoted_error
from .compare import CheckFailed
from .registry import tie_of

CHECKS_DIR = Path(__file__).resolve().parent
STOPPED = {Status.TIMEOUT: Kind.TIMEOUT, Status.CRASHED: Kind.CRASHED, Status.NOT_RUN: Kind.NOT_RUN}  # nothing came back


def import_failure(module: str, outcome: CaseOutcome) -> CheckFailed:
    """Every test of a module that could not be imported fails so (its tests ran on the stub)."""
    raised = outcome.status in (Status.ERROR, Status.OUT_OF_MEMORY)  # the harness's report of what the import raised
    message = quoted_error(outcome.message) if raised else outcome.message
    fields = error_fields(outcome.message, outcome.status) if raised else {"limits": (outcome.limit,) if outcome.limit else ()}
    return CheckFailed(words.IMPORT_FAILED.format(module=module, message=message), Kind.ERROR, import_failed=module, **fields)


class GradingPlugin:
    def __init__(
        self,
        rubric: Rubric,
        variants: tuple[str, ...],
        twins: dict[str, str],
        run: SandboxRun,
        references: dict[str, dict[str, ReferenceCase]],
        missing_modules: set[str],
        analysis: dict,
    ):
        self.rubric = rubric
        self.variants = variants  # every variant run; a twin is scored as twins[variant]
        self.twins = twins
        self.run = run
        self.references = references
        self.missing = missing_modules
        self.analysis = analysis
        self.outcomes: dict[tuple[str, str], Outcome] = {}

    def runs_in(self, test, variant: str) -> bool:
        return test.runs_in(self.twins.get(variant, variant))

    # -- collection ------------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc):
        if "case" not in metafunc.fixturenames:
            return
        test = self.rubric.test(tie_of(metafunc.function).test_id)
        metafunc.parametrize("variant", [variant for variant in self.variants if self.runs_in(test, variant)])

    @pytest.fixture
    def case(self, request, variant: str) -> Case:
        test_id = tie_of(request.function).test_id
        return self.case_for(test_id, variant)

    def case_for(self, test_id: str, variant: str) -> Case:
        module = test_id.split(".", 1)[0]
        imported = self.run.imports.get(module)
        if imported is not None and imported.status != Status.OK:
            raise import_failure(module, imported)
        outcome = self.run.outcomes.get(f"{variant}:{test_id}")
        if outcome is None:
            raise CheckFailed(words.NOT_RUN_TEST, Kind.GRADER_ERROR)
        if outcome.status in STOPPED:  # the child was stopped: nothing came back
            kind = STOPPED[outcome.status]
            raise CheckFailed(words.unavailable(kind, outcome.message), kind, limits=(outcome.limit,) if outcome.limit else ())
        message = outcome.message
        if outcome.status == Status.NOT_IMPLEMENTED and module in self.missing:
            message = words.MISSING_MODULE.format(module=module, message=message)
        reference = self.references[variant][test_id]
        return Case(
            test_id, variant, reference.args, reference.inputs, reference.outputs, outcome.outputs, outcome.notes,
            outcome.status, message, self.analysis, outcome.function,
        )

    # -- results ---------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """Record the outcome and make the report here: pytest's own report formats a long
        traceback with source for every failure, which nobody reads (the feedback is built from
        the outcome) and which took 2 of the 2.5 s a submission of stubs needed."""
        excinfo = call.excinfo
        if excinfo is not None and excinfo.errisinstance(pytest.skip.Exception):
            return None  # pytest's own report (skips carry no traceback)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "variant" in callspec.params:
            key = (tie_of(item.function).test_id, callspec.params["variant"])
            if excinfo is None and call.when == "call":
                self.outcomes[key] = Outcome(Kind.PASSED)
            elif excinfo is not None and key not in self.outcomes:
                self.outcomes[key] = describe_failure(excinfo)
        summary = None if excinfo is None else f"{excinfo.typename} in {call.when}"
        return pytest.TestReport(item.nodeid, item.location, {}, "passed" if excinfo is None else "failed", summary, call.when,
                                 duration=call.duration, start=call.start, stop=call.stop)


def describe_failure(excinfo) -> Outcome:
    if isinstance(excinfo.value, CheckFailed):
        return excinfo.value.outcome
    # A bug in a check, or data no check foresaw: the test fails, and the instructor gets the trace.
    trace = "".join(traceback.format_exception(excinfo.type, excinfo.value, excinfo.tb, limit=-3))
    return Outcome(Kind.GRADER_ERROR, words.CHECK_BROKE.format(trace=trace))


# Built-in plugins the checks do not use: leaving them out halves pytest's time per submission.
UNUSED_PYTEST_PLUGINS = (
    "cacheprovider", "terminal", "doctest", "junitxml", "pastebin", "legacypath", "logging", "warnings",
    "faulthandler", "stepwise", "tmpdir", "monkeypatch", "setuponly", "setupplan", "debugging",
    "unraisableexception", "threadexception", "recwarn",
)


def run_checks(plugin: GradingPlugin) -> dict[tuple[str, str], Outcome]:
    """Run every check in-process against the plugin's data; return outcomes per (test, variant)."""
    arguments = [
        "-c", str(CHECKS_DIR / "pytest.ini"),
        "--rootdir", str(CHECKS_DIR),
        "--capture=no",
        "--assert=plain",  # checks raise CheckFailed with their own messages; no rewriting needed
        *(argument for name in UNUSED_PYTEST_PLUGINS for argument in ("-p", f"no:{name}")),
        str(CHECKS_DIR),
    ]
    with contextlib.redirect_stdout(io.StringIO()) as printed, contextlib.redirect_stderr(printed):
        status = pytest.main(arguments, plugins=[plugin])
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the grader's checks could not run (pytest exit code {status}):\n{printed.getvalue()[-2000:]}")
    for test in plugin.rubric.tests:
        for variant in plugin.variants:
            if plugin.runs_in(test, variant) and (test.id, variant) not in plugin.outcomes:
                plugin.outcomes[(test.id, variant)] = Outcome(Kind.GRADER_ERROR, words.NO_CHECK)
    return plugin.outcomes
