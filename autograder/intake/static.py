"""What the grader learns from a submission's source text, without running it.

* **Loops.** A vectorised function may not loop in Python: its body, and the body of every
  function of the six modules it calls (a helper in util.py too, a method of a base class, itself
  again through recursion), may hold no ``for`` or ``while`` loop, no comprehension and no call that
  loops in Python (``map``, ``np.vectorize``, ``np.apply_along_axis``, ...).
* **Imports.** Graded code may use only the standard library and NumPy; every other import is
  listed, so that `make check` can warn about it before submission.
* **Introspection.** Code that reads the call stack, the garbage collector's objects, another
  function's globals, the harness's modules or the process's arguments (where the grader's channel
  is named) is listed: a network's code has no need for any of it, and the harness's frames hold
  the grader's own correct forward passes. Course staff review what is listed.

The source is parsed exactly as Python will run it (``ast.parse`` of the bytes honours a coding
declaration; intake refuses any coding but UTF-8 anyway). The work runs in a forked child with CPU,
memory and wall-clock limits, so a module built to be slow to parse costs only its own tests.
"""

from __future__ import annotations

import ast
import os
import sys

from ..kit import MODULES

LOOP_NODES = {
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
# Calls that loop in Python: by bare name, or as an attribute (of any object, or of one module only:
# functools.reduce loops, np.add.reduce does not).
LOOPING_NAMES = {"map", "filter", "reduce", "starmap", "accumulate", "vectorize", "apply_along_axis", "frompyfunc", "fromiter"}
LOOPING_ATTRIBUTES = {"vectorize": None, "apply_along_axis": None, "apply_over_axes": None, "frompyfunc": None, "fromiter": None,
                      "map": None, "filter": None,  # builtins.map reached as an attribute
                      "reduce": "functools", "starmap": "itertools", "accumulate": "itertools"}


def looping_call(node: ast.Call) -> str | None:
    """The name of the looping function ``node`` calls, if it calls one."""
    call = node.func
    if isinstance(call, ast.Name) and call.id in LOOPING_NAMES:
        return call.id
    if isinstance(call, ast.Attribute) and call.attr in LOOPING_ATTRIBUTES:
        module = LOOPING_ATTRIBUTES[call.attr]
        if module is None or (isinstance(call.value, ast.Name) and call.value.id == module):
            return call.attr
    return None
ALLOWED_IMPORTS = frozenset(sys.stdlib_module_names) | {"numpy"}
CPU_SECONDS = 5
WALL_SECONDS = 20
MEMORY_BYTES = 1 << 30
IN_PROCESS_BYTES = 96 << 10  # sources this small (a whole solution is ~30 KiB) parse in milliseconds


class Index:
    """Every module's functions ("Class.method" or "function"), classes' bases, and the names each
    module imports from its siblings."""

    def __init__(self, trees: dict[str, ast.Module]):
        self.functions: dict[tuple[str, str], ast.AST] = {}
        self.bases: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.imported: dict[str, dict[str, tuple[str, str]]] = {}  # module -> local name -> (module, name)
        self.module_aliases: dict[str, dict[str, str]] = {}  # module -> local name -> sibling module
        self.cache: dict = {}  # (module, name) -> what direct() found
        self.instances: dict[tuple[str, str], tuple[str, str]] = {}  # module-level object -> its class
        for module, tree in trees.items():
            imported, aliases = {}, {}
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.level == 1:
                    for alias in node.names:
                        if node.module in MODULES:
                            imported[alias.asname or alias.name] = (node.module, alias.name)
                        elif node.module is None and alias.name in MODULES:
                            aliases[alias.asname or alias.name] = alias.name
            self.imported[module], self.module_aliases[module] = imported, aliases
        for module, tree in trees.items():
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions[(module, node.name)] = node
                elif isinstance(node, ast.ClassDef):
                    self.bases[(module, node.name)] = [self.resolve(module, base.id) for base in node.bases if isinstance(base, ast.Name)]
                    for item in node.body:
                        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            self.functions[(module, f"{node.name}.{item.name}")] = item
                        for target, function in assigned_lambdas(item):  # forward = lambda self, Z: ...
                            self.functions[(module, f"{node.name}.{target}")] = function
                for target, function in assigned_lambdas(node):
                    self.functions[(module, target)] = function
        for module, tree in trees.items():  # helper = Helper(): calling it runs Helper.__call__
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                    owner = self.resolve(module, node.value.func.id)
                    if owner in self.bases:
                        for assigned in node.targets:
                            if isinstance(assigned, ast.Name):
                                self.instances[(module, assigned.id)] = owner

    def resolve(self, module: str, name: str) -> tuple[str, str]:
        """Where a module-level name of ``module`` is defined: here, or in the sibling it came from."""
        return self.imported.get(module, {}).get(name, (module, name))

    def method(self, owner: tuple[str, str], name: str) -> tuple[str, str] | None:
        """``owner.name`` as Python would find it: on the class, else on its bases."""
        chain, seen = [owner], set()
        while chain:
            module, cls = chain.pop(0)
            if (module, cls) in seen:
                continue
            seen.add((module, cls))
            if (module, f"{cls}.{name}") in self.functions:
                return (module, f"{cls}.{name}")
            chain += self.bases.get((module, cls), [])
        return None


def assigned_lambdas(node: ast.AST) -> list[tuple[str, ast.Lambda]]:
    """The names ``node`` binds to a lambda (``name = lambda ...``), each with that lambda."""
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
        return [(target.id, node.value) for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Lambda) and isinstance(node.target, ast.Name):
        return [(node.target.id, node.value)]
    return []


def _callees(index: Index, module: str, name: str, node: ast.Call) -> list[tuple[str, str]]:
    """The functions of the six modules that a call node may reach."""
    call = node.func
    owner = (module, name.split(".")[0]) if "." in name else None
    if isinstance(call, ast.Name):
        target = index.resolve(module, call.id)
        if target in index.functions:
            return [target]
        if target in index.instances:
            found = index.method(index.instances[target], "__call__")
            return [found] if found else []
        if target in index.bases:  # a class: calling it runs its __init__
            found = index.method(target, "__init__")
            return [found] if found else []
        return []
    if isinstance(call, ast.Attribute):
        value = call.value
        if isinstance(value, ast.Name) and value.id in ("self", "cls") and owner:
            found = index.method(owner, call.attr)
            return [found] if found else []
        if isinstance(value, ast.Name) and value.id in index.module_aliases.get(module, {}):
            target = (index.module_aliases[module][value.id], call.attr)
            return [target] if target in index.functions else []
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super" and owner:
            for base in index.bases.get(owner, []):
                found = index.method(base, call.attr)
                if found:
                    return [found]
    return []


def direct(index: Index, where: tuple[str, str]) -> tuple[list[tuple[str, int]], list[tuple[tuple[str, str], int]]]:
    """What one function holds itself: its loops (description, line) and the calls it makes into
    the six modules (callee, line). Walked once per function, whatever asks."""
    if where not in index.cache:
        function_module, name = where
        loops, calls = [], []
        for node in ast.walk(index.functions[where]):
            if type(node) in LOOP_NODES and isinstance(node, (ast.stmt, ast.expr)):
                loops.append((LOOP_NODES[type(node)], node.lineno))
            elif isinstance(node, ast.Call):
                called = looping_call(node)
                if called:
                    loops.append((f"a call to {called}", node.lineno))
                calls += [(target, node.lineno) for target in _callees(index, function_module, name, node)]
        index.cache[where] = (loops, calls)
    return index.cache[where]


def loops_reachable(index: Index, module: str, qualified_name: str) -> list[str]:
    """Descriptions of every loop (and recursion) reachable from ``module``'s ``qualified_name``."""
    start = (module, qualified_name)
    found: list[str] = []
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[tuple[str, str], tuple[tuple[str, str], ...]]] = [(start, (start,))]
    while todo:
        where, path = todo.pop()
        if where in seen or where not in index.functions:
            continue
        seen.add(where)
        function_module, name = where
        label = name if function_module == module else f"{name} in {function_module}.py"
        loops, calls = direct(index, where)
        found += [f"{what} at line {line} (in {label})" for what, line in loops]
        for target, line in calls:
            if target in path:
                found.append(f"recursion: {name} calls {target[1]} at line {line} (in {label})")
            else:
                todo.append((target, path + (target,)))
    return sorted(set(found))


