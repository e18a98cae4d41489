"""Find Python loops in a student's functions by reading their source (never running it).

The vectorisation checks use this together with the line counts measured in the sandbox: the
sandbox's numbers come from a process the submission controls, while this reads the source text
the grader received, so a submission cannot talk its way past it. A function counts as looping
when its body, or the body of a function or method of the same module it calls, holds a ``for``
or ``while`` loop, a comprehension, or a call that loops in Python (``map``, ``np.vectorize``,
``np.apply_along_axis``, ...).
"""

from __future__ import annotations

import ast

LOOP_NODES = {
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
LOOPING_CALLS = {"map", "vectorize", "apply_along_axis", "apply_over_axes", "frompyfunc", "fromiter"}


def _index(tree: ast.Module) -> tuple[dict[str, ast.AST], dict[str, list[str]]]:
    """Module-level functions by name, methods by "Class.method", and each class's base names."""
    functions, bases = {}, {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            bases[node.name] = [base.id for base in node.bases if isinstance(base, ast.Name)]
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions[f"{node.name}.{item.name}"] = item
    return functions, bases


def _method(functions: dict, bases: dict, owner: str, name: str) -> str | None:
    """``owner.name`` as Python would find it: on the class, else on its bases (same module)."""
    chain, seen = [owner], set()
    while chain:
        cls = chain.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        if f"{cls}.{name}" in functions:
            return f"{cls}.{name}"
        chain += bases.get(cls, [])
    return None


def loops_in(source: str, qualified_name: str) -> list[str]:
    """Descriptions of every loop reachable from ``qualified_name`` ("Class.method" or "function")."""
    functions, bases = _index(ast.parse(source))
    found, seen, todo = [], set(), [qualified_name]
    while todo:
        name = todo.pop()
        if name is None or name in seen or name not in functions:
            continue
        seen.add(name)
        owner = name.split(".")[0] if "." in name else None
        for node in ast.walk(functions[name]):
            if type(node) in LOOP_NODES:
                found.append(f"{LOOP_NODES[type(node)]} at line {node.lineno} (in {name})")
            elif isinstance(node, ast.Call):
                call = node.func
                if isinstance(call, ast.Name):
                    if call.id in LOOPING_CALLS:
                        found.append(f"a call to {call.id} at line {node.lineno} (in {name})")
                    todo.append(call.id)
                elif isinstance(call, ast.Attribute):
                    if call.attr in LOOPING_CALLS:
                        found.append(f"a call to {call.attr} at line {node.lineno} (in {name})")
                    elif owner and isinstance(call.value, ast.Name) and call.value.id == "self":
                        todo.append(_method(functions, bases, owner, call.attr))
    return sorted(set(found))
