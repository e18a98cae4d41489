"""Checks of layers.py: FullyConnectedLayer forward and backward.

The layer under test gets the grader's own activation, f(z) = z + z**2 / 4 (see harness/probes.py),
so these checks do not depend on the submission's activations.py.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    gradient_matches,
    has_shape_and_dtype,
    loops_over_examples,
    matches_reference,
    results_right,
    shapes_of,
    unchanged,
)


def activation(Z):
    return Z + 0.25 * Z * Z


def activation_derivative(Z):
    return 1.0 + 0.5 * Z


def forward_call(case) -> str:
    return f"FullyConnectedLayer.forward(X) with {shapes_of(case, 'X', 'W', 'b')}"


def backward_call(case) -> str:
    return f"FullyConnectedLayer.backward(dLdY) after forward(X), with {shapes_of(case, 'X', 'W', 'b', 'dY')}"


def pre_activation_gradient(case) -> np.ndarray:
    """dL/dZ for the case's inputs, used only to name likely mistakes."""
    X, W, b = case.inputs["X"], case.inputs["W"], case.inputs["b"]
    return case.inputs["dY"] * activation_derivative(X @ W + b)


def test_forward(case):
    X, W, b = case.inputs["X"], case.inputs["W"], case.inputs["b"]
    matches_reference(
        case,
        "Y",
        forward_call(case),
        suspects={
            "this is X @ W + b without the activation: return activation(Z)": X @ W + b,
            "the bias is missing: Z = X @ W + b": activation(X @ W),
        },
    )


def test_cache(case):
    call = forward_call(case)
    matches_reference(case, "cache_X", call, advice="store the input X as cache['X']")
    matches_reference(case, "cache_Z", call, advice="store Z = X @ W + b (before the activation) as cache['Z']")


def test_backward_input(case):
    W = case.inputs["W"]
    gradient_matches(
        case, "dX", "Y_X", case.inputs["X"], case.inputs["dY"], backward_call(case),
        suspects={"this skips the activation's derivative: dZ = activation.backward(Z, dLdY)": case.inputs["dY"] @ W.T},
    )


def test_backward_weights(case):
    X, dY = case.inputs["X"], case.inputs["dY"]
    dZ = pre_activation_gradient(case)
    gradient_matches(
        case, "dW", "Y_W", case.inputs["W"], dY, backward_call(case) + ", then gradients['W']",
        suspects={
            "this skips the activation's derivative: dZ = activation.backward(Z, dLdY)": X.T @ dY,
            f"divided by the batch size m = {len(X)}: the loss already averages, the layer must not": X.T @ dZ / len(X),
        },
    )


def test_backward_bias(case):
    dY = case.inputs["dY"]
    dZ = pre_activation_gradient(case)
    gradient_matches(
        case, "db", "Y_b", case.inputs["b"], dY, backward_call(case) + ", then gradients['b']",
        suspects={
            "this averages dZ over the batch: the bias gradient is the sum over axis 0": dZ.mean(axis=0, keepdims=True),
            "this skips the activation's derivative: dZ = activation.backward(Z, dLdY)": dY.sum(axis=0, keepdims=True),
        },
    )


def test_gradients_overwritten(case):
    call = "FullyConnectedLayer.backward called twice (forward, backward, forward, backward)"
    for key in ("dW", "db"):
        accumulated = case.expected[f"first/{key}"] + case.expected[f"second/{key}"]
        matches_reference(
            case, f"second/{key}", call, what=f"gradients['{key[1:]}'] after the second backward",
            suspects={"the second backward added to the first one's gradient: assign (gradients['W'] = ...) instead of +=": accumulated},
        )


def test_batch_of_one_non_square(case):
    call = f"FullyConnectedLayer with a batch of one: {shapes_of(case, 'X', 'W', 'b', 'dY')}"
    X, W, b, dY = (case.inputs[name] for name in ("X", "W", "b", "dY"))
    matches_reference(case, "Y", call + ", forward")
    has_shape_and_dtype(case, "dX", X.shape, "float64", call + ", backward's dL/dX")
    for key, wrt, point in (("dX", "Y_X", X), ("dW", "Y_W", W), ("db", "Y_b", b)):
        gradient_matches(case, key, wrt, point, dY, f"{call}, backward ({key})")


def test_inputs_unchanged(case):
    call = "FullyConnectedLayer.forward / backward"
    results_right(case, ["Y", "dX", "dW", "db"], call)
    unchanged(case, {"X": "X", "dY": "dY", "W": "W", "b": "b"}, call)


def test_vectorised(case):
    loops_over_examples(case, ["FullyConnectedLayer.forward", "FullyConnectedLayer.backward"])
