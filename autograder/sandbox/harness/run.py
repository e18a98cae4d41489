"""The sandboxed side of grading: import a submission, run the probes, send back plain data.

Usage (by autograder/sandbox.py only): python -I -S -B run.py STAGE_DIR CHANNEL_FD CONTROL_FD

STAGE_DIR holds ``plan.json``, the inputs of each phase (``inputs-<n>.bin``, see npzio.pack; the
grader writes phase n's file only when the harness asks for it), ``submission/`` (the six modules
as a package), ``stubs/`` (the starter's six modules as a package of their own) and ``harness/``.
Results go to the parent as frames on CHANNEL_FD: one JSON line, then as many payload bytes as the
line announces (the outputs, in npzio.pack's format). The grader answers a request for the next
phase's inputs with one byte on CONTROL_FD once it has written them.

Before any submission code runs, the harness confines itself (confine.py: Landlock, a seccomp
filter, no new privileges, as the plan says) and, when the grader is root, drops to the sandbox's
own uid.

This file and probes.py run in the same process as submission code, so nothing here is trusted:
the parent validates every frame and compares every value itself. This code only needs the
standard library and NumPy, and must not import anything from the rest of the grader.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "submission"
STUBS = "stubs"
# What graded code may import: the standard library and NumPy. Anything else imports as a
# placeholder that fails, with the rule, when it is used (see ImportPolicy).
ALLOWED_PACKAGES = frozenset(sys.stdlib_module_names) | {"numpy", PACKAGE, STUBS}
# The harness's own modules: imported before any submission code, then out of sys.modules and off
# sys.path, so that graded code cannot import them (standins holds correct forward passes).
HARNESS_MODULES = ("npzio", "probes", "standins", "confine")
# Loaded before a plain uid drop (the process mode as root), when the interpreter's own files may
# become unreadable: NumPy and the standard modules graded code commonly uses.
PRELOAD = (
    "npzio", "probes", "standins", "confine", "zipfile", "struct", "io", "ctypes", "resource",
    "numpy", "numpy.linalg", "numpy.random", "encodings.idna", "linecache", "tokenize", "secrets",
    "abc", "bisect", "collections", "contextlib", "copy", "dataclasses", "enum", "functools", "heapq",
    "inspect", "itertools", "json", "logging", "math", "numbers", "operator", "random", "re", "statistics",
    "string", "textwrap", "time", "types", "typing", "warnings", "weakref",
)


class HarnessError(RuntimeError):
    """The harness cannot go on (the grader sees the child end and says so)."""


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


# ----------------------------------------------------------------------------------------------
# What a student sees of an error
# ----------------------------------------------------------------------------------------------


def describe_error(error: BaseException, package_dir: str, stub_dir: str) -> tuple[str, str]:
    """(status, message) for an exception raised by submission code, showing only its own frames.
    The status is one the grader's channel knows (sandbox/channel.py: Status)."""
    if isinstance(error, NotImplementedError):
        return "not_implemented", str(error) or "NotImplementedError"
    if isinstance(error, SystemExit):
        return "error", f"your code called sys.exit({error.code!r}); a module must not exit the program"
    if isinstance(error, MemoryError):
        return "out_of_memory", "MemoryError: your code ran out of memory (the sandbox has a memory limit)"
    if isinstance(error, PermissionError) and "Operation not permitted" in str(error) and _started_process(error):
        return "error", (
            "your code tried to start another process (subprocess, os.fork, os.system or multiprocessing); "
            "graded code runs in one process and may not start others"
        )
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
    if lines:
        return "error", summary + "\n" + "\n".join(["Traceback (your code only):", *lines])
    return "error", summary


def _started_process(error: BaseException) -> bool:
    names = {frame.name for frame in traceback.extract_tb(error.__traceback__)}
    return bool(names & {"fork", "_execute_child", "_fork_exec", "system", "spawnv", "posix_spawn", "_launch", "Popen", "_posixsubprocess"})


# ----------------------------------------------------------------------------------------------
# Imports: the standard library and NumPy, nothing else
# ----------------------------------------------------------------------------------------------