def foreign_imports(trees: dict[str, ast.Module]) -> list[tuple[str, int, str, str]]:
    """(module, line, package, statement) for every import of something but the standard library
    and NumPy."""
    found = []
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in ALLOWED_IMPORTS:
                    found.append((module, node.lineno, top, ast.unparse(node)))
    return sorted(set(found))


# Attributes that reach frames or objects beyond the code's own, and names of the harness.
INTROSPECTION_ATTRIBUTES = {
    "_getframe": "reads the call stack", "currentframe": "reads the call stack", "stack": None,
    "getouterframes": "reads the call stack", "f_back": "reads the call stack", "f_globals": "reads another frame's globals",
    "f_locals": "reads another frame's variables", "tb_frame": "reads the call stack", "gi_frame": "reads the call stack",
    "get_objects": "reads the garbage collector's objects", "get_referrers": "reads the garbage collector's objects",
    "get_referents": "reads the garbage collector's objects", "__globals__": "reads another function's globals",
    "__subclasses__": "walks the class hierarchy", "argv": None,
}
HARNESS_NAMES = {"standins", "probes", "npzio", "confine", "harness"}


def introspection(trees: dict[str, ast.Module]) -> list[tuple[str, int, str]]:
    """(module, line, what) for every use of the call stack, the garbage collector, another
    function's globals, the process's arguments, or a name of the harness's modules."""
    found = []
    for module, tree in trees.items():
        for node in ast.walk(tree):
            what = None
            if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION_ATTRIBUTES:
                what = INTROSPECTION_ATTRIBUTES[node.attr]
                owner = node.value.id if isinstance(node.value, ast.Name) else ""
                if node.attr == "stack":
                    what = "reads the call stack" if owner == "inspect" else None
                elif node.attr == "argv":
                    what = "reads the process's arguments" if owner == "sys" else None
            elif isinstance(node, (ast.Name, ast.alias)):
                name = node.id if isinstance(node, ast.Name) else node.name
                if name.split(".")[0] in HARNESS_NAMES or name in ("_getframe", "currentframe", "get_objects", "get_referrers"):
                    what = f"names {name}"
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                words = set(node.value.replace(".", " ").replace("/", " ").split())
                named = sorted(words & (HARNESS_NAMES | {"_getframe", "f_back", "f_globals", "f_locals", "get_objects", "get_referrers"}))
                if named and len(node.value) < 200:
                    what = f"names {named[0]} in a string"
            if what and isinstance(node, (ast.stmt, ast.expr, ast.alias)):
                found.append((module, node.lineno, what))
    return sorted(set(found))


