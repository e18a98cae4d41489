"""Bad input gets a ValueError whose message names the function, what it expected and what it got;
and no function changes the arrays it is given.

A message is checked for substrings a reader needs (both shapes, the bad value, the valid names),
not for its exact wording.
"""

from __future__ import annotations

import numpy as np
import pytest

from solution import (
    SGD,
    Adam,
    CrossEntropyLoss,
    DataLoader,
    FullyConnectedLayer,
    Linear,
    MSELoss,
    NeuralNetworkModel,
    ReLU,
    Sigmoid,
    SoftMax,
    TanH,
    initialize_activation,
    initialize_loss,
    initialize_optimizer,
    initialize_weights,
    load_dataset,
    one_hot,
)

ACTIVATIONS = {"linear": Linear, "sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU, "softmax": SoftMax}
LOSSES = {"cross_entropy": CrossEntropyLoss, "mse": MSELoss}


def error_message(call, *args, **kwargs) -> str:
    """The message of the ValueError that ``call(*args, **kwargs)`` must raise."""
    with pytest.raises(ValueError) as error:
        call(*args, **kwargs)
    return str(error.value)


def assert_mentions(message: str, *fragments: str) -> None:
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"message {message!r} does not mention {missing}"


# --------------------------------------------------------------------------------------------
# Shape mismatches
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dY_shape", [(4, 2), (3, 3), (12,)], ids=lambda shape: f"dY{shape}")
def test_activation_backward_rejects_upstream_gradient_of_another_shape(name: str, dY_shape) -> None:
    activation = ACTIVATIONS[name]()
    message = error_message(activation.backward, np.ones((4, 3)), np.ones(dY_shape))
    assert_mentions(message, f"{ACTIVATIONS[name].__name__}.backward", "(4, 3)", str(dY_shape))


@pytest.mark.parametrize("X_shape", [(5, 6), (5, 3), (1, 1)], ids=lambda shape: f"X{shape}")
def test_fully_connected_forward_rejects_wrong_column_count(X_shape) -> None:
    layer = FullyConnectedLayer(4, 3, rng=np.random.default_rng(0))
    message = error_message(layer.forward, np.ones(X_shape))
    assert_mentions(message, "FullyConnectedLayer.forward", "4 columns", str(X_shape))


@pytest.mark.parametrize("X", [np.ones(4), np.ones((2, 2, 4)), [[1.0, 2.0, 3.0, 4.0]]], ids=["1-D", "3-D", "list"])
def test_fully_connected_forward_rejects_anything_but_a_2d_array(X) -> None:
    layer = FullyConnectedLayer(4, 3, rng=np.random.default_rng(0))
    message = error_message(layer.forward, X)
    received = str(X.shape) if isinstance(X, np.ndarray) else type(X).__name__
    assert_mentions(message, "FullyConnectedLayer.forward", "2-D", received)


@pytest.mark.parametrize("dLdY_shape", [(5, 2), (4, 3), (15,)], ids=lambda shape: f"dLdY{shape}")
def test_fully_connected_backward_rejects_gradient_not_shaped_like_its_output(dLdY_shape) -> None:
    layer = FullyConnectedLayer(4, 3, rng=np.random.default_rng(0))
    layer.forward(np.ones((5, 4)))
    message = error_message(layer.backward, np.ones(dLdY_shape))
    assert_mentions(message, "FullyConnectedLayer.backward", "(5, 3)", str(dLdY_shape))


def test_fully_connected_backward_before_forward_says_to_call_forward_first() -> None:
    layer = FullyConnectedLayer(4, 3, rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="call forward first"):
        layer.backward(np.ones((5, 3)))


@pytest.mark.parametrize(
    "n_in, n_out, bad_name, bad_value",
    [(0, 3, "n_in", 0), (4, -1, "n_out", -1), (2.5, 3, "n_in", 2.5)],
    ids=["n_in=0", "n_out=-1", "n_in=2.5"],
)
def test_fully_connected_layer_rejects_non_positive_or_non_integer_sizes(n_in, n_out, bad_name, bad_value) -> None:
    message = error_message(FullyConnectedLayer, n_in, n_out)
    assert_mentions(message, "FullyConnectedLayer", bad_name, "positive int", repr(bad_value))


@pytest.mark.parametrize("method", ["forward", "backward"])
@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize(
    "Y_shape, Y_hat_shape",
    [((4, 3), (4, 2)), ((5, 3), (4, 3)), ((4,), (4, 3))],
    ids=["fewer_columns", "more_rows", "labels_not_one_hot"],
)
def test_loss_rejects_targets_and_predictions_of_different_shapes(name, method, Y_shape, Y_hat_shape) -> None:
    loss = LOSSES[name]()
    message = error_message(getattr(loss, method), np.full(Y_shape, 0.5), np.full(Y_hat_shape, 0.5))
    assert_mentions(message, f"{LOSSES[name].__name__}.{method}", str(Y_shape), str(Y_hat_shape))


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_rejects_one_dimensional_predictions(name: str) -> None:
    message = error_message(LOSSES[name](), np.full(4, 0.5), np.full(4, 0.5))
    assert_mentions(message, "Y_hat", "2-D", "(4,)")


def test_model_forward_passes_on_the_first_layers_shape_error() -> None:
    model = NeuralNetworkModel([FullyConnectedLayer(4, 3, rng=np.random.default_rng(0))])
    message = error_message(model.forward, np.ones((2, 5)))
    assert_mentions(message, "4 columns", "(2, 5)")


# --------------------------------------------------------------------------------------------
# Unknown names
# --------------------------------------------------------------------------------------------

FACTORIES = {
    "activation": (initialize_activation, "rectifier", ["linear", "sigmoid", "tanh", "relu", "softmax"]),
    "loss": (initialize_loss, "hinge", ["cross_entropy", "mse"]),
    "optimizer": (initialize_optimizer, "rmsprop", ["sgd", "adam"]),
    "weights": (initialize_weights, "orthogonal", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal"]),
    "dataset": (load_dataset, "mnist", ["iris", "digits", "spiral", "xor", "gaussian", "center_surround", "circles"]),
}


@pytest.mark.parametrize("what", list(FACTORIES))
def test_unknown_name_raises_value_error_listing_the_valid_names(what: str) -> None:
    factory, bad_name, valid_names = FACTORIES[what]
    message = error_message(factory, bad_name)
    assert_mentions(message, repr(bad_name), *valid_names)


@pytest.mark.parametrize("name", ["ReLU", "relu ", "Cross_Entropy"])
def test_names_are_exact_not_case_or_space_insensitive(name: str) -> None:
    factory = initialize_loss if name.lower().startswith("cross") else initialize_activation
    assert_mentions(error_message(factory, name), repr(name))


def test_unknown_activation_name_in_layer_constructor_is_reported() -> None:
    message = error_message(FullyConnectedLayer, 4, 3, activation="leaky_relu")
    assert_mentions(message, "'leaky_relu'", "relu")


# --------------------------------------------------------------------------------------------
# DataLoader, optimizer settings, one_hot
# --------------------------------------------------------------------------------------------


def test_data_loader_rejects_inputs_and_targets_of_different_lengths() -> None:
    message = error_message(DataLoader, np.ones((10, 2)), np.ones((9, 3)))
    assert_mentions(message, "DataLoader", "10", "9")


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, None], ids=lambda value: f"batch_size={value}")
def test_data_loader_rejects_batch_size_that_is_not_a_positive_int(batch_size) -> None:
    message = error_message(DataLoader, np.ones((10, 2)), np.ones((10, 3)), batch_size=batch_size)
    assert_mentions(message, "batch_size", "positive int", repr(batch_size))