def unavailable_message(name: str) -> str:
    return (
        f"{name} is not available when your code is graded: graded code may use only the Python "
        "standard library and NumPy. Remove the import, or do this with NumPy."
    )


class Unavailable:
    """Stands for a name from a package graded code may not use; using it fails with the rule."""

    def __init__(self, package: str, name: str):
        object.__setattr__(self, "_package", package)
        object.__setattr__(self, "_name", name)

    def _fail(self, *args, **kwargs):
        raise ImportError(unavailable_message(self._package))

    __call__ = __array__ = __iter__ = __len__ = __getitem__ = __enter__ = _fail
    __add__ = __radd__ = __mul__ = __rmul__ = __sub__ = __rsub__ = __truediv__ = __matmul__ = _fail

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return Unavailable(self._package, f"{self._name}.{attribute}")

    def __repr__(self):
        return f"<{self._name}: not available when grading>"


class UnavailableModule(types.ModuleType):
    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return Unavailable(self.__name__.split(".")[0], f"{self.__name__}.{attribute}")


class ImportPolicy(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of packages other than the standard library and NumPy succeed with a placeholder:
    an unused import costs nothing, and a graded function that uses one fails with a message that
    names the package and the rule. The same in every isolation mode, whatever is installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in ALLOWED_PACKAGES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = UnavailableModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


# ----------------------------------------------------------------------------------------------
# The submission
# ----------------------------------------------------------------------------------------------


def load_package(name: str, folder: str):
    spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
    if spec is None or spec.loader is None:
        raise HarnessError(f"no package {name} in {folder}")
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


def load_stub(module: str):
    """The starter's ``module`` from the stubs package (whose own imports are stubs too), put in
    the submission's place, so it never depends on what the student's other modules hold."""
    stub = importlib.import_module(f"{STUBS}.{module}")
    sys.modules[f"{PACKAGE}.{module}"] = stub
    setattr(sys.modules[PACKAGE], module, stub)
    return stub


def import_submission(names: list[str], stubbed: set[str], channel: Channel, package_dir: str, stub_dir: str):
    """Import the modules ``names`` (in the plan's order, each after those it imports); a module
    that fails to import is replaced by its starter stub."""
    load_package(PACKAGE, package_dir)
    load_package(STUBS, stub_dir)
    modules = {}
    for module in names:
        if module in stubbed:
            modules[module] = load_stub(module)
            continue
        channel.send({"event": "start", "case": f"import:{module}"})
        try:
            if f"{PACKAGE}.{module}" in sys.modules:  # already pulled in by an earlier module's imports
                modules[module] = sys.modules[f"{PACKAGE}.{module}"]
            else:
                modules[module] = importlib.import_module(f"{PACKAGE}.{module}")
            channel.send({"event": "import", "module": module, "status": "ok"})
        except BaseException as error:  # noqa: BLE001 - a submission may raise anything, even SystemExit
            sys.modules.pop(f"{PACKAGE}.{module}", None)
            status, message = describe_error(error, package_dir, stub_dir)
            channel.send({"event": "import", "module": module, "status": status, "message": message})
            modules[module] = load_stub(module)
    return modules


# ----------------------------------------------------------------------------------------------
# Confinement and privileges
# ----------------------------------------------------------------------------------------------


def confine_self(settings: dict, identity: dict | None) -> None:
    """Apply what the plan asks for, in the order the kernel needs, before NumPy starts a thread
    and before any submission code runs: no new privileges, Landlock, the uid drop, seccomp."""
    settings = settings or {}
    landlock, seccomp = settings.get("landlock"), settings.get("seccomp")
    if not (landlock or seccomp or identity):
        return  # nothing to apply (a platform without these, say macOS)
    import confine  # next to this file

    if landlock or seccomp:
        confine.set_no_new_privs()
    if landlock:
        confine.restrict_filesystem_and_more(
            landlock["read_exec"], landlock["read_only"], landlock["list_only"], landlock["read_write"],
            minimum_abi=landlock.get("minimum_abi", 1),
        )
    if identity:
        drop_privileges(identity, keep_read_search=bool(landlock) and identity.get("keep_read_search", False))
    if seccomp:
        confine.install_seccomp_filter()


def drop_privileges(identity: dict, keep_read_search: bool) -> None:
    uid, gid = identity["uid"], identity["gid"]
    if keep_read_search:
        import confine

        confine.keep_read_search_capability_after_setuid(uid, gid)
    else:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise HarnessError("could not drop privileges")


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------


def wait_for_phase(channel: Channel, control_fd: int, number: int, stage: str, npzio) -> dict:
    """Ask the grader for phase ``number``'s inputs and wait until it has written them."""
    sys.stdout.flush()
    sys.stderr.flush()
    channel.send({"event": "phase", "number": number})
    if os.read(control_fd, 1) != b"1":
        raise HarnessError("the grader did not send the next phase")
    with open(os.path.join(stage, f"inputs-{number}.bin"), "rb") as inputs_file:
        return npzio.unpack(inputs_file.read())


def run_case(case: dict, inputs: dict, hung: set, channel: Channel, probes, npzio, package_dir: str, stub_dir: str, modules) -> None:
    case_id = case["id"]
    channel.send({"event": "start", "case": case_id})
    describe = lambda error: describe_error(error, package_dir, stub_dir)  # noqa: E731
    probe = probes.Probe(
        case["args"], inputs, prefix=f"{case_id}/", hung=hung,
        announce=lambda label: channel.send({"event": "call", "label": label}), describe=describe,
    )
    started = time.perf_counter()
    try:
        probes.PROBES[case["kind"]](modules, probe)
        status, message = "ok", ""
    except probes.BadReturn as error:
        status, message = "bad_return", str(error)
    except probes.Hung as error:
        status, message = "hung", str(error)
    except BaseException as error:  # noqa: BLE001
        status, message = describe(error)
    header = {
        "event": "result",
        "case": case_id,
        "status": status,
        "message": message,
        "notes": probe.notes,
        "function": probe.last_call,
        "seconds": round(time.perf_counter() - started, 6),
    }
    try:
        payload = npzio.pack(probe.outputs)
    except BaseException as error:  # noqa: BLE001 - e.g. MemoryError while packing
        header.update(status="error", message=f"could not send the results: {error!r}")
        payload = b""
    channel.send(header, payload)


def main() -> None:
    stage, channel_fd, control_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    channel = Channel(channel_fd)
    sys.dont_write_bytecode = True
    with open(os.path.join(stage, "plan.json")) as plan_file:
        plan = json.load(plan_file)
    sys.path[:0] = [HERE, *plan.get("library_path", [])]
    if plan.get("drop_to") and not (plan.get("confine") or {}).get("landlock"):
        # A plain uid drop (process mode) may leave the interpreter's files unreadable: load what
        # graded code is likely to import while they still are.
        for name in PRELOAD:
            importlib.import_module(name)
    confine_self(plan.get("confine"), plan.get("drop_to"))
    import npzio  # the archive format, next to this file
    import probes  # the probe functions, next to this file

    for name in HARNESS_MODULES:
        sys.modules.pop(name, None)
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != HERE]
    sys.meta_path.insert(0, ImportPolicy())
    package_dir = os.path.join(stage, PACKAGE)
    stub_dir = os.path.join(stage, STUBS)
    channel.send({"event": "ready", "uid": os.getuid(), "pid": os.getpid()})
    modules = import_submission(plan["modules"], set(plan["stubbed"]), channel, package_dir, stub_dir)
    hung = set(plan.get("hung", ()))
    inputs, phase = {}, None
    for case in plan["cases"]:
        if case["phase"] != phase:
            phase = case["phase"]
            inputs = wait_for_phase(channel, control_fd, phase, stage, npzio)
        run_case(case, inputs, hung, channel, probes, npzio, package_dir, stub_dir, modules)
    sys.stdout.flush()
    sys.stderr.flush()
    import resource

    channel.send({"event": "done", "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
    os._exit(0)  # skip atexit handlers and finalizers a submission may have registered


if __name__ == "__main__":
    try:
        main()
    except HarnessError as error:
        sys.exit(f"harness: {error}")
