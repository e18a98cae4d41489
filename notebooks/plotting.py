"""Figures for the notebooks and the handout (provided; nothing to implement here).

Every function returns a matplotlib Figure made with pyplot, so a notebook shows it inline;
``save_figure`` writes one to a PNG whose bytes depend only on what is drawn (the handout's
figures are saved this way, so regenerating them changes no file unless a picture changed).

A "model" here is anything with ``forward(X) -> probabilities`` of shape (m, C), rows summing
to 1, such as ``NeuralNetworkModel`` with a softmax output layer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

# Class colours: tab10, so up to ten classes stay distinguishable.
CLASS_COLOURS = np.array([to_rgb(f"C{index}") for index in range(10)])
# How strongly a fully confident region is tinted with its class colour (0: white, 1: full colour).
REGION_TINT = 0.65
# A region is white where the model's doubt, 1 - (its largest probability), is DOUBT_WHITE or more,
# and its tint deepens by one step for every factor of ten the doubt shrinks, reaching full tint at
# DOUBT_FULL. Doubt spans many decades (a network trained with cross-entropy reaches 1e-6 and less
# where mean squared error stops near 1e-2), so the scale is logarithmic and long: a short one
# would paint both losses the same deep colour.
DOUBT_WHITE, DOUBT_FULL = 0.5, 1e-8
# Line colour of each setting in comparisons, by position (matplotlib's default cycle).
SETTING_COLOURS = [f"C{index}" for index in range(10)]


def class_colours(labels: np.ndarray) -> np.ndarray:
    """RGB colour of each integer label, shape (m, 3)."""
    return CLASS_COLOURS[np.asarray(labels) % len(CLASS_COLOURS)]


def grid_layout(count: int, columns: int, panel_size: tuple[float, float] = (3.2, 2.8)):
    """A figure with ``count`` panels in rows of ``columns``; unused panels are hidden."""
    columns = min(columns, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows),
                                squeeze=False, layout="constrained")
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return figure, list(axes.flat[:count])


# --------------------------------------------------------------------------------------------
# Two-dimensional datasets and decision boundaries
# --------------------------------------------------------------------------------------------


def scatter_classes(ax, X: np.ndarray, y: np.ndarray, size: float = 8) -> None:
    """Scatter the rows of a 2-D dataset X (m, 2), coloured by their labels y (m,)."""
    ax.scatter(X[:, 0], X[:, 1], c=class_colours(y), s=size, edgecolors="k", linewidths=0.2)


def plot_datasets(datasets: Mapping[str, tuple[np.ndarray, np.ndarray]], columns: int = 5) -> Figure:
    """One scatter plot per dataset: ``datasets`` maps a name to ``(X (m, 2), y (m,))``."""
    figure, axes = grid_layout(len(datasets), columns)
    for ax, (name, (X, y)) in zip(axes, datasets.items()):
        scatter_classes(ax, X, y)
        ax.set_title(f"{name} ({len(X)} points, {len(np.unique(y))} classes)", fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
    return figure


def certainty(doubt: np.ndarray) -> np.ndarray:
    """Where each doubt sits on the shading scale: 0 at DOUBT_WHITE or more, 1 at DOUBT_FULL or less."""
    doubt = np.maximum(doubt, 1e-300)
    return np.clip(np.log10(DOUBT_WHITE / doubt) / np.log10(DOUBT_WHITE / DOUBT_FULL), 0.0, 1.0)


def draw_decision_boundary(ax, model, X: np.ndarray, y: np.ndarray, resolution: int = 160,
                           margin: float = 0.5) -> float:
    """Shade the plane by the model's predicted class and scatter (X, y) on top.

    Each region takes its class colour: white where the model's doubt (1 - its largest
    probability) is DOUBT_WHITE or more, and deeper with every factor of ten its doubt shrinks, down
    to DOUBT_FULL (see ``add_doubt_scale`` for the key). A black line marks where the predicted
    class changes. Returns the model's accuracy on (X, y).
    """
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    probabilities = model.forward(grid)
    n_classes = probabilities.shape[1]
    predicted = probabilities.argmax(axis=1)
    tint = REGION_TINT * certainty(1 - probabilities.max(axis=1))[:, None]
    image = 1 - tint * (1 - class_colours(predicted))
    ax.imshow(image.reshape(resolution, resolution, 3), origin="lower", aspect="auto",
              extent=(low[0], high[0], low[1], high[1]), interpolation="bilinear")
    # Each class's margin, its probability minus the largest other one, is 0 exactly on that
    # class's boundary. Contouring it (a smooth function) draws one smooth line per boundary,
    # where contouring the class index would draw two lines between classes 0 and 2.
    for label in range(1 if n_classes == 2 else n_classes):
        others = np.delete(probabilities, label, axis=1).max(axis=1)
        margin = (probabilities[:, label] - others).reshape(resolution, resolution)
        if margin.min() < 0 < margin.max():
            ax.contour(xs, ys, margin, levels=[0.0], colors="k", linewidths=0.8)
    scatter_classes(ax, X, y)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    return float(np.mean(model.forward(X).argmax(axis=1) == y))


def add_doubt_scale(figure: Figure, axes, rows: int = 1) -> None:
    """A colour bar beside ``axes`` giving the doubt each depth of shading stands for (grey in
    the bar; each region shows the same depth in its class colour)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, LogNorm

    shade = 1 - REGION_TINT
    colours = LinearSegmentedColormap.from_list("doubt", [(shade, shade, shade), (1.0, 1.0, 1.0)])
    scale = ScalarMappable(norm=LogNorm(DOUBT_FULL, DOUBT_WHITE), cmap=colours)
    bar = figure.colorbar(scale, ax=axes, shrink=0.9 if rows <= 2 else 0.5, aspect=20 if rows <= 2 else 30, pad=0.02)
    bar.set_label("doubt: 1 - largest probability", fontsize=8)
    bar.ax.tick_params(labelsize=7)


