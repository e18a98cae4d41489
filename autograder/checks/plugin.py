"""The pytest plugin that turns a sandbox run into one pytest test per rubric test and variant.

It parametrizes every check over the variants the rubric gives it points in, provides the ``case``
fixture, and records each test's outcome and message. It runs in the grading process, which
never imports submission code: all it handles is plain arrays and strings.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from .common import NOT_IMPLEMENTED, Case, PartsFailed, quoted_error
from .compare import CheckFailed
from ..reference import ReferenceCase
from ..rubric import Rubric
from ..sandbox import SandboxRun

CHECKS_DIR = Path(__file__).resolve().parent


class CaseUnavailable(CheckFailed):
    """The submission's outputs for a case did not come back; ``kind`` says why."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class Outcome:
    passed: bool
    kind: str  # passed, partial, failed, not_implemented, error, timeout, crashed, not_run, grader_error
    message: str
    parts: tuple[str, ...] = ()  # the functions a split test covers (empty: all or nothing)
    failed_parts: tuple[str, ...] = ()

    @property
    def fraction(self) -> float:
        """The share of the test's points earned."""
        if self.passed:
            return 1.0
        if self.parts:
            return 1.0 - len(set(self.failed_parts)) / len(self.parts)
        return 0.0


def test_id_for(module_name: str, function_name: str) -> str:
    """``test_activations`` + ``test_relu_forward`` -> ``activations.relu_forward``."""
    return f"{module_name.rsplit('.', 1)[-1].removeprefix('test_')}.{function_name.removeprefix('test_')}"


UNAVAILABLE_WORDING = {
    "timeout": "Timed out: {message}",
    "crashed": "{message}",
    "not_run": "{message}",
}


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
        test = self.rubric.test(test_id_for(metafunc.module.__name__, metafunc.function.__name__))
        metafunc.parametrize("variant", [variant for variant in self.variants if self.runs_in(test, variant)])

    @pytest.fixture
    def case(self, request, variant: str) -> Case:
        test_id = test_id_for(request.module.__name__, request.function.__name__)
        return self.case_for(test_id, variant)

    def case_for(self, test_id: str, variant: str) -> Case:
        module = test_id.split(".", 1)[0]
        import_status, import_message = self.run.imports.get(module, ("ok", ""))
        if import_status != "ok":
            if import_status == "error":  # the harness's report of what the import raised
                import_message = quoted_error(import_message)
            raise CaseUnavailable(
                f"{module}.py could not be imported, so its tests could not run (they used the starter stub):\n"
                f"{import_message}",
                "error",
            )
        outcome = self.run.outcomes.get(f"{variant}:{test_id}")
        if outcome is None:
            raise CaseUnavailable("this test was not run", "grader_error")
        if outcome.status in UNAVAILABLE_WORDING:  # the child was stopped: nothing came back
            raise CaseUnavailable(UNAVAILABLE_WORDING[outcome.status].format(message=outcome.message), outcome.status)
        message = outcome.message
        if outcome.status == "not_implemented" and module in self.missing:
            message = f"{module}.py is not in your submission. {message}"
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
            key = (test_id_for(item.module.__name__, item.originalname), callspec.params["variant"])
            if excinfo is None and call.when == "call":
                self.outcomes[key] = Outcome(True, "passed", "")
            elif excinfo is not None and key not in self.outcomes:
                self.outcomes[key] = describe_failure(excinfo)
        summary = None if excinfo is None else f"{excinfo.typename} in {call.when}"
        return pytest.TestReport(item.nodeid, item.location, {}, "passed" if excinfo is None else "failed", summary, call.when,
                                 duration=call.duration, start=call.start, stop=call.stop)


def describe_failure(excinfo) -> Outcome:
    error = excinfo.value
    if isinstance(error, PartsFailed):
        return Outcome(False, error.kind, str(error), tuple(error.parts), tuple(error.failed))
    if isinstance(error, CheckFailed):
        message = str(error)
        kind = getattr(error, "kind", "not_implemented" if message.startswith(NOT_IMPLEMENTED) else "failed")
        return Outcome(False, kind, message)
    # A bug in a check, or data no check foresaw: the test fails, and the instructor gets the trace.
    trace = "".join(traceback.format_exception(excinfo.type, excinfo.value, excinfo.tb, limit=-3))
    return Outcome(False, "grader_error", "The grader could not check this (please tell your instructor):\n" + trace)


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
                plugin.outcomes[(test.id, variant)] = Outcome(False, "grader_error", "the grader has no check for this test")
    return plugin.outcomes
