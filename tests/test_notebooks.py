"""The notebooks: the solution notebooks run cleanly on a real kernel, draw their figures and
compute the numbers that the handout and the notebooks' text rely on; the student notebooks are
generated, fresh, free of solutions, open on the kit's kernel, and stop at the first unwritten
function with a one-line message.

Every notebook runs once per session (tests/notebook_runs.py, shared with test_generated.py's
figure check); each test reads the result of its own notebook only, so one notebook's failure,
even a kernel that never starts, fails that notebook's tests and no others.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from notebook_runs import NOTEBOOKS, SOLUTION_DIR, STUDENT_DIR, executed, load_script, numbers
from notebooks.execute import NotebookRun, execute_notebooks
from notebooks.not_implemented import PREFIX, not_implemented_message

ROOT = Path(__file__).resolve().parent.parent

# The figures each solution notebook draws, one image/png output each (by the notebooks' design:
# 06 the activations and the stability curves; 07 the search and the best run; 08 the data, the
# digits' training curves, the usual start's boundaries and doubt curves, the gradients at a
# saturated start, its training curves and its boundaries; 09 sample digits, the training curves, the confusion matrix and the
# mistakes; 10 one figure per study, two for initialisation).
EXPECTED_FIGURES = {
    "06_build_and_check.ipynb": 2,
    "07_iris.ipynb": 2,
    "08_decision_boundaries.ipynb": 7,
    "09_digits.ipynb": 4,
    "10_training_studies.ipynb": 7,
}

make_notebooks = load_script("make_notebooks")


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def outputs(notebook, output_type=None):
    """Every output of every code cell, optionally only those of one type."""
    return [
        output
        for cell in code_cells(notebook)
        for output in cell.outputs
        if output_type is None or output.output_type == output_type
    ]


def png_count(notebook) -> int:
    return sum("image/png" in output.get("data", {}) for output in outputs(notebook))


def solution_regions(source: str) -> list[str]:
    """The stripped lines inside the solution regions of one cell's source."""
    lines, inside = [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker in (make_notebooks.BEGIN, make_notebooks.END):
            inside = marker == make_notebooks.BEGIN
        elif inside and marker:
            lines.append(marker)
    return lines


# --------------------------------------------------------------------------------------------
# Solution notebooks: they run, on solution/, and draw their figures
# --------------------------------------------------------------------------------------------


def test_every_solution_notebook_has_an_expected_figure_count():
    assert NOTEBOOKS, "no solution notebooks found"
    assert set(EXPECTED_FIGURES) == set(NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_runs_without_error(name):
    result = executed()[("solution", name)]
    assert result.error is None, f"{name} failed:\n{result.error}"
    assert not outputs(result.notebook, "error")
    assert all(cell.execution_count is not None for cell in code_cells(result.notebook))


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_uses_the_solution_package(name):
    setup_text = "".join(output.get("text", "") for output in executed()[("solution", name)].notebook.cells[1].outputs)
    assert "Using solution/" in setup_text


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_draws_its_figures(name):
    assert png_count(executed()[("solution", name)].notebook) == EXPECTED_FIGURES[name]


@pytest.mark.slow
def test_kernel_is_the_running_python(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    path = tmp_path / "which_python.ipynb"
    nbformat.write(notebook, path)
    (result,) = execute_notebooks([path])
    assert result.error is None
    assert outputs(result.notebook, "stream")[0].text.strip() == sys.executable


@pytest.mark.slow
def test_a_notebook_that_fails_does_not_stop_the_others(tmp_path):
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')")])
    fine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('fine')")])
    nbformat.write(broken, tmp_path / "broken.ipynb")
    nbformat.write(fine, tmp_path / "fine.ipynb")
    first, second = execute_notebooks([tmp_path / "broken.ipynb", tmp_path / "fine.ipynb"])
    assert "broken on purpose" in str(first.error)
    assert second.error is None and outputs(second.notebook, "stream")[0].text.strip() == "fine"


def test_kernels_get_a_generous_start_up_time():
    from notebooks import execute

    # nbclient's default is 60 s, which a busy 2-core machine running two kernels has exceeded.
    assert execute.STARTUP_TIMEOUT_SECONDS >= 300


# --------------------------------------------------------------------------------------------
# The numbers the text relies on (each group: one notebook; thresholds leave room for another
# machine's rounding, the measured values are in the notebooks' outputs and the README)
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_part6_the_floor_not_floating_point_makes_the_separate_gradient_collapse():
    found = numbers("06_build_and_check.ipynb")
    separate, fused, p_true = found["separate"], found["fused"], found["p_true"]
    assert max(found["activation_errors"].values()) < 1e-6
    assert separate["30"] == pytest.approx(-1.0, abs=1e-6), "above the floor the chain is exact"
    floor = 1e-15
    for gap in ("40", "60"):  # below the floor: dL/dz_0 = -(1 - p) p / floor exactly
        p = p_true[gap]
        assert p < floor and separate[gap] == pytest.approx(-(1 - p) * p / floor, rel=1e-9), (gap, separate[gap])
    # Where |dL/dz_0| first falls below 0.5, from that formula alone (1 - p above the floor, as
    # without one), for each floor the notebook tries: ln(2 / floor) rounded up.
    gaps = np.arange(0, 801)
    p = np.exp(-gaps.astype(float)) / (1 + np.exp(-gaps.astype(float)))  # softmax's p(true class) at logits (0, gap)
    for label, value, expected in (("1e-15 (loss.py's)", 1e-15, 36), ("1e-7", 1e-7, 17)):
        size = np.where(p >= value, 1 - p, (1 - p) * p / value)
        assert int(gaps[size < 0.5][0]) == expected == found["collapse"][label]["first gap with |dL/dz_0| < 0.5"], label
    assert found["collapse"]["none"]["first gap with |dL/dz_0| < 0.5"] >= 700, "float64 alone holds far longer"
    assert all(fused[gap] == pytest.approx(-1.0, abs=1e-6) for gap in fused if int(gap) >= 15), fused
    assert found["fused_error"] < 1e-6


@pytest.mark.slow
def test_part7_sanity_checks_iris_choice_and_first_epoch():
    found = numbers("07_iris.ipynb")
    untrained, ln3 = found["untrained_loss"], np.log(3)
    assert found["untrained_seed0_4"] == pytest.approx(2.09, abs=0.01), "the value Question 7.1 quotes"
    for size in (4, 16, 64):
        small = untrained[f"x 0.01|{size}"]
        assert abs(small["mean"] - ln3) < 0.01 and small["max"] - small["min"] < 0.02, small
    drawn = [untrained[f"as drawn|{size}"] for size in (4, 16, 64)]
    assert max(row["max"] for row in drawn) > 1.5 * ln3 and min(row["min"] for row in drawn) < 0.9 * ln3, drawn
    tiny = found["tiny"]
    assert tiny["training loss, epoch 200"] < 0.01 and tiny["first epoch with all right"] <= 50, tiny

    effects = found["effects"]
    assert found["runs"] == 27, "nine combinations, three seeds each"
    assert effects["learning rate (largest change, at any hidden size)"] > 1.5 * effects["hidden size (largest change, at any learning rate)"]
    assert effects["hidden size, at the best learning rate"] < effects["seeds (largest std), at the best learning rate"]
    assert found["best"][0] == 0.1
    epoch = found["first_epoch"]
    reported, end = epoch["epoch 1 as fit reports it"], epoch["network at the end of epoch 1"]
    assert reported["training loss"] > end["training loss"], "fit's epoch average includes the weights before training"
    assert reported["validation loss"] == pytest.approx(end["validation loss"], rel=1e-12)
    assert epoch["untrained network"]["training accuracy"] < 1 / 3
    assert epoch["untrained network"]["training loss"] == pytest.approx(found["untrained_seed0_4"], rel=1e-12), "the same network"


def digits_result(found, optimizer, loss, column, statistic="mean"):
    return found["digits"][f"{optimizer}|{loss}|{column}|{statistic}"]


@pytest.mark.slow
def test_part8_cross_entropy_learns_the_digits_faster_from_the_usual_start():
    found = numbers("08_decision_boundaries.ipynb")
    assert found["digits_seeds"] == 5
    last = "validation accuracy, epoch 15"
    mse, cross_entropy = (digits_result(found, "plain SGD", loss, last) for loss in ("mse", "cross_entropy"))
    assert cross_entropy >= mse + 0.3 and cross_entropy > 0.8, (mse, cross_entropy)
    assert digits_result(found, "plain SGD", "cross_entropy", last, "min") > digits_result(found, "plain SGD", "mse", last, "max"), "every seed"
    first = "validation accuracy, epoch 1"
    mse, cross_entropy = (digits_result(found, "SGD, momentum 0.9", loss, first) for loss in ("mse", "cross_entropy"))
    assert cross_entropy >= mse + 0.2, (mse, cross_entropy)
    ends = [digits_result(found, "SGD, momentum 0.9", loss, last) for loss in ("mse", "cross_entropy")]
    assert min(ends) > 0.9 and ends[1] >= ends[0], "with momentum both get there; cross-entropy no later"
    # The cause, at initialisation: MSE's gradient through the softmax carries a factor of about
    # p(true class), about 1/C: five times smaller with ten classes, the same with two.
    ratios = {name: row["cross_entropy / mse"] for name, row in found["start_gradients"].items()}
    assert 4 < ratios["digits"] < 6, ratios
    assert all(abs(ratios[name] - 1) < 0.02 for name in ("xor", "gaussian", "center_surround", "circles")), ratios
    assert 1.2 < ratios["spiral"] < 2, ratios


@pytest.mark.slow
def test_part8_the_two_dimensional_sets_and_the_saturated_start():
    found = numbers("08_decision_boundaries.ipynb")
    usual, saturated, stuck = found["usual"], found["saturated"], found["stuck"]
    # The usual start: the same accuracy, but cross-entropy far surer of its right answers.
    assert abs(usual["cross_entropy"]["mean"] - usual["mse"]["mean"]) < 0.02, usual
    assert all(accuracy > 0.95 for loss in ("mse", "cross_entropy") for accuracy in usual[loss].values()), "both learn every dataset"
    assert all(ratio > 5 for ratio in found["median_doubt"]["ratio mse / cross_entropy"].values()), found["median_doubt"]
    # At a saturated start, MSE's gradient vanishes on the confidently wrong points.
    start = found["start"]
    assert start["share confidently wrong (p(true class) < 0.01)"] > 0.2
    mse, cross_entropy = (start[f"median gradient norm of those points, {loss}"] for loss in ("mse", "cross_entropy"))
    assert mse < 0.01 * cross_entropy and cross_entropy > 0.5, start
    # ... and that decides training. These runs are chaotic (which get stuck changes with the CPU:
    # 7 of 25 here, 6 with the other CPU of notebook_runs.py), so the margins are wide.
    assert saturated["cross_entropy"]["mean"] >= saturated["mse"]["mean"] + 0.04, saturated
    assert stuck["cross_entropy"] <= 1 and stuck["mse"] >= stuck["cross_entropy"] + 3, stuck
    assert found["runs_per_loss"] == 25


@pytest.mark.slow
def test_part9_digits_confusions_have_structure_and_training_was_not_too_long():
    found = numbers("09_digits.ipynb")
    matrix = found["matrix"]
    assert sum(map(sum, matrix)) == found["images"] == 1797
    assert found["test_errors"] <= 10, "the test split alone has only a handful of mistakes (why the matrix pools folds)"
    assert found["test_images"] == 270
    assert 20 <= found["pooled_errors"] <= 150, "enough mistakes for a pattern, few enough for a good network"
    off_diagonal = [(matrix[i][j], i, j) for i in range(10) for j in range(10) if i != j]
    count, i, j = max(off_diagonal)
    assert count >= 5 and matrix[j][i] <= count / 2, (count, i, j, matrix[j][i])
    for seed, row in found["stopping"].items():
        assert isinstance(row["epoch of lowest validation loss"], int), "an epoch prints as a whole number"
        assert row["epoch of lowest validation loss"] >= 25, f"seed {seed}: {row}"
        assert row["validation loss at the last epoch"] < row["validation loss 10 epochs before the end"], f"seed {seed}: {row}"


@pytest.mark.slow
def test_part10_each_study_shows_its_effect():
    found = numbers("10_training_studies.ipynb")
    baseline = found["baseline"]
    assert baseline["no hidden layer"]["test accuracy"] < 0.7 and baseline["two hidden layers"]["test accuracy"] > 0.95

    init, trained = found["init_summary"], found["init_training"]
    assert init["relu + he_normal"]["last / first hidden output std"] > 0.5
    assert init["relu + xavier_normal"]["last / first hidden output std"] < 0.15
    assert init["sigmoid + xavier_normal"]["first / last layer gradient norm"] < 1e-3
    assert trained["sigmoid + xavier_normal"]["test accuracy"] < 0.3
    assert all(trained[pairing]["test accuracy"] > 0.9 for pairing in ("relu + he_normal", "relu + xavier_normal", "tanh + xavier_normal"))
    # ReLU with Xavier starts slower but is no failure after ten epochs (Question 10.2).
    assert trained["relu + xavier_normal"]["training loss, epoch 1"] > trained["relu + he_normal"]["training loss, epoch 1"]
    assert trained["relu + xavier_normal"]["test accuracy"] >= trained["relu + he_normal"]["test accuracy"] - 0.02

    final_loss, sensitivity = found["final_loss"], found["sensitivity"]
    for momentum_rate, sgd_rate in (("0.01", "0.1"), ("0.03", "0.3")):  # momentum 0.9 at lr ~ SGD at 10 lr
        ratio = final_loss[f"sgd, momentum 0.9|{momentum_rate}"] / final_loss[f"sgd|{sgd_rate}"]
        assert 0.75 < ratio < 1.33, f"momentum 0.9 at lr {momentum_rate} against SGD at {sgd_rate}: {ratio:.2f}"
    grids = {"sgd": ["0.03", "0.1", "0.3", "1", "3"], "sgd, momentum 0.9": ["0.01", "0.03", "0.1", "0.3", "1"],
             "adam": ["0.0003", "0.001", "0.003", "0.01", "0.03"]}
    for name, grid in grids.items():
        losses = [final_loss[f"{name}|{rate}"] for rate in grid]
        assert int(np.argmin(losses)) == 2, f"{name}: the grid is not centred on its best rate: {losses}"
    windows = [row["window (highest / lowest good rate)"] for row in sensitivity.values()]
    assert max(windows) < 2 * min(windows), f"no optimizer is much less sensitive than another here: {sensitivity}"
    best = {name: row["final loss at the best rate"] for name, row in sensitivity.items()}
    assert final_loss["sgd|3"] > 10 * best["sgd"] and final_loss["sgd, momentum 0.9|1"] > 10 * best["sgd, momentum 0.9"]
    assert final_loss["adam|0.03"] < 4 * best["adam"], "ten times its best rate, Adam degrades gently"

    decay = {float(value): row for value, row in found["decay"].items()}
    norms = [decay[value]["squared parameter norm"] for value in sorted(decay)]
    assert norms == sorted(norms, reverse=True) and len(set(norms)) == len(norms), norms
    assert decay[0.01]["test accuracy"] >= decay[0.0]["test accuracy"] + 0.05
    assert decay[0.1]["test accuracy"] < 0.6, "too much decay: the weights shrink to nothing"
    assert decay[0.0]["training accuracy (noisy labels)"] >= decay[0.01]["training accuracy (noisy labels)"]

    for seed, row in found["stopping"].items():
        assert row["epoch kept"] <= 50 and row["epochs run"] < 150, f"seed {seed}: {row}"
        assert row["test accuracy, kept"] >= row["test accuracy, after 150 epochs"], f"seed {seed}: {row}"
        assert row["test loss, kept"] < row["test loss, after 150 epochs"], f"seed {seed}: {row}"

    random = found["random"]
    assert min(random["true labels"]["final training accuracy"], random["shuffled labels"]["final training accuracy"]) >= 0.95
    assert random["shuffled labels"]["test accuracy"] < 0.2 and random["true labels"]["test accuracy"] > 0.9
    assert random["shuffled labels"]["first epoch with 95% training accuracy"] >= 3 * random["true labels"]["first epoch with 95% training accuracy"]
    assert len(found["logged"]) == 3, "one Logger run per optimizer"


# --------------------------------------------------------------------------------------------
# Student notebooks: valid, generated, solution-free
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_is_a_valid_clean_notebook(name):
    notebook = nbformat.read(STUDENT_DIR / name, as_version=4)
    nbformat.validate(notebook)
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells(notebook))
    header = notebook.cells[0]
    assert header.cell_type == "markdown"
    assert f"notebooks/solution/{name}" in header.source and "scripts/make_notebooks.py" in header.source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_opens_on_the_kernel_make_setup_registers(name):
    makefile = (ROOT / "scripts" / "bundle" / "student" / "Makefile").read_text()
    registered = re.search(r"ipykernel install --user --name (\S+) --display-name \"([^\"]+)\"", makefile)
    assert registered, "the student Makefile's setup target no longer registers a kernel"
    kernelspec = nbformat.read(STUDENT_DIR / name, as_version=4).metadata.kernelspec
    assert (kernelspec.name, kernelspec.display_name) == registered.groups()


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def test_the_kernel_make_setup_registers_uses_one_blas_thread():
    makefile = (ROOT / "scripts" / "bundle" / "student" / "Makefile").read_text()
    install = makefile[makefile.index("ipykernel install"):makefile.index(">/dev/null", makefile.index("ipykernel install"))]
    for variable in BLAS_THREADS:
        assert f"--env {variable} 1" in install, f"make setup's kernel does not set {variable}=1"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_pins_blas_threads_before_numpy_loads(name):
    setup = code_cells(nbformat.read(STUDENT_DIR / name, as_version=4))[0].source
    assert all(variable in setup for variable in BLAS_THREADS)
    pinned = setup.index('os.environ.setdefault(variable, "1")')
    assert pinned < setup.index("import matplotlib") and pinned < setup.index("import numpy"), "too late: NumPy is loaded"


@pytest.mark.slow
def test_the_first_cell_gives_a_kernel_one_blas_thread(tmp_path):
    """A kernel started without the thread variables (another Jupyter, VS Code's own kernel) gets one
    BLAS thread from the notebook's first cell. (On a one-core machine OpenBLAS uses one anyway.)"""
    setup = code_cells(nbformat.read(STUDENT_DIR / NOTEBOOKS[0], as_version=4))[0].source
    cells = [f"import os\nos.chdir({str(STUDENT_DIR)!r})  # where the first cell finds the kit\n"
             f"for variable in {BLAS_THREADS!r}:\n    os.environ.pop(variable, None)", setup,
             "from threadpoolctl import threadpool_info\nprint('BLAS threads:', [pool['num_threads'] for pool in threadpool_info() if pool['user_api'] == 'blas'])"]
    path = tmp_path / "threads.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells]), path)
    (result,) = execute_notebooks([NotebookRun(path, package="solution")])
    assert result.error is None, result.error
    printed = "".join(output.get("text", "") for output in result.notebook.cells[-1].outputs)
    assert "BLAS threads: [1]" in printed, printed


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_student_notebook_checks_the_modules_it_relies_on(name):
    sources = [cell.source for cell in code_cells(nbformat.read(STUDENT_DIR / name, as_version=4))]
    assert any("from autograder import check" in source and "check(" in source for source in sources), name


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_check_cells_of_a_solution_notebook_pass(name):
    result = executed()[("solution", name)]
    checked = [cell for cell in code_cells(result.notebook) if "from autograder import check" in cell.source]
    assert checked, name
    for cell in checked:
        shown = "".join(output.get("data", {}).get("text/plain", "") for output in cell.outputs)
        score = re.search(r": ([\d.]+) / ([\d.]+) points on solution/", shown)
        assert score and score.group(1) == score.group(2) and float(score.group(2)) > 0, shown[-500:]


def test_a_notebook_check_runs_where_no_safe_sandbox_works(monkeypatch):
    """A student's own check in a notebook, on a machine with neither bubblewrap nor Landlock (a Mac),
    falls back to the process mode as `make check` does, instead of refusing."""
    from autograder import check

    monkeypatch.setenv("NN_GRADER_SKIP_MODES", "bubblewrap,landlock")
    result = check("loss.mse", impl="solution")
    assert result.passed and result.result.isolation.startswith("process"), result.result.isolation


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_runs_starter_by_default(name):
    sources = "\n".join(cell.source for cell in code_cells(nbformat.read(STUDENT_DIR / name, as_version=4)))
    assert 'os.environ.get("NN_PACKAGE", "starter")' in sources
    assert '"solution")' not in sources


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_contains_no_solution_code(name):
    solution = nbformat.read(SOLUTION_DIR / name, as_version=4)
    student = nbformat.read(STUDENT_DIR / name, as_version=4)
    region_lines = {line for cell in code_cells(solution) for line in solution_regions(cell.source)}
    assert region_lines, f"{name} has no solution regions: then it has nothing for students to do"
    provided_lines = {
        line.strip() for cell in code_cells(solution) for line in cell.source.splitlines()
    } - region_lines
    distinctive = {line for line in region_lines - provided_lines if len(line) >= 12}
    student_lines = {line.strip() for cell in code_cells(student) for line in cell.source.splitlines()}
    text = json.dumps(student)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    leaked = sorted(distinctive & student_lines)
    assert not leaked, f"solution lines in notebooks/student/{name}: {leaked}"
    stubs = sum(cell.source.count("raise NotImplementedError(") for cell in code_cells(student))
    regions = sum(cell.source.count(make_notebooks.BEGIN) for cell in code_cells(solution))
    assert stubs == regions


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cell_ids_are_copied_from_the_solution_notebook(name):
    solution = nbformat.read(SOLUTION_DIR / name, as_version=4)
    student = nbformat.read(STUDENT_DIR / name, as_version=4)
    assert [cell.id for cell in student.cells] == [make_notebooks.HEADER_ID] + [cell.id for cell in solution.cells]


# --------------------------------------------------------------------------------------------
# Student notebooks: where they stop
# --------------------------------------------------------------------------------------------


def first_error(result):
    """(index of the cell that failed, its error output), checking nothing else failed."""
    failed = [(index, cell) for index, cell in enumerate(result.notebook.cells)
              if cell.cell_type == "code" and any(o.output_type == "error" for o in cell.outputs)]
    assert len(failed) == 1, f"expected exactly one failed cell, got {len(failed)}"
    index, cell = failed[0]
    (error,) = [output for output in cell.outputs if output.output_type == "error"]
    return index, error


def assert_stopped_at(result, index):
    """Every code cell before ``index`` ran; none after it did (the run stopped there)."""
    cells = result.notebook.cells
    assert all(cell.execution_count is not None for cell in cells[:index] if cell.cell_type == "code")
    assert all(cell.execution_count is None for cell in cells[index + 1:] if cell.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_on_starter_stops_at_first_stub_with_a_clear_message(name):
    result = executed()[("student", name)]
    assert result.error is not None, "the starter has stubs, so the notebook cannot run to the end"
    index, error = first_error(result)
    assert error.ename == "NotImplementedError"
    message = "\n".join(error.traceback)
    assert len(error.traceback) == 1 and message.startswith(PREFIX), message
    if "this notebook leaves its body to you" in message:  # the notebook's own task comes first
        function = message[len(PREFIX):].split(" — ")[0].strip()
        stub = f'raise NotImplementedError("{function} is yours to write")'
        assert any(stub in cell.source for cell in code_cells(result.notebook)), message
    else:
        assert re.search(r"fill it in in starter/\w+\.py, then re-run this cell\.$", message), message
    assert_stopped_at(result, index)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_on_solution_stops_at_its_own_first_stub(name):
    result = executed()[("student-on-solution", name)]
    index, error = first_error(result)
    message = "\n".join(error.traceback)
    assert error.ename == "NotImplementedError" and message.startswith(PREFIX), message
    if "this cell is yours to write" in message:
        assert 'raise NotImplementedError("This part of the cell' in result.notebook.cells[index].source
    else:
        sources = "\n".join(cell.source for cell in code_cells(result.notebook))
        stubbed_functions = re.findall(r'raise NotImplementedError\("(\w+) is yours to write"\)', sources)
        function = message[len(PREFIX):].split(" — ")[0].strip()
        assert function in stubbed_functions, message
    assert_stopped_at(result, index)


# --------------------------------------------------------------------------------------------
# The message itself
# --------------------------------------------------------------------------------------------


def traceback_of(callable_):
    try:
        callable_()
    except NotImplementedError:
        return sys.exc_info()[2]
    raise AssertionError("expected NotImplementedError")


def test_message_names_the_starter_function_and_file():
    import numpy as np
    import starter

    message = not_implemented_message(traceback_of(lambda: starter.ReLU().forward(np.zeros((2, 2)))))
    assert message == f"{PREFIX} ReLU.forward — fill it in in starter/activations.py, then re-run this cell."


def test_message_for_a_notebook_function_and_for_a_cell():
    namespace = {}
    exec(compile('def train():\n    raise NotImplementedError("train is yours to write")\n', "<cell-3>", "exec"), namespace)
    in_function = not_implemented_message(traceback_of(namespace["train"]))
    assert in_function.startswith(f"{PREFIX} train — this notebook leaves its body to you")
    top_level = compile('raise NotImplementedError("This part of the cell is yours to write")', "<cell-4>", "exec")
    in_cell = not_implemented_message(traceback_of(lambda: exec(top_level, {})))
    assert in_cell.startswith(f"{PREFIX} this cell is yours to write")


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


def test_student_notebooks_are_up_to_date(capsys):
    assert make_notebooks.main(["--check"]) == 0, capsys.readouterr().out


def test_stub_names_the_enclosing_function_and_keeps_indentation():
    source = "%matplotlib inline\ndef fit(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    assert make_notebooks.strip_solutions(source, "test") == (
        '%matplotlib inline\ndef fit(x):\n    y = 1\n    raise NotImplementedError("fit is yours to write")'
    )


def test_stub_at_top_level_of_a_cell():
    source = "rows = []\n### BEGIN SOLUTION\nrows.append(1)\n### END SOLUTION\nprint(rows)"
    assert make_notebooks.strip_solutions(source, "test") == (
        'rows = []\nraise NotImplementedError("This part of the cell is yours to write")\nprint(rows)'
    )


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1\n",
    "x = 1\n### END SOLUTION\n",
    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
])
def test_malformed_regions_are_refused(source):
    with pytest.raises(SystemExit):
        make_notebooks.strip_solutions(source, "test")


