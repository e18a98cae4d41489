"""The class report counts the data each test carries in results.json, never its words; a
results.json from before tests carried data counts in the scores and is left out of the tests'
statistics, which the page says."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from autograder.grading import GradeResult
from autograder.grading import TestResult as GradedTest
from autograder.outcome import Kind, Limit, Outcome
from autograder.reports import class_report
from autograder.reports.report import gradebook_csv, results_json


def result(submission: str, outcomes: dict[str, Outcome]) -> GradeResult:
    graded = GradeResult(submission, submission, ("public",), isolation="process: test")
    for test_id, outcome in outcomes.items():
        module = test_id.split(".")[0]
        graded.tests.append(GradedTest(test_id, module, f"title of {test_id}", "public", 1.0 if outcome.passed else 0.0, 1.0, outcome))
    return graded


def write(out: Path, results: list[GradeResult], without_data: set[str] = frozenset()) -> None:
    out.mkdir()
    (out / "gradebook.csv").write_text(gradebook_csv(results))
    for graded in results:
        document = results_json(graded)
        if graded.submission_id in without_data:  # as a grader before per-test data wrote it
            for test in document["tests"]:
                test.pop("extra_data", None)
        (out / graded.submission_id).mkdir()
        (out / graded.submission_id / "results.json").write_text(json.dumps(document))


HUNG = Outcome(Kind.TIMEOUT, "a sentence no report reads", limits=(Limit.TIME,))
WRONG = Outcome(Kind.FAILED, "another sentence", likely_causes=("the sign is flipped",))
IMPORT = Outcome(Kind.ERROR, "and another", import_failed="util", limits=(Limit.MEMORY,))


def test_kinds_limits_and_causes_are_counted_from_the_data(tmp_path):
    results = [
        result("ann", {"util.one_hot": HUNG, "loss.mse_forward": WRONG}),
        result("bob", {"util.one_hot": IMPORT, "loss.mse_forward": Outcome(Kind.PASSED)}),
    ]
    write(tmp_path / "out", results)
    submissions = class_report.read_results(tmp_path / "out")
    stats = {entry.test_id: entry for entry in class_report.test_statistics(submissions)}
    assert stats["util.one_hot"].rate("public") == 1.0 and stats["util.one_hot"].rate("public", ("limit",)) == 0.5
    assert stats["util.one_hot"].rate("public", ("error",)) == 0.5
    assert stats["loss.mse_forward"].rate("public") == 0.5 and dict(stats["loss.mse_forward"].causes) == {"the sign is flipped": 1}
    rows = {(row[0], row[1]): row[2] for row in class_report.limits_hit(submissions)}
    assert rows == {("ann", "time"): "util: 1 test", ("bob", "memory"): "util: 1 test", ("bob", "import failed"): "util: 1 test"}


def test_results_without_data_count_in_the_scores_only(tmp_path):
    results = [result("ann", {"util.one_hot": HUNG}), result("old", {"util.one_hot": WRONG})]
    write(tmp_path / "out", results, without_data={"old"})
    submissions = class_report.read_results(tmp_path / "out")
    old = next(s for s in submissions if s.id == "old")
    assert old.graded and old.without_data and old.tests == [] and old.max_score == 1.0
    stats = class_report.test_statistics(submissions)
    assert [(entry.test_id, entry.runs["public"]) for entry in stats] == [("util.one_hot", 1)]
    facts = dict(class_report.summary_facts(submissions, []))
    assert facts["graded by an older grader (in the scores, not in the tests below: regrade to include them)"] == "1"
    assert facts["graded"] == "2"
    with open(tmp_path / "out" / "gradebook.csv") as table:
        assert len(list(csv.DictReader(table))) == 2
