"""Choosing some of the rubric's tests by name, as `pytest -k` does: `make check ONLY=activations`,
`python -m autograder check --only relu`, `check("softmax")` in a notebook.

A pattern is one or more words separated by commas or spaces; a test is chosen when any word
occurs (case-insensitively) in its id, ``<module>.<name>`` (``activations.relu_backward``). So a
module name chooses its whole module, ``relu`` chooses both ReLU tests, and a full id chooses one.
"""

from __future__ import annotations

import difflib
import re

from .rubric import Rubric, load_rubric


class NoTestMatches(ValueError):
    """No test of the rubric matches the pattern; the message lists what would."""


def words(pattern: str) -> list[str]:
    return [word.lower() for word in re.split(r"[,\s]+", pattern.strip()) if word]


def matching_tests(pattern: str, rubric: Rubric | None = None) -> frozenset[str]:
    """The ids of the tests ``pattern`` chooses; NoTestMatches when there are none."""
    rubric = rubric or load_rubric()
    chosen = words(pattern)
    if not chosen:
        raise NoTestMatches("an empty pattern chooses no test: give a module (activations) or a test name (relu_forward)")
    selected = frozenset(test.id for test in rubric.tests if any(word in test.id.lower() for word in chosen))
    if not selected:
        raise NoTestMatches(no_match_message(pattern, rubric))
    return selected


def no_match_message(pattern: str, rubric: Rubric) -> str:
    names = [test.id for test in rubric.tests] + [test.name for test in rubric.tests] + rubric.modules
    close = difflib.get_close_matches(words(pattern)[-1], names, n=3, cutoff=0.6)
    lines = [f"no test matches {pattern!r}."]
    if close:
        lines.append("Did you mean: " + ", ".join(dict.fromkeys(close)) + "?")
    lines.append("Modules: " + ", ".join(rubric.modules) + ". Tests look like activations.relu_forward;")
    lines.append("any part of a test's name works (relu, softmax, backward).")
    return "\n".join(lines)


def hidden_points(selected: frozenset[str] | None, rubric: Rubric | None = None) -> float:
    """The hidden tests' points for the chosen tests (all tests when ``selected`` is None)."""
    rubric = rubric or load_rubric()
    return sum(test.points.get("hidden", 0.0) for test in rubric.tests if selected is None or test.id in selected)
