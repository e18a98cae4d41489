"""Checks of layers.py: FullyConnectedLayer forward and backward.

The layer under test gets the grader's own activation, f(z) = z + z**2 / 4 (see harness/standins.py),
so these checks do not depend on the submission's activations.py. The backward tests give backward
the reference cache (cache["X"], cache["Z"]) and a correct forward, so a forward mistake costs the
forward tests only.
"""

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
from autograder.checks.registry import graded

FORWARD, BACKWARD = "FullyConnectedLayer.forward", "FullyConnectedLayer.backward"
BACKWARD_ADVICE = (
    "this test gives backward the reference cache (cache['X'] and cache['Z'] as the contract defines them) "
    "and a correct forward, so the mistake is in backward itself"
)
INPUT_ADVICE = "Compute new arrays (Z = X @ W + b, X.T @ dZ) instead of changing the ones you are given or keep in the cache."


def activation(Z):
    return Z + 0.25 * Z * Z


def activation_derivative(Z):
    return 1.0 + 0.5 * Z


def forward_call(case) -> str:
    return f"FullyConnectedLayer.forward(X) with {shapes_of(case, 'X', 'W', 'b')}"


def backward_call(case) -> str:
    call = f"FullyConnectedLayer.backward(dLdY) with {shapes_of(case, 'X', 'W', 'b', 'dY')}"
    if "used_own_forward" in case.outputs:
        call += " (it needed more than cache['X'] and cache['Z'], so it ran after your own forward)"
    return call


def pre_activation_gradient(case) -> np.ndarray:
    """dL/dZ for the case's inputs, used only to name likely mistakes."""
    return case.inputs["dY"] * activation_derivative(case.inputs["Z"])


@graded("layers.forward", probe="layer_forward")
def test_forward(case):
    X, W, b = case.inputs["X"], case.inputs["W"], case.inputs["b"]
    matches_reference(
        case, "Y", forward_call(case), what="the output A",
        suspects={
            "this is X @ W + b without the activation: return self.activation(Z)": X @ W + b,
            "the bias is missing: Z = X @ W + b": activation(X @ W),
        },
    )


@graded("layers.cache", probe="layer_forward")
def test_cache(case):
    call = forward_call(case)
    advice = {"cache['X']": "store the input X as cache['X']", "cache['Z']": "store Z = X @ W + b (before the activation) as cache['Z']"}
    names = {"cache['X']": "cache_X", "cache['Z']": "cache_Z"}
    by_function(case, list(names), lambda part: matches_reference(case, names[part], call, what=part, advice=advice[part]))


@graded("layers.backward_input", probe="layer_backward")
def test_backward_input(case):
    W = case.inputs["W"]
    dZ = pre_activation_gradient(case)
    matches_reference(
        case, "dX", backward_call(case), what="the returned dL/dX",
        suspects={
            "this skips the activation's derivative: dZ = self.activation.backward(Z, dLdY), then dZ @ W.T": case.inputs["dY"] @ W.T,
            "this is dZ, not dL/dX: return dZ @ W.T": dZ,
        },
        advice=BACKWARD_ADVICE,
    )


@graded("layers.backward_weights", probe="layer_backward")
def test_backward_weights(case):
    X, dY = case.inputs["X"], case.inputs["dY"]
    dZ = pre_activation_gradient(case)
    matches_reference(
        case, "dW", backward_call(case) + ", then gradients['W']", what="gradients['W']",
        suspects={
            "this skips the activation's derivative: dZ = self.activation.backward(Z, dLdY)": X.T @ dY,
            f"divided by the batch size m = {len(X)}: the loss already averages, the layer must not": X.T @ dZ / len(X),
        },
        advice=BACKWARD_ADVICE,
    )


@graded("layers.backward_bias", probe="layer_backward")
def test_backward_bias(case):
    dY = case.inputs["dY"]
    dZ = pre_activation_gradient(case)
    matches_reference(
        case, "db", backward_call(case) + ", then gradients['b']", what="gradients['b']",
        suspects={
            "this averages dZ over the batch: the bias gradient is the sum over axis 0 (keepdims=True)": dZ.mean(axis=0, keepdims=True),
            "this skips the activation's derivative: dZ = self.activation.backward(Z, dLdY)": dY.sum(axis=0, keepdims=True),
        },
        advice=BACKWARD_ADVICE,
    )


@graded("layers.gradients_overwritten", probe="layer_gradients_overwritten")
def test_gradients_overwritten(case):
    call = "FullyConnectedLayer.backward called twice on the same layer"

    def check(part: str) -> None:
        key = "dW" if part == "gradients['W']" else "db"
        results_right(case, [f"first/{key}"], BACKWARD, "backward_weights" if key == "dW" else "backward_bias")
        accumulated = case.expected[f"first/{key}"] + case.expected[f"second/{key}"]
        matches_reference(
            case, f"second/{key}", call, what=f"{part} after the second backward",
            suspects={"the second backward added to the first one's gradient: assign (gradients[...] = ...) instead of +=": accumulated},
        )

    by_function(case, ["gradients['W']", "gradients['b']"], check)


def backward_results(prefix: str = "") -> list[str]:
    return [f"backward/{prefix}{name}" for name in ("dX", "dW", "db")]


@graded("layers.batch_of_one_non_square", probe="layer_batch_of_one")
def test_batch_of_one_non_square(case):
    X = case.inputs["X"]
    call = f"FullyConnectedLayer with a batch of one ({shapes_of(case, 'X', 'W', 'b')})"

    def check(function: str) -> None:
        if function == FORWARD:
            has_shape_and_dtype(case, "forward/Y", case.expected["forward/Y"].shape, "f", call + ", forward", function)
            matches_reference(case, "forward/Y", call + ", forward", what="the output A")
        else:
            has_shape_and_dtype(case, "backward/dX", X.shape, "f", call + ", backward's dL/dX", function)
            for name in backward_results():
                matches_reference(case, name, call + ", backward", what=name.split("/")[-1], function=function)

    by_function(case, [FORWARD, BACKWARD], check)


@graded("layers.inputs_unchanged", probe="layer_inputs_unchanged")
def test_inputs_unchanged(case):
    def check(function: str) -> None:
        if function == FORWARD:
            results_right(case, ["forward/Y"], function, "layers.forward")
            unchanged(case, {"forward/X": "X", "forward/W": "W", "forward/b": "b"}, function, INPUT_ADVICE)
        else:
            results_right(case, backward_results(), function, "the layers' backward tests")
            arrays = {"backward/X": "X", "backward/Z": "Z", "backward/dY": "dY", "backward/W": "W", "backward/b": "b"}
            unchanged(case, arrays, function, INPUT_ADVICE)

    by_function(case, [FORWARD, BACKWARD], check)


@graded("layers.vectorised", probe="layer_vectorised")
def test_vectorised(case):
    def check(function: str) -> None:
        names = [f"forward/{size}/Y" for size in case.args["sizes"]] if function == FORWARD else [
            name for size in case.args["sizes"] for name in backward_results(f"{size}/")
        ]
        vectorised_part(case, "layers", function, names)

    by_function(case, [FORWARD, BACKWARD], check)
