"""Rebuild what is derived in the handout: its generated regions, the report template, its figures,
and handout.html.

Usage: python -m scripts.make_handout [--check] [--tables-only] [--rubric PATH] [--course PATH]

1. Generated regions of handout.md, each between ``<!-- BEGIN GENERATED: <name> -->`` and
   ``<!-- END GENERATED: <name> -->``:
   - ``logistics``: the course logistics (time, deadline, policies), from course.toml;
   - ``hints``: whether the starter's docstrings give the backward formulas, from course.toml;
   - ``marks``: the mark tables, from autograder/rubric.toml: the code (points per module, public
     and hidden, then one table per module listing each test) and the written report (points per
     Part, then every question). Every number of points in the handout lives there.
2. The report template students fill in, report/report_template.md and .tex, from the rubric's
   written part and course.toml (scripts/report_template.py): one section per Part, one heading
   per question with its points. Beside it, the staff-only answer key report/answer_key.md, from
   report/answer_key.toml and the rubric (scripts/answer_key.py); it never reaches students.
3. Figures. The solution notebooks that draw the handout's figures are executed (against
   solution/, with fixed seeds), and each figure is drawn from the notebook's own variable (see
   ``FIGURES``) with the data of what it shows beside it (figures/x.png and figures/x.json, see
   notebooks/figure_data.py). A committed figure is replaced only when what it shows changed
   beyond that module's tolerance, so on another CPU, whose pixels differ, `make handout` leaves
   an unchanged figure alone. The figures are exactly the ones students see.
4. HTML. handout.md becomes handout.html next to it (a build product, not committed): markdown by
   markdown-it-py, its TeX math turned into MathML by latex2mathml at build time (browsers draw
   MathML themselves: no script, no network), a math font stack, every image embedded as base64
   (scripts/handout_html.py).

``--check`` writes nothing and exits 1 if a generated region, the report template or the answer
key differs from what the rubric, course.toml and the key's source give (or the key's source does
not match the rubric), or an image the handout links to is missing.
``--tables-only`` skips step 3, the slow one (it runs notebooks).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

from autograder.rubric import RUBRIC_FILE, Rubric, load_rubric
from scripts.answer_key import AnswerKeyError, answer_key_files
from scripts.course_settings import COURSE_FILE, LOGISTICS, CourseSettings, load_course_settings
from scripts.handout_html import render_html, tex_to_mathml, write_html  # noqa: F401 - tests and make_dist use them from here
from scripts.report_template import report_files

ROOT = Path(__file__).resolve().parent.parent

HANDOUT = ROOT / "handout.md"
FIGURES_DIR = ROOT / "figures"
SOLUTION_NOTEBOOKS = ROOT / "notebooks" / "solution"
GENERATED_NOTE = (
    "<!-- Written by scripts/make_handout.py from autograder/rubric.toml and course.toml: edit those, "
    "then run `make handout`. Do not edit by hand. -->"
)
# Each handout figure: file in figures/ -> (solution notebook that draws it, variable holding it).
FIGURES = {
    "iris_loss.png": ("07_iris.ipynb", "loss_figure"),
    "decision_boundaries.png": ("08_decision_boundaries.ipynb", "boundary_figure"),
    "mse_vs_ce_training.png": ("08_decision_boundaries.ipynb", "training_figure"),
    "digits_confusion.png": ("09_digits.ipynb", "confusion_figure"),
    "initialisation.png": ("10_training_studies.ipynb", "init_figure"),
}
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def points(value: float) -> str:
    """A number of points as people write it: 2, 1.5, 0.25."""
    return f"{value:g}"


def cell(text: str) -> str:
    return text.replace("|", "\\|")  # a bare | would end the table cell


# --------------------------------------------------------------------------------------------
# Generated regions
# --------------------------------------------------------------------------------------------


def summary_table(rubric: Rubric) -> list[str]:
    """Markdown lines: code points per module, public / hidden / total, and a total row."""
    lines = ["| Module | Public tests | Hidden tests | Total |", "|---|--:|--:|--:|"]
    for module in rubric.modules:
        public, hidden = rubric.points(module, ("public",)), rubric.points(module, ("hidden",))
        lines.append(f"| `{module}.py` | {points(public)} | {points(hidden)} | {points(public + hidden)} |")
    public, hidden = rubric.points(None, ("public",)), rubric.points(None, ("hidden",))
    lines.append(f"| **Total** | **{points(public)}** | **{points(hidden)}** | **{points(rubric.total)}** |")
    return lines


def module_table(rubric: Rubric, module: str) -> list[str]:
    """Markdown lines: one row per test of ``module`` with its public and hidden points."""
    lines = [f"#### `{module}.py`", "", "| Test | Public | Hidden |", "|---|--:|--:|"]
    for test in rubric.in_module(module):
        lines.append(f"| {cell(test.title)} | {points(test.points['public'])} | {points(test.points['hidden'])} |")
    return lines


def written_summary_table(rubric: Rubric) -> list[str]:
    """Markdown lines: the written report's points per Part, and a total row."""
    lines = ["| Part | Questions | Points |", "|---|---|--:|"]
    for number, title, questions in rubric.written_parts:
        span = questions[0].id if len(questions) == 1 else f"{questions[0].id}–{questions[-1].id}"
        lines.append(f"| {number}. {cell(title)} | {span} | {points(sum(q.points for q in questions))} |")
    lines.append(f"| **Total** | | **{points(rubric.written_total)}** |")
    return lines