def plot_decision_boundaries(models: Mapping[tuple[str, str], object],
                             data: Mapping[str, tuple[np.ndarray, np.ndarray]],
                             columns: Sequence[str], panel_size: tuple[float, float] = (3.1, 2.75)) -> Figure:
    """A grid of decision boundaries: one row per dataset, one column per training setting.

    ``models[(dataset, column)]`` is the model trained on that dataset with that setting (for
    example the loss, "mse" or "cross_entropy"); ``data[dataset] = (X, y)`` are the points drawn
    over it (for example the test split). Each panel's title gives the accuracy on those points,
    and a colour bar gives the doubt each depth of shading stands for.
    """
    figure, axes = plt.subplots(len(data), len(columns), figsize=(panel_size[0] * len(columns) + 1.0, panel_size[1] * len(data)),
                                squeeze=False, layout="constrained")
    for row, (dataset, (X, y)) in enumerate(data.items()):
        for column, setting in enumerate(columns):
            ax = axes[row, column]
            accuracy = draw_decision_boundary(ax, models[(dataset, setting)], X, y)
            ax.set_title(f"{dataset}, {setting}: {accuracy:.1%}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    add_doubt_scale(figure, axes, rows=len(data))
    return figure


# --------------------------------------------------------------------------------------------
# Training curves
# --------------------------------------------------------------------------------------------


def plot_curves(panels: Mapping[str, Mapping[str, Sequence[float]]], ylabel: str = "loss",
                columns: int = 3, log_scale: bool = False,
                panel_size: tuple[float, float] = (4.2, 3.0)) -> Figure:
    """Per-epoch curves, one panel per key of ``panels``, one line per key of ``panels[title]``.

    Example: ``plot_curves({"iris": {"training": history["loss"], "validation": history["val_loss"]}})``.
    """
    figure, axes = grid_layout(len(panels), columns, panel_size=panel_size)
    for ax, (title, curves) in zip(axes, panels.items()):
        for label, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        if log_scale:
            ax.set_yscale("log")
        place_legend(ax, len(curves))
    return figure


def place_legend(ax, entries: int) -> None:
    """A legend inside the axes for a few entries, beside them for many (so it hides no curve)."""
    if entries > 4:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        ax.legend(fontsize=7)


def plot_doubt(panels: Mapping[str, Mapping[str, np.ndarray]], columns: int = 5) -> Figure:
    """How sure a classifier is: for each panel and each line, the cumulative share of examples
    whose doubt ``1 - (probability given to the true class)`` is at most x, on a log x axis.

    ``panels[title][label]`` is an array of probabilities of the true class, shape (m,). A curve
    further left means a more confident (and, if right, better) classifier.
    """
    figure, axes = grid_layout(len(panels), columns, panel_size=(3.2, 2.8))
    for ax, (title, lines) in zip(axes, panels.items()):
        for label, probabilities in lines.items():
            doubt = np.sort(np.clip(1 - np.asarray(probabilities), 1e-12, 1))
            share = np.arange(1, len(doubt) + 1) / len(doubt)
            ax.step(doubt, share, where="post", label=label)
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("1 - p(true class)")
        ax.set_ylabel("share of test points")
        place_legend(ax, len(lines))
    return figure


def plot_history(history: Mapping[str, Sequence[float]], title: str = "") -> Figure:
    """Loss and accuracy per epoch from ``NeuralNetworkModel.fit``'s history, training and validation."""
    panels = {}
    for metric in ("loss", "accuracy"):
        curves = {"training": history[metric]}
        if f"val_{metric}" in history:
            curves["validation"] = history[f"val_{metric}"]
        panels[f"{title} {metric}".strip()] = curves
    figure = plot_curves(panels, ylabel="", columns=2)
    for ax, metric in zip(figure.axes, ("loss", "accuracy")):
        ax.set_ylabel(metric)
    return figure


def plot_runs(panels: Mapping[str, Mapping[str, Sequence[Sequence[float]]]], ylabel: str,
              columns: int = 3, log_scale: bool = False, panel_size: tuple[float, float] = (3.4, 2.7)) -> Figure:
    """Per-epoch curves of repeated runs: ``panels[title][setting]`` is a list of curves, one per
    seed. Each seed is a thin line, their mean a thick one, one colour per setting, so the spread
    between seeds shows next to the difference between settings."""
    figure, axes = grid_layout(len(panels), columns, panel_size=panel_size)
    for ax, (title, settings) in zip(axes, panels.items()):
        for colour, (setting, runs) in zip(SETTING_COLOURS, settings.items()):
            length = max(len(run) for run in runs)
            for run in runs:
                ax.plot(np.arange(1, len(run) + 1), run, color=colour, linewidth=0.7, alpha=0.45)
            if all(len(run) == length for run in runs):
                ax.plot(np.arange(1, length + 1), np.mean(runs, axis=0), color=colour, linewidth=2,
                        label=f"{setting} (mean of {len(runs)})")
            else:
                ax.plot([], [], color=colour, linewidth=2, label=f"{setting} ({len(runs)} runs)")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        if log_scale:
            ax.set_yscale("log")
        place_legend(ax, len(settings))
    return figure


def plot_lines(x: Sequence[float], lines: Mapping[str, Sequence[float]], xlabel: str, ylabel: str,
               title: str = "", log_x: bool = False, log_y: bool = False, ax=None,
               markers: bool = True) -> Figure:
    """One line per key of ``lines`` against the shared ``x`` (with markers at the points)."""
    figure = None
    if ax is None:
        figure, ax = plt.subplots(figsize=(5.2, 3.4), layout="constrained")
    for colour, (label, values) in zip(SETTING_COLOURS, lines.items()):
        ax.plot(x, values, marker="o" if markers else None, markersize=3.5, color=colour, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    place_legend(ax, len(lines))
    return figure if figure is not None else ax.figure


def plot_scatter_by_setting(x: Mapping[str, np.ndarray], y: Mapping[str, np.ndarray], xlabel: str,
                            ylabel: str, title: str = "", log_x: bool = True, log_y: bool = True) -> Figure:
    """One cloud of points per setting: ``x[setting]`` against ``y[setting]``, on log axes by default."""
    figure, ax = plt.subplots(figsize=(5.2, 3.6), layout="constrained")
    for colour, setting in zip(SETTING_COLOURS, x):
        ax.scatter(x[setting], y[setting], s=6, color=colour, alpha=0.6, label=setting)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    place_legend(ax, len(x))
    return figure


# --------------------------------------------------------------------------------------------
# Classification results
# --------------------------------------------------------------------------------------------


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str] | None = None,
                          title: str = "") -> Figure:
    """Show a (C, C) confusion matrix: row = true class, column = predicted class, counts written in."""
    matrix = np.asarray(matrix)
    names = list(class_names) if class_names is not None else [str(index) for index in range(len(matrix))]
    figure, ax = plt.subplots(figsize=(5.2, 4.6), layout="constrained")
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, shrink=0.85)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            ax.text(column, row, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > threshold else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return figure


def plot_digits(images: np.ndarray, titles: Sequence[str], columns: int = 10) -> Figure:
    """Show 8x8 digit images, rows of ``images`` (n, 64) with values in [0, 1], with a title each."""
    figure, axes = grid_layout(len(images), columns, panel_size=(1.1, 1.3))
    for ax, image, title in zip(axes, images, titles):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    return figure


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


FIGURE_DPI = 90  # the handout's figures


def save_figure(figure: Figure, path: str | Path, dpi: int = FIGURE_DPI) -> Path:
    """Write ``figure`` as a PNG whose bytes depend only on what is drawn (on one machine).

    The software-version stamp is left out, so redrawing an unchanged figure rewrites the same
    bytes. The image keeps its full colours: a 256-colour palette would band the smooth shading of
    the decision-boundary plots.
    """
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    Image.open(buffer).convert("RGB").save(path, optimize=True)
    return path