OPTIMIZER_SETTINGS = [
    (SGD, "lr", -0.1),
    (SGD, "momentum", 1.0),
    (SGD, "momentum", 1.5),
    (SGD, "momentum", -0.1),
    (SGD, "weight_decay", -1e-4),
    (Adam, "lr", -0.001),
    (Adam, "beta1", 1.0),
    (Adam, "beta2", 1.2),
    (Adam, "eps", -1e-8),
    (Adam, "weight_decay", -0.5),
    (SGD, "lr", "0.1"),
]


@pytest.mark.parametrize(
    "optimizer, setting, value",
    OPTIMIZER_SETTINGS,
    ids=[f"{optimizer.__name__}-{setting}={value!r}" for optimizer, setting, value in OPTIMIZER_SETTINGS],
)
def test_optimizer_rejects_setting_out_of_range(optimizer, setting: str, value) -> None:
    message = error_message(optimizer, **{setting: value})
    assert_mentions(message, optimizer.__name__, setting, repr(value))


def test_momentum_message_states_the_allowed_range() -> None:
    message = error_message(SGD, momentum=1.0)
    assert_mentions(message, "0.0", "1.0", "momentum")


@pytest.mark.parametrize(
    "labels, num_classes, received",
    [([0, 3, 1], 3, "3"), ([-1, 0, 1], 3, "-1"), ([0, 1, 5], 2, "5")],
    ids=["label_equal_to_num_classes", "negative_label", "label_far_too_large"],
)
def test_one_hot_rejects_labels_out_of_range(labels, num_classes, received) -> None:
    message = error_message(one_hot, np.array(labels), num_classes)
    assert_mentions(message, "one_hot", f"0..{num_classes - 1}", received)


@pytest.mark.parametrize(
    "labels, received",
    [(np.array([0.0, 1.0, 2.0]), "float64"), (np.array([[0, 1], [1, 0]]), "(2, 2)"), (np.array([True, False]), "bool")],
    ids=["float_labels", "2-D_labels", "bool_labels"],
)
def test_one_hot_rejects_labels_that_are_not_a_1d_integer_array(labels, received) -> None:
    message = error_message(one_hot, labels)
    assert_mentions(message, "one_hot", "1-D", "integer", received)


