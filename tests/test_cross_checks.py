"""Cross-checks: solution/ against independent implementations in the project's dependencies.

Where the numbers come from, and how their conventions map onto the kit's:

* **scipy.special** (SciPy, a dependency of scikit-learn): ``expit`` is the sigmoid, ``softmax``
  and ``log_softmax`` (axis=1) the row softmax and its logarithm. TanH is compared with the identity
  tanh(z) = 2 expit(2z) - 1, and the derivatives with sigmoid'(z) = expit(z) expit(-z) and
  tanh'(z) = 4 expit(2z) expit(-2z). SoftMax.backward is compared with the full Jacobian built from
  its definition, J[a, b] = s_a (delta_ab - s_b), one (k, k) matrix per row.
* **sklearn.metrics**: ``log_loss`` is the mean over examples of -sum_j y_j ln p_j, the kit's
  cross-entropy (it clips p to [2.2e-16, 1 - 2.2e-16], far from the probabilities used here).
  ``mean_squared_error`` averages over examples *and* outputs, so MSELoss = k * mean_squared_error.
* **scikit-learn's MLP** (``MLPClassifier`` / ``MLPRegressor`` internals ``_forward_pass`` and
  ``_backprop``, with ``coefs_`` / ``intercepts_`` set by the test, so nothing is fitted). Its
  intercepts are 1-D where the kit's b is (1, n). All hidden layers share one activation
  ("identity", "logistic", "tanh", "relu": the kit's "linear", "sigmoid", "tanh", "relu").
  - Classifier: softmax output and log-loss averaged over examples, exactly SoftMax + CrossEntropyLoss;
    its output delta is Y_hat - Y and it divides the gradients by m, so with alpha = 0 the loss and
    every gradient must agree exactly.
  - Regressor: identity output and ``squared_error`` = 0.5 * mean over examples and outputs of the
    squared error, so the kit's MSELoss = 2k * sklearn's loss. Its gradients are those of
    0.5 * (1/m) * sum (not of its own reported loss when k > 1), so the kit's gradients = 2 * sklearn's.
  - L2: sklearn adds alpha * W / m to the weight gradients only (never to intercepts). The kit's
    SGD adds weight_decay * p to every parameter's gradient, so one SGD step with weight decay wd
    moves W as sklearn's gradient with alpha = wd * m does. b is not compared there (sklearn never
    decays it); the hand-derived tests in test_known_answers.py cover decay of every parameter.
  - predict: ``_predict`` maps the argmax of the output through a LabelBinarizer fitted on 0..k-1
    (k >= 3 here: for two classes a LabelBinarizer expects one column).
* **sklearn.preprocessing.OneHotEncoder** with categories 0..C-1 is one_hot; **sklearn.utils.gen_batches**
  gives the row slices of DataLoader(shuffle=False) (only its full-length ones with drop_last=True).
* **scikit-learn's optimizers** (``sklearn.neural_network._stochastic_optimizers``):
  - ``SGDOptimizer(nesterov=False)``: u = mu u - lr g, p += u. The kit: v = mu v + g, p -= lr v.
    By induction u_t = -lr v_t, so the parameters agree after every step (to rounding). Neither has
    weight decay of its own; the test hands sklearn the gradient g + wd p (p its own current
    parameter), the L2-in-the-gradient form both the kit's SGD and sklearn's MLP use.
  - ``AdamOptimizer``: lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t) and p -= lr_t m / (sqrt(v) + eps_sk).
    The kit: p -= lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
               = lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps sqrt(1 - beta2^t)).
    So the two agree exactly when sklearn's epsilon is eps * sqrt(1 - beta2^t) at step t; the test
    sets it before every step, with gradients from 1e-4 to 1 against eps = 1e-3, so eps matters.
    Weight decay is handed to sklearn as for SGD.

The private sklearn functions are pinned with scikit-learn (requirements.txt); if a new version
renames them, these checks fail with an AttributeError naming the function, and this docstring's
mappings say what to re-derive. Each check takes the package under test (``nn``), like those of
test_known_answers.py, and test_known_answers_catch_bugs.py runs both sets on buggy copies.
Tolerance: rtol 1e-10 (atol 1e-12): the two sides compute the same quantities by different sequences
of float64 operations, a few ulps apart; every mistake of interest is larger than 1e-4 relative.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Callable

import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network._base import inplace_relu, inplace_relu_derivative
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer
from sklearn.preprocessing import LabelBinarizer, OneHotEncoder
from sklearn.utils import gen_batches

import solution

RTOL = 1e-10
ATOL = 1e-12
SEEDS = range(6)

CROSS_CHECKS: dict[str, Callable] = {}


def cross_check(check: Callable) -> Callable:
    CROSS_CHECKS[check.__name__.removeprefix("check_")] = check
    return check


def close(actual, expected, what: str) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert isinstance(actual, np.ndarray), f"{what}: expected an ndarray, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def random_shape(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(1, 8)), int(rng.integers(1, 7))


# --------------------------------------------------------------------------------------------
# Activations against scipy.special (and sklearn's ReLU)
# --------------------------------------------------------------------------------------------


@cross_check
def check_sigmoid_against_scipy_expit(nn) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        shape = random_shape(rng)
        Z, dY = 4 * rng.standard_normal(shape), rng.standard_normal(shape)
        close(nn.Sigmoid().forward(Z), expit(Z), f"Sigmoid.forward {shape}, seed {seed}")
        close(nn.Sigmoid().backward(Z, dY), dY * expit(Z) * expit(-Z), f"Sigmoid.backward {shape}, seed {seed}")


@cross_check
def check_tanh_against_scipy_expit(nn) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        shape = random_shape(rng)
        Z, dY = 3 * rng.standard_normal(shape), rng.standard_normal(shape)
        close(nn.TanH().forward(Z), 2 * expit(2 * Z) - 1, f"TanH.forward {shape}, seed {seed}")
        close(nn.TanH().backward(Z, dY), dY * 4 * expit(2 * Z) * expit(-2 * Z), f"TanH.backward {shape}, seed {seed}")


@cross_check
def check_relu_against_sklearn(nn) -> None:
    # sklearn's derivative zeroes delta where the *output* is 0, so at z = 0 it is 0, as the kit's.
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        shape = random_shape(rng)
        Z, dY = rng.standard_normal(shape), rng.standard_normal(shape)
        Z[rng.random(shape) < 0.3] = 0.0  # exact zeros
        output = Z.copy()
        inplace_relu(output)
        delta = dY.copy()
        inplace_relu_derivative(output, delta)
        close(nn.ReLU().forward(Z), output, f"ReLU.forward {shape}, seed {seed}")
        close(nn.ReLU().backward(Z, dY), delta, f"ReLU.backward {shape}, seed {seed}")


@cross_check
def check_softmax_against_scipy_and_its_full_jacobian(nn) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        shape = random_shape(rng)
        # Half the seeds use logits in the thousands, where exp() overflows unless the row max is
        # subtracted first (exp(z) overflows for z > 709.78).
        Z = rng.standard_normal(shape) * (1000.0 if seed % 2 else 2.0)
        dY = rng.standard_normal(shape)
        S = softmax(Z, axis=1)
        close(nn.SoftMax().forward(Z), S, f"SoftMax.forward {shape}, seed {seed}")
        jacobians = S[:, :, None] * (np.eye(shape[1])[None] - S[:, None, :])  # [i, a, b] = s_a (delta_ab - s_b)
        close(nn.SoftMax().backward(Z, dY), np.einsum("iab,ia->ib", jacobians, dY), f"SoftMax.backward {shape}, seed {seed}")


# --------------------------------------------------------------------------------------------
# Losses against sklearn.metrics and scipy.special.log_softmax
# --------------------------------------------------------------------------------------------


def random_labels(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    return rng.integers(0, k, size=m)


@cross_check
def check_cross_entropy_against_sklearn_log_loss_and_log_softmax(nn) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        m, k = int(rng.integers(1, 8)), int(rng.integers(2, 6))
        labels = random_labels(rng, m, k)
        Y = np.eye(k)[labels]
        Z = 2 * rng.standard_normal((m, k))
        S = softmax(Z, axis=1)
        expected = -np.sum(Y * log_softmax(Z, axis=1)) / m
        value = nn.CrossEntropyLoss().forward(Y, S)
        assert value == pytest.approx(expected, rel=RTOL), f"CrossEntropyLoss.forward {m}x{k}, seed {seed}: {value} vs log_softmax {expected}"
        assert value == pytest.approx(log_loss(labels, S, labels=list(range(k))), rel=RTOL), (
            f"CrossEntropyLoss.forward {m}x{k}, seed {seed}: {value} vs sklearn log_loss"
        )


@cross_check
def check_softmax_then_cross_entropy_backward_is_prediction_minus_target_over_m(nn) -> None:
    # d/dz of -(1/m) sum y ln softmax(z) is (softmax(z) - y) / m: the delta sklearn's MLP starts from.
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        m, k = int(rng.integers(1, 8)), int(rng.integers(2, 6))
        Y = np.eye(k)[random_labels(rng, m, k)]
        Z = 2 * rng.standard_normal((m, k))
        S = softmax(Z, axis=1)
        dZ = nn.SoftMax().backward(Z, nn.CrossEntropyLoss().backward(Y, S))
        close(dZ, (S - Y) / m, f"SoftMax.backward(CrossEntropyLoss.backward) {m}x{k}, seed {seed}")


@cross_check
def check_mse_against_sklearn_mean_squared_error(nn) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        m, k = random_shape(rng)
        Y, Y_hat = rng.standard_normal((m, k)), rng.standard_normal((m, k))
        value = nn.MSELoss().forward(Y, Y_hat)
        expected = k * mean_squared_error(Y, Y_hat)  # sklearn also averages over the k outputs
        assert value == pytest.approx(expected, rel=RTOL), f"MSELoss.forward {m}x{k}, seed {seed}: {value} vs {expected}"


# --------------------------------------------------------------------------------------------
# Layers, losses and the model against scikit-learn's MLP forward and backward passes
# --------------------------------------------------------------------------------------------

KIT_ACTIVATION = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


def random_network(rng: np.random.Generator, n_outputs: int):
    """Layer widths [n_in, hidden..., n_outputs] and their weights, scaled like 1 / sqrt(fan in)."""
    widths = [int(rng.integers(1, 6))] + [int(rng.integers(2, 6)) for _ in range(int(rng.integers(1, 3)))] + [n_outputs]
    coefs = [rng.standard_normal((a, b)) / math.sqrt(a) for a, b in zip(widths[:-1], widths[1:])]
    intercepts = [0.5 * rng.standard_normal(b) for b in widths[1:]]
    return widths, coefs, intercepts


def sklearn_network(kind: str, activation: str, coefs, intercepts, alpha: float = 0.0):
    if kind == "classifier":
        network, output = MLPClassifier(activation=activation, alpha=alpha), "softmax"
    else:
        network, output = MLPRegressor(activation=activation, alpha=alpha), "identity"
    network.coefs_ = [c.copy() for c in coefs]
    network.intercepts_ = [b.copy() for b in intercepts]
    network.n_layers_ = len(coefs) + 1
    network.n_outputs_ = coefs[-1].shape[1]
    network.out_activation_ = output
    return network


def sklearn_backprop(network, X: np.ndarray, Y: np.ndarray):
    """sklearn's output, loss, weight and intercept gradients for the batch (X, Y)."""
    layers = network.n_layers_
    activations = [X] + [None] * (layers - 1)
    deltas = [None] * (layers - 1)
    coef_grads = [np.empty_like(c) for c in network.coefs_]
    intercept_grads = [np.empty_like(b) for b in network.intercepts_]
    loss, coef_grads, intercept_grads = network._backprop(X, Y, None, activations, deltas, coef_grads, intercept_grads)
    return activations[-1], loss, coef_grads, intercept_grads


