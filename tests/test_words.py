"""Words are a view: rewording every sentence words.py renders changes no count.

The planted class (a hang, a memory hog, an import that fails, a mistake with a likely cause, the
starter, a full solution) is graded twice in this process, once as the grader speaks and once with
every sentence of words.py reworded; the feedback differs, and the class report counts the same
kinds, limits and likely causes, test by test and submission by submission.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder import words
from autograder.grading import grade_many
from autograder.intake import expand, unique_ids
from autograder.reports import class_report
from autograder.reports.report import merged_gradebook, write_atomically, write_submission_reports
from autograder.sandbox import Limits
from grader_support import planted_batch

pytestmark = pytest.mark.slow
PLACEHOLDER = re.compile(r"(\{[^}]*\})")


def reworded(text: str) -> str:
    """The same sentence, other words: every stretch outside a {placeholder} reversed and shouted."""
    return "§ " + "".join(part if PLACEHOLDER.fullmatch(part) else part[::-1].upper() for part in PLACEHOLDER.split(text))


def reword_everything(monkeypatch) -> int:
    """Reword every sentence words.py holds; returns how many."""
    count = 0
    for name, value in list(vars(words).items()):
        if not name.isupper():
            continue
        if isinstance(value, str):
            monkeypatch.setattr(words, name, reworded(value))
            count += 1
        elif isinstance(value, dict) and all(isinstance(text, str) for text in value.values()):
            monkeypatch.setattr(words, name, {key: reworded(text) for key, text in value.items()})
            count += len(value)
    return count


def graded_class(submissions: Path, out: Path) -> list:
    paths = expand([submissions], batch=True)
    limits = Limits(total_seconds=40, case_seconds=1)
    results = grade_many(paths, unique_ids(paths), ("public", "hidden"), "auto", limits, 2, hidden=(out.resolve(), submissions.resolve()))
    out.mkdir()
    for result in results:
        write_submission_reports(result, out)
    write_atomically(out / "gradebook.csv", merged_gradebook(out / "gradebook.csv", results))
    return class_report.read_results(out)


def counted(submissions: list) -> tuple:
    """Everything the class report counts, without a word of the grader's."""
    stats = {entry.test_id: (dict(entry.runs), {v: dict(c) for v, c in entry.failures.items()}, dict(entry.causes))
             for entry in class_report.test_statistics(submissions)}
    limits = [row[:3] for row in class_report.limits_hit(submissions)]
    scores = {submission.id: (submission.score, submission.status, submission.modules) for submission in submissions}
    return stats, limits, scores


def test_rewording_every_message_changes_no_count(tmp_path, monkeypatch):
    batch = planted_batch(tmp_path / "submissions")
    as_said = graded_class(batch, tmp_path / "as-said")
    assert reword_everything(monkeypatch) > 50
    reworded_class = graded_class(batch, tmp_path / "reworded")

    outputs = [test.output for submission in reworded_class for test in submission.tests]
    assert any("§ " in output for output in outputs), "the rewording reached the feedback"
    assert not any(output.startswith(("TIMED OUT", "CRASHED", "ERROR")) for output in outputs)
    stats, limits, scores = counted(as_said)
    assert {name for _, name, _ in limits} == {"time", "memory", "import failed"}, "the planted limits are there to count"
    assert any(causes for _, _, causes in stats.values()), "and likely causes"
    assert counted(reworded_class) == (stats, limits, scores)
