"""Checks of activations.py: Sigmoid, TanH, ReLU and SoftMax, forward and backward.

A backward test calls only the backward, with a correct forward in its class (so a backward that
calls ``self.forward`` is judged on its own formula)."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    ACTIVATION_ADVICE,
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

BACKWARD_ADVICE = (
    "this test calls only backward, with a correct forward in place of yours, so the mistake is in "
    "backward itself (or in a helper function it calls)"
)


def forward(case, name: str, **hints) -> None:
    matches_reference(case, "Y", f"{name}.forward(Z) with {shapes_of(case, 'Z')}", what="the output A", **hints)


def backward(case, name: str, suspects: dict) -> None:
    dY = case.inputs["dY"]
    suspects = {"it returns dY unchanged: multiply by the derivative of the activation": dY, **suspects}
    matches_reference(
        case, "dZ", f"{name}.backward(Z, dY) with {shapes_of(case, 'Z', 'dY')}", what="dL/dZ", suspects=suspects, advice=BACKWARD_ADVICE
    )


def sigmoid(Z):
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


@graded("activations.sigmoid_forward", probe="activation_forward")
def test_sigmoid_forward(case):
    Z = case.inputs["Z"]
    forward(case, "Sigmoid", suspects={"this is 1 / (1 + exp(Z)) = 1 - sigmoid(Z): check the sign in exp(-Z)": sigmoid(-Z)})


@graded("activations.sigmoid_backward", probe="activation_backward")
def test_sigmoid_backward(case):
    s, dY = sigmoid(case.inputs["Z"]), case.inputs["dY"]
    backward(case, "Sigmoid", {
        "this is the derivative alone, s * (1 - s): multiply it by dY": s * (1 - s),
        "this is dY * s: the derivative of the sigmoid is s * (1 - s)": dY * s,
    })


@graded("activations.tanh_forward", probe="activation_forward")
def test_tanh_forward(case):
    forward(case, "TanH")


@graded("activations.tanh_backward", probe="activation_backward")
def test_tanh_backward(case):
    t, dY = np.tanh(case.inputs["Z"]), case.inputs["dY"]
    backward(case, "TanH", {
        "this is dY * (1 - tanh(Z)): the derivative squares tanh, 1 - tanh(Z)**2": dY * (1 - t),
        "this is the derivative alone, 1 - tanh(Z)**2: multiply it by dY": 1 - t * t,
    })


@graded("activations.relu_forward", probe="activation_forward")
def test_relu_forward(case):
    forward(case, "ReLU")


@graded("activations.relu_backward", probe="activation_backward")
def test_relu_backward(case):
    Z, dY = case.inputs["Z"], case.inputs["dY"]
    backward(case, "ReLU", {
        "this is dY * ReLU(Z): use the derivative (1 where Z > 0, else 0), not the output": dY * np.maximum(Z, 0),
        "this passes dY where Z >= 0: the derivative at Z = 0 is defined as 0 here, so use Z > 0": dY * (Z >= 0),
        "this is the derivative alone: multiply it by dY": (Z > 0).astype(float),
    })


def softmax(Z, axis=1):
    shifted = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def rows_sum_to_one(case, name: str) -> str | None:
    received = case.outputs.get(name)
    if received is None or np.shape(received) != case.inputs["Z"].shape or not np.all(np.isfinite(received)):
        return None
    if not np.allclose(np.sum(received, axis=1), 1.0, rtol=1e-6, atol=1e-6):
        return "each row of the result must sum to 1 (softmax normalises every row of Z on its own): sum over axis=1 with keepdims=True"
    return None


@graded("activations.softmax_forward", probe="activation_forward")
def test_softmax_forward(case):
    Z = case.inputs["Z"]
    forward(
        case, "SoftMax",
        suspects={"this normalises each column: each row must sum to 1, so sum over axis=1 with keepdims=True": softmax(Z, axis=0)},
        advice=rows_sum_to_one(case, "Y"),
    )


@graded("activations.softmax_backward", probe="activation_backward")
def test_softmax_backward(case):
    Z, dY = case.inputs["Z"], case.inputs["dY"]
    s = softmax(Z)
    backward(case, "SoftMax", {
        "this uses only the diagonal of the Jacobian, s * (1 - s) * dY: the off-diagonal terms -s_i s_j matter too": s * (1 - s) * dY,
        "this sums s * dY over axis 0 (down the batch): each row has its own Jacobian, so sum over axis=1": s * dY - s * np.sum(s * dY, axis=0, keepdims=True),
    })


@graded("activations.softmax_large_logits", probe="activation_forward")
def test_softmax_large_logits(case):
    call = f"SoftMax.forward on logits near +-1000 ({shapes_of(case, 'Z')})"
    Y = case.output("Y", call, "SoftMax.forward")
    if Y.shape == case.expected["Y"].shape and not np.all(np.isfinite(Y)):
        raise CheckFailed(
            f"{call}: returned nan or inf. Subtract each row's maximum before exp (not the mean, not a constant): "
            "it leaves the result unchanged and keeps exp from overflowing."
        )
    matches_reference(case, "Y", call, what="the output A")


def value_test(label: str) -> str:
    """"ReLU.backward" -> "activations.relu_backward", the test of that function's values."""
    name, method = label.split(".")
    return f"activations.{name.lower()}_{method}"


@graded("activations.shapes_and_dtypes", probe="activation_shapes")
def test_shapes_and_dtypes(case):
    def check(label: str) -> None:
        for size in case.args["sizes"]:
            Z = case.inputs[f"{size}/Z"]
            call = f"{label} ({size.replace('_', ' ')}, Z of shape {Z.shape})"
            name = f"{label}/{size}/result"
            has_shape_and_dtype(case, name, Z.shape, "float64", call, label)
            results_right(case, [name], label, value_test(label))

    by_function(case, case.args["functions"], check)


@graded("activations.inputs_unchanged", probe="activation_inputs_unchanged")
def test_inputs_unchanged(case):
    def check(label: str) -> None:
        results_right(case, [f"{label}/result"], label, value_test(label))
        arrays = {f"{label}/Z": "Z"} if label.endswith("forward") else {f"{label}/Z": "Z", f"{label}/dY": "dY"}
        unchanged(case, arrays, label, ACTIVATION_ADVICE)

    by_function(case, case.args["functions"], check)


@graded("activations.vectorised", probe="activation_vectorised")
def test_vectorised(case):
    def check(label: str) -> None:
        vectorised_part(case, "activations", label, [f"{label}/{size}/result" for size in case.args["sizes"]],
                        allowed="only SoftMax.backward may loop (over rows)")

    by_function(case, case.args["functions"], check)
