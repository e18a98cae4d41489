"""The grader's checks: one pytest test per rubric test, run on a submission's sandboxed outputs.

Each check in ``test_<module>.py`` declares the rubric test it judges and the probe whose records it
reads (registry.graded). The ``case`` fixture (plugin.py) gives it the inputs, the reference
outputs and what the submission returned; it runs once per variant (public, hidden) the rubric
gives points for. Importing this package imports every check and verifies the ties (registry.py),
so a misspelt or missing tie stops the grader at start, not while grading.
"""

from __future__ import annotations

import importlib
import inspect

from ..kit import MODULES
from ..rubric import load_rubric
from ..sandbox.harness.probes import PROBES
from .registry import CHECKS, TieError, graded, verify

CHECK_MODULES = [importlib.import_module(f"{__name__}.test_{module}") for module in MODULES]
verify(
    (test.id for test in load_rubric().tests),
    PROBES,
    (function for module in CHECK_MODULES for name, function in inspect.getmembers(module, inspect.isfunction)
     if name.startswith("test_") and function.__module__ == module.__name__),
)

__all__ = ["CHECKS", "TieError", "graded"]
