"""The class report: one page for instructors after a batch, DIR/report.html with its figures in
DIR/report-figures/.

It is built only from what grading writes (DIR/gradebook.csv, DIR/<id>/results.json and
DIR/runs.json), never from the grader's internals, so `python -m autograder report DIR` rebuilds
it for any folder of results, and it keeps working while the grader changes. It counts the data
each test carries in results.json (its ``extra_data``: kind, limits, likely causes), never the
words of a message. A results.json written before tests carried that data counts in the scores,
not in the tests' statistics: the page says how many, and regrading them brings them in.

What it shows: the score distribution and each module's; every test's failure rate (wrong
answer, error or limit, not implemented) with the likely causes the feedback named most often;
the submissions that hit a limit (time, memory, a crash, an import that failed) and those that
could not be graded; the sandbox used; how long grading took.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..outcome import Kind, Limit

REPORT_FILE = "report.html"
FIGURES_FOLDER = "report-figures"
RUNS_FILE = "runs.json"
TEMPLATE = "class_report.html"
MAX_RUNS_KEPT = 50

# What each kind of failure means for the class (the figures' colours are keyed by these).
CATEGORIES = {
    Kind.FAILED: "wrong",
    Kind.PARTIAL: "wrong",
    Kind.BAD_RETURN: "wrong",
    Kind.NOT_IMPLEMENTED: "not implemented",
    Kind.ERROR: "error",
    Kind.TIMEOUT: "limit",
    Kind.CRASHED: "limit",
    Kind.NOT_RUN: "limit",
    Kind.GRADER_ERROR: "grader error",
}


@dataclass(frozen=True)
class TestRecord:
    """One test of one submission, as its results.json's ``extra_data`` gives it."""

    test_id: str
    module: str
    variant: str
    title: str
    kind: Kind
    limits: tuple[Limit, ...]
    likely_causes: tuple[str, ...]
    import_failed: str
    output: str

    @property
    def category(self) -> str | None:
        return CATEGORIES.get(self.kind)

    @classmethod
    def from_results(cls, test: dict) -> TestRecord | None:
        data = test.get("extra_data")
        if not isinstance(data, dict) or "kind" not in data:
            return None
        return cls(
            data["test"], data["module"], data["variant"], data["title"], Kind(data["kind"]),
            tuple(Limit(limit) for limit in data.get("limits", ())), tuple(data.get("likely_causes", ())),
            data.get("import_failed", ""), test.get("output", ""),
        )


# The rows of "Limits hit": a name, and whether a failed test counts under it.
LIMIT_ROWS = (
    ("memory", lambda test: Limit.MEMORY in test.limits or Limit.FILES in test.limits),
    ("time", lambda test: Limit.TIME in test.limits),
    ("import failed", lambda test: bool(test.import_failed)),
    ("crash", lambda test: test.kind == Kind.CRASHED),
)


@dataclass
class Submission:
    id: str
    score: float
    max_score: float
    status: str
    modules: dict[str, tuple[float, float]] = field(default_factory=dict)
    isolation: str = ""
    seconds: float = 0.0
    tests: list[TestRecord] = field(default_factory=list)
    without_data: bool = False  # its results.json predates the tests' data (not in the test statistics)

    @property
    def graded(self) -> bool:
        return self.status == "graded"


# ----------------------------------------------------------------------------------------------
# Reading what grading wrote
# ----------------------------------------------------------------------------------------------


