"""Rebuild what is derived in the handout: its mark tables, its figures, and handout.html.

Usage: python scripts/make_handout.py [--check] [--tables-only] [--rubric PATH]

1. Mark tables. The text between ``<!-- BEGIN GENERATED: marks -->`` and
   ``<!-- END GENERATED: marks -->`` in handout.md is rewritten from autograder/rubric.toml: one
   table of points per module (public, hidden, total) and one table per module listing each test.
   Every number of points in the handout lives there; the rest of the text names none.
2. Figures. The solution notebooks that draw the handout's figures are executed (against
   solution/, with fixed seeds), and each figure is saved from the notebook's own variable into
   figures/ (see ``FIGURES``), without a software stamp, so the PNG bytes are reproducible. The
   figures are therefore exactly the ones students see in the notebooks.
3. HTML. handout.md becomes handout.html next to it (a build product, not committed), through
   nbconvert with every image embedded as base64: the page needs no network for its images.
   Its math is typeset in the browser by MathJax, which nbconvert loads from a CDN, so formulas
   render only when the reader is online (the raw LaTeX stays readable otherwise).

``--check`` writes nothing and exits 1 if the mark tables differ from the rubric or an image the
handout links to is missing. ``--tables-only`` skips step 2, the slow one (it runs notebooks).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder.rubric import RUBRIC_FILE, Rubric, load_rubric  # noqa: E402

HANDOUT = ROOT / "handout.md"
FIGURES_DIR = ROOT / "figures"
SOLUTION_NOTEBOOKS = ROOT / "notebooks" / "solution"
BEGIN_MARKS = "<!-- BEGIN GENERATED: marks -->"
END_MARKS = "<!-- END GENERATED: marks -->"
GENERATED_NOTE = (
    "<!-- Written by scripts/make_handout.py from autograder/rubric.toml: edit the rubric, "
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


# --------------------------------------------------------------------------------------------
# Mark tables
# --------------------------------------------------------------------------------------------


def points(value: float) -> str:
    """A number of points as people write it: 2, 1.5, 0.25."""
    return f"{value:g}"


def summary_table(rubric: Rubric) -> list[str]:
    """Markdown lines: points per module, public / hidden / total, and a total row."""
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
        title = test.title.replace("|", "\\|")  # a bare | would end the table cell
        lines.append(f"| {title} | {points(test.points['public'])} | {points(test.points['hidden'])} |")
    return lines


def mark_tables(rubric: Rubric) -> str:
    """The whole generated region, markers included."""
    lines = [BEGIN_MARKS, GENERATED_NOTE, "", *summary_table(rubric), ""]
    for module in rubric.modules:
        lines += [*module_table(rubric, module), ""]
    lines.append(END_MARKS)
    return "\n".join(lines)


def generated_region(text: str) -> tuple[int, int]:
    """Start and end offsets of the generated region (markers included) in the handout text."""
    if text.count(BEGIN_MARKS) != 1 or text.count(END_MARKS) != 1:
        raise SystemExit(f"handout.md: expected exactly one {BEGIN_MARKS} and one {END_MARKS}")
    start, end = text.index(BEGIN_MARKS), text.index(END_MARKS) + len(END_MARKS)
    if end < start:
        raise SystemExit(f"handout.md: {END_MARKS} comes before {BEGIN_MARKS}")
    return start, end


def with_tables(text: str, rubric: Rubric) -> str:
    """The handout text with its generated region rewritten from the rubric."""
    start, end = generated_region(text)
    return text[:start] + mark_tables(rubric) + text[end:]


def tables_are_current(text: str, rubric: Rubric) -> bool:
    """Whether the handout's generated region is exactly what the rubric gives."""
    return with_tables(text, rubric) == text


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def linked_images(text: str) -> list[str]:
    """The relative paths of the images the markdown links to, in order."""
    return [target for target in IMAGE_LINK.findall(text) if "://" not in target]


def figure_cells(directory: Path) -> dict[str, list[str]]:
    """For each solution notebook that draws handout figures, the code cells that save them."""
    cells: dict[str, list[str]] = {}
    for file_name, (notebook, variable) in FIGURES.items():
        target = str(directory / file_name)
        cells.setdefault(notebook, []).append(
            f"from notebooks.plotting import save_figure\nsave_figure({variable}, {target!r})"
        )
    return cells


def make_figures(directory: Path = FIGURES_DIR) -> list[Path]:
    """Execute the figure-drawing solution notebooks and save their figures into ``directory``."""
    from notebooks.execute import NotebookRun, execute_notebooks

    directory.mkdir(parents=True, exist_ok=True)
    runs = [NotebookRun(SOLUTION_NOTEBOOKS / name, cells) for name, cells in figure_cells(directory).items()]
    for result in execute_notebooks(runs, package="solution"):
        if result.error is not None:
            raise SystemExit(f"{result.path.relative_to(ROOT)} failed, so its figures were not made:\n{result.error}")
    return [directory / name for name in FIGURES]


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def render_html(markdown: str, base_dir: Path) -> str:
    """The handout as one self-contained HTML page: images embedded, math left to MathJax.

    ``base_dir`` is where relative image links are resolved (the folder of handout.md).
    """
    import nbformat
    from nbconvert import HTMLExporter

    title = next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), "Handout")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(markdown, id="handout")], metadata={"title": title}
    )
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    html, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"path": str(base_dir), "name": "handout"}})
    return html


def write_html(handout: Path, html_path: Path) -> Path:
    """Render ``handout`` (a markdown file) to ``html_path``."""
    html_path.write_text(render_html(handout.read_text(), handout.parent))
    return html_path


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def check(handout: Path, rubric: Rubric) -> list[str]:
    """Problems that make the handout stale: tables that differ from the rubric, missing images."""
    text = handout.read_text()
    problems = []
    if not tables_are_current(text, rubric):
        problems.append(f"{handout.name}: the mark tables differ from the rubric (run `make handout`)")
    for target in linked_images(text):
        if not (handout.parent / target).is_file():
            problems.append(f"{handout.name}: links to {target}, which does not exist (run `make handout`)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report a stale handout, write nothing")
    parser.add_argument("--tables-only", action="store_true", help="skip regenerating the figures (fast)")
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE, help="the rubric to read (default: %(default)s)")
    parser.add_argument("--handout", type=Path, default=HANDOUT, help="the markdown handout (default: %(default)s)")
    args = parser.parse_args(argv)
    rubric = load_rubric(args.rubric.resolve())
    if args.check:
        problems = check(args.handout, rubric)
        for problem in problems:
            print(f"stale: {problem}")
        if not problems:
            print(f"{args.handout.name} is up to date")
        return 1 if problems else 0

    text = args.handout.read_text()
    updated = with_tables(text, rubric)
    if updated != text:
        args.handout.write_text(updated)
        print(f"wrote: the mark tables in {args.handout.name}")
    if not args.tables_only:
        for path in make_figures(args.handout.parent / "figures"):
            print(f"drew: {path.relative_to(args.handout.parent)}")
    html = write_html(args.handout, args.handout.with_suffix(".html"))
    print(f"rendered: {html.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
