"""The autograder: intake -> sandbox -> checks -> report.

  intake.py     find the six module files in a submission (folder or .zip), safely
  static.py     what the source says without running it: loops, imports (in a limited child)
  sandbox.py    run submission code in a child process and get plain data back (child.py: one
                launch and its limits; channel.py: the frames; processes.py: what it left behind)
  isolation/    one module per sandbox mode: bubblewrap, landlock, process
  harness/      the code that runs inside the sandbox: confines itself, imports the submission,
                runs the probes with stand-ins for everything a test is not about
  checks/       one pytest test per rubric test, comparing returned arrays with the references
  plugin.py     the pytest plugin feeding the checks and collecting their outcomes
  report.py     score table, results.json (Gradescope), feedback.md, gradebook.csv
  grading.py    the pipeline for one submission and for many in parallel
  rubric.toml   points per test; tolerances.py: every numerical tolerance, with its reason
  reference/    the solution's outputs on every case, with a SHA-256 manifest (made by cases.py)
  text.py       text from a submission made safe to print
  class_report.py, similarity.py, prairielearn.py, notebook_check.py: the platform features
"""


def check(only: str | None = None, impl=None, **options):
    """Run the public tests of your code (or only those ``only`` names) in the sandbox and show
    the table: ``from autograder import check; check("activations")`` in a notebook cell.
    See notebook_check.py; nothing is imported until it is called."""
    from .notebook_check import check as run_check

    return run_check(only, impl, **options)
