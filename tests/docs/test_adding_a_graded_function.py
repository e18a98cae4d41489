"""docs/adding-a-graded-function.md, followed to the letter in a scratch copy of the kit.

Every code block of the page that names a file is applied where the page says (``before``,
``after`` or ``replace-line`` a line starting with an anchor, or ``append``); every ``sh run``
block is run; then the solution is graded (full marks, the new tests included) and so is a
solution whose new function is wrong (it loses exactly that test's points, public and hidden).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.rubric import load_rubric

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "adding-a-graded-function.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\n", re.S | re.M)
NOT_COPIED = (".git", ".venv", "dist", "grades", "similarity", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "experiments")
NEW_TESTS = ("activations.leaky_relu_forward", "activations.leaky_relu_backward")


@dataclass(frozen=True)
class Step:
    language: str
    attributes: dict[str, str]
    body: str


def recipe_steps(text: str) -> list[Step]:
    steps = []
    for language, info, body in BLOCK.findall(text):
        attributes = {}
        for word in shlex.split(info):
            key, _, value = word.partition("=")
            attributes[key] = value
        steps.append(Step(language, attributes, body))
    return steps


def apply(step: Step, kit: Path) -> None:
    path = kit / step.attributes["file"]
    lines = path.read_text().splitlines(keepends=True)
    if "append" in step.attributes:
        path.write_text("".join(lines).rstrip("\n") + "\n\n\n" + step.body)
        return
    (how, anchor), = ((key, value) for key, value in step.attributes.items() if key in ("before", "after", "replace-line"))
    found = [number for number, line in enumerate(lines) if line.lstrip().startswith(anchor)]
    assert found, f"{path.name} has no line starting with {anchor!r}"
    at = found[0]
    new = step.body.splitlines(keepends=True)
    if how == "before":
        lines[at:at] = new
    elif how == "after":
        lines[at + 1 : at + 1] = new
    else:
        lines[at : at + 1] = new
    path.write_text("".join(lines))


def copy_of_the_kit(target: Path) -> Path:
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    (target / ".venv").symlink_to(ROOT / ".venv")  # the same pinned packages: make finds them set up
    return target


def grade(kit: Path, submission: Path, out: Path) -> dict:
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(out)],
                               cwd=kit, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    return json.loads((out / submission.name / "results.json").read_text())


def test_following_the_recipe_grades_the_new_function(tmp_path):
    steps = recipe_steps(RECIPE.read_text())
    edits = [step for step in steps if "file" in step.attributes]
    commands = [step.body for step in steps if step.language == "sh" and "run" in step.attributes]
    assert {step.attributes["file"] for step in edits} >= {
        "solution/activations.py", "autograder/rubric.toml", "autograder/cases.py", "autograder/checks/test_activations.py",
    } and commands
    kit = copy_of_the_kit(tmp_path / "kit")
    for step in edits:
        apply(step, kit)
    for command in commands:
        completed = subprocess.run(["bash", "-c", command], cwd=kit, capture_output=True, text=True, timeout=900)
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "class LeakyReLU" in (kit / "starter" / "activations.py").read_text()

    right = grade(kit, kit / "solution", tmp_path / "right")
    before = load_rubric().total  # this kit's rubric, without the recipe
    new_points = sum(test["max_score"] for test in right["tests"] if test.get("extra_data", {}).get("test") in NEW_TESTS)
    assert new_points == 2.0 and right["extra_data"]["max_score"] == before == 100.0, "the rubric rule keeps the total"
    assert right["score"] == right["extra_data"]["max_score"], [t["name"] for t in right["tests"] if t["status"] != "passed"]

    wrong = tmp_path / "wrong_slope"
    shutil.copytree(kit / "solution", wrong)
    source = (wrong / "activations.py").read_text()
    (wrong / "activations.py").write_text(source.replace("return np.where(Z > 0, Z, self.slope * Z)", "return np.where(Z > 0, Z, 0.1 * Z)"))
    graded = grade(kit, wrong, tmp_path / "wrong")
    lost = {test["extra_data"]["test"] + " " + test["extra_data"]["variant"]: test["max_score"] - test["score"]
            for test in graded["tests"] if test["score"] < test["max_score"]}
    assert lost == {"activations.leaky_relu_forward public": 0.5, "activations.leaky_relu_forward hidden": 0.5}
    assert graded["score"] == right["score"] - 1.0
