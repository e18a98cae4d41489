"""Every notebook execution the tests need, run once per test session and shared by the modules
that read it (test_notebooks.py checks the notebooks and their numbers, test_generated.py checks
that the committed figures are the ones the notebooks draw).

``executed()`` runs, two at a time:

- each solution notebook on solution/, as if on another CPU (``ANOTHER_CPU``: NumPy without its
  AVX2 and AVX-512 code paths, OpenBLAS's Sandybridge kernels), with two cells appended: one saving
  the handout's figures and their data (``make_handout.figure_cells``) into ``FIGURE_DIR``, one
  printing the numbers the handout and the notebook's text quote (``NUMBERS``) as one JSON line.
  So every run checks that the committed figures (drawn by `make handout` on whatever CPU it ran)
  and the quoted numbers hold on a CPU other than the one that made them;
- each student notebook on starter/ and on solution/.

Each notebook's result stands alone: a notebook that fails, or whose kernel does not start, has
its error in its own ``RunResult``, and the tests of the other notebooks are unaffected.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path

from notebooks.execute import NotebookRun, RunResult, execute_notebooks

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = ROOT / "notebooks" / "solution"
STUDENT_DIR = ROOT / "notebooks" / "student"
NOTEBOOKS = sorted(path.name for path in SOLUTION_DIR.glob("*.ipynb"))
NUMBERS_MARKER = "NN-NUMBERS "
# Another CPU on this machine: NumPy 2.4's dispatched code paths above the x86-64-v2 baseline
# switched off (a name this NumPy does not dispatch only draws a warning) and OpenBLAS's kernels for
# an older core. `np.show_runtime()` in such a kernel shows both.
ANOTHER_CPU = {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR", "OPENBLAS_CORETYPE": "Sandybridge"}

# For each solution notebook, an expression (evaluated in the notebook's namespace at its end)
# giving the numbers its text and the handout rely on; test_notebooks.py checks them.
NUMBERS = {
    "06_build_and_check.ipynb": """{
        "separate": {int(gap): value for gap, value in zip(GAPS, stability["dL/dz_0, softmax then cross-entropy"])},
        "p_true": {int(gap): value for gap, value in zip(GAPS, stability["p(true class)"])},
        "fused": {int(gap): value for gap, value in zip(GAPS, stability["dL/dz_0, fused"])},
        "fused_error": fused_error,
        "collapse": collapse.to_dict(orient="index"),
        "activation_errors": activation_errors["relative error"].to_dict(),
    }""",
    "07_iris.ipynb": """{
        "best": [best_key[0], best_key[1]],
        "effects": effects.to_dict(),
        "test_error": test_error,
        "first_epoch": first_epoch.to_dict(orient="index"),
        "untrained_predictions": predicted_by_untrained.tolist(),
        "runs": len(runs),
        "untrained_loss": {f"{weights}|{size}": row for (weights, size), row in untrained_loss.to_dict(orient="index").items()},
        "untrained_seed0_4": float(untrained_rows[0]["loss"]),
        "tiny": tiny_fit.to_dict(),
    }""",
    "08_decision_boundaries.ipynb": """{
        "usual": usual_accuracy.to_dict(),
        "median_doubt": median_doubt.to_dict(),
        "start": start_summary.to_dict(),
        "saturated": saturated_accuracy.to_dict(),
        "stuck": stuck_runs.to_dict(),
        "runs_per_loss": len(DATASETS) * len(SATURATED_SEEDS),
        "digits": {f"{optimizer}|{loss}|{column}|{statistic}": value for (optimizer, loss), row in digits_accuracy.iterrows()
                   for (column, statistic), value in row.items()},
        "digits_seeds": len(DIGITS_SEEDS),
        "start_gradients": start_gradients.to_dict(orient="index"),
    }""",
    "09_digits.ipynb": """{
        "stopping": stopping.to_dict(orient="index"),
        "pooled_errors": int((pooled != y).sum()),
        "test_errors": int(np.sum(model.predict(X_test) != y_test)),
        "test_images": int(len(y_test)),
        "images": int(len(y)),
        "matrix": matrix.tolist(),
    }""",
    "10_training_studies.ipynb": """{
        "baseline": baseline.xs("mean", axis=1, level=1).to_dict(orient="index"),
        "init_summary": init_summary.to_dict(orient="index"),
        "init_training": init_training.to_dict(orient="index"),
        "final_loss": {f"{name}|{rate:g}": value for (name, rate), value in final_loss.items()},
        "sensitivity": sensitivity.to_dict(orient="index"),
        "decay": decay_table.to_dict(orient="index"),
        "stopping": stopping.to_dict(orient="index"),
        "random": random_labels.to_dict(orient="index"),
        "logged": sorted(path.name for path in EXPERIMENTS.iterdir()),
    }""",
}

FIGURE_DIR = Path(tempfile.mkdtemp(prefix="nn-handout-figures-"))
atexit.register(shutil.rmtree, FIGURE_DIR, ignore_errors=True)


def load_script(name: str):
    """scripts/<name>.py, imported as the kit's module scripts.<name>."""
    return importlib.import_module(f"scripts.{name}")


def numbers_cell(name: str) -> str:
    return f"import json as _json\nprint({NUMBERS_MARKER!r} + _json.dumps({NUMBERS[name].strip()}, default=float))"


@functools.cache
def executed() -> dict[tuple[str, str], RunResult]:
    """Results keyed by (kind, notebook name), kind "solution", "student" or "student-on-solution"."""
    figure_cells = load_script("make_handout").figure_cells(FIGURE_DIR)
    jobs = {
        ("solution", name): NotebookRun(SOLUTION_DIR / name, [*figure_cells.get(name, []), numbers_cell(name)], "solution", ANOTHER_CPU)
        for name in NOTEBOOKS
    }
    jobs.update({("student", name): NotebookRun(STUDENT_DIR / name, package="starter") for name in NOTEBOOKS})
    jobs.update({("student-on-solution", name): NotebookRun(STUDENT_DIR / name, package="solution") for name in NOTEBOOKS})
    return dict(zip(jobs, execute_notebooks(list(jobs.values()), parallel=2)))


def numbers(name: str) -> dict:
    """The numbers a solution notebook printed (its run must have reached its end)."""
    result = executed()[("solution", name)]
    assert result.error is None, f"{name} failed, so its numbers are missing:\n{result.error}"
    for cell in reversed(result.notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and NUMBERS_MARKER in output.get("text", ""):
                line = next(line for line in output["text"].splitlines() if line.startswith(NUMBERS_MARKER))
                return json.loads(line[len(NUMBERS_MARKER):])
    raise AssertionError(f"{name} printed no numbers")
