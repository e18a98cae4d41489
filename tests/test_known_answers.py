"""Known answers: every student function of solution/ on small cases worked out by hand.

The grader's expected outputs are made by running solution/, so a bug there would become every
student's expected answer, and the grader's own tests would not see it. The numbers below come
from arithmetic written next to them (exact fractions, or closed forms such as sigmoid(ln 3) = 3/4),
never from running solution/. test_cross_checks.py adds comparisons with independent
implementations (scikit-learn, SciPy); test_known_answers_catch_bugs.py shows that bugs put into a
copy of solution/ fail these checks.

Each check is a function of the package under test (``nn``: solution, or a copy with a bug), so
the same checks run on both. Tolerance: the expected values are exact, and float64 evaluation of
either side is within a few units in the last place, so rtol = 1e-12 leaves ample room for the order
of operations while every mistake these cases are built to show moves a value by far more.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Callable

import numpy as np
import pytest

import solution
from autograder.kit import MODULES

RTOL = 1e-12
ATOL = 1e-15

KNOWN_ANSWERS: dict[str, Callable] = {}


def known_answer(check: Callable) -> Callable:
    KNOWN_ANSWERS[check.__name__.removeprefix("check_")] = check
    return check


def close(actual, expected, what: str) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert isinstance(actual, np.ndarray), f"{what}: expected an ndarray, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def close_float(actual, expected: float, what: str) -> None:
    assert isinstance(actual, (float, np.floating)), f"{what}: expected a float, got {type(actual).__name__}"
    assert actual == pytest.approx(expected, rel=RTOL, abs=ATOL), f"{what}: {actual!r}, expected {expected!r}"


class Holder:
    """The minimum an optimizer needs from a layer: parameters and gradients with the same keys."""

    def __init__(self, **parameters) -> None:
        self.parameters = OrderedDict((k, np.array(v, dtype=np.float64)) for k, v in parameters.items())
        self.gradients = OrderedDict((k, np.zeros_like(v)) for k, v in self.parameters.items())

    def set_gradients(self, **gradients) -> None:
        for key, value in gradients.items():
            self.gradients[key] = np.array(value, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------


@known_answer
def check_sigmoid_at_zero_and_plus_minus_ln3(nn) -> None:
    # sigmoid(0) = 1/2;  sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4;  sigmoid(-ln 3) = 1 / (1 + 3) = 1/4.
    # sigmoid'(z) = s (1 - s):  at 0: 1/4;  at +-ln 3: (3/4)(1/4) = 3/16.
    Z = np.array([[0.0, math.log(3.0)], [-math.log(3.0), 0.0]])
    close(nn.Sigmoid().forward(Z), [[0.5, 0.75], [0.25, 0.5]], "Sigmoid.forward")
    dY = np.array([[2.0, -4.0], [8.0, 1.0]])
    # dY * s (1 - s) = [[2/4, -4 * 3/16], [8 * 3/16, 1/4]]
    close(nn.Sigmoid().backward(Z, dY), [[0.5, -0.75], [1.5, 0.25]], "Sigmoid.backward")


@known_answer
def check_tanh_at_zero_and_plus_minus_ln2(nn) -> None:
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5;  tanh(-ln 2) = -3/5;  tanh(0) = 0.
    # tanh'(z) = 1 - tanh(z)^2:  at +-ln 2: 1 - 9/25 = 16/25;  at 0: 1.
    Z = np.array([[0.0, math.log(2.0), -math.log(2.0)]])
    close(nn.TanH().forward(Z), [[0.0, 0.6, -0.6]], "TanH.forward")
    dY = np.array([[3.0, 25.0, -50.0]])
    # [3 * 1, 25 * 16/25, -50 * 16/25]
    close(nn.TanH().backward(Z, dY), [[3.0, 16.0, -32.0]], "TanH.backward")


@known_answer
def check_relu_with_its_derivative_at_zero_taken_as_zero(nn) -> None:
    # The docstring: dL/dZ = dY where Z > 0 and 0 where Z <= 0 (so 0 at exactly 0, also at -0.0).
    Z = np.array([[-2.0, 0.0, 3.0], [0.5, -0.0, -1e-300]])
    close(nn.ReLU().forward(Z), [[0.0, 0.0, 3.0], [0.5, 0.0, 0.0]], "ReLU.forward")
    dY = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    close(nn.ReLU().backward(Z, dY), [[0.0, 0.0, 3.0], [4.0, 0.0, 0.0]], "ReLU.backward")


# Rows whose exponentials are small integers: exp([0, ln 2, ln 5]) = [1, 2, 5] (sum 8) and
# exp([ln 3, 0, ln 4]) = [3, 1, 4] (sum 8), so the softmax is [1, 2, 5] / 8 and [3, 1, 4] / 8.
SOFTMAX_Z = np.array([[0.0, math.log(2.0), math.log(5.0)], [math.log(3.0), 0.0, math.log(4.0)]])
SOFTMAX_S = np.array([[1 / 8, 2 / 8, 5 / 8], [3 / 8, 1 / 8, 4 / 8]])


@known_answer
def check_softmax_of_rows_with_integer_exponentials(nn) -> None:
    close(nn.SoftMax().forward(SOFTMAX_Z), SOFTMAX_S, "SoftMax.forward")
    # Adding a constant to a row leaves its softmax unchanged, even a constant of 1000.
    close(nn.SoftMax().forward(SOFTMAX_Z + np.array([[1000.0], [-1000.0]])), SOFTMAX_S, "SoftMax.forward, shifted rows")


@known_answer
def check_softmax_of_large_logits(nn) -> None:
    # softmax([1000, -1000]) = [1 / (1 + e^-2000), e^-2000 / (1 + e^-2000)] = [1, 0] to double precision;
    # softmax([1000, 1000]) = [1/2, 1/2]. Shifting by the row max keeps exp() finite; the row mean
    # of [1000, -1000] is 0, and exp(1000) overflows.
    Z = np.array([[1000.0, -1000.0], [1000.0, 1000.0], [-1000.0, 1000.0]])
    with np.errstate(all="ignore"):
        Y = nn.SoftMax().forward(Z)
    close(Y, [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]], "SoftMax.forward, logits of +-1000")


@known_answer
def check_softmax_jacobian_vector_product(nn) -> None:
    # J = diag(s) - s s^T is symmetric, so J^T dy = sum_b dy_b J[b, :] and J[b, :] = s_b (e_b - s).
    # Row 1: s = [1, 2, 5]/8, dy = 8 e_1 - 8 e_3:
    #   8 (1/8)(e_1 - s) - 8 (5/8)(e_3 - s) = e_1 - 5 e_3 + 4 s = [1 + 1/2, 1, -5 + 5/2] = [3/2, 1, -5/2]
    # Row 2: s = [3, 1, 4]/8, dy = 8 e_2:  8 (1/8)(e_2 - s) = e_2 - s = [-3/8, 7/8, -1/2]
    dY = np.array([[8.0, 0.0, -8.0], [0.0, 8.0, 0.0]])
    close(nn.SoftMax().backward(SOFTMAX_Z, dY), [[1.5, 1.0, -2.5], [-0.375, 0.875, -0.5]], "SoftMax.backward")


# --------------------------------------------------------------------------------------------
# The fully-connected layer, on integers
# --------------------------------------------------------------------------------------------
# X = [[1, 2], [3, -1]], W = [[1, 0, -1], [2, 1, 0]], b = [[0, 1, 2]]:
#   X W = [[1 + 4, 0 + 2, -1 + 0], [3 - 2, 0 - 1, -3 + 0]] = [[5, 2, -1], [1, -1, -3]]
#   Z = X W + b = [[5, 3, 1], [1, 0, -1]]

LAYER_X = np.array([[1.0, 2.0], [3.0, -1.0]])
LAYER_W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
LAYER_B = np.array([[0.0, 1.0, 2.0]])
LAYER_Z = np.array([[5.0, 3.0, 1.0], [1.0, 0.0, -1.0]])


class HalfSquare:
    """A stand-in activation, f(z) = z^2 / 2 with f'(z) = z, so the layer is checked on its own."""

    def __call__(self, Z):
        return self.forward(Z)

    def forward(self, Z):
        return Z * Z / 2

    def backward(self, Z, dY):
        return dY * Z


