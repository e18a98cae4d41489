"""What a figure shows, as data, and whether two figures show the same thing.

A handout figure is committed with its data beside it (``figures/x.png`` and ``figures/x.json``).
The PNG's pixels change with the CPU, BLAS and matplotlib build that drew it; what it shows does
not, unless something real changed. ``describe`` records what a matplotlib Figure shows: its size,
and for each panel its texts, and its lines, points and images in the panel's own coordinates (0 to
1 across the axes, so log axes are compared as drawn). ``differences`` compares two such records
within ``TOLERANCE``: a curve moved by a few pixels or a count off by one passes (another CPU's
rounding, or a chaotic run, can do that), a curve or picture redrawn from other numbers fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

# Positions: at most `share` of a panel's points may move by more than `position` of the panel's
# width or height (0.01 is about 3 pixels in a handout panel). Colours (0 to 1) of points and of the
# cells of a coarse grid over each image (IMAGE_CELLS x IMAGE_CELLS): at most `share` of them may
# change by more than `colour`. Numbers in texts (titles, counts, legends): within `digits` units of
# their last printed digit (99.3% against 99.5%, or 12 against 14).
TOLERANCE = {"position": 0.01, "colour": 0.05, "share": 0.02, "digits": 2}
IMAGE_CELLS = 16
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def data_path(png: str | Path) -> Path:
    """Where the data of a figure saved as ``png`` lives: beside it, with the suffix .json."""
    return Path(png).with_suffix(".json")


def describe(figure, dpi: int) -> dict:
    """What ``figure`` shows: its size in pixels at ``dpi`` and one record per visible panel."""
    figure.draw_without_rendering()  # settles the axes' limits (autoscaling is lazy) and the layout
    width, height = figure.get_size_inches() * dpi
    return {"size": [int(width), int(height)],  # as the PNG has it (to a pixel: see the figure test)
            "panels": [describe_axes(ax) for ax in figure.axes if ax.get_visible()]}


def panel_coordinates(ax, xy) -> np.ndarray:
    """Data coordinates (n, 2) as fractions of the panel (0 to 1), through its scales."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return xy
    with np.errstate(all="ignore"):
        return ax.transLimits.transform(ax.transScale.transform(xy))


def rounded(values, digits: int = 4) -> list:
    """A JSON-ready nested list (where nothing is drawn, NaN: infinities become NaN too)."""
    array = np.round(np.asarray(values, dtype=float), digits)
    return np.where(np.isfinite(array), array, np.nan).tolist()


def coarse_image(image) -> list:
    """An image's colours as shown (RGB, 0 to 1) averaged over an IMAGE_CELLS x IMAGE_CELLS grid."""
    array = np.asarray(image.get_array(), dtype=float)
    # a table of values (a confusion matrix) is shown through its colour map
    image = image.to_rgba(array)[..., :3] if array.ndim == 2 else array[..., :3]
    rows = np.array_split(np.arange(image.shape[0]), min(IMAGE_CELLS, image.shape[0]))
    columns = np.array_split(np.arange(image.shape[1]), min(IMAGE_CELLS, image.shape[1]))
    cells = [[image[np.ix_(r, c)].mean(axis=(0, 1)) for c in columns] for r in rows]
    return rounded(cells, 3)


def describe_axes(ax) -> dict:
    from matplotlib.collections import PathCollection
    from matplotlib.contour import ContourSet

    legend = ax.get_legend()
    texts = [text.get_text() for text in ax.texts]
    return {
        "title": ax.get_title(),
        "labels": [ax.get_xlabel(), ax.get_ylabel()],
        "scales": [ax.get_xscale(), ax.get_yscale()],
        "legend": [text.get_text() for text in legend.get_texts()] if legend is not None else [],
        "texts": texts,
        "lines": [{"label": line.get_label(), "xy": rounded(panel_coordinates(ax, line.get_xydata()))}
                  for line in ax.get_lines()],
        "points": [{"xy": rounded(panel_coordinates(ax, collection.get_offsets())),
                    "colours": rounded(collection.get_facecolors()[:, :3], 2)}
                   for collection in ax.collections if isinstance(collection, PathCollection)],
        "contours": sum(len(collection.get_paths()) for collection in ax.collections if isinstance(collection, ContourSet)),
        "images": [coarse_image(image) for image in ax.get_images()],
    }


