"""Where the kit's parts are: its root, the six student modules, and the pristine starter stubs.

Every other module asks here; none spells the module list or these paths again. The harness, which
runs inside the sandbox with only the standard library and NumPy, receives the module list in its
plan instead of importing this file.
"""

from __future__ import annotations

from pathlib import Path

GRADER_ROOT = Path(__file__).resolve().parent  # autograder/
KIT_ROOT = GRADER_ROOT.parent  # the folder holding autograder/ (the kit, or a bundle's root)

# The six student modules in dependency order: each imports only modules before it, so the
# harness imports them in this order and a module that fails to import costs no module after it.
MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")
# Their file names as a person lists them (alphabetically), in messages and notes.
MODULE_FILES = tuple(sorted(f"{module}.py" for module in MODULES))


def stubs_dir() -> Path:
    """Pristine starter modules: autograder/stubs/ in a bundle, else the kit's starter/."""
    bundled = GRADER_ROOT / "stubs"
    return bundled if bundled.is_dir() else KIT_ROOT / "starter"
