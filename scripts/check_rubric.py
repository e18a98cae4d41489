"""Refuse a rubric whose code points no longer fit the kit, before anything is regenerated.

Usage: python -m scripts.check_rubric [--rubric PATH]   (`make all` and `make handout` run it first)

The code part of autograder/rubric.toml must add up to CODE_TOTAL, and each module's total must be
the one the fairness catalogue's fair points were written for (tests/fairness/catalogue.py,
MAXIMA). Moving points between the tests of one module needs nothing else; anything more is
refused here, at once, with the sentence that says what else to change (see the README's Design
notes, "One rubric rule"). Exits 1 with that sentence, 0 when the rubric fits.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

from autograder.rubric import RUBRIC_FILE, load_rubric

ROOT = Path(__file__).resolve().parent.parent

CODE_TOTAL = 100.0  # the code part's points; the written report's come on top (rubric.toml, [written.*])
CATALOGUE = ROOT / "tests" / "fairness" / "catalogue.py"


def catalogue_maxima(path: Path = CATALOGUE) -> dict[str, float] | None:
    """The module totals the fairness catalogue's fair points assume (None without the catalogue,
    as in a bundle)."""
    if not path.is_file():
        return None
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == "MAXIMA" for target in node.targets):
            return {module: float(points) for module, points in ast.literal_eval(node.value).items()}
    raise ValueError(f"{path} defines no MAXIMA")


def rubric_problems(path: Path = RUBRIC_FILE, maxima: dict[str, float] | None = None) -> list[str]:
    """Sentences saying what does not fit, and what else to change; [] when the rubric fits."""
    rubric = load_rubric(path)
    problems = []
    if abs(rubric.total - CODE_TOTAL) > 1e-9:
        problems.append(
            f"The code tests in {path.name} add up to {rubric.total:g} points, not {CODE_TOTAL:g}. Take the "
            f"difference from other tests, or, to change the total on purpose, set CODE_TOTAL in "
            f"scripts/check_rubric.py and the totals the tests expect (make test lists them)."
        )
    changed = {module: (maxima[module], rubric.points(module)) for module in maxima or {}
               if abs(maxima[module] - rubric.points(module)) > 1e-9}
    if changed:
        listed = ", ".join(f"{module} {old:g} -> {new:g}" for module, (old, new) in changed.items())
        problems.append(
            f"Module totals changed ({listed}): move points only between tests of the same module, or "
            f"also rewrite the fair points of tests/fairness/catalogue.py for those modules (MAXIMA and "
            f"every submission's deductions), since they were written for the old totals."
        )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE)
    problems = rubric_problems(parser.parse_args().rubric, catalogue_maxima())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
