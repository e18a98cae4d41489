"""The handout: its mark tables agree with the rubric, its images exist, it renders to a
self-contained HTML page, and no number of points is typed by hand outside the generated region."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from autograder.rubric import RUBRIC_FILE, load_rubric

ROOT = Path(__file__).resolve().parent.parent
HANDOUT = ROOT / "handout.md"


def load_script(name: str):
    """Import scripts/<name>.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_handout = load_script("make_handout")

# A number followed by "points"/"marks"/"pts", or "points"/"marks"/"worth" followed by a number.
POINTS_TYPED = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:points?|marks?|pts)\b|\b(?:points?|marks?|worth)\s*[:=(]?\s*\d", re.IGNORECASE
)


@pytest.fixture(scope="module")
def text() -> str:
    return HANDOUT.read_text()


def outside_generated_region(text: str) -> str:
    start, end = make_handout.generated_region(text)
    return text[:start] + text[end:]


def inside_generated_region(text: str) -> str:
    start, end = make_handout.generated_region(text)
    return text[start:end]


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every markdown table row (separator rows excluded), stripped of bold and backticks."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+\|", line):
            rows.append([cell.strip().strip("*`") for cell in line.strip().strip("|").split("|")])
    return rows


# --------------------------------------------------------------------------------------------
# Mark tables
# --------------------------------------------------------------------------------------------


def test_committed_tables_match_the_rubric(text):
    assert make_handout.tables_are_current(text, load_rubric()), "handout.md is stale: run `make handout`"


def test_summary_table_gives_each_modules_points_from_the_rubric(text):
    rubric = load_rubric()
    rows = {row[0]: row[1:] for row in table_rows(inside_generated_region(text))}
    for module in rubric.modules:
        public, hidden = rubric.points(module, ("public",)), rubric.points(module, ("hidden",))
        assert [float(value) for value in rows[f"{module}.py"]] == [public, hidden, public + hidden], module
    total = [float(value) for value in rows["Total"]]
    assert total == [rubric.points(None, ("public",)), rubric.points(None, ("hidden",)), rubric.total]


def test_every_test_is_listed_once_with_its_points(text):
    rubric = load_rubric()
    rows = table_rows(inside_generated_region(text))
    for test in rubric.tests:
        matches = [row for row in rows if row[0] == test.title.replace("|", "\\|")]
        assert len(matches) >= 1, f"{test.id} ({test.title!r}) is missing from the handout"
        assert [float(value) for value in matches[0][1:]] == [test.points["public"], test.points["hidden"]], test.id


def test_check_fails_when_the_rubric_changes(tmp_path, capsys):
    rubric_copy = tmp_path / "rubric.toml"
    original = RUBRIC_FILE.read_text()
    changed = re.sub(r"public = ([\d.]+)", lambda match: f"public = {float(match.group(1)) + 1}", original, count=1)
    assert changed != original
    rubric_copy.write_text(changed)
    before = HANDOUT.read_bytes()
    assert make_handout.main(["--check", "--rubric", str(rubric_copy)]) == 1
    assert "mark tables differ" in capsys.readouterr().out
    assert HANDOUT.read_bytes() == before, "--check must not write"


def test_check_fails_when_a_table_is_edited_by_hand(text):
    region = inside_generated_region(text)
    edited_region = re.sub(r"\| (\d+(?:\.\d+)?) \|", lambda m: f"| {float(m.group(1)) + 0.5:g} |", region, count=1)
    assert edited_region != region
    assert not make_handout.tables_are_current(text.replace(region, edited_region), load_rubric())


def test_rewriting_the_tables_is_idempotent_and_touches_nothing_else(tmp_path):
    handout = tmp_path / "handout.md"
    stale = HANDOUT.read_text().replace(make_handout.GENERATED_NOTE, make_handout.GENERATED_NOTE + "\n| stale |")
    handout.write_text(stale)
    rubric = load_rubric()
    once = make_handout.with_tables(stale, rubric)
    assert make_handout.with_tables(once, rubric) == once
    assert outside_generated_region(once) == outside_generated_region(stale)
    assert once == HANDOUT.read_text()


# --------------------------------------------------------------------------------------------
# Text and images
# --------------------------------------------------------------------------------------------


def test_no_points_are_typed_outside_the_generated_region(text):
    found = POINTS_TYPED.findall(outside_generated_region(text))
    assert not found, f"numbers of points typed by hand (put them in the rubric instead): {found}"


def test_the_points_guard_catches_typed_points():
    for sentence in ["This part is worth 10 points.", "Question 2 (5 marks)", "Marks: 12", "1.5 pts each"]:
        assert POINTS_TYPED.search(sentence), sentence
    for sentence in ["600 examples in 2 classes", "Part 3 of the assignment", "the marks per module below"]:
        assert not POINTS_TYPED.search(sentence), sentence


def test_every_linked_image_exists(text):
    images = make_handout.linked_images(text)
    assert images, "the handout links no images"
    for target in images:
        path = ROOT / target
        assert path.is_file(), f"handout.md links to {target}, which does not exist (run `make handout`)"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"


def test_the_key_figures_are_embedded(text):
    images = make_handout.linked_images(text)
    for file_name in make_handout.FIGURES:
        assert f"figures/{file_name}" in images, f"handout.md does not show figures/{file_name}"


def test_every_implementation_task_names_a_real_function(text):
    import solution

    rows = [row for row in table_rows(outside_generated_region(text)) if row and row[0].endswith(".py") and len(row) == 3]
    assert rows, "the implementation table is missing"
    for file_name, names, _ in rows:
        assert (ROOT / "starter" / file_name).is_file(), file_name
        for name in re.split(r"`?,\s*`?", names):
            assert hasattr(solution, name.strip("` ")), f"{file_name}: {name} is not part of the package"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html(tmp_path_factory, text) -> str:
    """handout.md rendered into a temporary folder (the committed tree is not touched)."""
    folder = tmp_path_factory.mktemp("handout")
    shutil.copy(HANDOUT, folder / "handout.md")
    shutil.copytree(ROOT / "figures", folder / "figures")
    return make_handout.write_html(folder / "handout.md", folder / "handout.html").read_text()


@pytest.mark.slow
def test_html_embeds_every_image(html, text):
    images = make_handout.linked_images(text)
    assert html.count('src="data:image/png;base64,') == len(images)
    for target in images:
        assert f'src="{target}"' not in html


@pytest.mark.slow
def test_html_has_every_section_heading(html, text):
    headings = [line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{1,3} ", line)]
    assert len(headings) > 5
    for heading in headings:
        plain = re.sub(r"`([^`]*)`", r"\1", heading).replace("&", "&amp;")
        assert plain in re.sub(r"<[^>]+>", "", html), f"heading {heading!r} is missing from the HTML"


def markdown_table_count(markdown: str) -> int:
    """How many tables the markdown holds (runs of consecutive lines starting with |)."""
    return len(re.findall(r"(?:^\|.*\n)+", markdown, flags=re.MULTILINE))


@pytest.mark.slow
def test_html_renders_every_table_and_keeps_the_math_for_mathjax(html, text):
    assert html.count("<table") == markdown_table_count(text)
    assert "mathjax" in html.lower()
    assert r"$$Z = XW + b, \qquad Y = f(Z),$$" in html, "display math should reach MathJax untouched"
