"""Intake: find the six module files in a submission (a folder or a .zip) and read them safely.

Only files named exactly like the six modules are taken, wherever they sit; everything else
(``__MACOSX/``, editor backups, a stray ``conftest.py``, ``sitecustomize.py`` or ``numpy.py``) is
ignored and never run. Nothing is extracted to disk: module files are read straight out of the
archive, so an entry that points outside it (zip-slip) can do no harm, and it is refused with a
note anyway, as are symlinks, oversized files, encrypted entries and zip bombs.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..kit import MODULE_FILES
from ..text import name as printable

MAX_MODULE_BYTES = 256 << 10  # a module file bigger than 256 KiB is refused (a full solution is ~10 KiB)
MAX_ENTRIES = 10_000  # files in a folder or entries in a zip
MAX_ARCHIVE_BYTES = 200 << 20  # declared uncompressed size of a whole zip
MAX_ZIP_FILE_BYTES = 50 << 20  # the zip file itself (its listing is read before anything else)
IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "node_modules", ".venv"}


@dataclass
class Submission:
    """The module files found in one submission, and what the student should know about intake."""

    id: str
    source: Path
    modules: dict[str, bytes] = field(default_factory=dict)  # "layers.py" -> its bytes
    notes: list[str] = field(default_factory=list)
    problem: str | None = None  # set when the submission as a whole could not be read

    @property
    def missing(self) -> list[str]:
        return [name.removesuffix(".py") for name in MODULE_FILES if name not in self.modules]


def submission_id(path: Path) -> str:
    """The folder name or the zip's stem, made safe for a folder name."""
    name = path.stem if path.suffix.lower() == ".zip" else path.name
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name).strip(".") or "submission"


# ----------------------------------------------------------------------------------------------
# Choosing among candidates
# ----------------------------------------------------------------------------------------------


def choose(candidates: dict[str, list[PurePosixPath]], notes: list[str]) -> dict[str, PurePosixPath]:
    """One path per module name: prefer the folder holding most modules, then the shallowest path."""
    folder_counts: dict[PurePosixPath, int] = {}
    for paths in candidates.values():
        for path in paths:
            folder_counts[path.parent] = folder_counts.get(path.parent, 0) + 1
    chosen = {}
    for name, paths in sorted(candidates.items()):
        ranked = sorted(paths, key=lambda p: (-folder_counts[p.parent], len(p.parts), str(p)))
        chosen[name] = ranked[0]
        if len(ranked) > 1:
            others = ", ".join(str(p) for p in ranked[1:4])
            notes.append(printable(f"found {len(ranked)} files named {name}; graded {ranked[0]} (not {others})"))
    return chosen


def is_ignored(parts: tuple[str, ...]) -> bool:
    return any(part in IGNORED_FOLDERS or part.startswith(".") for part in parts[:-1]) or parts[-1].startswith("._")


CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode_check(name: str, data: bytes, notes: list[str]) -> bytes | None:
    """The module's bytes if they are UTF-8 Python source, as the grader reads them and Python runs
    them alike; otherwise None with a note."""
    name = printable(name)
    if len(data) > MAX_MODULE_BYTES:
        notes.append(f"{name} is larger than {MAX_MODULE_BYTES // 1024} KiB and was not graded")
        return None
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(f"{name} is not UTF-8 text and was not graded (save it as UTF-8)")
        return None
    for line in data.removeprefix(b"\xef\xbb\xbf").splitlines()[:2]:  # where Python looks for a coding declaration
        declared = CODING.match(line)
        if declared and declared.group(1).decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
            notes.append(f"{name} declares the encoding {printable(declared.group(1).decode('ascii', 'replace'))!r} and was not graded: save it as UTF-8 and remove the coding line")
            return None
    return data


def summarize_ignored(ignored: list[str], notes: list[str], clutter: set[str] | frozenset[str] = frozenset()) -> None:
    python_files = sorted({name for name in ignored if name.endswith(".py") and name != "__init__.py"})
    if python_files:
        shown = ", ".join(python_files[:6]) + (" ..." if len(python_files) > 6 else "")
        notes.append(f"only the six module files are graded; ignored: {printable(shown)}")
    if clutter:
        shown = ", ".join(sorted(clutter)[:6]) + (" ..." if len(clutter) > 6 else "")
        notes.append(f"ignored as clutter, not code: {printable(shown)}")


