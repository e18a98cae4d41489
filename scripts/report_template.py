"""The report template students fill in and hand in as one PDF: report/report_template.md and
report/report_template.tex, written by scripts/make_handout.py from the rubric's written part and
course.toml. One section per Part (which is also a question of the Gradescope outline, on its own
page), one heading per question with its points, numbered as in the handout and the notebooks.
"""

from __future__ import annotations

from pathlib import Path

from autograder.rubric import Rubric
from scripts.course_settings import CourseSettings

REPORT_DIR = Path(__file__).resolve().parent.parent / "report"


def points(value: float) -> str:
    """A number of points as people write it: 2, 1.5, 0.25."""
    return f"{value:g}"


def points_label(value: float) -> str:
    """ "1 point", "1.5 points"."""
    return f"{value:g} point" + ("" if value == 1 else "s")


REPORT_MARKDOWN = "report_template.md"
REPORT_LATEX = "report_template.tex"


def report_markdown(rubric: Rubric, settings: CourseSettings) -> str:
    logistics = settings.logistics
    lines = [
        "<!-- Generated from autograder/rubric.toml and course.toml by scripts/make_handout.py. "
        "Students: copy this file to report.md and write in the copy. -->",
        "",
        "# Report: a feed-forward neural network in NumPy",
        "",
        "**Name:**  ",
        "**Student ID:**  ",
        "**Collaborators and sources** (who you discussed the assignment with, what you read):  ",
        "**Use of AI assistants** (which, for what; see the policy below):  ",
        "",
        f"- Hand in: this report as **one PDF**, to *{logistics['report_assignment']}*, by {logistics['deadline']}. "
        "When you upload it, mark the page(s) of every question on Gradescope.",
        f"- Collaboration: {logistics['collaboration_policy']}",
        f"- AI assistants: {logistics['ai_policy']}",
        "",
        "The questions in full are in the handout (Parts 1 to 5) and at the end of each notebook (Parts 6 "
        "to 10); the headings below only name them. Derivations: show the steps, for a whole batch, and "
        "check shapes. Notebook questions: quote the numbers and figures your notebook printed (a figure "
        "may be pasted in), then explain them. Each Part starts on a new page when printed to PDF.",
        "",
    ]
    for number, title, questions in rubric.written_parts:
        total = sum(question.points for question in questions)
        lines += ['<div style="page-break-before: always"></div>', "", f"## Part {number}. {title} ({points_label(total)})", ""]
        for question in questions:
            lines += [f"### {question.id} {question.title} ({points_label(question.points)})", "", "*Your answer.*", ""]
    return "\n".join(lines).rstrip() + "\n"


def latex_escape(text: str) -> str:
    replacements = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(replacements.get(character, character) for character in text)


def report_latex(rubric: Rubric, settings: CourseSettings) -> str:
    logistics = {key: latex_escape(value) for key, value in settings.logistics.items()}
    lines = [
        "% Generated from autograder/rubric.toml and course.toml by scripts/make_handout.py.",
        "% Students: copy this file to report.tex, write in the copy, compile it (pdflatex, or upload it to",
        "% Overleaf) and hand in the PDF.",
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2.5cm]{geometry}",
        r"\usepackage{amsmath,amssymb,graphicx}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.6em}",
        r"\title{Report: a feed-forward neural network in NumPy}",
        r"\author{}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"\textbf{Name:} \\",
        r"\textbf{Student ID:} \\",
        r"\textbf{Collaborators and sources:} \\",
        r"\textbf{Use of AI assistants:}",
        "",
        r"\begin{itemize}",
        rf"\item Hand in: this report as \textbf{{one PDF}}, to \emph{{{logistics['report_assignment']}}}, by {logistics['deadline']}. "
        r"When you upload it, mark the page(s) of every question on Gradescope.",
        rf"\item Collaboration: {logistics['collaboration_policy']}",
        rf"\item AI assistants: {logistics['ai_policy']}",
        r"\end{itemize}",
        "",
        r"The questions in full are in the handout (Parts 1 to 5) and at the end of each notebook (Parts 6 to 10); "
        r"the headings below only name them. Derivations: show the steps, for a whole batch, and check shapes. "
        r"Notebook questions: quote the numbers and figures your notebook printed, then explain them.",
    ]
    for number, title, questions in rubric.written_parts:
        total = sum(question.points for question in questions)
        lines += ["", r"\newpage", rf"\section*{{Part {number}. {latex_escape(title)} ({points_label(total)})}}"]
        for question in questions:
            lines += [rf"\subsection*{{{question.id} {latex_escape(question.title)} ({points_label(question.points)})}}",
                      r"\emph{Your answer.}", ""]
    lines += [r"\end{document}"]
    return "\n".join(lines) + "\n"


def report_files(rubric: Rubric, settings: CourseSettings, directory: Path = REPORT_DIR) -> dict[Path, str]:
    """Each template's path and the text it should hold."""
    return {directory / REPORT_MARKDOWN: report_markdown(rubric, settings), directory / REPORT_LATEX: report_latex(rubric, settings)}
