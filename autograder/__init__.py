"""The autograder: intake -> sandbox -> checks -> reports (docs/architecture.md draws the plan).

  intake/       find the six module files in a submission (folder or .zip) safely (files.py), and
                what their source says without running it (static.py)
  sandbox/      run submission code in a child process and get plain data back: the relaunch loop,
                the trial launch that picks a mode, one launch and its limits (limits.py), isolation/
                (one module per mode) and harness/ (the code that runs inside the child)
  checks/       one pytest check per rubric test, each declared with @graded; the plugin feeding them
  reports/      score table, results.json, feedback.md, gradebook.csv, the class report, PrairieLearn
                results, the similarity page
  grading.py    the pipeline for one submission and for many in parallel
  outcome.py    what happened to a test, as data; words.py: how it is said
  kit.py        where the kit's parts are; rubric.toml: points per test; tolerances.py: every tolerance
  cases.py, reference.py, reference/   the cases' inputs and the solution's outputs on them
"""


def check(only: str | None = None, impl=None, **options):
    """Run the public tests of your code (or only those ``only`` names) in the sandbox and show
    the table: ``from autograder import check; check("activations")`` in a notebook cell.
    See notebook_check.py; nothing is imported until it is called."""
    from .notebook_check import check as run_check

    return run_check(only, impl, **options)
