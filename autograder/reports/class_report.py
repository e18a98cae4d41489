"""The class report: one page for instructors after a batch, DIR/report.html with its figures in
DIR/report-figures/.

It is built only from what grading writes (DIR/gradebook.csv, DIR/<id>/results.json and
DIR/runs.json), never from the grader's internals, so `python -m autograder report DIR` rebuilds
it for any folder of results, and it keeps working while the grader changes.

What it shows: the score distribution and each module's; every test's failure rate (wrong
answer, error or limit, not implemented) with the likely causes the feedback named most often;
the submissions that hit a limit (time, memory, a crash, an import that failed) and those that
could not be graded; the sandbox used; how long grading took.
"""

from __future__ import annotations

import csv
import html
import json
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPORT_FILE = "report.html"
FIGURES_FOLDER = "report-figures"
RUNS_FILE = "runs.json"
MAX_RUNS_KEPT = 50
TEST_NAME = re.compile(r"^(?P<id>[\w.]+) \[(?P<variant>\w+)\]: (?P<title>.*)$", re.S)

# How a failed test's output begins (report.py's labels), and what it means for the class.
KINDS = {
    "FAILED": "wrong",
    "not implemented yet": "not implemented",
    "ERROR": "error",
    "TIMED OUT": "limit",
    "CRASHED": "limit",
    "not run": "limit",
    "GRADER ERROR": "grader error",
}
# Limits a submission can hit, recognised in its tests' outputs: (label, pattern). The patterns
# follow the sandbox's and the plugin's messages; tests/test_class_report.py grades submissions
# that hit each limit, so a change of wording there fails that test instead of emptying the table.
LIMITS = (
    ("memory", re.compile(r"more than \d+ MiB of memory|MemoryError|more than \d+ MiB of files")),
    ("time", re.compile(r"ran past the time limit|did not finish within|grading time limit for the whole submission ran out|CPU time limit")),
    ("import failed", re.compile(r"could not be imported")),
    ("crash", re.compile(r"^CRASHED", re.M)),
)
LIKELY_CAUSE = re.compile(r"^\s*likely cause:\s*(.+)$", re.M)


