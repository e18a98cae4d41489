"""One rubric rule: `make all` refuses, at once, a rubric whose code points do not fit the kit.

The code part adds up to 100, and module totals are those the fairness catalogue's fair points
were written for; points may move freely between the tests of one module.
"""

from __future__ import annotations

import re
import subprocess
import sys

from grader_support import ROOT

RUBRIC = (ROOT / "autograder" / "rubric.toml").read_text()


def checked(tmp_path, text: str) -> subprocess.CompletedProcess:
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    return subprocess.run([sys.executable, "-m", "scripts.check_rubric", "--rubric", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60)


def with_points(text: str, test: str, public: float) -> str:
    """The rubric with ``test``'s public points set (``test`` is a line's key within its module)."""
    pattern = re.compile(rf"^({re.escape(test)} = \{{ title = \"[^\"]*\", public = )[\d.]+", re.M)
    assert len(pattern.findall(text)) >= 1, test
    return pattern.sub(lambda match: f"{match.group(1)}{public}", text, count=1)


def test_the_committed_rubric_fits(tmp_path):
    assert checked(tmp_path, RUBRIC).returncode == 0


def test_a_point_added_is_refused_with_what_else_to_change(tmp_path):
    completed = checked(tmp_path, with_points(RUBRIC, "sigmoid_forward", 2.0))
    assert completed.returncode == 1
    assert "add up to 101 points, not 100" in completed.stderr and "CODE_TOTAL" in completed.stderr
    assert "activations 28 -> 29" in completed.stderr and "tests/fairness/catalogue.py" in completed.stderr


def test_points_moved_between_modules_are_refused(tmp_path):
    moved = with_points(with_points(RUBRIC, "sigmoid_forward", 2.0), "one_hot", 0.0)
    completed = checked(tmp_path, moved)
    assert completed.returncode == 1 and "not 100" not in completed.stderr
    assert "activations 28 -> 29" in completed.stderr and "util 12 -> 11" in completed.stderr


def test_points_moved_within_a_module_need_nothing_else(tmp_path):
    moved = with_points(with_points(RUBRIC, "sigmoid_forward", 2.0), "tanh_forward", 0.0)
    assert checked(tmp_path, moved).returncode == 0


def test_make_all_and_make_handout_check_the_rubric_first():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("all regenerate:", "handout:"):
        recipe = makefile.split(f"\n{target}", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        assert recipe[0].strip() == "$(PY) -m scripts.check_rubric", (target, recipe)


def test_the_rubric_header_and_the_readme_prescribe_the_same_command():
    header = RUBRIC.split("\n[", 1)[0]  # the comment block before the first table
    assert "run `make all`" in header and "make handout" not in header
    readme = (ROOT / "README.md").read_text()
    assert "edit `autograder/rubric.toml`" in readme and "make all      # refuses at once" in readme
