"""Build the bundles: dist/student.zip for students, dist/gradescope.zip for Gradescope, and
dist/prairielearn/ for PrairieLearn.

Usage: python -m scripts.make_dist student|gradescope|prairielearn [--out DIR]

student.zip     starter/, the student notebooks, data/, the handout (markdown, HTML, figures), the
                report template (report/), and the public half of the grader (checks, harness,
                public reference outputs), with a Makefile whose `make check` sets itself up. No solution code, no hidden test inputs
                or outputs, and no generator of them (tests/test_dist.py proves it).
gradescope.zip  setup.sh and run_autograder at the root, the whole grader with the public and hidden
                reference outputs, pristine starter stubs, and the pinned packages grading needs.

prairielearn/   a question (questions/nn-assignment/: info.json with external grading, question.html)
                and its grader (serverFilesCourse/nn_grader/: run.sh, the whole grader as for
                Gradescope, and vendor/ with pytest and its pure-Python dependencies, which
                PrairieLearn's Python image lacks), to copy into a course.

Both archives are reproducible: sorted entries, fixed timestamps.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import sys
import tempfile
import uuid
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_TEMPLATES = Path(__file__).resolve().parent / "bundle"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
PINNED = ROOT / "requirements" / "test.txt"  # every package of every set, pinned by `make lock`
STUDENT_ROOT = "nn-assignment"

# Grader files no bundle takes from the kit as they are: cases.py describes the hidden and fresh
# inputs (and is only used to make the reference outputs); the reference outputs and the stubs are
# chosen per bundle below.
GRADER_LEFT_OUT = {"cases.py", "reference", "stubs"}
GRADER_SUFFIXES = (".py", ".toml", ".ini", ".html")
NOTEBOOK_SUPPORT = ["__init__.py", "plotting.py", "not_implemented.py"]
# What the student notebooks (and the check) need: the student bundle's requirements.txt.
NOTEBOOK_PACKAGES = ["numpy", "pytest", "matplotlib", "pandas", "ipykernel", "tqdm", "ipywidgets"]



def tree(folder: str, pattern: str = "*") -> dict[str, bytes]:
    """Every file under ROOT/folder matching ``pattern`` (no caches), keyed by relative path."""
    return {
        str(path.relative_to(ROOT)): path.read_bytes()
        for path in sorted((ROOT / folder).rglob(pattern))
        if path.is_file() and "__pycache__" not in path.parts
    }


def pinned_closure(requirements: Path, roots: list[str]) -> str:
    """The lines of ``requirements`` for ``roots`` and everything they need (from installed metadata)."""
    wanted, todo = set(), list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in wanted:
            continue
        wanted.add(name)
        for requirement in map(Requirement, metadata.requires(name) or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    lines = [line for line in requirements.read_text().splitlines() if line and not line.startswith("#")]
    chosen = [line for line in lines if re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() in wanted]
    header = f"# Pinned packages for {', '.join(roots)} and what they need (from the kit's requirements/test.txt, by scripts/make_dist.py).\n"
    return header + "\n".join(chosen) + "\n"


def grader_files(variants: tuple[str, ...]) -> dict[str, bytes]:
    """The autograder package with the reference outputs of ``variants`` and pristine stubs."""
    files = {
        path: data
        for path, data in tree("autograder").items()
        if Path(path).parts[1] not in GRADER_LEFT_OUT and Path(path).suffix in GRADER_SUFFIXES
    }
    manifest = json.loads((ROOT / "autograder" / "reference" / "manifest.json").read_text())
    kept = {path: digest for path, digest in manifest.items() if path.split("/", 1)[0] in variants}
    for path in kept:
        files[f"autograder/reference/{path}"] = (ROOT / "autograder" / "reference" / path).read_bytes()
    files["autograder/reference/manifest.json"] = (json.dumps(kept, indent=2) + "\n").encode()
    for path in sorted((ROOT / "starter").glob("*.py")):
        files[f"autograder/stubs/{path.name}"] = path.read_bytes()
    return files


def student_files() -> dict[str, bytes]:
    files = {}
    files.update(tree("starter", "*.py"))
    files.update(tree("data", "*.csv"))
    files.update(tree("figures", "*.png"))
    files.update(tree("notebooks/student", "*.ipynb"))
    files.update(tree("report", "report_template.*"))
    for name in NOTEBOOK_SUPPORT:
        files[f"notebooks/{name}"] = (ROOT / "notebooks" / name).read_bytes()
    files["handout.md"] = (ROOT / "handout.md").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        from scripts.make_handout import write_html  # markdown-it and its plugins: only for the student bundle

        html = write_html(ROOT / "handout.md", Path(folder) / "handout.html")
        files["handout.html"] = Path(html).read_bytes()
    files.update(grader_files(("public",)))
    files["requirements.txt"] = pinned_closure(PINNED, NOTEBOOK_PACKAGES).encode()
    files["requirements-check.txt"] = pinned_closure(PINNED, ["numpy", "pytest"]).encode()
    for name in ("Makefile", "README.md"):
        files[name] = (BUNDLE_TEMPLATES / "student" / name).read_bytes()
    leaked = [path for path in files if "answer_key" in path]
    if leaked:  # report/answer_key.* is staff-only (scripts/answer_key.py)
        raise SystemExit(f"the student bundle would contain the answer key: {leaked}")
    return {f"{STUDENT_ROOT}/{path}": data for path, data in files.items()}


def gradescope_files() -> dict[str, bytes]:
    files = grader_files(("public", "fresh", "hidden"))
    files["requirements-grader.txt"] = pinned_closure(PINNED, ["numpy", "pytest"]).encode()
    for name in ("setup.sh", "run_autograder"):
        files[name] = (BUNDLE_TEMPLATES / "gradescope" / name).read_bytes()
    return files


PL_QUESTION = "nn-assignment"
PL_GRADER = "nn_grader"
PL_TIMEOUT = 120  # seconds PrairieLearn allows a grading job; run.sh stops a submission after 60


def vendored(roots: list[str], leave_out: set[str]) -> dict[str, bytes]:
    """The installed files of ``roots`` and everything they need, but ``leave_out``, as a
    site-packages folder; pure Python only (the image's Python may be another version)."""
    wanted, todo = set(), list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in wanted or name in leave_out:
            continue
        wanted.add(name)
        for requirement in map(Requirement, metadata.requires(name) or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    files = {}
    for name in sorted(wanted):
        distribution = metadata.distribution(name)
        for entry in distribution.files or []:
            path = str(entry)
            if path.startswith("..") or "__pycache__" in path or path.endswith((".pyc", "RECORD", "INSTALLER", "REQUESTED")):
                continue
            if path.endswith((".so", ".pyd", ".dylib")):
                raise SystemExit(f"{name} is not pure Python ({path}); it cannot be vendored for PrairieLearn")
            files[path] = Path(distribution.locate_file(entry)).read_bytes()
    return files


def prairielearn_info() -> dict:
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "nn-assignment/prairielearn/question")),
        "title": "Feed-forward neural network in NumPy",
        "topic": "Neural networks",
        "tags": ["code", "numpy", "autograded"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "image": "prairielearn/grader-python",
            "serverFilesCourse": [f"{PL_GRADER}/"],
            "entrypoint": f"/grade/serverFilesCourse/{PL_GRADER}/run.sh",
            "timeout": PL_TIMEOUT,
        },
    }


