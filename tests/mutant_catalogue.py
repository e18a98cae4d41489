"""The mutants and equivalents of tests/mutants.py: whole functions that replace solution/'s.

Each mutant is one plausible student mistake in one module, written out as the whole functions it
changes (no docstrings: the grader never reads them); EQUIVALENTS are correct functions written
differently from solution/. Replacing whole functions by name keeps every entry valid however
solution/'s own code, comments or docstrings are rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    functions: dict[str, str] = field(hash=False)  # qualified name -> the whole new definition

    @property
    def changes(self) -> dict[str, dict[str, str]]:
        return {self.module: self.functions}



MUTANTS = [
    Mutant("sigmoid_sign_flipped", "activations", {"Sigmoid.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(Z))
"""}),
    Mutant("sigmoid_backward_drops_dY", "activations", {"Sigmoid.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "Sigmoid.backward")
    s = self.forward(Z)
    return s * (1.0 - s)
"""}),
    Mutant("tanh_backward_not_squared", "activations", {"TanH.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "TanH.backward")
    return dY * (1.0 - np.tanh(Z))
"""}),
    Mutant("relu_backward_uses_output", "activations", {"ReLU.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "ReLU.backward")
    return dY * np.maximum(Z, 0.0)
"""}),
    Mutant("relu_forward_mutates_input", "activations", {"ReLU.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    np.maximum(Z, 0.0, out=Z)
    return Z
"""}),
    Mutant("softmax_without_max_shift", "activations", {"SoftMax.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    shifted = np.exp(Z)
    return shifted / shifted.sum(axis=1, keepdims=True)
"""}),
    Mutant("softmax_normalised_over_columns", "activations", {"SoftMax.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    shifted = np.exp(Z - Z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)
"""}),
    Mutant("relu_backward_passes_dY_at_zero", "activations", {"ReLU.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "ReLU.backward")
    return dY * (Z >= 0)
"""}),
    Mutant("softmax_subtracts_row_mean", "activations", {"SoftMax.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    shifted = np.exp(Z - Z.mean(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
"""}),
    Mutant("softmax_backward_diagonal_only", "activations", {"SoftMax.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "SoftMax.backward")
    S = self.forward(Z)
    return S * (1 - S) * dY
"""}),
    Mutant("sigmoid_loops_over_examples", "activations", {"Sigmoid.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return np.array([[1.0 / (1.0 + np.exp(-z)) for z in row] for row in Z])
"""}),
    Mutant("layer_forgets_bias", "layers", {"FullyConnectedLayer.forward": """\
def forward(self, X: np.ndarray) -> np.ndarray:
    check_matrix(X, "X", "FullyConnectedLayer.forward", n_columns=self.n_in)
    Z = X @ self.parameters["W"]
    self.cache["X"] = X
    self.cache["Z"] = Z
    return self.activation(Z)
"""}),
    Mutant("layer_dropped_transpose", "layers", {"FullyConnectedLayer.backward": """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if "Z" not in self.cache:
        raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
    check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = X.T @ dZ
    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
    return dZ @ self.parameters["W"]
"""}),
    Mutant("layer_bias_gradient_averaged", "layers", {"FullyConnectedLayer.backward": """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if "Z" not in self.cache:
        raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
    check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = X.T @ dZ
    self.gradients["b"] = dZ.mean(axis=0, keepdims=True)
    return dZ @ self.parameters["W"].T
"""}),
    Mutant("layer_accumulates_gradients", "layers", {"FullyConnectedLayer.backward": """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if "Z" not in self.cache:
        raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
    check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = self.gradients["W"] + X.T @ dZ
    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
    return dZ @ self.parameters["W"].T
"""}),
    Mutant("layer_skips_activation_derivative", "layers", {"FullyConnectedLayer.backward": """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if "Z" not in self.cache:
        raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
    check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = dLdY
    self.gradients["W"] = X.T @ dZ
    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
    return dZ @ self.parameters["W"].T
"""}),
    Mutant("layer_weight_gradient_divided_by_m", "layers", {"FullyConnectedLayer.backward": """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if "Z" not in self.cache:
        raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
    check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = X.T @ dZ / X.shape[0]
    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
    return dZ @ self.parameters["W"].T
"""}),
    Mutant("layer_loops_over_examples", "layers", {"FullyConnectedLayer.forward": """\
def forward(self, X: np.ndarray) -> np.ndarray:
    check_matrix(X, "X", "FullyConnectedLayer.forward", n_columns=self.n_in)
    Z = np.array([x @ self.parameters["W"] + self.parameters["b"][0] for x in X])
    self.cache["X"] = X
    self.cache["Z"] = Z
    return self.activation(Z)
"""}),
    Mutant("cross_entropy_missing_1_over_m", "loss", {"CrossEntropyLoss.forward": """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, "CrossEntropyLoss.forward")
    m = Y.shape[0]
    return float(-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))))
"""}),
    Mutant("cross_entropy_backward_missing_1_over_m", "loss", {"CrossEntropyLoss.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, "CrossEntropyLoss.backward")
    m = Y.shape[0]
    return -Y / np.maximum(Y_hat, PROBABILITY_FLOOR)
"""}),
    Mutant("cross_entropy_sign_flipped", "loss", {"CrossEntropyLoss.forward": """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, "CrossEntropyLoss.forward")
    m = Y.shape[0]
    return float(np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))) / m)