def grader_lines(output: str) -> str:
    """A test's output without the lines the sandbox sent (quoted "| ", see text.quoted): a
    submission cannot forge a limit or a likely cause. A quoted MemoryError stays: the code may
    raise one itself anyway."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("| ") or line.startswith("| MemoryError"))


@dataclass
class Submission:
    id: str
    score: float
    max_score: float
    status: str
    modules: dict[str, tuple[float, float]] = field(default_factory=dict)
    isolation: str = ""
    seconds: float = 0.0
    tests: list[dict] = field(default_factory=list)

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
        submissions.append(
            Submission(
                id=row["id"],
                score=float(row["total"]),
                max_score=float(row["max"]),
                status=row["status"] if path.is_file() else "error: its results.json is missing",
                modules=modules,
                isolation=extra.get("isolation", ""),
                seconds=float(document.get("execution_time", 0.0)),
                tests=document.get("tests", []),
            )
        )
    return submissions


def failure_kind(test: dict) -> str | None:
    if test.get("status") == "passed":
        return None
    first_line = test.get("output", "").split("\n", 1)[0].strip()
    return KINDS.get(first_line, "wrong")


def normalized(cause: str) -> str:
    """A likely cause with its numbers blanked, so "1/m = 1/6" and "1/m = 1/7" count together."""
    return re.sub(r"\d+(\.\d+)?", "#", cause.strip())


@dataclass
class TestStats:
    test_id: str
    title: str
    failures: dict[str, Counter] = field(default_factory=dict)  # variant -> Counter of kinds
    runs: Counter = field(default_factory=Counter)  # variant -> graded submissions that ran it
    causes: Counter = field(default_factory=Counter)  # normalized cause -> submissions naming it
    wording: dict[str, str] = field(default_factory=dict)  # normalized cause -> one actual wording

    def rate(self, variant: str, kinds: tuple[str, ...] | None = None) -> float | None:
        if not self.runs[variant]:
            return None
        counts = self.failures.get(variant, Counter())
        failed = sum(count for kind, count in counts.items() if kinds is None or kind in kinds)
        return failed / self.runs[variant]


def test_statistics(submissions: list[Submission]) -> list[TestStats]:
    """Per test (public and hidden together), over the submissions that could be graded."""
    stats: dict[str, TestStats] = {}
    for submission in submissions:
        if not submission.graded:
            continue
        named: dict[str, set[str]] = {}
        for test in submission.tests:
            match = TEST_NAME.match(test.get("name", ""))
            if not match:
                continue
            entry = stats.setdefault(match["id"], TestStats(match["id"], match["title"]))
            variant = match["variant"]
            entry.runs[variant] += 1
            kind = failure_kind(test)
            if kind:
                entry.failures.setdefault(variant, Counter())[kind] += 1
                for cause in LIKELY_CAUSE.findall(grader_lines(test.get("output", ""))):
                    key = normalized(cause)
                    named.setdefault(match["id"], set()).add(key)
                    entry.wording.setdefault(key, cause.strip())
        for test_id, causes in named.items():  # a cause counts once per submission and test
            stats[test_id].causes.update(causes)
    return list(stats.values())


def limits_hit(submissions: list[Submission]) -> list[tuple[str, str, str, str]]:
    """(submission, limit, the tests that hit it per module, the message naming it), one row per
    submission and limit."""
    rows = []
    for submission in submissions:
        if not submission.graded:
            continue
        for label, pattern in LIMITS:
            tests = [test for test in submission.tests if failure_kind(test) and pattern.search(grader_lines(test.get("output", "")))]
            if not tests:
                continue
            rows.append((submission.id, label, tests_per_module(tests), limit_message(tests[0]["output"], pattern)))
    return rows


def tests_per_module(tests: list[dict]) -> str:
    modules = Counter(test["name"].split(".", 1)[0] for test in tests)
    return ", ".join(f"{module}: {count} test{'s' if count > 1 else ''}" for module, count in modules.items())


def limit_message(output: str, pattern: re.Pattern) -> str:
    """The line naming the limit, and the next one when it announces a reason ("...:"), which
    may be the submission's own (quoted) text."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if pattern.search(grader_lines(line)):
            if line.endswith(":") and index + 1 < len(lines):
                line = f"{line} {lines[index + 1]}"
            return line[:400]
    return lines[0][:400] if lines else ""


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


def escape(value) -> str:
    return html.escape(str(value), quote=True)


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def table(header: list[str], rows: list[list[str]], css: str = "") -> str:
    """An HTML table; cells are escaped here, except those wrapped in Markup."""
    cell = lambda value: value if isinstance(value, Markup) else escape(value)  # noqa: E731
    head = "<thead><tr>" + "".join(f"<th>{escape(name)}</th>" for name in header) + "</tr></thead>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>" for row in rows)
    return f'<table class="{css}">{head}<tbody>{body}</tbody></table>'


class Markup(str):
    """Text that is already HTML."""


