"""Intake: the six module files of a submission (files.py) and what their source says (static.py)."""

from .files import Submission, expand, read_submission, submission_id, unique_ids

__all__ = ["Submission", "expand", "read_submission", "submission_id", "unique_ids"]