def integer_layer(nn, activation):
    layer = nn.FullyConnectedLayer(2, 3, "linear", rng=np.random.default_rng(0))
    layer.parameters["W"] = LAYER_W.copy()
    layer.parameters["b"] = LAYER_B.copy()
    layer.activation = activation
    return layer


@known_answer
def check_layer_forward_on_integers(nn) -> None:
    layer = integer_layer(nn, HalfSquare())
    # Y = Z^2 / 2 = [[25/2, 9/2, 1/2], [1/2, 0, 1/2]]
    close(layer.forward(LAYER_X.copy()), [[12.5, 4.5, 0.5], [0.5, 0.0, 0.5]], "FullyConnectedLayer.forward")
    close(layer.cache["X"], LAYER_X, 'cache["X"] after forward')
    close(layer.cache["Z"], LAYER_Z, 'cache["Z"] after forward')


@known_answer
def check_layer_backward_on_integers(nn) -> None:
    # dY = [[1, 1, 2], [-1, 3, 1]];  dZ = dY * f'(Z) = dY * Z = [[5, 3, 2], [-1, 0, -1]]
    #   dW = X^T dZ:  row 1 = 1 [5, 3, 2] + 3 [-1, 0, -1] = [2, 3, -1]
    #                 row 2 = 2 [5, 3, 2] - 1 [-1, 0, -1] = [11, 6, 5]
    #   db = column sums of dZ = [4, 3, 1]
    #   dX = dZ W^T:  row 1 = 5 [1, 2] + 3 [0, 1] + 2 [-1, 0] = [3, 13]
    #                 row 2 = -1 [1, 2] + 0 [0, 1] - 1 [-1, 0] = [0, -2]
    layer = integer_layer(nn, HalfSquare())
    layer.forward(LAYER_X.copy())
    dY = np.array([[1.0, 1.0, 2.0], [-1.0, 3.0, 1.0]])
    for call in ("first", "second"):  # gradients are replaced, never added to
        dX = layer.backward(dY.copy())
        close(layer.gradients["W"], [[2.0, 3.0, -1.0], [11.0, 6.0, 5.0]], f'gradients["W"], {call} backward')
        close(layer.gradients["b"], [[4.0, 3.0, 1.0]], f'gradients["b"], {call} backward')
        close(dX, [[3.0, 13.0], [0.0, -2.0]], f"dL/dX, {call} backward")


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


