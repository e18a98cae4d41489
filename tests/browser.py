"""A real headless browser for the tests that check what a person sees: a page's screenshot, and
measurements a script takes in the laid-out page (sizes of tables, typeset math, images).

Chromium (Debian's package ``chromium``; `.ci/run` installs it) runs with no network and a fresh
profile. Where it is missing, ``require_browser()`` fails the test when NN_REQUIRE_BROWSER=1 (as
in CI) and skips it, with the reason, elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1",
)
RESULT = re.compile(r'<pre id="nn-measure">(.*?)</pre>', re.S)


def browser() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_browser() -> str:
    path = browser()
    if path is None:
        if os.environ.get("NN_REQUIRE_BROWSER") == "1":
            pytest.fail("no headless browser (apt-get install chromium), and NN_REQUIRE_BROWSER=1")
        pytest.skip("no headless browser here (apt-get install chromium)")
    return path


def _run(arguments: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="nn-browser-") as profile:
        command = [require_browser(), *FLAGS, f"--user-data-dir={profile}", *arguments]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def screenshot(page: Path, png: Path, width: int = 1200, height: int = 1600, timeout: float = 120) -> Path:
    """Render ``page`` (an HTML file) and save a PNG of its first ``width`` x ``height`` pixels."""
    completed = _run([f"--window-size={width},{height}", f"--screenshot={png}", Path(page).resolve().as_uri()], timeout)
    if not png.is_file():
        raise AssertionError(f"the browser made no screenshot:\n{completed.stderr[-2000:]}")
    return png


def measure(page: Path, script: str, timeout: float = 120, width: int = 1200) -> object:
    """Run ``script`` (JavaScript whose last expression is a JSON-able value) in the laid-out page
    and return that value. The page is copied with the script appended, so the original is untouched."""
    html = Path(page).read_text(encoding="utf-8")
    probe = (
        "<script>window.addEventListener('load', () => {"
        "let value; try { value = (() => {" + script + "})(); } catch (error) { value = {error: String(error)}; }"
        "const out = document.createElement('pre'); out.id = 'nn-measure';"
        "out.textContent = JSON.stringify(value); document.body.appendChild(out); });</script>"
    )
    with tempfile.TemporaryDirectory(prefix="nn-measure-") as folder:
        copy = Path(folder) / "page.html"
        copy.write_text(html.replace("</body>", probe + "</body>") if "</body>" in html else html + probe, encoding="utf-8")
        completed = _run([f"--window-size={width},1600", "--virtual-time-budget=5000", "--dump-dom", copy.as_uri()], timeout)
    found = RESULT.search(completed.stdout)
    if not found:
        raise AssertionError(f"the page's measurement did not come back:\n{completed.stderr[-2000:]}")
    import html as html_module

    return json.loads(html_module.unescape(found.group(1)))
