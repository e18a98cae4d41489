"""Hostile submissions for the sandbox tests, each with what it must (not) achieve.

Every attack is a whole submission: solution/ (an honest, full-marks student) or starter/ (nothing
implemented) with code added at module level or whole functions replaced (tests/fairness/build.py
does the replacing by name, with ast, so an edit that no longer applies fails loudly).

An attack reports what it managed through what it prints: ``LEAKED <what>`` for something it read,
``WROTE <what>`` for something it changed outside its sandbox, ``REACHED <what>`` for a process or
address it reached, and ``DENIED <what>`` when it was stopped. The tests then check the grader's
outputs, the machine (files left behind, processes, a listener's log) and the scores.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from fairness.build import fill
from autograder.kit import MODULES

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Context:
    """What an attacker is assumed to know: where the kit, the batch and the output live (a
    student can guess them, or read them from the command line of a process it can see)."""

    batch: Path
    out: Path
    tcp_port: int
    udp_port: int
    token: str  # names files an attack leaves, so the test can look for them
    stages: Path = Path("/tmp")  # where the grader makes its sandboxes' stages (its TMPDIR)


@dataclass
class Attack:
    name: str
    base: str  # "solution" or "starter"
    top: dict[str, str] = field(default_factory=dict)  # module -> code run at import (after its imports)
    functions: dict[str, tuple[str, str]] = field(default_factory=dict)  # qualname -> (module, new definition)
    broken: tuple[str, ...] = ()  # modules that must lose points (with base "solution"); others keep all
    may_lose: tuple[str, ...] = ()  # modules that may lose points, depending on the mode
    safe_modes_only: bool = False  # the process mode does not promise to stop it (and it could harm the test)
    raw: dict[str, bytes] = field(default_factory=dict)  # module file -> bytes, replacing the module whole

    def build(self, context: Context) -> Path:
        target = context.batch / self.name
        target.mkdir(parents=True)
        for module in MODULES:
            if f"{module}.py" in self.raw:
                (target / f"{module}.py").write_bytes(self.raw[f"{module}.py"])
                continue
            functions = {name: format_code(text, context) for name, (where, text) in self.functions.items() if where == module}
            source = (ROOT / self.base / f"{module}.py").read_text()
            code = fill(source, functions, format_code(self.top.get(module, ""), context), where=f"{self.name}: {module}.py")
            (target / f"{module}.py").write_text(code)
        return target


def format_code(code: str, context: Context) -> str:
    """Attack code with the context filled in (``{ROOT}``, ``{BATCH}``, ``{OUT}``, ...)."""
    replacements = {
        "{ROOT}": repr(str(ROOT)), "{BATCH}": repr(str(context.batch)), "{OUT}": repr(str(context.out)),
        "{TCP}": str(context.tcp_port), "{UDP}": str(context.udp_port), "{TOKEN}": context.token,  # hex: safe in names
        "{STAGES}": repr(str(context.stages)),
    }
    code = textwrap.dedent(code)
    for key, value in replacements.items():
        code = code.replace(key, value)
    return code


# A helper every reading attack shares: try to read a file, print what happened.
TRY_READ = """
import os as _os
def _try_read(path, what):
    try:
        with open(path, "rb") as handle:
            handle.read(16)
        print("LEAKED", what, flush=True)
        return True
    except OSError as error:
        print("DENIED", what, type(error).__name__, flush=True)
        return False
"""

ATTACKS = [
    # -- reading what it must not -------------------------------------------------------------
    Attack("reads_the_kit", "starter", top={"util": TRY_READ + """
for _relative in ("solution/activations.py", "autograder/reference/hidden/loss.npz", "autograder/reference/fresh/loss.npz",
                  "autograder/checks/test_loss.py", "autograder/rubric.toml"):
    _try_read(_os.path.join({ROOT}, _relative), _relative)
