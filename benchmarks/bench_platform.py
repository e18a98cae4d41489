"""The instructor tools at class size: the similarity check and the class report.

Usage: python -m benchmarks.bench_platform [--students N]

Builds N submissions (100 by default) from the four independent solutions of
tests/similarity/implementations.py, each disguised (renamed variables, rewritten comments, with
its own seed), so every submission has a copy-like twin in each style; grades them with
`python -m autograder grade --batch --public-only --jobs 2` and prints:
  * how long `python -m autograder similarity` takes on them (every pair: N(N-1)/2);
  * how long `python -m autograder report` takes to rebuild the class report.
Nothing is asserted. The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.similarity import implementations, plant

ROOT = Path(__file__).resolve().parent.parent


def build(folder: Path, students: int) -> None:
    styles = list(implementations.STYLES)
    for number in range(students):
        style = styles[number % len(styles)]
        target = folder / f"student{number:03d}_{style}"
        target.mkdir(parents=True)
        for module in implementations.MODULES:
            source = implementations.filled(module, implementations.STYLES[style])
            given = (ROOT / "starter" / f"{module}.py").read_text()
            (target / f"{module}.py").write_text(plant.disguise(source, given, ["renamed", "recommented"], number))


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(completed.stderr[-3000:])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=100)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        build(base / "submissions", arguments.students)
        python = [sys.executable, "-m", "autograder"]
        grading = timed([*python, "grade", str(base / "submissions"), "--batch", "--public-only", "--jobs", "2", "--out", str(base / "grades")])
        report = timed([*python, "report", str(base / "grades")])
        similarity = timed([*python, "similarity", str(base / "submissions"), "--out", str(base / "similarity")])
    pairs = arguments.students * (arguments.students - 1) // 2
    print(f"{arguments.students} submissions: graded (public only, 2 workers) in {grading:.1f} s")
    print(f"class report rebuilt in {report:.1f} s")
    print(f"similarity check, {pairs} pairs: {similarity:.1f} s")
    print(json.dumps({"benchmark": "bench_platform", "students": arguments.students, "report_seconds": round(report, 1),
                      "similarity_seconds": round(similarity, 1), "pairs": pairs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