def written_question_table(rubric: Rubric) -> list[str]:
    """Markdown lines: every written question with its points."""
    lines = ["| Question | What it asks | Points |", "|---|---|--:|"]
    for question in rubric.written:
        lines.append(f"| {question.id} | {cell(question.title)} | {points(question.points)} |")
    return lines


def marks_region(rubric: Rubric, settings: CourseSettings) -> list[str]:
    total = rubric.total + rubric.written_total
    return [
        "| Part of the assignment | Marked by | Points |",
        "|---|---|--:|",
        f"| Code (the six modules) | the autograder | {points(rubric.total)} |",
        f"| Written report (derivations and notebook questions) | course staff, by hand | {points(rubric.written_total)} |",
        f"| **Total** | | **{points(total)}** |",
        "",
        "### The code",
        "",
        *summary_table(rubric),
        "",
        *[line for module in rubric.modules for line in (*module_table(rubric, module), "")],
        "### The written report",
        "",
        *written_summary_table(rubric),
        "",
        *written_question_table(rubric),
    ]


def logistics_region(rubric: Rubric, settings: CourseSettings) -> list[str]:
    lines = ["| What | In this course |", "|---|---|"]
    lines += [f"| {label} | {cell(settings.logistics[key])} |" for key, label in LOGISTICS.items()]
    return lines


def hints_region(rubric: Rubric, settings: CourseSettings) -> list[str]:
    if settings.backward_formula_hints:
        return [
            "**Formula hints are on in this course.** Besides the shapes, what to keep in `cache` and what "
            "each function returns, the starter's docstrings state each backward formula, in a paragraph "
            "starting with *Hint*. The derivation questions still ask you to derive them: a formula "
            "restated from a docstring, without its derivation, earns no marks."
        ]
    return [
        "**Formula hints are off in this course.** The starter's docstrings give each function's shapes, "
        "what it must keep in `cache` and what it returns, but not the backward formulas: deriving those "
        "is what Questions 1.1 to 3.3 ask of you, and your derivation is what your code implements."
    ]


REGIONS: dict[str, Callable[[Rubric, CourseSettings], list[str]]] = {
    "logistics": logistics_region,
    "hints": hints_region,
    "marks": marks_region,
}


def markers(name: str) -> tuple[str, str]:
    return f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"


def generated_region(text: str, name: str = "marks") -> tuple[int, int]:
    """Start and end offsets of one generated region (markers included) in the handout text."""
    begin, end_marker = markers(name)
    if text.count(begin) != 1 or text.count(end_marker) != 1:
        raise SystemExit(f"handout.md: expected exactly one {begin} and one {end_marker}")
    start, end = text.index(begin), text.index(end_marker) + len(end_marker)
    if end < start:
        raise SystemExit(f"handout.md: {end_marker} comes before {begin}")
    return start, end


def region_text(name: str, rubric: Rubric, settings: CourseSettings) -> str:
    begin, end = markers(name)
    return "\n".join([begin, GENERATED_NOTE, "", *REGIONS[name](rubric, settings), "", end])


def with_regions(text: str, rubric: Rubric, settings: CourseSettings) -> str:
    """The handout text with every generated region rewritten."""
    for name in REGIONS:
        start, end = generated_region(text, name)
        text = text[:start] + region_text(name, rubric, settings) + text[end:]
    return text


def regions_are_current(text: str, rubric: Rubric, settings: CourseSettings) -> bool:
    return with_regions(text, rubric, settings) == text


# Kept for callers of the single-region API.
def with_tables(text: str, rubric: Rubric, settings: CourseSettings | None = None) -> str:
    return with_regions(text, rubric, settings or load_course_settings())


def tables_are_current(text: str, rubric: Rubric, settings: CourseSettings | None = None) -> bool:
    return with_tables(text, rubric, settings) == text


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def linked_images(text: str) -> list[str]:
    """The relative paths of the images the markdown links to, in order."""
    return [target for target in IMAGE_LINK.findall(text) if "://" not in target]