"""}),
    Mutant("cross_entropy_without_floor", "loss", {"CrossEntropyLoss.forward": """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, "CrossEntropyLoss.forward")
    m = Y.shape[0]
    return float(-np.sum(Y * np.log(Y_hat)) / m)
""", "CrossEntropyLoss.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, "CrossEntropyLoss.backward")
    m = Y.shape[0]
    return -Y / (m * Y_hat)
"""}),
    Mutant("mse_backward_sign_flipped", "loss", {"MSELoss.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, "MSELoss.backward")
    m = Y.shape[0]
    return 2.0 * (Y - Y_hat) / m
"""}),
    Mutant("mse_mean_over_every_entry", "loss", {"MSELoss.forward": """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, "MSELoss.forward")
    m = Y.shape[0]
    return float(np.mean((Y - Y_hat) ** 2))
"""}),
    Mutant("sgd_velocity_shared_across_layers", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if key not in self.velocity:
                self.velocity[key] = np.zeros_like(p)
            v = self.velocity[key]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""}),
    Mutant("sgd_velocity_shared_by_every_parameter", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if 0 not in self.velocity:
                self.velocity[0] = np.zeros_like(p)
            v = self.velocity[0]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""}),
    Mutant("sgd_momentum_ignored", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v *= 0.0
            v += g
            p -= self.lr * v
"""}),
    Mutant("sgd_weight_decay_added_into_the_gradient", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key]
            g += self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""}),
    Mutant("sgd_weight_decay_sign_flipped", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] - self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""}),
    Mutant("sgd_momentum_sign_flipped", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v *= -self.momentum
            v += g
            p -= self.lr * v
"""}),
    Mutant("adam_eps_inside_the_square_root", "optimizer", {"Adam.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "Adam.step")
    self.t += 1
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[(i, key)], self.v[(i, key)] = m, v
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
"""}),
    Mutant("adam_second_moment_corrected_with_beta1", "optimizer", {"Adam.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "Adam.step")
    self.t += 1
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[(i, key)], self.v[(i, key)] = m, v
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta1**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""}),
    Mutant("sgd_weight_decay_ignored", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key]
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v *= self.momentum
            v += g
            p -= self.lr * v
