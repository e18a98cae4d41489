"""Run notebooks headlessly on a Jupyter kernel of the Python that is running this code.

The project's tests and ``scripts/make_handout.py`` use this. The kernel is pinned on purpose: a
kernelspec found on the machine (say, in ~/.local/share/jupyter) may start some other Python that
lacks the pinned packages, so ``execute_notebooks`` writes its own "python3" kernelspec, whose
command is ``sys.executable -m ipykernel_launcher``, into a temporary folder and uses only that.

Each notebook runs in its own folder (as in Jupyter) with ``NN_PACKAGE`` set, so its first cell
imports the chosen tree (``solution`` or ``starter``), and ``NN_EXPERIMENTS`` pointing into a
temporary folder, so the Logger's runs leave nothing behind. Up to ``parallel`` notebooks run at
once, each kernel limited to one BLAS thread (faster on few cores, and the same numbers every run).

A notebook that fails, for whatever reason (a cell's error, a kernel that does not start or
dies), comes back with its error in ``RunResult.error``; the other notebooks are not affected. A
kernel gets ``STARTUP_TIMEOUT_SECONDS`` to start, far more than nbclient's default of 60 s, which
a busy machine can exceed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import nbformat
import zmq
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL_NAME = "python3"
CELL_TIMEOUT_SECONDS = 300
STARTUP_TIMEOUT_SECONDS = 600
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class NotebookRun:
    """One notebook to run: its path, code cells to append (for example to save figures), the
    package it runs against when not the one ``execute_notebooks`` is given, and variables to add
    to its kernel's environment."""

    path: Path
    extra_cells: Sequence[str] = ()
    package: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RunResult:
    """An executed notebook, the error that stopped it (None if every cell ran) and its duration.

    ``error`` is a ``CellExecutionError`` when a cell raised, or whatever else stopped the run
    (a kernel that did not start in time or died).
    """

    path: Path
    notebook: nbformat.NotebookNode
    error: Exception | None
    seconds: float


def write_kernelspec(directory: Path) -> Path:
    """Write a "python3" kernelspec that starts this interpreter; return the folder holding it.

    ipykernel writes it (with ``sys.executable`` as the command), so it carries the same metadata
    as the one ``python -m ipykernel install`` would write.
    """
    write_kernel_spec(path=directory / KERNEL_NAME, overrides={"display_name": f"Python 3 ({sys.prefix})"})
    return directory


def kernel_environment(package: str, experiments: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: ours, plus NN_PACKAGE, NN_EXPERIMENTS, one BLAS thread and
    ``extra``, minus MPLBACKEND.

    (The notebooks select the inline backend themselves; an inherited MPLBACKEND=Agg would make
    their figures silently disappear.)
    """
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    environment.update(SINGLE_THREAD, NN_PACKAGE=package, NN_EXPERIMENTS=str(experiments))
    environment.update(extra or {})
    return environment


async def run_one(run: NotebookRun, package: str, kernel_dir: Path, experiments: Path) -> RunResult:
    """Execute one notebook to its end or its first error, against ``run.package or package``."""
    notebook = nbformat.read(run.path, as_version=4)
    for source in run.extra_cells:
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    manager = AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]),
        # CurveZMQ on the kernel's local TCP ports where pyzmq has it (it silences ipykernel's warning)
        transport_encryption="auto" if zmq.has("curve") else "disabled",
    )
    client = NotebookClient(
        notebook,
        km=manager,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT_SECONDS,
        startup_timeout=STARTUP_TIMEOUT_SECONDS,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(run.path.parent)}},
    )
    start = time.perf_counter()
    error = None
    try:
        await client.async_execute(env=kernel_environment(run.package or package, experiments, run.environment), cleanup_kc=True)
    except CellExecutionError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a kernel that did not start, or died: this notebook's failure alone
        error = exc
    return RunResult(run.path, notebook, error, time.perf_counter() - start)


async def run_all(runs: Sequence[NotebookRun], package: str, parallel: int) -> list[RunResult]:
    """Execute the notebooks, at most ``parallel`` at a time, in one event loop."""
    gate = asyncio.Semaphore(parallel)
    with tempfile.TemporaryDirectory(prefix="nn-kernels-") as folder:
        kernel_dir = write_kernelspec(Path(folder) / "kernels")
        experiments = Path(folder) / "experiments"

        async def gated(run: NotebookRun) -> RunResult:
            async with gate:
                return await run_one(run, package, kernel_dir, experiments)

        return list(await asyncio.gather(*(gated(run) for run in runs)))


def execute_notebooks(runs: Sequence[NotebookRun | Path], package: str = "solution",
                      parallel: int | None = None) -> list[RunResult]:
    """Execute notebooks against ``package`` ("solution" or "starter", unless a run names its own);
    results come back in the given order.

    A cell error does not raise: it ends that notebook's run and is returned in ``RunResult.error``.
    """
    runs = [run if isinstance(run, NotebookRun) else NotebookRun(Path(run)) for run in runs]
    parallel = parallel or max(1, min(len(runs), os.cpu_count() or 1))
    return asyncio.run(run_all(runs, package, parallel))
