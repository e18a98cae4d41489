"""Run every benchmark and print a summary of the figures each one measured.

Usage: python -m benchmarks.run_all        (make bench; every benchmark runs as a module of the kit)

Each benchmark prints its own report and, as its last line, its figures as JSON; this collects
those lines into one table at the end. Nothing here asserts: benchmarks measure, tests judge.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["bench_training", "bench_grading", "bench_batch", "bench_fairness", "bench_lessons", "bench_confine", "bench_platform"]
# The grader as it was before the fair-grading and sandbox work (issues 8 and 9), whose throughput
# the current one must stay within 10% of: bench_batch grades the same batch with both.
BASELINE_COMMIT = "cc57b87"
ARGUMENTS = {"bench_batch": ["--copies", "100", "--against", BASELINE_COMMIT]}


def main() -> int:
    summaries = []
    for name in BENCHMARKS:
        print(f"=== {name}", flush=True)
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *ARGUMENTS.get(name, [])], cwd=ROOT, capture_output=True, text=True)
        print(completed.stdout, end="")
        if completed.returncode != 0:
            print(completed.stderr[-3000:], file=sys.stderr)
            return completed.returncode
        summaries.append(json.loads(completed.stdout.strip().splitlines()[-1]))
        print(f"({time.perf_counter() - started:.0f} s)\n", flush=True)
    print("=== summary")
    for summary in summaries:
        name = summary.pop("benchmark")
        print(f"{name}: " + ", ".join(f"{key}={value}" for key, value in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
