"""The student check as students meet it: the student README's commands, run verbatim in the
unpacked bundle by an ordinary user on a fresh virtualenv (Debian's Python, no `make`); then the
same check with `fcntl` and `resource` unimportable (neither is needed by a student's check, so it
runs where they are missing or different); then `make check ONLY=...` and the README's one-line notebook check."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.rubric import load_rubric
from grader_support import ROOT
from users import create_user

pytestmark = pytest.mark.slow
BASE_PYTHON = "/usr/bin/python3"  # any Python 3.11+ outside root's home will do
WITHOUT_POSIX_MODULES = (
    "import runpy, sys\n"
    "sys.modules['fcntl'] = None\n"
    "sys.modules['resource'] = None\n"
    "sys.argv = ['autograder', 'check', '--only', 'activations']\n"
    "runpy.run_module('autograder', run_name='__main__', alter_sys=True)\n"
)


def readme_block(readme: str, language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", readme, re.S)
    assert len(blocks) == 1, f"the student README should hold one ```{language} block"
    return blocks[0]


@pytest.fixture(scope="module")
def student():
    """An ordinary user (made for this session when the tests run as root: a name shared with
    another checkout's tests could be removed under them) and a folder they own."""
    if not Path(BASE_PYTHON).exists():
        pytest.skip(f"{BASE_PYTHON} is missing")
    created = None
    if os.geteuid() == 0:
        created, _, _ = create_user()
        account = pwd.getpwnam(created)
    else:
        account = pwd.getpwuid(os.geteuid())
    home = Path(tempfile.mkdtemp(prefix="nn-student-", dir="/tmp"))
    os.chmod(home, 0o755)
    os.chown(home, account.pw_uid, account.pw_gid)
    yield account, home
    shutil.rmtree(home, ignore_errors=True)
    if created:
        subprocess.run(["userdel", created], check=False)


@pytest.fixture(scope="module")
def kit(student, tmp_path_factory) -> Path:
    account, home = student
    built = tmp_path_factory.mktemp("dist")
    completed = subprocess.run([sys.executable, "-m", "scripts.make_dist", "student", "--out", str(built)], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    with zipfile.ZipFile(built / "student.zip") as archive:
        archive.extractall(home)
    for path in [home, *home.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)
    return home / "nn-assignment"


def as_student(student, command: list[str], cwd: Path, **options) -> subprocess.CompletedProcess:
    account, home = student
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update({key: value for key, value in os.environ.items() if key.startswith("PIP_")})  # the machine's package index
    if os.geteuid() == 0:
        options.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, **options)


@pytest.fixture(scope="module")
def readme_run(student, kit):
    """The README's commands for Linux and macOS, verbatim, in one shell that stops at the first failure."""
    block = readme_block((kit / "README.md").read_text(), "sh")
    assert "python3 -m venv .venv" in block  # a fresh virtualenv, as a student makes it
    return as_student(student, ["bash", "-e", "-c", block], kit)


def test_the_readme_commands_run_verbatim_on_a_fresh_virtualenv(readme_run, kit):
    completed = readme_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert (kit / ".venv" / "bin" / "python").exists()
    rubric = load_rubric()
    activations = rubric.points("activations", ("public",))
    assert f"Public tests: 0 / {activations:g}." in completed.stdout  # the --only activations run
    assert f"Public tests: 0 / {rubric.points(variants=('public',)):g}." in completed.stdout  # the full run
    packages = subprocess.run([str(kit / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout
    names = {line.split("==")[0].lower() for line in packages.splitlines()}
    assert "numpy" in names and "pytest" in names and not names & {"matplotlib", "pandas", "scikit-learn", "copydetect", "tqdm"}


def test_the_check_runs_without_fcntl_and_resource(student, kit, readme_run):
    assert readme_run.returncode == 0, "needs the README's virtualenv"
    completed = as_student(student, [".venv/bin/python", "-c", WITHOUT_POSIX_MODULES], kit)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    assert "activations.sigmoid_forward" in completed.stdout and "Public tests: 0 /" in completed.stdout


def test_make_check_only_and_the_notebook_line(student, kit, readme_run):
    assert readme_run.returncode == 0, "needs the README's virtualenv"
    completed = as_student(student, ["make", "check", "ONLY=relu"], kit)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    rows = [line.split()[0] for line in completed.stdout.splitlines() if "[public]" in line]
    assert rows == ["activations.relu_forward", "activations.relu_backward"]
    line = next(text.strip() for text in (kit / "README.md").read_text().splitlines() if text.strip().startswith("from autograder import check"))
    completed = as_student(student, [".venv/bin/python", "-q", "-i"], kit, input=line + "\n")
    assert "TOTAL" in completed.stdout and "activations.softmax_backward" in completed.stdout, completed.stderr[-2000:]


def test_the_readme_lists_everything_at_the_top_of_the_kit(kit):
    readme = (kit / "README.md").read_text()
    listed = set(re.findall(r"^\| `([^`]+)`", readme, re.M))
    entries = {path.name + ("/" if path.is_dir() else "") for path in kit.iterdir() if path.name not in (".venv", "README.md", "submission.zip")}
    assert entries <= listed | {"notebooks/"} and "notebooks/student/" in listed, sorted(entries - listed)
