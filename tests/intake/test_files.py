"""Intake: the six module files are found wherever they sit, and nothing else is ever taken."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.intake import files as intake
from grader_support import ROOT, MODULES

SOURCES = {module: f"# {module} module\nVALUE = {index}\n" for index, module in enumerate(MODULES)}


def write_zip(path: Path, entries: dict[str, str | bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, target)
    return path


def test_modules_nested_in_a_zip_are_found_and_clutter_is_ignored(tmp_path):
    entries = {f"PA3/src/{module}.py": source for module, source in SOURCES.items()}
    entries |= {"__MACOSX/PA3/src/._layers.py": b"\x00\x05", "PA3/conftest.py": "boom", "PA3/numpy.py": "boom",
                "PA3/sitecustomize.py": "boom", "PA3/layers.py~": "old", "PA3/.hidden/util.py": "old"}
    submission = intake.read_submission(write_zip(tmp_path / "alice.zip", entries))
    assert submission.id == "alice" and submission.problem is None
    assert {name: data.decode() for name, data in submission.modules.items()} == {f"{m}.py": s for m, s in SOURCES.items()}
    assert any("ignored: conftest.py, numpy.py, sitecustomize.py" in note for note in submission.notes)


def test_zip_entries_that_escape_or_link_are_refused_and_never_written(tmp_path):
    archive = write_zip(
        tmp_path / "evil.zip",
        {"../../activations.py": "escaped", "/etc/layers.py": "absolute", "C:/loss.py": "drive", "ok/util.py": SOURCES["util"]},
        symlinks={"ok/model.py": "/etc/passwd"},
    )
    submission = intake.read_submission(archive)
    assert set(submission.modules) == {"util.py"}
    notes = "\n".join(submission.notes)
    for refused in ("'../../activations.py': it points outside", "'/etc/layers.py': it points outside", "'C:/loss.py': it points outside", "'ok/model.py': it is a symbolic link"):
        assert refused in notes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip"]


def test_a_zip_bomb_is_refused_before_anything_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ARCHIVE_BYTES", 10_000)
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("util.py", "x" * 20_000)
    submission = intake.read_submission(tmp_path / "bomb.zip")
    assert submission.problem and "zip bomb" in submission.problem and not submission.modules


def test_oversized_undecodable_and_linked_module_files_are_refused(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "util.py").write_bytes(b"#" * (intake.MAX_MODULE_BYTES + 1))
    (folder / "loss.py").write_bytes(b"x = '\xff\xfe'\n")
    (folder / "secret.txt").write_text("secret")
    os.symlink(folder / "secret.txt", folder / "model.py")
    (folder / "layers.py").mkdir()  # a folder named like a module is not a module
    (folder / "activations.py").write_text(SOURCES["activations"])
    submission = intake.read_submission(folder)
    assert set(submission.modules) == {"activations.py"}
    notes = "\n".join(submission.notes)
    assert "util.py is larger than" in notes and "loss.py is not UTF-8" in notes and "model.py is a link" in notes
    assert submission.missing == ["layers", "loss", "model", "optimizer", "util"]


def test_with_two_copies_the_folder_holding_the_most_modules_wins(tmp_path):
    folder = tmp_path / "carol"
    for module, source in SOURCES.items():
        (folder / "final").mkdir(parents=True, exist_ok=True)
        (folder / "final" / f"{module}.py").write_text(source)
    (folder / "layers.py").write_text("# an old draft\n")
    submission = intake.read_submission(folder)
    assert submission.modules["layers.py"].decode() == SOURCES["layers"]
    assert any("found 2 files named layers.py; graded final/layers.py" in note for note in submission.notes)


def test_unreadable_submissions_are_reported(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"not a zip at all")
    (tmp_path / "notes.txt").write_text("hello")
    assert "not a readable zip file" in intake.read_submission(tmp_path / "broken.zip").problem
    assert "neither a folder nor a .zip" in intake.read_submission(tmp_path / "notes.txt").problem
    assert "does not exist" in intake.read_submission(tmp_path / "missing").problem
    empty = intake.read_submission(tmp_path)
    assert not empty.modules and empty.missing == sorted(MODULES) and empty.problem is None


def test_batches_are_recognised_and_ids_are_unique(tmp_path):
    batch = tmp_path / "batch"
    for name in ("alice", "bob"):
        (batch / name / "deep").mkdir(parents=True)
        (batch / name / "deep" / "util.py").write_text(SOURCES["util"])
    write_zip(batch / "alice.zip", {"util.py": SOURCES["util"]})
    (batch / "README.txt").write_text("not a submission")
    (batch / "__MACOSX").mkdir()
    single = tmp_path / "single"
    (single / "PA3").mkdir(parents=True)
    (single / "PA3" / "util.py").write_text(SOURCES["util"])
    assert intake.looks_like_batch(batch) and not intake.looks_like_batch(single)
    found = intake.expand([batch, single], batch=False)
    assert [p.name for p in found] == ["alice", "alice.zip", "bob", "single"]
    assert intake.unique_ids(found) == ["alice", "alice-2", "bob", "single"]
    assert intake.submission_id(Path("/x/Ünïcode name (1).zip")) == "_n_code_name__1_"


@pytest.mark.slow
def test_a_syntax_error_is_reported_with_file_and_line_and_costs_only_its_module(tmp_path):
    folder = tmp_path / "dave"
    folder.mkdir()
    for module in MODULES:
        source = (ROOT / "solution" / f"{module}.py").read_text()
        if module == "loss":
            source = source.replace("class MSELoss(Loss):", "class MSELoss(Loss)", 1)
        (folder / f"{module}.py").write_text(source)
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(tmp_path / "out"), "--public-only"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stderr
    feedback = (tmp_path / "out" / "dave" / "feedback.md").read_text()
    assert "SyntaxError in loss.py, line" in feedback and "class MSELoss(Loss)" in feedback
    row = (tmp_path / "out" / "gradebook.csv").read_text().splitlines()[1].split(",")
    assert row[0] == "dave" and row[3] == "0" and row[7] == "43"


def test_ids_never_collide_with_each_other_or_with_the_gradebook():
    paths = [Path("alice"), Path("alice.zip"), Path("alice-2.zip"), Path("gradebook.csv"), Path("gradebook.csv.zip")]
    ids = intake.unique_ids(paths)
    assert len(set(ids)) == len(ids) and "gradebook.csv" not in ids


def test_a_zip_file_over_the_size_cap_is_refused_unopened(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ZIP_FILE_BYTES", 100)
    archive = write_zip(tmp_path / "big.zip", {"util.py": "x = 1\n" * 100})
    submission = intake.read_submission(archive)
    assert submission.problem and "more than the" in submission.problem and not submission.modules


def test_an_encrypted_entry_is_refused_with_a_note_and_only_its_module_falls_back(tmp_path):
    path = write_zip(tmp_path / "locked.zip", {f"hw/{module}.py": source for module, source in SOURCES.items()})
    # Mark hw/loss.py encrypted (bit 0 of its flags, in its local and central headers), as a
    # password-protected zip would: the grader has no password and must not try.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        data[archive.getinfo("hw/loss.py").header_offset + 6] |= 0x1
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = int.from_bytes(data[central + 28 : central + 30], "little")
        if bytes(data[central + 46 : central + 46 + name_length]) == b"hw/loss.py":
            data[central + 8] |= 0x1
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    submission = intake.read_submission(path)
    assert submission.problem is None and submission.missing == ["loss"]
    assert any("refused 'hw/loss.py': it is encrypted" in note for note in submission.notes), submission.notes


def test_a_coding_declaration_other_than_utf8_is_refused_so_python_and_the_grader_read_the_same(tmp_path):
    folder = tmp_path / "coded"
    folder.mkdir()
    for module, source in SOURCES.items():
        (folder / f"{module}.py").write_text(source)
    (folder / "util.py").write_bytes(b"# -*- coding: utf-7 -*-\n" + SOURCES["util"].encode())
    (folder / "loss.py").write_bytes(b"#!/usr/bin/env python\n# coding=utf-8\n" + SOURCES["loss"].encode())
    submission = intake.read_submission(folder)
    assert submission.missing == ["util"] and "loss.py" in submission.modules
    assert any("declares the encoding 'utf-7'" in note for note in submission.notes), submission.notes
