"""Reports: the score table students see, results.json for Gradescope, feedback.md, gradebook.csv.

results.json follows Gradescope's autograder results format: top-level ``score``, ``output``,
``execution_time`` and ``tests``, each test with ``name``, ``score``, ``max_score``, ``status``,
``output`` and ``visibility`` ("visible" for public tests, "after_published" for hidden ones); the
possible total goes in ``extra_data.max_score`` since the format has no top-level field for it.
Each test's ``extra_data`` holds its outcome as data (test_data below): what the class report and
the PrairieLearn converter read, instead of the words of ``name`` and ``output``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

from ..grading import GradeResult, TestResult
from ..outcome import Kind
from ..rubric import load_rubric
from ..text import quoted
from ..words import label as kind_label

VISIBILITY = {"public": "visible", "hidden": "after_published"}
MAX_TEST_OUTPUT = 3000
MAX_PRINTED = 2000


def points(value: float) -> str:
    """Points for people: at most two decimals (results.json and the gradebook keep four)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def test_name(test: TestResult) -> str:
    return f"{test.test_id} [{test.variant}]: {test.title}"


# ----------------------------------------------------------------------------------------------
# The terminal table (make check)
# ----------------------------------------------------------------------------------------------


def score_table(result: GradeResult) -> str:
    """Points per test and per module, then the total."""
    rubric = load_rubric()
    width = max(len(f"{t.test_id} [{t.variant}]") for t in result.tests) if result.tests else 20
    lines = [f"{'test':<{width}}  {'points':^12}  result", "-" * (width + 34)]
    for module in rubric.modules:
        tests = [t for t in result.tests if t.module == module]
        if not tests:
            continue
        for test in tests:
            label = f"{test.test_id} [{test.variant}]"
            lines.append(f"{label:<{width}}  {points(test.score):>5} / {points(test.max_score):<4}  {kind_label(test.kind)}")
        score, maximum = result.module_scores()[module]
        lines.append(f"{module + ' total':<{width}}  {points(score):>5} / {points(maximum):<4}")
        lines.append("")
    lines.append(f"{'TOTAL':<{width}}  {points(result.score):>5} / {points(result.max_score)}")
    return "\n".join(lines)


def failure_details(result: GradeResult, limit: int | None = None) -> str:
    """The message of every test that did not pass (not-implemented ones summarized)."""
    failures = [t for t in result.tests if not t.passed]
    lines = []
    not_implemented = [t for t in failures if t.kind == Kind.NOT_IMPLEMENTED or (t.kind == Kind.PARTIAL and t.outcome.not_implemented)]
    if not_implemented:
        count = len(not_implemented)
        lines.append(f"Not implemented yet ({count} test{'s wait' if count != 1 else ' waits'} for these functions):")
        for module in load_rubric().modules:
            names = {name for t in not_implemented if t.module == module for name in t.outcome.not_implemented}
            if names:
                lines.append(f"  {module}.py: {', '.join(sorted(names, key=function_order))}")
    by_message: dict[str, list[TestResult]] = {}
    for test in failures:
        if test.kind != Kind.NOT_IMPLEMENTED:
            by_message.setdefault(test.message, []).append(test)
    for message, tests in list(by_message.items())[:limit]:
        lines.append("")
        lines.append(f"--- {test_name(tests[0])} ({kind_label(tests[0].kind)})")
        if len(tests) > 1:
            lines.append(f"    (the same for {len(tests) - 1} more: {', '.join(f'{t.test_id} [{t.variant}]' for t in tests[1:])})")
        lines.append(message[:MAX_TEST_OUTPUT])
    return "\n".join(lines)


FUNCTION_ORDER = ("forward", "backward", "step", "predict", "__iter__", "__len__")


def function_order(name: str) -> tuple:
    owner, _, method = name.rpartition(".")
    return (owner, FUNCTION_ORDER.index(method) if method in FUNCTION_ORDER else len(FUNCTION_ORDER), method)


