"""The sandboxed side of grading: import a submission, run the probes, send back plain data.

Usage (by autograder/sandbox.py only): python -I -B run.py STAGE_DIR CHANNEL_FD

STAGE_DIR holds ``plan.json``, ``inputs.bin`` (see npzio.pack), ``submission/`` (the six modules as a package) and
``stubs/`` (the starter's six modules). Results go to the parent as frames on CHANNEL_FD: one JSON
line, then as many payload bytes as the line announces (the outputs, in npzio.pack's format).

This file and probes.py run in the same process as submission code, so nothing here is trusted:
the parent validates every frame and compares every value itself. This code only needs the
standard library and NumPy, and must not import anything from the rest of the grader.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import resource
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "submission"
# Dependency order: each module only imports modules before it.
MODULES = ("util", "activations", "layers", "loss", "optimizer", "model")
# Modules the harness itself needs before privileges are dropped.
PRELOAD = ("numpy.linalg", "numpy.random", "encodings.idna", "linecache", "tokenize")
# Modules a submission may reasonably import, loaded in advance when the sandbox user will not be
# able to read the interpreter's own files (a plain process, dropped to another uid).
PRELOAD_FOR_STUDENTS = (
    "abc", "bisect", "collections", "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal",
    "enum", "fractions", "functools", "glob", "heapq", "inspect", "io", "itertools", "json", "math",
    "numbers", "operator", "pathlib", "random", "re", "shutil", "signal", "statistics", "string", "struct",
    "subprocess", "tempfile", "textwrap", "threading", "time", "types", "typing", "warnings", "weakref",
    "numpy.fft", "numpy.lib.stride_tricks", "numpy.polynomial",
)


SHAPE_HINTS = (
    ("matmul: Input operand", "a matrix product of incompatible shapes: check the order of the operands and any missing or extra .T"),
    ("not aligned", "a matrix product of incompatible shapes: check the order of the operands and any missing or extra .T"),
    ("could not be broadcast", "arrays of incompatible shapes in an elementwise operation: check keepdims=True on sums and maxima, and the axis"),
)


class Channel:
    """Frames to the parent: a JSON header line, then an optional binary payload."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, header: dict, payload: bytes = b"") -> None:
        header = dict(header, payload=len(payload))
        data = json.dumps(header).encode() + b"\n" + payload
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


def describe_error(error: BaseException, package_dir: str, stub_dir: str) -> tuple[str, str]:
    """(status, message) for an exception raised by submission code, showing only its own frames."""
    if isinstance(error, NotImplementedError):
        return "not_implemented", str(error) or "NotImplementedError"
    if isinstance(error, SystemExit):
        return "error", f"your code called sys.exit({error.code!r}); a module must not exit the program"
    if isinstance(error, MemoryError):
        return "error", "MemoryError: your code ran out of memory (the sandbox has a memory limit)"
    if isinstance(error, SyntaxError) and error.filename and error.filename.startswith(package_dir):
        where = f"{os.path.basename(error.filename)}, line {error.lineno}"
        text = (error.text or "").rstrip("\n")
        return "error", f"SyntaxError in {where}: {error.msg}\n    {text.strip()}"
    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith(package_dir):
            lines.append(f"  {os.path.basename(frame.filename)}, line {frame.lineno}, in {frame.name}")
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        elif frame.filename.startswith(stub_dir):
            lines.append(f"  (starter stub) {os.path.basename(frame.filename)}, in {frame.name}")
    summary = "".join(traceback.format_exception_only(type(error), error)).strip()
    for clue, hint in SHAPE_HINTS:
        if clue in summary:
            summary += f"\nlikely cause: {hint}"
            break
    if lines:
        return "error", summary + "\n" + "\n".join(["Traceback (your code only):", *lines])
    return "error", summary


def load_module_from(path: str, module: str):
    """Execute ``path`` as ``submission.<module>``, replacing whatever was imported under that name."""
    name = f"{PACKAGE}.{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[name]
        raise
    setattr(sys.modules[PACKAGE], module, loaded)
    return loaded


def import_submission(stage: str, stubbed: set[str], channel: Channel, package_dir: str, stub_dir: str):
    """Import the six modules; a module that fails to import is replaced by its starter stub."""
    spec = importlib.util.spec_from_file_location(
        PACKAGE, os.path.join(package_dir, "__init__.py"), submodule_search_locations=[package_dir]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    modules = {}
    for module in MODULES:
        stub = os.path.join(stub_dir, f"{module}.py")
        if module in stubbed:
            modules[module] = load_module_from(stub, module)
            continue
        channel.send({"event": "start", "case": f"import:{module}"})
        try:
            if f"{PACKAGE}.{module}" in sys.modules:  # already pulled in by an earlier module's imports
                modules[module] = sys.modules[f"{PACKAGE}.{module}"]
            else:
                modules[module] = importlib.import_module(f"{PACKAGE}.{module}")
            channel.send({"event": "import", "module": module, "status": "ok"})
        except BaseException as error:  # noqa: BLE001 - a submission may raise anything, even SystemExit
            status, message = describe_error(error, package_dir, stub_dir)
            channel.send({"event": "import", "module": module, "status": "error", "message": message})
            modules[module] = load_module_from(stub, module)
    return modules


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("harness: could not drop privileges")


def main() -> None:
    stage, channel_fd = sys.argv[1], int(sys.argv[2])
    channel = Channel(channel_fd)
    sys.dont_write_bytecode = True
    sys.path.insert(0, HERE)
    import npzio  # the archive format, next to this file
    import probes  # the probe functions, next to this file

    with open(os.path.join(stage, "plan.json")) as plan_file:
        plan = json.load(plan_file)
    with open(os.path.join(stage, "inputs.bin"), "rb") as inputs_file:
        inputs = npzio.unpack(inputs_file.read())
    for name in PRELOAD + (PRELOAD_FOR_STUDENTS if plan.get("preload") else ()):
        importlib.import_module(name)

    if plan.get("drop_to"):
        drop_privileges(plan["drop_to"]["uid"], plan["drop_to"]["gid"])
    package_dir = os.path.join(stage, PACKAGE)
    stub_dir = os.path.join(stage, "stubs")
    channel.send({"event": "ready", "uid": os.getuid()})
    modules = import_submission(stage, set(plan["stubbed"]), channel, package_dir, stub_dir)
    student_files = {os.path.join(package_dir, f"{module}.py") for module in MODULES}

    for case in plan["cases"]:
        case_id = case["id"]
        channel.send({"event": "start", "case": case_id})
        probe = probes.Probe(case["args"], inputs, prefix=f"{case_id}/", student_files=student_files)
        started = time.perf_counter()
        try:
            probes.PROBES[case["kind"]](modules, probe)
            status, message = "ok", ""
        except probes.BadReturn as error:
            status, message = "bad_return", str(error)
        except BaseException as error:  # noqa: BLE001
            status, message = describe_error(error, package_dir, stub_dir)
        header = {
            "event": "result",
            "case": case_id,
            "status": status,
            "message": message,
            "notes": probe.notes,
            "seconds": round(time.perf_counter() - started, 6),
        }
        try:
            payload = npzio.pack(probe.outputs) if status == "ok" else b""
        except BaseException as error:  # noqa: BLE001 - e.g. MemoryError while packing
            header.update(status="error", message=f"could not send the results: {error!r}")
            payload = b""
        channel.send(header, payload)
    channel.send({"event": "done", "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip atexit handlers and finalizers a submission may have registered


if __name__ == "__main__":
    main()
