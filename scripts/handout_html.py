"""handout.md as one self-contained HTML page (scripts/make_handout.py writes handout.html with it):
markdown by markdown-it-py, TeX math turned into MathML by latex2mathml at build time (browsers
draw MathML themselves: no script, no network), every image embedded as base64.

Math needs a font with an OpenType MATH table to be drawn well: with a browser's default text
font, display sums come out at text size and the hat of m-hat is a speck. ``MATH_FONTS`` names the
math fonts of the common systems (Cambria Math on Windows, STIX Two Math on macOS, Latin Modern Math
and DejaVu Math TeX Gyre where TeX or DejaVu's extra fonts are installed on Linux), so the page is
typeset with whichever the reader has, offline; tests/test_handout.py measures the result in a
real browser.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

MATH_FONTS = '"Latin Modern Math", "STIX Two Math", "Cambria Math", "DejaVu Math TeX Gyre", "Noto Sans Math", math'

STYLE = """
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; max-width: 54rem; margin: 2rem auto; padding: 0 1.5rem; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.6em 0 0.6em; }
h1 { font-size: 2em; } h2 { font-size: 1.5em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
code { background: #f3f4f6; padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: 0.8em 1em; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1em 0; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 0.35em 0.7em; vertical-align: top; }
th { background: #f6f8fa; }
td math, th math { white-space: nowrap; }
img { max-width: 100%; height: auto; }
math { font-size: 1.08em; font-family: """ + MATH_FONTS + """; }
math[display="block"] { margin: 0.8em 0; overflow-x: auto; overflow-y: hidden; }
blockquote { margin: 1em 0; padding: 0 1em; color: #57606a; border-left: 0.25em solid #d0d7de; }
"""


def tex_to_mathml(tex: str, display: bool) -> str:
    """One formula as MathML (latex2mathml), for the browser to draw.

    latex2mathml writes the accent of \\hat as an ASCII caret, which browsers draw as a raised
    operator; the modifier letter circumflex (U+02C6) is drawn as a hat.
    """
    from latex2mathml.converter import convert

    mathml = convert(tex.strip(), display="block" if display else "inline")
    return mathml.replace('<mo>&#x0005E;</mo></mover>', '<mo>&#x002C6;</mo></mover>')


def embed_images(body: str, base_dir: Path) -> str:
    """Replace every relative ``<img src>`` by the image's bytes, base64-encoded."""

    def embedded(match: re.Match) -> str:
        target = html.unescape(match.group(1))
        if "://" in target or target.startswith("data:"):
            return match.group(0)
        data = base64.b64encode((base_dir / target).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    return re.sub(r'src="([^"]+)"', embedded, body)


def render_html(markdown: str, base_dir: Path) -> str:
    """The handout as one self-contained HTML page: images embedded, math as MathML.

    ``base_dir`` is where relative image links are resolved (the folder of handout.md).
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark", {"html": True}).enable("table").use(
        dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True,
        renderer=lambda tex, options: tex_to_mathml(tex, options["display_mode"]),
    )
    body = embed_images(parser.render(markdown), base_dir)
    title = next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), "Handout")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def write_html(handout: Path, html_path: Path) -> Path:
    """Render ``handout`` (a markdown file) to ``html_path``."""
    html_path.write_text(render_html(handout.read_text(), handout.parent), encoding="utf-8")
    return html_path
