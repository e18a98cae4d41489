"""The similarity check: planted copies (renamed variables, reordered methods and functions,
rewritten comments, and all three) among independent correct solutions. Every planted pair is
flagged; no independent pair is; and without the starter excluded as boilerplate, independent
pairs would be flagged too (the exclusion is what keeps them apart)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile
from itertools import combinations
from pathlib import Path

import pytest

from grader_support import ROOT, MODULES, grade, gradebook

from similarity import implementations, plant

pytestmark = pytest.mark.slow

# Each planted copy: (the original, its disguises).
PLANTED = {
    "copies_terse": ("terse", ["renamed"]),
    "copies_verbose": ("verbose", ["reordered"]),
    "copies_mathematical": ("mathematical", ["recommented"]),
    "copies_pragmatic": ("pragmatic", ["renamed", "reordered", "recommented"]),
}


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("similarity") / "submissions"
    folder.mkdir()
    for style in implementations.STYLES:
        implementations.submission(style, folder / style)
    shutil.copytree(ROOT / "solution", folder / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    for seed, (name, (original, disguises)) in enumerate(PLANTED.items()):
        target = folder / name
        target.mkdir()
        for module in MODULES:
            source = (folder / original / f"{module}.py").read_text()
            given = (ROOT / "starter" / f"{module}.py").read_text()
            (target / f"{module}.py").write_text(plant.disguise(source, given, disguises, seed))
    # One copy arrives as students zip things: nested, with macOS clutter.
    with zipfile.ZipFile(folder / "copies_pragmatic.zip", "w") as archive:
        for module in MODULES:
            archive.write(folder / "copies_pragmatic" / f"{module}.py", f"hw/src/{module}.py")
        archive.writestr("__MACOSX/hw/src/._util.py", b"\x00\x05\x16\x07")
    shutil.rmtree(folder / "copies_pragmatic")
    return folder


def similarity(submissions: Path, out: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict[frozenset, dict]]:
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "similarity", str(submissions), "--out", str(out), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    with open(out / "pairs.csv", newline="") as table:
        rows = {frozenset((row["first"], row["second"])): row for row in csv.DictReader(table)}
    return completed, rows


def test_every_submission_is_a_correct_solution(submissions, tmp_path):
    """The independent solutions and the disguised copies all work: a copier's code runs."""
    out = tmp_path / "grades"
    completed = grade([submissions], out, "--batch", "--public-only", "--jobs", "2")
    assert completed.returncode == 0, completed.stderr
    book = gradebook(out)
    assert len(book) == 9
    assert {row["id"]: row["total"] for row in book.values()} == {row["id"]: row["max"] for row in book.values()}


def test_planted_copies_are_flagged_and_independent_work_is_not(submissions, tmp_path):
    completed, rows = similarity(submissions, tmp_path / "out")
    names = [path.stem for path in submissions.iterdir()]
    assert len(rows) == len(list(combinations(names, 2))) == 36
    planted = {frozenset((copy, original)) for copy, (original, _) in PLANTED.items()}
    flagged = {pair for pair, row in rows.items() if row["flagged"] == "yes"}
    scores = {" ~ ".join(sorted(pair)): float(row["similarity"]) for pair, row in rows.items()}
    print("similarity of every pair:", dict(sorted(scores.items(), key=lambda item: -item[1])))
    assert flagged == planted, scores
    for pair in planted:
        assert " ~ ".join(sorted(pair)) in completed.stdout
    page = (tmp_path / "out" / "report.html").read_text()
    assert all(f"{a} ~ {b}" in page or f"{b} ~ {a}" in page for a, b in map(sorted, planted))
    assert "http://" not in page and "https://" not in page  # readable offline
    assert (tmp_path / "out" / "files" / "copies_pragmatic" / "util.py").is_file()


def test_without_the_starter_as_boilerplate_independent_pairs_would_be_flagged(submissions, tmp_path):
    empty = tmp_path / "no-boilerplate"
    empty.mkdir()
    _, rows = similarity(submissions, tmp_path / "out", "--boilerplate", str(empty))
    independent = [row for pair, row in rows.items() if not any(name.startswith("copies_") for name in pair)]
    assert sum(row["flagged"] == "yes" for row in independent) >= len(independent) // 2


def test_submissions_that_only_hold_the_starter_are_not_flagged(tmp_path):
    folder = tmp_path / "submissions"
    for name in ("first", "second"):
        shutil.copytree(ROOT / "starter", folder / name, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    implementations.submission("terse", folder / "third")
    _, rows = similarity(folder, tmp_path / "out")
    assert not [row for row in rows.values() if row["flagged"]], rows
    assert float(rows[frozenset(("first", "second"))]["similarity"]) == 0.0  # nothing of their own to share
