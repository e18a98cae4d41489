"""The handout: its generated regions agree with the rubric and course.toml, the report template
lists the same written questions and points, the rubric keeps its written part away from the
grader, its images exist, and it renders to a self-contained HTML page whose math a real browser
typesets without a network."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

from autograder.rubric import RUBRIC_FILE, load_rubric

ROOT = Path(__file__).resolve().parent.parent
HANDOUT = ROOT / "handout.md"


def load_script(name: str):
    """scripts/<name>.py, imported as the kit's module scripts.<name>."""
    return importlib.import_module(f"scripts.{name}")


make_handout = load_script("make_handout")
course_settings = load_script("course_settings")

# A number followed by "points"/"marks"/"pts", or "points"/"marks"/"worth" followed by a number.
POINTS_TYPED = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:points?|marks?|pts)\b|\b(?:points?|marks?|worth)\s*[:=(]?\s*\d", re.IGNORECASE
)


@pytest.fixture(scope="module")
def text() -> str:
    return HANDOUT.read_text()


def outside_generated_region(text: str) -> str:
    for name in make_handout.REGIONS:
        start, end = make_handout.generated_region(text, name)
        text = text[:start] + text[end:]
    return text


def inside_generated_region(text: str, name: str = "marks") -> str:
    start, end = make_handout.generated_region(text, name)
    return text[start:end]


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every markdown table row (separator rows excluded), stripped of bold and backticks."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+\|", line):
            rows.append([cell.strip().strip("*`") for cell in line.strip().strip("|").split("|")])
    return rows


def tables(markdown: str) -> list[list[list[str]]]:
    """Each markdown table as its rows (header first)."""
    return [table_rows(block) for block in re.findall(r"(?:^\|.*\n?)+", markdown, flags=re.MULTILINE)]


def table_with_header(markdown: str, *header: str) -> list[list[str]]:
    (found,) = [rows for rows in tables(markdown) if rows[0] == list(header)]
    return found[1:]


# --------------------------------------------------------------------------------------------
# Generated regions: marks, logistics, hints
# --------------------------------------------------------------------------------------------


def test_committed_regions_match_the_rubric_and_course_settings(text):
    settings = course_settings.load_course_settings()
    assert make_handout.regions_are_current(text, load_rubric(), settings), "handout.md is stale: run `make handout`"


def test_summary_table_gives_each_modules_points_from_the_rubric(text):
    rubric = load_rubric()
    rows = {row[0]: row[1:] for row in table_with_header(inside_generated_region(text), "Module", "Public tests", "Hidden tests", "Total")}
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


def test_the_mark_tables_show_the_code_and_the_written_part(text):
    rubric = load_rubric()
    region = inside_generated_region(text)
    overview = {row[0]: float(row[2]) for row in table_with_header(region, "Part of the assignment", "Marked by", "Points")}
    assert overview["Code (the six modules)"] == rubric.total
    assert overview["Written report (derivations and notebook questions)"] == rubric.written_total > 0
    assert overview["Total"] == rubric.total + rubric.written_total
    parts = table_with_header(region, "Part", "Questions", "Points")
    assert [row[0] for row in parts[:-1]] == [f"{number}. {title}" for number, title, _ in rubric.written_parts]
    assert [float(row[2]) for row in parts[:-1]] == [sum(q.points for q in questions) for _, _, questions in rubric.written_parts]
    questions = table_with_header(region, "Question", "What it asks", "Points")
    assert [(row[0], row[1], float(row[2])) for row in questions] == [(q.id, q.title, q.points) for q in rubric.written]


def test_every_written_question_is_asked_in_the_handout_or_its_notebook(text):
    notebooks = {path.name[:2]: path.read_text() for path in (ROOT / "notebooks" / "solution").glob("*.ipynb")}
    outside = outside_generated_region(text)
    for question in load_rubric().written:
        if question.part <= 5:
            assert f"**Question {question.id}" in outside, f"Question {question.id} is in the rubric but not in the handout"
        else:
            notebook = notebooks[f"{question.part:02d}"]
            assert f"**{question.id}**" in notebook, f"Question {question.id} is in the rubric but not in notebook {question.part:02d}"
    asked = set(re.findall(r"\*\*Question (\d+\.\d+)", outside))
    assert asked == {q.id for q in load_rubric().written if q.part <= 5}, "a handout question has no points in the rubric"


