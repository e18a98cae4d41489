"""The student check from a notebook, in the spirit of Otter's ``grader.check("q1")``:

    from autograder import check; check("activations")

runs the public tests of one module (or any tests ``only`` names, as in `make check ONLY=...`) on
the modules saved on disk, in the same sandbox as `make check`, and returns a result that Jupyter
shows as a table (and a plain-text table anywhere else). Your code is read from its files, so save
them first; what the notebook's kernel has imported plays no part.

Which folder: ``impl`` if given (a path, or a folder name under the kit such as "solution"),
else the ``NN_PACKAGE`` environment variable, else ``starter``, the same rule as the notebooks'
first cell.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from .kit import KIT_ROOT
from .outcome import Kind

RESULT_STYLE = {Kind.PASSED: "#1a7f37", Kind.NOT_IMPLEMENTED: "#6e7781"}


def implementation_folder(impl=None) -> Path:
    chosen = Path(impl) if impl is not None else Path(os.environ.get("NN_PACKAGE", "starter"))
    return chosen if chosen.is_absolute() else KIT_ROOT / chosen


class CheckResult:
    """What one check found; Jupyter shows ``_repr_html_``, a terminal ``str()``."""

    def __init__(self, result, only: str | None, folder: Path, hidden_points: float):
        self.result, self.only, self.folder, self.hidden_points = result, only, folder, hidden_points

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def max_score(self) -> float:
        return self.result.max_score

    @property
    def passed(self) -> bool:
        return bool(self.result.tests) and all(test.passed for test in self.result.tests)

    def summary(self) -> str:
        which = f"tests matching {self.only!r}" if self.only else "public tests"
        return (
            f"{which}: {self.score:g} / {self.max_score:g} points on {self.folder.name}/. Hidden tests with other "
            f"inputs add {self.hidden_points:g} more points when your submission is graded."
        )

    def __str__(self) -> str:
        from .reports.report import failure_details, score_table

        parts = [score_table(self.result), "", self.summary()]
        details = failure_details(self.result)
        if details:
            parts += ["", "What to fix:", details]
        parts += [f"Note: {note}" for note in self.result.notes]
        return "\n".join(parts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .reports.report import failure_details
        from .words import label

        escape = html.escape
        rows = []
        for test in self.result.tests:
            color = RESULT_STYLE.get(test.kind, "#cf222e")
            rows.append(
                f"<tr><td><code>{escape(test.test_id)}</code></td><td>{escape(test.title)}</td>"
                f"<td style='text-align:right'>{test.score:g} / {test.max_score:g}</td>"
                f"<td style='color:{color};font-weight:600'>{escape(label(test.kind))}</td></tr>"
            )
        verdict = "all passed" if self.passed else "some failed"
        parts = [
            f"<div><p><b>{escape(self.summary())}</b> ({verdict})</p>",
            "<table><thead><tr><th>test</th><th>what it checks</th><th>points</th><th>result</th></tr></thead>",
            f"<tbody>{''.join(rows)}</tbody></table>",
        ]
        details = failure_details(self.result)
        if details:
            parts.append(f"<details open><summary>What to fix</summary><pre>{escape(details)}</pre></details>")
        for note in self.result.notes:
            parts.append(f"<p>Note: {escape(note)}</p>")
        if self.result.printed.strip():
            parts.append(f"<details><summary>Your code printed</summary><pre>{escape(self.result.printed[:2000])}</pre></details>")
        parts.append(f"<p style='color:#6e7781;font-size:0.85em'>sandbox: {escape(self.result.isolation)}</p></div>")
        return "\n".join(parts)


def check(only: str | None = None, impl=None, isolation: str = "auto", timeout: float | None = None) -> CheckResult:
    """Run the public tests that ``only`` names (all of them when None) on the modules in ``impl``."""
    from .grading import grade_submission
    from .sandbox import Limits
    from .selection import hidden_points, matching_tests

    folder = implementation_folder(impl)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder with your six modules; pass impl='the/folder'")
    selected = matching_tests(only) if only is not None else None
    limits = Limits() if timeout is None else Limits(total_seconds=timeout)
    # a student checking their own code: where no safe sandbox works (macOS), the process mode, as `make check`
    result = grade_submission(folder, ("public",), isolation, limits, untrusted=False, only=selected)
    return CheckResult(result, only, folder, hidden_points(selected))
