"""Optimizers: stochastic gradient descent (with momentum) and Adam.

``step(layers)`` updates every ``layer.parameters[key]`` in place from ``layer.gradients[key]``.
Whatever an optimizer remembers between steps (velocities, moment estimates) is kept separately for
each (position of the layer in ``layers``, parameter key), so two layers never share state.

Students implement ``SGD.step`` and ``Adam.step``.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np

from .util import check_same_shape


class Optimizer(ABC):
    """Updates the parameters of a list of layers from their gradients."""

    @abstractmethod
    def step(self, layers: Sequence) -> None:
        """Apply one update to every parameter of every layer, in place."""

    @staticmethod
    def _check_settings(where: str, **ranges: tuple[float, float, float]) -> None:
        """Raise ValueError unless each value is a real number in its [low, high) range."""
        for name, (value, low, high) in ranges.items():
            real = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not (real and low <= value < high):
                raise ValueError(f"{where}: expected {name} in [{low}, {high}), got {value!r}")

    @staticmethod
    def _check_gradients(layers: Sequence, where: str) -> None:
        """Raise ValueError unless every gradient has the shape of its parameter."""
        for i, layer in enumerate(layers):
            for key, p in layer.parameters.items():
                check_same_shape(p, layer.gradients.get(key), f"layer {i}'s {key} and its gradient", where)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    For every parameter p with gradient grad, and its velocity v (zeros before the first step):
        g = grad + weight_decay * p
        v = momentum * v + g
        p = p - lr * v
    With momentum = 0 this is plain gradient descent: p = p - lr * g.

    State: ``self.velocity[(i, key)]`` for layer position i and parameter key.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self._check_settings(
            "SGD", lr=(lr, 1e-12, np.inf), momentum=(momentum, 0.0, 1.0), weight_decay=(weight_decay, 0.0, np.inf)
        )
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity: dict[tuple[int, str], np.ndarray] = {}

    def step(self, layers):
        for i, layer in enumerate(layers):
            for key, p in layer.parameters.items():
                g = layer.gradients[key] + self.weight_decay * p
                if (i, key) not in self.velocity:
                    self.velocity[(i, key)] = np.zeros_like(p)
                v = self.velocity[(i, key)]
                v += g
                p -= self.lr * v
        ### END SOLUTION


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with optional L2 weight decay added to the gradient.

    Once per call of ``step``, t = t + 1. Then for every parameter p with gradient grad, and its
    first and second moment estimates m and v (zeros before the first step):
        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    State: the step count ``self.t`` and ``self.m[(i, key)]``, ``self.v[(i, key)]`` for layer
    position i and parameter key.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self._check_settings(
            "Adam",
            lr=(lr, 1e-12, np.inf),
            beta1=(beta1, 0.0, 1.0),
            beta2=(beta2, 0.0, 1.0),
            eps=(eps, 0.0, np.inf),
            weight_decay=(weight_decay, 0.0, np.inf),
        )
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m: dict[tuple[int, str], np.ndarray] = {}
        self.v: dict[tuple[int, str], np.ndarray] = {}

    def step(self, layers: Sequence) -> None:
        """Update every ``layer.parameters[key]`` in place, as in the class docstring.

        Parameters
        ----------
        layers: the model's layers; each has ``parameters`` and ``gradients`` with the same keys
            and shapes. Gradients are read, never modified.
        """
        self._check_gradients(layers, "Adam.step")
        ### BEGIN SOLUTION
        self.t += 1
        for i, layer in enumerate(layers):
            for key, p in layer.parameters.items():
                g = layer.gradients[key] + self.weight_decay * p
                m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
                v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
                self.m[(i, key)], self.v[(i, key)] = m, v
                m_hat = m / (1 - self.beta1**self.t)
                v_hat = v / (1 - self.beta2**self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def initialize_optimizer(name: str, **kwargs) -> Optimizer:
    """Build an optimizer by name ("sgd" or "adam"); keyword arguments go to its constructor."""
    if name not in OPTIMIZERS:
        raise ValueError(
            f"initialize_optimizer: unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}"
        )
    return OPTIMIZERS[name](**kwargs)