@pytest.fixture
def kit_copy(tmp_path, monkeypatch):
    """A copy of notebooks/solution and notebooks/student that the generator is pointed at."""
    solution_dir, student_dir = tmp_path / "solution", tmp_path / "student"
    for source, target in ((SOLUTION_DIR, solution_dir), (STUDENT_DIR, student_dir)):
        target.mkdir()
        for path in source.glob("*.ipynb"):
            shutil.copy(path, target / path.name)
    monkeypatch.setattr(make_notebooks, "SOLUTION_DIR", solution_dir)
    monkeypatch.setattr(make_notebooks, "STUDENT_DIR", student_dir)
    monkeypatch.setattr(make_notebooks, "ROOT", tmp_path)
    return solution_dir, student_dir


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.ipynb"))}


def test_check_fails_on_a_stale_student_notebook_and_writes_nothing(kit_copy):
    solution_dir, student_dir = kit_copy
    path = solution_dir / NOTEBOOKS[0]
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added by course staff."
    nbformat.write(notebook, path)
    before = snapshot(student_dir)
    assert make_notebooks.main(["--check"]) == 1
    assert snapshot(student_dir) == before


def test_check_fails_on_an_orphan_student_notebook(kit_copy):
    _, student_dir = kit_copy
    shutil.copy(student_dir / NOTEBOOKS[0], student_dir / "99_removed.ipynb")
    assert make_notebooks.main(["--check"]) == 1


def test_generation_is_idempotent_and_repairs_edits(kit_copy):
    _, student_dir = kit_copy
    (student_dir / NOTEBOOKS[0]).write_text((student_dir / NOTEBOOKS[0]).read_text().replace("Your turn", "Over to you"))
    assert make_notebooks.main([]) == 0
    first = snapshot(student_dir)
    assert first == snapshot(STUDENT_DIR), "regenerating should restore the committed student notebooks"
    assert make_notebooks.main([]) == 0
    assert snapshot(student_dir) == first
    assert make_notebooks.main(["--check"]) == 0

