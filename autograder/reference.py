"""Reference outputs: what solution/ returns for every case, stored with the case's inputs.

Layout: ``reference/<variant>/<module>.npz`` holds, for every test of the module, the keys
``<test>/case`` (JSON: probe kind and arguments), ``<test>/in/<name>`` and ``<test>/out/<name>``.
``reference/manifest.json`` lists each file's SHA-256; grading refuses files that do not match, so
a hand-edited or truncated reference can never grade anyone. The files are written reproducibly
(fixed zip timestamps, no compression), and regenerating keeps a committed file unless its values
moved beyond ``tolerances.REGENERATION``: another CPU computes the same solution/ a few bits
differently, which is not a change (``value_differences``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .sandbox.harness.npzio import read_npz, write_npz
from .tolerances import REGENERATION

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
MANIFEST = "manifest.json"


class ReferenceProblem(RuntimeError):
    """The reference outputs are missing or do not match their manifest."""


@dataclass
class ReferenceCase:
    test_id: str
    kind: str
    args: dict
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A reproducible archive: members sorted by name (see harness/npzio.py for the format)."""
    return write_npz({name: arrays[name] for name in sorted(arrays)})


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reference_files(cases_by_module: dict[str, list[ReferenceCase]], variant: str) -> dict[str, bytes]:
    """The bytes of every reference file of one variant, keyed by path relative to REFERENCE_DIR."""
    files = {}
    for module, cases in cases_by_module.items():
        arrays = {}
        for case in cases:
            name = case.test_id.split(".", 1)[1]
            arrays[f"{name}/case"] = np.array(json.dumps({"kind": case.kind, "args": case.args}, sort_keys=True))
            arrays.update({f"{name}/in/{key}": value for key, value in case.inputs.items()})
            arrays.update({f"{name}/out/{key}": value for key, value in case.outputs.items()})
        files[f"{variant}/{module}.npz"] = npz_bytes(arrays)
    return files


def value_differences(committed: bytes, regenerated: bytes) -> list[str]:
    """How two reference files differ in meaning, or [] when they hold the same values: the same
    members with the same dtypes and shapes, text and integers equal, floats within
    ``tolerances.REGENERATION`` (elementwise, with atol relative to the array's largest entry)."""
    try:
        old, new = read_npz(committed, kinds="biufU"), read_npz(regenerated, kinds="biufU")
    except ValueError as error:
        return [f"unreadable: {error}"]
    problems = [f"{name}: only in the {side} file" for side, names in (("committed", old.keys() - new.keys()), ("regenerated", new.keys() - old.keys())) for name in sorted(names)]
    for name in sorted(old.keys() & new.keys()):
        before, after = old[name], new[name]
        if before.dtype != after.dtype or before.shape != after.shape:
            problems.append(f"{name}: {before.dtype}{before.shape} became {after.dtype}{after.shape}")
        elif before.dtype.kind != "f":
            if not np.array_equal(before, after):
                problems.append(f"{name}: values changed")
        elif not _within_regeneration_tolerance(before, after):
            moved = np.max(np.abs(before - after), initial=0.0, where=np.isfinite(before) & np.isfinite(after))
            problems.append(f"{name}: values moved by up to {moved:.3g}")
    return problems


def _within_regeneration_tolerance(before: np.ndarray, after: np.ndarray) -> bool:
    if not np.array_equal(np.isnan(before), np.isnan(after)) or not np.array_equal(before[np.isinf(before)], after[np.isinf(before)]):
        return False
    finite = np.isfinite(before)
    old, new = before[finite], after[finite]
    scale = max(1.0, float(np.max(np.abs(old), initial=0.0)))
    return bool(np.all(np.abs(old - new) <= REGENERATION.atol * scale + REGENERATION.rtol * np.abs(old)))


