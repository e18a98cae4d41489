"""Regenerate the grader's reference outputs from solution/ (autograder/reference/).

Usage: python -m scripts.make_reference [--check]

Builds every case's inputs (autograder/cases.py, fixed seeds), runs the probes on solution/ in the
same sandbox that grades students, and stores inputs and outputs per module and variant, with a
SHA-256 manifest. Refuses to write anything if solution/ fails any probe.

A committed file is stale only when its values moved beyond ``tolerances.REGENERATION`` (or its
members, dtypes, shapes, case descriptions or integer values changed, or it does not match the
manifest): another CPU computes the same solution/ a few bits differently, so comparing bytes
would call every machine's references stale. Files that are not stale keep their committed bytes,
so `make all` on an unchanged tree changes nothing. ``--check`` writes nothing and exits 1 if the
committed files are stale.

The sandboxed child that runs solution/ gets NumPy's and OpenBLAS's CPU-dispatch variables
(``CPU_VARIABLES``) from this process's environment, so a test can regenerate here as "another
CPU" would (tests/test_reference_portability.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.cases import VARIANT_SIZES, build_cases
from autograder.checks import CHECKS
from autograder.kit import MODULES
from autograder.reference import ReferenceCase, reference_files, stale_references, write_references
from autograder.sandbox import Sandbox
from autograder.sandbox.isolation import SANDBOX_ENV

ROOT = Path(__file__).resolve().parent.parent
CPU_VARIABLES = ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")


def solution_outputs() -> dict[str, bytes]:
    """Every reference file's bytes, computed now from solution/."""
    modules = {f"{m}.py": (ROOT / "solution" / f"{m}.py").read_bytes() for m in MODULES}
    SANDBOX_ENV.update({name: os.environ[name] for name in CPU_VARIABLES if name in os.environ})
    sandbox = Sandbox("process", untrusted=False)  # solution/ is trusted code
    files = {}
    for variant in VARIANT_SIZES:
        cases = build_cases(variant)
        unmatched = {case.test_id for case in cases} ^ set(CHECKS)
        if unmatched:
            raise SystemExit(f"cases.py and the checks name different tests ({variant}): {', '.join(sorted(unmatched))}")
        plan = [{"id": case.test_id, "kind": CHECKS[case.test_id].probe, "args": case.args, "phase": 0} for case in cases]
        inputs = {f"{case.test_id}/in/{name}": value for case in cases for name, value in case.inputs.items()}
        run = sandbox.run(modules, plan, [inputs])
        failed = {case_id: outcome for case_id, outcome in run.outcomes.items() if outcome.status != "ok" or outcome.notes}
        if failed or any(outcome.status != "ok" for outcome in run.imports.values()):
            details = "\n".join(f"  {case_id}: {o.status} {o.message} {o.notes}" for case_id, o in failed.items())
            raise SystemExit(f"solution/ fails some probes ({variant}); nothing written:\n{details}\n{run.imports}")
        by_module: dict[str, list[ReferenceCase]] = {}
        for case in cases:
            module = case.test_id.split(".", 1)[0]
            outcome = run.outcomes[case.test_id]
            kind = CHECKS[case.test_id].probe
            by_module.setdefault(module, []).append(ReferenceCase(case.test_id, kind, case.args, case.inputs, outcome.outputs))
        files.update(reference_files(by_module, variant))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    check = parser.parse_args().check
    files = solution_outputs()
    if check:
        stale = stale_references(files)
        for path, problems in stale.items():
            print(f"stale: autograder/reference/{path}: " + "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))
        print("reference outputs are up to date" if not stale else "run `make reference`")
        return 1 if stale else 0
    changed = write_references(files)
    for path in changed:
        print(f"wrote autograder/reference/{path}")
    print(f"{len(files)} reference files, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
