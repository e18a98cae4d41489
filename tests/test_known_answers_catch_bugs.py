"""The known-answer checks catch bugs in solution/ that its self-made reference outputs cannot.

Two one-line bugs put into solution/ (Adam's v_hat corrected with beta1; SGD's weight decay with
the wrong sign), followed by regenerating every artifact, passed all the kit's tests: the expected
outputs were made by the buggy code. Here each bug of tests/reference_bugs.py is put into a
temporary copy of solution/, imported under another name, and every check of
test_known_answers.py (hand-derived) and test_cross_checks.py (scikit-learn, SciPy) runs on it
in-process. Each bug must fail at least one check of each file, and an unchanged copy none.

To see which checks catch which bug: ``.venv/bin/python tests/test_known_answers_catch_bugs.py``.
"""

from __future__ import annotations

import ast
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]  # also as a script

import reference_bugs  # noqa: E402
from reference_bugs import BUGS, Bug  # noqa: E402
from test_cross_checks import CROSS_CHECKS  # noqa: E402
from test_known_answers import KNOWN_ANSWERS  # noqa: E402

CHECKS = {**{f"hand:{name}": check for name, check in KNOWN_ANSWERS.items()},
          **{f"independent:{name}": check for name, check in CROSS_CHECKS.items()}}


def failing_checks(package) -> dict[str, str]:
    """The checks ``package`` fails, each with the first line of its error."""
    failures = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, check in CHECKS.items():
            try:
                check(package)
            except Exception as error:  # noqa: BLE001 - a wrong value, or a crash on the check's input
                failures[name] = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return failures


def checks_failed_with(bug: Bug | None, folder: Path) -> dict[str, str]:
    package_name = f"nn_with_{bug.name}" if bug is not None else "nn_unchanged_copy"
    package = reference_bugs.load_package(reference_bugs.copy_with_bug(bug, folder, package_name))
    try:
        return failing_checks(package)
    finally:
        reference_bugs.forget_package(package)


def test_an_unchanged_copy_of_solution_passes_every_check(tmp_path) -> None:
    # The copying and importing alone must not fail anything, or the test below would prove nothing.
    assert checks_failed_with(None, tmp_path) == {}


@pytest.mark.parametrize("bug", BUGS, ids=[bug.name for bug in BUGS])
def test_bug_in_solution_fails_a_hand_derived_and_an_independent_check(bug: Bug, tmp_path) -> None:
    # Both sets on their own: either one would catch every bug here.
    failures = checks_failed_with(bug, tmp_path)
    assert any(name.startswith("hand:") for name in failures), (
        f"{bug.name} ({bug.why}) passed every hand-derived check of test_known_answers.py"
    )
    assert any(name.startswith("independent:") for name in failures), (
        f"{bug.name} ({bug.why}) passed every cross-check of test_cross_checks.py"
    )


def test_every_bug_changes_the_function_it_replaces() -> None:
    # A bug identical to solution/'s own function would prove nothing.
    from fairness.build import definition

    for bug in BUGS:
        source = (reference_bugs.SOLUTION / f"{bug.module}.py").read_text()
        node = definition(ast.parse(source), bug.function, bug.name)
        assert not reference_bugs.same_code(ast.get_source_segment(source, node), bug.code), bug.name


def test_a_bug_for_a_function_solution_lacks_fails_loudly() -> None:
    from fairness.build import BuildError

    missing = Bug("missing", "optimizer", "Adam.stepp", "no such function", "def stepp(self, layers):\n    pass\n")
    with pytest.raises(BuildError, match="Adam.stepp"):
        reference_bugs.mutated_source(missing, (reference_bugs.SOLUTION / "optimizer.py").read_text())


def test_a_harmless_rewrite_of_solution_changes_no_bug(tmp_path) -> None:
    """solution/'s function reformatted and re-commented: the bug still replaces it whole."""
    bug = reference_bugs.BUGS_BY_NAME["sgd_weight_decay_sign_flipped"]
    source = (reference_bugs.SOLUTION / "optimizer.py").read_text()
    sgd = source.index("class SGD")
    line = source.index("g = layer.gradients[key] + self.weight_decay * p", sgd)
    assert line < source.index("\nclass ", sgd + 1), "the rewrite must fall inside SGD"
    rewritten = source[:line] + "g = (layer.gradients[key]\n                     + self.weight_decay * p)  # decay" + source[line + 48:]
    assert rewritten != source and len("g = layer.gradients[key] + self.weight_decay * p") == 48
    assert reference_bugs.mutated_source(bug, rewritten) == reference_bugs.mutated_source(bug, source)


def main() -> None:
    """Print, for every bug, the checks it fails."""
    with tempfile.TemporaryDirectory() as folder:
        for bug in BUGS:
            failures = checks_failed_with(bug, Path(folder))
            print(f"{bug.name}: {len(failures)} of {len(CHECKS)} checks fail")
            for name, error in failures.items():
                print(f"    {name}: {error[:110]}")


if __name__ == "__main__":
    main()
