"""Checks of util.py: one_hot and DataLoader.

DataLoader checks are properties (every example once, rows kept paired, batch sizes, a new order
each pass), never one particular permutation, so any correct use of the random generator passes.
The iteration tests never call len() (a correct __len__ answers if __iter__ asks), and loader_len
never iterates. Column 0 of the loader's X is each example's row number and column 0 of Y is
2 * row + 1.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.checks.common import by_function, has_shape_and_dtype, matches_reference, results_right, unchanged, vectorised_part
from autograder.checks.compare import CheckFailed
from autograder.checks.registry import graded

ITERATE = "DataLoader.__iter__"


def one_hot_call(case) -> str:
    labels = case.inputs["labels"]
    return f"one_hot(labels, num_classes={case.args.get('num_classes')}) with {len(labels)} labels"


@graded("util.one_hot", probe="one_hot")
def test_one_hot(case):
    call = one_hot_call(case)
    has_shape_and_dtype(case, "Y", case.expected["Y"].shape, "fiub", call)
    labels = case.inputs["labels"]
    matches_reference(case, "Y", call, suspects={
        "the 1 is one column to the right: put it in column labels[i]": np.eye(case.expected["Y"].shape[1] + 1)[labels + 1][:, :-1],
        "the 1 is one column to the left: put it in column labels[i]": np.eye(case.expected["Y"].shape[1] + 1)[labels][:, 1:],
    })


@graded("util.one_hot_num_classes", probe="one_hot")
def test_one_hot_num_classes(case):
    call = one_hot_call(case)
    has_shape_and_dtype(case, "Y", case.expected["Y"].shape, "float64", call)
    matches_reference(case, "Y", call)


def describe_config(config: dict, m: int) -> str:
    return (
        f"DataLoader(X, Y, batch_size={config['batch_size']}, shuffle={config['shuffle']}, "
        f"drop_last={config['drop_last']}) with {m} examples"
    )


def loader_passes(case):
    """(config, call, row ids in the order seen, batch sizes, X rows, Y rows) for every pass."""
    m = len(case.inputs["X"])
    for number, config in enumerate(case.args["configs"]):
        for epoch in range(config["passes"]):
            prefix = f"config{number}/pass{epoch}"
            call = f"{describe_config(config, m)}, pass {epoch + 1}"
            X = case.output(f"{prefix}/X", call, ITERATE)
            Y = case.output(f"{prefix}/Y", call, ITERATE)
            sizes = case.output(f"{prefix}/sizes", call, ITERATE)
            if X.ndim != 2 or X.shape[1:] != case.inputs["X"].shape[1:]:
                raise CheckFailed(f"{call}: X batches have rows of shape {X.shape[1:]}, expected rows of X")
            yield config, call, original_rows(case, X, call), sizes, X, Y


def original_rows(case, X: np.ndarray, call: str) -> np.ndarray:
    """The row numbers of the yielded rows, after checking each is an untouched row of X."""
    ids = X[:, 0]
    if not np.all((ids == np.round(ids)) & (ids >= 0) & (ids < len(case.inputs["X"]))):
        raise CheckFailed(f"{call}: the batches contain rows that are not rows of X")
    ids = ids.astype(int)
    if not np.array_equal(X, case.inputs["X"][ids]):
        raise CheckFailed(f"{call}: the batches contain altered rows of X")
    return ids


def coverage_problem(ids: np.ndarray, m: int) -> str | None:
    counts = np.bincount(ids, minlength=m)
    if np.all(counts == 1):
        return None
    missing, repeated = np.flatnonzero(counts == 0), np.flatnonzero(counts > 1)
    parts = []
    if missing.size:
        parts.append(f"{missing.size} never appeared (e.g. rows {missing[:5].tolist()})")
    if repeated.size:
        parts.append(f"{repeated.size} appeared more than once (e.g. rows {repeated[:5].tolist()})")
    return "every example must appear exactly once per pass; " + ", ".join(parts)


@graded("util.loader_covers_every_example", probe="data_loader_passes")
def test_loader_covers_every_example(case):
    m = len(case.inputs["X"])
    for config, call, ids, _, _, _ in loader_passes(case):
        problem = coverage_problem(ids, m)
        if problem:
            hint = " (with drop_last=False the last, smaller batch must be yielded too)" if len(ids) < m and not config["drop_last"] else ""
            raise CheckFailed(f"{call}: {problem}{hint}")


@graded("util.loader_keeps_pairs", probe="data_loader_passes")
def test_loader_keeps_pairs(case):
    for _, call, ids, _, X, Y in loader_passes(case):
        if Y.shape[0] != X.shape[0]:
            raise CheckFailed(f"{call}: the X batches hold {X.shape[0]} rows in all but the Y batches {Y.shape[0]}")
        wrong = np.flatnonzero(Y[:, 0] != 2.0 * ids + 1.0)
        if wrong.size:
            raise CheckFailed(
                f"{call}: {wrong.size} of {len(ids)} rows of Y do not belong to the row of X next to them. "
                "Index X and Y with the same permutation."
            )


def expected_sizes(m: int, config: dict) -> list[int]:
    size = config["batch_size"]
    full, rest = divmod(m, size)
    return [size] * full + ([] if config["drop_last"] or rest == 0 else [rest])


@graded("util.loader_batch_sizes", probe="data_loader_passes")
def test_loader_batch_sizes(case):
    m = len(case.inputs["X"])
    for config, call, _, sizes, X, _ in loader_passes(case):
        if sum(sizes) != len(X):
            raise CheckFailed(f"{call}: the batch sizes {list(sizes)} do not add up to the {len(X)} rows yielded")
        if list(sizes) != expected_sizes(m, config):
            raise CheckFailed(f"{call}: batch sizes {[int(s) for s in sizes]}, expected {expected_sizes(m, config)}")


@graded("util.loader_len", probe="data_loader_len")
def test_loader_len(case):
    m = len(case.inputs["X"])
    for number, config in enumerate(case.args["configs"]):
        call = f"len({describe_config(config, m)})"
        got = case.output(f"config{number}/len", call, "DataLoader.__len__")
        want = m // config["batch_size"] if config["drop_last"] else math.ceil(m / config["batch_size"])
        if got.ndim != 0 or got.dtype.kind not in "iu":
            shown = got.tolist()
            raise CheckFailed(f"{call}: returned {shown!r} ({got.dtype}); __len__ must return an int (use // or math.ceil, then int)")
        if int(got) != want:
            raise CheckFailed(f"{call}: returned {int(got)}, expected {want}")


@graded("util.loader_reshuffles_each_pass", probe="data_loader_passes")
def test_loader_reshuffles_each_pass(case):
    orders: dict[int, list[np.ndarray]] = {}
    for config, call, ids, _, _, _ in loader_passes(case):
        in_order = np.array_equal(ids, np.arange(len(ids)))
        if not config["shuffle"] and not in_order:
            raise CheckFailed(f"{call}: with shuffle=False the examples must come in their original order; they came as {ids[:8].tolist()}...")
        if config["shuffle"]:
            if in_order and len(ids) > 1:
                raise CheckFailed(f"{call}: with shuffle=True the examples came in their original order")
            orders.setdefault(id(config), []).append(ids)
    for passes in orders.values():
        for first, second in zip(passes, passes[1:]):
            if np.array_equal(first, second):
                raise CheckFailed(
                    "DataLoader with shuffle=True: two passes gave the same order. Draw a new permutation "
                    "at the start of every pass (in __iter__), not once in __init__."
                )


@graded("util.inputs_unchanged", probe="util_inputs_unchanged")
def test_inputs_unchanged(case):
    def check(function: str) -> None:
        if function == "one_hot":
            results_right(case, ["one_hot/Y"], function, "util.one_hot")
            unchanged(case, {"one_hot/labels": "labels"}, "one_hot", "Build a new array; do not change labels.")
            return
        m = len(case.inputs["X"])
        for epoch in range(case.args["config"]["passes"]):
            X = case.output(f"loader/pass{epoch}/X", "iterating over a DataLoader", ITERATE)
            if coverage_problem(original_rows(case, X, "iterating over a DataLoader"), m):
                raise CheckFailed("not scored: the DataLoader's passes are wrong here (loader_covers_every_example says how)")
        unchanged(
            case, {"loader/X": "X", "loader/Y": "Y"}, "iterating over a DataLoader with shuffle=True",
            "Index with a permutation (X[order]) instead of shuffling X or Y in place (rng.shuffle(X)).",
        )

    by_function(case, ["one_hot", ITERATE], check)


@graded("util.vectorised", probe="util_vectorised")
def test_vectorised(case):
    vectorised_part(case, "util", "one_hot", [f"one_hot/{size}/result" for size in case.args["sizes"]])