def kit_model(nn, kind: str, activation: str, coefs, intercepts, optimizer=None):
    layers = []
    for position, (W, b) in enumerate(zip(coefs, intercepts)):
        last = position == len(coefs) - 1
        name = ("softmax" if kind == "classifier" else "linear") if last else KIT_ACTIVATION[activation]
        layer = nn.FullyConnectedLayer(W.shape[0], W.shape[1], name, rng=np.random.default_rng(0))
        layer.parameters["W"], layer.parameters["b"] = W.copy(), b[None, :].copy()
        layers.append(layer)
    loss = nn.CrossEntropyLoss() if kind == "classifier" else nn.MSELoss()
    return nn.NeuralNetworkModel(layers, loss=loss, optimizer=optimizer)


def network_cases():
    """(seed, hidden activation, kind) for every combination, with data of random shapes."""
    for seed in SEEDS:
        for activation in KIT_ACTIVATION:
            for kind in ("classifier", "regressor"):
                yield seed, activation, kind


def network_data(seed: int, activation: str, kind: str):
    rng = np.random.default_rng([seed, list(KIT_ACTIVATION).index(activation), kind == "classifier"])
    k = int(rng.integers(3, 6)) if kind == "classifier" else int(rng.integers(1, 4))
    widths, coefs, intercepts = random_network(rng, k)
    m = int(rng.integers(1, 9))
    X = rng.standard_normal((m, widths[0]))
    Y = np.eye(k)[rng.integers(0, k, size=m)] if kind == "classifier" else rng.standard_normal((m, k))
    return X, Y, coefs, intercepts