try:
    print("LEAKED kit listing", sorted(_os.listdir({ROOT})), flush=True)
except OSError as _error:
    print("DENIED kit listing", flush=True)
"""}),
    Attack("imports_the_solution", "starter", top={"activations": """
import sys as _sys
_sys.path[:0] = [{ROOT}, "/autograder/source"]
try:
    from solution.activations import Sigmoid as _Sigmoid
    import numpy as _np
    _Sigmoid().forward(_np.zeros((1, 1)))  # the real solution, not a placeholder the import rule gave
    print("LEAKED solution import", flush=True)
except Exception as _error:
    print("DENIED solution import", type(_error).__name__, flush=True)
"""}),
    Attack("reads_a_classmate", "starter", top={"util": TRY_READ + """
_try_read(_os.path.join({BATCH}, "honest_a", "activations.py"), "classmate's code")
_try_read(_os.path.join({OUT}, "honest_a", "results.json"), "classmate's results")
_try_read(_os.path.join({OUT}, "gradebook.csv"), "gradebook")
for _pid in {_os.getppid(), 1}:  # the grader's command line names the batch folder
    try:
        with open(f"/proc/{_pid}/cmdline", "rb") as _handle:
            _line = _handle.read().decode(errors="replace")
        _found = [_path for _path in ({BATCH}, {OUT}, {ROOT}) if _path in _line]
        print("LEAKED" if _found else "SAW", f"command line of {_pid}", _found, flush=True)
    except OSError as _error:
        print("DENIED command line of", _pid, type(_error).__name__, flush=True)
try:
    _stages = [name for name in _os.listdir({STAGES}) if name.startswith("nn-sandbox-")]
    for _stage in _stages:
        _try_read(_os.path.join({STAGES}, _stage, "submission", "activations.py"), "another sandbox's stage")
    print("LISTED the stages' folder", len(_stages), flush=True)
except OSError:
    print("DENIED the stages' folder", flush=True)
"""}),
    # -- writing what it must not ---------------------------------------------------------------
    Attack("writes_outside", "solution", safe_modes_only=True, top={"optimizer": """
import os as _os
for _path in (_os.path.join({OUT}, "gradebook.csv"), _os.path.join({OUT}, "honest_a", "results.json"),
              _os.path.join({ROOT}, "autograder", "report.py"), _os.path.join({ROOT}, "autograder", "rubric.toml"),
              f"/dev/shm/nn-attack-{TOKEN}", f"/var/tmp/nn-attack-{TOKEN}", f"/run/lock/nn-attack-{TOKEN}",
              f"/tmp/nn-attack-{TOKEN}"):
    try:
        with open(_path, "a") as _handle:
            _handle.write("# changed by a submission\\n")
        print("WROTE", _path, flush=True)
    except OSError as _error:
        print("DENIED", _path, type(_error).__name__, flush=True)
"""}),
    # -- acting on the grader and the machine ---------------------------------------------------
    Attack("signals_the_grader", "solution", safe_modes_only=True, may_lose=("model",), functions={"NeuralNetworkModel.predict": ("model", """
def predict(self, X):
    import os, signal
    for pid in {os.getppid(), 1} - {0, os.getpid()}:  # the grader, and init (not itself: pid 1 under bubblewrap)
        for number in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(pid, number)
                print("REACHED", pid, number, flush=True)
            except OSError as error:
                print("DENIED signal", pid, type(error).__name__, flush=True)
    try:
        os.kill(-1, signal.SIGSTOP)  # everything it may signal but itself: in a sandbox, nothing
        print("SIGSTOP to every process it may signal", flush=True)
    except OSError as error:
        print("DENIED signal -1", type(error).__name__, flush=True)
    return np.argmax(self.forward(X), axis=1)
""")}),
    Attack("starts_processes", "solution", safe_modes_only=True, functions={"SGD.step": ("optimizer", """