@pytest.mark.parametrize("change", ["a code test's points", "a written question's points"])
def test_check_fails_when_the_rubric_changes(tmp_path, capsys, change):
    rubric_copy = tmp_path / "rubric.toml"  # a new path per case: load_rubric caches by path
    original = RUBRIC_FILE.read_text()
    if change == "a code test's points":
        changed = re.sub(r"public = ([\d.]+)", lambda match: f"public = {float(match.group(1)) + 1}", original, count=1)
    else:
        changed = original.replace("points = 4 }", "points = 5 }", 1)
    assert changed != original
    rubric_copy.write_text(changed)
    before = HANDOUT.read_bytes()
    assert make_handout.main(["--check", "--rubric", str(rubric_copy)]) == 1
    output = capsys.readouterr().out
    assert "generated region 'marks' differs" in output
    assert ("report_template.md: differs" in output) == (change == "a written question's points"), output
    assert HANDOUT.read_bytes() == before, "--check must not write"


def test_check_fails_when_the_course_settings_change(tmp_path, capsys):
    course_copy = tmp_path / "course.toml"
    course_copy.write_text((ROOT / "course.toml").read_text().replace(
        'deadline = "[set by your course staff: date, time and time zone]"', 'deadline = "Friday 14 March, 23:59 GMT"'))
    assert make_handout.main(["--check", "--course", str(course_copy)]) == 1
    output = capsys.readouterr().out
    assert "generated region 'logistics' differs" in output and "report_template" in output
    course_copy.write_text((ROOT / "course.toml").read_text().replace("backward_formula_hints = false", "backward_formula_hints = true"))
    assert make_handout.main(["--check", "--course", str(course_copy)]) == 1
    assert "generated region 'hints' differs" in capsys.readouterr().out


def test_logistics_and_hints_regions_say_what_course_toml_says(text):
    settings = course_settings.load_course_settings()
    rows = {row[0]: row[1] for row in table_rows(inside_generated_region(text, "logistics"))}
    for key, label in course_settings.LOGISTICS.items():
        assert rows[label] == settings.logistics[key]
    hints = inside_generated_region(text, "hints")
    assert ("hints are on" in hints) == settings.backward_formula_hints
    assert ("hints are off" in hints) == (not settings.backward_formula_hints)


def solution_lines(lines: list[str]) -> int:
    """Non-comment lines inside ### BEGIN SOLUTION / ### END SOLUTION regions."""
    count, inside = 0, False
    for line in lines:
        marker = line.strip()
        if marker in ("### BEGIN SOLUTION", "### END SOLUTION"):
            inside = marker == "### BEGIN SOLUTION"
        elif inside and marker and not marker.startswith("#"):
            count += 1
    return count