@cross_check
def check_network_forward_and_backward_against_sklearn_mlp(nn) -> None:
    for seed, activation, kind in network_cases():
        X, Y, coefs, intercepts = network_data(seed, activation, kind)
        m, k = Y.shape
        output, sk_loss, coef_grads, intercept_grads = sklearn_backprop(sklearn_network(kind, activation, coefs, intercepts), X, Y)
        model = kit_model(nn, kind, activation, coefs, intercepts)
        what = f"{kind}, hidden {activation}, widths {[c.shape[0] for c in coefs] + [k]}, m = {m}, seed {seed}"
        Y_hat = model.forward(X.copy())
        close(Y_hat, output, f"NeuralNetworkModel.forward, {what}")
        loss = model.backward(Y, Y_hat)
        # Classifier: the same loss and gradients. Regressor: the kit's MSE is 2k x sklearn's loss,
        # its gradients 2 x sklearn's (see the module docstring).
        loss_factor, gradient_factor = (1.0, 1.0) if kind == "classifier" else (2.0 * k, 2.0)
        assert loss == pytest.approx(loss_factor * sk_loss, rel=RTOL), f"loss {loss} vs {loss_factor} x {sk_loss}, {what}"
        for position, layer in enumerate(model.layers):
            close(layer.gradients["W"], gradient_factor * coef_grads[position], f'layer {position} gradients["W"], {what}')
            close(layer.gradients["b"], gradient_factor * intercept_grads[position][None, :], f'layer {position} gradients["b"], {what}')


