"""Data helpers: one-hot labels, a mini-batch loader, the bundled datasets, a finite-difference
gradient, and a logger for experiments.

Students implement ``one_hot`` and ``DataLoader.__iter__`` / ``DataLoader.__len__``; everything
else here is provided.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

DATASETS = ("iris", "digits", "spiral", "xor", "gaussian", "center_surround", "circles")
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------------------------
# Shape checks shared by every module (provided)
# --------------------------------------------------------------------------------------------


def check_matrix(A: np.ndarray, name: str, where: str, n_columns: int | None = None) -> None:
    """Raise ValueError unless ``A`` is a 2-D array (with ``n_columns`` columns, if given)."""
    if not isinstance(A, np.ndarray) or A.ndim != 2:
        shape = getattr(A, "shape", type(A).__name__)
        raise ValueError(f"{where}: expected {name} to be a 2-D array (m, n), got {shape}")
    if n_columns is not None and A.shape[1] != n_columns:
        raise ValueError(
            f"{where}: expected {name} with {n_columns} columns, got shape {A.shape}"
        )


def check_same_shape(A: np.ndarray, B: np.ndarray, names: str, where: str) -> None:
    """Raise ValueError unless ``A`` and ``B`` have the same shape; ``names`` is like "Y and Y_hat"."""
    if getattr(A, "shape", None) != getattr(B, "shape", None) or not hasattr(A, "shape"):
        raise ValueError(
            f"{where}: expected {names} to be arrays of the same shape, got {np.shape(A)} and {np.shape(B)}"
        )


# --------------------------------------------------------------------------------------------
# Labels and batches (student)
# --------------------------------------------------------------------------------------------


def one_hot(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Encode integer class labels as one-hot rows.

    Parameters
    ----------
    labels: integer class indices, shape (m,), each in 0 .. num_classes - 1.
    num_classes: C, the number of columns; defaults to ``labels.max() + 1``.

    Returns
    -------
    Y: float64 array of shape (m, C) with ``Y[i, labels[i]] = 1`` and zeros elsewhere.

    Vectorised: no loop over the m labels.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"one_hot: expected a 1-D array of integer labels, got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: expected labels in 0..{num_classes - 1}, got values from "
            f"{labels.min()} to {labels.max()}"
        )
    # HINT: index a zero matrix with (row numbers, labels) in one assignment.
    ### BEGIN SOLUTION
    Y = np.zeros((labels.shape[0], num_classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y
    ### END SOLUTION


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Each pass (each ``for`` loop over the loader) yields ``(X_batch, Y_batch)`` pairs that together
    cover every example exactly once. With ``shuffle=True`` each pass draws a new permutation from
    ``rng`` and applies the same one to X and Y, so rows stay paired. Batches hold ``batch_size``
    rows, except the last one, which is smaller when ``batch_size`` does not divide m; with
    ``drop_last=True`` that smaller batch is skipped instead.

    Parameters
    ----------
    X: inputs, shape (m, n).
    Y: targets, shape (m, k) (or (m,)); row i of Y belongs to row i of X.
    batch_size: rows per batch, at least 1.
    shuffle: draw a fresh permutation at the start of every pass.
    rng: the random generator used for shuffling; a new unseeded one when None.
    drop_last: skip the final batch when it is smaller than ``batch_size``.
    """

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        batch_size: int = 32,
        shuffle: bool = True,
        rng: np.random.Generator | None = None,
        drop_last: bool = False,
    ):
        if len(X) != len(Y):
            raise ValueError(
                f"DataLoader: expected X and Y with the same number of rows, got {len(X)} and {len(Y)}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: expected batch_size to be a positive int, got {batch_size!r}")
        self.X = X
        self.Y = Y
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.rng = rng if rng is not None else np.random.default_rng()
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(X_batch, Y_batch)`` pairs for one pass over the data (see the class docstring).

        Shapes: ``X_batch`` is (b, n) and ``Y_batch`` is (b, k) with b = ``batch_size``, except
        possibly the last batch.
        """
        # HINT: build one order of row indices per pass, then slice it batch_size at a time.
        ### BEGIN SOLUTION
        m = len(self.X)
        order = self.rng.permutation(m) if self.shuffle else np.arange(m)
        stop = m - m % self.batch_size if self.drop_last else m
        for start in range(0, stop, self.batch_size):
            rows = order[start : start + self.batch_size]
            yield self.X[rows], self.Y[rows]
        ### END SOLUTION

    def __len__(self) -> int:
        """The number of batches one pass yields."""
        ### BEGIN SOLUTION
        m = len(self.X)
        return m // self.batch_size if self.drop_last else math.ceil(m / self.batch_size)
        ### END SOLUTION


# --------------------------------------------------------------------------------------------
# Datasets (provided)
# --------------------------------------------------------------------------------------------


def load_dataset(name: str, data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load one of the bundled datasets from ``data/<name>.csv``.

    Parameters
    ----------
    name: one of "iris", "digits", "spiral", "xor", "gaussian", "center_surround", "circles".
    data_dir: the folder holding the CSV files; the project's ``data/`` by default.

    Returns
    -------
    X: float64 features, shape (m, n).
    y: int64 labels, shape (m,), with values 0 .. C - 1.
    """
    if name not in DATASETS:
        raise ValueError(f"load_dataset: unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    path = Path(data_dir if data_dir is not None else DEFAULT_DATA_DIR) / f"{name}.csv"
    if not path.is_file():
        raise ValueError(f"load_dataset: {path} does not exist; run `make data` to create it")
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return table[:, :-1].astype(np.float64), table[:, -1].astype(np.int64)


# --------------------------------------------------------------------------------------------
# Gradient checking (provided)
# --------------------------------------------------------------------------------------------


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.

    Parameters
    ----------
    f: maps an array shaped like ``x`` to a float.
    x: the point, any shape; it is not modified (f sees perturbed copies).
    eps: the step. 1e-6 balances truncation error (~eps**2) against round-off (~1e-16 / eps).

    Returns
    -------
    grad: float64 array shaped like ``x``.
    """
    point = np.array(x, dtype=np.float64)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        f_plus = f(point.copy())
        point[index] = original - eps
        f_minus = f(point.copy())
        point[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


# --------------------------------------------------------------------------------------------
# Experiment logging (provided)
# --------------------------------------------------------------------------------------------


class Logger:
    """Save one training run under ``experiments/<name>/``.

    The run folder receives ``hyperparameters.json``, ``metrics.csv`` (one row per epoch),
    ``parameters.npz`` (every layer's W and b, keys like ``layer0.W``) and ``loss.png``. An existing
    folder is never overwritten: a second run called "iris" is saved as "iris-2", and so on.
    """

    def __init__(self, name: str, hyperparameters: dict | None = None, root: str | Path = "experiments"):
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        folder, copy = root / name, 1
        while True:
            try:
                folder.mkdir()
                break
            except FileExistsError:
                copy += 1
                folder = root / f"{name}-{copy}"
        self.directory = folder
        self.history: list[dict] = []
        self.log_hyperparameters(hyperparameters or {})

    def log_hyperparameters(self, hyperparameters: dict) -> None:
        """Write the run's settings (anything JSON can hold; other values are stored as text)."""
        text = json.dumps(hyperparameters, indent=2, sort_keys=True, default=str)
        (self.directory / "hyperparameters.json").write_text(text + "\n")

    def log_epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        """Append one epoch's metrics to ``metrics.csv``."""
        row = {"epoch": epoch, **{key: float(value) for key, value in metrics.items()}}
        path = self.directory / "metrics.csv"
        with path.open("a") as out:
            if not self.history:
                out.write(",".join(row) + "\n")
            out.write(",".join(f"{value:.10g}" for value in row.values()) + "\n")
        self.history.append(row)

    def save_parameters(self, model) -> Path:
        """Store every layer's parameters in ``parameters.npz``."""
        arrays = {
            f"layer{position}.{key}": value
            for position, layer in enumerate(model.layers)
            for key, value in layer.parameters.items()
        }
        path = self.directory / "parameters.npz"
        np.savez(path, **arrays)
        return path

    def plot_losses(self) -> Path:
        """Plot the logged training (and validation) loss per epoch to ``loss.png``."""
        # A bare Figure (no pyplot) renders without touching the notebook's or the user's backend.
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5, 3.5))
        axes = figure.subplots()
        epochs = [row["epoch"] for row in self.history]
        for key in ("loss", "val_loss"):
            if self.history and key in self.history[0]:
                axes.plot(epochs, [row[key] for row in self.history], label=key.replace("_", " "))
        axes.set_xlabel("epoch")
        axes.set_ylabel("loss")
        axes.set_title(self.directory.name)
        axes.legend()
        figure.tight_layout()
        path = self.directory / "loss.png"
        figure.savefig(path, dpi=100)
        return path
