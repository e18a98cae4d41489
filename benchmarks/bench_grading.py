"""What grading one submission costs.

Usage: python -m benchmarks.bench_grading [--repeats N]

Prints, measured in one run:
  * the full grade of solution/ (every public and hidden test: intake, sandbox, checks), in a warm
    grading process, wall and CPU seconds (this process plus the sandbox's children);
  * the same from a cold start: `python -m autograder grade solution` as a new process;
  * the same probes and checks run in this process without any sandbox (benchmarks/baseline.py),
    and the ratio full / in-process;
  * the peak resident memory of one sandbox, for the solution and for a submission that tries to
    allocate without bound (it is stopped by the sandbox's memory limit).
Target (issue 3): the full grade of one submission in at most 1 CPU-second on a 2-core machine.
The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.baseline import ROOT, grade_in_process

from autograder.grading import grade_submission, plan_cases, run_variants
from autograder.sandbox import Sandbox

MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def warm_full_grade(repeats: int) -> tuple[list[float], list[float], float]:
    grade_submission(ROOT / "solution")  # warm up: imports, reference loading, pytest collection
    walls, cpus, score = [], [], 0.0
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), cpu_now()
        score = grade_submission(ROOT / "solution").score
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_now() - cpu)
    return walls, cpus, score


def cold_full_grade(repeats: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall = time.perf_counter()
            subprocess.run([sys.executable, "-m", "autograder", "grade", "solution", "--out", out], cwd=ROOT, check=True, capture_output=True)
            walls.append(time.perf_counter() - wall)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return walls, cpus


def sandbox_peak_memory(source_of: dict[str, str]) -> int:
    """Peak resident memory of the sandboxed harness over one full run (as it reports it)."""
    cases, inputs = plan_cases(run_variants(("public", "hidden")))
    run = Sandbox().run({name: text.encode() for name, text in source_of.items()}, cases, inputs)
    return run.peak_memory_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    solution = {f"{m}.py": (ROOT / "solution" / f"{m}.py").read_text() for m in MODULES}
    hog = dict(solution)
    hog["activations.py"] = hog["activations.py"].replace(
        "        return 1.0 / (1.0 + np.exp(-Z))", "        hoard = []\n        while True:\n            hoard.append(np.ones(1 << 24))"
    )

    walls, cpus, score = warm_full_grade(repeats)
    cold_walls, cold_cpus = cold_full_grade(max(2, repeats // 2))
    grade_in_process()  # warm up
    baseline = []
    for _ in range(repeats):
        baseline_score, seconds = grade_in_process()
        baseline.append(seconds)
    peak_solution = sandbox_peak_memory(solution)
    peak_hog = sandbox_peak_memory(hog)

    full_wall, full_cpu, base = statistics.median(walls), statistics.median(cpus), statistics.median(baseline)
    tests = len(plan_cases(run_variants(("public", "hidden")))[0])
    print(f"grading solution/ with all {tests} cases (public, their fresh twins, hidden); medians of {repeats} runs")
    print(f"  full grade, warm process      wall {full_wall:6.3f} s   CPU {full_cpu:6.3f} s   score {score:g}")
    print(f"  full grade, cold process      wall {statistics.median(cold_walls):6.3f} s   CPU {statistics.median(cold_cpus):6.3f} s")
    print(f"  same checks in-process        wall {base:6.3f} s                  score {baseline_score:g}")
    print(f"  ratio full / in-process       {full_wall / base:6.2f}x (wall)")
    print(f"  peak sandbox memory           solution {peak_solution / 2**20:6.1f} MiB, unbounded allocation {peak_hog / 2**20:6.1f} MiB")
    print(f"  target: full grade <= 1 CPU-second: {'met' if full_cpu <= 1.0 else 'NOT met'} (warm), "
          f"{'met' if statistics.median(cold_cpus) <= 1.0 else 'NOT met'} (cold)")
    print(json.dumps({
        "benchmark": "bench_grading", "warm_wall": round(full_wall, 4), "warm_cpu": round(full_cpu, 4),
        "cold_wall": round(statistics.median(cold_walls), 4), "cold_cpu": round(statistics.median(cold_cpus), 4),
        "in_process_wall": round(base, 4), "ratio": round(full_wall / base, 3),
        "peak_sandbox_mib": round(peak_solution / 2**20, 1), "peak_hog_mib": round(peak_hog / 2**20, 1),
        "score": score,
    }))


if __name__ == "__main__":
    main()
