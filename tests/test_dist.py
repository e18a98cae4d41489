"""The two bundles: the student one leaks nothing and works on its own; the Gradescope one grades
a submission laid out as Gradescope lays it out, with the grader's files out of the student's reach."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader_support import isolations, ROOT, MODULES, solution_with

pytestmark = pytest.mark.slow
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def build(bundle: str, out: Path) -> Path:
    completed = subprocess.run([sys.executable, "-m", "scripts.make_dist", bundle, "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return out / f"{bundle}.zip"


def unpack(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(target)
        for info in bundle.infolist():  # extractall drops the mode bits
            mode = info.external_attr >> 16
            if mode:
                os.chmod(target / info.filename, mode)
    return target


def split_lines(text: str) -> tuple[set[str], set[str]]:
    """(lines inside solution regions, lines outside them), stripped, ignoring short and comment lines."""
    inside, outside, in_region = set(), set(), False
    for line in text.splitlines():
        stripped = line.strip().strip('",').strip()
        if stripped.startswith(BEGIN):
            in_region = True
        elif stripped.startswith(END):
            in_region = False
        elif len(stripped) > 12 and not stripped.startswith("#"):
            (inside if in_region else outside).add(stripped)
    return inside, outside


def solution_lines() -> set[str]:
    """Lines of solution regions (in solution/ and the solution notebooks) found nowhere in provided code."""
    sources = [path.read_text() for path in (ROOT / "solution").glob("*.py")]
    for path in (ROOT / "notebooks" / "solution").glob("*.ipynb"):
        sources += ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]
    inside, outside = set(), set()
    for source in sources:
        region, rest = split_lines(source)
        inside |= region
        outside |= rest
    return inside - outside


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    base = tmp_path_factory.mktemp("student")
    return unpack(build("student", base / "dist"), base / "unpacked") / "nn-assignment"


def bundle_lines(folder: Path):
    """(path, its stripped lines) for every text file; notebooks by the lines of their cells."""
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix not in (".py", ".ipynb", ".md", ".txt", ".toml", ".json", ".ini", ".html", ""):
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        yield path, text, {line.strip() for line in text.splitlines()}


def test_the_student_bundle_holds_no_solution_code(student_bundle):
    secrets = solution_lines()
    assert len(secrets) > 40, "the scan must have solution lines to look for"
    for path, text, lines in bundle_lines(student_bundle):
        found = secrets & lines
        assert not found, f"{path.relative_to(student_bundle)} contains solution lines: {sorted(found)[:3]}"
        assert BEGIN not in text, f"{path.relative_to(student_bundle)} contains a solution marker"
    assert not (student_bundle / "solution").exists() and not (student_bundle / "notebooks" / "solution").exists()


def test_the_student_bundle_holds_no_hidden_test_or_reference(student_bundle):
    paths = [str(path.relative_to(student_bundle)) for path in student_bundle.rglob("*")]
    assert not [path for path in paths if "hidden" in path or "fresh" in path], paths
    assert not (student_bundle / "autograder" / "cases.py").exists()
    manifest = json.loads((student_bundle / "autograder" / "reference" / "manifest.json").read_text())
    assert manifest and all(key.startswith("public/") for key in manifest)
    hidden_hashes = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for variant in ("hidden", "fresh")
        for p in (ROOT / "autograder" / "reference" / variant).glob("*.npz")
    }
    bundle_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in student_bundle.rglob("*") if p.is_file()}
    assert not hidden_hashes & bundle_hashes


def test_make_check_works_in_the_unpacked_bundle_on_a_fresh_venv(student_bundle):
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    completed = subprocess.run(["make", "check"], cwd=student_bundle, capture_output=True, text=True, env=env, timeout=600)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert (student_bundle / ".venv" / "bin" / "python").exists()
    assert "TOTAL" in completed.stdout and "0 / 50" in completed.stdout and "Not implemented yet" in completed.stdout
    packed = subprocess.run(["make", "submission"], cwd=student_bundle, capture_output=True, text=True, env=env)
    assert packed.returncode == 0, packed.stderr
    with zipfile.ZipFile(student_bundle / "submission.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{module}.py" for module in MODULES)


def gradescope_root(tmp_path: Path, submission: Path) -> Path:
    root = tmp_path / "autograder"
    unpack(build("gradescope", tmp_path / "dist"), root / "source")
    shutil.copytree(submission, root / "submission")
    return root


def run_autograder(root: Path, isolation: str) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "NN_GRADER_PYTHON": sys.executable, "NN_GRADER_ISOLATION": isolation}
    completed = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads((root / "results" / "results.json").read_text())


ISOLATIONS = isolations()


@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs the autograder as root; the test needs root to drop to the sandbox user")
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_the_gradescope_bundle_grades_a_submission(tmp_path, isolation):
    root = gradescope_root(tmp_path, solution_with(tmp_path / "upload", extra={"notes.txt": "hi"}))
    document = run_autograder(root, isolation)
    assert document["score"] == 100 == document["extra_data"]["max_score"]
    for test in document["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["visibility"] in ("visible", "after_published")
    assert {test["visibility"] for test in document["tests"]} == {"visible", "after_published"}
    manifest = json.loads((root / "source" / "autograder" / "reference" / "manifest.json").read_text())
    assert {path.split("/")[0] for path in manifest} == {"public", "fresh", "hidden"}
    assert oct((root / "source").stat().st_mode & 0o777) == "0o700"


@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs the autograder as root; the test needs root to drop to the sandbox user")
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_on_gradescope_student_code_cannot_read_the_grader(tmp_path, isolation):
    hidden = tmp_path / "autograder" / "source" / "autograder" / "reference" / "hidden" / "loss.npz"
    spy = (
        "import os\n"
        "def _try(path):\n"
        "    try:\n"
        "        open(path, 'rb').read(1)\n"
        "        return 'READ'\n"
        "    except OSError as error:\n"
        "        return type(error).__name__\n"
        f"raise SystemExit('spy: ' + _try({str(hidden)!r}) + ' ' + _try({str(tmp_path / 'autograder' / 'source' / 'autograder' / 'grading.py')!r}))\n"
    )
    root = gradescope_root(tmp_path, solution_with(tmp_path / "upload", {"util": spy}))
    document = run_autograder(root, isolation)
    messages = "\n".join(test["output"] for test in document["tests"])
    assert "spy: " in messages and "READ" not in messages, re.findall(r"spy: .*", messages)[:1]
    assert document["score"] == 100 - 12


def test_gradescope_setup_takes_the_first_python_that_actually_runs(tmp_path):
    """setup.sh's choice of interpreter, run as written: a python3.13 on the PATH that does not run
    (a broken alternative, say) is passed over for a python3.12 that does."""
    setup = (ROOT / "scripts" / "bundle" / "gradescope" / "setup.sh").read_text()
    start, end = setup.index("works() {"), setup.index('if [ -z "$PYTHON" ]; then')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.13").write_text("#!/bin/sh\nexit 127\n")
    (bin_dir / "python3.13").chmod(0o755)
    (bin_dir / "python3.12").symlink_to(sys.executable)
    script = setup[start:end] + 'echo "chose $PYTHON"\n'
    completed = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert completed.stdout.strip() == "chose python3.12", completed.stdout + completed.stderr
