"""The staff-only answer key of the written report: report/answer_key.md, written by
scripts/make_handout.py (beside the report template) from report/answer_key.toml and the rubric.

report/answer_key.toml holds, for every written question of the rubric (``["1.1"]``, ...):

- ``answer``: the model answer (derivations with their results; for the notebook questions, the
  numbers the solution notebooks print and what they show);
- ``scheme``: the marking scheme, a list of ``[points, "what earns them"]`` adding up to the
  question's points in the rubric;
- for the notebook questions (Parts 6 to 10) also ``full``, ``partial`` and ``zero``: what a full,
  a partial and a zero answer look like.

Points and titles come from the rubric, so the key follows a rubric edit, and a scheme that no
longer adds up is refused with the question it concerns. Neither file reaches a student: the
student bundle takes only report/report_template.* (scripts/make_dist.py), and tests/test_handout.py
checks that no student artifact holds the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from autograder.rubric import Rubric, WrittenQuestion

KEY_SOURCE = "answer_key.toml"
KEY_FILE = "answer_key.md"
STAFF_ONLY = "STAFF ONLY: the answer key. Do not hand out, post or upload where students can read it."
EXPERIMENT_PARTS = range(6, 11)  # the notebooks' questions: marked on measured numbers


class AnswerKeyError(ValueError):
    """The answer key's source does not match the rubric; the message names the question."""


def points(value: float) -> str:
    return f"{value:g}"


def checked_entry(question: WrittenQuestion, entry: dict) -> dict:
    """The key's entry for one question, after checking it is complete and adds up."""
    where = f"{KEY_SOURCE} [\"{question.id}\"]"
    needed = ["answer", "scheme"] + (["full", "partial", "zero"] if question.part in EXPERIMENT_PARTS else [])
    missing = [name for name in needed if not entry.get(name)]
    if missing:
        raise AnswerKeyError(f"{where}: missing {', '.join(missing)}")
    scheme = entry["scheme"]
    if not all(isinstance(item, list) and len(item) == 2 and isinstance(item[0], (int, float)) and item[0] > 0
               and isinstance(item[1], str) for item in scheme):
        raise AnswerKeyError(f"{where}: scheme items are [points, \"what earns them\"] with positive points")
    total = sum(item[0] for item in scheme)
    if abs(total - question.points) > 1e-9:
        raise AnswerKeyError(f"{where}: the scheme adds up to {points(total)} points, the rubric gives {points(question.points)}")
    return entry


def load_key(rubric: Rubric, source: Path) -> dict[str, dict]:
    """Each written question's checked entry, in the rubric's order."""
    if not source.is_file():
        raise AnswerKeyError(f"{source.name} is missing: the answer key's source")
    try:
        entries = tomllib.loads(source.read_text())
    except tomllib.TOMLDecodeError as error:
        raise AnswerKeyError(f"{source.name} is not valid TOML: {error}") from error
    ids = [question.id for question in rubric.written]
    extra = sorted(set(entries) - set(ids))
    if extra:
        raise AnswerKeyError(f"{KEY_SOURCE}: questions the rubric does not have: {', '.join(extra)}")
    absent = [question_id for question_id in ids if question_id not in entries]
    if absent:
        raise AnswerKeyError(f"{KEY_SOURCE}: no answer for {', '.join(absent)}")
    return {question.id: checked_entry(question, entries[question.id]) for question in rubric.written}


def question_section(question: WrittenQuestion, entry: dict) -> list[str]:
    lines = [f"### {question.id} {question.title} ({points(question.points)} points)", "",
             "**Model answer.**", "", entry["answer"].strip(), "", "**Marking.**", ""]
    lines += [f"- {points(value)}: {text}" for value, text in entry["scheme"]]
    if question.part in EXPERIMENT_PARTS:
        lines += ["", f"- *Full ({points(question.points)}):* {entry['full'].strip()}",
                  f"- *Partial:* {entry['partial'].strip()}", f"- *Zero:* {entry['zero'].strip()}"]
    return lines + [""]


def answer_key_markdown(rubric: Rubric, key: dict[str, dict]) -> str:
    lines = [
        "<!-- Generated from report/answer_key.toml and autograder/rubric.toml by scripts/make_handout.py: "
        "edit those, then run `make handout`. -->",
        "",
        "# Answer key: a feed-forward neural network in NumPy",
        "",
        f"**{STAFF_ONLY}**",
        "",
        "One section per Part, one heading per question with its points from the rubric. The numbers",
        "quoted for the notebook questions are those the solution notebooks print (tests/test_notebooks.py",
        "checks the findings they support, with margins); a student's own run may differ where the",
        "notebook says so (chaotic runs), and is marked on its own numbers. Points in a scheme are the",
        "most a criterion earns; give part of them for a criterion partly met.",
        "",
    ]
    for number, title, questions in rubric.written_parts:
        total = sum(question.points for question in questions)
        lines += [f"## Part {number}. {title} ({points(total)} points)", ""]
        for question in questions:
            lines += question_section(question, key[question.id])
    return "\n".join(lines).rstrip() + "\n"


def answer_key_files(rubric: Rubric, directory: Path) -> dict[Path, str]:
    """The answer key's path and the text it should hold; AnswerKeyError if its source is wrong."""
    return {directory / KEY_FILE: answer_key_markdown(rubric, load_key(rubric, directory / KEY_SOURCE))}