@known_answer
def check_cross_entropy_on_two_examples(nn) -> None:
    # m = 2, k = 3. Example 1 is class 2 with probability 1/2, example 2 class 1 with probability 4/5:
    #   L = -(ln 1/2 + ln 4/5) / 2 = (ln 2 + ln 5/4) / 2 = ln(5/2) / 2
    #   dL/dY_hat = -Y / (m Y_hat): -1 / (2 * 1/2) = -1 at [0, 1];  -1 / (2 * 4/5) = -5/8 at [1, 0]; 0 elsewhere.
    # The 0 predicted for a class that is not the label must cost nothing.
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    Y_hat = np.array([[0.25, 0.5, 0.25], [0.8, 0.2, 0.0]])
    loss = nn.CrossEntropyLoss()
    close_float(loss.forward(Y, Y_hat), math.log(2.5) / 2, "CrossEntropyLoss.forward")
    close(loss.backward(Y, Y_hat), [[0.0, -1.0, 0.0], [-0.625, 0.0, 0.0]], "CrossEntropyLoss.backward")


@known_answer
def check_cross_entropy_of_a_zero_probability_is_large_and_finite(nn) -> None:
    # loss.py: probabilities below the floor (1e-15, any floor <= 1e-7 is allowed) count as the
    # floor, so a label predicted with probability exactly 0 costs at least ln(1e7) / m, not inf,
    # and its gradient is at most -1e7 / m (both with 1% slack for a floor of exactly 1e-7).
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    Y_hat = np.array([[0.0, 1.0], [0.0, 1.0]])
    loss = nn.CrossEntropyLoss()
    with np.errstate(all="ignore"):
        value = loss.forward(Y, Y_hat)
        gradient = loss.backward(Y, Y_hat)
    assert math.isfinite(value) and value >= 0.99 * math.log(1e7) / 2, f"CrossEntropyLoss.forward gave {value}"
    assert np.all(np.isfinite(gradient)), f"CrossEntropyLoss.backward gave {gradient}"
    assert gradient[0, 0] <= -0.99e7 / 2, f"CrossEntropyLoss.backward at the 0 probability: {gradient[0, 0]}"
    close(gradient[1:], [[0.0, -0.5]], "CrossEntropyLoss.backward, second row: -1 / (2 * 1)")


