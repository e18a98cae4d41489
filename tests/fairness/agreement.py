"""Compare a graded catalogue with its fair points: per-module deviations, the agreement figures,
and a report of every disagreement with the feedback of the tests that lost points."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from .catalogue import MAXIMA, Submission


@dataclass(frozen=True)
class Row:
    submission: str
    category: str
    module: str
    fair: float
    graded: float | None  # None: the submission has no row in the gradebook

    @property
    def deviation(self) -> float:
        return float("inf") if self.graded is None else self.graded - self.fair


def read_gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as table:
        return {row["id"]: row for row in csv.DictReader(table)}


def compare(submissions: list[Submission], out: Path) -> list[Row]:
    book = read_gradebook(out)
    rows = []
    for submission in submissions:
        graded = book.get(submission.name)
        for module in MAXIMA:
            score = float(graded[module]) if graded is not None else None
            rows.append(Row(submission.name, submission.category, module, submission.fair[module], score))
    return rows


def summary(rows: list[Row]) -> dict:
    """Modules within 1 and 0.25 point of fair, the largest deviation, mean |deviation| per module."""
    deviations = [abs(row.deviation) for row in rows]
    worst = max(rows, key=lambda row: abs(row.deviation))
    per_module = {
        module: round(sum(abs(row.deviation) for row in rows if row.module == module) / sum(1 for row in rows if row.module == module), 3)
        for module in MAXIMA
    }
    per_category = {}
    for row in rows:
        within, total = per_category.get(row.category, (0, 0))
        per_category[row.category] = (within + (abs(row.deviation) <= 1.0 + 1e-9), total + 1)
    return {
        "modules": len(rows),
        "within_1": sum(d <= 1.0 + 1e-9 for d in deviations),
        "within_0.25": sum(d <= 0.25 + 1e-9 for d in deviations),
        "largest": {"deviation": round(worst.deviation, 4), "submission": worst.submission, "module": worst.module,
                    "fair": worst.fair, "graded": worst.graded},
        "mean_abs_deviation": per_module,
        "within_1_by_category": {category: f"{within}/{total}" for category, (within, total) in per_category.items()},
        "submissions_all_within_1": sum(
            all(abs(row.deviation) <= 1.0 + 1e-9 for row in rows if row.submission == name)
            for name in dict.fromkeys(row.submission for row in rows)
        ),
    }


def lost_tests(out: Path, submission: str, module: str, lines: int = 3) -> list[str]:
    """The tests of ``module`` that lost points, each with the first lines of its feedback."""
    path = out / submission / "results.json"
    if not path.is_file():
        return ["(no results.json)"]
    document = json.loads(path.read_text())
    lost = []
    for test in document["tests"]:
        if test.get("tags", [None])[0] == module and test["score"] < test["max_score"]:
            text = " | ".join(line.strip() for line in test["output"].splitlines()[:lines] if line.strip())
            lost.append(f"{test['name']} ({test['score']:g}/{test['max_score']:g}): {text[:300]}")
    return lost


def disagreements(rows: list[Row], out: Path, submissions: dict[str, Submission], tolerance: float = 1.0) -> list[str]:
    """One paragraph per module graded more than ``tolerance`` away from fair, the largest first."""
    report = []
    for row in sorted(rows, key=lambda row: -abs(row.deviation)):
        if abs(row.deviation) <= tolerance + 1e-9:
            continue
        graded = "not graded" if row.graded is None else f"{row.graded:g}"
        lines = [f"{row.submission} [{row.category}] {row.module}: fair {row.fair:g}, graded {graded} ({row.deviation:+.4g})"]
        lines += [f"    fair deduction: {points:g} - {reason}" for points, reason in submissions[row.submission].why.get(row.module, ())]
        lines += [f"    lost: {test}" for test in lost_tests(out, row.submission, row.module)] or ["    lost: (no test lost points)"]
        report.append("\n".join(lines))
    return report
