"""The PrairieLearn question: its grader runs in a temporary root laid out as PrairieLearn lays out
/grade, with a Python that, like PrairieLearn's grader-python image, has numpy but no pytest, in
each sandbox (bubblewrap, plain processes, and `auto` with no bubblewrap on the PATH, as in the
image). The results file is checked field by field, student code cannot read the grader, and
the hidden tests' expected values never reach the student."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import mutants
from autograder.reference import load_references
from autograder.rubric import load_rubric
from grader_support import ROOT, isolations, mode_available, solution_with

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="PrairieLearn runs the grader as root; the test needs root to drop to the sandbox user"),
]
GRADER = "serverFilesCourse/nn_grader"
# The three ways the question meets a sandbox: asked for by name, and auto where bwrap is absent.
SANDBOXES = [*isolations(), pytest.param("auto-without-bwrap", id="auto-without-bwrap"), pytest.param("no-safe-mode", id="no-safe-mode")]


@pytest.fixture(scope="module")
def question(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pl-dist")
    completed = subprocess.run([sys.executable, "-m", "scripts.make_dist", "prairielearn", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return out / "prairielearn"


@pytest.fixture(scope="module")
def image_python(tmp_path_factory) -> str:
    """A Python with numpy and without pytest, like PrairieLearn's grader-python image."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    source = Path(sysconfig.get_paths()["purelib"])
    for name in ("numpy", "numpy.libs", f"numpy-{np.__version__}.dist-info"):
        if (source / name).exists():
            shutil.copytree(source / name, target / name, copy_function=link_or_copy)
    assert subprocess.run([str(python), "-c", "import numpy"]).returncode == 0
    assert subprocess.run([str(python), "-c", "import pytest"], capture_output=True).returncode != 0
    return str(python)


def link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@pytest.fixture(scope="module")
def path_without_bwrap(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("no-bwrap-bin")
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for entry in Path(directory).iterdir():
            if entry.name != "bwrap" and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return str(folder)


def grade_root(base: Path, question: Path, student: Path) -> Path:
    """/grade as PrairieLearn builds it: serverFilesCourse (and its copy in shared), tests, student, data."""
    root = base / "grade"
    shutil.copytree(question / "serverFilesCourse", root / "serverFilesCourse", symlinks=True)
    shutil.copytree(question / "serverFilesCourse", root / "shared", symlinks=True)
    (root / "tests").mkdir()
    shutil.copytree(student, root / "student")
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps({"params": {}, "submitted_answers": {}}))
    return root


def run_question(root: Path, sandbox: str, image_python: str, path_without_bwrap: str) -> dict:
    env = {**os.environ, "PL_GRADE_ROOT": str(root), "NN_GRADER_PYTHON": image_python, "NN_GRADER_ISOLATION": sandbox}
    if sandbox == "auto-without-bwrap":
        env.update(NN_GRADER_ISOLATION="auto", PATH=path_without_bwrap)
    if sandbox == "no-safe-mode":  # a container where neither bubblewrap nor Landlock works
        env.update(NN_GRADER_ISOLATION="auto", PATH=path_without_bwrap, NN_GRADER_SKIP_MODES="bubblewrap,landlock")
    entrypoint = root / GRADER / "run.sh"
    completed = subprocess.run(["bash", str(entrypoint)], capture_output=True, text=True, env=env, timeout=300)
    assert completed.returncode == 0, completed.stderr
    results = root / "results" / "results.json"
    assert results.stat().st_size < 1_000_000  # PrairieLearn's limit
    return json.loads(results.read_text())


def validate(document: dict) -> None:
    """PrairieLearn's results format, field by field."""
    assert document["gradable"] is True
    assert isinstance(document["score"], float) and 0.0 <= document["score"] <= 1.0
    assert isinstance(document["message"], str) and document["message"]
    assert isinstance(document["output"], str)
    tests = document["tests"]
    assert isinstance(tests, list) and tests
    for test in tests:
        assert set(test) == {"name", "description", "points", "max_points", "message", "output"}, test
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["description"], str) and test["description"]
        assert all(isinstance(test[key], float) for key in ("points", "max_points"))
        assert 0.0 <= test["points"] <= test["max_points"] and test["max_points"] > 0
        assert isinstance(test["message"], str) and isinstance(test["output"], str)
        assert (test["message"] == "passed") == (test["points"] == test["max_points"])
    assert len({test["name"] for test in tests}) == len(tests)
    total = sum(test["max_points"] for test in tests)
    assert total == load_rubric().total
    assert document["score"] == pytest.approx(sum(test["points"] for test in tests) / total)