"""}),
    Mutant("adam_without_bias_correction", "optimizer", {"Adam.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "Adam.step")
    self.t += 1
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[(i, key)], self.v[(i, key)] = m, v
            m_hat = m
            v_hat = v / (1 - self.beta2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""}),
    Mutant("adam_counts_steps_per_parameter", "optimizer", {"Adam.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "Adam.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            self.t += 1
            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g * g
            self.m[(i, key)], self.v[(i, key)] = m, v
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""}),
    Mutant("sgd_replaces_parameters", "optimizer", {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            if (i, key) not in self.velocity:
                self.velocity[(i, key)] = np.zeros_like(p)
            v = self.velocity[(i, key)]
            v *= self.momentum
            v += g
            layer.parameters[key] = p - self.lr * v
"""}),
    Mutant("model_backward_in_forward_order", "model", {"NeuralNetworkModel.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    loss = self.loss(Y, Y_hat)
    gradient = self.loss.backward(Y, Y_hat)
    for layer in self.layers:
        gradient = layer.backward(gradient)
    return loss
"""}),
    Mutant("model_backward_returns_gradient", "model", {"NeuralNetworkModel.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    loss = self.loss(Y, Y_hat)
    gradient = self.loss.backward(Y, Y_hat)
    for layer in reversed(self.layers):
        gradient = layer.backward(gradient)
    return gradient
"""}),
    Mutant("model_predict_wrong_axis", "model", {"NeuralNetworkModel.predict": """\
def predict(self, X: np.ndarray) -> np.ndarray:
    return np.argmax(self.forward(X), axis=0)
"""}),
    Mutant("model_forward_skips_last_layer", "model", {"NeuralNetworkModel.forward": """\
def forward(self, X: np.ndarray) -> np.ndarray:
    for layer in self.layers[:-1]:
        X = layer.forward(X)
    return X
"""}),
    Mutant("loader_shuffles_x_apart_from_y", "util", {"DataLoader.__iter__": """\
def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    m = len(self.X)
    order = self.rng.permutation(m) if self.shuffle else np.arange(m)
    stop = m - m % self.batch_size if self.drop_last else m
    for start in range(0, stop, self.batch_size):
        rows = order[start : start + self.batch_size]
        yield self.X[rows], self.Y[start : start + self.batch_size]
"""}),
    Mutant("loader_same_order_every_pass", "util", {"DataLoader.__iter__": """\
def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    m = len(self.X)
    order = np.random.default_rng(0).permutation(m) if self.shuffle else np.arange(m)
    stop = m - m % self.batch_size if self.drop_last else m
    for start in range(0, stop, self.batch_size):
        rows = order[start : start + self.batch_size]
        yield self.X[rows], self.Y[rows]
"""}),
    Mutant("loader_always_drops_last", "util", {"DataLoader.__iter__": """\
def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    m = len(self.X)
    order = self.rng.permutation(m) if self.shuffle else np.arange(m)
    stop = m - m % self.batch_size
    for start in range(0, stop, self.batch_size):
        rows = order[start : start + self.batch_size]
        yield self.X[rows], self.Y[rows]
"""}),
    Mutant("loader_shuffles_data_in_place", "util", {"DataLoader.__iter__": """\
def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    m = len(self.X)
    order = np.arange(m)
    if self.shuffle:
        state = self.rng.bit_generator.state
        self.rng.shuffle(self.X)
        self.rng.bit_generator.state = state
        self.rng.shuffle(self.Y)
    stop = m - m % self.batch_size if self.drop_last else m
    for start in range(0, stop, self.batch_size):
        rows = order[start : start + self.batch_size]
        yield self.X[rows], self.Y[rows]
"""}),
    Mutant("len_ignores_drop_last", "util", {"DataLoader.__len__": """\
def __len__(self) -> int:
    m = len(self.X)
    return m // self.batch_size
"""}),
    Mutant("one_hot_loops_over_labels", "util", {"one_hot": """\
def one_hot(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"one_hot: expected a 1-D array of integer labels, got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: expected labels in 0..{num_classes - 1}, got values from "
            f"{labels.min()} to {labels.max()}"
        )
    Y = np.zeros((labels.shape[0], num_classes))
    for row, label in enumerate(labels):
        Y[row, label] = 1.0
    return Y
"""}),
]

