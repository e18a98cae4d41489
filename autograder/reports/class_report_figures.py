"""The class report's figures, as PNG files (matplotlib's Agg renderer, no display needed).

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot: no global state, nothing
left open, safe inside a grading process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

KIND_COLORS = {"wrong": "#d62728", "error": "#ff7f0e", "limit": "#8c564b", "grader error": "#9467bd", "not implemented": "#bbbbbb"}
DPI = 100


def integer_ticks(axis) -> None:
    """Whole numbers only on a count axis (its default locator, a MaxNLocator, told so)."""
    cast(MaxNLocator, axis.get_major_locator()).set_params(integer=True)


def save(figure: Figure, path: Path) -> str:
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path.name


def scores(submissions, folder: Path) -> str | None:
    graded = [s for s in submissions if s.graded]
    if not graded:
        return None
    maximum = max(s.max_score for s in graded)
    values = np.array([s.score for s in graded])
    figure = Figure(figsize=(5.4, 3.4))
    axes = figure.subplots()
    axes.hist(values, bins=list(np.linspace(0, maximum, 21)), color="#1f77b4", edgecolor="white")
    axes.axvline(values.mean(), color="#222", linestyle="--", linewidth=1, label=f"mean {values.mean():.1f}")
    axes.axvline(np.median(values), color="#2ca02c", linestyle=":", linewidth=1.5, label=f"median {np.median(values):g}")
    axes.set(xlabel=f"total score (out of {maximum:g})", ylabel="submissions", title=f"Scores ({len(graded)} graded)", xlim=(0, maximum))
    integer_ticks(axes.yaxis)
    axes.legend(frameon=False, fontsize=8)
    return save(figure, folder / "scores.png")


def modules(submissions, folder: Path) -> str | None:
    graded = [s for s in submissions if s.graded and s.modules]
    if not graded:
        return None
    names = list(graded[0].modules)
    columns = 3
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(10, 2.6 * rows))
    grid = figure.subplots(rows, columns, squeeze=False)
    bins = np.linspace(0, 100, 11)
    for axes, name in zip(grid.flat, names):
        maximum = graded[0].modules[name][1]
        percents = [100 * s.modules[name][0] / maximum for s in graded if name in s.modules and maximum]
        axes.hist(percents, bins=list(bins), color="#1f77b4", edgecolor="white")
        full = sum(1 for value in percents if value >= 100)
        axes.set(title=f"{name} (out of {maximum:g}): {full} full", xlim=(0, 100))
        axes.set_xlabel("% of the module's points", fontsize=8)
        integer_ticks(axes.yaxis)
    for axes in list(grid.flat)[len(names):]:
        axes.set_visible(False)
    figure.suptitle("Each module's score", fontsize=11)
    figure.tight_layout()
    return save(figure, folder / "modules.png")


def tests(stats, folder: Path) -> str | None:
    """Per test, two bars (public above hidden), each split by kind of failure."""
    if not stats:
        return None
    height = 0.34 * len(stats) + 1.2
    figure = Figure(figsize=(10, height))
    axes = figure.subplots()
    positions = np.arange(len(stats))[::-1]
    for offset, variant, alpha in ((0.2, "public", 1.0), (-0.2, "hidden", 0.55)):
        left = np.zeros(len(stats))
        for kind, color in KIND_COLORS.items():
            widths = np.array([100 * (entry.rate(variant, (kind,)) or 0.0) for entry in stats])
            drawn = widths > 0  # only the bars there are: drawing empty ones is most of the time
            axes.barh(positions[drawn] + offset, widths[drawn], height=0.38, left=left[drawn], color=color, alpha=alpha)
            left += widths
    axes.set_yticks(positions, [entry.test_id for entry in stats], fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of graded submissions failing (upper bar public, lower bar hidden)")
    axes.tick_params(axis="x", labeltop=True, top=True)
    axes.set_ylim(-0.6, len(stats) - 0.4)
    axes.grid(axis="x", color="#eee")
    axes.set_axisbelow(True)
    # Legend entries made here, in the kinds' own colours (a kind with no bar has no artist to copy).
    handles = [Patch(facecolor=color, label=kind) for kind, color in KIND_COLORS.items()]
    axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.03), ncol=len(KIND_COLORS), fontsize=8, frameon=False,
                title="Failure rate of every test, by kind of failure", title_fontsize=10)
    return save(figure, folder / "tests.png")


def times(submissions, folder: Path) -> str | None:
    seconds = [s.seconds for s in submissions if s.seconds]
    if not seconds:
        return None
    figure = Figure(figsize=(5.4, 3.4))
    axes = figure.subplots()
    axes.hist(seconds, bins=20, color="#7f7f7f", edgecolor="white")
    axes.set(xlabel="seconds to grade one submission", ylabel="submissions", title="Grading time")
    integer_ticks(axes.yaxis)
    return save(figure, folder / "times.png")


def draw_all(submissions, stats, folder: Path) -> dict[str, str]:
    """Draw every figure; returns figure name -> file name for those there was data for. Where
    the system can fork, half of them are drawn in a child process at the same time."""
    work = {"scores": (scores, submissions), "modules": (modules, submissions), "tests": (tests, stats), "times": (times, submissions)}
    elsewhere = {name: work[name] for name in ("modules", "times")}
    child = start_child(elsewhere, folder)
    drawn = {name: function(data, folder) for name, (function, data) in work.items() if child is None or name not in elsewhere}
    if child is not None:
        from_child = collect_child(*child, elsewhere)
        drawn.update(from_child if from_child is not None else {name: function(data, folder) for name, (function, data) in elsewhere.items()})
    return {name: file for name in work if (file := drawn.get(name))}


def start_child(work: dict, folder: Path) -> tuple[int, int] | None:
    """Fork a child that draws ``work``; (pid, read end of its pipe), or None where the system
    cannot fork."""
    if not hasattr(os, "fork"):
        return None
    from .. import forked

    try:
        return forked.start(lambda: {name: function(value, folder) for name, (function, value) in work.items()})
    except OSError:
        return None


def collect_child(pid: int, read_end: int, work: dict, wait_seconds: float = 60.0) -> dict | None:
    """What the child drew, or None if it failed or did not finish within ``wait_seconds`` (it is
    then killed; the caller draws the figures itself)."""
    from .. import forked

    status, drawn = forked.collect(pid, read_end, wait_seconds)
    return drawn if status == "ok" and isinstance(drawn, dict) and set(drawn) == set(work) else None
