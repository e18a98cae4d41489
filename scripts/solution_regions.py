"""Solution and hint regions: the markers shared by solution/ and the solution notebooks, and their removal.

A solution region is the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the markers
instructors know from nbgrader). make_starter.py and make_notebooks.py both replace each region by
one stub line; only the stub differs.

A hint region is the lines between ``### BEGIN HINT`` and ``### END HINT``, in a docstring or among
comments of solution/. It holds what students are asked to derive (a backward formula, say), so the
starter keeps its lines only when course.toml switches hints on (``keep_hints``); either way its
two marker lines go.
"""

from __future__ import annotations

from typing import Callable

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HINT, END_HINT = "### BEGIN HINT", "### END HINT"


def replace_regions(
    lines: list[str], where: str, stub: Callable[[str, int], str], error: type[SystemExit] = SystemExit
) -> list[str]:
    """``lines`` with every region replaced by ``stub(indentation, line number of its BEGIN)``.

    A misplaced marker raises ``error`` naming ``where`` and the line (numbers start at 1).
    """
    out: list[str] = []
    region_start = None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region_start is not None:
                raise error(f"{where}, line {number}: {BEGIN} inside another solution region")
            region_start = number
            out.append(stub(line[: len(line) - len(line.lstrip())], number))
        elif marker == END:
            if region_start is None:
                raise error(f"{where}, line {number}: {END} without a {BEGIN}")
            region_start = None
        elif region_start is None:
            out.append(line)
    if region_start is not None:
        raise error(f"{where}, line {region_start}: {BEGIN} is never closed")
    return out


def apply_hints(lines: list[str], keep_hints: bool, where: str = "text",
                error: type[SystemExit] = SystemExit) -> list[str]:
    """``lines`` without hint markers, and without the hints themselves unless ``keep_hints``."""
    out: list[str] = []
    region_start = None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN_HINT:
            if region_start is not None:
                raise error(f"{where}, line {number}: {BEGIN_HINT} inside another hint region")
            region_start = number
        elif marker == END_HINT:
            if region_start is None:
                raise error(f"{where}, line {number}: {END_HINT} without a {BEGIN_HINT}")
            region_start = None
        elif region_start is None or keep_hints:
            out.append(line)
    if region_start is not None:
        raise error(f"{where}, line {region_start}: {BEGIN_HINT} is never closed")
    return out


def hint_lines(lines: list[str]) -> list[str]:
    """The lines inside hint regions (markers excluded), as written."""
    inside, found = False, []
    for line in lines:
        marker = line.strip()
        if marker in (BEGIN_HINT, END_HINT):
            inside = marker == BEGIN_HINT
        elif inside:
            found.append(line)
    return found