@cross_check
def check_model_predict_against_sklearn_mlp(nn) -> None:
    for seed, activation, kind in network_cases():
        if kind != "classifier":
            continue
        X, Y, coefs, intercepts = network_data(seed, activation, kind)
        network = sklearn_network(kind, activation, coefs, intercepts)
        network._label_binarizer = LabelBinarizer().fit(np.arange(Y.shape[1]))
        expected = network._predict(X, check_input=False)
        labels = kit_model(nn, kind, activation, coefs, intercepts).predict(X.copy())
        np.testing.assert_array_equal(labels, expected, err_msg=f"NeuralNetworkModel.predict, hidden {activation}, seed {seed}")


@cross_check
def check_sgd_weight_decay_matches_sklearn_l2_penalty(nn) -> None:
    # One SGD step with weight decay wd moves W like one step on sklearn's gradient with alpha = wd * m.
    lr, weight_decay = 0.3, 0.2
    for seed, activation, kind in network_cases():
        X, Y, coefs, intercepts = network_data(seed, activation, kind)
        m = X.shape[0]
        network = sklearn_network(kind, activation, coefs, intercepts, alpha=weight_decay * m)
        _, _, coef_grads, _ = sklearn_backprop(network, X, Y)
        if kind == "regressor":
            coef_grads = [2 * g - weight_decay * W for g, W in zip(coef_grads, coefs)]  # 2x the data term, 1x the L2 term
        expected = [W.copy() for W in coefs]
        SGDOptimizer(expected, learning_rate_init=lr, momentum=0.0, nesterov=False).update_params(expected, coef_grads)
        model = kit_model(nn, kind, activation, coefs, intercepts, optimizer=nn.SGD(lr=lr, weight_decay=weight_decay))
        model.backward(Y, model.forward(X.copy()))
        model.optimizer.step(model.layers)
        for position, layer in enumerate(model.layers):
            close(layer.parameters["W"], expected[position], f"W of layer {position} after SGD with weight decay, {kind}, seed {seed}")


