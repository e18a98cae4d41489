"""The reference outputs mean the same on every CPU, and still catch a change to solution/.

Another CPU (other SIMD paths in NumPy, another OpenBLAS kernel) computes the same solution/ a
few bits differently, so the references are compared by value (tolerances.REGENERATION), not by
bytes. Here "another CPU" is this one with NumPy's dispatch targets switched off
(NPY_DISABLE_CPU_FEATURES) and OpenBLAS told to use an older kernel (OPENBLAS_CORETYPE); the
sandboxed child that runs solution/ gets both (scripts/make_reference.py, CPU_VARIABLES) and
always runs one BLAS thread. On the development machine (AVX-512) both settings change the bytes
of 12 of the 18 files, by at most 7e-15 relative per entry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox.harness.npzio import write_npz
from autograder.reference import value_differences
from autograder.tolerances import REFERENCE, REGENERATION
from grader_support import ROOT

PROBE = """
import json
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from threadpoolctl import threadpool_info
print(json.dumps({
    "dispatch": [name for name in __cpu_dispatch__ if __cpu_features__.get(name)],
    "blas": sorted({info.get("architecture") for info in threadpool_info() if info.get("internal_api") == "openblas"}),
}))
"""


def what_numpy_sees(env: dict | None = None) -> dict:
    """The dispatch targets NumPy uses and OpenBLAS's kernel, in a fresh interpreter."""
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


CPU_VARIABLES = ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")


def another_cpu(keep: tuple[str, ...], blas_kernel: str) -> dict:
    """The environment of a CPU with only NumPy's dispatch targets ``keep`` (of those this CPU
    has) and OpenBLAS's ``blas_kernel`` (whatever this session's own settings are)."""
    native = {name: value for name, value in os.environ.items() if name not in CPU_VARIABLES}
    disabled = [name for name in what_numpy_sees(native)["dispatch"] if name not in keep]
    env = {**native, "OPENBLAS_CORETYPE": blas_kernel, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if disabled:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disabled)
    return env


# An AVX2 machine without AVX-512 (the issue's), and a baseline x86-64-v2 machine.
OTHER_CPUS = {"avx2-haswell": (("X86_V3",), "Haswell"), "baseline-sandybridge": ((), "Sandybridge")}


@pytest.mark.parametrize("cpu", OTHER_CPUS.values(), ids=OTHER_CPUS.keys())
def test_references_regenerated_on_another_cpu_are_up_to_date(cpu):
    keep, kernel = cpu
    env = another_cpu(keep, kernel)
    seen = what_numpy_sees(env)
    assert set(seen["dispatch"]) <= set(keep), f"NPY_DISABLE_CPU_FEATURES did not take: NumPy still dispatches to {seen['dispatch']}"
    assert seen["blas"] in ([kernel], []), f"OPENBLAS_CORETYPE did not take: {seen['blas']}"
    completed = subprocess.run([sys.executable, "-m", "scripts.make_reference", "--check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def kit_copy(folder: Path) -> Path:
    """What make_reference.py needs, copied: the grader (with the committed references), solution/,
    starter/ (the stubs) and the script."""
    for name in ("autograder", "solution", "starter"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "make_reference.py", folder / "scripts")
    return folder


# Appended to a copy of solution/activations.py: each rebinds Sigmoid.forward, whatever its body.
CHANGES = {
    "a 1e-9 relative change": "Sigmoid.forward = lambda self, Z, _forward=Sigmoid.forward: _forward(self, Z) * (1 + 1e-9)",
    "a sign bug": "Sigmoid.forward = lambda self, Z, _forward=Sigmoid.forward: _forward(self, -Z)",
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_to_solution_makes_the_references_stale(tmp_path, change):
    kit = kit_copy(tmp_path)
    with open(kit / "solution" / "activations.py", "a") as module:
        module.write(f"\n\n{change}\n")
    completed = subprocess.run([sys.executable, "-m", "scripts.make_reference", "--check"], cwd=kit, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    stale = [line for line in completed.stdout.splitlines() if line.startswith("stale:")]
    assert stale and all("/activations.npz" in line for line in stale), completed.stdout
    assert "Sigmoid.forward" in completed.stdout or "sigmoid_forward/out/" in completed.stdout


def test_regenerating_rewrites_only_what_changed(tmp_path):
    kit = kit_copy(tmp_path)
    before = {path: path.read_bytes() for path in (kit / "autograder" / "reference").rglob("*") if path.is_file()}
    with open(kit / "solution" / "activations.py", "a") as module:
        module.write("\n\n" + CHANGES["a sign bug"] + "\n")
    completed = subprocess.run([sys.executable, "-m", "scripts.make_reference"], cwd=kit, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    after = {path: path.read_bytes() for path in before}
    rewritten = sorted(str(path.relative_to(kit / "autograder" / "reference")) for path in before if before[path] != after[path])
    assert rewritten == ["fresh/activations.npz", "hidden/activations.npz", "manifest.json", "public/activations.npz"]
    check = subprocess.run([sys.executable, "-m", "scripts.make_reference", "--check"], cwd=kit, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout


def archive(**arrays) -> bytes:
    return write_npz(arrays)


def test_values_within_the_regeneration_tolerance_are_the_same_reference():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(4, 5))
    values[0, 0] = 0.0
    ulps = values * (1 + 8 * np.finfo(float).eps)
    ulps[0, 0] = 1e-17  # zero up to round-off
    assert value_differences(archive(x=values), archive(x=ulps)) == []
    assert value_differences(archive(x=values), archive(x=values * (1 + 1e-9))) != []
    assert value_differences(archive(x=values), archive(x=values.astype(np.float32))) != []
    assert value_differences(archive(x=values), archive(x=values[:3])) != []
    assert value_differences(archive(x=values), archive(x=values, y=values)) != []
    assert value_differences(archive(n=np.arange(3)), archive(n=np.arange(3) + 1)) != []
    assert value_differences(archive(c=np.array('{"kind": "a"}')), archive(c=np.array('{"kind": "b"}'))) != []
    nan = values.copy()
    nan[1, 1] = np.nan
    assert value_differences(archive(x=nan), archive(x=nan)) == []
    assert value_differences(archive(x=nan), archive(x=values)) != []


def test_the_regeneration_tolerance_is_far_below_the_grading_tolerance():
    assert REGENERATION.rtol * 1e5 <= REFERENCE.rtol and REGENERATION.atol * 1e2 <= REFERENCE.atol
