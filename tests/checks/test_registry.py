"""The tie between a rubric entry, its check and its probe is declared once and verified when the
checks are imported: whatever is missing or misspelt stops the grader before it grades anyone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.checks import registry
from autograder.checks.registry import Graded, TieError, graded, tie_of, verify
from autograder.rubric import load_rubric
from autograder.sandbox.harness.probes import PROBES

ROOT = registry.__file__.rsplit("/autograder/", 1)[0]


def test_every_rubric_test_has_exactly_one_declared_check_and_probe():
    ids = [test.id for test in load_rubric().tests]
    assert sorted(registry.CHECKS) == sorted(ids)
    assert {tie.probe for tie in registry.CHECKS.values()} <= set(PROBES)
    assert all(tie_of(tie.check) is tie for tie in registry.CHECKS.values())


@pytest.fixture
def declared(monkeypatch):
    """A registry of its own, holding two declared checks."""
    monkeypatch.setattr(registry, "CHECKS", {})

    @graded("activations.relu_forward", probe="activation_forward")
    def test_relu_forward(case):
        pass

    @graded("activations.relu_backward", probe="activation_backward")
    def test_relu_backward(case):
        pass

    return [test_relu_forward, test_relu_backward]


def test_consistent_ties_pass(declared):
    verify(["activations.relu_forward", "activations.relu_backward"], PROBES, declared)


def test_a_rubric_entry_without_a_check_is_named(declared):
    with pytest.raises(TieError, match="rubric.toml lists activations.relu_sideways, which no check declares"):
        verify(["activations.relu_forward", "activations.relu_backward", "activations.relu_sideways"], PROBES, declared)


def test_a_misspelt_test_id_or_probe_is_named_with_the_likely_name(declared):
    @graded("activations.relu_foward", probe="activation_forwrd")
    def test_typo(case):
        pass

    with pytest.raises(TieError) as raised:
        verify(["activations.relu_forward", "activations.relu_backward"], PROBES, [*declared, test_typo])
    message = str(raised.value)
    assert "declares activations.relu_foward, which rubric.toml does not list (did you mean activations.relu_forward?)" in message
    assert "probe 'activation_forwrd' is not one of harness/probes.py's PROBES (did you mean activation_forward?)" in message


def test_a_check_without_a_declaration_is_named(declared):
    def test_forgotten(case):
        pass

    with pytest.raises(TieError, match="test_forgotten is a check without @graded"):
        verify(["activations.relu_forward", "activations.relu_backward"], PROBES, [*declared, test_forgotten])
    with pytest.raises(TieError):
        tie_of(test_forgotten)


def test_two_checks_for_one_test_are_refused(declared):
    with pytest.raises(TieError, match="has two checks"):
        @graded("activations.relu_forward", probe="activation_forward")
        def test_another(case):
            pass


def test_a_broken_tie_stops_the_grader_at_start_with_exit_status_2():
    """The rubric gains an entry no check declares: `python -m autograder` refuses to start."""
    code = (
        "import sys, runpy\n"
        "from autograder import rubric\n"
        "real = rubric.load_rubric()\n"
        "extra = rubric.RubricTest('activations', 'relu_sideways', 'a test nobody wrote', {'public': 1.0, 'hidden': 1.0})\n"
        "rubric.load_rubric = lambda *a: rubric.Rubric(real.tests + (extra,), real.written)\n"
        "sys.argv = ['autograder', 'check']\n"
        "runpy.run_module('autograder', run_name='__main__')\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr
    assert "rubric.toml lists activations.relu_sideways, which no check declares" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_graded_keeps_the_function_as_it_was():
    tie = registry.CHECKS["activations.relu_forward"]
    assert isinstance(tie, Graded) and tie.check.__name__ == "test_relu_forward" and callable(tie.check)