def test_the_question_is_a_prairielearn_external_grading_question(question):
    info = json.loads((question / "questions" / "nn-assignment" / "info.json").read_text())
    assert {"uuid", "type", "title", "topic"} <= set(info) and info["type"] == "v3"
    assert info["gradingMethod"] == "External"
    options = info["externalGradingOptions"]
    assert options["image"] == "prairielearn/grader-python"
    assert options["entrypoint"] == f"/grade/{GRADER}/run.sh" and options["serverFilesCourse"] == ["nn_grader/"]
    assert 60 < options["timeout"] <= 600
    page = (question / "questions" / "nn-assignment" / "question.html").read_text()
    upload = re.search(r'<pl-file-upload file-names="([^"]+)"', page)
    assert upload and sorted(name.strip() for name in upload[1].split(",")) == sorted(f"{m}.py" for m in mutants.MODULES)
    assert "<pl-external-grader-results>" in page
    vendor = question / GRADER / "vendor"
    assert (vendor / "pytest").is_dir() and not list(vendor.rglob("*.so")) and not (vendor / "numpy").exists()
    manifest = json.loads((question / GRADER / "autograder" / "reference" / "manifest.json").read_text())
    assert {path.split("/")[0] for path in manifest} == {"public", "fresh", "hidden"}


def test_a_correct_submission_gets_full_marks_in_a_valid_results_file(question, image_python, path_without_bwrap, tmp_path):
    """As in PrairieLearn's image: no bubblewrap, the sandbox left to choose (auto)."""
    root = grade_root(tmp_path, question, solution_with(tmp_path / "upload"))
    document = run_question(root, "auto-without-bwrap", image_python, path_without_bwrap)
    validate(document)
    assert document["score"] == 1.0
    assert {"[public]", "[hidden]"} <= {re.search(r"\[\w+\]", test["name"])[0] for test in document["tests"]}
    expected = "landlock" if mode_available("landlock")[0] else "process"
    assert f"Sandbox: {expected}" in document["output"]
    fallback = run_question(grade_root(tmp_path / "fallback", question, solution_with(tmp_path / "upload2")), "no-safe-mode", image_python, path_without_bwrap)
    validate(fallback)
    assert fallback["score"] == 1.0 and "Sandbox: process" in fallback["output"], "no safe mode: the explicit process mode"


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_student_code_cannot_read_the_grader(question, image_python, path_without_bwrap, tmp_path, sandbox):
    root = tmp_path / "grade"
    targets = [root / GRADER / "autograder" / "reference" / "hidden" / "loss.npz", root / "shared" / "nn_grader" / "autograder" / "grading.py", root / "data" / "data.json"]
    spy = (
        "def _try(path):\n"
        "    try:\n"
        "        open(path, 'rb').read(1)\n"
        "        return 'READ'\n"
        "    except OSError as error:\n"
        "        return type(error).__name__\n"
        f"raise SystemExit('spy: ' + ' '.join(_try(p) for p in {[str(t) for t in targets]!r}))\n"
    )
    grade_root(tmp_path, question, solution_with(tmp_path / "upload", {"util": spy}))
    document = run_question(root, sandbox, image_python, path_without_bwrap)
    validate(document)
    outputs = "\n".join(test["output"] for test in document["tests"])
    assert "spy: " in outputs and "READ" not in outputs, re.findall(r"spy: .*", outputs)[:1]
    util_points = load_rubric().points("util")
    assert document["score"] == pytest.approx((load_rubric().total - util_points) / load_rubric().total)
    if sandbox in ("bubblewrap", "landlock", "process"):
        expected = sandbox
    else:  # auto: Landlock where bubblewrap is missing, the explicit process mode where both are
        expected = "landlock" if sandbox == "auto-without-bwrap" and mode_available("landlock")[0] else "process"
    assert f"Sandbox: {expected}" in document["output"]


def printed_forms(value: float) -> set[str]:
    """How the grader's messages print a number (numpy's 4 decimals, and %g), kept only when long
    enough that a match cannot be a coincidence."""
    forms = {f"{value:.4f}".rstrip("0"), f"{value:g}", f"{value:.5g}"}
    return {form for form in forms if sum(ch.isdigit() for ch in form) >= 5}