@known_answer
def check_mse_on_four_examples(nn) -> None:
    # m = 4, k = 2 (m = 2 would hide a forgotten "2 / m", since 2 / 2 = 1).
    #   Y - Y_hat = [[1, 0], [0, -2], [0, 1], [-1, 1]];  squares sum to 1 + 4 + 1 + 1 + 1 = 8;  L = 8 / 4 = 2
    #   dL/dY_hat = -(2 / 4)(Y - Y_hat) = [[-1/2, 0], [0, 1], [0, -1/2], [1/2, -1/2]]
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [0.0, 0.0]])
    Y_hat = np.array([[0.0, 0.0], [0.0, 3.0], [2.0, 1.0], [1.0, -1.0]])
    loss = nn.MSELoss()
    close_float(loss.forward(Y, Y_hat), 2.0, "MSELoss.forward")
    close(loss.backward(Y, Y_hat), [[-0.5, 0.0], [0.0, 1.0], [0.0, -0.5], [0.5, -0.5]], "MSELoss.backward")


# --------------------------------------------------------------------------------------------
# Optimizers (each setting on its own: momentum alone, weight decay alone, then both)
# --------------------------------------------------------------------------------------------


@known_answer
def check_sgd_plain_step(nn) -> None:
    # p = p - lr * grad:  [1, -2] - 0.5 [0.5, -1] = [0.75, -1.5]
    layer = Holder(W=[[1.0, -2.0]])
    layer.set_gradients(W=[[0.5, -1.0]])
    nn.SGD(lr=0.5).step([layer])
    close(layer.parameters["W"], [[0.75, -1.5]], "SGD(lr=0.5) step")


@known_answer
def check_sgd_weight_decay_step(nn) -> None:
    # g = grad + wd p = [0.5, 0.5] + 0.25 [2, -4] = [1, -0.5];  p = [2, -4] - 0.5 [1, -0.5] = [1.5, -3.75]
    layer = Holder(W=[[2.0, -4.0]])
    layer.set_gradients(W=[[0.5, 0.5]])
    nn.SGD(lr=0.5, weight_decay=0.25).step([layer])
    close(layer.parameters["W"], [[1.5, -3.75]], "SGD(lr=0.5, weight_decay=0.25) step")