def step(self, layers):
    import os, subprocess
    try:
        subprocess.Popen(["sleep", "4323"], start_new_session=True)
        print("REACHED a new process", flush=True)
    except OSError as error:
        print("DENIED process", type(error).__name__, flush=True)
    try:
        if os.fork() == 0:
            os.setsid()
            import time
            time.sleep(4324)
            os._exit(0)
        print("REACHED a fork", flush=True)
    except OSError as error:
        print("DENIED fork", type(error).__name__, flush=True)
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            v = self.momentum * self.velocity.get((i, key), 0.0) + g
            self.velocity[(i, key)] = v
            p -= self.lr * v
""")}),
    Attack("starts_processes_at_import", "solution", safe_modes_only=True, broken=("model",), top={"model": """
import subprocess as _subprocess
_subprocess.Popen(["sleep", "4325"])
"""}),
    Attack("uses_the_network", "solution", safe_modes_only=True, top={"loss": """
import socket as _socket
try:
    _connection = _socket.create_connection(("127.0.0.1", {TCP}), timeout=2)
    _connection.sendall(b"LEAKED over tcp")
    print("REACHED tcp", flush=True)
except OSError as _error:
    print("DENIED tcp", type(_error).__name__, flush=True)
try:
    _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"LEAKED over udp", ("127.0.0.1", {UDP}))
    print("REACHED udp", flush=True)
except OSError as _error:
    print("DENIED udp", type(_error).__name__, flush=True)
"""}),
    Attack("makes_namespaces_and_mounts", "solution", safe_modes_only=True, top={"util": """
import ctypes as _ctypes, os as _os
_libc = _ctypes.CDLL(None, use_errno=True)
for _flags, _what in ((0x10000000 | 0x00020000, "a user and mount namespace"), (0x00020000, "a mount namespace")):
    if _libc.unshare(_flags) == 0:
        print("REACHED", _what, flush=True)
    else:
        print("DENIED", _what, _os.strerror(_ctypes.get_errno()), flush=True)
_target = _os.environ.get("TMPDIR", "/tmp")
if _libc.mount(b"none", _target.encode(), b"tmpfs", 0, None) == 0:
    print("REACHED a tmpfs mount", flush=True)
else:
    print("DENIED mount", _os.strerror(_ctypes.get_errno()), flush=True)
"""}),
    # -- resources ------------------------------------------------------------------------------
    Attack("fills_memory_files", "solution", may_lose=("loss",), safe_modes_only=True, functions={"MSELoss.forward": ("loss", """
def forward(self, Y, Y_hat):
    import os
    block = b"x" * (1 << 20)
    for folder in ("/dev/shm", "/tmp", os.environ.get("TMPDIR", "/tmp")):
        try:
            with open(os.path.join(folder, "nn-hoard-{TOKEN}"), "wb") as handle:
                for _ in range(64):  # 64 MiB each: over every limit on files and on tmpfs
                    handle.write(block)
            print("WROTE 64 MiB in", folder, flush=True)
        except OSError as error:
            print("DENIED", folder, type(error).__name__, flush=True)
    m = Y.shape[0]
    return float(np.sum((Y - Y_hat) ** 2) / m)
""")}),
    Attack("loops_forever", "solution", broken=("util",), functions={"one_hot": ("util", """
def one_hot(labels, num_classes=None):
    while True:
        pass
""")}),
    Attack("sleeps_forever", "solution", broken=("model",), functions={"NeuralNetworkModel.predict": ("model", """
def predict(self, X):
    import time
    time.sleep(10 ** 6)
""")}),
    Attack("memory_blow_up", "solution", broken=("activations",), functions={"Sigmoid.forward": ("activations", """
def forward(self, Z):
    hoard = []
    while True:
        hoard.append(np.ones(1 << 24))
""")}),
    Attack("output_flood", "solution", top={"loss": """
import os as _os
for _ in range(50):
    _os.write(1, b"flood " * 200_000)
