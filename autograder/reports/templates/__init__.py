"""The HTML pages' templates (Jinja2, every value escaped unless a template says otherwise)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def environment():
    import jinja2  # only where a page is written: the grading bundles do without it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def render_template(template: str, **values) -> str:
    return environment().get_template(template).render(**values)