def stale_references(files: dict[str, bytes], directory: Path = REFERENCE_DIR) -> dict[str, list[str]]:
    """What is out of date in ``directory`` against freshly computed ``files``: per path, why
    (values beyond the regeneration tolerance, a missing or extra file, bytes that do not match
    the manifest). Empty when the committed references are good to grade with."""
    try:
        manifest = read_manifest(directory)
    except ReferenceProblem as problem:
        return {MANIFEST: [str(problem)]}
    stale = {relative: ["no longer generated"] for relative in sorted(manifest.keys() - files.keys())}
    for relative, data in sorted(files.items()):
        if problems := _why_stale(directory / relative, manifest.get(relative), data):
            stale[relative] = problems
    return stale


def _why_stale(path: Path, recorded_sha256: str | None, regenerated: bytes) -> list[str]:
    if recorded_sha256 is None or not path.is_file():
        return ["missing"]
    committed = path.read_bytes()
    if sha256(committed) != recorded_sha256:
        return [f"does not match its SHA-256 in {MANIFEST}"]
    return value_differences(committed, regenerated)


def write_references(files: dict[str, bytes], directory: Path = REFERENCE_DIR) -> list[str]:
    """Write the files that are stale (values changed beyond ``tolerances.REGENERATION``, new,
    or not matching the manifest), keep the committed bytes of the others, and write the manifest
    of what is then on disk; return the paths written."""
    try:
        manifest = read_manifest(directory)
    except ReferenceProblem:
        manifest = {}
    on_disk, changed = {}, []
    for relative, data in files.items():
        path = directory / relative
        if _why_stale(path, manifest.get(relative), data):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(relative)
        on_disk[relative] = path.read_bytes()
    text = json.dumps({relative: sha256(data) for relative, data in sorted(on_disk.items())}, indent=2) + "\n"
    if not (directory / MANIFEST).exists() or (directory / MANIFEST).read_text() != text:
        (directory / MANIFEST).write_text(text)
        changed.append(MANIFEST)
    return changed


def read_manifest(directory: Path = REFERENCE_DIR) -> dict[str, str]:
    path = directory / MANIFEST
    if not path.is_file():
        raise ReferenceProblem(f"{path} is missing: run `make reference`")
    return json.loads(path.read_text())


def available_variants(directory: Path = REFERENCE_DIR) -> list[str]:
    """The variants whose reference files the manifest lists (a student bundle has only public)."""
    return sorted({relative.split("/", 1)[0] for relative in read_manifest(directory)})


def load_references(variant: str, directory: Path = REFERENCE_DIR) -> dict[str, ReferenceCase]:
    """Every case of one variant, after checking each file against the manifest."""
    manifest = read_manifest(directory)
    relatives = sorted(relative for relative in manifest if relative.startswith(f"{variant}/"))
    if not relatives:
        raise ReferenceProblem(f"{directory / MANIFEST} lists no {variant} reference outputs")
    cases = {}
    for relative in relatives:
        path = directory / relative
        if not path.is_file():
            raise ReferenceProblem(f"{path} is missing: run `make reference`")
        data = path.read_bytes()
        if sha256(data) != manifest[relative]:
            raise ReferenceProblem(
                f"{path} does not match its SHA-256 in {MANIFEST}: it was changed by hand or damaged. "
                "Refusing to grade; run `make reference` to regenerate it."
            )
        module = Path(relative).stem
        cases.update(parse_reference_file(data, module))
    return cases


def parse_reference_file(data: bytes, module: str) -> dict[str, ReferenceCase]:
    arrays = read_npz(data, kinds="biufU")
    cases: dict[str, ReferenceCase] = {}
    for key, value in arrays.items():
        name, part = key.split("/", 1)
        test_id = f"{module}.{name}"
        if part == "case":
            spec = json.loads(str(value))
            cases.setdefault(test_id, ReferenceCase(test_id, "", {}, {}, {}))
            cases[test_id].kind, cases[test_id].args = spec["kind"], spec["args"]
    for key, value in arrays.items():
        name, part = key.split("/", 1)
        if part != "case":
            direction, array_name = part.split("/", 1)
            target = cases[f"{module}.{name}"]
            (target.inputs if direction == "in" else target.outputs)[array_name] = value
    return cases
