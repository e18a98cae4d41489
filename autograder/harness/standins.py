"""Stand-ins the probes put in place of the submission's other modules.

Where a behaviour under test would otherwise depend on another of the student's modules (a layer
on its activation, a model on its layers and loss, an optimizer on its layers), a stand-in takes
that module's place, so that a mistake in one module costs points only in that module. They are
deliberately none of the assignment's functions, so they give nothing away.
"""

from __future__ import annotations

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