def figure_cells(directory: Path) -> dict[str, list[str]]:
    """For each solution notebook that draws handout figures, the code cells that save them, each
    PNG with the data of what it shows beside it (notebooks/figure_data.py)."""
    cells: dict[str, list[str]] = {}
    for file_name, (notebook, variable) in FIGURES.items():
        target = str(directory / file_name)
        cells.setdefault(notebook, []).append(
            "from notebooks.plotting import FIGURE_DPI, save_figure\nfrom notebooks.figure_data import save_data\n"
            f"save_figure({variable}, {target!r})\nsave_data({variable}, {target!r}, FIGURE_DPI)"
        )
    return cells


def keep_or_replace(drawn: Path, committed: Path) -> bool:
    """Copy a freshly drawn figure (PNG and data) over the committed one unless both show the same
    thing (notebooks/figure_data.py's comparison); True if it was replaced.

    So `make handout` on another CPU, whose pixels differ, leaves an unchanged figure's files alone.
    """
    from notebooks.figure_data import data_path, differences, load_data

    if committed.is_file() and not differences(load_data(committed), load_data(drawn)):
        return False
    for source in (drawn, data_path(drawn)):
        shutil.copyfile(source, committed.parent / source.name)
    return True


def make_figures(directory: Path = FIGURES_DIR) -> dict[Path, bool]:
    """Execute the figure-drawing solution notebooks; each figure in ``directory`` is replaced only
    if what it shows changed. Returns {figure: whether it was replaced}."""
    from notebooks.execute import NotebookRun, execute_notebooks

    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nn-figures-") as folder:
        drawn = Path(folder)
        runs = [NotebookRun(SOLUTION_NOTEBOOKS / name, cells) for name, cells in figure_cells(drawn).items()]
        for result in execute_notebooks(runs, package="solution"):
            if result.error is not None:
                raise SystemExit(f"{result.path.relative_to(ROOT)} failed, so its figures were not made:\n{result.error}")
        return {directory / name: keep_or_replace(drawn / name, directory / name) for name in FIGURES}


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def check(handout: Path, rubric: Rubric, settings: CourseSettings, report_dir: Path) -> list[str]:
    """Problems that make the handout stale: regions or templates that differ, missing images."""
    text = handout.read_text()
    problems = []
    for name in REGIONS:
        start, end = generated_region(text, name)
        if text[start:end] != region_text(name, rubric, settings):
            problems.append(f"{handout.name}: the generated region '{name}' differs from the rubric and course.toml (run `make handout`)")
    for path, content in report_files(rubric, settings, report_dir).items():
        if not path.is_file() or path.read_text() != content:
            problems.append(f"{path.relative_to(path.parent.parent)}: differs from the rubric and course.toml (run `make handout`)")
    try:
        for path, content in answer_key_files(rubric, report_dir).items():
            if not path.is_file() or path.read_text() != content:
                problems.append(f"{path.relative_to(path.parent.parent)}: differs from its source and the rubric (run `make handout`)")
    except AnswerKeyError as error:
        problems.append(f"the answer key: {error}")
    for target in linked_images(text):
        if not (handout.parent / target).is_file():
            problems.append(f"{handout.name}: links to {target}, which does not exist (run `make handout`)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report a stale handout or report template, write nothing")
    parser.add_argument("--tables-only", action="store_true", help="skip regenerating the figures (fast)")
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE, help="the rubric to read (default: %(default)s)")
    parser.add_argument("--course", type=Path, default=COURSE_FILE, help="the course settings (default: %(default)s)")
    parser.add_argument("--handout", type=Path, default=HANDOUT, help="the markdown handout (default: %(default)s)")
    args = parser.parse_args(argv)
    rubric = load_rubric(args.rubric.resolve())
    settings = load_course_settings(args.course.resolve())
    report_dir = args.handout.parent / "report"
    if args.check:
        problems = check(args.handout, rubric, settings, report_dir)
        for problem in problems:
            print(f"stale: {problem}")
        if not problems:
            print(f"{args.handout.name} and the report template are up to date")
        return 1 if problems else 0

    text = args.handout.read_text()
    updated = with_regions(text, rubric, settings)
    if updated != text:
        args.handout.write_text(updated)
        print(f"wrote: the generated regions of {args.handout.name}")
    try:
        key = answer_key_files(rubric, report_dir)
    except AnswerKeyError as error:
        raise SystemExit(f"the answer key does not match the rubric: {error}") from error
    for path, content in {**report_files(rubric, settings, report_dir), **key}.items():
        if not path.is_file() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            print(f"wrote: {path.relative_to(args.handout.parent)}")
    if not args.tables_only:
        for path, replaced in make_figures(args.handout.parent / "figures").items():
            what = "drew" if replaced else "kept (what it shows is unchanged)"
            print(f"{what}: {path.relative_to(args.handout.parent)}")
    html_path = write_html(args.handout, args.handout.with_suffix(".html"))
    print(f"rendered: {html_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
