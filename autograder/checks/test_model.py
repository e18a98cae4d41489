"""Checks of model.py: NeuralNetworkModel forward, backward and predict.

The model under test is built from stand-in layers and a stand-in loss (harness/standins.py) that
record what they receive, so these checks test only the model's own plumbing, not the
submission's layers or losses; predict gets a stand-in forward that returns given outputs, so it is
judged on its own.
"""

from __future__ import annotations


from autograder.checks.common import by_function, has_shape_and_dtype, matches_reference, results_right, shapes_of, unchanged
from autograder.checks.compare import CheckFailed
from autograder.checks.registry import graded

FORWARD, PREDICT, BACKWARD = "NeuralNetworkModel.forward", "NeuralNetworkModel.predict", "NeuralNetworkModel.backward"
INPUT_ADVICE = "Pass the arrays along without changing them (no X -= ..., no in-place edits of Y or Y_hat)."


def layer_count(case) -> int:
    return case.args["layers"]


def forward_plumbing(case, call: str, prefix: str = "") -> None:
    for position in range(layer_count(case)):
        calls = int(case.output(f"{prefix}layer{position}/forward_calls", call, FORWARD))
        if calls != 1:
            raise CheckFailed(f"{call}: layer {position}'s forward was called {calls} times; call each layer's forward once, in order")
        source = "X itself" if position == 0 else f"layer {position - 1}'s output"
        matches_reference(case, f"{prefix}layer{position}/X", call, what=f"the input of layer {position}", advice=f"layer {position} must receive {source}")


@graded("model.forward", probe="model_forward")
def test_forward(case):
    call = f"NeuralNetworkModel.forward(X) with {shapes_of(case, 'X')} through {layer_count(case)} layers"
    case.output("Y_hat", call, FORWARD)  # what the call itself did first: raised, or not written
    forward_plumbing(case, call)
    matches_reference(case, "Y_hat", call, what="the returned output", advice="return the last layer's output")


@graded("model.backward_returns_loss", probe="model_backward")
def test_backward_returns_loss(case):
    call = f"NeuralNetworkModel.backward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat')}"
    value = case.output("L", call)
    if value.ndim != 0:
        raise CheckFailed(f"{call}: should return the loss as one number, received shape {value.shape}")
    matches_reference(case, "L", call, what="the returned loss", advice="return self.loss(Y, Y_hat) (the model's loss, with Y first)")


def backward_plumbing(case, call: str, prefix: str = "") -> None:
    order = case.output(f"{prefix}backward_order", call, BACKWARD)
    expected = list(range(layer_count(case)))[::-1]
    if list(order) != expected:
        raise CheckFailed(
            f"{call}: the layers' backward methods were called in the order {[int(i) for i in order]}; expected "
            f"{expected}, each exactly once, from the last layer to the first"
        )
    last = layer_count(case) - 1
    for position in range(last, -1, -1):
        source = "the loss's backward(Y, Y_hat)" if position == last else f"layer {position + 1}'s backward"
        matches_reference(
            case, f"{prefix}layer{position}/dY", call, what=f"the gradient given to layer {position}",
            advice=f"layer {position}'s backward must receive what {source} returned",
        )


@graded("model.backward_chain", probe="model_backward")
def test_backward_chain(case):
    call = f"NeuralNetworkModel.backward(Y, Y_hat) with {shapes_of(case, 'Y', 'Y_hat')} through {layer_count(case)} layers"
    try:
        backward_plumbing(case, call)
    except CheckFailed:
        if case.status != "ok" and "L" not in case.outputs:
            case.output("L", call, BACKWARD)  # it raised part way: that is the news
        raise


def predict_check(case, name: str, call: str) -> None:
    outputs = case.inputs["outputs"]
    received = case.output(name, call, PREDICT)
    if received.shape == (outputs.shape[1],) and outputs.shape[0] != outputs.shape[1]:
        raise CheckFailed(
            f"{call}: returned {outputs.shape[1]} labels (one per column of the outputs); predict returns one label per "
            "row, the index of its largest output: np.argmax(..., axis=1)"
        )
    has_shape_and_dtype(case, name, (len(outputs),), "iu", call, PREDICT, what="the labels")
    matches_reference(
        case, name, call, what="the predicted labels",
        suspects={"this is each row's largest output, not its position: use np.argmax(..., axis=1)": outputs.max(axis=1)},
        advice="return the index of the largest output in each row: np.argmax(self.forward(X), axis=1)",
    )


@graded("model.predict", probe="model_predict")
def test_predict(case):
    predict_check(case, "labels", f"NeuralNetworkModel.predict(X) with {shapes_of(case, 'X')}")


@graded("model.batch_of_one", probe="model_batch_of_one")
def test_batch_of_one(case):
    call = f"NeuralNetworkModel with a batch of one ({shapes_of(case, 'X', 'Y')})"

    def check(function: str) -> None:
        if function == FORWARD:
            case.output("forward/Y_hat", call + ", forward", function)
            forward_plumbing(case, call + ", forward", "forward/")
            matches_reference(case, "forward/Y_hat", call + ", forward", what="the returned output", function=function)
        elif function == PREDICT:
            predict_check(case, "predict/labels", call + ", predict")
        else:
            case.output("backward/L", call + ", backward", function)
            matches_reference(case, "backward/L", call + ", backward", what="the returned loss", function=function)
            backward_plumbing(case, call + ", backward", "backward/")

    by_function(case, [FORWARD, PREDICT, BACKWARD], check)


@graded("model.inputs_unchanged", probe="model_inputs_unchanged")
def test_inputs_unchanged(case):
    results = {FORWARD: ["forward/Y_hat"], PREDICT: ["predict/labels"], BACKWARD: ["backward/L"]}
    arrays = {FORWARD: {"forward/X": "X"}, PREDICT: {"predict/X": "X"}, BACKWARD: {"backward/Y": "Y", "backward/Y_hat": "Y_hat"}}
    tests = {FORWARD: "model.forward", PREDICT: "model.predict", BACKWARD: "model.backward_returns_loss"}

    def check(function: str) -> None:
        results_right(case, results[function], function, tests[function])
        unchanged(case, arrays[function], function, INPUT_ADVICE)

    by_function(case, [FORWARD, PREDICT, BACKWARD], check)
