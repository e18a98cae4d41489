"""Build a submission the way a student makes one: starter/'s modules with the stubs filled in.

Each student function replaces the whole definition of the starter's function of the same qualified
name ("Sigmoid.backward", "one_hot", "DataLoader.__iter__"), found with the ast module and replaced by
its line range, so edits to docstrings or comments in starter/ do not matter. A name that is not
defined in the starter module is an error, never skipped. Students may also add code at module level:
``top`` goes right after the module's leading imports, ``bottom`` at the end.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from autograder.kit import MODULES

ROOT = Path(__file__).resolve().parent.parent.parent


class BuildError(Exception):
    """The catalogue asks for something the starter does not have, or its code is not what it says."""


def definition(tree: ast.Module, qualname: str, where: str) -> ast.FunctionDef:
    """The one function definition called ``qualname`` ("Class.method" or "function")."""
    scope: list[ast.stmt] = tree.body
    node = None
    parts = qualname.split(".")
    for depth, part in enumerate(parts):
        wanted = (ast.FunctionDef, ast.AsyncFunctionDef) if depth == len(parts) - 1 else (ast.ClassDef,)
        found = [item for item in scope if isinstance(item, wanted) and item.name == part]
        if len(found) != 1:
            kind = "function" if depth == len(parts) - 1 else "class"
            problem = "no" if not found else f"{len(found)} definitions of the"
            raise BuildError(f"{where}: {problem} {kind} {'.'.join(parts[: depth + 1])!r} (looking for {qualname!r})")
        node = found[0]
        scope = node.body
    return node


def check_function(code: str, qualname: str, where: str) -> None:
    """``code`` is exactly one function definition with the right name."""
    try:
        body = ast.parse(code).body
    except SyntaxError as error:
        raise BuildError(f"{where}: the code given for {qualname!r} does not parse: {error}") from None
    name = qualname.split(".")[-1]
    if len(body) != 1 or not isinstance(body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) or body[0].name != name:
        raise BuildError(f"{where}: the code given for {qualname!r} must be one definition of {name!r}")


def indented(code: str, columns: int) -> list[str]:
    lines = textwrap.dedent(code).strip("\n").splitlines()
    return [(" " * columns + line if line.strip() else "") + "\n" for line in lines]


def end_of_leading_imports(tree: ast.Module) -> int:
    """The last line of the module's opening docstring and imports."""
    last = 0
    for index, statement in enumerate(tree.body):
        docstring = index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        if not (docstring or isinstance(statement, (ast.Import, ast.ImportFrom))):
            break
        last = statement.end_lineno
    return last


def fill(source: str, functions: dict[str, str], top: str = "", bottom: str = "", *, where: str, may_break: bool = False) -> str:
    """``source`` with every function of ``functions`` (qualified name -> code) replaced, ``top``
    inserted after the leading imports and ``bottom`` appended. Unless ``may_break``, each piece of
    code must parse and be the function it replaces."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []  # (first line, last line, new lines); lines are 1-based, inclusive
    for qualname, code in functions.items():
        node = definition(tree, qualname, where)
        if not may_break:
            check_function(textwrap.dedent(code), qualname, where)
        first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
        edits.append((first, node.end_lineno, indented(code, node.col_offset)))
    if top.strip():
        after = end_of_leading_imports(tree)
        edits.append((after + 1, after, ["\n"] + indented(top, 0)))
    spans = sorted((first, last) for first, last, _ in edits if last >= first)
    for (_, last), (first, _) in zip(spans, spans[1:]):
        if first <= last:
            raise BuildError(f"{where}: two replacements overlap")
    for first, last, new in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[first - 1 : last] = new
    text = "".join(lines)
    if bottom.strip():
        text = text.rstrip("\n") + "\n\n\n" + "".join(indented(bottom, 0))
    return text


def module_sources(submission, starter: Path | None = None) -> dict[str, str]:
    """The six module files of ``submission`` (a catalogue.Submission), as text."""
    from .catalogue import functions_by_module  # the catalogue imports this module

    starter = starter or ROOT / "starter"
    sources = {}
    for module in MODULES:
        where = f"{submission.name}: starter/{module}.py"
        broken = module in submission.syntax_error
        text = fill(
            (starter / f"{module}.py").read_text(),
            functions_by_module(submission)[module],
            submission.top.get(module, ""),
            submission.bottom.get(module, ""),
            where=where,
            may_break=broken,
        )
        try:
            compile(text, f"{module}.py", "exec")
            compiles = True
        except SyntaxError:
            compiles = False
        if compiles == broken:
            raise BuildError(f"{where}: the built module {'compiles' if compiles else 'does not compile'}, "
                             f"but the catalogue says it {'has a syntax error' if broken else 'compiles'}")
        sources[module] = text
    return sources


def build(submission, target: Path, starter: Path | None = None) -> Path:
    """Write ``submission``'s six modules into the new folder ``target``."""
    sources = module_sources(submission, starter)
    target.mkdir(parents=True)
    for module, text in sources.items():
        (target / f"{module}.py").write_text(text)
    return target


def build_all(submissions, folder: Path, starter: Path | None = None) -> Path:
    """Every submission in its own sub-folder of ``folder`` (a batch for `grade --batch`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for submission in submissions:
        build(submission, folder / submission.name, starter)
    return folder