def analyse(sources: dict[str, bytes], functions: dict[str, list[str]]) -> dict:
    """``sources``: module -> source bytes; ``functions``: module -> qualified names to check for
    loops. Returns {"loops": {"module:name": [...]}, "imports": [...], "unparsable": {module: why}}."""
    trees, unparsable = {}, {}
    for module, source in sources.items():
        try:
            trees[module] = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            unparsable[module] = f"{type(error).__name__}: {error}"[:300]
    index = Index(trees)
    loops = {}
    for module, names in functions.items():
        if module in trees:
            for name in names:
                loops[f"{module}:{name}"] = loops_reachable(index, module, name)
    return {
        "loops": loops,
        "imports": [list(item) for item in foreign_imports(trees)],
        "introspection": [list(item) for item in introspection(trees)],
        "unparsable": unparsable,
    }


def analyse_with_limits(sources: dict[str, bytes], functions: dict[str, list[str]]) -> dict:
    """``analyse`` in a forked child with CPU, memory and time limits; {"error": why} when it could
    not finish. Sources of ordinary size (IN_PROCESS_BYTES in all), and platforms without fork or
    rlimits, are analysed here: bounded by their size, they take milliseconds."""
    if sum(len(source) for source in sources.values()) <= IN_PROCESS_BYTES:
        return analyse(sources, functions)
    try:
        import resource  # POSIX only: without it (or fork), the work is bounded by size alone
    except ImportError:
        return analyse(sources, functions)
    if not hasattr(os, "fork"):
        return analyse(sources, functions)
    from .. import forked

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    status, found = forked.collect(*forked.start(lambda: analyse(sources, functions), limits), WALL_SECONDS)
    if status == "timeout":
        return {"error": f"reading your source took longer than {WALL_SECONDS} s"}
    if status != "ok":
        return {"error": "reading your source used more than the grader's time or memory limit"}
    return found if isinstance(found, dict) else {"error": "the grader could not read your source"}
