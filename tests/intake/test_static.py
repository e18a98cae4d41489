"""What the grader reads from source text: loops hidden where a reader of function bodies alone
would miss them, and code that looks beyond itself (the call stack, the harness's modules)."""

from __future__ import annotations

import textwrap

import pytest

from autograder.intake.static import analyse
from grader_support import ROOT
from autograder.kit import MODULES



def solution_sources(**replaced: str) -> dict[str, bytes]:
    sources = {module: (ROOT / "solution" / f"{module}.py").read_bytes() for module in MODULES}
    for module, extra in replaced.items():
        sources[module] += b"\n\n" + textwrap.dedent(extra).encode()
    return sources


def loops(sources: dict[str, bytes], module: str, function: str) -> list[str]:
    return analyse(sources, {module: [function]})["loops"][f"{module}:{function}"]


def test_the_solution_has_no_loops_and_looks_at_nothing_beyond_itself():
    functions = {"activations": ["Sigmoid.forward", "SoftMax.forward"], "util": ["one_hot"], "layers": ["FullyConnectedLayer.forward"]}
    found = analyse(solution_sources(), functions)
    assert all(found["loops"][key] == [] for key in found["loops"]) and found["introspection"] == []


@pytest.mark.parametrize("extra, function, expected", [
    ("""
     import math
     class Row(Sigmoid):
         forward = lambda self, Z: np.array([[math.tanh(z) for z in row] for row in Z])
     """, "Row.forward", "a list comprehension"),
    ("""
     _rows = lambda Z: np.array([[1.0 / (1.0 + np.exp(-z)) for z in row] for row in Z])
     class Row(Sigmoid):
         def forward(self, Z):
             return _rows(Z)
     """, "Row.forward", "a list comprehension at line"),
    ("""
     class _ByEntry:
         def __call__(self, Z):
             out = np.empty_like(Z)
             for i in range(len(Z)):
                 out[i] = np.maximum(Z[i], 0)
             return out
     _relu = _ByEntry()
     class Row(ReLU):
         def forward(self, Z):
             return _relu(Z)
     """, "Row.forward", "a for loop at line"),
    ("""
     class _Built:
         def __init__(self, Z):
             self.values = np.array([max(z, 0.0) for z in Z.ravel()]).reshape(Z.shape)
     class Row(ReLU):
         def forward(self, Z):
             return _Built(Z).values
     """, "Row.forward", "a list comprehension"),
    ("""
     class Row(ReLU):
         def forward(self, Z):
             return np.array(list(__import__("builtins").map(lambda z: max(z, 0.0), Z.ravel()))).reshape(Z.shape)
     """, "Row.forward", "a call to map"),
], ids=["class-level lambda", "module-level lambda", "callable object", "constructor", "builtins.map"])
def test_loops_hidden_outside_a_function_body_are_found(extra, function, expected):
    found = loops(solution_sources(activations=extra), "activations", function)
    assert any(expected in description for description in found), found


@pytest.mark.parametrize("code, what", [
    ("import sys\ndef peek():\n    return sys._getframe(2).f_globals\n", "reads the call stack"),
    ("import inspect\ndef peek():\n    return inspect.stack()\n", "reads the call stack"),
    ("import gc\ndef peek():\n    return gc.get_objects()\n", "garbage collector"),
    ("def peek():\n    return __import__('standins')\n", "standins in a string"),
    ("import sys\nCHANNEL = int(sys.argv[2])\n", "process's arguments"),
    ("def peek(function):\n    return function.__globals__\n", "another function's globals"),
], ids=["frames", "inspect.stack", "gc", "harness module", "argv", "globals"])
def test_code_that_looks_beyond_itself_is_listed(code, what):
    found = analyse(solution_sources(util=code), {})["introspection"]
    assert any(module == "util" and what in description for module, _, description in found), found
