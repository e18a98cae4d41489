"""Write the seven datasets of the assignment to data/<name>.csv, reproducibly.

Usage: python -m scripts.make_data [--out DIR]

iris and digits are the copies scikit-learn ships; the five 2-D sets are drawn here from fixed
seeds. Each 2-D set is learnable by a small network but not linearly separable. Every CSV has a
header ``x0,...,x{n-1},label``; features are rounded to 6 decimals so the file holds the data
exactly, and running the script twice writes identical bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, load_iris, make_circles

ROOT = Path(__file__).resolve().parent.parent
DECIMALS = 6


def xor(rng: np.random.Generator, per_quadrant: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Four blobs at (+-1, +-1); the label is 1 where the two coordinates have different signs."""
    centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    X = np.concatenate([rng.normal(center, 0.3, size=(per_quadrant, 2)) for center in centers])
    y = np.repeat([0, 0, 1, 1], per_quadrant)
    return X, y


def spiral(rng: np.random.Generator, per_class: int = 300, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved arms: radius grows from 0 to 1 while the angle turns by 4 radians."""
    X, y = [], []
    for label in range(classes):
        radius = np.linspace(0.0, 1.0, per_class)
        angle = np.linspace(label * 4.0, (label + 1) * 4.0, per_class) + rng.normal(0.0, 0.2, per_class)
        X.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        y.append(np.full(per_class, label))
    return np.concatenate(X), np.concatenate(y)


def gaussian(rng: np.random.Generator, per_blob: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 is one Gaussian blob between the two Gaussian blobs of class 0."""
    X0 = np.concatenate([rng.normal((-2.5, -1.0), 0.5, (per_blob, 2)), rng.normal((2.5, 1.0), 0.5, (per_blob, 2))])
    X1 = rng.normal((0.0, 0.0), 0.5, (2 * per_blob, 2))
    return np.concatenate([X0, X1]), np.repeat([0, 1], 2 * per_blob)


def center_surround(rng: np.random.Generator, per_class: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 is a blob at the origin; class 0 is a noisy ring of radius 2.5 around it."""
    angle = rng.uniform(0.0, 2 * np.pi, per_class)
    radius = rng.normal(2.5, 0.3, per_class)
    ring = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    center = rng.normal(0.0, 0.5, (per_class, 2))
    return np.concatenate([ring, center]), np.repeat([0, 1], per_class)


def circles(seed: int, samples: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric circles (radii 1 and 0.5) from scikit-learn's generator."""
    return make_circles(n_samples=samples, factor=0.5, noise=0.08, random_state=seed)


def build(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The dataset called ``name`` as (X, y); each 2-D set has its own fixed seed."""
    if name == "iris":
        data = load_iris()
        return data.data, data.target
    if name == "digits":
        data = load_digits()
        return data.data, data.target
    seeds = {"xor": 421, "spiral": 422, "gaussian": 423, "center_surround": 424, "circles": 425}
    if name == "circles":
        return circles(seeds[name])
    generators = {"xor": xor, "spiral": spiral, "gaussian": gaussian, "center_surround": center_surround}
    return generators[name](np.random.default_rng(seeds[name]))


def to_csv(X: np.ndarray, y: np.ndarray) -> str:
    """The CSV text: a header, then one row per example, features rounded, label last."""
    X = np.round(np.asarray(X, dtype=float), DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
    header = ",".join([f"x{j}" for j in range(X.shape[1])] + ["label"])
    rows = (",".join([*(repr(float(v)) for v in row), str(int(label))]) for row, label in zip(X, y))
    return "\n".join([header, *rows]) + "\n"


NAMES = ("iris", "digits", "spiral", "xor", "gaussian", "center_surround", "circles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data", help="output folder (default: data/)")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        X, y = build(name)
        path = out / f"{name}.csv"
        text = to_csv(X, y)
        changed = not path.exists() or path.read_text() != text
        if changed:
            path.write_text(text)
        print(f"{path.relative_to(out.parent) if out.parent in path.parents else path}: "
              f"{X.shape[0]} examples, {X.shape[1]} features, {len(set(y))} classes"
              f"{'' if changed else ' (unchanged)'}")


if __name__ == "__main__":
    main()
