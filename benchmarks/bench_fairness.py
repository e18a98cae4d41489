"""How fair is the grader? Grade the fairness catalogue and compare with its fair points.

Usage: python -m benchmarks.bench_fairness [--jobs J] [--timeout SECONDS] [--worst N] [--keep DIR]

Builds every submission of tests/fairness/catalogue.py (realistic student code: unusual styles,
single mistakes, hangs and crashes, two mistakes at once, each with fair points per module written
down before grading) and grades them with `python -m autograder grade --batch`. Prints:
  * agreement: modules graded within 1 point of fair / all modules, and within 0.25 point;
  * the largest deviation and where, the mean |graded - fair| per module, agreement per category,
    and the N largest deviations;
  * the runtime of the batch.
Target (issue 8): every module within 1 point of fair. The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.fairness import build
from tests.fairness.agreement import compare, summary
from tests.fairness.catalogue import SUBMISSIONS

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0, help="per-submission time limit")
    parser.add_argument("--worst", type=int, default=10, help="how many of the largest deviations to list")
    parser.add_argument("--keep", type=Path, help="also copy the graded reports to this folder")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        batch = build.build_all(SUBMISSIONS, Path(folder) / "submissions")
        out = Path(folder) / "out"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "autograder", "grade", "--batch", str(batch), "--out", str(out),
             "--jobs", str(arguments.jobs), "--timeout", str(arguments.timeout)],
            cwd=ROOT, check=True, capture_output=True,
        )
        seconds = time.perf_counter() - started
        rows = compare(SUBMISSIONS, out)
        if arguments.keep:
            shutil.copytree(out, arguments.keep, dirs_exist_ok=True)
    figures = summary(rows)
    categories = Counter(submission.category for submission in SUBMISSIONS)
    total = figures["modules"]
    print(f"catalogue: {len(SUBMISSIONS)} submissions ({', '.join(f'{n} {c}' for c, n in categories.items())}), {total} modules")
    print(f"  within 1 point of fair    {figures['within_1']:4d} / {total} modules ({100 * figures['within_1'] / total:.1f}%); "
          f"{figures['submissions_all_within_1']} / {len(SUBMISSIONS)} submissions with every module within 1")
    print(f"  within 0.25 point of fair {figures['within_0.25']:4d} / {total} modules ({100 * figures['within_0.25'] / total:.1f}%)")
    largest = figures["largest"]
    print(f"  largest deviation         {largest['deviation']:+g} points: {largest['submission']}, {largest['module']} "
          f"(fair {largest['fair']:g}, graded {largest['graded']})")
    print("  mean |graded - fair|      " + ", ".join(f"{module} {value:.3f}" for module, value in figures["mean_abs_deviation"].items()))
    print("  within 1, by category     " + ", ".join(f"{c} {v}" for c, v in figures["within_1_by_category"].items()))
    worst = sorted((row for row in rows if abs(row.deviation) > 1e-9), key=lambda row: -abs(row.deviation))[: arguments.worst]
    if worst:
        print(f"  largest {len(worst)} deviations:")
        for row in worst:
            print(f"    {row.deviation:+8.4g}  {row.submission} / {row.module} (fair {row.fair:g}, graded {row.graded})")
    print(f"  runtime                   {seconds:.1f} s for the batch with --jobs {arguments.jobs} "
          f"({seconds * arguments.jobs / len(SUBMISSIONS):.2f} s per submission per worker)")
    print("  target: every module within 1 point of fair: " + ("met" if figures["within_1"] == total else "NOT met"))
    print(json.dumps({
        "benchmark": "bench_fairness", "submissions": len(SUBMISSIONS), "modules": total,
        "within_1": figures["within_1"], "within_0.25": figures["within_0.25"],
        "largest_deviation": largest["deviation"], "largest_at": f"{largest['submission']}/{largest['module']}",
        "mean_abs_deviation": figures["mean_abs_deviation"], "seconds": round(seconds, 1), "jobs": arguments.jobs,
    }))


if __name__ == "__main__":
    main()
