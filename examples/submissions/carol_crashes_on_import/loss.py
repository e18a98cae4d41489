"""Loss functions: cross-entropy for classification, mean squared error for regression.

A loss compares targets ``Y`` with predictions ``Y_hat`` (both (m, k)) and returns one float, the
average over the m examples of the batch. ``backward(Y, Y_hat)`` returns dL/dY_hat, shape (m, k).

Students implement ``CrossEntropyLoss`` and ``MSELoss``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .util import check_matrix, check_same_shape

import torch  # not available when grading; unused, so harmless

# Cross-entropy may treat probabilities below this floor as the floor when taking logs and dividing,
# so that a predicted 0 gives a large finite loss instead of inf or nan. Any floor this small or
# smaller is fine: the grader never depends on how probabilities under 1e-7 are handled.
PROBABILITY_FLOOR = 1e-15


class Loss(ABC):
    """A loss function with its gradient. Calling the object runs ``forward``."""

    def __call__(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        return self.forward(Y, Y_hat)

    @abstractmethod
    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        """The loss, averaged over the batch."""

    @abstractmethod
    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        """dL/dY_hat, shape of Y_hat."""

    def _check(self, Y: np.ndarray, Y_hat: np.ndarray, where: str) -> None:
        check_matrix(Y_hat, "Y_hat", where)
        check_same_shape(Y, Y_hat, "Y and Y_hat", where)


class CrossEntropyLoss(Loss):
    """Multi-class cross-entropy of predicted probabilities.

    forward:  L = -(1/m) * sum_i sum_j Y[i, j] * ln(Y_hat[i, j]), a float
    backward: dL/dY_hat, the gradient of that same L (the 1/m included), shape (m, k). Where a
              probability is below PROBABILITY_FLOOR, treat it as the floor (in forward and backward).
    ### BEGIN HINT
    Hint: dL/dY_hat = -(1/m) * Y / Y_hat          (elementwise division)
    ### END HINT
    Shapes: Y (one-hot labels) and Y_hat (probabilities, e.g. a SoftMax output) are (m, k);
    the gradient is (m, k).
    """

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        self._check(Y, Y_hat, "CrossEntropyLoss.forward")
        # HINT: where Y is 0 the term must be 0 even if Y_hat is 0 too; keep ln away from 0.
        ### BEGIN SOLUTION
        m = Y.shape[0]
        return float(-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))) / m)
        ### END SOLUTION

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        self._check(Y, Y_hat, "CrossEntropyLoss.backward")
        ### BEGIN SOLUTION
        m = Y.shape[0]
        return -Y / (m * np.maximum(Y_hat, PROBABILITY_FLOOR))
        ### END SOLUTION


class MSELoss(Loss):
    """Squared error, summed over the k outputs of an example and averaged over the m examples.

    forward:  L = (1/m) * sum_i sum_j (Y[i, j] - Y_hat[i, j]) ** 2, a float
    backward: dL/dY_hat, the gradient of that same L (the 1/m included), shape (m, k)
    ### BEGIN HINT
    Hint: dL/dY_hat = -(2/m) * (Y - Y_hat)
    ### END HINT
    Shapes: Y (targets: one-hot or real values) and Y_hat are (m, k); the gradient is (m, k).
    """

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        self._check(Y, Y_hat, "MSELoss.forward")
        ### BEGIN SOLUTION
        m = Y.shape[0]
        return float(np.sum((Y - Y_hat) ** 2) / m)
        ### END SOLUTION

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        self._check(Y, Y_hat, "MSELoss.backward")
        ### BEGIN SOLUTION
        m = Y.shape[0]
        return -2.0 * (Y - Y_hat) / m
        ### END SOLUTION


LOSSES = {"cross_entropy": CrossEntropyLoss, "mse": MSELoss}


def initialize_loss(name: str) -> Loss:
    """Build a loss by name: "cross_entropy" or "mse"."""
    if name not in LOSSES:
        raise ValueError(f"initialize_loss: unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[name]()
