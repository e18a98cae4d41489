"""Checks of loss.py: CrossEntropyLoss and MSELoss, forward and backward.

A backward test calls only the backward (its class's forward is a correct one meanwhile)."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    by_function,
    has_shape_and_dtype,
    matches_reference,
    results_right,
    shapes_of,
    unchanged,
    vectorised_part,
)
from autograder.checks.compare import CheckFailed
from autograder.checks.registry import graded

INPUT_ADVICE = "Compute on new arrays (np.maximum(Y_hat, floor), np.clip(...)) instead of changing Y or Y_hat in place."


def forward_call(case, name: str, prefix: str = "") -> str:
    return f"{name}.forward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat', prefix=prefix)}"


def backward_call(case, name: str, prefix: str = "") -> str:
    return f"{name}.backward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat', prefix=prefix)}"


def scalar(case, name: str, call: str, function: str | None = None) -> None:
    value = case.output(name, call, function)
    if value.ndim != 0:
        raise CheckFailed(f"{call}: the loss should be a single number (a float), received an array of shape {value.shape}")


def finite(case, name: str, call: str, function: str) -> None:
    value = case.output(name, call, function)
    if not np.all(np.isfinite(value)):
        raise CheckFailed(
            f"{call}: returned nan or inf. Where Y is 0 the term must be 0 even when Y_hat is exactly 0, "
            "but 0 * log(0) is nan in NumPy: keep the argument of log (and the divisor) away from 0, "
            "e.g. with np.maximum(Y_hat, 1e-15) or np.clip(Y_hat, 1e-12, None)."
        )


@graded("loss.cross_entropy_forward", probe="loss_forward")
def test_cross_entropy_forward(case):
    call = forward_call(case, "CrossEntropyLoss")
    scalar(case, "L", call)
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    matches_reference(
        case, "L", call,
        suspects={
            "the sign is flipped: L = -(1/m) sum(Y ln Y_hat)": np.sum(Y * np.log(Y_hat)) / len(Y),
            "this is the mean over every entry (divided by m * k): average over the m examples only": -np.mean(Y * np.log(Y_hat)),
        },
    )


@graded("loss.cross_entropy_backward", probe="loss_backward")
def test_cross_entropy_backward(case):
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    matches_reference(
        case, "dY_hat", backward_call(case, "CrossEntropyLoss"), what="dL/dY_hat",
        suspects={
            "this is (Y_hat - Y) / m, the gradient with respect to the softmax's input, not its output Y_hat": (Y_hat - Y) / len(Y),
            "this is Y_hat - Y, the gradient with respect to the softmax's input (and without 1/m), not Y_hat": Y_hat - Y,
        },
    )


@graded("loss.cross_entropy_tiny_probabilities", probe="loss_shapes")
def test_cross_entropy_tiny_probabilities(case):
    call = "CrossEntropyLoss with probabilities of exactly 0 where Y is 0 and as small as 1e-6 where Y is 1"

    def check(function: str) -> None:
        name = f"{function}/result"
        finite(case, name, f"{call}, {function.split('.')[1]}", function)
        matches_reference(case, name, f"{call}, {function.split('.')[1]}", what="L" if function.endswith("forward") else "dL/dY_hat", function=function)

    by_function(case, case.args["functions"], check)


@graded("loss.mse_forward", probe="loss_forward")
def test_mse_forward(case):
    call = forward_call(case, "MSELoss")
    scalar(case, "L", call)
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    matches_reference(case, "L", call, suspects={
        "this is the mean over every entry (divided by m * k): average over the m examples and sum over the outputs": np.mean((Y - Y_hat) ** 2),
    })


@graded("loss.mse_backward", probe="loss_backward")
def test_mse_backward(case):
    Y, Y_hat = case.inputs["Y"], case.inputs["Y_hat"]
    matches_reference(
        case, "dY_hat", backward_call(case, "MSELoss"), what="dL/dY_hat",
        suspects={
            "the sign is flipped: the derivative of (Y - Y_hat)**2 with respect to Y_hat is -2 (Y - Y_hat)": 2 * (Y - Y_hat) / len(Y),
            "this divides by m * k (the mean over every entry): the loss averages over the m examples only": -2 * (Y - Y_hat) / Y.size,
        },
    )


def value_test(label: str) -> str:
    name, method = label.split(".")
    return f"loss.{'cross_entropy' if name == 'CrossEntropyLoss' else 'mse'}_{method}"


@graded("loss.shapes_and_types", probe="loss_shapes")
def test_shapes_and_types(case):
    def check(label: str) -> None:
        name, method = label.split(".")
        for size in case.args["sizes"]:
            Y_hat = case.inputs[f"{size}/Y_hat"]
            where = f"{label} ({size.replace('_', ' ')}, Y_hat of shape {Y_hat.shape})"
            result = f"{label}/{size}/result"
            if method == "forward":
                scalar(case, result, where, label)
            else:
                has_shape_and_dtype(case, result, Y_hat.shape, "float64", where, label)
            results_right(case, [result], label, value_test(label))

    by_function(case, case.args["functions"], check)


@graded("loss.inputs_unchanged", probe="loss_inputs_unchanged")
def test_inputs_unchanged(case):
    def check(label: str) -> None:
        results_right(case, [f"{label}/result"], label, value_test(label))
        unchanged(case, {f"{label}/Y": "Y", f"{label}/Y_hat": "Y_hat"}, label, INPUT_ADVICE)

    by_function(case, case.args["functions"], check)


@graded("loss.vectorised", probe="loss_vectorised")
def test_vectorised(case):
    def check(label: str) -> None:
        vectorised_part(case, "loss", label, [f"{label}/{size}/result" for size in case.args["sizes"]])

    by_function(case, case.args["functions"], check)