print("x" * 10_000_000)
"""}),
    Attack("huge_results", "solution", broken=("activations",), functions={"TanH.forward": ("activations", """
def forward(self, Z):
    return np.ones((700, 700))
""")}),
    Attack("exit_at_import", "solution", broken=("activations",), top={"activations": "import sys as _sys\n_sys.exit(3)\n"}),
    Attack("os_exit_at_import", "solution", broken=("layers",), top={"layers": "import os as _os\n_os._exit(7)\n"}),
    Attack("forged_frames", "solution", broken=("util",), top={"util": """
import json as _json, os as _os, sys as _sys
_channel = int(_sys.argv[2])
for _number in range(20):  # 80 MiB in all: over the grader's budget for one launch
    _payload = b"x" * (4 << 20)
    _header = {"event": "result", "case": f"junk{_number}", "status": "ok", "payload": len(_payload)}
    _os.write(_channel, _json.dumps({"event": "start", "case": f"junk{_number}"}).encode() + b"\\n")
    _os.write(_channel, _json.dumps(_header).encode() + b"\\n" + _payload)
"""}),
    Attack("monkeypatched_numpy", "solution", broken=("loss",), top={"loss": """
import numpy as _np
_np.allclose = lambda *a, **k: True
_np.array_equal = lambda *a, **k: True
_np.isfinite = lambda x: _np.ones(_np.shape(x), bool)
"""}, functions={"MSELoss.forward": ("loss", "def forward(self, Y, Y_hat):\n    return 123.0\n")}),
    Attack("equal_to_anything", "solution", broken=("activations",), top={"activations": """
class _Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *args, **kwargs): return np.zeros((1, 1))
"""}, functions={"ReLU.forward": ("activations", "def forward(self, Z):\n    return _Anything()\n")}),
    Attack("prints_what_it_is_given", "solution", functions={"Sigmoid.forward": ("activations", """
def forward(self, Z):
    print("INPUT", np.array2string(Z.ravel(), precision=6, separator=",", max_line_width=10**6), flush=True)
    return 1.0 / (1.0 + np.exp(-Z))
""")}),
    # -- what the sandbox reports about itself ----------------------------------------------------
    Attack("forges_observations", "starter", top={"util": """
import sys as _sys
_probes = _sys.modules.get("probes")
if _probes is not None:
    def _forged(nn, p):  # every property "holds": inputs recorded unchanged, nothing called
        for _name, _value in list(p._inputs.items()):
            if _name.startswith(p._prefix + "in/"):
                _short = _name[len(p._prefix) + 3:]
                for _label in p.args.get("functions", ["one_hot", "DataLoader", "FullyConnectedLayer.forward"]):
                    p.outputs[f"{_label}/{_short}"] = _value
                p.outputs[_short] = _value
    for _kind in list(_probes.PROBES):
        if "inputs_unchanged" in _kind or "in_place" in _kind or "vectorised" in _kind or "shapes" in _kind:
            _probes.PROBES[_kind] = _forged
"""}),
    Attack("vectorised_by_recursion", "solution", broken=("activations",), functions={"Sigmoid.forward": ("activations", """
def forward(self, Z):
    import sys
    sys.settrace(None)
    if len(Z) == 0:
        return Z.copy()
    return np.vstack([1.0 / (1.0 + np.exp(-Z[:1])), self.forward(Z[1:])])
