"""Text from a submission made safe to print and to write into reports.

File names in an archive, exception messages and printed output all come from the submission. A
terminal would obey the escape sequences they may hold (clear the screen, move the cursor, retitle
the window, draw a fake total), so every such string goes through here before anyone sees it.
"""

from __future__ import annotations

import re

ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[PX^_][^\x1b]*(\x1b\\)?|[@-Z\\-_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Multi-line text (messages, printed output) without escape sequences or control characters
    (newlines and tabs stay; others show as U+FFFD)."""
    text = ESCAPE_SEQUENCE.sub("\ufffd", text.replace("\r\n", "\n"))
    return CONTROL.sub("\ufffd", text)


def name(text: str) -> str:
    """A file name on one line: control characters and newlines shown as escapes (\\n, \\x1b)."""
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)


def quoted(text: str) -> str:
    """Text the sandbox sent (an exception's message, what the code printed), each line behind
    "| ", so that no line of it can pass for one of the grader's own (a total, a likely cause)."""
    return "\n".join(f"| {line}" for line in (text.splitlines() or [""]))


def one_line(text: str) -> str:
    """Text the sandbox sent that belongs on one line (a function's label, a short note)."""
    return " ".join(text.split())
