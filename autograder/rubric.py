"""The rubric, read from rubric.toml: every graded test with its points per variant, and the
written questions marked by hand.

``Rubric.tests`` holds only the autograded code tests: the grader, its reports and the gradebook
read those. ``Rubric.written`` holds the written part (the report), which the grader never sees:
the handout's mark tables and the report template read it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .kit import MODULES

RUBRIC_FILE = Path(__file__).with_name("rubric.toml")
VARIANTS = ("public", "hidden")


class TieError(ImportError):
    """The rubric, the checks and the probes do not name the same tests (checks/registry.py
    verifies the ties when the checks are imported)."""


@dataclass(frozen=True)
class RubricTest:
    module: str
    name: str
    title: str
    points: dict[str, float]  # variant -> points

    @property
    def id(self) -> str:
        return f"{self.module}.{self.name}"

    def runs_in(self, variant: str) -> bool:
        return self.points.get(variant, 0.0) > 0


@dataclass(frozen=True)
class WrittenQuestion:
    """One question of the written report: its Part (the handout's and Gradescope's question
    number), the Part's title, its own number (e.g. "3.3"), what it asks, and its points."""

    part: int
    part_title: str
    id: str
    title: str
    points: float


@dataclass(frozen=True)
class Rubric:
    tests: tuple[RubricTest, ...]
    written: tuple[WrittenQuestion, ...] = ()

    @property
    def modules(self) -> list[str]:
        """Modules in the order the rubric lists them."""
        return list(dict.fromkeys(test.module for test in self.tests))

    def test(self, test_id: str) -> RubricTest:
        for test in self.tests:
            if test.id == test_id:
                return test
        raise KeyError(f"{test_id!r} is not in {RUBRIC_FILE.name}")

    def in_module(self, module: str) -> list[RubricTest]:
        return [test for test in self.tests if test.module == module]

    def points(self, module: str | None = None, variants: tuple[str, ...] = VARIANTS) -> float:
        """Total points, for one module or all, over the given variants."""
        tests = self.tests if module is None else self.in_module(module)
        return sum(test.points.get(variant, 0.0) for test in tests for variant in variants)

    @property
    def total(self) -> float:
        """The code tests' points (the autograded part)."""
        return self.points()

    @property
    def written_parts(self) -> list[tuple[int, str, list[WrittenQuestion]]]:
        """(Part number, its title, its questions) for every Part of the written report, in order."""
        parts: dict[int, tuple[str, list[WrittenQuestion]]] = {}
        for question in self.written:
            parts.setdefault(question.part, (question.part_title, []))[1].append(question)
        return [(number, title, questions) for number, (title, questions) in parts.items()]

    @property
    def written_total(self) -> float:
        """The written part's points (marked by hand)."""
        return sum(question.points for question in self.written)


@cache
def load_rubric(path: Path = RUBRIC_FILE) -> Rubric:
    """Parse rubric.toml, refusing unknown modules, variants or malformed entries."""
    data = tomllib.loads(path.read_text())
    written = load_written(data.pop("written", {}), path.name)
    tests = []
    for module, entries in data.items():
        if module not in MODULES:
            raise ValueError(f"{path.name}: unknown module [{module}]; expected one of {', '.join(sorted(MODULES))}")
        for name, entry in entries.items():
            unknown = set(entry) - {"title", *VARIANTS}
            if unknown or "title" not in entry:
                raise ValueError(f"{path.name}: {module}.{name} needs a title and points per variant, got {entry}")
            points = {variant: float(entry.get(variant, 0.0)) for variant in VARIANTS}
            if any(value < 0 for value in points.values()):
                raise ValueError(f"{path.name}: {module}.{name} has negative points")
            tests.append(RubricTest(module, name, entry["title"], points))
    return Rubric(tuple(tests), written)


def load_written(parts: dict, file_name: str) -> tuple[WrittenQuestion, ...]:
    """The [written.<part>] tables: Parts numbered 1, 2, ... in order, questions "<part>.<n>"."""
    questions: list[WrittenQuestion] = []
    for expected, (key, part) in enumerate(parts.items(), start=1):
        where = f"{file_name}: [written.{key}]"
        if key != str(expected):
            raise ValueError(f"{where}: written parts must be numbered 1, 2, ... in order; expected [written.{expected}]")
        if set(part) != {"title", "questions"} or not part["questions"]:
            raise ValueError(f"{where} needs a title and a non-empty questions list, got {sorted(part)}")
        for number, entry in enumerate(part["questions"], start=1):
            if set(entry) != {"id", "title", "points"} or entry["id"] != f"{key}.{number}":
                raise ValueError(f"{where}: question {number} needs id = \"{key}.{number}\", a title and points, got {entry}")
            if not isinstance(entry["points"], (int, float)) or entry["points"] <= 0:
                raise ValueError(f"{where}: question {entry['id']} needs positive points")
            questions.append(WrittenQuestion(expected, part["title"], entry["id"], entry["title"], float(entry["points"])))
    return tuple(questions)