def read_results(out: Path) -> list[Submission]:
    """Every submission in DIR/gradebook.csv, with its results.json."""
    with open(out / "gradebook.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    submissions = []
    for row in rows:
        path = out / row["id"] / "results.json"
        document = json.loads(path.read_text()) if path.is_file() else {}
        extra = document.get("extra_data", {})
        modules = {name: (float(m["score"]), float(m["max_score"])) for name, m in extra.get("modules", {}).items()}
        graded_tests = [test for test in document.get("tests", []) if "printed" not in test.get("tags", ())]
        records = [record for record in map(TestRecord.from_results, graded_tests) if record is not None]
        submissions.append(
            Submission(
                id=row["id"],
                score=float(row["total"]),
                max_score=float(row["max"]),
                status=row["status"] if path.is_file() else "error: its results.json is missing",
                modules=modules,
                isolation=extra.get("isolation", ""),
                seconds=float(document.get("execution_time", 0.0)),
                tests=records,
                without_data=len(records) < len(graded_tests),
            )
        )
    return submissions


def normalized(cause: str) -> str:
    """A likely cause with its numbers blanked, so "1/m = 1/6" and "1/m = 1/7" count together."""
    return re.sub(r"\d+(\.\d+)?", "#", cause.strip())


@dataclass
class TestStats:
    test_id: str
    title: str
    failures: dict[str, Counter] = field(default_factory=dict)  # variant -> Counter of categories
    runs: Counter = field(default_factory=Counter)  # variant -> graded submissions that ran it
    causes: Counter = field(default_factory=Counter)  # normalized cause -> submissions naming it
    wording: dict[str, str] = field(default_factory=dict)  # normalized cause -> one actual wording

    def rate(self, variant: str, categories: tuple[str, ...] | None = None) -> float | None:
        if not self.runs[variant]:
            return None
        counts = self.failures.get(variant, Counter())
        failed = sum(count for category, count in counts.items() if categories is None or category in categories)
        return failed / self.runs[variant]


def test_statistics(submissions: list[Submission]) -> list[TestStats]:
    """Per test (public and hidden together), over the submissions that could be graded."""
    stats: dict[str, TestStats] = {}
    for submission in submissions:
        if not submission.graded:
            continue
        named: dict[str, set[str]] = {}
        for test in submission.tests:
            entry = stats.setdefault(test.test_id, TestStats(test.test_id, test.title))
            entry.runs[test.variant] += 1
            if test.category:
                entry.failures.setdefault(test.variant, Counter())[test.category] += 1
                for cause in test.likely_causes:
                    key = normalized(cause)
                    named.setdefault(test.test_id, set()).add(key)
                    entry.wording.setdefault(key, cause.strip())
        for test_id, causes in named.items():  # a cause counts once per submission and test
            stats[test_id].causes.update(causes)
    return list(stats.values())


def limits_hit(submissions: list[Submission]) -> list[tuple[str, str, str, str]]:
    """(submission, limit, the tests that hit it per module, the first one's message), one row per
    submission and limit."""
    rows = []
    for submission in submissions:
        if not submission.graded:
            continue
        for name, hit in LIMIT_ROWS:
            tests = [test for test in submission.tests if test.category and hit(test)]
            if tests:
                rows.append((submission.id, name, tests_per_module(tests), excerpt(tests[0].output)))
    return rows


def tests_per_module(tests: list[TestRecord]) -> str:
    modules = Counter(test.module for test in tests)
    return ", ".join(f"{module}: {count} test{'s' if count > 1 else ''}" for module, count in modules.items())


def excerpt(output: str) -> str:
    """The start of a test's message (below its label line): its first line, and the next when the
    first announces it (ends with ":")."""
    lines = [line.strip() for line in output.splitlines()[1:] if line.strip()]
    if not lines:
        return ""
    first = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return first[:400]


# ----------------------------------------------------------------------------------------------
# Runs (how long grading took), recorded by `grade`
# ----------------------------------------------------------------------------------------------


def record_run(out: Path, results, seconds: float, jobs: int) -> None:
    """Append this run of `grade` to DIR/runs.json (the report shows how long each took)."""
    path = out / RUNS_FILE
    try:
        runs = json.loads(path.read_text()) if path.is_file() else []
        runs = runs if isinstance(runs, list) else []
    except ValueError:
        runs = []
    runs.append({
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "submissions": len(results),
        "seconds": round(seconds, 2),
        "jobs": jobs,
        "isolation": sorted({result.isolation.split(":", 1)[0] for result in results if result.isolation}),
    })
    path.write_text(json.dumps(runs[-MAX_RUNS_KEPT:], indent=2) + "\n")


def read_runs(out: Path) -> list[dict]:
    try:
        runs = json.loads((out / RUNS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [run for run in runs if isinstance(run, dict)] if isinstance(runs, list) else []


def after_grading(out: Path, results, seconds: float, jobs: int) -> str | None:
    """Called by `grade`: record the run and, once DIR holds two or more submissions, rewrite the
    class report. Returns a line for the terminal. The report never makes grading fail."""
    record_run(out, results, seconds, jobs)
    with open(out / "gradebook.csv", newline="") as table:
        if sum(1 for _ in csv.reader(table)) - 1 < 2:  # rows besides the header
            return None
    try:
        started = time.monotonic()
        path = write_report(out)
    except ImportError as error:
        return f"class report skipped: {error.name or error} is not installed"
    except Exception as error:  # noqa: BLE001 - the grades are written; the report is extra
        return f"class report not written ({error!r}); `python -m autograder report {out}` retries"
    return f"class report: {path} ({time.monotonic() - started:.1f} s)"


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


def write_report(out: Path) -> Path:
    from . import class_report_figures as figures  # matplotlib: only when a report is written

    submissions = read_results(out)
    if not submissions:
        raise ValueError(f"{out / 'gradebook.csv'} lists no submission")
    stats = test_statistics(submissions)
    folder = out / FIGURES_FOLDER
    folder.mkdir(exist_ok=True)
    drawn = figures.draw_all(submissions, stats, folder)
    page = render(out, submissions, stats, limits_hit(submissions), read_runs(out), {name: f"{FIGURES_FOLDER}/{file}" for name, file in drawn.items()})
    path = out / REPORT_FILE
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def summary_facts(submissions: list[Submission], runs: list[dict]) -> list[tuple[str, str]]:
    graded = [s for s in submissions if s.graded]
    maximum = max((s.max_score for s in submissions), default=0)
    facts = [("submissions", str(len(submissions))), ("graded", str(len(graded)))]
    if graded:
        scores = [s.score for s in graded]
        facts += [
            ("mean score (graded only)", f"{statistics.mean(scores):.1f} / {maximum:g}"),
            ("median", f"{statistics.median(scores):g}"),
            ("lowest, highest", f"{min(scores):g}, {max(scores):g}"),
            ("full marks", str(sum(1 for s in graded if s.score == s.max_score))),
        ]
    facts.append(("could not be graded (not in the mean)", str(sum(1 for s in submissions if not s.graded))))
    without_data = sum(1 for s in graded if s.without_data)
    if without_data:
        facts.append(("graded by an older grader (in the scores, not in the tests below: regrade to include them)", str(without_data)))
    isolations = Counter(s.isolation.split(":", 1)[0] or "unknown" for s in graded)
    facts.append(("sandbox", ", ".join(f"{name} ({count})" for name, count in isolations.most_common())))
    seconds = [s.seconds for s in submissions if s.seconds]
    if seconds:
        facts.append(("time per submission", f"median {statistics.median(seconds):.2f} s, longest {max(seconds):.2f} s"))
    if runs:
        last = runs[-1]
        facts.append(("last run of grade", f"{last.get('submissions')} submissions in {last.get('seconds')} s with {last.get('jobs')} workers, finished {last.get('finished')}"))
    return facts


def test_rows(stats: list[TestStats]) -> list[dict]:
    """The tests table: most failed first (the figure keeps the rubric's order)."""
    order = {entry.test_id: index for index, entry in enumerate(stats)}
    worst_first = sorted(stats, key=lambda entry: (-((entry.rate("public") or 0) + (entry.rate("hidden") or 0)), order[entry.test_id]))
    return [
        {
            "id": entry.test_id,
            "title": entry.title,
            "public": percent(entry.rate("public")),
            "hidden": percent(entry.rate("hidden")),
            "not_implemented": percent(entry.rate("public", ("not implemented",))),
            "causes": [(entry.wording[key], count) for key, count in entry.causes.most_common(3)],
        }
        for entry in worst_first
    ]


def render(out: Path, submissions, stats, limits, runs, figures: dict[str, str]) -> str:
    """The page, from templates/class_report.html (every value escaped by the template)."""
    from .templates import render_template  # jinja2: only when a report is written

    graded = [s for s in submissions if s.graded]
    return render_template(
        TEMPLATE,
        folder=str(out),
        name=out.resolve().name,
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        count=len(submissions),
        facts=summary_facts(submissions, runs),
        ungradable=[(s.id, s.status.removeprefix("error: ")) for s in submissions if not s.graded],
        isolations=sorted({s.isolation for s in graded if s.isolation}),
        figures=figures,
        tests=test_rows(stats),
        limits=limits,
    )


# ----------------------------------------------------------------------------------------------
# `python -m autograder report DIR`
# ----------------------------------------------------------------------------------------------

REPORT_DESCRIPTION = """\
Rebuilds DIR/report.html (and its figures in DIR/report-figures/) from what `grade` wrote into
DIR: gradebook.csv and each submission's results.json. `grade` rewrites it by itself after every
run that leaves two or more submissions in DIR.
"""


def add_parser(commands) -> None:
    parser = commands.add_parser("report", help="instructors: the class report of a folder of results", description=REPORT_DESCRIPTION)
    parser.add_argument("out", type=Path, metavar="DIR", help="a folder `grade --out DIR` wrote")
    parser.set_defaults(run=command_report)


def command_report(arguments) -> int:
    out: Path = arguments.out
    if not (out / "gradebook.csv").is_file():
        print(f"{out} holds no gradebook.csv: grade into it first (python -m autograder grade ... --out {out})")
        return 2
    started = time.monotonic()
    try:
        path = write_report(out)
    except ImportError as error:
        print(f"the class report needs matplotlib ({error})")
        return 2
    print(f"wrote {path} in {time.monotonic() - started:.1f} s")
    return 0