""")}),
]

# Modules given as raw bytes: what the grader reads must be what Python runs, and its own work on
# the source must stay bounded.
_UTF7 = (ROOT / "solution" / "activations.py").read_text().replace(
    "        return 1.0 / (1.0 + np.exp(-Z))", "        return np.array([[1.0 / (1.0 + np.exp(-z)) for z in row] for row in Z])", 1)
_PADDED = (ROOT / "solution" / "util.py").read_text() + "\n" + ("#" + "x" * 78 + "\n") * 14_000  # about 1.1 MiB
_MANY = (ROOT / "solution" / "loss.py").read_text() + "\n" + "".join(f"def helper_{i}(x):\n    return helper_{i + 1}(x)\n" for i in range(3000)) + "def helper_3000(x):\n    return x\n"
ATTACKS += [
    Attack("declares_utf7", "solution", broken=("activations",), raw={"activations.py": b"# -*- coding: utf-7 -*-\n" + _UTF7.encode()}),
    Attack("padded_module", "solution", broken=("util",), raw={"util.py": _PADDED.encode()}),
    Attack("thousands_of_helpers", "solution", raw={"loss.py": _MANY.encode()}),
]

# From the adversarial review: the grader's own protocol, calls Landlock does not govern, and
# text made to pass for the grader's.
ATTACKS += [
    # Forge the end of util.py's import, then ask for the fresh and hidden inputs before any public
    # test ran (a public test's message is shown at once).
    Attack("asks_for_later_inputs_early", "solution", top={"util": """
import json as _json, os as _os, select as _select, sys as _sys
def _ask_early():
    channel, control = int(_sys.argv[2]), int(_sys.argv[3])
    def send(header):
        _os.write(channel, _json.dumps(dict(header, payload=0)).encode() + b"\\n")
    send({"event": "import", "module": "util", "status": "ok"})
    for number in (2, 1):
        send({"event": "phase", "number": number})
    ready, _, _ = _select.select([control], [], [], 2.0)
    if ready and _os.read(control, 1) == b"1":
        print("REACHED later inputs:", sorted(n for n in _os.listdir(_sys.argv[1]) if n.startswith("inputs")), flush=True)
    else:
        print("DENIED later inputs", flush=True)
_ask_early()
"""}),
    # In a fresh twin (whose verdict a visible test shows), raise an error carrying every input
    # the probe holds: the fresh ones, and the hidden ones had they been there.
    Attack("leaks_through_the_fresh_twin", "solution", broken=("activations",), functions={"Sigmoid.forward": ("activations", """
def forward(self, Z):
    import sys
    frame = sys._getframe(1)
    while frame is not None and not hasattr(frame.f_locals.get("p") or frame.f_locals.get("probe"), "_inputs"):
        frame = frame.f_back
    probe = frame and (frame.f_locals.get("p") or frame.f_locals.get("probe"))
    if probe is not None and not probe._prefix.startswith("public:"):
        leaked = [np.array2string(value.ravel(), precision=6, separator=",", max_line_width=10**6)
                  for key, value in probe._inputs.items() if "activations.sigmoid_forward/" in key]
        raise ValueError("LEAK " + " ".join(leaked))
    return 1.0 / (1.0 + np.exp(-Z))
""")}),
    # Text made to pass for the grader's own lines in the feedback and the class report.
    Attack("forges_report_lines", "solution", broken=("activations",), functions={"Sigmoid.forward": ("activations", """
def forward(self, Z):
    raise ValueError(
        "nothing\\n"
        "likely cause: the reference for Sigmoid is wrong this term (regrade everyone to full marks)\\n"
        "your code used more than 1024 MiB of memory in all its processes\\n"
        "TOTAL                                               100 / 100"
    )
""")}),
    # Starter code whose forward passes borrow the harness's correct ones.
    Attack("borrows_the_harness_forwards", "starter", functions={
        f"{name}.forward": ("activations", f"""
def forward(self, Z):
    return __import__("standins").FORWARDS["{name}"](self, Z)
""") for name in ("Sigmoid", "TanH", "ReLU", "SoftMax")}),
    # Say model.py's import is done, then never finish it: only model.py may pay, once.
    Attack("sleeps_after_reporting_its_import", "solution", broken=("model",), top={"model": """
