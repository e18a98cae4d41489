"""Checks of model.py: NeuralNetworkModel forward, backward and predict.

The model under test is built from stand-in layers and a stand-in loss (harness/probes.py) that
record what they receive, so these checks test only the model's own plumbing, not the
submission's layers or losses.
"""

from __future__ import annotations


from autograder.checks.common import calls_succeeded, has_shape_and_dtype, matches_reference, results_right, shapes_of, unchanged
from autograder.compare import CheckFailed


def layer_count(case) -> int:
    return case.args["layers"]


def test_forward(case):
    call = f"NeuralNetworkModel.forward(X) with {shapes_of(case, 'X')} through {layer_count(case)} layers"
    for position in range(layer_count(case)):
        source = "X itself" if position == 0 else f"layer {position - 1}'s output"
        matches_reference(case, f"layer{position}/X", call, advice=f"layer {position} must receive {source}")
    matches_reference(case, "Y_hat", call, advice="return the last layer's output")


def test_backward_returns_loss(case):
    call = f"NeuralNetworkModel.backward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat')}"
    value = case.output("L", call)
    if value.ndim != 0:
        raise CheckFailed(f"{call}: should return the loss as one number, received shape {value.shape}")
    matches_reference(case, "L", call, advice="return self.loss(Y, Y_hat) (the model's loss, with Y first)")


def test_backward_chain(case):
    call = f"NeuralNetworkModel.backward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat')} through {layer_count(case)} layers"
    order = case.output("backward_order", call)
    expected = list(range(layer_count(case)))[::-1]
    if list(order) != expected:
        raise CheckFailed(
            f"{call}: the layers' backward methods were called in the order {list(order)}; expected {expected}, "
            "each exactly once, from the last layer to the first"
        )
    last = layer_count(case) - 1
    for position in range(last, -1, -1):
        source = "the loss's backward(Y, Y_hat)" if position == last else f"layer {position + 1}'s backward"
        matches_reference(case, f"layer{position}/dY", call, advice=f"layer {position}'s backward must receive what {source} returned")


def test_predict(case):
    call = f"NeuralNetworkModel.predict(X) with {shapes_of(case, 'X')}"
    X = case.inputs["X"]
    has_shape_and_dtype(case, "labels", (len(X),), "iu", call)
    matches_reference(case, "labels", call, advice="return the index of the largest output in each row: np.argmax(..., axis=1)")


def test_batch_of_one(case):
    call = f"NeuralNetworkModel with a batch of one ({shapes_of(case, 'X', 'Y')})"
    matches_reference(case, "Y_hat", call + ", forward")
    has_shape_and_dtype(case, "labels", (1,), "iu", call + ", predict")
    matches_reference(case, "L", call + ", backward")


def test_inputs_unchanged(case):
    labels = ["NeuralNetworkModel.forward", "NeuralNetworkModel.predict", "NeuralNetworkModel.backward"]
    calls_succeeded(case, labels + ["result/Y_hat", "result/labels", "result/L"])
    results_right(case, ["result/Y_hat", "result/labels", "result/L"], "NeuralNetworkModel.forward / predict / backward")
    unchanged(case, {"X": "X", "Y": "Y", "Y_hat": "Y_hat"}, "NeuralNetworkModel.forward / predict / backward")