def clutter_name(parts: tuple[str, ...]) -> str:
    """How an ignored entry is listed: its first clutter folder (with a slash), or the file."""
    for part in parts[:-1]:
        if part in IGNORED_FOLDERS or part.startswith("."):
            return part + "/"
    return "._* files (macOS metadata)" if parts[-1].startswith("._") else parts[-1]


def describe_location(chosen: dict[str, PurePosixPath], notes: list[str]) -> None:
    """Say where the graded modules were found (one folder, or several)."""
    folders: dict[str, list[str]] = {}
    for name, path in sorted(chosen.items()):
        folders.setdefault(str(path.parent), []).append(name.removesuffix(".py"))
    if len(folders) == 1:
        folder = next(iter(folders))
        notes.append("modules found at the top of the submission" if folder == "." else f"modules found in {printable(folder)}/")
    elif folders:
        notes.append(printable("modules found in " + "; ".join(f"{folder}/ ({', '.join(names)})" for folder, names in folders.items())))


# ----------------------------------------------------------------------------------------------
# Folders and archives
# ----------------------------------------------------------------------------------------------


def read_folder(folder: Path, submission: Submission) -> None:
    candidates: dict[str, list[PurePosixPath]] = {}
    ignored: list[str] = []
    clutter: set[str] = set()
    seen = 0
    for root, folders, files in os.walk(folder, followlinks=False):
        clutter.update(name + "/" for name in folders if name in IGNORED_FOLDERS or name.startswith("."))
        folders[:] = sorted(name for name in folders if name not in IGNORED_FOLDERS and not name.startswith("."))
        for name in sorted(files):
            seen += 1
            if seen > MAX_ENTRIES:
                submission.problem = f"the folder holds more than {MAX_ENTRIES} files"
                return
            path = Path(root) / name
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            if name.startswith("._"):
                clutter.add(clutter_name((name,)))
                continue
            if name not in MODULE_FILES:
                ignored.append(name)
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
                submission.notes.append(f"{printable(str(relative))} is a link or a special file and was not graded")
                continue
            candidates.setdefault(name, []).append(relative)
    chosen = choose(candidates, submission.notes)
    describe_location(chosen, submission.notes)
    for name, relative in chosen.items():
        with open(folder / relative, "rb") as source:
            data = decode_check(str(relative), source.read(MAX_MODULE_BYTES + 1), submission.notes)
        if data is not None:
            submission.modules[name] = data
    summarize_ignored(ignored, submission.notes, clutter)


def entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an archive entry must not be read, or None."""
    name = info.filename
    path = PurePosixPath(name.replace("\\", "/"))
    shown = printable(name)
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        return f"refused '{shown}': it points outside the archive"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"refused '{shown}': it is a symbolic link"
    if info.flag_bits & 0x1:
        return f"refused '{shown}': it is encrypted"
    return None


def read_zip(archive_path: Path, submission: Submission) -> None:
    size = archive_path.stat().st_size
    if size > MAX_ZIP_FILE_BYTES:
        submission.problem = f"{archive_path.name} is {size >> 20} MiB, more than the {MAX_ZIP_FILE_BYTES >> 20} MiB allowed; submit only your module files"
        return
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as error:
        submission.problem = f"{archive_path.name} is not a readable zip file ({error})"
        return
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            submission.problem = f"the archive has {len(entries)} entries, more than the {MAX_ENTRIES} allowed"
            return
        if sum(info.file_size for info in entries) > MAX_ARCHIVE_BYTES:
            submission.problem = (
                f"the archive would unpack to more than {MAX_ARCHIVE_BYTES >> 20} MiB (a zip bomb?); "
                "submit only your module files"
            )
            return
        candidates: dict[str, list[PurePosixPath]] = {}
        by_path: dict[PurePosixPath, zipfile.ZipInfo] = {}
        ignored: list[str] = []
        clutter: set[str] = set()
        for info in entries:
            if info.is_dir():
                continue
            problem = entry_problem(info)
            if problem:
                submission.notes.append(problem)
                continue
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if is_ignored(path.parts):  # macOS metadata, hidden folders, caches: clutter, not code
                clutter.add(clutter_name(path.parts))
                continue
            if path.name not in MODULE_FILES:
                ignored.append(path.name)
                continue
            candidates.setdefault(path.name, []).append(path)
            by_path[path] = info
        chosen = choose(candidates, submission.notes)
        describe_location(chosen, submission.notes)
        for name, path in chosen.items():
            info = by_path[path]
            if info.file_size > MAX_MODULE_BYTES:
                submission.notes.append(f"{printable(str(path))} is larger than {MAX_MODULE_BYTES // 1024} KiB and was not graded")
                continue
            try:
                with archive.open(info) as source:
                    data = source.read(MAX_MODULE_BYTES + 1)  # never trust the declared size
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
                submission.notes.append(f"{printable(str(path))} could not be read from the archive ({error})")
                continue
            checked = decode_check(str(path), data, submission.notes)
            if checked is not None:
                submission.modules[name] = checked
        summarize_ignored(ignored, submission.notes, clutter)


def read_submission(path: Path) -> Submission:
    """Find and read the module files of the submission at ``path`` (a folder or a .zip)."""
    path = Path(path)
    submission = Submission(submission_id(path), path)
    if path.is_dir():
        read_folder(path, submission)
    elif path.is_file() and path.suffix.lower() == ".zip":
        read_zip(path, submission)
    elif not path.exists():
        submission.problem = f"{path} does not exist"
    else:
        submission.problem = f"{path.name} is neither a folder nor a .zip file"
    return submission


# ----------------------------------------------------------------------------------------------
# Batches
# ----------------------------------------------------------------------------------------------


def contains_modules(path: Path, depth: int = 4) -> bool:
    """True when a module file sits inside ``path`` (a folder, up to ``depth`` levels) or it is a zip."""
    if path.suffix.lower() == ".zip":
        return True
    if depth < 0 or not path.is_dir():
        return False
    try:
        children = list(path.iterdir())
    except OSError:
        return False
    return any(child.name in MODULE_FILES for child in children) or any(
        contains_modules(child, depth - 1) for child in children if child.is_dir() and child.name not in IGNORED_FOLDERS
    )


def submissions_in(folder: Path) -> list[Path]:
    """The submissions inside a folder of submissions: its .zip files and its sub-folders."""
    return sorted(
        child
        for child in folder.iterdir()
        if not child.name.startswith(".")
        and child.name not in IGNORED_FOLDERS
        and (child.suffix.lower() == ".zip" or child.is_dir())
    )


def looks_like_batch(folder: Path) -> bool:
    """A folder is a batch when no module file sits directly in it and it holds a .zip, or at least
    two sub-folders with module files (one sub-folder is one submission packed one level deep)."""
    if not folder.is_dir() or any((folder / name).is_file() for name in MODULE_FILES):
        return False
    children = submissions_in(folder)
    zips = [child for child in children if child.suffix.lower() == ".zip"]
    folders = [child for child in children if child.is_dir() and contains_modules(child)]
    return bool(zips) or len(folders) >= 2


def expand(paths: list[Path], batch: bool) -> list[Path]:
    """The submissions to grade: each path, or with ``batch`` (or when a folder looks like a batch)
    everything inside it."""
    found = []
    for path in paths:
        path = Path(path)
        if path.is_dir() and (batch or looks_like_batch(path)):
            found.extend(submissions_in(path))
        else:
            found.append(path)
    return found


# Names the grader writes next to the submissions' folders (gradebook, class report, run log).
RESERVED_IDS = {"gradebook.csv", "report.html", "report-figures", "runs.json"}


def unique_ids(paths: list[Path]) -> list[str]:
    """A distinct id per submission: ``alice`` and ``alice.zip`` become ``alice`` and ``alice-2``."""
    ids: list[str] = []
    taken = set(RESERVED_IDS)
    for path in paths:
        base = submission_id(path)
        candidate, copy = base, 1
        while candidate in taken:
            copy += 1
            candidate = f"{base}-{copy}"
        taken.add(candidate)
        ids.append(candidate)
    return ids
