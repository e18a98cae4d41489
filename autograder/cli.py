"""The command line: `check` for students, `grade` for instructors.

  python -m autograder check [--impl DIR]
  python -m autograder grade PATH... --out DIR [--jobs N] [--timeout SECONDS] [--public-only]

Exit status: 0 when the work was done (whatever the scores), 2 when the grader itself could not
run (bad arguments, damaged reference outputs, a requested sandbox that does not work here).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import intake
from .grading import GradeResult, default_jobs, grade_many, grade_submission
from .reference import ReferenceProblem, available_variants
from .report import failure_details, merged_gradebook, score_table, summary_header, write_atomically, write_submission_reports
from .isolation import MODES, SandboxUnavailable, choose_isolation, problems
from .rubric import load_rubric
from .sandbox import Limits

CHECK_EPILOG = """\
Runs the public tests on your implementation (starter/ by default) and prints a table of points
per test and per module, then what went wrong in each failed test. Hidden tests, worth as much
again, use other inputs and run only when your submission is graded.
"""

GRADE_EPILOG = """\
Each PATH is a submission (a folder or a .zip holding some of the six module files, anywhere
inside). A folder that holds several submissions (.zip files or one sub-folder per student) is
graded as a batch; --batch forces that reading. For every submission, DIR/<id>/results.json
(Gradescope's format) and DIR/<id>/feedback.md are written, and DIR/gradebook.csv gets one row
per submission (rows of submissions graded earlier into DIR are kept; a regraded id replaces its
row). Scores do not depend on --jobs or on the order of the submissions.

Exit status: 0 when every submission was graded, whatever the scores; 2 when the grader could not
run (a PATH that does not exist, no submissions, damaged reference outputs, a sandbox asked for
by name that does not work here).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="Autograder for the NumPy neural-network assignment.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="students: run the public tests on your code", description=CHECK_EPILOG)
    check.add_argument("--impl", type=Path, default=Path("starter"), help="the folder with your six modules (default: starter)")
    add_sandbox_options(check)

    grade = commands.add_parser("grade", help="instructors: grade submissions", description=GRADE_EPILOG)
    grade.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="submission folders or .zip files, or folders of them")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR", help="where results go")
    grade.add_argument("--jobs", type=positive_int, default=default_jobs(), metavar="N", help="parallel workers (default: the number of cores)")
    grade.add_argument("--public-only", action="store_true", help="run only the public tests")
    grade.add_argument("--batch", action="store_true", help="treat each PATH as a folder of submissions")
    add_sandbox_options(grade)
    return parser


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_sandbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=float, default=Limits.total_seconds, metavar="SECONDS",
        help="wall-clock safety limit for a whole submission (default: %(default)g); each call is limited by "
        "--case-timeout, so no submission needs this many",
    )
    parser.add_argument(
        "--case-timeout", type=float, default=Limits.case_seconds, metavar="SECONDS",
        help="CPU seconds one call into student code may use; past it, that call fails and the function is "
        "not called again (default: %(default)g)",
    )
    parser.add_argument(
        "--isolation", choices=("auto", *MODES), default="auto",
        help="sandbox: auto (the default) takes bubblewrap, else Landlock, where they work; 'process' is a plain "
        "process with resource limits only, NOT safe for untrusted code (grading needs it asked for by name)",
    )


def limits_from(arguments) -> Limits:
    if arguments.timeout <= 0 or arguments.case_timeout <= 0:
        raise SystemExit("--timeout and --case-timeout must be positive")
    return Limits(total_seconds=arguments.timeout, case_seconds=min(arguments.case_timeout, arguments.timeout))


