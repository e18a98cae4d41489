"""Build the two bundles: dist/student.zip for students, dist/gradescope.zip for Gradescope.

Usage: python scripts/make_dist.py student|gradescope [--out DIR]

student.zip     starter/, the student notebooks, data/, the handout (markdown, HTML, figures), the
                report template (report/), and the public half of the grader (checks, harness,
                public reference outputs), with a Makefile whose `make check` sets itself up. No solution code, no hidden test inputs
                or outputs, and no generator of them (tests/test_dist.py proves it).
gradescope.zip  setup.sh and run_autograder at the root, the whole grader with the public and hidden
                reference outputs, pristine starter stubs, and the pinned packages grading needs.

Both archives are reproducible: sorted entries, fixed timestamps.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import re
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_TEMPLATES = Path(__file__).resolve().parent / "bundle"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
STUDENT_ROOT = "nn-assignment"

# Grader files no bundle needs: cases.py describes the hidden and fresh inputs (and is only used to
# make the reference outputs).
GRADER_LEFT_OUT = {"cases.py"}
NOTEBOOK_SUPPORT = ["__init__.py", "plotting.py", "not_implemented.py"]


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    header = f"# Pinned packages for {' and '.join(roots)} only (from requirements.txt, by scripts/make_dist.py).\n"
    return header + "\n".join(chosen) + "\n"


def grader_files(variants: tuple[str, ...]) -> dict[str, bytes]:
    """The autograder package with the reference outputs of ``variants`` and pristine stubs."""
    files = {
        f"autograder/{path.name}": path.read_bytes()
        for path in sorted((ROOT / "autograder").iterdir())
        if path.is_file() and path.suffix in (".py", ".toml") and path.name not in GRADER_LEFT_OUT
    }
    for folder in ("checks", "harness"):
        files.update(tree(f"autograder/{folder}"))
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
        html = load_script("make_handout").write_html(ROOT / "handout.md", Path(folder) / "handout.html")
        files["handout.html"] = Path(html).read_bytes()
    files.update(grader_files(("public",)))
    files["requirements.txt"] = (ROOT / "requirements.txt").read_bytes()
    files["requirements-check.txt"] = pinned_closure(ROOT / "requirements.txt", ["numpy", "pytest"]).encode()
    for name in ("Makefile", "README.md"):
        files[name] = (BUNDLE_TEMPLATES / "student" / name).read_bytes()
    return {f"{STUDENT_ROOT}/{path}": data for path, data in files.items()}


def gradescope_files() -> dict[str, bytes]:
    files = grader_files(("public", "fresh", "hidden"))
    files["requirements-grader.txt"] = pinned_closure(ROOT / "requirements.txt", ["numpy", "pytest"]).encode()
    for name in ("setup.sh", "run_autograder"):
        files[name] = (BUNDLE_TEMPLATES / "gradescope" / name).read_bytes()
    return files


EXECUTABLE = re.compile(r"(^|/)(setup\.sh|run_autograder)$")


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
    parser.add_argument("bundle", choices=("student", "gradescope"))
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    arguments = parser.parse_args()
    files = student_files() if arguments.bundle == "student" else gradescope_files()
    arguments.out.mkdir(parents=True, exist_ok=True)
    target = arguments.out / f"{arguments.bundle}.zip"
    target.write_bytes(zip_bytes(files))
    print(f"wrote {target} ({len(files)} files, {target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
