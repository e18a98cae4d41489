"""The tie between a rubric entry and its check, declared once, next to the check, and verified
when the checks are imported (as gradescope-utils' ``@weight`` ties points to a test).

    @graded("activations.relu_forward", probe="activation_forward")
    def test_relu_forward(case): ...

says: rubric.toml's entry ``[activations] relu_forward`` (its title and points) is judged by this
function, on what the harness's probe ``activation_forward`` (sandbox/harness/probes.py) records
for the case of the same id (cases.py builds its inputs, `make reference` stores them with the
solution's outputs). Importing the checks package calls ``verify``: a rubric entry without a check,
a check whose id or probe is misspelt, or a check function left undeclared stops the grader
before it grades anyone, with what to fix.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Iterable

from ..rubric import TieError


@dataclass(frozen=True)
class Graded:
    """One graded test: its rubric id, the probe that records what it judges, and its check."""

    test_id: str
    probe: str
    check: Callable


CHECKS: dict[str, Graded] = {}


def graded(test_id: str, *, probe: str) -> Callable[[Callable], Callable]:
    """Declare ``test_id`` (``<module>.<name>`` as in rubric.toml) to be judged by the decorated
    check, on what ``probe`` records."""

    def declare(check: Callable) -> Callable:
        if test_id in CHECKS and CHECKS[test_id].check.__qualname__ != check.__qualname__:
            raise TieError(f"{test_id} has two checks: {CHECKS[test_id].check.__qualname__} and {check.__qualname__}")
        CHECKS[test_id] = Graded(test_id, probe, check)
        check.graded = CHECKS[test_id]  # type: ignore[attr-defined]  # the plugin finds the tie here
        return check

    return declare


def tie_of(check: Callable) -> Graded:
    """The declaration of a check function (TieError for one without)."""
    tie = getattr(check, "graded", None)
    if not isinstance(tie, Graded):
        raise TieError(f"{check.__qualname__} is a check without @graded(...): say which rubric test it judges")
    return tie


def verify(rubric_ids: Iterable[str], probes: Iterable[str], check_functions: Iterable[Callable]) -> None:
    """Every rubric test has one check, every check a rubric test and a probe, every check
    function a declaration; TieError listing every problem otherwise."""
    rubric_ids, probes = list(rubric_ids), list(probes)
    problems = []
    for test_id in rubric_ids:
        if test_id not in CHECKS:
            problems.append(f"rubric.toml lists {test_id}, which no check declares (@graded({test_id!r}, probe=...))")
    for tie in CHECKS.values():
        if tie.test_id not in rubric_ids:
            problems.append(f"{tie.check.__qualname__} declares {tie.test_id}, which rubric.toml does not list{close(tie.test_id, rubric_ids)}")
        if tie.probe not in probes:
            problems.append(f"{tie.test_id}'s probe {tie.probe!r} is not one of harness/probes.py's PROBES{close(tie.probe, probes)}")
    for function in check_functions:
        if not isinstance(getattr(function, "graded", None), Graded):
            problems.append(f"{function.__module__}.{function.__qualname__} is a check without @graded(...)")
    if problems:
        raise TieError("the rubric, the checks and the probes disagree:\n  " + "\n  ".join(problems))


def close(name: str, names: list[str]) -> str:
    found = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {found[0]}?)" if found else ""
