"""The command line: `check` for students, `grade` for instructors.

  python -m autograder check [--impl DIR] [--only PATTERN]
  python -m autograder grade PATH... --out DIR [--jobs N] [--timeout SECONDS] [--public-only]
  python -m autograder report DIR
  python -m autograder similarity DIR [--out DIR] [--threshold FRACTION]

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
from .reports.progress import BatchProgress
from .selection import NoTestMatches, hidden_points, matching_tests
from .reference import ReferenceProblem, available_variants
from .reports.report import failure_details, merged_gradebook, score_table, summary_header, write_atomically, write_submission_reports
from .sandbox import MODES, SandboxUnavailable, choose_isolation, problems
from .rubric import load_rubric
from .sandbox import Limits

CHECK_EPILOG = """\
Runs the public tests on your implementation (starter/ by default) and prints a table of points
per test and per module, then what went wrong in each failed test. Hidden tests, worth as much
again, use other inputs and run only when your submission is graded. --only runs some tests, as
pytest -k does: a module (--only activations), part of a test's name (--only relu), or several
(--only "loss, softmax").
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
    check.add_argument("--only", "-k", metavar="PATTERN", help="run only the tests whose names contain a word of PATTERN (a module, or part of a test's name)")
    add_sandbox_options(check)

    grade = commands.add_parser("grade", help="instructors: grade submissions", description=GRADE_EPILOG)
    grade.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="submission folders or .zip files, or folders of them")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR", help="where results go")
    grade.add_argument("--jobs", type=positive_int, default=default_jobs(), metavar="N", help="parallel workers (default: the number of cores)")
    grade.add_argument("--public-only", action="store_true", help="run only the public tests")
    grade.add_argument("--batch", action="store_true", help="treat each PATH as a folder of submissions")
    add_sandbox_options(grade)

    from .reports import class_report, similarity  # each imports its heavy packages only when it runs

    class_report.add_parser(commands)
    similarity.add_parser(commands)

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


class UsageError(ValueError):
    """Arguments that parse but make no sense together; main says why and exits with 2."""


def limits_from(arguments) -> Limits:
    if arguments.timeout <= 0 or arguments.case_timeout <= 0:
        raise UsageError("--timeout and --case-timeout must be positive")
    return Limits(total_seconds=arguments.timeout, case_seconds=min(arguments.case_timeout, arguments.timeout))


def command_check(arguments) -> int:
    started = time.monotonic()
    impl = arguments.impl
    if not impl.is_dir():
        print(f"{impl} is not a folder; pass --impl with the folder holding your six modules", file=sys.stderr)
        return 2
    try:
        only = matching_tests(arguments.only) if arguments.only is not None else None
    except NoTestMatches as problem:
        print(problem, file=sys.stderr)
        return 2
    result = grade_submission(impl, ("public",), arguments.isolation, limits_from(arguments), untrusted=False, only=only)
    rubric = load_rubric()
    print(score_table(result))
    print()
    print(f"Public tests: {result.score:g} / {result.max_score:g}. Hidden tests with other inputs add "
          f"{hidden_points(only, rubric):g} more points when your submission is graded.")
    details = failure_details(result)
    if details:
        print("\nWhat to fix:")
        print(details)
    for note in result.notes:
        if not note.startswith("modules found"):  # where your own files are is no news
            print(f"Note: {note}")
    if result.printed.strip():
        print("\nYour code printed:\n" + result.printed[:2000])
    print(f"\n({time.monotonic() - started:.1f} s; sandbox: {result.isolation})")
    return 0


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
    progress = BatchProgress(len(paths))

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
    seconds = time.monotonic() - started
    graded = [result for result in results if not result.problem]
    ungradable = [result.submission_id for result in results if result.problem]
    mean = f"mean score {sum(r.score for r in graded) / len(graded):.2f} / {results[0].max_score:g}" if graded else "no mean score"
    print(f"sandbox: {results[0].isolation}")
    print(f"graded {len(graded)}, {mean} in {seconds:.1f} s; results in {out}/ (gradebook: {gradebook})")
    if ungradable:
        print(f"could not grade {len(ungradable)} (not in the mean; each feedback.md says why): {', '.join(ungradable)}")
    from .reports.class_report import after_grading

    note = after_grading(out, results, seconds, arguments.jobs)
    if note:
        print(note)
    return 0


def hidden_paths(arguments) -> tuple[Path, ...]:
    """What no sandbox may see besides the kit: the output folder and the submissions themselves."""
    return tuple(dict.fromkeys(path.resolve() for path in (arguments.out, *arguments.paths)))


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # student text must never crash a report, whatever the locale
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    arguments = build_parser().parse_args(argv)
    if hasattr(arguments, "run"):  # commands that need no sandbox: report, similarity
        return arguments.run(arguments)
    try:
        if arguments.command == "check":
            return command_check(arguments)
        return command_grade(arguments)
    except (ReferenceProblem, SandboxUnavailable, UsageError) as problem:
        print(f"autograder: {problem}", file=sys.stderr)
        return 2
