"""Every backward in solution/ agrees with central finite differences of its own forward.

How agreement is measured
-------------------------
For an analytic gradient ``a`` and a numerical one ``n`` (same shape) we use

    relative_error(a, n) = max|a - n| / max(max|a|, max|n|)

that is, the worst entrywise difference, scaled by the largest gradient entry of either. It is
scale-free (multiplying the loss by 1000 leaves it unchanged) and, unlike an entrywise ratio, it
does not blow up on entries that are legitimately zero. We require it to be below 1e-7.

Why 1e-7 is safe in float64: ``numerical_gradient`` uses central differences with eps = 1e-6, whose
truncation error is ~eps**2 * |f'''| ~ 1e-12 and whose round-off is ~1e-16 * |L| / eps ~ 1e-10 for
the O(1) losses below, both far under 1e-7 of gradients of size O(0.1 .. 1). A wrong formula (a
missing factor, a transposed product, a forgotten term) gives relative errors of order 1e-1.

The scalar losses are ``L = sum(G * Y)`` with a fixed, non-uniform random upstream gradient G, so
that every output entry is weighted differently (an all-ones G would hide mixed-up rows or
columns). Inputs stay away from non-differentiable points: every ReLU input has |z| >= 0.1, far
more than the eps-sized perturbations can move it, and cross-entropy sees probabilities >= 0.05.
"""

from __future__ import annotations

import numpy as np
import pytest

from solution import (
    CrossEntropyLoss,
    FullyConnectedLayer,
    Linear,
    MSELoss,
    NeuralNetworkModel,
    ReLU,
    Sigmoid,
    SoftMax,
    TanH,
    numerical_gradient,
)

