"""Checks of activations.py: Sigmoid, TanH, ReLU and SoftMax, forward and backward."""

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


def forward(case, name: str, **hints) -> None:
    matches_reference(case, "Y", f"{name}.forward(Z) with {shapes_of(case, 'Z')}", **hints)


def backward(case, name: str, **hints) -> None:
    Z, dY = case.inputs["Z"], case.inputs["dY"]
    gradient_matches(case, "dZ", "Y", Z, dY, f"{name}.backward(Z, dY) with {shapes_of(case, 'Z', 'dY')}", **hints)


def passes_dY_through(case) -> dict:
    return {"it returns dY unchanged: multiply by the derivative of the activation": case.inputs["dY"]}


def test_sigmoid_forward(case):
    forward(case, "Sigmoid", suspects={"this is exp(-Z) / (1 + exp(-Z)) = 1 - sigmoid(Z): check the sign in exp": 1 - case.expected["Y"]})


def test_sigmoid_backward(case):
    s = 1 / (1 + np.exp(-case.inputs["Z"]))
    backward(case, "Sigmoid", suspects={**passes_dY_through(case), "this is the derivative alone: multiply it by dY": s * (1 - s)})


def test_tanh_forward(case):
    forward(case, "TanH")


def test_tanh_backward(case):
    t = np.tanh(case.inputs["Z"])
    backward(case, "TanH", suspects={**passes_dY_through(case), "this is dY * (1 - tanh(Z)): the derivative squares tanh": case.inputs["dY"] * (1 - t)})


def test_relu_forward(case):
    forward(case, "ReLU")


def test_relu_backward(case):
    Z, dY = case.inputs["Z"], case.inputs["dY"]
    backward(case, "ReLU", suspects={**passes_dY_through(case), "this is dY * ReLU(Z): use the derivative (1 where Z > 0), not the output": dY * np.maximum(Z, 0)})


def test_softmax_forward(case):
    Z = case.inputs["Z"]
    column_softmax = np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0)
    forward(case, "SoftMax", suspects={"normalised over columns: sum over axis=1 (each row) instead": column_softmax})


def test_softmax_backward(case):
    Z, dY = case.inputs["Z"], case.inputs["dY"]
    S = np.exp(Z - Z.max(axis=1, keepdims=True))
    s = S / S.sum(axis=1, keepdims=True)
    suspects = passes_dY_through(case)
    suspects["only the diagonal of the Jacobian, s * (1 - s) * dY: the off-diagonal terms -s_i s_j matter"] = s * (1 - s) * dY
    backward(case, "SoftMax", suspects=suspects)


def test_softmax_large_logits(case):
    call = f"SoftMax on logits near +-1000 ({shapes_of(case, 'Z')})"
    Y = case.output("Y", call)
    if Y.shape == case.expected["Y"].shape and not np.all(np.isfinite(Y)):
        raise CheckFailed(f"{call}: forward returned nan or inf. Subtract each row's maximum before exp: it leaves the result unchanged and keeps exp from overflowing.")
    matches_reference(case, "Y", call + ", forward")
    backward(case, "SoftMax")


def test_shapes_and_dtypes(case):
    labels = [
        label
        for name in ("Sigmoid", "TanH", "ReLU", "SoftMax")
        for variant in case.args["cases"]
        for label in (f"{name}.forward ({variant})", f"{name}.backward ({variant})", f"{name}/{variant}/Y", f"{name}/{variant}/dZ")
    ]
    calls_succeeded(case, labels)
    for name in ("Sigmoid", "TanH", "ReLU", "SoftMax"):
        for variant in case.args["cases"]:
            Z = case.inputs[f"{variant}/Z"]
            for output, method in (("Y", "forward"), ("dZ", "backward")):
                call = f"{name}.{method} ({variant.replace('_', ' ')}, Z of shape {Z.shape})"
                has_shape_and_dtype(case, f"{name}/{variant}/{output}", Z.shape, "float64", call)
                matches_reference(case, f"{name}/{variant}/{output}", call, what=output)


def test_inputs_unchanged(case):
    for name in ("Sigmoid", "TanH", "ReLU", "SoftMax"):
        call = f"{name}.forward / {name}.backward"
        calls_succeeded(case, [f"{name}.forward", f"{name}.backward", f"{name}/Y", f"{name}/dZ"])
        results_right(case, [f"{name}/Y", f"{name}/dZ"], call)
        unchanged(case, {f"{name}/Z": "Z", f"{name}/dY": "dY"}, call)


def test_vectorised(case):
    loops_over_examples(case, case.args["functions"], allowed_loops="only SoftMax.backward may loop over rows")
