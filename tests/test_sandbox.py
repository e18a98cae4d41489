"""Hostile submissions: each gets no more than the points it really earns, the grader finishes, and
an honest submission graded in the same batch gets exactly what it gets when graded alone.

Every scenario runs under both isolation levels: bubblewrap (skipped, with the reason, where it
cannot run) and the plain-process fallback. Where the fallback cannot promise something (it does
not hide files from the submission), the test says so and checks that the report says so too.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader_support import isolations, ROOT, comparable, failed_outputs, grade, gradebook, module_maxima, results, solution_with

pytestmark = pytest.mark.slow

SOLUTION = {module: (ROOT / "solution" / f"{module}.py").read_text() for module in ("activations", "layers", "loss", "model", "optimizer", "util")}
HIDDEN_REFERENCE = ROOT / "autograder" / "reference" / "hidden" / "loss.npz"


def prepend(module: str, code: str) -> str:
    """The solution's module with ``code`` run first at import (right after its __future__ import)."""
    future = "from __future__ import annotations\n"
    head, tail = SOLUTION[module].split(future, 1)
    return head + future + textwrap.dedent(code) + "\n" + tail


def replace(module: str, old: str, new: str) -> str:
    assert old in SOLUTION[module], old
    return SOLUTION[module].replace(old, new, 1)


@dataclass
class Scenario:
    name: str
    build: object  # (folder, out_dir) -> path of the submission
    broken: tuple[str, ...]  # modules expected to lose points; every other module keeps all
    fallback_unprotected: bool = False  # only bubblewrap can stop this one


def folder_submission(replacements: dict[str, str] | None = None, extra: dict[str, str] | None = None):
    return lambda folder, out: solution_with(folder, replacements, extra)


def zip_slip(folder: Path, out: Path) -> Path:
    archive = folder.with_suffix(".zip")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as bundle:
        for module, source in SOLUTION.items():
            bundle.writestr(f"PA3/{module}.py", source)
        bundle.writestr("__MACOSX/PA3/._layers.py", "junk")
        bundle.writestr("../../zip_slip_marker.py", "print('escaped')")
        bundle.writestr("/tmp/zip_slip_absolute_marker.py", "print('escaped')")
        link = zipfile.ZipInfo("PA3/link_to_etc")
        link.external_attr = 0o120777 << 16
        bundle.writestr(link, "/etc/passwd")
    return archive


