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
import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "submissions"
MODULES = ("activations", "layers", "loss", "model", "optimizer", "util")
ZIP_TIME = (2024, 11, 15, 23, 59, 0)


def solution(module: str) -> str:
    return (ROOT / "solution" / f"{module}.py").read_text()


def edited(module: str, old: str, new: str) -> str:
    source = solution(module)
    if old not in source:
        raise SystemExit(f"make_examples: solution/{module}.py no longer contains {old!r}; update this script")
    return source.replace(old, new, 1)


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
    bob["layers"] = edited("layers", "dZ.sum(axis=0, keepdims=True)", "dZ.mean(axis=0, keepdims=True)")
    bob["optimizer"] = edited("optimizer", "                v *= self.momentum\n", "")
    bob["model"] = (ROOT / "starter" / "model.py").read_text()
    files.update({f"bob_partial/{module}.py": source.encode() for module, source in bob.items()})

    for module in MODULES:
        source = solution(module)
        if module == "layers":
            source = edited("layers", "class Layer(ABC):", "DEFAULT_INIT = initialise_weights(\"xavier_uniform\")  # misspelt: NameError at import\n\n\nclass Layer(ABC):")
        if module == "loss":
            source = edited("loss", "import numpy as np\n", "import numpy as np\nimport torch  # not available when grading; unused, so harmless\n")
        files[f"carol_crashes_on_import/{module}.py"] = source.encode()

    for module in MODULES:
        source = solution(module)
        if module == "model":
            source = edited("model", "    def predict(self, X: np.ndarray) -> np.ndarray:", "    def predict(self, X: np.ndarray) -> np.ndarray\n")
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