TOLERANCE = 1e-7
ACTIVATIONS = {"linear": Linear, "sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU, "softmax": SoftMax}


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """max|a - n| / max(max|a|, max|n|), see the module docstring."""
    scale = max(np.max(np.abs(analytic)), np.max(np.abs(numerical)))
    return float(np.max(np.abs(analytic - numerical)) / scale)


def assert_gradients_agree(analytic: np.ndarray, numerical: np.ndarray, what: str) -> None:
    assert analytic.shape == numerical.shape, f"{what}: shape {analytic.shape}, expected {numerical.shape}"
    # A gradient that is zero everywhere would make the comparison vacuous.
    assert np.max(np.abs(numerical)) > 1e-3, f"{what}: the test's numerical gradient is (nearly) zero"
    error = relative_error(analytic, numerical)
    assert error < TOLERANCE, f"{what}: relative error {error:.3g} >= {TOLERANCE}"


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random values with random signs and magnitudes in [0.1, 1.5]: never near ReLU's kink at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 1.5, size=shape)


def steer_weights(layer: FullyConnectedLayer, X: np.ndarray, rng: np.random.Generator) -> None:
    """Give ``layer`` a random bias and the weights W that make ``X @ W + b`` a matrix of values
    with |z| in [0.1, 1.5]. Needs X of full row rank (m <= n_in), so that X @ W can hit any target."""
    m, n_in = X.shape
    assert m <= n_in, "steer_weights needs at most as many rows as input features"
    target = away_from_kinks(rng, (m, layer.n_out))
    layer.parameters["b"] = rng.normal(0.0, 0.5, size=(1, layer.n_out))
    W, *_ = np.linalg.lstsq(X, target - layer.parameters["b"], rcond=None)
    layer.parameters["W"] = W
    np.testing.assert_allclose(X @ W + layer.parameters["b"], target, atol=1e-10)


# --------------------------------------------------------------------------------------------
# Activations: dL/dZ for L = sum(G * f(Z))
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(name: str) -> None:
    rng = np.random.default_rng(1)
    activation = ACTIVATIONS[name]()
    Z = away_from_kinks(rng, (5, 4))
    G = rng.normal(size=(5, 4))

    analytic = activation.backward(Z, G)
    numerical = numerical_gradient(lambda z: np.sum(G * activation.forward(z)), Z)

    assert_gradients_agree(analytic, numerical, f"{name}.backward")


def test_softmax_backward_matches_finite_differences_on_large_logits() -> None:
    # Logits in the hundreds: a forward without the max shift overflows, and the backward must
    # still be right where the probabilities are far from uniform.
    rng = np.random.default_rng(2)
    Z = rng.normal(300.0, 2.0, size=(4, 5))
    G = rng.normal(size=(4, 5))
    softmax = SoftMax()

    analytic = softmax.backward(Z, G)
    numerical = numerical_gradient(lambda z: np.sum(G * softmax.forward(z)), Z)

    assert_gradients_agree(analytic, numerical, "softmax.backward on large logits")


# --------------------------------------------------------------------------------------------
# FullyConnectedLayer: dL/dX, dL/dW and dL/db for L = sum(G * layer(X))
# --------------------------------------------------------------------------------------------


def make_layer(activation: str, seed: int = 3) -> tuple[FullyConnectedLayer, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    layer = FullyConnectedLayer(6, 3, activation, rng=rng)
    X = rng.normal(size=(4, 6))
    steer_weights(layer, X, rng)
    G = rng.normal(size=(4, 3))
    return layer, X, G


def layer_loss_with(layer: FullyConnectedLayer, X: np.ndarray, G: np.ndarray, key: str | None = None):
    """L as a function of X (key None) or of the parameter ``key``, the rest held fixed."""

    def loss(value: np.ndarray) -> float:
        saved = layer.parameters.copy()
        if key is None:
            output = layer.forward(value)
        else:
            layer.parameters[key] = value
            output = layer.forward(X)
        layer.parameters = saved
        return float(np.sum(G * output))

    return loss


@pytest.mark.parametrize("wrt", ["X", "W", "b"], ids=lambda wrt: f"dL/d{wrt}")
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_fully_connected_backward_matches_finite_differences(activation: str, wrt: str) -> None:
    layer, X, G = make_layer(activation)
    layer.forward(X)
    dLdX = layer.backward(G)
    analytic = dLdX if wrt == "X" else layer.gradients[wrt].copy()

    point = X if wrt == "X" else layer.parameters[wrt]
    numerical = numerical_gradient(layer_loss_with(layer, X, G, None if wrt == "X" else wrt), point)

    assert_gradients_agree(analytic, numerical, f"FullyConnectedLayer({activation}) dL/d{wrt}")


def test_fully_connected_backward_replaces_gradients_instead_of_adding() -> None:
    layer, X, G = make_layer("tanh")
    layer.forward(X)
    layer.backward(G)
    first = {key: value.copy() for key, value in layer.gradients.items()}
    layer.forward(X)
    layer.backward(G)
    for key in ("W", "b"):
        np.testing.assert_allclose(layer.gradients[key], first[key], rtol=1e-12, err_msg=key)


# --------------------------------------------------------------------------------------------
# Losses: dL/dY_hat
# --------------------------------------------------------------------------------------------


def one_hot_targets(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    Y = np.zeros((m, k))
    Y[np.arange(m), rng.integers(0, k, size=m)] = 1.0
    return Y


def probabilities_bounded_away_from_zero(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    """Rows summing to 1 with every entry >= 0.05 (for k <= 10)."""
    P = rng.uniform(0.5, 1.5, size=(m, k))
    P = P / P.sum(axis=1, keepdims=True)
    assert P.min() >= 0.05
    return P


LOSS_CASES = {
    "cross_entropy-one_hot_targets": (CrossEntropyLoss, one_hot_targets),
    "cross_entropy-soft_targets": (CrossEntropyLoss, probabilities_bounded_away_from_zero),
    "mse-real_targets": (MSELoss, lambda rng, m, k: rng.normal(size=(m, k))),
    "mse-one_hot_targets": (MSELoss, one_hot_targets),
}


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_loss_backward_matches_finite_differences(case: str) -> None:
    loss_class, make_targets = LOSS_CASES[case]
    rng = np.random.default_rng(4)
    loss = loss_class()
    Y = make_targets(rng, 6, 4)
    Y_hat = probabilities_bounded_away_from_zero(rng, 6, 4)

    analytic = loss.backward(Y, Y_hat)
    numerical = numerical_gradient(lambda y_hat: loss.forward(Y, y_hat), Y_hat)

    assert_gradients_agree(analytic, numerical, f"{case} backward")


# --------------------------------------------------------------------------------------------
# The whole model: every layer's dL/dW and dL/db against finite differences of the model's loss
# --------------------------------------------------------------------------------------------

# (layer widths, activations, loss): between them they use every activation and both losses.
MODEL_CASES = {
    "relu-relu-softmax-cross_entropy": ([7, 6, 5, 3], ["relu", "relu", "softmax"], "cross_entropy"),
    "tanh-sigmoid-linear-mse": ([7, 6, 5, 2], ["tanh", "sigmoid", "linear"], "mse"),
}


def make_model(case: str) -> tuple[NeuralNetworkModel, np.ndarray, np.ndarray]:
    widths, activations, loss = MODEL_CASES[case]
    rng = np.random.default_rng(5)
    layers = [
        FullyConnectedLayer(n_in, n_out, activation, rng=rng)
        for n_in, n_out, activation in zip(widths[:-1], widths[1:], activations)
    ]
    X = rng.normal(size=(4, widths[0]))
    # Steer every layer's pre-activations away from 0 (4 rows <= every layer's n_in).
    inputs = X
    for layer in layers:
        steer_weights(layer, inputs, rng)
        inputs = layer.forward(inputs)
    Y = one_hot_targets(rng, 4, widths[-1]) if loss == "cross_entropy" else rng.normal(size=(4, widths[-1]))
    return NeuralNetworkModel(layers, loss=loss), X, Y


def model_loss_with(model: NeuralNetworkModel, X: np.ndarray, Y: np.ndarray, position: int, key: str):
    layer = model.layers[position]

    def loss(value: np.ndarray) -> float:
        saved = layer.parameters[key]
        layer.parameters[key] = value
        result = model.loss.forward(Y, model.forward(X))
        layer.parameters[key] = saved
        return result

    return loss


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_model_backward_matches_finite_differences_for_every_parameter(case: str) -> None:
    model, X, Y = make_model(case)
    returned_loss = model.backward(Y, model.forward(X))
    analytic = {
        (position, key): gradient.copy()
        for position, layer in enumerate(model.layers)
        for key, gradient in layer.gradients.items()
    }
    assert len(analytic) == 2 * len(model.layers)

    assert returned_loss == pytest.approx(model.loss.forward(Y, model.forward(X)), rel=1e-12)
    for (position, key), gradient in analytic.items():
        point = model.layers[position].parameters[key]
        numerical = numerical_gradient(model_loss_with(model, X, Y, position, key), point)
        assert_gradients_agree(gradient, numerical, f"{case}: layer {position} dL/d{key}")