# Correct, but written differently from solution/: together they must still score full marks.
EQUIVALENTS = {
    "activations": {"Sigmoid.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    E = np.exp(np.clip(Z, -500, 500))
    return E / (1.0 + E)
""", "TanH.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z))
""", "ReLU.forward": """\
def forward(self, Z: np.ndarray) -> np.ndarray:
    return np.where(Z > 0, Z, 0.0)
""", "ReLU.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "ReLU.backward")
    return np.where(Z > 0, dY, 0.0)
""", "SoftMax.backward": """\
def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
    check_same_shape(Z, dY, "Z and dY", "SoftMax.backward")
    S = self.forward(Z)
    dZ = np.empty_like(dY)
    for i in range(S.shape[0]):
        J = np.diag(S[i]) - np.outer(S[i], S[i])
        dZ[i] = J.T @ dY[i]
    return dZ
"""},
    "layers": {"FullyConnectedLayer.forward": """\
def forward(self, X: np.ndarray) -> np.ndarray:
    check_matrix(X, "X", "FullyConnectedLayer.forward", n_columns=self.n_in)
    Z = np.dot(X, self.parameters["W"]) + self.parameters["b"]
    self.cache["X"] = X
    self.cache["Z"] = Z
    return self.activation(Z)
""", "FullyConnectedLayer.backward": """\
def backward(self, dLdY: np.ndarray) -> np.ndarray:
    if "Z" not in self.cache:
        raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
    check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
    X, Z = self.cache["X"], self.cache["Z"]
    dZ = self.activation.backward(Z, dLdY)
    self.gradients["W"] = X.T @ dZ
    self.gradients["b"] = (np.ones(len(X)) @ dZ).reshape(1, -1)
    return dZ @ self.parameters["W"].T
"""},
    "loss": {"CrossEntropyLoss.forward": """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, "CrossEntropyLoss.forward")
    m = Y.shape[0]
    return -np.mean(np.sum(Y * np.log(np.clip(Y_hat, 1e-7, 1 - 1e-7)), axis=1))
""", "CrossEntropyLoss.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, "CrossEntropyLoss.backward")
    m = Y.shape[0]
    return -(Y / np.clip(Y_hat, 1e-7, None)) / m
""", "MSELoss.forward": """\
def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
    self._check(Y, Y_hat, "MSELoss.forward")
    m = Y.shape[0]
    return np.mean(np.sum(np.square(Y_hat - Y), axis=1))
""", "MSELoss.backward": """\
def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
    self._check(Y, Y_hat, "MSELoss.backward")
    m = Y.shape[0]
    return 2 * (Y_hat - Y) / len(Y)
"""},
    "model": {"NeuralNetworkModel.predict": """\
def predict(self, X: np.ndarray) -> np.ndarray:
    return self.forward(X).argmax(axis=-1)
"""},
    "optimizer": {"SGD.step": """\
def step(self, layers: Sequence) -> None:
    self._check_gradients(layers, "SGD.step")
    for i, layer in enumerate(layers):
        for key, p in layer.parameters.items():
            g = layer.gradients[key] + self.weight_decay * p
            v = self.momentum * self.velocity.get((i, key), 0.0) + g
            self.velocity[(i, key)] = v
            p[...] = p - self.lr * v
"""},
    "util": {"one_hot": """\
def one_hot(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"one_hot: expected a 1-D array of integer labels, got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: expected labels in 0..{num_classes - 1}, got values from "
            f"{labels.min()} to {labels.max()}"
        )
    return np.eye(num_classes)[labels]
""", "DataLoader.__iter__": """\
def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    m = len(self.X)
    order = np.arange(m)
    if self.shuffle:
        order = self.rng.choice(m, size=m, replace=False)
    stop = m - m % self.batch_size if self.drop_last else m
    for start in range(0, stop, self.batch_size):
        rows = order[start : start + self.batch_size]
        yield [self.X[rows], self.Y[rows]]
""", "DataLoader.__len__": """\
def __len__(self) -> int:
    m = len(self.X)
    return m // self.batch_size if self.drop_last else -(-m // self.batch_size)
"""},
}