@known_answer
def check_sgd_momentum_two_steps_two_layers(nn) -> None:
    # lr = 0.5, momentum = 0.5; each layer has its own velocity (the two layers' W have one shape).
    # Layer A, grad [2, 4] both steps: v1 = [2, 4], p1 = [0, 0] - 0.5 [2, 4] = [-1, -2]
    #                                  v2 = 0.5 [2, 4] + [2, 4] = [3, 6], p2 = [-1, -2] - 0.5 [3, 6] = [-2.5, -5]
    # Layer B, grad [-2, 0] then [2, 2]: v1 = [-2, 0], p1 = [1, 1] + [1, 0] = [2, 1]
    #                                    v2 = 0.5 [-2, 0] + [2, 2] = [1, 2], p2 = [2, 1] - 0.5 [1, 2] = [1.5, 0]
    a, b = Holder(W=[[0.0, 0.0]]), Holder(W=[[1.0, 1.0]])
    optimizer = nn.SGD(lr=0.5, momentum=0.5)
    a.set_gradients(W=[[2.0, 4.0]])
    b.set_gradients(W=[[-2.0, 0.0]])
    optimizer.step([a, b])
    close(a.parameters["W"], [[-1.0, -2.0]], "SGD momentum, layer A after step 1")
    close(b.parameters["W"], [[2.0, 1.0]], "SGD momentum, layer B after step 1")
    b.set_gradients(W=[[2.0, 2.0]])
    optimizer.step([a, b])
    close(a.parameters["W"], [[-2.5, -5.0]], "SGD momentum, layer A after step 2")
    close(b.parameters["W"], [[1.5, 0.0]], "SGD momentum, layer B after step 2")


@known_answer
def check_sgd_momentum_and_weight_decay_two_steps(nn) -> None:
    # lr = 0.1, momentum = 0.5, weight decay = 0.1, grad = [0.5, 0.5] both steps, p0 = [1, -2]:
    # step 1: g = [0.5 + 0.1, 0.5 - 0.2] = [0.6, 0.3];  v = [0.6, 0.3];  p = [1 - 0.06, -2 - 0.03] = [0.94, -2.03]
    # step 2: g = [0.5 + 0.094, 0.5 - 0.203] = [0.594, 0.297];  v = 0.5 [0.6, 0.3] + g = [0.894, 0.447]
    #         p = [0.94 - 0.0894, -2.03 - 0.0447] = [0.8506, -2.0747]
    layer = Holder(W=[[1.0, -2.0]])
    layer.set_gradients(W=[[0.5, 0.5]])
    optimizer = nn.SGD(lr=0.1, momentum=0.5, weight_decay=0.1)
    optimizer.step([layer])
    close(layer.parameters["W"], [[0.94, -2.03]], "SGD momentum + weight decay, step 1")
    optimizer.step([layer])
    close(layer.parameters["W"], [[0.8506, -2.0747]], "SGD momentum + weight decay, step 2")


@known_answer
def check_adam_two_steps_with_bias_correction_and_a_large_eps(nn) -> None:
    # beta1 = 0.6, beta2 = 0.8 (so 1 - beta1^2 = 0.64 and 1 - beta2^2 = 0.36), eps = 1, lr = 0.5.
    # W and b get the same gradients, so they move alike (t counts calls of step, not parameters).
    # step 1, g = [3, -1]: m = 0.4 g = [1.2, -0.4], v = 0.2 g^2 = [1.8, 0.2]
    #   m_hat = m / 0.4 = [3, -1], v_hat = v / 0.2 = [9, 1], sqrt = [3, 1]
    #   p -= 0.5 * [3 / (3 + 1), -1 / (1 + 1)] = [0.375, -0.25]
    # step 2, g = [0, 1]: m = 0.6 [1.2, -0.4] + 0.4 [0, 1] = [0.72, 0.16], v = 0.8 [1.8, 0.2] + 0.2 [0, 1] = [1.44, 0.36]
    #   m_hat = m / 0.64 = [1.125, 0.25], v_hat = v / 0.36 = [4, 1], sqrt = [2, 1]
    #   p -= 0.5 * [1.125 / (2 + 1), 0.25 / (1 + 1)] = [0.1875, 0.0625]
    layer = Holder(W=[[1.0, 2.0]], b=[[5.0, 5.0]])
    optimizer = nn.Adam(lr=0.5, beta1=0.6, beta2=0.8, eps=1.0)
    layer.set_gradients(W=[[3.0, -1.0]], b=[[3.0, -1.0]])
    optimizer.step([layer])
    close(layer.parameters["W"], [[0.625, 2.25]], "Adam W, step 1")
    close(layer.parameters["b"], [[4.625, 5.25]], "Adam b, step 1")
    layer.set_gradients(W=[[0.0, 1.0]], b=[[0.0, 1.0]])
    optimizer.step([layer])
    close(layer.parameters["W"], [[0.4375, 2.1875]], "Adam W, step 2")
    close(layer.parameters["b"], [[4.4375, 5.1875]], "Adam b, step 2")


