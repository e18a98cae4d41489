"""A short message instead of a traceback when the notebook reaches an unfinished stub.

The first cell of every notebook registers ``explain_not_implemented`` with IPython, so running a
cell that calls, say, ``ReLU.forward`` before it is written prints

    Not implemented yet: ReLU.forward — fill it in in starter/activations.py, then re-run this cell.

and nothing else. Any other exception keeps its usual traceback.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType

KIT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "Not implemented yet:"


def where_not_implemented(tb: TracebackType | None) -> tuple[str, str | None]:
    """The qualified name of the function that raised, and its file relative to the kit root.

    The file is None when the raise is not in one of the kit's ``.py`` files (for example in a
    notebook cell); the name is "<module>" when the raise is at the top level of a cell.
    """
    frames = [frame for frame, _ in traceback.walk_tb(tb)]
    if not frames:
        return "<module>", None
    code = frames[-1].f_code
    try:
        relative = Path(code.co_filename).resolve().relative_to(KIT_ROOT)
    except ValueError:
        relative = None
    if relative is not None and relative.suffix != ".py":
        relative = None
    return code.co_qualname, (relative.as_posix() if relative is not None else None)


def not_implemented_message(tb: TracebackType | None) -> str:
    """One line telling the student what is missing and where to write it."""
    name, path = where_not_implemented(tb)
    if path is not None:
        return f"{PREFIX} {name} — fill it in in {path}, then re-run this cell."
    if name != "<module>":
        return (
            f"{PREFIX} {name} — this notebook leaves its body to you: replace the "
            "`raise NotImplementedError` line in its cell, run that cell, then re-run this one."
        )
    return (
        f"{PREFIX} this cell is yours to write — replace the `raise NotImplementedError` line "
        "with your code, then re-run the cell."
    )


def explain_not_implemented(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """IPython custom exception handler: show the one-line message as the whole traceback.

    Register it with ``get_ipython().set_custom_exc((NotImplementedError,), explain_not_implemented)``.
    IPython shows nothing for a custom handler by itself, so the handler hands the message to
    ``showtraceback`` through the exception's ``_render_traceback_`` hook (IPython's protocol
    for exceptions that format themselves). The cell still counts as failed, so "Run all" stops
    here, as it should.
    """
    message = [not_implemented_message(tb)]
    value._render_traceback_ = lambda: message
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    return message
