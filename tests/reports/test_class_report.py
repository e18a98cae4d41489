"""The class report: a batch with submissions planted to hit each limit, fail in known ways or not
be gradable at all; the page `grade` writes lists each where it belongs, and a real browser shows
it with its figures."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from browser import measure, screenshot
from grader_support import HOSTILE, ROOT, grade, gradebook, planted_batch, solution_with

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    out = base / "grades"
    completed = grade([planted_batch(base / "submissions")], out, "--batch", "--jobs", "2", "--case-timeout", "1", "--timeout", "40")
    assert completed.returncode == 0, completed.stderr
    return out, completed


def report_text(out: Path) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def section(html_text: str, title: str) -> str:
    start = html_text.index(f"<h2>{title}</h2>")
    end = html_text.find("<h2>", start + 1)
    return html_text[start : end if end > 0 else None]


def rows(html_text: str) -> list[list[str]]:
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", html_text, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        if cells:
            found.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells])
    return found


def test_grade_writes_the_report_and_reports_the_ungradable_apart(graded):
    out, completed = graded
    assert (out / "report.html").is_file(), completed.stdout
    assert "class report: " in completed.stdout
    book = gradebook(out)
    graded_rows = [row for row in book.values() if row["status"] == "graded"]
    assert len(book) == 7 and len(graded_rows) == 6
    mean = sum(float(row["total"]) for row in graded_rows) / len(graded_rows)
    assert f"mean score {mean:.2f}" in completed.stdout  # the unreadable zip is not a zero in the mean
    assert "could not grade 1" in completed.stdout and "not_a_zip" in completed.stdout
    summary = section(report_text(out), "Summary")
    assert f"{mean:.1f} / 100" in summary
    ungradable = [row for row in rows(summary) if row and row[0] == "not_a_zip"]
    assert ungradable and "not a readable zip" in ungradable[0][1]


def test_each_limit_is_listed_against_the_submission_that_hit_it(graded):
    out, _ = graded
    limits = {(row[0], row[1]): row for row in rows(section(report_text(out), "Limits hit"))}
    assert ("hangs", "time") in limits and limits[("hangs", "time")][2].startswith("activations:")
    assert ("memory_hog", "memory") in limits and "layers" in limits[("memory_hog", "memory")][2]
    assert ("import_fails", "import failed") in limits
    assert {submission for submission, _ in limits} == {"hangs", "memory_hog", "import_fails"}


def test_failure_rates_and_likely_causes_match_the_planted_submissions(graded):
    out, _ = graded
    table = {row[0].split()[0]: row for row in rows(section(report_text(out), "Tests")) if row}
    # Six graded submissions; the starter fails every test, as not implemented.
    assert table["loss.mse_forward"][1:4] == ["17%", "17%", "17%"]  # only the starter
    assert table["util.one_hot"][1] == "33%"  # the starter and import_fails
    bias = table["layers.backward_bias"]
    assert bias[1] == "33%"  # starter and bias_mean (memory_hog's forward is not called by backward tests)
    assert "averages dZ over the batch" in bias[4] and "(1)" in bias[4]


def test_text_from_submissions_is_escaped(graded):
    out, _ = graded
    page = report_text(out)
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert measure(out / "report.html", "return document.title;") != "pwned"


def test_the_page_shows_its_figures_in_a_browser(graded, tmp_path):
    out, _ = graded
    # measure() loads a copy from elsewhere: a <base> keeps the figures' relative links working.
    page = tmp_path / "page.html"
    page.write_text(report_text(out).replace("<head>", f'<head><base href="{out.resolve().as_uri()}/">', 1), encoding="utf-8")
    images = measure(page, "return [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width]);")
    sources = {src for src, _, _ in images}
    assert sources == {f"report-figures/{name}.png" for name in ("scores", "times", "modules", "tests")}
    assert all(loaded and width > 300 for _, loaded, width in images), images
    shot = screenshot(out / "report.html", tmp_path / "report.png", height=2400)
    assert shot.stat().st_size > 50_000  # a page with figures, not a blank one


def test_report_rebuilds_from_the_files_alone(graded, tmp_path):
    out, _ = graded
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in out.rglob("*"):  # only what grading wrote, no report
        if path.is_file() and "report" not in path.name and "report-figures" not in path.parts:
            target = copy / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    completed = subprocess.run([sys.executable, "-m", "autograder", "report", str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert rows(section(report_text(copy), "Limits hit")) == rows(section(report_text(out), "Limits hit"))
    missing = subprocess.run([sys.executable, "-m", "autograder", "report", str(tmp_path / "nothing")], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 2 and "gradebook.csv" in missing.stdout


def test_one_submission_alone_gets_no_class_report(tmp_path):
    """Gradescope and PrairieLearn grade one submission per run: no report, no matplotlib needed."""
    out = tmp_path / "out"
    completed = grade([solution_with(tmp_path / "alone")], out, "--public-only")
    assert completed.returncode == 0, completed.stderr
    assert not (out / "report.html").exists() and "class report" not in completed.stdout
    with zipfile.ZipFile(tmp_path / "second.zip", "w") as archive:
        archive.writestr("util.py", (ROOT / "solution" / "util.py").read_text())
    completed = grade([tmp_path / "second.zip"], out, "--public-only")
    assert (out / "report.html").is_file(), completed.stdout  # a second one into the same folder: a class


def test_figures_drawn_beside_a_child_are_those_drawn_alone(graded, tmp_path, monkeypatch):
    """Half the figures are drawn in a forked child; where forking fails, or the child fails or
    hangs, the grading process draws them itself, and every way gives the same pictures."""
    import os

    from autograder.reports import class_report, class_report_figures

    out, _ = graded
    submissions = class_report.read_results(out)
    stats = class_report.test_statistics(submissions)
    drawn = {}
    import functools
    import time

    parent, real_modules, real_collect = os.getpid(), class_report_figures.modules, class_report_figures.collect_child

    def modules_that_hang_in_the_child(*arguments):
        if os.getpid() != parent:
            time.sleep(120)
        return real_modules(*arguments)

    for way in ("forked", "no fork", "child fails", "child hangs"):
        folder = tmp_path / way
        folder.mkdir()
        with monkeypatch.context() as patch:
            if way == "no fork":
                def refuse():
                    raise OSError("no more processes")
                patch.setattr(os, "fork", refuse)
            elif way == "child fails":
                patch.setattr(class_report_figures, "collect_child", lambda pid, read_end, work: os.close(read_end) or os.waitpid(pid, 0) and None)
            elif way == "child hangs":
                patch.setattr(class_report_figures, "modules", modules_that_hang_in_the_child)
                patch.setattr(class_report_figures, "collect_child", functools.partial(real_collect, wait_seconds=1.0))
            started = time.monotonic()
            names = class_report_figures.draw_all(submissions, stats, folder)
            waited = time.monotonic() - started
        assert sorted(names) == ["modules", "scores", "tests", "times"], way
        assert waited < 60, f"{way}: the report waited {waited:.0f} s (for a child that would draw for 120 s)"
        drawn[way] = {name: (folder / file).read_bytes() for name, file in names.items()}
    assert drawn["forked"] == drawn["no fork"] == drawn["child fails"] == drawn["child hangs"]