def summary_header(result: GradeResult) -> str:
    lines = [f"Submission: {result.submission_id}"]
    if result.problem:
        lines.append(f"Could not be graded: {result.problem}")
    lines.extend(f"Note: {note}" for note in result.notes)
    if result.isolation:
        lines.append(f"Sandbox: {result.isolation}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------


def test_data(test: TestResult) -> dict:
    """A test's outcome as data, for results.json's per-test ``extra_data`` (Gradescope stores it;
    the class report and the PrairieLearn converter read it)."""
    return {"test": test.test_id, "module": test.module, "variant": test.variant, "title": test.title, **test.outcome.data()}


def results_json(result: GradeResult) -> dict:
    """The Gradescope results document for one submission."""
    tests = []
    for number, test in enumerate(result.tests, start=1):
        output = "" if test.passed else f"{kind_label(test.kind)}\n{test.message}"[:MAX_TEST_OUTPUT]
        tests.append(
            {
                "name": test_name(test),
                "number": str(number),
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.passed else "failed",
                "output": output,
                "visibility": VISIBILITY[test.variant],
                "tags": [test.module, test.variant],
                "extra_data": test_data(test),
            }
        )
    if result.printed_hidden.strip():
        # What the code printed once unshipped inputs were in the sandbox may show hidden inputs:
        # it reaches the student only when grades are published, like the hidden tests.
        tests.append({
            "name": "What your code printed during the hidden tests (first lines)",
            "number": str(len(tests) + 1),
            "score": 0.0,
            "max_score": 0.0,
            "status": "passed",
            "output": quoted(result.printed_hidden[:MAX_PRINTED]),
            "visibility": "after_published",
            "tags": ["printed"],
        })
    summary = [summary_header(result), "", f"Score: {points(result.score)} / {points(result.max_score)}"]
    if result.printed.strip():
        summary += ["", "Your code printed (first lines, public tests):", quoted(result.printed[:MAX_PRINTED])]
    return {
        "score": result.score,
        "execution_time": round(result.seconds, 3),
        "output": "\n".join(summary),
        "tests": tests,
        "extra_data": {
            "max_score": result.max_score,
            "submission": result.submission_id,
            "status": result.status,
            "modules": {module: {"score": s, "max_score": m} for module, (s, m) in result.module_scores().items()},
            "isolation": result.isolation,
            "sandbox_uid": result.sandbox_uid,
            "notes": result.notes,
        },
    }


def feedback_markdown(result: GradeResult) -> str:
    """A readable report for the student (or for an instructor answering a regrade request)."""
    lines = [f"# Feedback for {result.submission_id}", "", f"**Score: {points(result.score)} / {points(result.max_score)}**", ""]
    if result.problem:
        lines += [f"Your submission could not be graded: {result.problem}", ""]
    for note in result.notes:
        lines.append(f"- {note}")
    if result.notes:
        lines.append("")
    lines += ["| module | points |", "|---|---|"]
    for module, (score, maximum) in result.module_scores().items():
        lines.append(f"| {module} | {points(score)} / {points(maximum)} |")
    lines += ["", "## Tests", "", "| test | points | result |", "|---|---|---|"]
    for test in result.tests:
        lines.append(f"| {test.test_id} [{test.variant}] | {points(test.score)} / {points(test.max_score)} | {kind_label(test.kind)} |")
    failures = failure_details(result)
    if failures:
        lines += ["", "## What went wrong", "", *fenced(failures.strip())]
    if result.printed.strip():
        lines += ["", "## What your code printed during the public tests (first lines)", "", *fenced(result.printed[:MAX_PRINTED].strip())]
    if result.printed_hidden.strip():
        lines += [
            "", "## What your code printed during the hidden tests (first lines; give this to students only once grades are published)",
            "", *fenced(result.printed_hidden[:MAX_PRINTED].strip()),
        ]
    if result.isolation:
        lines += ["", f"_Sandbox: {result.isolation}_"]
    return "\n".join(lines) + "\n"


def fenced(text: str) -> list[str]:
    """A markdown code block that ``text`` cannot close early, however many backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", errors="backslashreplace")
    os.replace(temporary, path)


def write_submission_reports(result: GradeResult, out: Path) -> Path:
    folder = out / result.submission_id
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "results.json", json.dumps(results_json(result), indent=2) + "\n")
    write_atomically(folder / "feedback.md", feedback_markdown(result))
    return folder


def gradebook_header() -> list[str]:
    return ["id", *load_rubric().modules, "total", "max", "status"]


def gradebook_row(result: GradeResult) -> list[str]:
    scores = result.module_scores()
    modules = load_rubric().modules
    return [result.submission_id, *(points(scores[m][0]) for m in modules), points(result.score), points(result.max_score), result.status]


def gradebook_csv(results: list[GradeResult], earlier: list[list[str]] | None = None) -> str:
    """One row per submission, sorted by id: id, points per module, total, max, status.
    ``earlier`` rows (from an existing gradebook) are kept unless one of ``results`` regrades them."""
    rows = {row[0]: row for row in earlier or () if row}
    rows.update({result.submission_id: gradebook_row(result) for result in results})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(gradebook_header())
    writer.writerows(rows[key] for key in sorted(rows))
    return buffer.getvalue()


def merged_gradebook(path: Path, results: list[GradeResult]) -> str:
    """The gradebook at ``path`` with ``results`` merged in (its rows are dropped if its columns
    differ from the rubric's, as after a rubric change)."""
    earlier: list[list[str]] = []
    if path.is_file():
        with open(path, newline="", encoding="utf-8", errors="replace") as existing:
            rows = list(csv.reader(existing))
        if rows and rows[0] == gradebook_header():
            earlier = rows[1:]
    return gradebook_csv(results, earlier)