def save_data(figure, png: str | Path, dpi: int) -> Path:
    """Write what ``figure`` shows beside its PNG (see ``data_path``)."""
    path = data_path(png)
    path.write_text(json.dumps(describe(figure, dpi), separators=(",", ":")) + "\n")
    return path


def load_data(png: str | Path) -> dict | None:
    path = data_path(png)
    return json.loads(path.read_text()) if path.is_file() else None


# --------------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------------


def texts_agree(old: str, new: str) -> bool:
    """Equal up to the numbers in them, which may differ by TOLERANCE["digits"] units of their last digit."""
    if NUMBER.sub("#", old) != NUMBER.sub("#", new):
        return False
    for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)):
        last_digit = 10.0 ** -len(a.split(".")[1]) if "." in a else 1.0
        if abs(float(a) - float(b)) > TOLERANCE["digits"] * last_digit * (1 + 1e-9):
            return False
    return True


def share_moved(old: list, new: list, limit: float) -> float:
    """The share of entries of two equally shaped arrays (NaN where nothing is drawn) that differ
    by more than ``limit``, a NaN on one side only counting as different."""
    a, b = np.asarray(old, dtype=float), np.asarray(new, dtype=float)
    both_missing = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        moved = ~both_missing & ~(np.abs(a - b) <= limit)
    return float(moved.mean()) if moved.size else 0.0


def panel_differences(where: str, old: dict, new: dict) -> list[str]:
    problems = []
    for key in ("title", "labels", "legend", "texts"):
        old_texts, new_texts = (item if isinstance(item, list) else [item] for item in (old[key], new[key]))
        if len(old_texts) != len(new_texts) or not all(texts_agree(a, b) for a, b in zip(old_texts, new_texts)):
            problems.append(f"{where}: {key} {old[key]!r} is now {new[key]!r}")
    if old["scales"] != new["scales"] or old["contours"] != new["contours"]:
        problems.append(f"{where}: scales or boundary lines changed")
    for kind, field, limit in (("lines", "xy", "position"), ("points", "xy", "position"),
                               ("points", "colours", "colour"), ("images", None, "colour")):
        if len(old[kind]) != len(new[kind]):
            problems.append(f"{where}: {len(old[kind])} {kind} where it now draws {len(new[kind])}")
            continue
        for index, (a, b) in enumerate(zip(old[kind], new[kind])):
            a, b = (a, b) if field is None else (a[field], b[field])
            if np.shape(a) != np.shape(b):
                problems.append(f"{where}: {kind} {index} has {np.shape(a)} values where it now has {np.shape(b)}")
            elif share_moved(a, b, TOLERANCE[limit]) > TOLERANCE["share"]:
                problems.append(f"{where}: {kind} {index} ({field or 'colours'}) differs by more than {TOLERANCE[limit]} in "
                                f"{share_moved(a, b, TOLERANCE[limit]):.0%} of its values")
    return problems


def differences(old: dict | None, new: dict) -> list[str]:
    """Why two descriptions are not the same picture (within TOLERANCE); empty if they are."""
    if old is None:
        return ["no data saved beside it"]
    if old["size"] != new["size"]:
        return [f"size {old['size']} where it is now drawn at {new['size']}"]
    if len(old["panels"]) != len(new["panels"]):
        return [f"{len(old['panels'])} panels where it now has {len(new['panels'])}"]
    return [problem for index, (a, b) in enumerate(zip(old["panels"], new["panels"]))
            for problem in panel_differences(f"panel {index + 1} ({b['title'] or 'untitled'})", a, b)]
