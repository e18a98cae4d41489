"""Checks of loss.py: CrossEntropyLoss and MSELoss, forward and backward."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    calls_succeeded,
    gradient_matches,
    has_shape_and_dtype,
    loops_over_examples,
    matches_reference,
    results_right,
    shapes_of,
    unchanged,
)
from autograder.compare import CheckFailed

LOSSES = ("CrossEntropyLoss", "MSELoss")


def forward_call(case, name: str) -> str:
    return f"{name}.forward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat')}"


def backward_call(case, name: str) -> str:
    return f"{name}.backward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat')}"


def scalar(case, name: str, call: str) -> None:
    value = case.output(name, call)
    if value.ndim != 0:
        raise CheckFailed(f"{call}: the loss should be a single number (a float), received an array of shape {value.shape}")


def test_cross_entropy_forward(case):
    call = forward_call(case, "CrossEntropyLoss")
    scalar(case, "L", call)
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    matches_reference(
        case, "L", call,
        suspects={"the sign is flipped: L = -(1/m) sum(Y ln Y_hat)": np.sum(Y * np.log(Y_hat)) / len(Y)},
    )


def test_cross_entropy_backward(case):
    Y = case.inputs["Y"]
    gradient_matches(
        case, "dY_hat", "L", case.inputs["Y_hat"], None, backward_call(case, "CrossEntropyLoss"),
        suspects={"this is Y_hat - Y, the gradient with respect to the softmax's input, not its output": case.inputs["Y_hat"] - Y},
    )


def test_cross_entropy_tiny_probabilities(case):
    call = "CrossEntropyLoss with probabilities as small as 1e-300 where Y is 0 and 1e-6 where Y is 1"
    for name, method in (("L", "forward"), ("dY_hat", "backward")):
        value = case.output(name, call)
        if not np.all(np.isfinite(value)):
            raise CheckFailed(
                f"{call}: {method} returned nan or inf. Where Y is 0 the term must be 0; "
                "0 * log(0) is nan in NumPy, so keep the argument of log (and the divisor) away from 0, "
                "e.g. with np.maximum(Y_hat, 1e-15) or np.clip."
            )
        matches_reference(case, name, f"{call}, {method}")


def test_mse_forward(case):
    call = forward_call(case, "MSELoss")
    scalar(case, "L", call)
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    matches_reference(case, "L", call, suspects={"this is the mean over every entry: average over the m examples only, sum over outputs": np.mean((Y - Y_hat) ** 2)})


def test_mse_backward(case):
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    gradient_matches(
        case, "dY_hat", "L", Y_hat, None, backward_call(case, "MSELoss"),
        suspects={"the sign is flipped: the derivative of (Y - Y_hat)**2 with respect to Y_hat is -2 (Y - Y_hat)": 2 * (Y - Y_hat) / len(Y)},
    )


def test_shapes_and_types(case):
    labels = [
        label
        for name in LOSSES
        for variant in case.args["cases"]
        for label in (f"{name}.forward ({variant})", f"{name}.backward ({variant})", f"{name}/{variant}/L", f"{name}/{variant}/dY_hat")
    ]
    calls_succeeded(case, labels)
    for name in LOSSES:
        for variant in case.args["cases"]:
            Y_hat = case.inputs[f"{variant}/Y_hat"]
            where = f"({variant.replace('_', ' ')}, Y_hat of shape {Y_hat.shape})"
            scalar(case, f"{name}/{variant}/L", f"{name}.forward {where}")
            matches_reference(case, f"{name}/{variant}/L", f"{name}.forward {where}", what="L")
            has_shape_and_dtype(case, f"{name}/{variant}/dY_hat", Y_hat.shape, "float64", f"{name}.backward {where}")
            matches_reference(case, f"{name}/{variant}/dY_hat", f"{name}.backward {where}", what="dY_hat")


def test_inputs_unchanged(case):
    for name in LOSSES:
        call = f"{name}.forward / {name}.backward"
        calls_succeeded(case, [f"{name}.forward", f"{name}.backward", f"{name}/L", f"{name}/dY_hat"])
        results_right(case, [f"{name}/L", f"{name}/dY_hat"], call)
        unchanged(case, {f"{name}/Y": "Y", f"{name}/Y_hat": "Y_hat"}, call)


def test_vectorised(case):
    loops_over_examples(case, [f"{name}.{method}" for name in LOSSES for method in ("forward", "backward")])
