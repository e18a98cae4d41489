"""The requirement sets: pinned from one resolution, and grading needs only its own light set.

`make grade`, `make check` and `make similarity` install requirements/grade.txt alone; the
notebooks, the handout and the tests come with the targets that need them. Here grading, the class
report and the similarity check run with every package outside grade.txt made unimportable.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from grader_support import ROOT

REQUIREMENTS = ROOT / "requirements"


def pins(set_name: str) -> dict[str, str]:
    lines = (REQUIREMENTS / f"{set_name}.txt").read_text().splitlines()
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in (line.split("==") for line in lines if line and not line.startswith("#"))}


def test_every_set_is_what_make_lock_pins_from_the_installed_packages():
    completed = subprocess.run([sys.executable, "scripts/lock_requirements.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_sets_agree_on_every_shared_version_and_tests_hold_them_all():
    grade, teaching, test = pins("grade"), pins("teaching"), pins("test")
    for name in grade.keys() & teaching.keys():
        assert grade[name] == teaching[name], name
    assert grade.items() <= test.items() and teaching.items() <= test.items()


def test_grading_installs_none_of_the_teaching_packages():
    grade = pins("grade")
    assert {"numpy", "pytest", "matplotlib", "copydetect"} <= grade.keys()
    assert not {"pandas", "scikit-learn", "scipy", "nbconvert", "ipykernel", "jupyter-client", "ipywidgets"} & grade.keys()
    assert len(grade) < 25, sorted(grade)


# Runs the command line in this interpreter with every installed distribution outside grade.txt
# made unimportable and its entry points unseen (the standard library and the kit still import).
ONLY_GRADE_SET = """
import importlib.abc, importlib.metadata as metadata, re, runpy, sys
allowed = set(sys.argv[1].split(","))
blocked = {module for module, distributions in metadata.packages_distributions().items()
           if not any(re.sub(r"[-_.]+", "-", d).lower() in allowed for d in distributions)}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in requirements/grade.txt")
sys.meta_path.insert(0, Refuse())
every_distribution = metadata.distributions  # and their plugins (pytest's, Pygments') are not seen
metadata.distributions = lambda **kwargs: [d for d in every_distribution(**kwargs)
                                           if re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() in allowed]
sys.argv = ["autograder", *sys.argv[2:]]
runpy.run_module("autograder", run_name="__main__")
"""


def with_grade_set_only(*arguments: str) -> subprocess.CompletedProcess:
    allowed = ",".join(pins("grade"))
    return subprocess.run([sys.executable, "-c", ONLY_GRADE_SET, allowed, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_grading_a_batch_with_its_report_and_the_similarity_check_need_only_the_grade_set(tmp_path):
    graded = with_grade_set_only("grade", "--batch", "examples/submissions", "--out", str(tmp_path / "grades"), "--public-only")
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert (tmp_path / "grades" / "report.html").is_file() and (tmp_path / "grades" / "report-figures").is_dir()
    assert "not in requirements/grade.txt" not in graded.stdout + graded.stderr
    similar = with_grade_set_only("similarity", "examples/submissions", "--out", str(tmp_path / "similarity"))
    assert similar.returncode == 0, similar.stderr[-3000:]
    assert (tmp_path / "similarity" / "report.html").is_file()
    checked = with_grade_set_only("check", "--impl", "solution")
    assert checked.returncode == 0 and "50 / 50" in checked.stdout, checked.stdout[-2000:] + checked.stderr[-2000:]


def test_the_import_blocker_blocks():
    completed = subprocess.run([sys.executable, "-c", ONLY_GRADE_SET.replace('runpy.run_module("autograder", run_name="__main__")', "import pandas"), ",".join(pins("grade"))],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0 and "pandas is not in requirements/grade.txt" in completed.stderr
