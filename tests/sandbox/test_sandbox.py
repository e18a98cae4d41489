"""The sandbox keeps its promise in every mode it offers, as root and as a normal user.

Each safe mode (bubblewrap, Landlock) grades one batch of hostile submissions (tests/attacks.py)
next to two honest classmates with --jobs 2, once as root and once as a normal user made for the
test, and the tests then check what a person would: the grader finished and graded everyone; the
classmates got exactly what they get alone; each attack earned only what its own code earns; it
read nothing of the kit, the output or the other submissions, wrote nothing outside its sandbox,
reached no process and no address, left no file and no process behind; what it printed while
hidden inputs were in the sandbox is not shown before publication. The process mode, which
promises only resource limits, grades the attacks it can survive and must say it is unsafe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import attacks
from grader_support import ROOT, comparable, failed_outputs, gradebook, isolations, mode_available, module_maxima, results, solution_with
from users import IS_ROOT, Identity, normal_user_fixture, open_ancestors_for_others, restore_modes

pytestmark = pytest.mark.slow

GRADER_FILES = sorted([*(ROOT / "autograder").glob("*.py"), ROOT / "autograder" / "rubric.toml", *(ROOT / "solution").glob("*.py")])
SHARED_SCRATCH = ("/dev/shm", "/var/tmp", "/run/lock", "/tmp")


@pytest.fixture(scope="session")
def normal_user():
    yield from normal_user_fixture()


@pytest.fixture(scope="session")
def reachable_kit(normal_user):
    """A normal user can run the kit's interpreter and read the kit (a pyenv under /root is
    otherwise out of its reach); restored afterwards."""
    if not IS_ROOT:
        yield
        return
    handle = open_ancestors_for_others([os.path.realpath(sys.executable), ROOT])
    yield
    restore_modes(handle)


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 that log whatever reaches them."""

    def __init__(self):
        self.received: list[bytes] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.tcp.accept()
                self.received.append(b"tcp connection " + connection.recv(100))
                connection.close()
            except OSError:
                pass
            try:
                self.received.append(b"udp " + self.udp.recv(100))
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.tcp.close()
        self.udp.close()


@dataclass
class Graded:
    mode: str
    who: str
    out: Path
    alone: Path
    completed: subprocess.CompletedProcess
    attacks: list
    context: attacks.Context
    listener: Listener
    grader_hashes_before: dict
    scratch_before: set
    outlived: list  # processes the grading runs started that outlived them (tests/outlived.py)
    own_tmp: Path  # the grading runs' TMPDIR, where their sandboxes' stages go


def hashes(paths) -> dict:
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def scratch_entries() -> set[str]:
    found = set()
    for folder in SHARED_SCRATCH:
        try:
            found |= {f"{folder}/{name}" for name in os.listdir(folder)}
        except OSError:
            pass
    return found


