"""Helpers for the tests of the grader: build submissions, run the real command line, read results."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.isolation import bubblewrap_problem
from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("activations", "layers", "loss", "model", "optimizer", "util")


def isolations() -> list:
    """Both sandboxes. Bubblewrap is skipped, with the reason, where it cannot run, unless the
    environment says it must (CI sets NN_REQUIRE_BUBBLEWRAP=1, so a broken sandbox fails there)."""
    problem = bubblewrap_problem()
    required = os.environ.get("NN_REQUIRE_BUBBLEWRAP") == "1"
    skip = pytest.mark.skipif(problem is not None and not required, reason=f"bubblewrap unavailable: {problem}")
    return [pytest.param("bubblewrap", marks=skip), "process"]


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
    """A results document without its timing, which is the one part allowed to vary."""
    return {key: value for key, value in document.items() if key != "execution_time"}