def expected_values(variant: str, test_ids: set[str]) -> set[str]:
    forms = set()
    for test_id, case in load_references(variant).items():
        if test_id in test_ids:
            for array in case.outputs.values():
                for value in np.asarray(array, dtype=float).ravel()[:200]:
                    if np.isfinite(value) and abs(value) > 1e-3:
                        forms |= printed_forms(float(value))
    return forms


def test_hidden_expected_values_never_reach_the_student(question, image_python, path_without_bwrap, tmp_path):
    chosen = ["layer_bias_gradient_averaged", "adam_without_bias_correction"]
    changes = mutants.merged(*(m for m in mutants.MUTANTS if m.name in chosen))
    assert set(changes) == {"layers", "optimizer"}
    root = grade_root(tmp_path, question, mutants.build(changes, tmp_path / "upload"))
    document = run_question(root, "process", image_python, path_without_bwrap)
    validate(document)
    failed = {test["name"].split(" ")[0] for test in document["tests"] if test["points"] < test["max_points"]}
    assert {name.split(".")[0] for name in failed} == {"layers", "optimizer"}
    public_text = "\n".join(test["output"] for test in document["tests"] if "[public]" in test["name"])
    assert any(form in public_text for form in expected_values("public", failed)), "the scan must find the expected values public tests show"
    # What a student reads about hidden tests (and the whole-submission text). Public tests show
    # public values; a hidden value printed anywhere else would be a leak.
    hidden_text = "\n".join([document["message"], document["output"]] + [test["output"] for test in document["tests"] if "[hidden]" in test["name"]])
    assert any("[hidden]" in test["name"] and test["output"] for test in document["tests"])
    printed = np.array2string(next(iter(load_references("hidden")["layers.backward_bias"].outputs.values())), precision=4)
    assert any(form in printed for form in expected_values("hidden", {"layers.backward_bias"})), "the scan must recognise printed values"
    for variant in ("hidden", "fresh"):
        leaked = sorted(form for form in expected_values(variant, failed) if form in hidden_text)
        assert not leaked, f"{variant} expected values in the results: {leaked[:5]}"


def test_a_submission_without_the_modules_is_not_gradable(question, image_python, path_without_bwrap, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "notes.txt").write_text("I forgot the files")
    root = grade_root(tmp_path, question, upload)
    document = run_question(root, "process", image_python, path_without_bwrap)
    assert document["gradable"] is False and "tests" not in document
    assert document["format_errors"] and "none of the six module files" in document["format_errors"][0]


def test_a_grader_that_cannot_run_gives_a_not_gradable_result(question, path_without_bwrap, tmp_path):
    root = grade_root(tmp_path, question, solution_with(tmp_path / "upload"))
    document = run_question(root, "process", "/bin/false", path_without_bwrap)
    assert document["gradable"] is False and "course staff" in document["message"]


def test_what_a_submission_says_during_hidden_tests_is_not_shown(question, image_python, path_without_bwrap, tmp_path):
    """PrairieLearn shows every test at once: a submission that prints its inputs and raises them
    in its error message must not get a hidden input in front of the student."""
    leaky = (ROOT / "solution" / "activations.py").read_text().replace(
        "        return 1.0 / (1.0 + np.exp(-Z))",
        "        print('INPUT', repr(float(Z.ravel()[0])))\n        raise ValueError('LEAK ' + repr(float(Z.ravel()[0])))", 1)
    assert "LEAK" in leaky
    root = grade_root(tmp_path, question, solution_with(tmp_path / "upload", {"activations": leaky}))
    document = run_question(root, "process", image_python, path_without_bwrap)
    validate(document)
    shown = json.dumps(document)
    public = float(load_references("public")["activations.sigmoid_forward"].inputs["Z"].ravel()[0])
    assert f"LEAK {public!r}" in shown, "public tests still show what the code raised"
    for variant in ("hidden", "fresh"):
        secret = float(load_references(variant)["activations.sigmoid_forward"].inputs["Z"].ravel()[0])
        assert repr(secret) not in shown, variant
    sigmoid = [test for test in document["tests"] if test["name"].startswith("activations.sigmoid_forward")]
    assert any("[hidden]" in test["name"] and "details are not shown" in test["output"] for test in sigmoid), sigmoid
