"""Layers: the fully-connected layer and the weight initialisers it draws from.

Every layer keeps three OrderedDicts: ``parameters`` (what the optimizer updates), ``gradients``
(same keys and shapes, filled by ``backward``) and ``cache`` (what ``forward`` keeps for
``backward``). The optimizer and the model treat all layers alike through them.

Students implement ``FullyConnectedLayer.forward`` and ``FullyConnectedLayer.backward``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import Callable

import numpy as np

from .activations import Activation, initialize_activation
from .util import check_matrix, check_same_shape

DEFAULT_INIT = initialise_weights("xavier_uniform")  # misspelt: NameError at import


class Layer(ABC):
    """A layer with parameters, matching gradients and a cache for the backward pass."""

    def __init__(self) -> None:
        self.parameters: OrderedDict[str, np.ndarray] = OrderedDict()
        self.gradients: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.n_in: int = 0
        self.n_out: int = 0
        self.activation: Activation | None = None

    def clear_gradients(self) -> None:
        """Set every gradient to zeros shaped like its parameter."""
        self.gradients = OrderedDict((key, np.zeros_like(value)) for key, value in self.parameters.items())

    @abstractmethod
    def forward(self, X: np.ndarray) -> np.ndarray:
        """The layer's output for a batch X of shape (m, n_in)."""

    @abstractmethod
    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        """Fill ``gradients`` from dL/dA (A: the layer's output) and return dL/dX."""


class FullyConnectedLayer(Layer):
    """An affine map followed by an activation: ``Z = X @ W + b`` and ``A = activation(Z)``.

    Parameters
    ----------
    n_in: number of input features (columns of X).
    n_out: number of output units (columns of A).
    activation: name of the activation, see ``initialize_activation``.
    weight_init: name of the initialiser for W, see ``initialize_weights``; b starts at zeros.
    rng: random generator for the initial weights; a new unseeded one when None.

    Attributes: ``parameters["W"]`` of shape (n_in, n_out), ``parameters["b"]`` of shape (1, n_out),
    ``gradients`` with the same keys and shapes, ``cache["X"]`` and ``cache["Z"]`` after a forward.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "relu",
        weight_init: str = "xavier_uniform",
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"FullyConnectedLayer: expected {name} to be a positive int, got {value!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.activation = initialize_activation(activation)
        rng = rng if rng is not None else np.random.default_rng()
        self.parameters["W"] = initialize_weights(weight_init)((self.n_in, self.n_out), rng)
        self.parameters["b"] = np.zeros((1, self.n_out))
        self.clear_gradients()

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute the layer's output for a batch.

        Parameters
        ----------
        X: inputs, shape (m, n_in).

        Returns
        -------
        A: ``activation(X @ W + b)``, shape (m, n_out).

        Stores ``cache["X"] = X`` (m, n_in) and ``cache["Z"] = X @ W + b`` (m, n_out) for backward.
        """
        check_matrix(X, "X", "FullyConnectedLayer.forward", n_columns=self.n_in)
        ### BEGIN SOLUTION
        Z = X @ self.parameters["W"] + self.parameters["b"]
        self.cache["X"] = X
        self.cache["Z"] = Z
        return self.activation(Z)
        ### END SOLUTION

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        """Backpropagate through the layer.

        Parameters
        ----------
        dLdY: gradient of the loss with respect to this layer's output A, shape (m, n_out).

        Returns
        -------
        dLdX: gradient of the loss with respect to the input X, shape (m, n_in).

        Uses ``cache["X"]`` and ``cache["Z"]`` from the forward pass. First turns dLdY into
        dZ = dL/dZ (m, n_out) with ``self.activation.backward``; then sets ``gradients["W"]`` =
        dL/dW (n_in, n_out) and ``gradients["b"]`` = dL/db (1, n_out), replacing (never adding to)
        earlier values, and returns dL/dX. W and b are read, not changed.
        ### BEGIN HINT
        Hint: dL/dW = X^T dZ, dL/db = the column sums of dZ, and dL/dX = dZ W^T.
        ### END HINT
        """
        if "Z" not in self.cache:
            raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
        check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
        ### BEGIN HINT
        # HINT: every example adds its own term to dL/dW and dL/db; matrix products and sums over
        # axis 0 add them up for the whole batch at once.
        ### END HINT
        ### BEGIN SOLUTION
        X, Z = self.cache["X"], self.cache["Z"]
        dZ = self.activation.backward(Z, dLdY)
        self.gradients["W"] = X.T @ dZ
        self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
        return dZ @ self.parameters["W"].T
        ### END SOLUTION


def _xavier_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def _xavier_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(2.0 / (shape[0] + shape[1])), size=shape)


def _he_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    limit = np.sqrt(6.0 / shape[0])
    return rng.uniform(-limit, limit, size=shape)


def _he_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(2.0 / shape[0]), size=shape)


WEIGHT_INITIALIZERS = {
    "xavier_uniform": _xavier_uniform,
    "xavier_normal": _xavier_normal,
    "he_uniform": _he_uniform,
    "he_normal": _he_normal,
}


def initialize_weights(name: str) -> Callable[[tuple[int, int], np.random.Generator], np.ndarray]:
    """Return the initialiser called ``name``: a function ``(shape, rng) -> W``.

    "xavier_uniform": U(-a, a) with a = sqrt(6 / (n_in + n_out))   (Glorot and Bengio, 2010)
    "xavier_normal":  N(0, 2 / (n_in + n_out))
    "he_uniform":     U(-a, a) with a = sqrt(6 / n_in)              (He et al., 2015; for ReLU)
    "he_normal":      N(0, 2 / n_in)
    """
    if name not in WEIGHT_INITIALIZERS:
        raise ValueError(
            f"initialize_weights: unknown initialiser {name!r}; expected one of {', '.join(WEIGHT_INITIALIZERS)}"
        )
    return WEIGHT_INITIALIZERS[name]
