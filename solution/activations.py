"""Activation functions.

Every activation maps a batch ``Z`` of shape (m, n) to its output of the same shape (the handout
calls it A). ``backward(Z, dY)`` receives the forward input ``Z`` and the upstream gradient
``dY = dL/dA`` (shape (m, n)) and returns ``dL/dZ`` (shape (m, n)). Sigmoid, TanH and ReLU act on
each entry alone; SoftMax mixes the entries of a row, so its backward needs each row's Jacobian.
### BEGIN HINT
Hint: for an elementwise activation f, dL/dZ = dY * f'(Z) (elementwise product).
### END HINT

Students implement Sigmoid, TanH, ReLU and SoftMax; Linear is the worked example.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .util import check_same_shape


class Activation(ABC):
    """An activation function with its derivative. Calling the object runs ``forward``."""

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(Z)

    @abstractmethod
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = f(Z), same shape as Z."""

    @abstractmethod
    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        """dL/dZ from the forward input Z and the upstream gradient dY, both of shape (m, n)."""


class Linear(Activation):
    """The identity, f(z) = z: the worked example for the activations below.

    forward:  A = Z (a copy: the caller's array is never returned or changed)
    backward: dL/dZ = dY, since every output entry is the input entry it came from
    ### BEGIN HINT
    (In general, for an elementwise f: dL/dZ = dY * f'(Z); here f'(z) = 1.)
    ### END HINT
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return Z.copy()

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        check_same_shape(Z, dY, "Z and dY", "Linear.backward")
        return dY.copy()


class Sigmoid(Activation):
    """The logistic function, elementwise.

    forward:  A = 1 / (1 + exp(-Z))
    backward: dL/dZ, from Z and dY = dL/dA (nothing is cached: recompute what you need from Z)
    ### BEGIN HINT
    Hint: dL/dZ = dY * s * (1 - s), where s = sigmoid(Z).
    ### END HINT
    Shapes: Z, dY, A and dL/dZ are all (m, n).
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION
        return 1.0 / (1.0 + np.exp(-Z))
        ### END SOLUTION

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        check_same_shape(Z, dY, "Z and dY", "Sigmoid.backward")
        ### BEGIN SOLUTION
        s = self.forward(Z)
        return dY * s * (1.0 - s)
        ### END SOLUTION


class TanH(Activation):
    """The hyperbolic tangent, elementwise.

    forward:  A = tanh(Z)
    backward: dL/dZ, from Z and dY = dL/dA
    ### BEGIN HINT
    Hint: dL/dZ = dY * (1 - tanh(Z)**2).
    ### END HINT
    Shapes: Z, dY, A and dL/dZ are all (m, n).
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION
        return np.tanh(Z)
        ### END SOLUTION

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        check_same_shape(Z, dY, "Z and dY", "TanH.backward")
        ### BEGIN SOLUTION
        return dY * (1.0 - np.tanh(Z) ** 2)
        ### END SOLUTION


class ReLU(Activation):
    """The rectified linear unit, elementwise.

    forward:  A = max(0, Z)
    backward: dL/dZ, from Z and dY = dL/dA. ReLU has no derivative at z = 0: use 0 there, as the
              reference solution does.
    ### BEGIN HINT
    Hint: dL/dZ = dY where Z > 0, and 0 where Z <= 0.
    ### END HINT
    Shapes: Z, dY, A and dL/dZ are all (m, n).
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION
        return np.maximum(Z, 0.0)
        ### END SOLUTION

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        check_same_shape(Z, dY, "Z and dY", "ReLU.backward")
        ### BEGIN HINT
        # HINT: a boolean mask of where Z > 0 is all you need.
        ### END HINT
        ### BEGIN SOLUTION
        return dY * (Z > 0)
        ### END SOLUTION


class SoftMax(Activation):
    """Row-wise softmax: each row of Z becomes a probability distribution.

    forward:  A[i, j] = exp(Z[i, j]) / sum_l exp(Z[i, l]), computed so that it stays finite and
              right for logits as large as +-1000 (Question 1.4 of the handout asks how).
    backward: dL/dZ from Z and dY = dL/dA. Every output of a row depends on every input of that
              row, so row i of dL/dZ combines row i of dY with that row's (k, k) Jacobian
              J[a, b] = d A[i, a] / d Z[i, b].
    ### BEGIN HINT
    Hint: subtract each row's maximum from that row before exp: softmax does not change, and exp
          cannot overflow.
    Hint: with s = A[i] (length k), J = diag(s) - s s^T and dL/dZ[i] = J^T dY[i].
          J is symmetric, so J^T dY[i] = s * dY[i] - s * (s . dY[i]) (elementwise *, dot .).
    ### END HINT
    Shapes: Z, dY, A and dL/dZ are (m, k); the Jacobians are (k, k), one per row.
    The backward may loop over rows; the forward may not loop at all.
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        # HINT: keepdims=True keeps a row-wise reduction (a sum, say) broadcastable against Z.
        ### BEGIN SOLUTION
        shifted = np.exp(Z - Z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
        ### END SOLUTION

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        check_same_shape(Z, dY, "Z and dY", "SoftMax.backward")
        # HINT: build each row's (k, k) Jacobian and apply it to that row of dY (a loop over rows is
        # allowed here), or do every row at once with broadcasting.
        ### BEGIN SOLUTION
        S = self.forward(Z)
        # J^T dY for every row at once, without building the (m, k, k) Jacobians:
        # (diag(s) - s s^T) dy = s * dy - s * (s . dy)
        return S * (dY - np.sum(S * dY, axis=1, keepdims=True))
        ### END SOLUTION


ACTIVATIONS = {"linear": Linear, "sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU, "softmax": SoftMax}


def initialize_activation(name: str) -> Activation:
    """Build an activation by name: "linear", "sigmoid", "tanh", "relu" or "softmax"."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"initialize_activation: unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]()
