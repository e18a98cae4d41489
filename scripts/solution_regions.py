"""Solution regions: the markers shared by solution/ and the solution notebooks, and their removal.

A region is the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the markers
instructors know from nbgrader). make_starter.py and make_notebooks.py both replace each region by
one stub line; only the stub differs.
"""

from __future__ import annotations

from typing import Callable

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


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
