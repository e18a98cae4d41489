"""Write the sample submissions in examples/submissions/ from solution/ and starter/.

Usage: python -m scripts.make_examples [--check]

`make grade` with no arguments grades these: the first thing a newcomer runs. Each sample is built
from the current solution/ (and starter/), so they never drift from the code they imitate:

  alice_correct.zip        all six modules right, zipped inside a folder with macOS clutter
  bob_partial/             a bias gradient averaged instead of summed, SGD ignoring momentum,
                           model.py not attempted (starter stub), the rest right
  carol_crashes_on_import/ layers.py fails at import (a misspelt name at module level), so its
                           tests run on the starter stub; an unused `import torch` in loss.py
                           costs nothing
  dave_syntax_error/       a syntax error in model.py

``--check`` writes nothing and exits 1 if a sample is stale.
"""

from __future__ import annotations

import argparse
import ast
import io
import textwrap
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "submissions"
MODULES = ("activations", "layers", "loss", "model", "optimizer", "util")
ZIP_TIME = (2024, 11, 15, 23, 59, 0)


def solution(module: str) -> str:
    return (ROOT / "solution" / f"{module}.py").read_text()


def definition(tree: ast.Module, qualname: str, module: str) -> ast.FunctionDef:
    """The one definition called ``qualname`` ("Class.method" or "function") in ``module``'s tree."""
    scope, node = tree.body, None
    for part in qualname.split("."):
        found = [item for item in scope if isinstance(item, (ast.ClassDef, ast.FunctionDef)) and item.name == part]
        if len(found) != 1:
            raise SystemExit(f"make_examples: solution/{module}.py has no single {qualname!r}; SPEC's names changed?")
        node = found[0]
        scope = node.body
    return node


def with_function(module: str, qualname: str, code: str, source: str | None = None) -> str:
    """solution/'s ``module`` with the whole definition of ``qualname`` replaced by ``code`` (found
    by name, so rewriting solution/'s code or comments changes no sample's mistake)."""
    source = solution(module) if source is None else source
    node = definition(ast.parse(source), qualname, module)
    lines = source.splitlines(keepends=True)
    indent = " " * node.col_offset
    body = [indent + line if line.strip() else line for line in textwrap.dedent(code).splitlines(keepends=True)]
    return "".join(lines[: node.lineno - 1] + body + lines[node.end_lineno :])


def after_imports(module: str, code: str) -> str:
    """solution/'s ``module`` with ``code`` right after its docstring and leading imports."""
    source = solution(module)
    tree = ast.parse(source)
    last = 0
    for index, statement in enumerate(tree.body):
        docstring = index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        if not (docstring or isinstance(statement, (ast.Import, ast.ImportFrom))):
            break
        last = statement.end_lineno
    lines = source.splitlines(keepends=True)
    return "".join(lines[:last] + ["\n", code] + lines[last:])


# Bob's two mistakes, each a whole method as he wrote it.
BOB_BACKWARD = """\
def backward(self, dLdY):
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = X.T @ dZ
    self.gradients["b"] = dZ.mean(axis=0, keepdims=True)
    return dZ @ self.parameters["W"].T
"""
BOB_STEP = """\
def step(self, layers):
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v += g
            p -= self.lr * v
"""
# Dave's predict lost the colon of its def line: a syntax error in model.py.
DAVE_PREDICT = """\
def predict(self, X)
    return np.argmax(self.forward(X), axis=1)
"""


def samples() -> dict[str, bytes]:
    """Every file of every sample, keyed by its path under examples/submissions/."""
    files: dict[str, bytes] = {}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for module in MODULES:
            info = zipfile.ZipInfo(f"PA3/{module}.py", date_time=ZIP_TIME)
            bundle.writestr(info, solution(module))
        bundle.writestr(zipfile.ZipInfo("__MACOSX/PA3/._layers.py", date_time=ZIP_TIME), b"\x00\x05\x16\x07")
        bundle.writestr(zipfile.ZipInfo("PA3/.DS_Store", date_time=ZIP_TIME), b"\x00\x00\x00\x01Bud1")
    files["alice_correct.zip"] = archive.getvalue()

    bob = {module: solution(module) for module in MODULES}
    bob["layers"] = with_function("layers", "FullyConnectedLayer.backward", BOB_BACKWARD)
    bob["optimizer"] = with_function("optimizer", "SGD.step", BOB_STEP)
    bob["model"] = (ROOT / "starter" / "model.py").read_text()
    files.update({f"bob_partial/{module}.py": source.encode() for module, source in bob.items()})

    for module in MODULES:
        source = solution(module)
        if module == "layers":
            source = after_imports("layers", "DEFAULT_INIT = initialise_weights(\"xavier_uniform\")  # misspelt: NameError at import\n")
        if module == "loss":
            source = after_imports("loss", "import torch  # not available when grading; unused, so harmless\n")
        files[f"carol_crashes_on_import/{module}.py"] = source.encode()

    for module in MODULES:
        source = solution(module)
        if module == "model":
            source = with_function("model", "NeuralNetworkModel.predict", DAVE_PREDICT)
        files[f"dave_syntax_error/{module}.py"] = source.encode()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale samples, write nothing")
    check = parser.parse_args().check
    wanted = samples()
    present = {str(path.relative_to(OUT)) for path in OUT.rglob("*") if path.is_file()} if OUT.exists() else set()
    stale = sorted(path for path, data in wanted.items() if not (OUT / path).is_file() or (OUT / path).read_bytes() != data)
    extra = sorted(present - set(wanted))
    if check:
        for path in stale + extra:
            print(f"stale: examples/submissions/{path}")
        return 1 if stale or extra else 0
    for path in stale:
        (OUT / path).parent.mkdir(parents=True, exist_ok=True)
        (OUT / path).write_bytes(wanted[path])
        print(f"wrote examples/submissions/{path}")
    for path in extra:
        (OUT / path).unlink()
        print(f"removed examples/submissions/{path}")
    print(f"{len(wanted)} sample files, {len(stale) + len(extra)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
