"""Every committed generated artifact is what its generator makes from the current sources.

Each generator has a --check mode that regenerates in memory, compares with the committed files
and writes nothing (the handout's check covers its generated regions and the report template).

The figures are checked against the ones the solution notebooks draw in this test session (the
notebook executions are shared with test_notebooks.py, see notebook_runs.py). On this machine
`make handout` rewrites them byte for byte, but PNG bytes from another BLAS, matplotlib or zlib
build may differ without anything being stale, so the comparison is of pixels: same size, and
almost every pixel the same (``FIGURE_TOLERANCE``). A figure replaced by another image, or drawn
from other numbers, fails.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from grader_support import ROOT

GENERATORS = {
    "starter/ (make starter)": ["-m", "scripts.make_starter", "--check"],
    "reference outputs (make reference)": ["-m", "scripts.make_reference", "--check"],
    "student notebooks (make notebooks)": ["-m", "scripts.make_notebooks", "--check"],
    "handout's generated regions and the report template (make handout)": ["-m", "scripts.make_handout", "--check"],
    "sample submissions (make examples)": ["-m", "scripts.make_examples", "--check"],
    "the docs' tables from the code (make docs)": ["-m", "scripts.make_docs", "--check"],
}


@pytest.mark.parametrize("command", GENERATORS.values(), ids=GENERATORS.keys())
def test_committed_artifact_is_up_to_date(command):
    completed = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"stale; regenerate with `make all`:\n{completed.stdout}{completed.stderr}"


def test_make_all_runs_every_generator():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("all regenerate:", 1)[1].split("\n\n", 1)[0]
    for script in ("make_data", "make_starter", "make_reference", "make_notebooks", "make_handout", "make_examples", "make_docs", "make_dist student", "make_dist gradescope"):
        assert script in recipe, script


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------

# Pixels may differ by this much in a channel (out of 255) without counting as different: the
# anti-aliasing of another build. At most this share of the pixels may differ by more: a boundary
# moved by a pixel or a digit redrawn, not a changed picture.
FIGURE_TOLERANCE = {"channel_difference": 24, "share_of_pixels": 0.01}


def pixels(path):
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def figure_difference(committed, regenerated) -> str | None:
    """Why two figure files are not the same picture, or None if they are (within the tolerance)."""
    if committed.read_bytes() == regenerated.read_bytes():
        return None
    old, new = pixels(committed), pixels(regenerated)
    if old.shape != new.shape:
        return f"size {old.shape[1]}x{old.shape[0]} where the notebook draws {new.shape[1]}x{new.shape[0]}"
    differing = float(np.mean(np.abs(old - new).max(axis=2) > FIGURE_TOLERANCE["channel_difference"]))
    if differing > FIGURE_TOLERANCE["share_of_pixels"]:
        return f"{differing:.1%} of its pixels differ from what the notebook draws"
    return None


def load_make_handout():
    import importlib

    return importlib.import_module("scripts.make_handout")


FIGURE_NAMES = sorted(load_make_handout().FIGURES)


@pytest.mark.slow
@pytest.mark.parametrize("name", FIGURE_NAMES)
def test_committed_figure_is_what_the_notebooks_draw(name):
    from notebook_runs import FIGURE_DIR, executed

    notebook = load_make_handout().FIGURES[name][0]
    result = executed()[("solution", notebook)]
    assert result.error is None, f"{notebook} failed, so {name} could not be redrawn:\n{result.error}"
    committed, regenerated = ROOT / "figures" / name, FIGURE_DIR / name
    assert committed.is_file(), f"figures/{name} is missing: run `make handout`"
    problem = figure_difference(committed, regenerated)
    assert problem is None, f"figures/{name} is stale: {problem}; run `make handout`"


def test_the_figure_check_tells_pictures_apart(tmp_path):
    from PIL import Image

    figures = ROOT / "figures"
    same = tmp_path / "same.png"
    Image.open(figures / "iris_loss.png").convert("RGB").save(same, compress_level=1)  # other bytes, same pixels
    assert figure_difference(figures / "iris_loss.png", same) is None
    other = tmp_path / "other.png"
    Image.open(figures / "digits_confusion.png").convert("RGB").resize(Image.open(figures / "iris_loss.png").size).save(other)
    assert "pixels differ" in figure_difference(figures / "iris_loss.png", other)
    assert "size" in figure_difference(figures / "iris_loss.png", figures / "digits_confusion.png")
    nudged = tmp_path / "nudged.png"
    array = pixels(figures / "iris_loss.png").astype(np.uint8)
    array[:40] = 255 - array[:40]  # a band of the picture redrawn
    Image.fromarray(array).save(nudged)
    assert figure_difference(figures / "iris_loss.png", nudged) is not None