import json as _json, os as _os, sys as _sys, time as _time
_os.write(int(_sys.argv[2]), _json.dumps({"event": "import", "module": "model", "status": "ok", "payload": 0}).encode() + b"\\n")
while True:
    _time.sleep(60)
"""}),
    # Landlock governs neither a file's mode nor another process's limits or scheduling: as a
    # normal user the sandbox shares the grader's uid. Each try here is harmless if it works.
    Attack("changes_what_the_grader_owns", "solution", safe_modes_only=True, top={"util": """
import os as _os, sys as _sys
for _path in (_os.path.join({BATCH}, "honest_b"), {OUT}, _sys.argv[1]):
    try:
        _os.chmod(_path, _os.stat(_path).st_mode & 0o7777)  # its own mode again: harmless, but allowed?
        print("WROTE mode of", _path, flush=True)
    except OSError as _error:
        print("DENIED chmod", _path, type(_error).__name__, flush=True)
"""}),
    Attack("acts_on_the_grader", "solution", top={"util": """
import fcntl as _fcntl, os as _os, resource as _resource, sys as _sys
def _act():
    parent = _os.getppid()
    if parent <= 1:  # under bubblewrap the harness is pid 1: no grader to be seen
        print("DENIED no grader in sight", flush=True)
        return
    tries = {
        "prlimit": lambda: _resource.prlimit(parent, _resource.RLIMIT_CORE, (0, 0)),
        "setpriority": lambda: _os.setpriority(_os.PRIO_PROCESS, parent, _os.getpriority(_os.PRIO_PROCESS, parent)),
        "sched_setaffinity": lambda: _os.sched_setaffinity(parent, _os.sched_getaffinity(parent)),
        "F_SETOWN": lambda: _fcntl.fcntl(int(_sys.argv[2]), _fcntl.F_SETOWN, parent),
    }
    for what, action in tries.items():
        try:
            action()
            print("REACHED", what, "on the grader", flush=True)
        except OSError as error:
            print("DENIED", what, type(error).__name__, flush=True)
_act()
"""}),
    Attack("holds_memfds", "solution", top={"util": """
import os as _os
_held = []
try:
    for _number in range(8):
        _held.append(_os.memfd_create(f"held{_number}"))
        _os.write(_held[-1], b"x" * (1 << 20))
    print("REACHED", len(_held), "MiB in memfds", flush=True)
except OSError as _error:
    print("DENIED memfd", type(_error).__name__, flush=True)
"""}),
    # Files removed while open keep their blocks, but no folder shows them.
    Attack("holds_deleted_files", "solution", may_lose=("util",), functions={"one_hot": ("util", """
def one_hot(labels, num_classes=None):
    import os, tempfile, time
    held = []
    try:
        for number in range(48):
            path = os.path.join(tempfile.gettempdir(), f"held{number}")
            descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.unlink(path)
            held.append(descriptor)
            os.write(descriptor, b"x" * (1 << 20))
    except OSError as error:
        print("DENIED removed files after", len(held), "MiB:", type(error).__name__, flush=True)
    else:
        time.sleep(5)
        print("REACHED 48 MiB in removed files", flush=True)
    for descriptor in held:
        os.close(descriptor)
    labels = np.asarray(labels)
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    return np.eye(num_classes)[labels]
""")}),
    Attack("thousands_of_threads", "solution", top={"util": """
import threading as _threading
def _threads():
    _threading.stack_size(64 << 10)
    release, started = _threading.Event(), []
    try:
        for _ in range(1000):
            thread = _threading.Thread(target=release.wait, daemon=True)
            thread.start()
            started.append(thread)
    except (RuntimeError, MemoryError) as error:
        print("DENIED threads after", len(started), type(error).__name__, flush=True)
    release.set()
    for thread in started:
        thread.join()
    if len(started) >= 200:
        print("REACHED", len(started), "threads at once", flush=True)
_threads()
"""}),
]

BY_NAME = {attack.name: attack for attack in ATTACKS}
