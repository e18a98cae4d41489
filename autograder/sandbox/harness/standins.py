"""Stand-ins the probes put in place of everything a test is not about.

A test scores one student function. Where that function would otherwise depend on another part of
the submission (a layer on its activation, a model on its layers and loss, an optimizer on its
layers, a backward on the class's own forward, a DataLoader's ``__iter__`` on its ``__len__``), a
stand-in takes that part's place, so that one mistake costs points only in the tests about the
function that holds it.

The stand-ins for the assignment's own forwards (``FORWARDS``) compute the definitions the handout
gives (sigmoid, tanh, ReLU, softmax, the two losses); none of them is a backward, so nothing here
answers a derivation question. The other stand-ins are deliberately none of the assignment's
functions.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np


class ProbeActivation:
    """A smooth activation that is none of the assignment's: f(z) = z + z**2 / 4."""

    def __call__(self, Z):
        return self.forward(Z)

    def forward(self, Z):
        return Z + 0.25 * Z * Z

    def backward(self, Z, dY):
        return dY * (1.0 + 0.5 * Z)


def _sigmoid(self, Z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(Z, dtype=float)))  # = 1 / (1 + exp(-Z)), overflow-free


def _tanh(self, Z):
    return np.tanh(np.asarray(Z, dtype=float))


def _relu(self, Z):
    return np.maximum(np.asarray(Z, dtype=float), 0.0)


def _softmax(self, Z):
    Z = np.asarray(Z, dtype=float)
    shifted = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _cross_entropy(self, Y, Y_hat):
    return float(-np.sum(Y * np.log(np.maximum(Y_hat, 1e-300))) / len(Y))


def _mse(self, Y, Y_hat):
    return float(np.sum((Y - Y_hat) ** 2) / len(Y))


FORWARDS = {
    "Sigmoid": _sigmoid,
    "TanH": _tanh,
    "ReLU": _relu,
    "SoftMax": _softmax,
    "CrossEntropyLoss": _cross_entropy,
    "MSELoss": _mse,
}


def with_correct_forward(cls, name: str):
    """A subclass of the student's ``cls`` whose forward is the definition, so that a backward
    that calls ``self.forward`` (or ``self(...)``) is judged on its own formula."""
    return type(cls.__name__, (cls,), {"forward": FORWARDS[name]})


def with_correct_len(cls):
    """A subclass of the student's DataLoader whose ``__len__`` is right, so that an ``__iter__``
    that calls ``len(self)`` is judged on its own code."""

    def __len__(self):
        m, size = len(self.X), self.batch_size
        return m // size if self.drop_last else math.ceil(m / size)

    return type(cls.__name__, (cls,), {"__len__": __len__})


def with_given_forward(layer_cls, activation):
    """A subclass of the student's layer whose forward is ``activation(X @ W + b)``, filling the
    cache as the contract says, so that a backward that reruns ``self.forward`` gets it right."""

    def forward(self, X):
        Z = np.add(np.matmul(X, self.parameters["W"]), self.parameters["b"])
        self.cache["X"], self.cache["Z"] = X, Z
        return activation.forward(Z)

    return type(layer_cls.__name__, (layer_cls,), {"forward": forward})


class ProbeLayer:
    """A layer that records what it is given and answers with fixed arbitrary maps.

    forward(X) = X @ A + 0.5 and backward(dY) = dY @ B, with B unrelated to A: the model's job is
    only to pass arrays along in the right order, which is what the records show.
    """

    def __init__(self, A, B, position, log):
        self.A, self.B, self.position, self.log = A, B, position, log
        self.parameters = OrderedDict(A=A)
        self.gradients = OrderedDict(A=np.zeros_like(A))
        self.cache = OrderedDict()
        self.n_in, self.n_out = A.shape
        self.forward_inputs, self.backward_inputs = [], []

    def forward(self, X):
        self.forward_inputs.append(np.array(X, copy=True))
        self.log.append(("forward", self.position))
        if np.ndim(X) != 2 or np.shape(X)[1] != self.n_in:  # fed the wrong array: keep going, the records tell
            return np.zeros((len(X), self.n_out))
        return X @ self.A + 0.5

    def backward(self, dLdY):
        self.backward_inputs.append(np.array(dLdY, copy=True))
        self.log.append(("backward", self.position))
        if np.ndim(dLdY) != 2 or np.shape(dLdY)[1] != self.n_out:
            return np.zeros((len(dLdY), self.n_in))
        return dLdY @ self.B

    def clear_gradients(self):
        self.gradients = OrderedDict(A=np.zeros_like(self.A))


class ProbeLoss:
    """A loss that is none of the assignment's: L = sum(Y * Y_hat**3) / 3, gradient Y * Y_hat**2."""

    def __call__(self, Y, Y_hat):
        return self.forward(Y, Y_hat)

    def forward(self, Y, Y_hat):
        return float(np.sum(Y * Y_hat**3) / 3.0)

    def backward(self, Y, Y_hat):
        return Y * Y_hat**2


class ProbeOptimizer:
    def step(self, layers):
        pass


class ParameterHolder:
    """What an optimizer sees of a layer: parameters and gradients with the same keys."""

    def __init__(self):
        self.parameters = OrderedDict()
        self.gradients = OrderedDict()