def summary_section(submissions: list[Submission], runs: list[dict]) -> str:
    graded = [s for s in submissions if s.graded]
    maximum = max((s.max_score for s in submissions), default=0)
    facts = [["submissions", str(len(submissions))], ["graded", str(len(graded))]]
    if graded:
        scores = [s.score for s in graded]
        facts += [
            ["mean score (graded only)", f"{statistics.mean(scores):.1f} / {maximum:g}"],
            ["median", f"{statistics.median(scores):g}"],
            ["lowest, highest", f"{min(scores):g}, {max(scores):g}"],
            ["full marks", str(sum(1 for s in graded if s.score == s.max_score))],
        ]
    ungradable = [s for s in submissions if not s.graded]
    facts.append(["could not be graded (not in the mean)", str(len(ungradable))])
    isolations = Counter(s.isolation.split(":", 1)[0] or "unknown" for s in graded)
    facts.append(["sandbox", ", ".join(f"{name} ({count})" for name, count in isolations.most_common())])
    seconds = [s.seconds for s in submissions if s.seconds]
    if seconds:
        facts.append(["time per submission", f"median {statistics.median(seconds):.2f} s, longest {max(seconds):.2f} s"])
    if runs:
        last = runs[-1]
        facts.append(["last run of grade", f"{last.get('submissions')} submissions in {last.get('seconds')} s with {last.get('jobs')} workers, finished {last.get('finished')}"])
    parts = ["<h2>Summary</h2>", table([], facts, "facts")]
    full = [s for s in submissions if not s.graded]
    if full:
        parts.append("<h3>Could not be graded</h3>")
        parts.append(table(["submission", "why"], [[s.id, s.status.removeprefix("error: ")] for s in full]))
    isolation_lines = sorted({s.isolation for s in graded if s.isolation})
    if isolation_lines:
        parts.append("<p class=note>" + "<br>".join(escape(line) for line in isolation_lines) + "</p>")
    return "\n".join(parts)


def tests_section(stats: list[TestStats], figure: str | None) -> str:
    rows = []
    order = {entry.test_id: index for index, entry in enumerate(stats)}
    worst_first = sorted(stats, key=lambda entry: (-((entry.rate("public") or 0) + (entry.rate("hidden") or 0)), order[entry.test_id]))
    for entry in worst_first:
        causes = entry.causes.most_common(3)
        listed = Markup("<br>".join(f"{escape(entry.wording[key])} <span class=count>({count})</span>" for key, count in causes))
        rows.append([
            Markup(f"<code>{escape(entry.test_id)}</code><br><span class=title>{escape(entry.title)}</span>"),
            percent(entry.rate("public")),
            percent(entry.rate("hidden")),
            percent(entry.rate("public", ("not implemented",))),
            listed,
        ])
    parts = ["<h2>Tests</h2>",
             "<p>Failure rates over the graded submissions (the figure in the rubric's order, the table "
             "most failed first). <em>Not implemented</em> counts stubs left as they were; the likely "
             "causes are those the feedback named, with the number of submissions it named each for.</p>"]
    if figure:
        parts.append(f'<img src="{escape(figure)}" alt="failure rate of every test, public and hidden" class="wide">')
    parts.append(table(["test", "public failed", "hidden failed", "not implemented (public)", "most frequent likely causes"], rows, "tests"))
    return "\n".join(parts)


def limits_section(rows: list[tuple[str, str, str, str]]) -> str:
    if not rows:
        return "<h2>Limits hit</h2><p>No submission hit a time or memory limit, crashed, or failed to import.</p>"
    return "<h2>Limits hit</h2>" + table(["submission", "limit", "tests", "message"], [list(row) for row in rows], "limits")


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } table.facts td:first-child { font-weight: 600; }
table.tests td:nth-child(2), table.tests td:nth-child(3), table.tests td:nth-child(4) { text-align: right; }
.title { color: #666; font-size: 0.9em; } .count { color: #888; } .note { color: #555; font-size: 0.9em; }
img { max-width: 100%; } img.half { width: 49%; } code { font-size: 0.95em; }
"""


def render(out: Path, submissions, stats, limits, runs, figures: dict[str, str]) -> str:
    image = lambda name, alt, css="": f'<img src="{escape(figures[name])}" alt="{escape(alt)}" class="{css}">' if name in figures else ""  # noqa: E731
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Class report: {escape(out.resolve().name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Class report</h1><p class=note>{len(submissions)} submissions in <code>{escape(out)}</code>, "
        f"built {generated} from gradebook.csv and each results.json (rebuild: "
        f"<code>python -m autograder report {escape(out)}</code>).</p>",
        summary_section(submissions, runs),
        "<h2>Scores</h2>",
        image("scores", "distribution of total scores", "half") + image("times", "grading time per submission", "half"),
        image("modules", "distribution of each module's score"),
        tests_section(stats, figures.get("tests")),
        limits_section(limits),
        "</body></html>",
    ]) + "\n"


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
