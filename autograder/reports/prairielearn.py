"""PrairieLearn's results format, made from the results.json `grade` writes (Gradescope's format).

PrairieLearn's external grader reads /grade/results/results.json: ``gradable``; ``score``, a
fraction in [0, 1]; ``message`` and ``output`` for the whole submission; ``tests``, each with
``name``, ``description``, ``points``, ``max_points``, ``message`` and ``output`` (shown by its
``<pl-external-grader-results>`` element). A submission that could not be read at all is not
gradable (``format_errors`` says why): PrairieLearn then neither scores it nor counts the attempt.

  python -m autograder.reports.prairielearn GRADED_RESULTS PL_RESULTS [--status N] [--errors FILE]

GRADED_RESULTS is what `grade` wrote for the submission; when it is missing (the grader itself
failed), the results say so, with the end of FILE, and are not gradable either. PrairieLearn has
no per-test visibility: it shows every test at once. So a hidden test shows its points and the
kind of failure only: its message, which may quote what the submission raised or printed once
never-shipped inputs were in the sandbox, stays in the graded results.json for the course staff, and
so does what the code printed during the hidden tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..words import label

MAX_OUTPUT = 3000  # per test; the whole file must stay well under PrairieLearn's 1 MB


def convert(document: dict) -> dict:
    """The PrairieLearn results for one graded submission."""
    extra = document.get("extra_data", {})
    status = extra.get("status", "graded")
    if status != "graded":
        reason = status.removeprefix("error: ")
        return {
            "gradable": False,
            "format_errors": [f"Your submission could not be read: {reason}"],
            "message": f"Your submission could not be read: {reason}. This attempt does not count; upload the six module files.",
            "output": document.get("output", ""),
        }
    tests = [convert_test(test) for test in document.get("tests", []) if "printed" not in test.get("tags", ())]
    maximum = float(extra.get("max_score") or sum(test["max_points"] for test in tests))
    score = float(document.get("score", 0.0))
    modules = extra.get("modules", {})
    breakdown = ", ".join(f"{name} {m['score']:g}/{m['max_score']:g}" for name, m in modules.items())
    return {
        "gradable": True,
        "score": round(score / maximum, 6) if maximum else 0.0,
        "message": f"{score:g} / {maximum:g} points" + (f" ({breakdown})" if breakdown else ""),
        "output": document.get("output", ""),
        "tests": tests,
    }


def convert_test(test: dict) -> dict:
    """One test, from the data results.json carries for it (its ``extra_data``); its output is
    shown as Gradescope shows it, the kind's label on its first line."""
    data = test.get("extra_data") or {}
    passed = test.get("status") == "passed"
    output = test.get("output", "")
    if not passed and test.get("visibility", "visible") != "visible":
        output = HIDDEN_DETAILS
    return {
        "name": f"{data['test']} [{data['variant']}]" if "test" in data else test.get("name", ""),
        "description": data.get("title", ""),
        "points": float(test.get("score", 0.0)),
        "max_points": float(test.get("max_score", 0.0)),
        "message": label(data["kind"]) if "kind" in data else test.get("status", "failed"),
        "output": "" if passed else output[:MAX_OUTPUT],
    }


HIDDEN_DETAILS = (
    "A hidden test: its details are not shown here, as its inputs are not. The public test of the "
    "same function shows what it checks; your course staff can see the details."
)


def failure(status: str, errors: str) -> dict:
    return {
        "gradable": False,
        "message": (
            f"The autograder could not grade this submission (exit status {status}); this attempt does not "
            "count. Please tell your course staff."
        ),
        "output": errors[-MAX_OUTPUT:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.reports.prairielearn", description=__doc__.split("\n\n")[0])
    parser.add_argument("graded", type=Path, help="the results.json `grade` wrote for the submission")
    parser.add_argument("target", type=Path, help="where PrairieLearn reads the results (/grade/results/results.json)")
    parser.add_argument("--status", default="?", help="the exit status of `grade`")
    parser.add_argument("--errors", type=Path, help="what `grade` printed on standard error")
    arguments = parser.parse_args(argv)
    try:
        results = convert(json.loads(arguments.graded.read_text()))
    except (OSError, ValueError) as error:
        errors = arguments.errors.read_text(errors="replace") if arguments.errors and arguments.errors.is_file() else str(error)
        results = failure(arguments.status, errors)
    arguments.target.parent.mkdir(parents=True, exist_ok=True)
    arguments.target.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
