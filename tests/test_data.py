"""The bundled datasets: data/*.csv is exactly what scripts/make_data.py writes, the script is
reproducible, load_dataset returns what its docstring promises, and the 2-D sets need a network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression

from solution import load_dataset

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
# name: (number of features, number of classes)
DATASETS = {
    "iris": (4, 3),
    "digits": (64, 10),
    "spiral": (2, 3),
    "xor": (2, 2),
    "gaussian": (2, 2),
    "center_surround": (2, 2),
    "circles": (2, 2),
}
TWO_D_SETS = [name for name, (features, _) in DATASETS.items() if features == 2]


def run_make_data(*outs: Path) -> None:
    """Run scripts/make_data.py once per output folder, the runs side by side."""
    script = ROOT / "scripts" / "make_data.py"
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outs
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, f"make_data.py failed:\n{stderr}"


def csv_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("data")
    run_make_data(out)
    return out


@pytest.mark.slow
def test_committed_csv_files_are_exactly_what_make_data_writes(regenerated: Path) -> None:
    fresh, committed = csv_bytes(regenerated), csv_bytes(DATA)
    assert sorted(fresh) == sorted(f"{name}.csv" for name in DATASETS)
    assert sorted(committed) == sorted(fresh), "data/ holds other CSV files than make_data.py writes"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"data/ is stale, run `make data`: {stale}"


@pytest.mark.slow
def test_make_data_is_idempotent(regenerated: Path, tmp_path: Path) -> None:
    first = csv_bytes(regenerated)
    run_make_data(regenerated, tmp_path)  # again over its own output, and into a fresh folder
    assert csv_bytes(regenerated) == first
    assert csv_bytes(tmp_path) == first


@pytest.mark.parametrize("name", list(DATASETS))
def test_load_dataset_returns_float_features_and_integer_labels(name: str) -> None:
    n_features, n_classes = DATASETS[name]
    X, y = load_dataset(name)

    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.ndim == 2 and y.ndim == 1
    assert X.shape[0] == y.shape[0] > 0
    assert X.shape[1] == n_features
    np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize(
    "name, sklearn_loader", [("iris", load_iris), ("digits", load_digits)], ids=["iris", "digits"]
)
def test_load_dataset_gives_back_scikit_learns_copy(name: str, sklearn_loader) -> None:
    X, y = load_dataset(name)
    reference = sklearn_loader()
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)


def test_load_dataset_reads_another_data_dir(tmp_path: Path) -> None:
    (tmp_path / "xor.csv").write_text("x0,x1,label\n0.5,-1.25,1\n2.0,3.0,0\n")
    X, y = load_dataset("xor", data_dir=tmp_path)
    np.testing.assert_array_equal(X, [[0.5, -1.25], [2.0, 3.0]])
    np.testing.assert_array_equal(y, [1, 0])


@pytest.mark.parametrize("name", TWO_D_SETS)
def test_two_dimensional_set_is_not_linearly_separable(name: str) -> None:
    X, y = load_dataset(name)
    linear_model = LogisticRegression(max_iter=1000).fit(X, y)
    accuracy = linear_model.score(X, y)
    assert accuracy < 0.8, f"{name}: a linear classifier already reaches {accuracy:.3f} training accuracy"


def test_unknown_dataset_name_raises_value_error_listing_valid_names() -> None:
    with pytest.raises(ValueError) as error:
        load_dataset("mnist")
    message = str(error.value)
    assert "mnist" in message
    for name in DATASETS:
        assert name in message