def run_grader(identity: Identity, arguments: list[str], env: dict | None = None, timeout: float = 900,
               outlived: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m autograder grade ARGUMENTS`; with ``outlived``, under tests/outlived.py, which
    writes there the processes the run started that outlived it."""
    command = [sys.executable, "-m", "autograder", "grade", *arguments]
    if outlived is not None:
        command = [sys.executable, str(ROOT / "tests" / "outlived.py"), str(outlived), *command]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, **identity.popen_options())


def grade_hostile_batch(base: Path, mode: str, identity: Identity) -> Graded:
    if identity.uid is not None:
        os.chown(base, identity.uid, identity.gid)
    batch, out, own_tmp = base / "batch", base / "out", base / "tmp"
    # The stages' folder must be reachable (not listable) by the sandbox's uid, as /tmp is.
    own_tmp.mkdir(mode=0o711)
    os.chmod(base, 0o711)
    listener = Listener()
    context = attacks.Context(batch, out, listener.tcp.getsockname()[1], listener.udp.getsockname()[1], uuid.uuid4().hex[:12], own_tmp)
    chosen = [attack for attack in attacks.ATTACKS if mode != "process" or not attack.safe_modes_only]
    for attack in chosen:
        attack.build(context)
    for name in ("honest_a", "honest_b"):
        solution_with(batch / name)
    if identity.uid is not None:
        for path in [base, *base.rglob("*")]:
            os.chown(path, identity.uid, identity.gid)
    before, scratch = hashes(GRADER_FILES), scratch_entries()
    options = ["--batch", "--jobs", "2", "--isolation", mode, "--timeout", "300"]
    # A locale that cannot encode what submissions print must not crash the reports. The stages go
    # to a TMPDIR of this test's own, so that another grader on the machine cannot pass for ours.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    env.update(LANG="C", LC_ALL="C", TMPDIR=str(own_tmp))
    completed = run_grader(identity, [str(batch), "--out", str(out), *options], env=env, outlived=base / "outlived-batch.json")
    alone = run_grader(identity, [str(batch / "honest_a"), "--out", str(base / "alone"), "--isolation", mode],
                       env={**os.environ, "TMPDIR": str(own_tmp)}, outlived=base / "outlived-alone.json")
    assert alone.returncode == 0, alone.stderr[-3000:]
    outlived = [*json.loads((base / "outlived-batch.json").read_text()), *json.loads((base / "outlived-alone.json").read_text())]
    return Graded(mode, identity.name, out, base / "alone", completed, chosen, context, listener, before, scratch, outlived, own_tmp)


def hostile_params():
    params = []
    for mode in ("bubblewrap", "landlock", "process"):
        available, reason = mode_available(mode)
        for who in ("root", "user"):
            marks = [pytest.mark.skipif(not available, reason=reason)]
            if who == "root":
                marks.append(pytest.mark.skipif(not IS_ROOT, reason="the tests do not run as root here"))
            params.append(pytest.param((mode, who), marks=marks, id=f"{mode}-{who}"))
    return params


@pytest.fixture(scope="module", params=hostile_params())
def graded(request, tmp_path_factory, normal_user, reachable_kit):
    mode, who = request.param
    identity = Identity("root", None, None) if who == "root" else normal_user
    # Outside pytest's own folder (mode 700, root's): the normal user owns this one.
    base = Path(tempfile.mkdtemp(prefix=f"nn-hostile-{mode}-{who}-"))
    try:
        result = grade_hostile_batch(base, mode, identity)
        yield result
        result.listener.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def everything_printed(document: dict) -> str:
    return "\n".join([document["output"], *(test["output"] for test in document["tests"])])


def visible_text(document: dict) -> str:
    return "\n".join([document["output"], *(test["output"] for test in document["tests"] if test["visibility"] == "visible")])


# ------------------------------------------------------------------------------------------------
# Every mode
# ------------------------------------------------------------------------------------------------


def test_the_grader_finishes_and_grades_everyone(graded):
    assert graded.completed.returncode == 0, graded.completed.stderr[-3000:]
    assert set(gradebook(graded.out)) == {attack.name for attack in graded.attacks} | {"honest_a", "honest_b"}


def test_honest_classmates_are_graded_exactly_as_when_alone(graded):
    for name in ("honest_a", "honest_b"):
        assert results(graded.out, name)["score"] == 100, failed_outputs(results(graded.out, name))
    assert comparable(results(graded.out, "honest_a")) == comparable(results(graded.alone, "honest_a"))


def test_each_attack_earns_only_what_its_own_code_earns(graded):
    book = gradebook(graded.out)
    for attack in graded.attacks:
        row = book[attack.name]
        if attack.base == "starter":
            if graded.mode == "process" and attack.name in ("reads_the_kit", "imports_the_solution", "reads_a_classmate"):
                continue  # the process mode hides no files: these are reported below, not stopped
            assert float(row["total"]) == 0, (attack.name, row, failed_outputs(results(graded.out, attack.name)))
            continue
        for module, maximum in module_maxima().items():
            score = float(row[module])
            if module in attack.broken:
                assert score < maximum, f"{attack.name} kept every point of {module}"
            elif module not in attack.may_lose:
                assert score == maximum, (attack.name, module, failed_outputs(results(graded.out, attack.name)))


def test_the_report_says_which_sandbox_and_whether_it_was_safe(graded):
    isolation = results(graded.out, "honest_a")["extra_data"]["isolation"]
    assert isolation.startswith(graded.mode + ":")
    if graded.mode == "process":
        assert "NOT SAFE" in isolation and "NOT safe" in graded.completed.stderr
    else:
        assert "NOT SAFE" not in isolation


def test_resource_attacks_are_stopped_with_a_message(graded):
    def text(name: str) -> str:
        return everything_printed(results(graded.out, name))

    assert "sys.exit(3)" in text("exit_at_import")
    assert "exit code 7" in text("os_exit_at_import")
    assert "ran past the time limit" in text("loops_forever") and "one_hot" in text("loops_forever")
    assert "hung in an earlier test" in text("loops_forever"), "later calls of a hung function are not made again"
    assert "ran past the time limit" in text("sleeps_forever") and "while sleeping or waiting" in text("sleeps_forever")
    assert "while computing" in text("loops_forever")
    assert "memory" in text("memory_blow_up").lower()
    assert "more data than any right answer needs" in text("forged_frames")
    assert "KiB of results" in text("huge_results")
    assert "expected a NumPy array" in text("equal_to_anything")
    assert "declares the encoding 'utf-7'" in text("declares_utf7")
    assert "larger than 256 KiB" in text("padded_module")
    flood = results(graded.out, "output_flood")
    assert len(flood["output"]) < 5000 and "flood" in flood["output"]
    held = text("holds_deleted_files")  # stopped by the grader's count, or a full tmpfs
    assert "REACHED" not in held and ("more than 16 MiB of files" in held or "DENIED removed files" in held), held[:2000]
    threads = text("thousands_of_threads")
    assert "REACHED" not in threads and "DENIED threads" in threads, threads[:2000]


def test_the_grader_blames_the_import_that_lied_about_finishing(graded):
    """model.py reports its own import done, then sleeps: model.py is stubbed after one limit,
    not every later test charged one by one until the whole submission runs out of time."""
    document = results(graded.out, "sleeps_after_reporting_its_import")
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["status"]
    assert "model.py could not be imported" in everything_printed(document)


def test_later_inputs_wait_for_the_earlier_cases(graded):
    """Forged frames get no phase's inputs early, and no fresh or hidden input (nor what the code
    raised while it held them) reaches a visible test."""
    from autograder.reference import load_references

    early = everything_printed(results(graded.out, "asks_for_later_inputs_early"))
    assert "DENIED later inputs" in early and "REACHED" not in early, early[:2000]
    visible = visible_text(results(graded.out, "leaks_through_the_fresh_twin"))
    shown = lambda array: np.array2string(array.ravel(), precision=6, separator=",", max_line_width=10**6)  # noqa: E731
    for variant in ("fresh", "hidden"):
        assert shown(load_references(variant)["activations.sigmoid_forward"].inputs["Z"]) not in visible, variant
    assert "LEAK" not in visible and "not on fresh inputs" in visible


def test_a_submission_cannot_write_the_graders_lines(graded):
    document = results(graded.out, "forges_report_lines")
    lines = everything_printed(document).splitlines()
    assert "| likely cause: the reference for Sigmoid is wrong this term (regrade everyone to full marks)" in lines
    assert not [line for line in lines if line.startswith(("likely cause: the reference", "TOTAL", "your code used more"))]
    report = (graded.out / "report.html").read_text(encoding="utf-8")
    assert "regrade everyone" not in report and "1024 MiB" not in report


def test_the_harness_forwards_are_out_of_reach(graded):
    """Starter code that imports the harness's correct forward passes earns nothing, and the
    import is listed for course staff."""
    document = results(graded.out, "borrows_the_harness_forwards")
    assert document["score"] == 0
    assert any("standins" in note and "course staff review" in note for note in document["extra_data"]["notes"])


def test_forged_observations_earn_nothing(graded):
    assert float(gradebook(graded.out)["forges_observations"]["total"]) == 0
    recursion = everything_printed(results(graded.out, "vectorised_by_recursion"))
    assert "recursion" in recursion


def test_nothing_a_submission_printed_during_hidden_tests_is_shown_before_publication(graded):
    """The submission prints every input it is given; no hidden or fresh input may appear in
    what students see at once, and they are all kept for after publication."""
    from autograder.reference import load_references

    document = results(graded.out, "prints_what_it_is_given")
    visible, later = visible_text(document), everything_printed(document)
    unshipped = [load_references(variant)["activations.sigmoid_forward"].inputs["Z"] for variant in ("hidden", "fresh")]
    public = load_references("public")["activations.sigmoid_forward"].inputs["Z"]
    shown = lambda array: np.array2string(array.ravel(), precision=6, separator=",", max_line_width=10**6)  # noqa: E731
    assert shown(public) in visible, "the public inputs it printed are shown (they are the students' own)"
    for array in unshipped:
        assert shown(array) not in visible
    assert any(shown(array) in later for array in unshipped), "kept for after publication (as far as the 16 KiB kept go)"
    assert any(test["visibility"] == "after_published" and "INPUT" in test["output"] for test in document["tests"])


def test_no_process_and_no_file_is_left_behind(graded):
    """Judged on what these grading runs started and wrote, not on the machine: the processes they
    left are those re-parented to tests/outlived.py, their stages live in a TMPDIR of their own,
    and every file an attack names carries the test's token."""
    assert graded.outlived == []
    assert list(graded.own_tmp.iterdir()) == [], "a sandbox's stage was left behind"
    token = graded.context.token
    assert not [entry for entry in scratch_entries() - graded.scratch_before if token in entry]


# ------------------------------------------------------------------------------------------------
# The safe modes
# ------------------------------------------------------------------------------------------------


def safe_only(graded):
    if graded.mode == "process":
        pytest.skip("the process mode does not promise this (its reports say so)")


def test_nothing_secret_is_read(graded):
    safe_only(graded)
    for name in ("reads_the_kit", "imports_the_solution", "reads_a_classmate"):
        printed = everything_printed(results(graded.out, name))
        assert "LEAKED" not in printed and "DENIED" in printed, (name, printed[:2000])
    assert not re.search(r"LISTED the stages' folder [1-9]", everything_printed(results(graded.out, "reads_a_classmate")))


def test_nothing_outside_the_sandbox_is_written(graded):
    safe_only(graded)
    printed = everything_printed(results(graded.out, "writes_outside"))
    wrote = re.findall(r"WROTE (\S+)", printed)
    if graded.mode == "bubblewrap":  # its /tmp is a tmpfs of its own, gone with it
        wrote = [path for path in wrote if not path.startswith("/tmp/")]
    assert wrote == [] and printed.count("DENIED") >= 7, printed[:3000]
    assert not Path(f"/tmp/nn-attack-{graded.context.token}").exists()
    assert hashes(GRADER_FILES) == graded.grader_hashes_before
    assert "changed by a submission" not in (graded.out / "gradebook.csv").read_text()
    assert "changed by a submission" not in (graded.out / "honest_a" / "results.json").read_text()
    fills = everything_printed(results(graded.out, "fills_memory_files"))
    assert "WROTE 64 MiB" not in fills, fills[:2000]


def test_no_process_address_or_namespace_is_reached(graded):
    safe_only(graded)
    for name in ("signals_the_grader", "starts_processes", "uses_the_network", "makes_namespaces_and_mounts",
                 "acts_on_the_grader", "holds_memfds"):
        printed = everything_printed(results(graded.out, name))
        assert "REACHED" not in printed and "DENIED" in printed, (name, printed[:2000])
    owned = everything_printed(results(graded.out, "changes_what_the_grader_owns"))
    assert "WROTE" not in owned and owned.count("DENIED chmod") == 3, owned[:2000]
    assert graded.listener.received == []
    assert "tried to start another process" in everything_printed(results(graded.out, "starts_processes_at_import"))


# ------------------------------------------------------------------------------------------------
# Choosing a mode, and what each promises
# ------------------------------------------------------------------------------------------------


def test_grading_untrusted_work_without_a_safe_sandbox_is_refused(tmp_path, monkeypatch, capsys):
    """Where neither bubblewrap nor Landlock works, grading stops before it starts and says how to
    go on; `check` (a student's own code) falls back by itself; --isolation process goes on."""
    from autograder import cli
    from autograder.sandbox import trial

    monkeypatch.setenv(trial.SKIP_VARIABLE, "bubblewrap,landlock")  # as on a machine without them
    submission = solution_with(tmp_path / "alice")
    assert cli.main(["grade", str(submission), "--out", str(tmp_path / "out"), "--public-only"]) == 2
    error = capsys.readouterr().err
    assert "no safe sandbox works on this machine" in error and "--isolation process" in error
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    assert cli.main(["grade", str(submission), "--out", str(tmp_path / "out"), "--public-only", "--isolation", "process"]) == 0
    assert "NOT safe" in capsys.readouterr().err
    assert trial.choose_isolation("auto", untrusted=False) == "process"


@pytest.mark.parametrize("mode", isolations(safe_only=True))
def test_the_sandbox_runs_as_a_uid_of_its_own_and_concurrent_graders_get_different_ones(tmp_path, mode):
    submission = solution_with(tmp_path / "alice", {"util": (ROOT / "solution" / "util.py").read_text() + "\nimport time as _t\n_t.sleep(1)\n"})
    graders = [
        subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(tmp_path / f"out{i}"),
                          "--public-only", "--isolation", mode], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for i in range(2)
    ]
    for grader in graders:
        assert grader.wait(timeout=300) == 0, grader.stderr.read()
    uids = [results(tmp_path / f"out{i}", "alice")["extra_data"]["sandbox_uid"] for i in range(2)]
    if IS_ROOT:
        assert all(uid >= 61000 for uid in uids) and uids[0] != uids[1], uids
    else:
        assert uids == [os.getuid()] * 2


@pytest.mark.parametrize("euid", [0, 1000], ids=["as-root", "as-a-normal-user"])
def test_bubblewrap_hides_the_kit_wherever_it_lives(monkeypatch, euid):
    """A kit under a mounted system folder (as in /usr/local/src) is covered by an empty folder, as
    are the output folder and the submissions; the venv is never mounted. (Folders that exist under
    /usr stand for them here.) The command is built for root and for a normal user whoever runs
    the test, so each half of it can fail on any machine."""
    from autograder.sandbox.isolation import bubblewrap, common

    kit, out = Path("/usr/share/doc"), Path("/usr/share/man")
    assert kit.is_dir() and out.is_dir()
    monkeypatch.setattr(common, "KIT_ROOT", kit)
    monkeypatch.setattr(bubblewrap.os, "geteuid", lambda: euid)
    command = bubblewrap.bubblewrap_command(Path("/tmp/stage"), ["python"], hidden=(out,))
    pairs = {(command[i + 1], command[i + 2]) for i, word in enumerate(command) if word == "--ro-bind"}
    assert ("/tmp/stage/empty", str(kit)) in pairs
    assert ("/tmp/stage/empty", str(out)) in pairs
    assert not any(target.startswith(sys.prefix) for _, target in pairs)
    assert "--dev" not in command
    added = {command[i + 1] for i, word in enumerate(command) if word == "--cap-add"}
    if euid == 0:  # the harness drops to the sandbox's uid itself: it keeps only what that needs
        assert added == {"CAP_SETUID", "CAP_SETGID"} and "--unshare-user" not in command
    else:  # a user namespace of its own, in which no further one may be made
        assert added == set() and "--unshare-user" in command and "--disable-userns" in command
    tmpfs = command.index("/tmp", command.index("--tmpfs"))
    binds = [i for i, word in enumerate(command) if word == "--ro-bind" and command[i + 2].startswith("/tmp/")]
    assert all(tmpfs < i for i in binds), "the private /tmp goes first: a checkout under /tmp must stay visible"


def test_landlock_refuses_to_run_where_it_would_expose_the_kit(monkeypatch):
    from autograder.sandbox.isolation import common, landlock

    monkeypatch.setattr(common, "KIT_ROOT", Path("/usr/lib/nn-kit"))
    assert "lies inside /usr/lib" in landlock.exposed(())


def test_a_broken_zip_is_reported_and_costs_only_itself(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    solution_with(folder / "fine")
    completed = run_grader(Identity("root", None, None), [str(folder), "--out", str(tmp_path / "out"), "--batch", "--public-only"])
    assert completed.returncode == 0, completed.stderr
    book = gradebook(tmp_path / "out")
    assert book["broken"]["status"].startswith("error: broken.zip is not a readable zip file")
    assert float(book["broken"]["total"]) == 0 and float(book["fine"]["total"]) == 50
    assert "could not be read" in results(tmp_path / "out", "broken")["tests"][0]["output"]


def test_hostile_file_names_cannot_draw_on_the_terminal_or_in_reports(tmp_path):
    archive = tmp_path / "batch" / "names.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as bundle:
        for module in attacks.MODULES:
            bundle.writestr(f"work/{module}.py", (ROOT / "solution" / f"{module}.py").read_text())
        bundle.writestr("\x1b[2J\x1b]0;owned\x07evil.py", "x = 1\n")
        bundle.writestr("ok\nTOTAL 100 / 100\nfake.py", "x = 1\n")
        bundle.writestr("../\x1b[31mescape.py", "x = 1\n")
    completed = run_grader(Identity("root", None, None), [str(archive.parent), "--out", str(tmp_path / "out"), "--batch", "--public-only"])
    assert completed.returncode == 0, completed.stderr
    for text in (completed.stdout, completed.stderr, (tmp_path / "out" / "names" / "feedback.md").read_text(),
                 (tmp_path / "out" / "names" / "results.json").read_text()):
        assert "\x1b" not in text and "\x07" not in text
        assert not any(line.strip().startswith("TOTAL 100") for line in text.splitlines())
    notes = results(tmp_path / "out", "names")["extra_data"]["notes"]
    assert any("\\x1b" in note for note in notes), notes


def test_the_safety_limit_marks_a_submission_incomplete_instead_of_guessing(tmp_path):
    source = (ROOT / "solution" / "activations.py").read_text()
    for method in ("return np.tanh(Z)", "return np.maximum(Z, 0.0)", "return 1.0 / (1.0 + np.exp(-Z))"):
        assert method in source
        source = source.replace(method, "while True:\n            pass")
    submission = solution_with(tmp_path / "slow", {"activations": source})
    completed = run_grader(Identity("root", None, None), [str(submission), "--out", str(tmp_path / "out"), "--timeout", "5", "--case-timeout", "2"])
    assert completed.returncode == 0, completed.stderr
    row = gradebook(tmp_path / "out")["slow"]
    assert row["status"].startswith("incomplete: the grading time limit"), row
    assert "not run: the grading time limit" in everything_printed(results(tmp_path / "out", "slow"))


def replaying_util(references_dir: Path) -> str:
    """A starter util.py that, at import, swaps every probe for one that replays the public
    reference outputs (which ship to students) and makes up zeros where it knows no outputs."""
    import base64

    from autograder.sandbox.harness.npzio import pack
    from autograder.reference import load_references

    replay = {}
    for test_id, case in load_references("public", references_dir).items():
        replay[test_id] = base64.b64encode(pack(dict(case.outputs))).decode()
    starter = (ROOT / "starter" / "util.py").read_text()
    attack = f'''
import base64 as _b64, json as _json, sys as _sys
_REPLAY = _json.loads({json.dumps(json.dumps(replay))})
def _harness_module(name):  # gone from sys.modules: found in the frame of the harness's main()
    frame = _sys._getframe(1)
    while frame is not None and name not in frame.f_locals:
        frame = frame.f_back
    return frame and frame.f_locals[name]
_probes, _npzio = _harness_module("probes"), _harness_module("npzio")
if _probes is not None:
    def _fake(nn, p):
        test_id = p._prefix.split(":", 1)[1].rstrip("/")
        if test_id in _REPLAY:
            for name, value in _npzio.unpack(_b64.b64decode(_REPLAY[test_id])).items():
                p.outputs[name] = value
    for _kind in list(_probes.PROBES):
        _probes.PROBES[_kind] = _fake
'''
    future = "from __future__ import annotations\n"
    head, tail = starter.split(future, 1)
    return head + future + attack + tail


@pytest.mark.parametrize("mode", isolations())
def test_replayed_public_results_earn_nothing(tmp_path, mode):
    """Starter code plus a util.py that replaces the sandbox's probes with replayed public reference
    outputs: everything it sends back for the public inputs is right, and still it scores 0."""
    submission = tmp_path / "replayer"
    submission.mkdir()
    for module in attacks.MODULES:
        (submission / f"{module}.py").write_text((ROOT / "starter" / f"{module}.py").read_text())
    (submission / "util.py").write_text(replaying_util(ROOT / "autograder" / "reference"))
    completed = run_grader(Identity("root", None, None), [str(submission), "--out", str(tmp_path / "out"), "--isolation", mode])
    assert completed.returncode == 0, completed.stderr
    document = results(tmp_path / "out", "replayer")
    assert document["score"] == 0, {name: text[:200] for name, text in failed_outputs(document).items() if "fresh" not in text}
    public = [test["output"] for test in document["tests"] if "[public]" in test["name"]]
    assert any("not on fresh inputs of the same shapes" in text for text in public)
    assert any("reads the call stack" in note for note in document["extra_data"]["notes"])


def test_grading_merges_the_gradebook_and_refuses_missing_paths(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    solution_with(folder / "alice")
    solution_with(folder / "bob")
    (folder / "empty").mkdir()
    (folder / "empty" / "notes.py").write_text("print('hello')\n")
    root = Identity("root", None, None)
    first = run_grader(root, [str(folder), "--out", str(tmp_path / "out"), "--batch", "--public-only"])
    assert first.returncode == 0, first.stderr
    late = run_grader(root, [str(folder / "bob"), "--out", str(tmp_path / "out"), "--public-only"])
    assert late.returncode == 0, late.stderr
    book = gradebook(tmp_path / "out")
    assert set(book) == {"alice", "bob", "empty"}
    assert book["empty"]["status"].startswith("error: none of the six module files")
    missing = run_grader(root, [str(tmp_path / "nonexistent.zip"), "--out", str(tmp_path / "out"), "--public-only"])
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    assert set(gradebook(tmp_path / "out")) == {"alice", "bob", "empty"}
    zero_jobs = run_grader(root, [str(folder / "bob"), "--out", str(tmp_path / "out"), "--jobs", "0"])
    assert zero_jobs.returncode == 2 and "must be at least 1" in zero_jobs.stderr
