"""The notebooks: the solution notebooks run cleanly on a real kernel and draw their figures; the
student notebooks are generated, fresh, free of solutions, and stop at the first unwritten
function with a one-line message.

Every notebook execution happens once, in the module-scoped ``runs`` fixture (all of them in one
batch, two at a time), and the tests read its results.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from notebooks.execute import NotebookRun, execute_notebooks
from notebooks.not_implemented import PREFIX, not_implemented_message

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = ROOT / "notebooks" / "solution"
STUDENT_DIR = ROOT / "notebooks" / "student"
NOTEBOOKS = sorted(path.name for path in SOLUTION_DIR.glob("*.ipynb"))

# The figures each solution notebook draws, one image/png output each (by the notebooks' design:
# A plots the activations; B the search and the best run; C the data, the boundaries and the
# doubt curves; D sample digits, the training curves, the confusion matrix and the mistakes).
EXPECTED_FIGURES = {
    "01_build_and_check.ipynb": 1,
    "02_iris.ipynb": 2,
    "03_decision_boundaries.ipynb": 3,
    "04_digits.ipynb": 4,
}


def load_script(name: str):
    """Import scripts/<name>.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_notebooks = load_script("make_notebooks")
make_handout = load_script("make_handout")


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
# Executing every notebook once
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def figure_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("handout-figures")


@pytest.fixture(scope="module")
def runs(figure_dir):
    """Results keyed by (kind, notebook name): "solution" notebooks on solution/ (with the
    handout's figure-saving cells appended), "student" notebooks on starter/ and on solution/."""
    extra = make_handout.figure_cells(figure_dir)
    jobs = {("solution", name): NotebookRun(SOLUTION_DIR / name, extra.get(name, []), "solution") for name in NOTEBOOKS}
    jobs.update({("student", name): NotebookRun(STUDENT_DIR / name, package="starter") for name in NOTEBOOKS})
    jobs.update({("student-on-solution", name): NotebookRun(STUDENT_DIR / name, package="solution") for name in NOTEBOOKS})
    return dict(zip(jobs, execute_notebooks(list(jobs.values()))))


def test_every_solution_notebook_has_an_expected_figure_count():
    assert NOTEBOOKS, "no solution notebooks found"
    assert set(EXPECTED_FIGURES) == set(NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_runs_without_error(runs, name):
    result = runs[("solution", name)]
    assert result.error is None, f"{name} failed:\n{result.error}"
    assert not outputs(result.notebook, "error")
    assert all(cell.execution_count is not None for cell in code_cells(result.notebook))


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_uses_the_solution_package(runs, name):
    setup_text = "".join(output.get("text", "") for output in runs[("solution", name)].notebook.cells[1].outputs)
    assert "Using solution/" in setup_text


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_draws_its_figures(runs, name):
    assert png_count(runs[("solution", name)].notebook) == EXPECTED_FIGURES[name]


@pytest.mark.slow
def test_handout_figures_are_saved_from_the_solution_notebooks(runs, figure_dir):
    for file_name in make_handout.FIGURES:
        path = figure_dir / file_name
        assert path.is_file(), f"{file_name} was not saved"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 2000, f"{file_name} looks empty"


@pytest.mark.slow
def test_kernel_is_the_running_python(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    path = tmp_path / "which_python.ipynb"
    nbformat.write(notebook, path)
    (result,) = execute_notebooks([path])
    assert result.error is None
    assert outputs(result.notebook, "stream")[0].text.strip() == sys.executable


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
def test_student_notebook_on_starter_stops_at_first_stub_with_a_clear_message(runs, name):
    result = runs[("student", name)]
    assert result.error is not None, "the starter has stubs, so the notebook cannot run to the end"
    index, error = first_error(result)
    assert error.ename == "NotImplementedError"
    message = "\n".join(error.traceback)
    assert len(error.traceback) == 1 and message.startswith(PREFIX), message
    assert re.search(r"fill it in in starter/\w+\.py, then re-run this cell\.$", message), message
    assert_stopped_at(result, index)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_on_solution_stops_at_its_own_first_stub(runs, name):
    result = runs[("student-on-solution", name)]
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

