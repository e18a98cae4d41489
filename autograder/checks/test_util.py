"""Checks of util.py: one_hot and DataLoader.

DataLoader checks are properties (every example once, rows kept paired, batch sizes, a new order
each pass), never one particular permutation, so any correct use of the random generator passes.
Column 0 of the loader's X is each example's row number and column 0 of Y is 2 * row + 1.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.checks.common import calls_succeeded, has_shape_and_dtype, loops_over_examples, matches_reference, results_right, unchanged
from autograder.compare import CheckFailed


def one_hot_call(case) -> str:
    labels = case.inputs["labels"]
    return f"one_hot(labels, num_classes={case.args.get('num_classes')}) with {len(labels)} labels"


def test_one_hot(case):
    call = one_hot_call(case)
    has_shape_and_dtype(case, "Y", case.expected["Y"].shape, "fiub", call)
    matches_reference(case, "Y", call)


def test_one_hot_num_classes(case):
    call = one_hot_call(case)
    has_shape_and_dtype(case, "Y", case.expected["Y"].shape, "float64", call)
    matches_reference(case, "Y", call)


def loader_passes(case):
    """(config, pass number, row ids in the order seen, batch sizes, X rows, Y rows) for every pass."""
    for number, config in enumerate(case.args["configs"]):
        for epoch in range(config["passes"]):
            prefix = f"config{number}/pass{epoch}"
            call = (
                f"DataLoader(X, Y, batch_size={config['batch_size']}, shuffle={config['shuffle']}, "
                f"drop_last={config['drop_last']}) with {len(case.inputs['X'])} examples, pass {epoch + 1}"
            )
            X = case.output(f"{prefix}/X", call)
            Y = case.output(f"{prefix}/Y", call)
            sizes = case.output(f"{prefix}/sizes", call)
            if X.ndim != 2 or X.shape[1:] != case.inputs["X"].shape[1:]:
                raise CheckFailed(f"{call}: X batches have rows of shape {X.shape[1:]}, expected rows of X")
            yield config, call, X[:, 0], sizes, X, Y


def original_rows(case, X: np.ndarray, call: str) -> np.ndarray:
    """The row numbers of the yielded rows, after checking each is an untouched row of X."""
    ids = X[:, 0]
    if not np.all((ids == np.round(ids)) & (ids >= 0) & (ids < len(case.inputs["X"]))):
        raise CheckFailed(f"{call}: the batches contain rows that are not rows of X")
    ids = ids.astype(int)
    if not np.array_equal(X, case.inputs["X"][ids]):
        raise CheckFailed(f"{call}: the batches contain altered rows of X")
    return ids


def test_loader_covers_every_example(case):
    m = len(case.inputs["X"])
    for _, call, _, _, X, _ in loader_passes(case):
        ids = original_rows(case, X, call)
        counts = np.bincount(ids, minlength=m)
        if np.any(counts != 1):
            missing, repeated = np.flatnonzero(counts == 0), np.flatnonzero(counts > 1)
            raise CheckFailed(
                f"{call}: every example must appear exactly once per pass; "
                f"{len(missing)} never appeared (e.g. rows {missing[:5].tolist()}), "
                f"{len(repeated)} appeared more than once (e.g. rows {repeated[:5].tolist()})"
            )


def test_loader_keeps_pairs(case):
    for _, call, _, _, X, Y in loader_passes(case):
        ids = original_rows(case, X, call)
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


def test_loader_batch_sizes(case):
    m = len(case.inputs["X"])
    for config, call, _, sizes, X, _ in loader_passes(case):
        original_rows(case, X, call)
        if sum(sizes) != len(X):
            raise CheckFailed(f"{call}: the batch sizes {list(sizes)} do not add up to the {len(X)} rows yielded")
        if list(sizes) != expected_sizes(m, config):
            raise CheckFailed(f"{call}: batch sizes {list(sizes)}, expected {expected_sizes(m, config)}")


def test_loader_len(case):
    m = len(case.inputs["X"])
    for number, config in enumerate(case.args["configs"]):
        call = f"len(DataLoader(X, Y, batch_size={config['batch_size']}, drop_last={config['drop_last']})) with {m} examples"
        got = case.output(f"config{number}/len", call)
        want = m // config["batch_size"] if config["drop_last"] else math.ceil(m / config["batch_size"])
        if got.ndim != 0 or int(got) != want:
            raise CheckFailed(f"{call}: returned {got.tolist()}, expected {want}")


def test_loader_reshuffles_each_pass(case):
    m = len(case.inputs["X"])
    orders: dict[int, list[np.ndarray]] = {}
    for config, call, _, _, X, _ in loader_passes(case):
        ids = original_rows(case, X, call)
        if not config["shuffle"] and not np.array_equal(ids, np.arange(m)):
            raise CheckFailed(f"{call}: with shuffle=False the examples must come in their original order")
        if config["shuffle"]:
            if np.array_equal(ids, np.arange(m)):
                raise CheckFailed(f"{call}: with shuffle=True the examples came in their original order")
            orders.setdefault(id(config), []).append(ids)
    for passes in orders.values():
        for first, second in zip(passes, passes[1:]):
            if np.array_equal(first, second):
                raise CheckFailed(
                    "DataLoader with shuffle=True: two passes gave the same order. Draw a new permutation "
                    "at the start of every pass (in __iter__), not once in __init__."
                )


def test_inputs_unchanged(case):
    calls_succeeded(case, ["one_hot", "result/one_hot", "DataLoader", "DataLoader.__iter__"])
    results_right(case, ["result/one_hot"], "one_hot")
    unchanged(case, {"labels": "labels"}, "one_hot")
    unchanged(case, {"X": "X", "Y": "Y"}, "iterating over a DataLoader with shuffle=True")


def test_vectorised(case):
    loops_over_examples(case, ["one_hot"])
