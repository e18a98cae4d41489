"""Every committed generated artifact is what its generator makes from the current sources.

Each generator has a --check mode that regenerates in memory, compares with the committed files
and writes nothing (the handout's check covers its generated regions and the report template).

The figures are checked against the ones the solution notebooks draw in this test session, as if
on another CPU (the notebook executions are shared with test_notebooks.py, see notebook_runs.py).
PNG pixels from another CPU, BLAS, matplotlib or zlib build may differ without anything being
stale, so what is compared is what each figure shows, saved beside it as data
(notebooks/figure_data.py): its texts, and its curves, points and images within a tolerance. A
figure drawn from other numbers, or with other titles or counts, fails.
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
# Figures: compared by what they show (notebooks/figure_data.py), not by pixels
# --------------------------------------------------------------------------------------------


def load_make_handout():
    import importlib

    return importlib.import_module("scripts.make_handout")


FIGURE_NAMES = sorted(load_make_handout().FIGURES)


def png_size(path) -> list[int]:
    from PIL import Image

    with Image.open(path) as image:
        return list(image.size)


@pytest.mark.slow
@pytest.mark.parametrize("name", FIGURE_NAMES)
def test_committed_figure_shows_what_the_notebooks_draw_on_another_cpu(name):
    from notebook_runs import FIGURE_DIR, executed
    from notebooks.figure_data import differences, load_data

    notebook = load_make_handout().FIGURES[name][0]
    result = executed()[("solution", notebook)]
    assert result.error is None, f"{notebook} failed, so {name} could not be redrawn:\n{result.error}"
    committed = ROOT / "figures" / name
    assert committed.is_file(), f"figures/{name} is missing: run `make handout`"
    saved = load_data(committed)
    width, height = png_size(committed)
    assert saved is not None and abs(width - saved["size"][0]) <= 1 and abs(height - saved["size"][1]) <= 1, \
        f"figures/{name} and its data do not belong together: run `make handout`"
    problems = differences(saved, load_data(FIGURE_DIR / name))
    assert not problems, f"figures/{name} is stale; run `make handout`:\n" + "\n".join(problems[:10])


@pytest.fixture(scope="module")
def confusion_data():
    from notebooks.figure_data import load_data

    return load_data(ROOT / "figures" / "digits_confusion.png")


@pytest.fixture(scope="module")
def curves_data():
    from notebooks.figure_data import load_data

    return load_data(ROOT / "figures" / "iris_loss.png")


def test_the_figure_check_passes_what_another_cpu_can_change(curves_data, confusion_data):
    import copy

    from notebooks.figure_data import differences

    assert differences(curves_data, curves_data) == []
    jittered = copy.deepcopy(curves_data)
    line = np.array(jittered["panels"][0]["lines"][0]["xy"])
    line[:, 1] += 0.003  # a pixel
    jittered["panels"][0]["lines"][0]["xy"] = line.tolist()
    assert differences(curves_data, jittered) == []
    one_more = copy.deepcopy(confusion_data)
    texts = one_more["panels"][0]["texts"]
    texts[0] = str(int(texts[0]) + 1)  # one image predicted otherwise
    assert differences(confusion_data, one_more) == []


def test_the_figure_check_fails_a_changed_picture(curves_data, confusion_data):
    import copy

    from notebooks.figure_data import differences

    moved = copy.deepcopy(curves_data)
    line = np.array(moved["panels"][0]["lines"][0]["xy"])
    line[:, 1] *= 0.9  # the curve drawn from other numbers
    moved["panels"][0]["lines"][0]["xy"] = line.tolist()
    assert any("lines 0" in problem for problem in differences(curves_data, moved))
    retitled = copy.deepcopy(curves_data)
    retitled["panels"][1]["title"] += " (other run)"
    assert any("title" in problem for problem in differences(curves_data, retitled))
    recoloured = copy.deepcopy(confusion_data)
    image = np.array(recoloured["panels"][0]["images"][0])
    recoloured["panels"][0]["images"][0] = (1 - image).tolist()
    assert any("images 0" in problem for problem in differences(confusion_data, recoloured))
    counts = copy.deepcopy(confusion_data)
    counts["panels"][0]["texts"] = [str(int(text) + 5) for text in counts["panels"][0]["texts"]]
    assert any("texts" in problem for problem in differences(confusion_data, counts))
    resized = copy.deepcopy(curves_data)
    resized["size"][0] += 90
    assert differences(curves_data, resized)


def test_make_handout_keeps_a_figure_whose_content_is_unchanged(tmp_path):
    from PIL import Image

    make_handout = load_make_handout()
    committed, drawn = tmp_path / "committed", tmp_path / "drawn"
    committed.mkdir(), drawn.mkdir()
    source = ROOT / "figures" / "iris_loss"
    for folder in (committed, drawn):
        (folder / "iris_loss.json").write_bytes(source.with_suffix(".json").read_bytes())
    (committed / "iris_loss.png").write_bytes(source.with_suffix(".png").read_bytes())
    Image.open(source.with_suffix(".png")).convert("RGB").save(drawn / "iris_loss.png", compress_level=1)  # other bytes
    before = (committed / "iris_loss.png").read_bytes()
    assert make_handout.keep_or_replace(drawn / "iris_loss.png", committed / "iris_loss.png") is False
    assert (committed / "iris_loss.png").read_bytes() == before
    data = (drawn / "iris_loss.json").read_text().replace('"title":"', '"title":"changed ', 1)
    (drawn / "iris_loss.json").write_text(data)
    assert make_handout.keep_or_replace(drawn / "iris_loss.png", committed / "iris_loss.png") is True
    assert (committed / "iris_loss.png").read_bytes() == (drawn / "iris_loss.png").read_bytes()
    assert (committed / "iris_loss.json").read_text() == data


def test_a_figures_data_does_not_depend_on_whether_it_was_drawn():
    import io

    import matplotlib

    matplotlib.use("Agg")
    from notebooks.figure_data import describe
    from notebooks.plotting import plot_curves

    figure = plot_curves({"loss": {"training": [3.0, 2.0, 1.5], "validation": [3.2, 2.5, 2.4]}})
    before = describe(figure, 90)  # matplotlib sets the axes' limits lazily, at the first draw
    figure.savefig(io.BytesIO(), format="png", dpi=90)
    assert describe(figure, 90) == before