@known_answer
def check_adam_first_step_with_gradients_the_size_of_eps(nn) -> None:
    # At t = 1, m_hat = g and v_hat = g^2 for any betas, so the step is lr g / (|g| + eps).
    # Default betas, eps = 1e-8, g = [1e-8, -3e-8, 0]: steps lr [1/2, -3/4, 0] with lr = 0.01.
    # (eps under the square root would give about lr * 1e-4 instead.)
    layer = Holder(W=[[0.0, 0.0, 1.0]])
    layer.set_gradients(W=[[1e-8, -3e-8, 0.0]])
    nn.Adam(lr=0.01).step([layer])
    close(layer.parameters["W"], [[-0.005, 0.0075, 1.0]], "Adam(lr=0.01) first step, tiny gradients")


@known_answer
def check_adam_weight_decay_first_step(nn) -> None:
    # g = grad + wd p = 0.5 + 0.25 * 2 = 1;  first step lr g / (|g| + eps) = 0.1 * 1 / (1 + 1) = 0.05
    layer = Holder(W=[[2.0]])
    layer.set_gradients(W=[[0.5]])
    nn.Adam(lr=0.1, eps=1.0, weight_decay=0.25).step([layer])
    close(layer.parameters["W"], [[1.95]], "Adam(lr=0.1, eps=1, weight_decay=0.25) first step")


# --------------------------------------------------------------------------------------------
# The model: two linear layers and MSE, on integers
# --------------------------------------------------------------------------------------------
# X = [[1, 2], [2, 0], [0, 1]];  layer 1: W1 = [[1, -1], [0, 1]], b1 = [[0, 1]];  layer 2: W2 = [[1, 0], [1, 2]], b2 = [[0, 1]]
#   H = X W1 + b1 = [[1, 1], [2, -2], [0, 1]] + b1 = [[1, 2], [2, -1], [0, 2]]
#   Y_hat = H W2 + b2 = [[1 + 2, 0 + 4], [2 - 1, 0 - 2], [0 + 2, 0 + 4]] + b2 = [[3, 5], [1, -1], [2, 5]]

MODEL_X = np.array([[1.0, 2.0], [2.0, 0.0], [0.0, 1.0]])
MODEL_Y_HAT = np.array([[3.0, 5.0], [1.0, -1.0], [2.0, 5.0]])


def integer_model(nn):
    first = nn.FullyConnectedLayer(2, 2, "linear", rng=np.random.default_rng(0))
    second = nn.FullyConnectedLayer(2, 2, "linear", rng=np.random.default_rng(1))
    first.parameters["W"], first.parameters["b"] = np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([[0.0, 1.0]])
    second.parameters["W"], second.parameters["b"] = np.array([[1.0, 0.0], [1.0, 2.0]]), np.array([[0.0, 1.0]])
    return nn.NeuralNetworkModel([first, second], loss=nn.MSELoss(), optimizer=nn.SGD())


@known_answer
def check_model_forward_on_integers(nn) -> None:
    close(integer_model(nn).forward(MODEL_X.copy()), MODEL_Y_HAT, "NeuralNetworkModel.forward")