SCENARIOS = [
    Scenario("exit_at_import", folder_submission({"activations": prepend("activations", "import sys\nsys.exit(3)")}), ("activations",)),
    Scenario("os_exit_at_import", folder_submission({"layers": prepend("layers", "import os\nos._exit(7)")}), ("layers",)),
    Scenario(
        "loops_forever",
        folder_submission({"util": replace("util", "    Y = np.zeros((labels.shape[0], num_classes))", "    while True:\n        pass")}),
        ("util",),
    ),
    Scenario(
        "memory_blow_up",
        folder_submission({"activations": replace("activations", "        return 1.0 / (1.0 + np.exp(-Z))", "        hoard = []\n        while True:\n            hoard.append(np.ones(1 << 24))")}),
        ("activations",),
    ),
    Scenario(
        "output_flood",
        folder_submission({"loss": prepend("loss", "import os\nfor _ in range(100):\n    os.write(1, b'flood ' * 200_000)\nprint('x' * 10_000_000)")}),
        (),
    ),
    Scenario(
        "process_left_behind",
        folder_submission(
            {
                "model": prepend(
                    "model",
                    """
                    import os, subprocess, time
                    subprocess.Popen(["sleep", "4321"], start_new_session=True)
                    if os.fork() == 0:
                        os.setsid()
                        if os.fork() == 0:
                            time.sleep(4321)
                        os._exit(0)
                    """,
                )
            }
        ),
        (),
    ),
    Scenario(
        "many_processes",
        folder_submission({"optimizer": prepend("optimizer", "import subprocess\nfor _ in range(300):\n    try:\n        subprocess.Popen(['sleep', '4322'])\n    except OSError:\n        break")}),
        (),
    ),
    Scenario(
        "fake_results_json",
        lambda folder, out: solution_with(
            folder,
            {
                "optimizer": prepend(
                    "optimizer",
                    f"""
                    import json, os
                    fake = json.dumps({{"score": 100, "tests": [], "output": "hacked", "execution_time": 0}})
                    for target in [{str(out / "control" / "results.json")!r}, {str(out / "fake_results_json" / "results.json")!r},
                                   {str(out / "gradebook.csv")!r}, "/autograder/results/results.json", "results.json", "../results.json"]:
                        try:
                            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
                            with open(target, "w") as handle:
                                handle.write(fake)
                        except OSError:
                            pass
                    """,
                ),
                "loss": replace("loss", "        return float(np.sum((Y - Y_hat) ** 2) / m)", "        return 0.0"),
            },
        ),
        ("loss",),
    ),
    Scenario(
        "monkeypatched_numpy",
        folder_submission(
            {
                "loss": prepend(
                    "loss",
                    """
                    import numpy as np
                    np.allclose = lambda *a, **k: True
                    np.array_equal = lambda *a, **k: True
                    np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
                    np.testing.assert_allclose = lambda *a, **k: None
                    np.isfinite = lambda x: np.ones(np.shape(x), bool)
                    """,
                ).replace("return float(-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))) / m)", "return 123.0")
            }
        ),
        ("loss",),
    ),
    Scenario(
        "equal_to_anything",
        folder_submission(
            {
                "activations": prepend(
                    "activations",
                    """
                    import numpy as _np
                    class Anything:
                        def __eq__(self, other): return True
                        def __ne__(self, other): return False
                        def __array__(self, *args, **kwargs): return _np.zeros((1, 1))
                    class Liar(_np.ndarray):
                        def __eq__(self, other): return True
                        def __ne__(self, other): return False
                    """,
                )
                .replace("        return np.maximum(Z, 0.0)", "        return Anything()")
                .replace("        return np.tanh(Z)", "        return np.zeros_like(Z).view(Liar)")
            }
        ),
        ("activations",),
    ),
    Scenario(
        "planted_files",
        folder_submission(
            {"util": (ROOT / "starter" / "util.py").read_text()},
            {
                "conftest.py": "import pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = 'passed'\n",
                "sitecustomize.py": "raise SystemExit('sitecustomize ran')\n",
                "numpy.py": "raise SystemExit('fake numpy imported')\n",
                "sub/pytest.ini": "[pytest]\naddopts = -p no:python\n",
            },
        ),
        ("util",),
    ),
    Scenario(
        "imports_the_solution",
        folder_submission({"activations": f"import sys\nsys.path[:0] = [{str(ROOT)!r}, '/autograder/source']\nfrom solution.activations import *  # noqa\n"}),
        ("activations",),
        fallback_unprotected=True,
    ),
    Scenario(
        "reads_hidden_references",
        folder_submission({"loss": prepend("loss", f"try:\n    open({str(HIDDEN_REFERENCE)!r}, 'rb').read(1)\n    LEAKED = True\nexcept OSError:\n    LEAKED = False\n").replace("        m = Y.shape[0]\n        return float(np.sum((Y - Y_hat) ** 2) / m)", "        m = Y.shape[0]\n        return float(np.sum((Y - Y_hat) ** 2) / m) + (1.0 if LEAKED else 0.0)")}),
        (),
        fallback_unprotected=True,
    ),
    Scenario(
        "memory_across_processes",
        folder_submission(
            {
                "util": prepend(
                    "util",
                    """
                    import os, time
                    for _ in range(4):
                        if os.fork() == 0:
                            hoard = bytearray(400 << 20)  # 400 MiB each, under the per-process limit
                            time.sleep(30)
                            os._exit(0)
                    time.sleep(2)
                    """,
                )
            }
        ),
        ("util",),
    ),
    Scenario(
        "forged_frames",
        folder_submission(
            {
                "util": prepend(
                    "util",
                    """
                    import json, os, sys
                    channel = int(sys.argv[2])
                    for number in range(20):  # 80 MiB in all: over the grader's budget for one launch
                        payload = b"x" * (4 << 20)
                        header = {"event": "result", "case": f"junk{number}", "status": "ok", "payload": len(payload)}
                        os.write(channel, json.dumps({"event": "start", "case": f"junk{number}"}).encode() + b"\\n")
                        os.write(channel, json.dumps(header).encode() + b"\\n" + payload)
                    """,
                )
            }
        ),
        ("util",),
    ),
    Scenario("zip_slip", zip_slip, ()),
    Scenario("syntax_error", folder_submission({"layers": SOLUTION["layers"].replace("def forward(self, X", "def forward(self X", 1)}), ("layers",)),
]

