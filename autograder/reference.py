"""Reference outputs: what solution/ returns for every case, stored with the case's inputs.

Layout: ``reference/<variant>/<module>.npz`` holds, for every test of the module, the keys
``<test>/case`` (JSON: probe kind and arguments), ``<test>/in/<name>`` and ``<test>/out/<name>``.
``reference/manifest.json`` lists each file's SHA-256; grading refuses files that do not match, so
a hand-edited or truncated reference can never grade anyone. The files are written byte-for-byte
reproducibly (fixed zip timestamps, no compression), so regenerating them changes nothing unless
the solution or the cases changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .sandbox.harness.npzio import read_npz, write_npz

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


def write_references(files: dict[str, bytes], directory: Path = REFERENCE_DIR) -> list[str]:
    """Write the files and the manifest; return the paths whose bytes changed."""
    changed = []
    for relative, data in files.items():
        path = directory / relative
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(relative)
    manifest = json.dumps({relative: sha256(data) for relative, data in sorted(files.items())}, indent=2) + "\n"
    path = directory / MANIFEST
    if not path.exists() or path.read_text() != manifest:
        path.write_text(manifest)
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
