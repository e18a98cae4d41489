"""The grader's rooms keep their floors: no module imports one that imports it back, the harness
imports nothing of the grader, and the leaves (the data, the words, the limits, the isolation
modes) import nothing above them. docs/architecture.md draws the same plan.

Imports are read from the source (every ``import`` and ``from ... import`` statement, also inside
functions), so an import added anywhere is judged.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograder"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py") if "stubs" not in path.parts}


def imports_of(path: Path) -> set[str]:
    """The autograder modules ``path`` imports: ``from package import module`` counts as the
    module, ``from module import name`` (or from a package's face) as that module or face."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            submodules = {f"{target}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(target)
    return {target for target in found if target in MODULES}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in GRAPH.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_no_module_imports_one_that_imports_it_back():
    circles = sorted(name for name in GRAPH if name in reachable(name))
    assert circles == [], f"import circles through {circles}"


def test_the_harness_imports_nothing_of_the_grader():
    """It runs in the sandbox with only the standard library and NumPy (and its own files, by name)."""
    harness = [name for name in MODULES if name.startswith("autograder.sandbox.harness")]
    outside = {name: targets for name in harness if (targets := {t for t in GRAPH[name] if not t.startswith("autograder.sandbox.harness")})}
    assert harness and outside == {}


LEAVES = {
    # module (or package): what it may import of the grader, at most
    "autograder.kit": set(),
    "autograder.outcome": set(),
    "autograder.words": {"autograder.outcome"},
    "autograder.text": set(),
    "autograder.tolerances": set(),
    "autograder.sandbox.limits": {"autograder.sandbox.processes"},
    "autograder.sandbox.processes": set(),
    "autograder.sandbox.isolation": {"autograder.kit", "autograder.sandbox.limits", "autograder.sandbox.processes", "autograder.sandbox.harness"},
}


@pytest.mark.parametrize("leaf", LEAVES)
def test_a_leaf_imports_nothing_above_it(leaf):
    members = [name for name in MODULES if name == leaf or name.startswith(leaf + ".")]
    allowed = LEAVES[leaf]
    outside = {
        target for name in members for target in GRAPH[name]
        if not (target == leaf or target.startswith(leaf + ".")) and not any(target == a or target.startswith(a + ".") for a in allowed)
    }
    assert outside == set(), f"{leaf} imports {sorted(outside)}, above it"


def test_the_sandbox_does_not_know_the_checks_or_the_reports():
    sandbox = [name for name in MODULES if name.startswith("autograder.sandbox")]
    above = {target for name in sandbox for target in GRAPH[name] if target.split(".")[1] in ("checks", "reports", "grading", "cli", "intake")}
    assert above == set()


def test_the_reading_of_imports_finds_what_it_should():
    """The checks above can fail: the graph holds arrows that are known to exist."""
    assert "autograder.sandbox.trial" in GRAPH["autograder.sandbox.sandbox"]
    assert "autograder.sandbox.child" in GRAPH["autograder.sandbox.trial"]
    assert "autograder.outcome" in GRAPH["autograder.words"]
    assert "autograder.sandbox.limits" in GRAPH["autograder.sandbox.isolation.common"]