@known_answer
def check_model_predict_on_integers(nn) -> None:
    # argmax of each row of Y_hat = [[3, 5], [1, -1], [2, 5]]
    labels = integer_model(nn).predict(MODEL_X.copy())
    assert isinstance(labels, np.ndarray) and np.issubdtype(labels.dtype, np.integer), f"predict gave {labels!r}"
    np.testing.assert_array_equal(labels, [1, 0, 1], err_msg="NeuralNetworkModel.predict")


@known_answer
def check_model_backward_on_integers(nn) -> None:
    # Y = [[3, 4], [0, 0], [2, 5]]: Y - Y_hat = [[0, -1], [-1, 1], [0, 0]], L = (1 + 1 + 1) / 3 = 1
    # dL/dY_hat = -(2/3)(Y - Y_hat) = (2/3) D with D = [[0, 1], [1, -1], [0, 0]]
    # layer 2: dW2 = H^T (2/3) D = (2/3)[[1*0 + 2*1 + 0, 1*1 + 2*-1 + 0], [2*0 - 1*1 + 0, 2*1 - 1*-1 + 0]] = (2/3)[[2, -1], [-1, 3]]
    #          db2 = (2/3)[1, 0];  dH = (2/3) D W2^T = (2/3)[[0, 2], [1, -1], [0, 0]]
    # layer 1: dW1 = X^T dH, row j of it = sum_i X[i, j] dH[i]:
    #          j = 0, X[:, 0] = [1, 2, 0]: (2/3)(1 [0, 2] + 2 [1, -1]) = (2/3)[2, 0]
    #          j = 1, X[:, 1] = [2, 0, 1]: (2/3)(2 [0, 2] + 1 [0, 0]) = (2/3)[0, 4]
    #          db1 = (2/3)[0 + 1 + 0, 2 - 1 + 0] = (2/3)[1, 1]
    model = integer_model(nn)
    Y = np.array([[3.0, 4.0], [0.0, 0.0], [2.0, 5.0]])
    Y_hat = model.forward(MODEL_X.copy())
    close_float(model.backward(Y, Y_hat), 1.0, "NeuralNetworkModel.backward's returned loss")
    first, second = model.layers
    close(second.gradients["W"], np.array([[2.0, -1.0], [-1.0, 3.0]]) * 2 / 3, 'layer 2 gradients["W"]')
    close(second.gradients["b"], np.array([[1.0, 0.0]]) * 2 / 3, 'layer 2 gradients["b"]')
    close(first.gradients["W"], np.array([[2.0, 0.0], [0.0, 4.0]]) * 2 / 3, 'layer 1 gradients["W"]')
    close(first.gradients["b"], np.array([[1.0, 1.0]]) * 2 / 3, 'layer 1 gradients["b"]')


# --------------------------------------------------------------------------------------------
# one_hot and DataLoader
# --------------------------------------------------------------------------------------------


@known_answer
def check_one_hot(nn) -> None:
    Y = nn.one_hot(np.array([2, 0, 1, 2]), 4)
    assert Y.dtype == np.float64, f"one_hot dtype {Y.dtype}"
    close(Y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], "one_hot(labels, 4)")
    # Without num_classes: labels.max() + 1 = 3 columns.
    close(nn.one_hot(np.array([1, 0, 2, 1])), [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], "one_hot(labels)")


def loader_data() -> tuple[np.ndarray, np.ndarray]:
    """Ten rows: X[i] = [i, 10 i], Y[i] = [i], so any batch shows which rows it holds."""
    rows = np.arange(10, dtype=np.float64)
    return np.stack([rows, 10 * rows], axis=1), rows[:, None].copy()