ISOLATIONS = isolations()


def leftover_processes(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in command:
                found.append(f"{entry.name}: {command}")
    return found


@pytest.fixture(scope="module", params=ISOLATIONS)
def hostile_batch(request, tmp_path_factory):
    isolation = request.param
    base = tmp_path_factory.mktemp(f"hostile-{isolation}")
    submissions, out = base / "submissions", base / "out"
    submissions.mkdir()
    for scenario in SCENARIOS:
        scenario.build(submissions / scenario.name, out)
    solution_with(submissions / "control")
    options = ("--batch", "--jobs", "2", "--isolation", isolation, "--case-timeout", "2", "--timeout", "90")
    completed = grade([submissions], out, *options)
    alone = grade([submissions / "control"], base / "alone", "--isolation", isolation)
    return isolation, out, base / "alone", completed, alone


def test_the_grader_finishes_and_grades_everyone(hostile_batch):
    _, out, _, completed, alone = hostile_batch
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert set(gradebook(out)) == {scenario.name for scenario in SCENARIOS} | {"control"}


def test_an_honest_submission_is_graded_exactly_as_when_alone(hostile_batch):
    _, out, alone_out, _, _ = hostile_batch
    assert results(out, "control")["score"] == 100
    assert comparable(results(out, "control")) == comparable(results(alone_out, "control"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_a_hostile_submission_earns_only_what_its_code_earns(hostile_batch, scenario):
    isolation, out, _, _, _ = hostile_batch
    if isolation == "process" and scenario.fallback_unprotected:
        assert "no file-system or network isolation" in results(out, scenario.name)["extra_data"]["isolation"]
        pytest.skip("the process fallback does not hide files; bubblewrap (or Gradescope's permissions) does")
    row = gradebook(out)[scenario.name]
    for module, maximum in module_maxima().items():
        if module in scenario.broken:
            assert float(row[module]) < maximum, f"{scenario.name} kept every point of {module}"
        else:
            assert float(row[module]) == maximum, f"{scenario.name} lost points in {module}: {failed_outputs(results(out, scenario.name))}"


def test_messages_say_what_happened(hostile_batch):
    _, out, _, _, _ = hostile_batch

    def text(name: str) -> str:
        document = results(out, name)
        return "\n".join([document["output"], *failed_outputs(document).values()])

    assert "sys.exit(3)" in text("exit_at_import")
    assert "exit code 7" in text("os_exit_at_import")
    assert "timed out" in text("loops_forever").lower()
    assert "memory" in text("memory_blow_up").lower()
    assert "SyntaxError in layers.py, line" in text("syntax_error")
    assert "refused '../../zip_slip_marker.py'" in text("zip_slip")
    assert "symbolic link" in text("zip_slip")
    assert "ignored: conftest.py, numpy.py, sitecustomize.py" in text("planted_files")
    assert "expected a NumPy array" in text("equal_to_anything")
    assert "more data than any right answer needs" in text("forged_frames")
    assert "MiB of memory in all its processes" in text("memory_across_processes")


def test_output_floods_are_cut_short(hostile_batch):
    _, out, _, _, _ = hostile_batch
    document = results(out, "output_flood")
    assert len(document["output"]) < 5000
    assert "flood" in document["output"]


def test_nothing_the_submissions_started_is_left_running(hostile_batch):
    assert leftover_processes("sleep 4321") == []
    assert leftover_processes("sleep 4322") == []


def test_fake_results_do_not_stick(hostile_batch):
    _, out, _, _, _ = hostile_batch
    assert results(out, "fake_results_json")["output"] != "hacked"
    assert float(gradebook(out)["fake_results_json"]["loss"]) < module_maxima()["loss"]
    assert not Path("results.json").exists() and not (ROOT / "results.json").exists()


def test_zip_slip_writes_nothing_outside(hostile_batch, tmp_path):
    assert not Path("/tmp/zip_slip_absolute_marker.py").exists()
    assert not any(Path(p).exists() for p in ("/zip_slip_marker.py", str(ROOT.parent / "zip_slip_marker.py")))


@pytest.mark.skipif(os.geteuid() != 0, reason="the per-uid process limit needs a grader running as root")
def test_processes_run_as_an_unprivileged_user(hostile_batch):
    _, out, _, _, _ = hostile_batch
    assert "unprivileged user" in results(out, "control")["extra_data"]["isolation"]


def test_bubblewrap_mounts_its_private_tmp_before_an_interpreter_that_lives_under_tmp(monkeypatch):
    """A checkout (and its .venv) under /tmp must stay visible: /tmp's tmpfs goes first."""
    from autograder import isolation

    monkeypatch.setattr(isolation.sys, "prefix", "/tmp/some-checkout/.venv")
    command = isolation.bubblewrap_command(Path("/tmp/stage"), ["python"])
    tmpfs = command.index("/tmp", command.index("--tmpfs"))
    binds = [i for i, word in enumerate(command) if word == "--ro-bind" and command[i + 1].startswith("/tmp/")]
    assert binds and all(tmpfs < i for i in binds), command


@pytest.mark.parametrize("isolation", ISOLATIONS[:1])
def test_bubblewrap_hides_the_solution_and_references(tmp_path, isolation):
    probe = (
        "import os\n"
        f"paths = [{str(ROOT / 'solution')!r}, {str(HIDDEN_REFERENCE)!r}, {str(ROOT / 'autograder')!r}]\n"
        f"raise SystemExit(repr([os.path.exists(p) for p in paths] + sorted(os.listdir({str(ROOT)!r}))))\n"
    )
    submission = solution_with(tmp_path / "spy", {"util": prepend("util", probe)})
    completed = grade([submission], tmp_path / "out", "--public-only", "--isolation", isolation)
    assert completed.returncode == 0, completed.stderr
    outputs = "\n".join(failed_outputs(results(tmp_path / "out", "spy")).values())
    # Only the virtualenv is visible, read-only: the interpreter must come from somewhere.
    assert "[False, False, False, '.venv']" in outputs, outputs[:2000]


def test_a_broken_zip_is_reported_and_costs_only_itself(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    solution_with(folder / "fine")
    completed = grade([folder], tmp_path / "out", "--batch", "--public-only")
    assert completed.returncode == 0, completed.stderr
    book = gradebook(tmp_path / "out")
    assert book["broken"]["status"].startswith("error: broken.zip is not a readable zip file")
    assert float(book["broken"]["total"]) == 0 and float(book["fine"]["total"]) == 50
    assert "could not be read" in results(tmp_path / "out", "broken")["tests"][0]["output"]


def test_regrading_into_the_same_folder_starts_clean(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    solution_with(folder / "alice")
    first = grade([folder], tmp_path / "out", "--batch", "--public-only")
    assert first.returncode == 0
    (tmp_path / "out" / "alice" / "results.json").write_text("{}")
    second = grade([folder], tmp_path / "out", "--batch", "--public-only")
    assert second.returncode == 0
    assert results(tmp_path / "out", "alice")["score"] == 50


def test_a_missing_bwrap_is_reported_not_fatal(tmp_path, monkeypatch):
    """With bwrap off the PATH, 'auto' falls back to processes and says why in the report."""
    env_path = "/nonexistent-bin"
    submission = solution_with(tmp_path / "ok")
    completed = subprocess.run(
        [os.sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(tmp_path / "out"), "--public-only"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PATH": env_path},
    )
    assert completed.returncode == 0, completed.stderr
    isolation = results(tmp_path / "out", "ok")["extra_data"]["isolation"]
    assert isolation.startswith("process:") and "bubblewrap unavailable" in isolation
    assert "bwrap is not installed" in completed.stderr
    forced = subprocess.run(
        [os.sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(tmp_path / "out2"), "--isolation", "bubblewrap"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PATH": env_path},
    )
    assert forced.returncode == 2 and "bwrap is not installed" in forced.stderr


def replaying_util(references_dir: Path) -> str:
    """A starter util.py that, at import, swaps every probe for one that replays the public
    reference outputs (which ship to students) and makes up zeros where it knows no outputs."""
    import base64
    import json as json_module

    from autograder.harness.npzio import pack
    from autograder.reference import load_references

    replay = {}
    for test_id, case in load_references("public", references_dir).items():
        replay[test_id] = base64.b64encode(pack(dict(case.outputs))).decode()
    starter = (ROOT / "starter" / "util.py").read_text()
    attack = f'''
import base64 as _b64, json as _json, sys as _sys
_REPLAY = _json.loads({json_module.dumps(json_module.dumps(replay))})
_probes, _npzio = _sys.modules.get("probes"), _sys.modules.get("npzio")
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


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_fabricated_or_replayed_results_earn_nothing(tmp_path, isolation):
    """Starter code plus a util.py that replaces the sandbox's probes with replayed public reference
    outputs: everything it sends back for the public inputs is right, and still it scores 0."""
    submission = tmp_path / "replayer"
    submission.mkdir()
    for module in SOLUTION:
        (submission / f"{module}.py").write_text((ROOT / "starter" / f"{module}.py").read_text())
    (submission / "util.py").write_text(replaying_util(ROOT / "autograder" / "reference"))
    completed = grade([submission], tmp_path / "out", "--isolation", isolation)
    assert completed.returncode == 0, completed.stderr
    document = results(tmp_path / "out", "replayer")
    assert document["score"] == 0, {name: text[:200] for name, text in failed_outputs(document).items() if "fresh" not in text}
    public = [test["output"] for test in document["tests"] if "[public]" in test["name"]]
    assert any("not on fresh inputs of the same shapes" in text for text in public)


def test_grading_merges_the_gradebook_and_refuses_missing_paths(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    solution_with(folder / "alice")
    solution_with(folder / "bob")
    (folder / "empty").mkdir()
    (folder / "empty" / "notes.py").write_text("print('hello')\n")
    first = grade([folder], tmp_path / "out", "--batch", "--public-only")
    assert first.returncode == 0, first.stderr
    late = grade([folder / "bob"], tmp_path / "out", "--public-only")
    assert late.returncode == 0, late.stderr
    book = gradebook(tmp_path / "out")
    assert set(book) == {"alice", "bob", "empty"}
    assert book["empty"]["status"].startswith("error: none of the six module files")
    missing = grade([tmp_path / "nonexistent.zip"], tmp_path / "out", "--public-only")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    assert set(gradebook(tmp_path / "out")) == {"alice", "bob", "empty"}
    zero_jobs = grade([folder / "bob"], tmp_path / "out", "--jobs", "0")
    assert zero_jobs.returncode == 2 and "must be at least 1" in zero_jobs.stderr
