"""Deliberately broken and deliberately different versions of solution/, as whole functions.

A mutant is a plausible student mistake: it must lose points in the module it breaks and keep
every point of the modules it does not touch. An equivalent is a correct implementation written
differently from solution/: all of them together must still get full marks.

Each one replaces whole functions of solution/ by name ("Sigmoid.forward", "DataLoader.__iter__"),
found with the ast module as tests/fairness/build.py does, so rewriting solution/'s code,
comments or docstrings changes no mutant: a mutant fails its test only when the grader misses its
mistake (or when SPEC renames a function, which build.fill reports by name).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from autograder.kit import MODULES

from fairness.build import fill
from mutant_catalogue import EQUIVALENTS, MUTANTS, Mutant  # noqa: F401 (the catalogue, read through this module)

ROOT = Path(__file__).resolve().parent.parent


def build(changes: dict[str, dict[str, str]], target: Path) -> Path:
    """Write solution/'s six modules into the folder ``target``, with the functions of ``changes``
    (module -> qualified name -> definition) replaced whole."""
    unknown = set(changes) - set(MODULES)
    if unknown:
        raise KeyError(f"unknown modules {sorted(unknown)}")
    target.mkdir(parents=True)
    for module in MODULES:
        source = (ROOT / "solution" / f"{module}.py").read_text()
        if changes.get(module):
            source = fill(source, changes[module], where=f"{target.name}: {module}.py")
        (target / f"{module}.py").write_text(source)
    return target


def merged(*mutants: Mutant) -> dict[str, dict[str, str]]:
    """The changes of several mutants together (of different functions)."""
    changes: dict[str, dict[str, str]] = {}
    for mutant in mutants:
        for module, functions in mutant.changes.items():
            if set(functions) & set(changes.get(module, {})):
                raise ValueError(f"{mutant.name} changes a function another mutant changes")
            changes.setdefault(module, {}).update(functions)
    return changes


@dataclass(frozen=True)
class Edit:
    """A text edit, for the few tests about module-level code (imports, helpers, a syntax error)."""

    module: str
    old: str
    new: str
    count: int = 1  # how many occurrences to replace (the first ones)


def apply(edits, target: Path) -> Path:
    """Write solution/'s six modules, with the text edits applied, into the folder ``target``."""
    target.mkdir(parents=True)
    sources = {module: (ROOT / "solution" / f"{module}.py").read_text() for module in MODULES}
    for edit in edits:
        found = sources[edit.module].count(edit.old)
        if found != edit.count:  # also elsewhere (a docstring, say): the edit would not be what it says
            raise AssertionError(f"edit applies {found} times to solution/{edit.module}.py, not {edit.count}: {edit.old!r}")
        sources[edit.module] = sources[edit.module].replace(edit.old, edit.new, edit.count)
    for module, source in sources.items():
        (target / f"{module}.py").write_text(source)
    return target


def copy_tree(name: str, target: Path) -> Path:
    shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target
