"""Checking one thing at a time: `check --only` (as `make check ONLY=...`) and the one-line
notebook check, which shows its table inline in a real Jupyter kernel."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from autograder.rubric import load_rubric
from autograder.selection import NoTestMatches, matching_tests
from grader_support import ROOT
from notebooks.execute import NotebookRun, execute_notebooks


def check(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "check", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)


def table_rows(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if "[public]" in line]


def test_patterns_choose_tests_as_pytest_k_does():
    rubric = load_rubric()
    assert matching_tests("activations") == {test.id for test in rubric.in_module("activations")}
    assert matching_tests("ReLU") == {"activations.relu_forward", "activations.relu_backward"}
    assert matching_tests("mse, softmax_forward") == {"loss.mse_forward", "loss.mse_backward", "activations.softmax_forward"}
    assert "model.backward_returns_loss" in matching_tests("loss")  # any part of the name, as pytest -k
    with pytest.raises(NoTestMatches, match="Did you mean: .*activations"):
        matching_tests("activatons")


def test_check_only_one_module_runs_and_scores_only_that_module():
    completed = check("--impl", "solution", "--only", "activations")
    assert completed.returncode == 0, completed.stderr
    rubric = load_rubric()
    expected = [f"{test.id}" for test in rubric.in_module("activations")]
    assert table_rows(completed.stdout) == [f"{test_id}" for test_id in expected]
    public, hidden = rubric.points("activations", ("public",)), rubric.points("activations", ("hidden",))
    assert f"Public tests: {public:g} / {public:g}. Hidden tests with other inputs add {hidden:g} more points" in completed.stdout


def test_check_only_part_of_a_name_on_the_starter():
    completed = check("--impl", "starter", "-k", "relu")
    assert completed.returncode == 0, completed.stderr
    assert table_rows(completed.stdout) == ["activations.relu_forward", "activations.relu_backward"]
    assert "not implemented yet" in completed.stdout and "Public tests: 0 / 2.5" in completed.stdout


def test_a_pattern_that_matches_nothing_says_what_would():
    completed = check("--impl", "starter", "--only", "sofmax")
    assert completed.returncode == 2
    assert "no test matches 'sofmax'" in completed.stderr and "softmax" in completed.stderr


def test_the_notebook_check_shows_its_table_inline(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f"import sys; sys.path.insert(0, {str(ROOT)!r})"),
        nbformat.v4.new_code_cell('from autograder import check; check("activations", impl="solution")'),
        nbformat.v4.new_code_cell('from autograder import check; check("layers")'),  # NN_PACKAGE, as the notebooks use
    ]
    path = tmp_path / "check.ipynb"
    nbformat.write(notebook, path)
    [run] = execute_notebooks([NotebookRun(path)], package="starter")
    assert run.error is None, run.error
    rubric = load_rubric()
    solved = run.notebook.cells[1].outputs[0]["data"]
    assert solved["text/html"].count("<tr><td><code>activations.") == len(rubric.in_module("activations"))
    public = rubric.points("activations", ("public",))
    assert f"{public:g} / {public:g} points on solution/" in solved["text/html"] and "all passed" in solved["text/html"]
    assert "TOTAL" in solved["text/plain"]
    unwritten = run.notebook.cells[2].outputs[0]["data"]["text/html"]
    assert "points on starter/" in unwritten and "not implemented yet" in unwritten and "layers.forward" in unwritten
