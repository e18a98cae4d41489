"""Disguises a copier applies to someone else's modules: renamed variables, reordered methods and
functions, rewritten comments. Each returns source that still compiles and runs the same (the
tests grade the disguised copies to make sure)."""

from __future__ import annotations

import ast
import io
import keyword
import random
import tokenize


def assigned_names(source: str) -> set[str]:
    """Names the module binds inside function bodies (locals, loop variables), parameters excluded."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    names.add(inner.id)
    return {name for name in names if not keyword.iskeyword(name)}


def names_in(source: str) -> set[str]:
    return {token.string for token in tokenize.generate_tokens(io.StringIO(source).readline) if token.type == tokenize.NAME}


def rename_variables(source: str, given: str, seed: int) -> str:
    """Every variable the student introduced (bound in a function, absent from the ``given``
    starter code) gets another name, wherever it appears."""
    suffixes = ["_value", "_tmp", "2", "_arr", "_res"]
    suffix = random.Random(seed).choice(suffixes)
    mapping = {name: f"{name.lower()}{suffix}" for name in assigned_names(source) - names_in(given)}
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out, depth = [], 0
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        previous = tokens[index - 1].string if index else ""
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        keyword_argument = depth > 0 and following == "=" and previous in ("(", ",")
        if token.type == tokenize.NAME and token.string in mapping and previous != "." and not keyword_argument:
            token = token._replace(string=mapping[token.string])
        out.append(token)
    return tokenize.untokenize(out)


def reorder_functions(source: str, given: str, seed: int) -> str:
    """Methods of each class, and each run of consecutive top-level functions, in a new order."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)

    def span(node) -> tuple[int, int]:
        start = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list]) - 1
        return start, node.end_lineno

    def reverse_runs(body) -> list[tuple[int, int, list[tuple[int, int]]]]:
        runs, current = [], []
        for node in body:
            if isinstance(node, ast.FunctionDef):
                current.append(span(node))
            else:
                if len(current) > 1:
                    runs.append(current)
                current = []
        if len(current) > 1:
            runs.append(current)
        return [(run[0][0], run[-1][1], run) for run in runs]

    edits = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.Module)):
            edits.extend(reverse_runs(node.body))
    for start, end, run in sorted(edits, reverse=True):
        blocks = ["".join(lines[a:b]).rstrip("\n") + "\n" for a, b in run]
        shuffled = blocks[:]
        while shuffled == blocks:
            random.Random(seed + start).shuffle(shuffled)
            seed += 1
        lines[start:end] = ["\n".join(shuffled)]
    return "".join(lines)


def rewrite_comments(source: str, given: str, seed: int) -> str:
    """Every comment says something else, and each function body gains one."""
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            token = token._replace(string="# my own note: " + " ".join(reversed(token.string.lstrip("# ").split())))
        tokens.append(token)
    rewritten = tokenize.untokenize(tokens)
    out = []
    for line in rewritten.splitlines(keepends=True):
        out.append(line)
        stripped = line.lstrip()
        if stripped.startswith("def ") and stripped.rstrip().endswith(":"):
            indent = line[: len(line) - len(stripped)] + "    "
            out.append(f"{indent}# written late at night\n")
    return "".join(out)


DISGUISES = {"renamed": rename_variables, "reordered": reorder_functions, "recommented": rewrite_comments}


def disguise(source: str, given: str, names: list[str], seed: int) -> str:
    """``source`` (a module built on the starter's ``given`` one) under the named disguises."""
    for name in names:
        source = DISGUISES[name](source, given, seed)
    compile(source, "<disguised>", "exec")
    return source
