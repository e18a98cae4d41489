"""Grading a class: throughput, latency, memory and the price of the sandbox.

Usage: python -m benchmarks.bench_batch [--copies N] [--jobs J] [--timeout SECONDS] [--against COMMIT [--rounds R]]

Builds N copies (200 by default) of the sample submissions: correct, partial, crashing on import,
with a syntax error, and hanging (an endless loop in DataLoader.__iter__), and grades them with
`python -m autograder grade --batch --jobs J`. Prints, measured in one run:
  * correct submissions per minute (a batch of correct copies only) and the median wall time per
    submission;
  * the mixed batch: total time, and the longest a hanging submission took (each hanging function
    costs its per-call limit once);
  * the peak resident memory of a sandbox (as the harness reports it);
  * the sandbox's overhead: seconds per correct submission through the batch (per worker) against
    the same probes and checks run in one process without any sandbox (benchmarks/baseline.py).
  * with --against COMMIT: the correct batch graded by COMMIT's grader too (a temporary git
    worktree), runs alternating, and the ratio of the times (issue 9: within 10% of before).
Targets (issue 4): >= 120 correct submissions per minute on 2 cores, overhead <= 1.5x, peak memory
per sandbox < 500 MB, a hanging submission costs no more than its time limit.
The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.baseline import ROOT, grade_in_process

from autograder.grading import grade_submission

SAMPLES = ROOT / "examples" / "submissions"
MIX = {"alice_correct.zip": 0.5, "bob_partial": 0.2, "carol_crashes_on_import": 0.15, "dave_syntax_error": 0.1, "hanging": 0.05}


def hanging_sample(folder: Path) -> Path:
    """The solution with a DataLoader that never stops yielding its first batch."""
    folder.mkdir()
    for path in (ROOT / "solution").glob("*.py"):
        text = path.read_text()
        if path.name == "util.py":
            text = text.replace("        for start in range(0, stop, self.batch_size):", "        while True:\n            start = 0")
        (folder / path.name).write_text(text)
    return folder


def make_batch(target: Path, copies: int, mix: dict[str, float], hanging: Path) -> dict[str, str]:
    """``copies`` submissions in ``target``, in the proportions of ``mix``; returns id -> kind."""
    target.mkdir()
    kinds = {}
    counts = {name: round(share * copies) for name, share in mix.items()}
    counts[next(iter(mix))] += copies - sum(counts.values())
    for name, count in counts.items():
        source = hanging if name == "hanging" else SAMPLES / name
        for index in range(count):
            stem = f"{Path(name).stem}-{index:03d}"
            if source.suffix == ".zip":
                shutil.copy(source, target / f"{stem}.zip")
            else:
                shutil.copytree(source, target / stem)
            kinds[stem] = name
    return kinds


def run_batch(folder: Path, out: Path, jobs: int, timeout: float, kit: Path = ROOT) -> float:
    return run_batch_timed(folder, out, jobs, timeout, kit)[0]


def run_batch_timed(folder: Path, out: Path, jobs: int, timeout: float, kit: Path = ROOT) -> tuple[float, float]:
    """(seconds for the whole command, seconds of it the class report took as the grader printed
    them; 0 for a grader that writes none)."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--batch", str(folder), "--out", str(out), "--jobs", str(jobs), "--timeout", str(timeout)],
        cwd=kit, check=True, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    report = re.search(r"^class report: .* \(([0-9.]+) s\)", completed.stdout, re.MULTILINE)
    return seconds, float(report.group(1)) if report else 0.0


def compare_with(commit: str, folder: Path, jobs: int, rounds: int) -> tuple[float, float, float]:
    """Median seconds to grade ``folder`` with this kit and with ``commit``'s grader (a temporary
    git worktree sharing this virtualenv), runs alternating so that both see the same machine, and
    the median seconds of this kit's runs that went to the class report (which ``commit`` may not
    write)."""
    with tempfile.TemporaryDirectory() as place:
        other = Path(place) / "kit"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), commit], cwd=ROOT, check=True, capture_output=True)
        try:
            (other / ".venv").symlink_to(ROOT / ".venv")
            ours, theirs, reports = [], [], []
            for number in range(rounds):
                for kit, times in ((other, theirs), (ROOT, ours)):
                    out = Path(place) / f"out-{number}-{len(times)}-{kit.name}"
                    seconds, report = run_batch_timed(folder, out, jobs, 600, kit)
                    times.append(seconds)
                    if kit == ROOT:
                        reports.append(report)
                    shutil.rmtree(out)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, capture_output=True)
    return statistics.median(ours), statistics.median(theirs), statistics.median(reports)


