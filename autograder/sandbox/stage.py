"""The stage: the folder a sandbox's child works in, made fresh for every submission.

It holds ``submission/`` and ``stubs/`` (the submission's modules and the starter's, each as a
package), a copy of ``harness/`` (a copy, so the harness cannot change under a batch that is
running), ``plan.json`` (what the harness must do, written before each launch), the inputs of each
phase once released (sandbox/child.py), ``empty/`` (what bubblewrap covers hidden paths with) and
``scratch/``, the only place the submission may write.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..kit import MODULES, stubs_dir
from .isolation import Mode

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
PLANNED = ("id", "kind", "args", "phase")  # what the harness is told of each case


def make_stage(modules: dict[str, bytes], mode: Mode, identity: dict | None) -> Path:
    """A new stage for ``modules`` (file name -> source bytes); the caller removes it."""
    stage = Path(tempfile.mkdtemp(prefix="nn-sandbox-"))
    try:
        stubs = stubs_dir()
        packages = {"submission": modules, "stubs": {f"{m}.py": (stubs / f"{m}.py").read_bytes() for m in MODULES}}
        for package, sources in packages.items():
            (stage / package).mkdir()
            (stage / package / "__init__.py").write_text("")
            for name, source in sources.items():
                (stage / package / name).write_bytes(source)
        (stage / "harness").mkdir()
        for path in HARNESS_DIR.glob("*.py"):
            shutil.copyfile(path, stage / "harness" / path.name)
        (stage / "empty").mkdir()
        (stage / "scratch").mkdir(mode=0o700)
        mode.prepare_stage(stage)
        if identity is not None:
            # Readable by the sandbox's group, writable only by the grader; its scratch is its own.
            os.chown(stage, 0, identity["gid"])
            os.chmod(stage, 0o750)
            os.chown(stage / "scratch", identity["uid"], identity["gid"])
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return stage


def write_plan(stage: Path, mode: Mode, cases: list[dict], stubbed: set[str], hung: set[str], identity: dict | None) -> None:
    """plan.json for the next launch: the mode's confinement, the modules to import (but those
    stubbed after killing an import), the cases left, and the functions not to call again."""
    plan = mode.plan(stage)
    keep_read_search = plan.pop("keep_read_search", False)
    plan.update(
        modules=list(MODULES),
        cases=[{key: case[key] for key in PLANNED} for case in cases],
        stubbed=sorted(stubbed),
        hung=sorted(hung),
        drop_to=dict(identity, keep_read_search=keep_read_search) if identity else None,
    )
    (stage / "plan.json").write_text(json.dumps(plan))
