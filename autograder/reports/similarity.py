"""The similarity check: which submissions share much more code than independent work would.

Every pair of submissions is compared, module by module, with copydetect (MOSS's winnowing over
tokens whose names, strings and comments are normalised away, so renaming variables, reordering
functions or rewriting comments does not hide a copy). The starter code is boilerplate: code
every student was given never counts. For each pair, the share of each side's own code found in
the other is added up over the six modules (weighted by the code each module holds); the pair's
similarity is the larger of the two shares, and pairs at or above the threshold are listed.

  python -m autograder similarity SUBMISSIONS [--out similarity] [--threshold 0.5]

writes OUT/pairs.csv (every pair, most similar first), OUT/report.html (the flagged pairs, each
module's shared code highlighted side by side, as copydetect marks it) and OUT/files/<id>/ (the
modules compared). A flagged pair is a lead for a person to read, never a verdict.
"""

from __future__ import annotations

import csv
import shutil
import sys
import time
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from .. import intake
from ..kit import stubs_dir

DEFAULT_THRESHOLD = 0.5
# copydetect's noise threshold: the shortest run of normalised tokens (characters of the filtered
# code, where every name is one character) that counts as shared. With the guarantee threshold
# equal to it, every k-gram is a fingerprint: scores are exact and do not depend on Python's
# per-process hash seed.
NOISE_TOKENS = 25
# A pair must share at least this many tokens to be flagged: two students who each wrote one
# line of the same obvious code share 100% of very little.
MIN_SHARED_TOKENS = 100


@dataclass
class Pair:
    first: str
    second: str
    first_in_second: float  # share of the first's own code found in the second
    second_in_first: float
    shared_tokens: int
    modules: dict[str, tuple[float, float]]  # module -> (first in second, second in first)

    @property
    def similarity(self) -> float:
        return max(self.first_in_second, self.second_in_first)


def extract(submissions: list[Path], ids: list[str], folder: Path) -> dict[str, list[str]]:
    """Write each submission's module files to folder/<id>/ (read safely by the intake); returns
    the notes of submissions that could not be read."""
    problems = {}
    for path, submission_id in zip(submissions, ids):
        submission = intake.read_submission(path)
        if submission.problem or not submission.modules:
            problems[submission_id] = [submission.problem or "none of the six module files was found"]
            continue
        target = folder / submission_id
        target.mkdir(parents=True)
        for name, data in submission.modules.items():
            (target / name).write_text(data.decode("utf-8-sig"), encoding="utf-8")
    return problems


def compare(files: Path, boilerplate: Path, noise: int = NOISE_TOKENS):
    """Every pair of the submissions under ``files`` (one folder each), most similar first, and
    the detector (for the highlighted code)."""
    from copydetect import CopyDetector  # imported here: only this command needs it

    detector = CopyDetector(
        test_dirs=[str(files)], boilerplate_dirs=[str(boilerplate)], extensions=["py"],
        noise_t=noise, guarantee_t=noise, display_t=0.0, same_name_only=True,
        autoopen=False, silent=True, truncate=True, out_file=str(files / "unused.html"),
    )
    detector.run()
    return pairs_from(detector, files), detector


def pairs_from(detector, files: Path) -> list[Pair]:
    index = {name: position for position, name in enumerate(detector.test_files)}
    owners: dict[str, dict[str, str]] = {}  # submission -> module file name -> path
    for name in detector.test_files:
        path = Path(name)
        owners.setdefault(path.relative_to(files).parts[0], {})[path.name] = name
    coverage = {name: float(data.token_coverage) for name, data in detector.file_data.items()}
    pairs = []
    for first, second in combinations(sorted(owners), 2):
        shared_first = shared_second = 0.0
        modules = {}
        for module in sorted(set(owners[first]) & set(owners[second])):
            a, b = owners[first][module], owners[second][module]
            if a not in detector.file_data or b not in detector.file_data:
                continue
            a_in_b, b_in_a = detector.similarity_matrix[index[a], index[b]]
            a_in_b, b_in_a = max(float(a_in_b), 0.0), max(float(b_in_a), 0.0)
            modules[module.removesuffix(".py")] = (a_in_b, b_in_a)
            shared_first += a_in_b * coverage[a]
            shared_second += b_in_a * coverage[b]
        own_first = sum(coverage.get(path, 0.0) for path in owners[first].values())
        own_second = sum(coverage.get(path, 0.0) for path in owners[second].values())
        pairs.append(Pair(
            first, second,
            shared_first / own_first if own_first else 0.0,
            shared_second / own_second if own_second else 0.0,
            int(round(min(shared_first, shared_second))),
            modules,
        ))
    return sorted(pairs, key=lambda pair: (-pair.similarity, pair.first, pair.second))


def flagged(pairs: list[Pair], threshold: float) -> list[Pair]:
    return [pair for pair in pairs if pair.similarity >= threshold and pair.shared_tokens >= MIN_SHARED_TOKENS]