def per_submission_seconds(out: Path) -> dict[str, float]:
    with open(out / "gradebook.csv") as table:
        ids = [row["id"] for row in csv.DictReader(table)]
    return {submission: json.loads((out / submission / "results.json").read_text())["execution_time"] for submission in ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="per-submission safety limit for the mixed batch")
    parser.add_argument("--against", metavar="COMMIT", help="also grade the correct batch with COMMIT's grader and print the ratio")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per grader with --against")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        hanging = hanging_sample(base / "hanging-source")

        make_batch(base / "correct", arguments.copies, {"alice_correct.zip": 1.0}, hanging)
        correct_seconds = run_batch(base / "correct", base / "correct-out", arguments.jobs, 60)
        correct_times = per_submission_seconds(base / "correct-out")

        kinds = make_batch(base / "mixed", arguments.copies, MIX, hanging)
        mixed_seconds = run_batch(base / "mixed", base / "mixed-out", arguments.jobs, arguments.timeout)
        mixed_times = per_submission_seconds(base / "mixed-out")
        hanging_times = [seconds for submission, seconds in mixed_times.items() if kinds[submission] == "hanging"]

        samples = [SAMPLES / name for name in MIX if name != "hanging"]
        peak = max(grade_submission(path).peak_memory_bytes for path in samples) / 2**20
        against = compare_with(arguments.against, base / "correct", arguments.jobs, arguments.rounds) if arguments.against else None
    grade_in_process()  # warm up
    baseline = statistics.median(grade_in_process()[1] for _ in range(5))

    per_minute = arguments.copies / correct_seconds * 60
    median = statistics.median(correct_times.values())
    per_worker = correct_seconds * arguments.jobs / arguments.copies
    overhead = per_worker / baseline
    print(f"{arguments.copies} copies, --jobs {arguments.jobs}, on {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores")
    print(f"  correct only        {correct_seconds:7.1f} s total  {per_minute:7.1f} submissions/minute  median {median:.3f} s each")
    print(f"  mixed (5% hanging)  {mixed_seconds:7.1f} s total  longest hanging submission {max(hanging_times):.1f} s (limit {arguments.timeout:g} s)")
    print(f"  peak sandbox memory {peak:7.1f} MiB")
    if against:
        ours, theirs, report = against
        print(f"  against {arguments.against}: {ours:.1f} s here vs {theirs:.1f} s there (medians of {arguments.rounds} "
              f"alternating runs, class report included here): {ours / theirs:.3f}x the time, "
              f"{arguments.copies / ours * 60:.0f} vs {arguments.copies / theirs * 60:.0f} submissions/minute")
        print(f"    of which the class report {report:.1f} s; grading alone {(ours - report) / theirs:.3f}x the time")
    print(f"  sandbox overhead    {per_worker:.3f} s per submission per worker vs {baseline:.3f} s in-process: {overhead:.2f}x")
    print("  targets: >= 120/min {}, overhead <= 1.5x {}, memory < 500 MB {}, hanging <= limit {}".format(
        "met" if per_minute >= 120 else "NOT met", "met" if overhead <= 1.5 else "NOT met",
        "met" if peak < 500 else "NOT met", "met" if max(hanging_times) <= arguments.timeout + 1 else "NOT met"))
    print(json.dumps({
        "benchmark": "bench_batch", "copies": arguments.copies, "jobs": arguments.jobs,
        "correct_seconds": round(correct_seconds, 2), "per_minute": round(per_minute, 1), "median_seconds": round(median, 3),
        "mixed_seconds": round(mixed_seconds, 2), "longest_hanging_seconds": round(max(hanging_times), 2),
        "timeout": arguments.timeout, "peak_sandbox_mib": round(peak, 1), "overhead": round(overhead, 2),
        **({"against": arguments.against, "ratio_against": round(against[0] / against[1], 3),
            "report_seconds": round(against[2], 2), "grading_ratio_against": round((against[0] - against[2]) / against[1], 3)} if against else {}),
    }))


if __name__ == "__main__":
    main()