# --------------------------------------------------------------------------------------------
# Optimizers against sklearn's SGDOptimizer and AdamOptimizer
# --------------------------------------------------------------------------------------------


class Holder:
    def __init__(self, parameters: dict[str, np.ndarray]) -> None:
        self.parameters = OrderedDict((key, value.copy()) for key, value in parameters.items())
        self.gradients = OrderedDict((key, np.zeros_like(value)) for key, value in parameters.items())


def random_layers(rng: np.random.Generator) -> list[Holder]:
    layers = []
    for _ in range(2):
        n_in, n_out = random_shape(rng)
        layers.append(Holder({"W": rng.standard_normal((n_in, n_out)), "b": rng.standard_normal((1, n_out))}))
    return layers


def new_gradients(rng: np.random.Generator, layers: list[Holder], spread: bool) -> list[np.ndarray]:
    """Fill every layer's gradients; return them in sklearn's order. With ``spread``, magnitudes
    range from 1e-4 to 1, so that some are below Adam's eps and some far above."""
    flat = []
    for layer in layers:
        for key, value in layer.parameters.items():
            gradient = rng.standard_normal(value.shape)
            if spread:
                gradient *= 10.0 ** rng.uniform(-4, 0, size=value.shape)
            layer.gradients[key] = gradient
            flat.append(gradient.copy())
    return flat


def sklearn_parameters(layers: list[Holder]) -> list[np.ndarray]:
    return [value.copy() for layer in layers for value in layer.parameters.values()]


def compare_parameters(layers: list[Holder], expected: list[np.ndarray], what: str) -> None:
    actual = [value for layer in layers for value in layer.parameters.values()]
    for position, (a, e) in enumerate(zip(actual, expected)):
        close(a, e, f"{what}, parameter {position}")


@cross_check
def check_sgd_against_sklearn_sgd_optimizer(nn) -> None:
    for seed in SEEDS:
        for momentum in (0.0, 0.5, 0.9):
            for weight_decay in (0.0, 0.1):
                rng = np.random.default_rng([seed, int(10 * momentum), int(10 * weight_decay)])
                layers = random_layers(rng)
                reference = sklearn_parameters(layers)
                theirs = SGDOptimizer(reference, learning_rate_init=0.1, momentum=momentum, nesterov=False)
                ours = nn.SGD(lr=0.1, momentum=momentum, weight_decay=weight_decay)
                for step in range(1, 5):
                    gradients = new_gradients(rng, layers, spread=False)
                    ours.step(layers)
                    theirs.update_params(reference, [g + weight_decay * p for g, p in zip(gradients, reference)])
                    compare_parameters(layers, reference, f"SGD(momentum={momentum}, weight_decay={weight_decay}) step {step}, seed {seed}")