def write_pairs(pairs: list[Pair], threshold: float, path: Path) -> None:
    with open(path, "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["first", "second", "similarity", "first_in_second", "second_in_first", "shared_tokens", "flagged", "most_similar_modules"])
        chosen = {id(pair) for pair in flagged(pairs, threshold)}
        for pair in pairs:
            writer.writerow([
                pair.first, pair.second, f"{pair.similarity:.3f}", f"{pair.first_in_second:.3f}", f"{pair.second_in_first:.3f}",
                pair.shared_tokens, "yes" if id(pair) in chosen else "", describe_modules(pair),
            ])


def describe_modules(pair: Pair, count: int = 3) -> str:
    ranked = sorted(pair.modules.items(), key=lambda item: -max(item[1]))[:count]
    return ", ".join(f"{module} {max(shares):.0%}" for module, shares in ranked if max(shares) > 0)


def highlighted(detector, first: Path, second: Path) -> tuple[str, str] | None:
    """Both files as HTML (escaped), the code they share marked, as copydetect's report marks it."""
    from copydetect.utils import highlight_overlap

    pair = (str(first), str(second))
    if pair in detector.slice_matrix:
        slices = detector.slice_matrix[pair]
    elif pair[::-1] in detector.slice_matrix:
        slices = detector.slice_matrix[pair[::-1]][::-1]
    else:
        return None
    marks = ("<span class='highlight-red'>", "</span>"), ("<span class='highlight-green'>", "</span>")
    left, right = (
        highlight_overlap(detector.file_data[name].raw_code, part, *mark, truncate=10, escape_html=True)[0]
        for name, part, mark in zip(pair, slices, marks)
    )
    return left, right


def write_html(pairs: list[Pair], threshold: float, detector, files: Path, path: Path) -> None:
    """The flagged pairs, and for each the shared code of every module, highlighted side by side
    (templates/similarity.html; copydetect escapes the code it marks)."""
    from markupsafe import Markup

    from .templates import render_template

    chosen = flagged(pairs, threshold)
    sections = []
    for pair in chosen:
        modules = []
        for module, shares in sorted(pair.modules.items(), key=lambda item: -max(item[1])):
            left_right = highlighted(detector, files / pair.first / f"{module}.py", files / pair.second / f"{module}.py")
            if left_right and max(shares) > 0:
                modules.append({"name": module, "shares": shares, "code": [Markup(side) for side in left_right]})
        sections.append({"pair": pair, "modules": modules, "summary": describe_modules(pair, 6)})
    path.write_text(render_template("similarity.html", compared=len(pairs), threshold=threshold, sections=sections), encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# `python -m autograder similarity`
# ----------------------------------------------------------------------------------------------

DESCRIPTION = """\
Compares every pair of submissions in SUBMISSIONS (a folder of .zip files or folders, as for
`grade --batch`) with copydetect's winnowing, the starter code excluded as boilerplate, and lists
the pairs whose similarity (the larger share of one side's own code found in the other) is at
least --threshold. Writes OUT/pairs.csv (every pair), OUT/report.html (the flagged pairs, their
shared code highlighted side by side) and OUT/files/ (the modules compared). A flagged pair is a reason
to read both submissions, not a finding.
"""


def add_parser(commands) -> None:
    parser = commands.add_parser("similarity", help="instructors: pairs of submissions that share unusually much code", description=DESCRIPTION)
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS", help="a folder of submissions (.zip files or folders)")
    parser.add_argument("--out", type=Path, default=Path("similarity"), metavar="DIR", help="where the report goes (default: similarity/)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="FRACTION", help="flag pairs at or above this similarity (default: %(default)g)")
    parser.add_argument("--boilerplate", type=Path, default=None, metavar="DIR", help="code given to every student (default: the kit's starter/)")
    parser.set_defaults(run=command_similarity)


def command_similarity(arguments) -> int:
    started = time.monotonic()
    if not arguments.submissions.is_dir():
        print(f"{arguments.submissions} is not a folder of submissions", file=sys.stderr)
        return 2
    if not 0 < arguments.threshold <= 1:
        print("--threshold must be a fraction in (0, 1]", file=sys.stderr)
        return 2
    boilerplate = arguments.boilerplate or stubs_dir()
    paths = intake.expand([arguments.submissions], batch=True)
    ids = intake.unique_ids(paths)
    out: Path = arguments.out
    files = out / "files"
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True)
    problems = extract(paths, ids, files)
    compared = len(paths) - len(problems)
    if compared < 2:
        print(f"fewer than two readable submissions in {arguments.submissions}; nothing to compare", file=sys.stderr)
        return 2
    try:
        pairs, detector = compare(files, boilerplate)
    except ImportError as error:
        print(f"the similarity check needs copydetect (`make similarity` installs it; or pip install -r requirements/grade.txt): {error}", file=sys.stderr)
        return 2
    write_pairs(pairs, arguments.threshold, out / "pairs.csv")
    write_html(pairs, arguments.threshold, detector, files, out / "report.html")
    suspicious = flagged(pairs, arguments.threshold)
    print(f"compared {compared} submissions ({len(pairs)} pairs) in {time.monotonic() - started:.1f} s; boilerplate: {boilerplate}")
    for submission_id, notes in problems.items():
        print(f"  not compared: {submission_id} ({'; '.join(notes)})")
    if suspicious:
        print(f"{len(suspicious)} pair(s) at or above {arguments.threshold:g}:")
        width = max(len(f"{pair.first} ~ {pair.second}") for pair in suspicious)
        for pair in suspicious:
            print(f"  {pair.first + ' ~ ' + pair.second:<{width}}  {pair.similarity:.0%}  ({describe_modules(pair)})")
    else:
        print(f"no pair at or above {arguments.threshold:g}")
    print(f"every pair: {out / 'pairs.csv'}; side by side: {out / 'report.html'}")
    return 0
