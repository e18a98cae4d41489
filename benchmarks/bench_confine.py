"""What confining the sandbox's process costs (autograder/sandbox/harness/confine.py).

Usage: python -m benchmarks.bench_confine

Each run is a fresh `python -I -S` that confines itself as the harness will, timing each step:
importing the module, loading ctypes and libc, no_new_privs, the Landlock ruleset (with the paths
the harness needs), as root the drop to a uid keeping CAP_DAC_READ_SEARCH, the seccomp filter.
Then what the filter and Landlock add to later system calls: getppid() and open()+close() of an
allowed file, in nanoseconds per call, unconfined and confined. Medians of 30 runs.
Prints a report, then its figures as JSON on the last line (as benchmarks/run_all.py expects).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "autograder" / "sandbox" / "harness"
UNPRIVILEGED = 59999  # a uid of no one, outside the grader's 61000-64999
RUNS = 30

CHILD = """
import json, os, sys, time
plan = json.loads(sys.argv[1])
steps, clock = {}, time.perf_counter_ns
def step(name, action):
    started = clock()
    action()
    steps[name] = (clock() - started) / 1000

def per_call(calls=100_000):
    started = clock()
    for _ in range(calls):
        os.getppid()
    steps["getppid_ns" + plan["suffix"]] = (clock() - started) / calls
    started = clock()
    for _ in range(calls // 10):
        os.close(os.open(plan["allowed_file"], os.O_RDONLY))
    steps["open_close_ns" + plan["suffix"]] = (clock() - started) / (calls // 10)

def import_confine():
    global confine
    sys.path.insert(0, plan["harness"])
    import confine

if plan["suffix"] == "":
    per_call()
else:
    step("import_us", import_confine)
    step("ctypes_and_libc_us", lambda: confine._libc())
    step("no_new_privs_us", confine.set_no_new_privs)
    step("landlock_us", lambda: confine.restrict_filesystem_and_more(*plan["paths"]))
    if plan["keep_uid"]:
        step("keep_capability_us", lambda: confine.keep_read_search_capability_after_setuid(plan["keep_uid"], plan["keep_uid"]))
    step("seccomp_us", confine.install_seccomp_filter)
    per_call()
print(json.dumps(steps))
"""


def harness_paths(stage: str) -> list[list[str]]:
    import numpy

    numpy_dir = Path(numpy.__file__).parent
    read_exec = [sys.base_prefix]
    read_only = [str(numpy_dir), str(numpy_dir.parent / "numpy.libs"), str(HARNESS),
                 "/usr/lib", "/lib", "/usr/lib64", "/lib64", "/etc/ld.so.cache"]
    return [read_exec, read_only, [str(numpy_dir.parent)], [stage]]


def run(plan: dict) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-I", "-S", "-c", CHILD, json.dumps(plan)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    from autograder.sandbox.harness import confine

    abi = confine.landlock_abi()
    if abi < 1 or not confine.seccomp_available():
        print(f"nothing to measure: Landlock ABI {abi}, seccomp available: {confine.seccomp_available()}")
        print(json.dumps({"benchmark": "confine", "landlock_abi": abi}))
        return 0
    stage = tempfile.mkdtemp(prefix="nn-bench-confine-")
    os.chmod(stage, 0o777)
    allowed_file = os.path.join(stage, "allowed.txt")
    Path(allowed_file).write_text("x")
    plan = {"harness": str(HARNESS), "paths": harness_paths(stage), "allowed_file": allowed_file,
            "keep_uid": UNPRIVILEGED if os.geteuid() == 0 else None}
    try:
        samples = [run(dict(plan, suffix="")) for _ in range(RUNS)]
        samples += [run(dict(plan, suffix="_confined")) for _ in range(RUNS)]
    finally:
        shutil.rmtree(stage)
    names = {name for sample in samples for name in sample}
    figures = {name: round(statistics.median(s[name] for s in samples if name in s), 1) for name in names}
    steps = [name for name in ("import_us", "ctypes_and_libc_us", "no_new_privs_us", "landlock_us",
                               "keep_capability_us", "seccomp_us") if name in figures]
    figures["confining_us"] = round(sum(figures[name] for name in steps[2:]), 1)
    figures["total_us"] = round(sum(figures[name] for name in steps), 1)

    print(f"Landlock ABI {abi}, running as {'root' if os.geteuid() == 0 else 'a normal user'}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; medians of {RUNS} fresh interpreters")
    for name in steps:
        print(f"  {name[:-3]:<22} {figures[name]:8.1f} us")
    print(f"  {'confining (the calls)':<22} {figures['confining_us']:8.1f} us")
    print(f"  {'total':<22} {figures['total_us']:8.1f} us")
    print("per system call afterwards:")
    for name in ("getppid", "open_close"):
        print(f"  {name:<22} {figures[name + '_ns']:8.1f} ns unconfined, {figures[name + '_ns_confined']:8.1f} ns confined")
    print(json.dumps({"benchmark": "confine", "landlock_abi": abi, **dict(sorted(figures.items()))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