def test_the_time_estimate_is_set_and_its_counts_are_the_kits():
    import json

    text = (ROOT / "course.toml").read_text()
    estimate = course_settings.load_course_settings().logistics["time_estimate"]
    assert re.search(r"\d+ to \d+ hours", estimate) and not estimate.startswith("["), estimate
    module_lines = sum(solution_lines(path.read_text().splitlines()) for path in (ROOT / "solution").glob("*.py"))
    notebook_lines = sum(solution_lines("".join(cell["source"]).splitlines())
                         for path in (ROOT / "notebooks" / "solution").glob("*.ipynb")
                         for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code")
    written = load_rubric().written
    derivations = [question for question in written if question.part <= 5]
    notebooks = [question for question in written if question.part > 5]
    claims = [
        f"{module_lines} lines to write in the six modules",
        f"{notebook_lines} lines to write in five notebooks",
        f"{len(derivations)} questions of Parts 1-5 ({sum(q.points for q in derivations):g} of the {load_rubric().written_total:g} written points)",
        f"{len(notebooks)} questions of Parts 6-10 ({sum(q.points for q in notebooks):g} points)",
    ]
    flat = " ".join(line.lstrip("# ").strip() for line in text.splitlines())
    for claim in claims:
        assert claim in flat, f"course.toml's estimate no longer says: {claim}"


def test_check_fails_when_a_table_is_edited_by_hand(text):
    region = inside_generated_region(text)
    edited_region = re.sub(r"\| (\d+(?:\.\d+)?) \|", lambda m: f"| {float(m.group(1)) + 0.5:g} |", region, count=1)
    assert edited_region != region
    assert not make_handout.regions_are_current(text.replace(region, edited_region), load_rubric(), course_settings.load_course_settings())


def test_rewriting_the_regions_is_idempotent_and_touches_nothing_else(tmp_path):
    stale = HANDOUT.read_text().replace(make_handout.GENERATED_NOTE, make_handout.GENERATED_NOTE + "\n| stale |")
    rubric, settings = load_rubric(), course_settings.load_course_settings()
    once = make_handout.with_regions(stale, rubric, settings)
    assert make_handout.with_regions(once, rubric, settings) == once
    assert outside_generated_region(once) == outside_generated_region(stale)
    assert once == HANDOUT.read_text()


# --------------------------------------------------------------------------------------------
# The report template and the rubric's written part
# --------------------------------------------------------------------------------------------


def test_report_templates_list_every_written_question_with_its_points():
    rubric = load_rubric()
    markdown = (ROOT / "report" / "report_template.md").read_text()
    latex = (ROOT / "report" / "report_template.tex").read_text()
    assert re.findall(r"^### (\S+) .* \((\S+) points?\)$", markdown, flags=re.MULTILINE) == [(q.id, f"{q.points:g}") for q in rubric.written]
    assert re.findall(r"^\\subsection\*\{(\S+) .* \((\S+) points?\)\}$", latex, flags=re.MULTILINE) == [(q.id, f"{q.points:g}") for q in rubric.written]
    parts = [(str(number), title) for number, title, _ in rubric.written_parts]
    assert [(number, title) for number, title, _ in re.findall(r"^## Part (\d+)\. (.*) \((\S+) points?\)$", markdown, flags=re.MULTILINE)] == parts
    assert latex.count(r"\newpage") == len(parts), "each Part starts on its own page (Gradescope page assignment)"
    assert latex.count("{") == latex.count("}"), "unbalanced braces in the LaTeX template"


def test_the_latex_template_compiles(tmp_path):
    import subprocess

    if shutil.which("pdflatex") is None:
        pytest.skip("no pdflatex here (apt-get install texlive-latex-recommended); the brace check above still ran")
    shutil.copy(ROOT / "report" / "report_template.tex", tmp_path / "report.tex")
    completed = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout[-2000:]
    pages = re.search(r"Output written on report\.pdf \((\d+) pages", completed.stdout)
    assert pages and int(pages.group(1)) == 1 + len(load_rubric().written_parts), "a title page, then one page per Part"


def test_the_rubric_keeps_the_written_part_away_from_the_grader():
    rubric = load_rubric()
    assert {test.module for test in rubric.tests} == {"activations", "layers", "loss", "model", "optimizer", "util"}
    assert {module: rubric.points(module) for module in rubric.modules} == {
        "activations": 28, "layers": 20, "loss": 14, "optimizer": 14, "model": 12, "util": 12}
    assert rubric.total == 100
    assert [number for number, _, _ in rubric.written_parts] == list(range(1, 11))
    assert all(question.id.startswith(f"{question.part}.") for question in rubric.written)


@pytest.mark.parametrize("written, complaint", [
    ('[written.2]\ntitle = "x"\nquestions = [{ id = "2.1", title = "y", points = 1 }]', "numbered 1, 2"),
    ('[written.1]\ntitle = "x"\nquestions = [{ id = "1.2", title = "y", points = 1 }]', 'id = "1.1"'),
    ('[written.1]\ntitle = "x"\nquestions = [{ id = "1.1", title = "y", points = 0 }]', "positive points"),
    ('[written.1]\nquestions = [{ id = "1.1", title = "y", points = 1 }]', "title and a non-empty questions"),
])
def test_the_rubric_refuses_a_malformed_written_part(tmp_path, written, complaint):
    from autograder.rubric import load_rubric as load

    path = tmp_path / "rubric.toml"
    path.write_text(RUBRIC_FILE.read_text().split("[written.1]")[0] + written + "\n")
    with pytest.raises(ValueError, match=re.escape(complaint)):
        load.__wrapped__(path)


# --------------------------------------------------------------------------------------------
# The staff-only answer key (report/answer_key.md, from report/answer_key.toml)
# --------------------------------------------------------------------------------------------

answer_key = load_script("answer_key")
KEY = ROOT / "report" / "answer_key.md"


def key_sections(text: str) -> dict[str, tuple[str, float, str]]:
    """Each question's (title, points, body) in the generated key."""
    found = re.findall(r"^### (\S+) ([^\n]*) \((\S+) points?\)\n(.*?)(?=^### |^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    return {question_id: (title, float(value), body) for question_id, title, value, body in found}


def test_the_answer_key_covers_every_written_question_with_the_rubrics_points():
    rubric, sections = load_rubric(), key_sections(KEY.read_text())
    assert list(sections) == [question.id for question in rubric.written]
    for question in rubric.written:
        title, value, body = sections[question.id]
        assert (title, value) == (question.title, question.points), question.id
        assert "**Model answer.**" in body and len(body.split("**Marking.**")[0]) > 200, f"{question.id}: no real answer"
        marks = [float(value) for value in re.findall(r"^- ([\d.]+): ", body, flags=re.MULTILINE)]
        assert marks and sum(marks) == pytest.approx(question.points), f"{question.id}: the scheme gives {marks}"
        if question.part >= 6:  # a notebook question: what full, partial and zero answers look like
            assert all(f"- *{level}" in body for level in ("Full", "Partial", "Zero")), question.id


def key_copy(tmp_path, edit) -> Path:
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "answer_key.toml").write_text(edit((ROOT / "report" / "answer_key.toml").read_text()))
    return folder


@pytest.mark.parametrize("edit, complaint", [
    (lambda text: text.replace('[1, "the elementwise formula', '[0.5, "the elementwise formula', 1),
     '["1.1"]: the scheme adds up to 1 points, the rubric gives 1.5'),
    (lambda text: text.replace('["9.3"]', '["9.9"]', 1), "questions the rubric does not have: 9.9"),
    (lambda text: text.replace("full = " + "'" * 3 + "all three with numbers.", "fulll = " + "'" * 3 + "x", 1), '["10.4"]: missing full'),
])
def test_the_answer_key_refuses_a_source_that_does_not_match_the_rubric(tmp_path, edit, complaint):
    folder = key_copy(tmp_path, edit)
    with pytest.raises(answer_key.AnswerKeyError) as raised:
        answer_key.answer_key_files(load_rubric(), folder)
    assert complaint in str(raised.value)


def test_make_handout_check_reports_a_stale_answer_key(tmp_path, capsys):
    handout = tmp_path / "handout.md"
    shutil.copy(HANDOUT, handout)
    shutil.copytree(ROOT / "figures", tmp_path / "figures")
    shutil.copytree(ROOT / "report", tmp_path / "report")
    assert make_handout.main(["--check", "--handout", str(handout)]) == 0, capsys.readouterr().out
    key = tmp_path / "report" / "answer_key.md"
    key.write_text(key.read_text().replace("ReLU's backward", "ReLU backward", 1))
    assert make_handout.main(["--check", "--handout", str(handout)]) == 1
    assert "answer_key.md: differs" in capsys.readouterr().out


def distinctive_key_lines() -> list[str]:
    """Lines of model answers long and specific enough that no student text repeats them."""
    import tomllib

    entries = tomllib.loads((ROOT / "report" / "answer_key.toml").read_text())
    lines = [line.strip() for entry in entries.values() for line in entry["answer"].splitlines()]
    return [line for line in lines if len(line) > 60]


def test_no_student_artifact_contains_the_answer_key():
    make_dist = load_script("make_dist")
    student = make_dist.student_files()
    assert not [path for path in student if "answer_key" in path]
    assert any(path.endswith("report/report_template.md") for path in student), "the bundle still ships the template"
    lines = distinctive_key_lines()
    assert len(lines) > 100
    for path, data in student.items():
        text = data.decode("utf-8", errors="ignore")
        assert answer_key.STAFF_ONLY not in text, path
        found = [line for line in lines if line in text]
        assert not found, f"{path} holds the answer key: {found[:2]}"
    assert not [path for path in make_dist.gradescope_files() if "answer_key" in path]


def test_the_student_bundle_refuses_to_ship_the_answer_key(monkeypatch):
    make_dist = load_script("make_dist")
    original = make_dist.tree
    monkeypatch.setattr(make_dist, "tree", lambda folder, pattern="*": original(folder, "*" if folder == "report" else pattern))
    with pytest.raises(SystemExit, match="answer key"):
        make_dist.student_files()


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
def html_page(tmp_path_factory, text) -> Path:
    """handout.md rendered into a temporary folder (the committed tree is not touched)."""
    folder = tmp_path_factory.mktemp("handout")
    shutil.copy(HANDOUT, folder / "handout.md")
    shutil.copytree(ROOT / "figures", folder / "figures")
    return make_handout.write_html(folder / "handout.md", folder / "handout.html")


@pytest.fixture(scope="module")
def html(html_page) -> str:
    return html_page.read_text()


def math_spans(markdown: str) -> int:
    """How many formulas the markdown holds ($...$ and $$...$$)."""
    return len(re.findall(r"\$\$.+?\$\$|\$[^$]+\$", markdown, flags=re.DOTALL))


def test_html_embeds_every_image(html, text):
    images = make_handout.linked_images(text)
    assert html.count('src="data:image/png;base64,') == len(images)
    for target in images:
        assert f'src="{target}"' not in html


def test_html_has_every_section_heading(html, text):
    headings = [line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{1,3} ", line)]
    assert len(headings) > 5
    for heading in headings:
        plain = re.sub(r"`([^`]*)`", r"\1", heading).replace("&", "&amp;")
        assert plain in re.sub(r"<[^>]+>", "", html), f"heading {heading!r} is missing from the HTML"


def markdown_table_count(markdown: str) -> int:
    """How many tables the markdown holds (runs of consecutive lines starting with |)."""
    return len(re.findall(r"(?:^\|.*\n)+", markdown, flags=re.MULTILINE))


def test_html_has_every_table_and_its_math_as_mathml_with_nothing_to_fetch(html, text):
    assert html.count("<table") == markdown_table_count(text)
    assert html.count("<math ") == math_spans(text) > 100
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html
    assert "<script" not in html and "mathjax" not in html.lower()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "the page must not load anything from the network"
    assert "$" not in re.sub(r"<[^>]+>", "", html), "a formula was left as raw TeX"


def test_every_formula_converts(text):
    for tex in re.findall(r"\$\$(.+?)\$\$|\$([^$]+)\$", text, flags=re.DOTALL):
        mathml = make_handout.tex_to_mathml(tex[0] or tex[1], display=bool(tex[0]))
        assert mathml.startswith("<math") and "merror" not in mathml, tex


# What a reader sees, in a real browser (tests/browser.py: headless Chromium, no network).
PAGE_WIDTH = 1200
LAYOUT_PROBE = """
const maths = [...document.querySelectorAll('math')];
const boxes = maths.map(m => m.getBoundingClientRect());
const shapes = [...document.querySelectorAll('table')].find(t => t.rows[0].innerText.trim().startsWith('Quantity'));
const rowHeights = [...shapes.rows].map(r => r.getBoundingClientRect().height);
const images = [...document.querySelectorAll('img')];
return {
  maths: maths.length,
  flat: boxes.filter(b => b.width < 2 || b.height < 6).length,
  displayWidths: maths.filter(m => m.getAttribute('display') === 'block').map(m => m.getBoundingClientRect().width),
  rawTex: (document.body.innerText.match(/\\\\(?:frac|mathbb|partial|hat|sum|qquad|leftarrow)|\\$/g) || []).length,
  shapesWidth: shapes.getBoundingClientRect().width,
  shapesRowHeights: rowHeights,
  images: images.map(i => [i.naturalWidth, i.getBoundingClientRect().width]),
  pageWidth: document.documentElement.scrollWidth,
};
"""


@pytest.mark.slow
def test_a_browser_typesets_the_math_and_keeps_the_tables_laid_out(html_page):
    from browser import measure

    found = measure(html_page, LAYOUT_PROBE, width=PAGE_WIDTH)
    assert "error" not in found, found
    assert found["maths"] == math_spans(HANDOUT.read_text())
    assert found["flat"] == 0, "some formulas were not laid out (no MathML support?)"
    assert found["rawTex"] == 0, "raw TeX is visible on the page"
    assert all(width > 150 for width in found["displayWidths"]), found["displayWidths"]
    heights = found["shapesRowHeights"]
    assert max(heights) < 1.6 * min(heights), f"a row of the shapes table wraps or collapses: {heights}"
    assert 200 < found["shapesWidth"] < PAGE_WIDTH, found["shapesWidth"]
    assert all(natural > 0 and shown > 100 for natural, shown in found["images"]), found["images"]
    assert found["pageWidth"] <= PAGE_WIDTH, "the page scrolls sideways"


@pytest.mark.slow
def test_a_screenshot_of_the_handout_shows_a_page(html_page, tmp_path):
    import numpy as np
    from PIL import Image

    from browser import screenshot

    png = screenshot(html_page, tmp_path / "handout.png", width=PAGE_WIDTH, height=1600)
    with Image.open(png) as image:
        assert image.size == (PAGE_WIDTH, 1600)
        grey = np.asarray(image.convert("L"), dtype=float)
    ink = grey < 128
    assert 0.01 < ink.mean() < 0.3, f"the page looks blank or black: {ink.mean():.3f} of it is dark"
    columns = np.flatnonzero(ink.any(axis=0))
    assert columns.min() > 50 and columns.max() < PAGE_WIDTH - 50, "the text should sit in a centred column with margins"
    assert ink[:200].any(), "the title should be at the top"


MATH_PROBE = """
const sum = [...document.querySelectorAll('math[display="block"] munderover > mo:first-child')].find(m => m.textContent === '\\u2211');
const hat = [...document.querySelectorAll('mover')].find(m => m.firstElementChild.textContent === 'm');
return {
  family: getComputedStyle(document.querySelector('math')).fontFamily,
  text: parseFloat(getComputedStyle(document.querySelector('p')).fontSize),
  sum: sum.getBoundingClientRect().height,
  hat: hat.lastElementChild.getBoundingClientRect().width,
  hatBase: hat.firstElementChild.getBoundingClientRect().width,
};
"""


def installed_math_fonts() -> list[str] | None:
    """The fonts of the handout's math font stack installed here (None: fontconfig cannot tell)."""
    import subprocess

    handout_html = load_script("handout_html")
    if shutil.which("fc-list") is None:
        return None
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=60).stdout
    wanted = re.findall(r'"([^"]+)"', handout_html.MATH_FONTS)
    return [name for name in wanted if name in families]


@pytest.mark.slow
def test_a_browser_typesets_display_sums_large_and_hats_visible_offline(html_page):
    """With a math font of the stack installed (Debian: fonts-dejavu-extra or fonts-lmodern), a
    display sum is drawn well above text size and the hat of m-hat is not a speck. With the
    browser's default font (the page before the font stack) the sum came out at text size (16 px
    against 16 px here) and the hat a third of its letter's width."""
    from browser import measure, require_browser

    require_browser()
    fonts = installed_math_fonts()
    if not fonts:
        message = "no font of the handout's math font stack is installed (apt-get install fonts-dejavu-extra or fonts-lmodern)"
        if fonts == [] and os.environ.get("NN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    found = measure(html_page, MATH_PROBE, width=PAGE_WIDTH)
    assert "error" not in found, found
    assert "Latin Modern Math" in found["family"] and "Cambria Math" in found["family"], found["family"]
    assert found["sum"] >= 1.5 * found["text"], f"a display sum is drawn at {found['sum']} px against text of {found['text']} px"
    assert found["hat"] >= 0.4 * found["hatBase"], f"the hat of m-hat is {found['hat']} px wide over a {found['hatBase']} px letter"