@known_answer
def check_loader_batches_in_order(nn) -> None:
    # m = 10: batch_size 4 -> rows 0-3, 4-7, 8-9 (ceil(10/4) = 3 batches); with drop_last -> 0-3, 4-7 (10 // 4 = 2).
    # batch_size 5 -> 2 batches either way; batch_size 20 -> one batch of 10, or none with drop_last.
    X, Y = loader_data()
    cases = [(4, False, [4, 4, 2]), (4, True, [4, 4]), (5, False, [5, 5]), (5, True, [5, 5]),
             (1, False, [1] * 10), (20, False, [10]), (20, True, [])]
    for batch_size, drop_last, sizes in cases:
        loader = nn.DataLoader(X, Y, batch_size=batch_size, shuffle=False, drop_last=drop_last)
        batches = list(iter(loader))
        what = f"DataLoader(m=10, batch_size={batch_size}, shuffle=False, drop_last={drop_last})"
        assert [len(xb) for xb, _ in batches] == sizes, f"{what}: batch sizes {[len(xb) for xb, _ in batches]}, expected {sizes}"
        start = 0
        for xb, yb in batches:
            close(np.asarray(xb), X[start : start + len(xb)], f"{what}: X rows from {start}")
            close(np.asarray(yb), Y[start : start + len(xb)], f"{what}: Y rows from {start}")
            start += len(xb)


@known_answer
def check_loader_len(nn) -> None:
    X, Y = loader_data()
    for batch_size, drop_last, expected in [(4, False, 3), (4, True, 2), (5, False, 2), (5, True, 2),
                                            (3, False, 4), (3, True, 3), (1, False, 10), (20, False, 1), (20, True, 0)]:
        loader = nn.DataLoader(X, Y, batch_size=batch_size, drop_last=drop_last)
        length = len(loader)
        assert length == expected, f"len(DataLoader(m=10, batch_size={batch_size}, drop_last={drop_last})) = {length}, expected {expected}"


@known_answer
def check_loader_shuffled_passes_cover_every_row_once_and_keep_pairs(nn) -> None:
    X, Y = loader_data()
    loader = nn.DataLoader(X, Y, batch_size=3, shuffle=True, rng=np.random.default_rng(0))
    orders = []
    for _ in range(2):
        batches = list(loader)
        assert [len(xb) for xb, _ in batches] == [3, 3, 3, 1], "shuffled DataLoader(m=10, batch_size=3) batch sizes"
        xs = np.concatenate([np.asarray(xb) for xb, _ in batches])
        ys = np.concatenate([np.asarray(yb) for _, yb in batches])
        close(xs[:, 1], 10 * xs[:, 0], "shuffled rows of X stay whole")
        close(ys[:, 0], xs[:, 0], "shuffled Y rows stay paired with their X rows")
        assert sorted(xs[:, 0]) == list(range(10)), f"a shuffled pass must hold each row once, got {xs[:, 0]}"
        orders.append(list(xs[:, 0]))
    assert orders[0] != orders[1], "two shuffled passes came in the same order"


@pytest.mark.parametrize("name", list(KNOWN_ANSWERS))
def test_solution_gives_the_known_answer(name: str) -> None:
    KNOWN_ANSWERS[name](solution)


def test_every_student_function_has_a_known_answer() -> None:
    # The student functions of solution/ (those with a solution region), each named by a check.
    import inspect
    import re

    names = " ".join(KNOWN_ANSWERS)
    covered = {
        "Sigmoid": "sigmoid", "TanH": "tanh", "ReLU": "relu", "SoftMax": "softmax", "FullyConnectedLayer": "layer",
        "CrossEntropyLoss": "cross_entropy", "MSELoss": "mse", "SGD": "sgd", "Adam": "adam",
        "NeuralNetworkModel": "model", "one_hot": "one_hot", "DataLoader": "loader",
    }
    student = set()
    for module in MODULES:
        source = inspect.getsource(getattr(solution, module))
        for owner in re.findall(r"^(?:class|def) (\w+)", source, flags=re.MULTILINE):
            body = inspect.getsource(getattr(getattr(solution, module), owner))
            if "### BEGIN SOLUTION" in body:
                student.add(owner)
    assert student == set(covered), f"student functions changed: {sorted(student ^ set(covered))}"
    for owner, word in covered.items():
        assert word in names, f"no known-answer check for {owner}"