def command_check(arguments) -> int:
    started = time.monotonic()
    impl = arguments.impl
    if not impl.is_dir():
        print(f"{impl} is not a folder; pass --impl with the folder holding your six modules", file=sys.stderr)
        return 2
    result = grade_submission(impl, ("public",), arguments.isolation, limits_from(arguments), untrusted=False)
    rubric = load_rubric()
    print(score_table(result))
    print()
    print(f"Public tests: {result.score:g} / {result.max_score:g}. Hidden tests with other inputs add "
          f"{rubric.points(variants=('hidden',)):g} more points when your submission is graded.")
    details = failure_details(result)
    if details:
        print("\nWhat to fix:")
        print(details)
    for note in result.notes:
        print(f"Note: {note}")
    if result.printed.strip():
        print("\nYour code printed:\n" + result.printed[:2000])
    print(f"\n({time.monotonic() - started:.1f} s; sandbox: {result.isolation})")
    return 0


class Progress:
    """A progress line on standard error: a bar on a terminal, one line per submission otherwise."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.tty = sys.stderr.isatty()

    def update(self, result: GradeResult) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        if self.tty:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}  {elapsed:.0f} s")
            if self.done == self.total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"[{self.done}/{self.total}] {result.submission_id}: {result.score:g} / {result.max_score:g} ({result.status})\n")
        sys.stderr.flush()


def command_grade(arguments) -> int:
    variants = ("public",) if arguments.public_only else ("public", "hidden")
    missing = [variant for variant in variants if variant not in available_variants()]
    if missing:
        print(f"no {' or '.join(missing)} reference outputs here (a student bundle has only public ones); use --public-only", file=sys.stderr)
        return 2
    absent = [str(path) for path in arguments.paths if not path.exists()]
    if absent:
        print(f"no such file or folder: {', '.join(absent)}", file=sys.stderr)
        return 2
    paths = intake.expand(arguments.paths, arguments.batch)
    if not paths:
        print("no submissions found in " + ", ".join(map(str, arguments.paths)), file=sys.stderr)
        return 2
    ids = intake.unique_ids(paths)
    out: Path = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(len(paths))

    def on_result(result: GradeResult) -> None:
        write_submission_reports(result, out)
        progress.update(result)

    hidden = hidden_paths(arguments)
    isolation = choose_isolation(arguments.isolation, hidden=hidden)  # raises when no safe sandbox works
    if isolation != "bubblewrap":
        for name, problem in problems(hidden).items():
            if problem:
                print(f"note: {name} unavailable here ({problem})", file=sys.stderr)
    if isolation == "process":
        print("WARNING: grading with the process sandbox, which is NOT safe for untrusted code", file=sys.stderr)
    started = time.monotonic()
    results = grade_many(paths, ids, variants, isolation, limits_from(arguments), max(1, arguments.jobs), on_result, hidden)
    # Written again once every sandbox is gone, so nothing a submission did meanwhile can stick.
    for result in results:
        write_submission_reports(result, out)
    gradebook = out / "gradebook.csv"
    write_atomically(gradebook, merged_gradebook(gradebook, results))
    if len(results) == 1:
        print(summary_header(results[0]))
        print(score_table(results[0]))
    unreadable = sum(1 for result in results if result.problem)
    mean = sum(result.score for result in results) / len(results)
    print(f"sandbox: {results[0].isolation}")
    print(
        f"graded {len(results) - unreadable}, failed {unreadable}, mean score {mean:.2f} / {results[0].max_score:g} "
        f"in {time.monotonic() - started:.1f} s; results in {out}/ (gradebook: {gradebook})"
    )
    return 0


def hidden_paths(arguments) -> tuple[Path, ...]:
    """What no sandbox may see besides the kit: the output folder and the submissions themselves."""
    return tuple(dict.fromkeys(path.resolve() for path in (arguments.out, *arguments.paths)))


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # student text must never crash a report, whatever the locale
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    arguments = build_parser().parse_args(argv)
    try:
        if arguments.command == "check":
            return command_check(arguments)
        return command_grade(arguments)
    except (ReferenceProblem, SandboxUnavailable) as problem:
        print(f"autograder: {problem}", file=sys.stderr)
        return 2