@cross_check
def check_adam_against_sklearn_adam_optimizer(nn) -> None:
    eps = 1e-3
    for seed in SEEDS:
        for beta1, beta2 in ((0.9, 0.999), (0.5, 0.8), (0.6, 0.99)):
            for weight_decay in (0.0, 0.05):
                rng = np.random.default_rng([seed, int(100 * beta1), int(1000 * beta2), int(100 * weight_decay)])
                layers = random_layers(rng)
                reference = sklearn_parameters(layers)
                theirs = AdamOptimizer(reference, learning_rate_init=0.01, beta_1=beta1, beta_2=beta2, epsilon=eps)
                ours = nn.Adam(lr=0.01, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
                for step in range(1, 6):
                    gradients = new_gradients(rng, layers, spread=True)
                    ours.step(layers)
                    theirs.epsilon = eps * math.sqrt(1 - beta2**step)  # the exact mapping, see the docstring
                    theirs.update_params(reference, [g + weight_decay * p for g, p in zip(gradients, reference)])
                    compare_parameters(
                        layers, reference, f"Adam(beta1={beta1}, beta2={beta2}, weight_decay={weight_decay}) step {step}, seed {seed}"
                    )


# --------------------------------------------------------------------------------------------
# one_hot and DataLoader against sklearn.preprocessing and sklearn.utils.gen_batches
# --------------------------------------------------------------------------------------------


@cross_check
def check_one_hot_against_sklearn_one_hot_encoder(nn) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        m, n_classes = int(rng.integers(1, 12)), int(rng.integers(1, 6))
        labels = rng.integers(0, n_classes, size=m)
        for given in (n_classes, None):
            columns = given if given is not None else int(labels.max()) + 1
            encoder = OneHotEncoder(categories=[np.arange(columns)], sparse_output=False)
            expected = encoder.fit_transform(labels[:, None])
            close(nn.one_hot(labels, given), expected, f"one_hot({labels.tolist()}, {given})")


@cross_check
def check_loader_against_sklearn_gen_batches(nn) -> None:
    # gen_batches(m, b) yields the slices [0, b), [b, 2b), ..., with a shorter last one: the batches
    # of DataLoader(shuffle=False). With drop_last=True, only its slices of full length remain.
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        m, batch_size = int(rng.integers(1, 30)), int(rng.integers(1, 12))
        X, Y = rng.standard_normal((m, 3)), rng.standard_normal((m, 2))
        for drop_last in (False, True):
            slices = [s for s in gen_batches(m, batch_size) if not drop_last or s.stop - s.start == batch_size]
            loader = nn.DataLoader(X, Y, batch_size=batch_size, shuffle=False, drop_last=drop_last)
            what = f"DataLoader(m={m}, batch_size={batch_size}, shuffle=False, drop_last={drop_last})"
            assert len(loader) == len(slices), f"len({what}) = {len(loader)}, expected {len(slices)}"
            batches = list(loader)
            assert len(batches) == len(slices), f"{what} yielded {len(batches)} batches, expected {len(slices)}"
            for (X_batch, Y_batch), rows in zip(batches, slices):
                close(np.asarray(X_batch), X[rows], f"{what}: X rows {rows.start}..{rows.stop - 1}")
                close(np.asarray(Y_batch), Y[rows], f"{what}: Y rows {rows.start}..{rows.stop - 1}")


@pytest.mark.parametrize("name", list(CROSS_CHECKS))
def test_solution_agrees_with_the_independent_implementation(name: str) -> None:
    CROSS_CHECKS[name](solution)
