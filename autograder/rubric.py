"""The rubric, read from rubric.toml: every graded test with its points per variant."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RUBRIC_FILE = Path(__file__).with_name("rubric.toml")
MODULES = ("activations", "layers", "loss", "model", "optimizer", "util")
VARIANTS = ("public", "hidden")


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
class Rubric:
    tests: tuple[RubricTest, ...]

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
        return self.points()


@cache
def load_rubric(path: Path = RUBRIC_FILE) -> Rubric:
    """Parse rubric.toml, refusing unknown modules, variants or malformed entries."""
    data = tomllib.loads(path.read_text())
    tests = []
    for module, entries in data.items():
        if module not in MODULES:
            raise ValueError(f"{path.name}: unknown module [{module}]; expected one of {', '.join(MODULES)}")
        for name, entry in entries.items():
            unknown = set(entry) - {"title", *VARIANTS}
            if unknown or "title" not in entry:
                raise ValueError(f"{path.name}: {module}.{name} needs a title and points per variant, got {entry}")
            points = {variant: float(entry.get(variant, 0.0)) for variant in VARIANTS}
            if any(value < 0 for value in points.values()):
                raise ValueError(f"{path.name}: {module}.{name} has negative points")
            tests.append(RubricTest(module, name, entry["title"], points))
    return Rubric(tuple(tests))
