"""The grader's checks: one pytest test per rubric test, run on a submission's sandboxed outputs.

`test_<name>` in `test_<module>.py` checks rubric test `<module>.<name>`. The `case` fixture (from
autograder/plugin.py) gives it the inputs, the reference outputs and what the submission returned;
it runs once per variant (public, hidden) the rubric gives points for.
"""