# --------------------------------------------------------------------------------------------
# Nothing mutates its inputs
# --------------------------------------------------------------------------------------------


def assert_unchanged(arrays: dict[str, np.ndarray], copies: dict[str, np.ndarray]) -> None:
    for name in arrays:
        np.testing.assert_array_equal(arrays[name], copies[name], err_msg=f"{name} was modified")


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_forward_and_backward_leave_inputs_unchanged(name: str) -> None:
    rng = np.random.default_rng(0)
    inputs = {"Z": rng.normal(size=(5, 4)), "dY": rng.normal(size=(5, 4))}
    copies = {key: value.copy() for key, value in inputs.items()}
    activation = ACTIVATIONS[name]()

    Y = activation.forward(inputs["Z"])
    dZ = activation.backward(inputs["Z"], inputs["dY"])

    assert_unchanged(inputs, copies)
    # The results are new arrays: writing into them cannot reach the inputs either.
    assert not np.shares_memory(Y, inputs["Z"]) and not np.shares_memory(dZ, inputs["dY"])


@pytest.mark.parametrize("activation", ["relu", "softmax"])
def test_fully_connected_forward_and_backward_leave_inputs_unchanged(activation: str) -> None:
    rng = np.random.default_rng(0)
    layer = FullyConnectedLayer(4, 3, activation, rng=rng)
    inputs = {"X": rng.normal(size=(6, 4)), "dLdY": rng.normal(size=(6, 3))}
    copies = {key: value.copy() for key, value in inputs.items()}
    parameters = {key: value.copy() for key, value in layer.parameters.items()}

    layer.forward(inputs["X"])
    layer.backward(inputs["dLdY"])

    assert_unchanged(inputs, copies)
    assert_unchanged(layer.parameters, parameters)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_forward_and_backward_leave_inputs_unchanged(name: str) -> None:
    rng = np.random.default_rng(0)
    inputs = {"Y": one_hot(rng.integers(0, 3, size=6), 3), "Y_hat": SoftMax().forward(rng.normal(size=(6, 3)))}
    copies = {key: value.copy() for key, value in inputs.items()}
    loss = LOSSES[name]()

    loss.forward(inputs["Y"], inputs["Y_hat"])
    loss.backward(inputs["Y"], inputs["Y_hat"])

    assert_unchanged(inputs, copies)


@pytest.mark.parametrize("optimizer", [SGD(lr=0.1, momentum=0.9, weight_decay=0.01), Adam(lr=0.1, weight_decay=0.01)], ids=["SGD", "Adam"])
def test_optimizer_step_changes_parameters_but_not_gradients(optimizer) -> None:
    rng = np.random.default_rng(0)
    layer = FullyConnectedLayer(4, 3, rng=rng)
    layer.gradients["W"], layer.gradients["b"] = rng.normal(size=(4, 3)), rng.normal(size=(1, 3))
    gradients = {key: value.copy() for key, value in layer.gradients.items()}
    parameters = {key: value.copy() for key, value in layer.parameters.items()}

    optimizer.step([layer])
    optimizer.step([layer])

    assert_unchanged(layer.gradients, gradients)
    for key in parameters:
        assert not np.array_equal(layer.parameters[key], parameters[key]), f"{key} was not updated"


def test_model_forward_backward_and_predict_leave_inputs_unchanged() -> None:
    rng = np.random.default_rng(0)
    model = NeuralNetworkModel(
        [FullyConnectedLayer(4, 5, "tanh", rng=rng), FullyConnectedLayer(5, 3, "softmax", rng=rng)]
    )
    X, Y = rng.normal(size=(6, 4)), one_hot(rng.integers(0, 3, size=6), 3)
    inputs = {"X": X, "Y": Y}
    copies = {key: value.copy() for key, value in inputs.items()}

    Y_hat = model.forward(X)
    Y_hat_copy = Y_hat.copy()
    model.backward(Y, Y_hat)
    model.predict(X)
    model.evaluate(X, Y)

    assert_unchanged(inputs, copies)
    np.testing.assert_array_equal(Y_hat, Y_hat_copy, err_msg="Y_hat was modified")


def test_one_hot_and_data_loader_leave_inputs_unchanged() -> None:
    labels = np.array([2, 0, 1, 1, 0])
    X, Y = np.arange(10.0).reshape(5, 2), np.arange(5.0).reshape(5, 1)
    inputs = {"labels": labels, "X": X, "Y": Y}
    copies = {key: value.copy() for key, value in inputs.items()}

    one_hot(labels, 3)
    batches = list(DataLoader(X, Y, batch_size=2, rng=np.random.default_rng(0)))

    assert_unchanged(inputs, copies)
    assert sorted(row for X_batch, _ in batches for row in X_batch[:, 0]) == list(X[:, 0])
