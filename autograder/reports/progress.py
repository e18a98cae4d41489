"""The batch grader's progress, on standard error.

On a terminal: a tqdm bar (count, rate, time left, the last submission graded). Elsewhere (a log
file, CI, a pipe): one line per submission with its score, which says more in a log than a bar.
tqdm is optional: the Gradescope and PrairieLearn bundles install only numpy and pytest, and
without tqdm a terminal gets the plain lines too.
"""

from __future__ import annotations

import sys


class BatchProgress:
    def __init__(self, total: int, stream=None):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.bar = None
        if self.stream.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, unit="submission", file=self.stream, dynamic_ncols=True, leave=True)

    def update(self, result) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.submission_id}: {result.score:g}", refresh=False)
            self.bar.update(1)
            if self.done == self.total:
                self.bar.close()
            return
        self.stream.write(f"[{self.done}/{self.total}] {result.submission_id}: {result.score:g} / {result.max_score:g} ({result.status})\n")
        self.stream.flush()