def prairielearn_files() -> dict[str, bytes]:
    templates = BUNDLE_TEMPLATES / "prairielearn"
    grader = f"serverFilesCourse/{PL_GRADER}"
    files = {f"{grader}/{path}": data for path, data in grader_files(("public", "fresh", "hidden")).items()}
    files.update({f"{grader}/vendor/{path}": data for path, data in vendored(["pytest"], {"numpy"}).items()})
    files[f"{grader}/run.sh"] = (templates / "run.sh").read_bytes()
    files[f"questions/{PL_QUESTION}/info.json"] = (json.dumps(prairielearn_info(), indent=2) + "\n").encode()
    files[f"questions/{PL_QUESTION}/question.html"] = (templates / "question.html").read_bytes()
    files["README.md"] = (templates / "README.md").read_bytes()
    return files


def write_folder(files: dict[str, bytes], folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for path, data in sorted(files.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o755 if EXECUTABLE.search(path) else 0o644)


EXECUTABLE = re.compile(r"(^|/)(setup\.sh|run_autograder|run\.sh)$")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.external_attr = (0o755 if EXECUTABLE.search(path) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path])
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundle", choices=("student", "gradescope", "prairielearn"))
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    if arguments.bundle == "prairielearn":
        target = arguments.out / "prairielearn"
        files = prairielearn_files()
        write_folder(files, target)
        print(f"wrote {target}/ ({len(files)} files): copy questions/ and serverFilesCourse/ into a course")
        return 0
    files = student_files() if arguments.bundle == "student" else gradescope_files()
    target = arguments.out / f"{arguments.bundle}.zip"
    target.write_bytes(zip_bytes(files))
    print(f"wrote {target} ({len(files)} files, {target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
