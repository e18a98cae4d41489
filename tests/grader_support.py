"""Helpers for the tests of the grader: build submissions, run the real command line, read results."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.rubric import load_rubric
from autograder.kit import MODULES

ROOT = Path(__file__).resolve().parent.parent


def mode_available(name: str) -> tuple[bool, str]:
    """(whether the tests must run this mode here, why not otherwise).

    A mode the machine offers must work: bubblewrap whenever bwrap is on the PATH (or CI says it
    must, NN_REQUIRE_BUBBLEWRAP=1), Landlock whenever the kernel has ABI 6 or newer. A broken
    sandbox then fails its tests instead of being skipped."""
    import shutil

    if name == "bubblewrap":
        if shutil.which("bwrap") is None and os.environ.get("NN_REQUIRE_BUBBLEWRAP") != "1":
            return False, "bwrap is not installed here (apt-get install bubblewrap)"
        return True, ""
    if name == "landlock":
        from autograder.sandbox.harness import confine

        abi = confine.landlock_abi()
        if abi < 6:
            return False, f"this kernel offers Landlock ABI {abi}; the landlock mode needs 6 (Linux 6.7+)"
        return True, ""
    return True, ""


def isolations(safe_only: bool = False) -> list:
    """Every isolation mode, each skipped (with the reason) only where the machine lacks it."""
    params = []
    for name in ("bubblewrap", "landlock") + (() if safe_only else ("process",)):
        available, reason = mode_available(name)
        params.append(pytest.param(name, marks=pytest.mark.skipif(not available, reason=reason), id=name))
    return params


def module_maxima() -> dict[str, float]:
    rubric = load_rubric()
    return {module: rubric.points(module) for module in rubric.modules}


def solution_with(folder: Path, replacements: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> Path:
    """A submission folder: solution/'s modules, some replaced by other source, plus extra files."""
    folder.mkdir(parents=True)
    for module in MODULES:
        source = (replacements or {}).get(module) or (ROOT / "solution" / f"{module}.py").read_text()
        (folder / f"{module}.py").write_text(source)
    for name, text in (extra or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def grade(paths, out: Path, *options: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m autograder grade PATHS --out OUT OPTIONS` from the project root."""
    command = [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out), *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as table:
        return {row["id"]: row for row in csv.DictReader(table)}


def results(out: Path, submission_id: str) -> dict:
    return json.loads((out / submission_id / "results.json").read_text())


def failed_outputs(document: dict) -> dict[str, str]:
    return {test["name"]: test["output"] for test in document["tests"] if test["status"] != "passed"}


def comparable(document: dict) -> dict:
    """A results document without what may vary between runs: its timing and the uid the sandbox
    ran under (each grading process claims its own)."""
    extra = {key: value for key, value in document.get("extra_data", {}).items() if key != "sandbox_uid"}
    return {**{key: value for key, value in document.items() if key != "execution_time"}, "extra_data": extra}


# A class for the report tests: the class report's, and the words' (tests/test_words.py).
HOSTILE = "<script>document.title = 'pwned'</script>"


def planted_batch(folder: Path) -> Path:
    """A class planted to hit each limit, fail in known ways or not be gradable at all: a full
    solution, the starter, a hang, a memory hog, an import that fails (with HTML in its message),
    a mistake with a likely cause, and a zip that is none."""
    import mutants

    folder.mkdir()
    solution_with(folder / "full_marks")
    mutants.copy_tree("starter", folder / "untouched_starter")
    # Sigmoid.forward never returns on large batches: the time limit of those probes.
    activations = (ROOT / "solution" / "activations.py").read_text()
    hanging = activations.replace("        return 1.0 / (1.0 + np.exp(-Z))\n", "        while len(Z) >= 32:\n            pass\n        return 1.0 / (1.0 + np.exp(-Z))\n", 1)
    assert hanging != activations
    solution_with(folder / "hangs", {"activations": hanging})
    # layers.forward allocates far past the memory limit.
    layers = (ROOT / "solution" / "layers.py").read_text()
    hog = layers.replace('        Z = X @ self.parameters["W"] + self.parameters["b"]\n', '        hog = np.ones(1 << 31)  # 16 GiB\n        Z = X @ self.parameters["W"] + self.parameters["b"]\n', 1)
    assert hog != layers
    solution_with(folder / "memory_hog", {"layers": hog})
    # util.py fails at import, with a message that is HTML.
    solution_with(folder / "import_fails", {"util": f"raise ImportError({HOSTILE!r})\n"})
    # The bias gradient averaged instead of summed: feedback names the likely cause.
    mutant = next(m for m in mutants.MUTANTS if m.name == "layer_bias_gradient_averaged")
    mutants.build(mutant.changes, folder / "bias_mean")
    (folder / "not_a_zip.zip").write_bytes(b"this is not a zip archive")
    return folder
