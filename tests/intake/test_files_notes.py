"""What intake tells the student about their upload: where the graded modules were found, and the
clutter it left out (macOS metadata, caches, notebook checkpoints), in folders and in zips alike."""

from __future__ import annotations

import zipfile

from autograder.intake import files as intake
from grader_support import MODULES


def test_a_zip_names_the_folder_graded_and_the_clutter_left_out(tmp_path):
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for module in MODULES:
            bundle.writestr(f"hw3/src/{module}.py", f"# {module}\n")
        bundle.writestr("__MACOSX/hw3/src/._util.py", b"\x00\x05")
        bundle.writestr("hw3/src/__pycache__/util.cpython-311.pyc", b"\x00")
        bundle.writestr("hw3/.ipynb_checkpoints/util-checkpoint.py", "# old\n")
    notes = intake.read_submission(archive).notes
    assert "modules found in hw3/src/" in notes
    assert "ignored as clutter, not code: .ipynb_checkpoints/, __MACOSX/, __pycache__/" in notes


def test_a_folder_says_the_same_and_names_each_folder_when_modules_are_split(tmp_path):
    folder = tmp_path / "bob"
    for module in MODULES:
        target = folder / ("extra" if module == "util" else "code") / f"{module}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"# {module}\n")
    (folder / "code" / "__pycache__").mkdir()
    (folder / "code" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\x00")
    (folder / "code" / "._layers.py").write_bytes(b"\x00")
    notes = intake.read_submission(folder).notes
    assert "modules found in code/ (activations, layers, loss, model, optimizer); extra/ (util)" in notes
    assert any(note.startswith("ignored as clutter, not code: ") and "__pycache__/" in note and "._* files" in note for note in notes)


def test_a_tidy_submission_says_only_where_its_modules_are(tmp_path):
    folder = tmp_path / "carol"
    folder.mkdir()
    for module in MODULES:
        (folder / f"{module}.py").write_text(f"# {module}\n")
    assert intake.read_submission(folder).notes == ["modules found at the top of the submission"]
