"""The fairness catalogue: realistic student submissions, each with its fair points per module.

Every submission is starter/ with the student functions filled in (see build.py): the plain, correct
functions of ``BASE`` unless the submission writes its own. The fair points were written down, with a
reason for every deduction, before any of these submissions was graded, as a TA would judge them with
autograder/rubric.toml (test names, points per test, public + hidden) and the scoring rules of issue 8:

* A module the student got right keeps every point.
* A mistake costs every value test whose behaviour it breaks, in both variants (a public test
  also runs on fresh inputs, so it is lost too). Value tests of other functions are kept, also when
  they call the wrong one (stand-ins replace it), and so are value tests about another behaviour of
  the same function (a loader that drops its last batch still keeps its rows paired).
* A function's share of a property test of its module (rule 3) is lost when the property fails for
  it or when its results in that test are wrong; kept otherwise (a layer that adds to its gradients
  gives right results in every single-call test). Shares, per function: activations
  shapes_and_dtypes 1/8 and inputs_unchanged 1/8 of 1 point each (the eight methods), vectorised 1/7
  of 1 (not SoftMax.backward); layers: forward and backward each half of every property test; loss
  shapes_and_types 1/4 of 1, inputs_unchanged and vectorised 1/4 of 0.5 (the four methods); model
  batch_of_one and inputs_unchanged 1/3 of 0.5 (forward, predict, backward); util inputs_unchanged
  half one_hot, half the DataLoader's iteration, vectorised all one_hot; optimizer
  state_per_layer_and_parameter and in_place_gradients_unchanged half SGD, half Adam.
* Rules 5 to 10 as written: float32 costs only the explicit float64 checks, a crash keeps what was
  set before it, a hang costs only the tests of the function that hangs, an unused import of a
  package costs nothing, a module that cannot be imported gets 0 and costs no other module.

Points are rounded to 4 decimals (1/7 = 0.1429, 1/6 = 0.1667). ``fair[module]`` equals the module's
maximum minus the deductions in ``why[module]``; tests/fairness/test_fairness.py checks that arithmetic.
A fair score changed after grading must say so in its ``why`` with the reason (rules or rubric).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAXIMA = {"activations": 28.0, "layers": 20.0, "loss": 14.0, "optimizer": 14.0, "model": 12.0, "util": 12.0}

# Every function a student writes, and its module.
WHERE = {
    **{f"{cls}.{method}": "activations" for cls in ("Sigmoid", "TanH", "ReLU", "SoftMax") for method in ("forward", "backward")},
    "FullyConnectedLayer.forward": "layers",
    "FullyConnectedLayer.backward": "layers",
    "CrossEntropyLoss.forward": "loss",
    "CrossEntropyLoss.backward": "loss",
    "MSELoss.forward": "loss",
    "MSELoss.backward": "loss",
    "SGD.step": "optimizer",
    "Adam.step": "optimizer",
    "NeuralNetworkModel.forward": "model",
    "NeuralNetworkModel.backward": "model",
    "NeuralNetworkModel.predict": "model",
    "one_hot": "util",
    "DataLoader.__iter__": "util",
    "DataLoader.__len__": "util",
}

CATEGORIES = {
    "style": "correct code in an unusual style",
    "mistake": "one typical mistake",
    "broken": "hangs and crashes",
    "two_mistakes": "two mistakes at once",
}


@dataclass(frozen=True)
class Submission:
    name: str
    category: str
    about: str
    fair: dict[str, float]
    why: dict[str, tuple[tuple[float, str], ...]] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)  # qualified name -> code, replacing BASE's
    top: dict[str, str] = field(default_factory=dict)  # module -> code after its imports
    bottom: dict[str, str] = field(default_factory=dict)  # module -> code at its end
    syntax_error: tuple[str, ...] = ()  # modules meant not to compile


def points(**fair: float) -> dict[str, float]:
    """Fair points per module: the maximum unless given."""
    unknown = set(fair) - set(MAXIMA)
    if unknown:
        raise KeyError(f"unknown modules {sorted(unknown)}")
    return {module: float(fair.get(module, maximum)) for module, maximum in MAXIMA.items()}


def functions_by_module(submission: Submission) -> dict[str, dict[str, str]]:
    """BASE with the submission's own functions, grouped by module."""
    grouped: dict[str, dict[str, str]] = {module: {} for module in MAXIMA}
    for qualname, code in {**BASE, **submission.functions}.items():
        grouped[WHERE[qualname]][qualname] = code
    return grouped


# ------------------------------------------------------------------------------------------------
# A plain, correct student: every stub filled in the obvious way.
# ------------------------------------------------------------------------------------------------

BASE = {
    "Sigmoid.forward": '''
        def forward(self, Z: np.ndarray) -> np.ndarray:
            return 1.0 / (1.0 + np.exp(-Z))
    ''',
    "Sigmoid.backward": '''
        def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
            check_same_shape(Z, dY, "Z and dY", "Sigmoid.backward")
            s = self.forward(Z)
            return dY * s * (1 - s)
    ''',
    "TanH.forward": '''
        def forward(self, Z: np.ndarray) -> np.ndarray:
            return np.tanh(Z)
    ''',
    "TanH.backward": '''
        def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
            check_same_shape(Z, dY, "Z and dY", "TanH.backward")
            t = np.tanh(Z)
            return dY * (1 - t**2)
    ''',
    "ReLU.forward": '''
        def forward(self, Z: np.ndarray) -> np.ndarray:
            return np.maximum(0, Z)
    ''',
    "ReLU.backward": '''
        def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
            check_same_shape(Z, dY, "Z and dY", "ReLU.backward")
            return dY * (Z > 0)
    ''',
    "SoftMax.forward": '''
        def forward(self, Z: np.ndarray) -> np.ndarray:
            e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
            return e / np.sum(e, axis=1, keepdims=True)
    ''',
    "SoftMax.backward": '''
        def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
            check_same_shape(Z, dY, "Z and dY", "SoftMax.backward")
            S = self.forward(Z)
            row_dot = np.sum(S * dY, axis=1, keepdims=True)
            return S * (dY - row_dot)
    ''',
    "FullyConnectedLayer.forward": '''
        def forward(self, X: np.ndarray) -> np.ndarray:
            check_matrix(X, "X", "FullyConnectedLayer.forward", n_columns=self.n_in)
            W, b = self.parameters["W"], self.parameters["b"]
            Z = X @ W + b
            self.cache["X"] = X
            self.cache["Z"] = Z
            return self.activation(Z)
    ''',
    "FullyConnectedLayer.backward": '''
        def backward(self, dLdY: np.ndarray) -> np.ndarray:
            if "Z" not in self.cache:
                raise RuntimeError("FullyConnectedLayer.backward: call forward first, to fill the cache")
            check_same_shape(self.cache["Z"], dLdY, "Z (from forward) and dLdY", "FullyConnectedLayer.backward")
            X, Z = self.cache["X"], self.cache["Z"]
            dZ = self.activation.backward(Z, dLdY)
            self.gradients["W"] = X.T @ dZ
            self.gradients["b"] = np.sum(dZ, axis=0, keepdims=True)
            return dZ @ self.parameters["W"].T
    ''',
    "CrossEntropyLoss.forward": '''
        def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
            self._check(Y, Y_hat, "CrossEntropyLoss.forward")
            m = Y.shape[0]
            return float(-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))) / m)
    ''',
    "CrossEntropyLoss.backward": '''
        def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
            self._check(Y, Y_hat, "CrossEntropyLoss.backward")
            m = Y.shape[0]
            return -Y / (m * np.maximum(Y_hat, PROBABILITY_FLOOR))
    ''',
    "MSELoss.forward": '''
        def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
            self._check(Y, Y_hat, "MSELoss.forward")
            m = Y.shape[0]
            return float(np.sum((Y - Y_hat) ** 2) / m)
    ''',
    "MSELoss.backward": '''
        def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
            self._check(Y, Y_hat, "MSELoss.backward")
            m = Y.shape[0]
            return 2 * (Y_hat - Y) / m
    ''',
    "SGD.step": '''
        def step(self, layers: Sequence) -> None:
            self._check_gradients(layers, "SGD.step")
            for i, layer in enumerate(layers):
                for key, p in layer.parameters.items():
                    g = layer.gradients[key] + self.weight_decay * p
                    v = self.momentum * self.velocity.get((i, key), np.zeros_like(p)) + g
                    self.velocity[(i, key)] = v
                    p -= self.lr * v
    ''',
    "Adam.step": '''
        def step(self, layers: Sequence) -> None:
            self._check_gradients(layers, "Adam.step")
            self.t += 1
            for i, layer in enumerate(layers):
                for key, p in layer.parameters.items():
                    g = layer.gradients[key] + self.weight_decay * p
                    m = self.beta1 * self.m.get((i, key), np.zeros_like(p)) + (1 - self.beta1) * g
                    v = self.beta2 * self.v.get((i, key), np.zeros_like(p)) + (1 - self.beta2) * g**2
                    self.m[(i, key)] = m
                    self.v[(i, key)] = v
                    m_hat = m / (1 - self.beta1**self.t)
                    v_hat = v / (1 - self.beta2**self.t)
                    p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
    ''',
    "NeuralNetworkModel.forward": '''
        def forward(self, X: np.ndarray) -> np.ndarray:
            out = X
            for layer in self.layers:
                out = layer.forward(out)
            return out
    ''',
    "NeuralNetworkModel.backward": '''
        def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
            loss = self.loss(Y, Y_hat)
            grad = self.loss.backward(Y, Y_hat)
            for layer in reversed(self.layers):
                grad = layer.backward(grad)
            return loss
    ''',
    "NeuralNetworkModel.predict": '''
        def predict(self, X: np.ndarray) -> np.ndarray:
            return np.argmax(self.forward(X), axis=1)
    ''',
    "one_hot": '''
        def one_hot(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
            labels = np.asarray(labels)
            if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(f"one_hot: expected a 1-D array of integer labels, got shape {labels.shape}")
            if num_classes is None:
                num_classes = int(labels.max()) + 1 if labels.size else 0
            Y = np.zeros((labels.shape[0], num_classes))
            Y[np.arange(labels.shape[0]), labels] = 1.0
            return Y
    ''',
    "DataLoader.__iter__": '''
        def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            m = len(self.X)
            order = self.rng.permutation(m) if self.shuffle else np.arange(m)
            for start in range(0, m, self.batch_size):
                rows = order[start : start + self.batch_size]
                if self.drop_last and len(rows) < self.batch_size:
                    break
                yield self.X[rows], self.Y[rows]
    ''',
    "DataLoader.__len__": '''
        def __len__(self) -> int:
            full, rest = divmod(len(self.X), self.batch_size)
            return full + (1 if rest and not self.drop_last else 0)
    ''',
}


# ------------------------------------------------------------------------------------------------
# Deductions that recur, with their points (see the module docstring for the shares).
# ------------------------------------------------------------------------------------------------

def act_shares(function: str, why: str = "its results are wrong") -> tuple[float, str]:
    """An elementwise activation method's (or SoftMax.forward's) three property shares."""
    return (0.3929, f"{function}'s shares of shapes_and_dtypes, inputs_unchanged (1/8 each) and vectorised (1/7): {why}")


def loss_shares(function: str, why: str = "its results are wrong") -> tuple[float, str]:
    return (0.5, f"{function}'s shares of shapes_and_types (0.25), inputs_unchanged and vectorised (0.125 each): {why}")


def layer_shares(function: str, tests: str, total: float, why: str) -> tuple[float, str]:
    return (total, f"{function}'s halves of {tests}: {why}")


ONE_HOT_ALL = (
    (2.0, "one_hot: wrong encoding"),
    (1.0, "one_hot_num_classes: wrong encoding"),
    (1.0, "one_hot's shares of inputs_unchanged (0.5) and vectorised (0.5): its results are wrong"),
)


# ------------------------------------------------------------------------------------------------
# Correct code in unusual styles
# ------------------------------------------------------------------------------------------------

STYLE = [
    Submission(
        "style_jacobian_loops",
        "style",
        "SoftMax.backward loops over rows building each Jacobian; one_hot from np.eye; len by -(-m // b); backward loops by index",
        points(),
        functions={
            "SoftMax.backward": '''
                def backward(self, Z, dY):
                    check_same_shape(Z, dY, "Z and dY", "SoftMax.backward")
                    S = self.forward(Z)
                    dZ = np.zeros_like(dY)
                    for i in range(S.shape[0]):
                        s = S[i].reshape(-1, 1)
                        J = np.diagflat(s) - s @ s.T  # J[a, b] = d s_a / d z_b
                        dZ[i] = J.T @ dY[i]
                    return dZ
            ''',
            "one_hot": '''
                def one_hot(labels, num_classes=None):
                    labels = np.asarray(labels)
                    if num_classes is None:
                        num_classes = labels.max() + 1
                    return np.eye(num_classes)[labels]
            ''',
            "DataLoader.__len__": '''
                def __len__(self):
                    if self.drop_last:
                        return len(self.X) // self.batch_size
                    return -(-len(self.X) // self.batch_size)
            ''',
            "NeuralNetworkModel.backward": '''
                def backward(self, Y, Y_hat):
                    loss = self.loss(Y, Y_hat)
                    delta = self.loss.backward(Y, Y_hat)
                    for i in range(len(self.layers) - 1, -1, -1):
                        delta = self.layers[i].backward(delta)
                    return loss
            ''',
        },
    ),
    Submission(
        "style_einsum",
        "style",
        "the (m, k, k) SoftMax Jacobians built with einsum; the layer's products as np.dot and einsum",
        points(),
        functions={
            "SoftMax.backward": '''
                def backward(self, Z, dY):
                    check_same_shape(Z, dY, "Z and dY", "SoftMax.backward")
                    S = self.forward(Z)
                    k = S.shape[1]
                    # J[i, a, b] = s_a (delta_ab - s_b), one Jacobian per row
                    J = np.einsum("ia,ab->iab", S, np.eye(k)) - np.einsum("ia,ib->iab", S, S)
                    return np.einsum("iab,ia->ib", J, dY)
            ''',
            "FullyConnectedLayer.forward": '''
                def forward(self, X):
                    Z = np.dot(X, self.parameters["W"]) + self.parameters["b"]
                    self.cache["X"], self.cache["Z"] = X, Z
                    return self.activation.forward(Z)
            ''',
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X, Z = self.cache["X"], self.cache["Z"]
                    dZ = self.activation.backward(Z, dLdY)
                    self.gradients["W"] = np.einsum("mi,mj->ij", X, dZ)
                    self.gradients["b"] = np.einsum("mj->j", dZ)[np.newaxis, :]
                    return np.einsum("mj,ij->mi", dZ, self.parameters["W"])
            ''',
        },
    ),
    Submission(
        "style_where_heaviside_exp",
        "style",
        "sigmoid as exp(Z) / (1 + exp(Z)) with a stable branch; tanh from exp; ReLU with np.where and np.heaviside",
        points(),
        functions={
            "Sigmoid.forward": '''
                def forward(self, Z):
                    out = np.empty_like(Z, dtype=float)
                    positive = Z >= 0
                    out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))
                    ez = np.exp(Z[~positive])  # only where Z < 0, so it cannot overflow
                    out[~positive] = ez / (1.0 + ez)
                    return out
            ''',
            "TanH.forward": '''
                def forward(self, Z):
                    return (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z))
            ''',
            "TanH.backward": '''
                def backward(self, Z, dY):
                    t = self.forward(Z)
                    return dY * (1 - t * t)
            ''',
            "ReLU.forward": '''
                def forward(self, Z):
                    return np.where(Z > 0, Z, 0.0)
            ''',
            "ReLU.backward": '''
                def backward(self, Z, dY):
                    return dY * np.heaviside(Z, 0.0)
            ''',
        },
    ),
    Submission(
        "style_generator_shuffle_helpers",
        "style",
        "DataLoader: rng.shuffle of an index array, a batch helper, math.ceil; SGD state by setdefault; a layer helper",
        points(),
        top={
            "util": '''
                def _batch_bounds(m, batch_size, drop_last):
                    """(start, stop) of every batch in one pass."""
                    stop = m - m % batch_size if drop_last else m
                    for start in range(0, stop, batch_size):
                        yield start, min(start + batch_size, m)
            ''',
            "layers": '''
                def _affine(X, W, b):
                    return X @ W + b
            ''',
        },
        functions={
            "DataLoader.__iter__": '''
                def __iter__(self):
                    index = np.arange(len(self.X))
                    if self.shuffle:
                        self.rng.shuffle(index)
                    for start, stop in _batch_bounds(len(index), self.batch_size, self.drop_last):
                        batch = index[start:stop]
                        yield self.X[batch], self.Y[batch]
            ''',
            "DataLoader.__len__": '''
                def __len__(self):
                    if self.drop_last:
                        return math.floor(len(self.X) / self.batch_size)
                    return math.ceil(len(self.X) / self.batch_size)
            ''',
            "SGD.step": '''
                def step(self, layers):
                    self._check_gradients(layers, "SGD.step")
                    for i, layer in enumerate(layers):
                        for key in layer.parameters:
                            p = layer.parameters[key]
                            grad = layer.gradients[key]
                            if self.weight_decay:
                                grad = grad + self.weight_decay * p
                            v = self.velocity.setdefault((i, key), np.zeros_like(p))
                            v[...] = self.momentum * v + grad
                            p -= self.lr * v
            ''',
            "FullyConnectedLayer.forward": '''
                def forward(self, X):
                    check_matrix(X, "X", "FullyConnectedLayer.forward", n_columns=self.n_in)
                    self.cache["X"] = X
                    self.cache["Z"] = _affine(X, self.parameters["W"], self.parameters["b"])
                    return self.activation(self.cache["Z"])
            ''',
        },
    ),
    Submission(
        "style_choice_and_lists",
        "style",
        "DataLoader with rng.choice returning iter(list); optimizer state in lists by layer position",
        points(),
        functions={
            "DataLoader.__iter__": '''
                def __iter__(self):
                    m = len(self.X)
                    if self.shuffle:
                        order = self.rng.choice(m, size=m, replace=False)
                    else:
                        order = np.arange(m)
                    batches = []
                    for start in range(0, m, self.batch_size):
                        rows = order[start:start + self.batch_size]
                        if len(rows) < self.batch_size and self.drop_last:
                            continue
                        batches.append((self.X[rows], self.Y[rows]))
                    return iter(batches)
            ''',
            "SGD.step": '''
                def step(self, layers):
                    self._check_gradients(layers, "SGD.step")
                    if not hasattr(self, "_slots"):
                        self._slots = []
                    while len(self._slots) < len(layers):
                        self._slots.append({})
                    for layer, slots in zip(layers, self._slots):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            if key in slots:
                                slots[key] = self.momentum * slots[key] + g
                            else:
                                slots[key] = g.copy()
                            p -= self.lr * slots[key]
            ''',
            "Adam.step": '''
                def step(self, layers):
                    self._check_gradients(layers, "Adam.step")
                    if not hasattr(self, "_moments"):
                        self._moments = []
                    while len(self._moments) < len(layers):
                        self._moments.append({})
                    self.t += 1
                    c1 = 1 - self.beta1 ** self.t
                    c2 = 1 - self.beta2 ** self.t
                    for layer, moments in zip(layers, self._moments):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            m, v = moments.get(key, (0.0, 0.0))
                            m = self.beta1 * m + (1 - self.beta1) * g
                            v = self.beta2 * v + (1 - self.beta2) * np.square(g)
                            moments[key] = (m, v)
                            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
            ''',
        },
    ),
    Submission(
        "style_clip_and_dot",
        "style",
        "cross-entropy with np.clip(Y_hat, 1e-12, 1); MSE as a mean of row sums; dW = np.dot(X.T, dZ)",
        points(),
        functions={
            "CrossEntropyLoss.forward": '''
                def forward(self, Y, Y_hat):
                    P = np.clip(Y_hat, 1e-12, 1.0)
                    return float(-np.sum(Y * np.log(P)) / Y.shape[0])
            ''',
            "CrossEntropyLoss.backward": '''
                def backward(self, Y, Y_hat):
                    return -Y / np.clip(Y_hat, 1e-12, 1.0) / Y.shape[0]
            ''',
            "MSELoss.forward": '''
                def forward(self, Y, Y_hat):
                    return np.mean(np.sum(np.square(Y - Y_hat), axis=1))
            ''',
            "MSELoss.backward": '''
                def backward(self, Y, Y_hat):
                    return -2.0 / len(Y) * (Y - Y_hat)
            ''',
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X = self.cache["X"]
                    dZ = self.activation.backward(self.cache["Z"], dLdY)
                    self.gradients["W"] = np.dot(X.T, dZ)
                    self.gradients["b"] = dZ.sum(axis=0).reshape(1, -1)
                    return np.dot(dZ, self.parameters["W"].T)
            ''',
        },
    ),
    Submission(
        "style_float32_relu_mse",
        "style",
        "ReLU and MSELoss.backward computed in float32 (np.float32 casts), right to float32 precision",
        points(activations=27.75, loss=13.75),
        why={
            "activations": ((0.25, "ReLU.forward's and ReLU.backward's shares of shapes_and_dtypes (1/8 each): they return float32 (rule 5)"),),
            "loss": ((0.25, "MSELoss.backward's share of shapes_and_types: it returns float32 (rule 5)"),),
        },
        functions={
            "ReLU.forward": '''
                def forward(self, Z):
                    Z32 = Z.astype(np.float32)
                    return np.maximum(Z32, np.float32(0.0))
            ''',
            "ReLU.backward": '''
                def backward(self, Z, dY):
                    mask = (Z > 0).astype(np.float32)
                    return dY.astype(np.float32) * mask
            ''',
            "MSELoss.backward": '''
                def backward(self, Y, Y_hat):
                    diff = (Y_hat - Y).astype(np.float32)
                    return np.float32(2.0 / len(Y)) * diff
            ''',
        },
    ),
    Submission(
        "style_float32_layer_one_hot",
        "style",
        "the layer's forward and backward in float32; one_hot as a float32 matrix",
        points(util=11.0),
        why={"util": ((1.0, "one_hot_num_classes: one_hot returns float32, and this test checks float64 (rule 5)"),)},
        functions={
            "FullyConnectedLayer.forward": '''
                def forward(self, X):
                    X32 = X.astype(np.float32)
                    W = self.parameters["W"].astype(np.float32)
                    b = self.parameters["b"].astype(np.float32)
                    Z = X32 @ W + b
                    self.cache["X"] = X32
                    self.cache["Z"] = Z
                    return self.activation(Z)
            ''',
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X = self.cache["X"].astype(np.float32)
                    dZ = self.activation.backward(self.cache["Z"], dLdY).astype(np.float32)
                    self.gradients["W"] = X.T @ dZ
                    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
                    return dZ @ self.parameters["W"].astype(np.float32).T
            ''',
            "one_hot": '''
                def one_hot(labels, num_classes=None):
                    labels = np.asarray(labels)
                    if num_classes is None:
                        num_classes = int(labels.max()) + 1
                    Y = np.zeros((len(labels), num_classes), dtype=np.float32)
                    Y[np.arange(len(labels)), labels] = 1
                    return Y
            ''',
        },
    ),
    Submission(
        "style_unused_imports",
        "style",
        "an unused `import matplotlib.pyplot as plt` in util.py and `from tqdm import tqdm` in model.py",
        points(),
        top={
            "util": '''
                import matplotlib.pyplot as plt
            ''',
            "model": '''
                from tqdm import tqdm
            ''',
        },
    ),
    Submission(
        "style_reduce_and_logging",
        "style",
        "model.forward with functools.reduce, backward by index with logging, predict via argmax(axis=-1); Adam with ** 0.5",
        points(),
        top={
            "model": '''
                import functools
                import logging

                log = logging.getLogger(__name__)
            ''',
        },
        functions={
            "NeuralNetworkModel.forward": '''
                def forward(self, X):
                    return functools.reduce(lambda out, layer: layer.forward(out), self.layers, X)
            ''',
            "NeuralNetworkModel.backward": '''
                def backward(self, Y, Y_hat):
                    loss = self.loss(Y, Y_hat)
                    log.debug("batch loss %.4f", loss)
                    g = self.loss.backward(Y, Y_hat)
                    n = len(self.layers)
                    for i in range(n):
                        g = self.layers[n - 1 - i].backward(g)
                    return loss
            ''',
            "NeuralNetworkModel.predict": '''
                def predict(self, X):
                    return self.forward(X).argmax(axis=-1)
            ''',
            "Adam.step": '''
                def step(self, layers):
                    self._check_gradients(layers, "Adam.step")
                    self.t += 1
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            if (i, key) not in self.m:
                                self.m[(i, key)] = np.zeros_like(p)
                                self.v[(i, key)] = np.zeros_like(p)
                            self.m[(i, key)] = self.beta1 * self.m[(i, key)] + (1 - self.beta1) * g
                            self.v[(i, key)] = self.beta2 * self.v[(i, key)] + (1 - self.beta2) * g * g
                            m_hat = self.m[(i, key)] / (1 - self.beta1 ** self.t)
                            v_hat = self.v[(i, key)] / (1 - self.beta2 ** self.t)
                            p -= self.lr * m_hat / (v_hat ** 0.5 + self.eps)
            ''',
        },
    ),
    Submission(
        "style_shared_helpers",
        "style",
        "module-level helpers shared by forward and backward (_logistic via tanh, _softmax_rows, _floored)",
        points(),
        top={
            "activations": '''
                def _logistic(Z):
                    """sigmoid(z) = (1 + tanh(z / 2)) / 2, which never overflows."""
                    return 0.5 * (1.0 + np.tanh(0.5 * Z))


                def _softmax_rows(Z):
                    shifted = Z - Z.max(axis=1, keepdims=True)
                    e = np.exp(shifted)
                    return e / e.sum(axis=1, keepdims=True)
            ''',
            "loss": '''
                def _floored(P):
                    return np.maximum(P, PROBABILITY_FLOOR)
            ''',
        },
        functions={
            "Sigmoid.forward": '''
                def forward(self, Z):
                    return _logistic(Z)
            ''',
            "Sigmoid.backward": '''
                def backward(self, Z, dY):
                    s = _logistic(Z)
                    return dY * s * (1.0 - s)
            ''',
            "SoftMax.forward": '''
                def forward(self, Z):
                    return _softmax_rows(Z)
            ''',
            "SoftMax.backward": '''
                def backward(self, Z, dY):
                    S = _softmax_rows(Z)
                    return S * dY - S * (S * dY).sum(axis=1, keepdims=True)
            ''',
            "CrossEntropyLoss.forward": '''
                def forward(self, Y, Y_hat):
                    self._check(Y, Y_hat, "CrossEntropyLoss.forward")
                    return float(-(Y * np.log(_floored(Y_hat))).sum() / len(Y))
            ''',
            "CrossEntropyLoss.backward": '''
                def backward(self, Y, Y_hat):
                    self._check(Y, Y_hat, "CrossEntropyLoss.backward")
                    return -Y / _floored(Y_hat) / len(Y)
            ''',
        },
    ),
    Submission(
        "style_in_place_out",
        "style",
        "optimizers updating state and parameters with out= and p[...] =; db = dZ.sum(0)[None, :], dX = (W @ dZ.T).T",
        points(),
        functions={
            "SGD.step": '''
                def step(self, layers):
                    self._check_gradients(layers, "SGD.step")
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            state = (i, key)
                            if state not in self.velocity:
                                self.velocity[state] = np.zeros_like(p)
                            v = self.velocity[state]
                            np.multiply(v, self.momentum, out=v)
                            v += layer.gradients[key]
                            if self.weight_decay:
                                v += self.weight_decay * p
                            p[...] = p - self.lr * v
            ''',
            "Adam.step": '''
                def step(self, layers):
                    self._check_gradients(layers, "Adam.step")
                    self.t += 1
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            if (i, key) not in self.m:
                                self.m[(i, key)] = np.zeros_like(p)
                                self.v[(i, key)] = np.zeros_like(p)
                            m, v = self.m[(i, key)], self.v[(i, key)]
                            m *= self.beta1
                            m += (1 - self.beta1) * g
                            v *= self.beta2
                            v += (1 - self.beta2) * g * g
                            update = self.lr * (m / (1 - self.beta1 ** self.t))
                            update /= np.sqrt(v / (1 - self.beta2 ** self.t)) + self.eps
                            np.subtract(p, update, out=p)
            ''',
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    dZ = self.activation.backward(self.cache["Z"], dLdY)
                    self.gradients["W"] = self.cache["X"].T @ dZ
                    self.gradients["b"] = dZ.sum(0)[None, :]
                    return (self.parameters["W"] @ dZ.T).T
            ''',
        },
    ),
]


# ------------------------------------------------------------------------------------------------
# One typical mistake
# ------------------------------------------------------------------------------------------------

SIGMOID_WITHOUT_DY = '''
    def backward(self, Z, dY):
        s = self.forward(Z)
        return s * (1 - s)
'''

SOFTMAX_DIAGONAL = '''
    def backward(self, Z, dY):
        s = self.forward(Z)
        return dY * s * (1 - s)  # derivative of softmax
'''

LAYER_WITHOUT_BIAS = '''
    def forward(self, X):
        Z = X @ self.parameters["W"]
        self.cache["X"] = X
        self.cache["Z"] = Z
        return self.activation(Z)
'''

LAYER_WEIGHTS_OVER_M = '''
    def backward(self, dLdY):
        X, Z = self.cache["X"], self.cache["Z"]
        m = X.shape[0]
        dZ = self.activation.backward(Z, dLdY)
        self.gradients["W"] = X.T @ dZ / m
        self.gradients["b"] = np.sum(dZ, axis=0, keepdims=True)
        return dZ @ self.parameters["W"].T
'''

LAYER_BIAS_MEAN = '''
    def backward(self, dLdY):
        X, Z = self.cache["X"], self.cache["Z"]
        dZ = self.activation.backward(Z, dLdY)
        self.gradients["W"] = X.T @ dZ
        self.gradients["b"] = np.mean(dZ, axis=0, keepdims=True)
        return dZ @ self.parameters["W"].T
'''

MSE_BACKWARD_SIGN = '''
    def backward(self, Y, Y_hat):
        return 2 * (Y - Y_hat) / Y.shape[0]
'''

CROSS_ENTROPY_NO_FLOOR = '''
    def forward(self, Y, Y_hat):
        m = Y.shape[0]
        return float(-np.sum(Y * np.log(Y_hat)) / m)
'''

SGD_DECAY_WRONG_SIGN = '''
    def step(self, layers):
        for i, layer in enumerate(layers):
            for key, p in layer.parameters.items():
                g = layer.gradients[key] - self.weight_decay * p
                v = self.momentum * self.velocity.get((i, key), 0.0) + g
                self.velocity[(i, key)] = v
                p -= self.lr * v
'''

ADAM_T_PER_PARAMETER = '''
    def step(self, layers):
        for i, layer in enumerate(layers):
            for key, p in layer.parameters.items():
                self.t += 1
                g = layer.gradients[key] + self.weight_decay * p
                m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
                v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g**2
                self.m[(i, key)], self.v[(i, key)] = m, v
                m_hat = m / (1 - self.beta1**self.t)
                v_hat = v / (1 - self.beta2**self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
'''

PREDICT_MAX_VALUE = '''
    def predict(self, X):
        return np.max(self.forward(X), axis=1)
'''

ONE_HOT_OFF_BY_ONE = '''
    def one_hot(labels, num_classes=None):
        labels = np.asarray(labels)
        if num_classes is None:
            num_classes = labels.max() + 1
        Y = np.zeros((len(labels), num_classes))
        Y[np.arange(len(labels)), labels - 1] = 1  # classes are numbered from 1
        return Y
'''

LOADER_PAIRS_SPLIT = '''
    def __iter__(self):
        m = len(self.X)
        if self.shuffle:
            X = self.X[self.rng.permutation(m)]
            Y = self.Y[self.rng.permutation(m)]
        else:
            X, Y = self.X, self.Y
        stop = m - m % self.batch_size if self.drop_last else m
        for start in range(0, stop, self.batch_size):
            yield X[start:start + self.batch_size], Y[start:start + self.batch_size]
'''

LEN_FLOAT = '''
    def __len__(self):
        if self.drop_last:
            return np.floor(len(self.X) / self.batch_size)
        return np.ceil(len(self.X) / self.batch_size)
'''

ADAM_ALL_LOST = (
    (2.0, "adam_first_step: t counts parameters, not steps, so every parameter but the first gets another bias correction"),
    (3.0, "adam_several_steps: the same wrong t"),
    (1.0, "adam_weight_decay: the same wrong t (the bias corrections still differ with beta1 == beta2)"),
    (1.0, "Adam's halves of state_per_layer_and_parameter and in_place_gradients_unchanged: its results are wrong"),
)

SGD_DECAY_SIGN_LOST = (
    (1.0, "sgd_weight_decay: subtracts weight_decay * p from the gradient instead of adding it"),
    (0.5, "SGD's half of in_place_gradients_unchanged (SGD with weight decay there): its results are wrong"),
)

MISTAKE = [
    # activations
    Submission(
        "sigmoid_backward_forgets_dY",
        "mistake",
        "Sigmoid.backward returns s * (1 - s), the derivative alone",
        points(activations=24.6071),
        why={"activations": ((3.0, "sigmoid_backward: not multiplied by dY"), act_shares("Sigmoid.backward"))},
        functions={"Sigmoid.backward": SIGMOID_WITHOUT_DY},
    ),
    Submission(
        "tanh_backward_not_squared",
        "mistake",
        "TanH.backward uses 1 - tanh(Z) instead of 1 - tanh(Z)**2",
        points(activations=24.6071),
        why={"activations": ((3.0, "tanh_backward: the derivative is 1 - tanh**2"), act_shares("TanH.backward"))},
        functions={
            "TanH.backward": '''
                def backward(self, Z, dY):
                    return dY * (1 - np.tanh(Z))
            ''',
        },
    ),
    Submission(
        "relu_backward_uses_output",
        "mistake",
        "ReLU.backward returns dY * ReLU(Z) instead of dY * (Z > 0)",
        points(activations=24.6071),
        why={"activations": ((3.0, "relu_backward: multiplies by the output instead of the derivative"), act_shares("ReLU.backward"))},
        functions={
            "ReLU.backward": '''
                def backward(self, Z, dY):
                    return dY * np.maximum(Z, 0)
            ''',
        },
    ),
    Submission(
        "relu_backward_at_zero",
        "mistake",
        "ReLU.backward uses Z >= 0, so its derivative at exactly 0 is 1 (the docstring says 0)",
        points(activations=25.0),
        why={"activations": (
            (3.0, "relu_backward: wrong where Z == 0 (hidden and fresh inputs hold exact zeros, issue 8 item 8)"),
        )},
        functions={
            "ReLU.backward": '''
                def backward(self, Z, dY):
                    return dY * (Z >= 0)
            ''',
        },
    ),
    Submission(
        "softmax_sums_columns",
        "mistake",
        "SoftMax.forward normalises over axis 0 (columns) instead of each row",
        points(activations=22.6071),
        why={"activations": (
            (3.0, "softmax_forward: columns sum to 1 instead of rows"),
            (2.0, "softmax_large_logits (forward only): the same wrong axis"),
            act_shares("SoftMax.forward"),
        )},
        functions={
            "SoftMax.forward": '''
                def forward(self, Z):
                    e = np.exp(Z - Z.max(axis=0))
                    return e / e.sum(axis=0)
            ''',
        },
    ),
    Submission(
        "softmax_subtracts_row_mean",
        "mistake",
        "SoftMax.forward subtracts the row mean instead of the row max: right on ordinary logits, nan on [1000, -1000]",
        points(activations=26.0),
        why={"activations": (
            (2.0, "softmax_large_logits: exp overflows when a row mixes +1000 and -1000 (its results elsewhere are right)"),
        )},
        functions={
            "SoftMax.forward": '''
                def forward(self, Z):
                    e = np.exp(Z - Z.mean(axis=1, keepdims=True))
                    return e / e.sum(axis=1, keepdims=True)
            ''',
        },
    ),
    # layers
    Submission(
        "layer_forward_forgets_bias",
        "mistake",
        "FullyConnectedLayer.forward computes Z = X @ W (no + b); backward is right",
        points(layers=13.5),
        why={"layers": (
            (4.0, "forward: the bias is missing"),
            (0.5, "cache: the Z half (cache['Z'] lacks b); cache['X'] is right"),
            layer_shares("forward", "gradients_overwritten, batch_of_one_non_square, inputs_unchanged, vectorised", 2.0, "its results are wrong"),
        )},
        functions={"FullyConnectedLayer.forward": LAYER_WITHOUT_BIAS},
    ),
    Submission(
        "layer_weight_gradient_over_m",
        "mistake",
        "FullyConnectedLayer.backward divides gradients['W'] by the batch size",
        points(layers=14.5),
        why={"layers": (
            (4.0, "backward_weights: divided by m"),
            layer_shares("backward", "gradients_overwritten, inputs_unchanged, vectorised", 1.5, "gradients['W'] is wrong there"),
        )},
        functions={"FullyConnectedLayer.backward": LAYER_WEIGHTS_OVER_M},
    ),
    Submission(
        "layer_accumulates_gradients",
        "mistake",
        "FullyConnectedLayer.backward adds to gradients (+=) instead of replacing them",
        points(layers=19.5),
        why={"layers": (
            (0.5, "gradients_overwritten, backward's half: the second backward adds to the first; every single-call result is right"),
        )},
        functions={
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X, Z = self.cache["X"], self.cache["Z"]
                    dZ = self.activation.backward(Z, dLdY)
                    self.gradients["W"] += X.T @ dZ
                    self.gradients["b"] += dZ.sum(axis=0, keepdims=True)
                    return dZ @ self.parameters["W"].T
            ''',
        },
    ),
    Submission(
        "layer_skips_activation_derivative",
        "mistake",
        "FullyConnectedLayer.backward uses dZ = dLdY, skipping the activation's derivative",
        points(layers=7.0),
        why={"layers": (
            (4.0, "backward_input: no activation derivative"),
            (4.0, "backward_weights: no activation derivative"),
            (3.0, "backward_bias: no activation derivative"),
            layer_shares("backward", "gradients_overwritten, batch_of_one_non_square, inputs_unchanged, vectorised", 2.0, "its results are wrong"),
        )},
        functions={
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X = self.cache["X"]
                    dZ = dLdY
                    self.gradients["W"] = X.T @ dZ
                    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
                    return dZ @ self.parameters["W"].T
            ''',
        },
    ),
    Submission(
        "layer_backward_returns_none",
        "mistake",
        "FullyConnectedLayer.backward sets right gradients but forgets to return dL/dX",
        points(layers=16.0),
        why={"layers": (
            (4.0, "backward_input: returns None; gradients W and b are set and right, and are scored (rule 6, issue item 2)"),
        )},
        functions={
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X, Z = self.cache["X"], self.cache["Z"]
                    dZ = self.activation.backward(Z, dLdY)
                    self.gradients["W"] = X.T @ dZ
                    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
                    dX = dZ @ self.parameters["W"].T
            ''',
        },
    ),
    # loss
    Submission(
        "cross_entropy_without_floor",
        "mistake",
        "CrossEntropyLoss.forward takes np.log(Y_hat) directly: nan when a probability is exactly 0",
        points(loss=13.0),
        why={"loss": ((1.0, "cross_entropy_tiny_probabilities, forward's half: 0 * log(0) is nan (its results elsewhere are right)"),)},
        functions={"CrossEntropyLoss.forward": CROSS_ENTROPY_NO_FLOOR},
    ),
    Submission(
        "cross_entropy_backward_softmax_shortcut",
        "mistake",
        "CrossEntropyLoss.backward returns Y_hat - Y, the gradient with respect to the softmax's input",
        points(loss=9.5),
        why={"loss": (
            (3.0, "cross_entropy_backward: Y_hat - Y is not dL/dY_hat"),
            (1.0, "cross_entropy_tiny_probabilities, backward's half: the same"),
            loss_shares("CrossEntropyLoss.backward"),
        )},
        functions={
            "CrossEntropyLoss.backward": '''
                def backward(self, Y, Y_hat):
                    return Y_hat - Y
            ''',
        },
    ),
    Submission(
        "mse_mean_over_entries",
        "mistake",
        "MSELoss.forward is np.mean((Y - Y_hat)**2), dividing by m * k instead of m",
        points(loss=11.5),
        why={"loss": ((2.0, "mse_forward: divides by m * k"), loss_shares("MSELoss.forward"))},
        functions={
            "MSELoss.forward": '''
                def forward(self, Y, Y_hat):
                    return float(np.mean((Y - Y_hat) ** 2))
            ''',
        },
    ),
    # optimizer
    Submission(
        "sgd_momentum_sign",
        "mistake",
        "SGD keeps v = g - momentum * v (sign of the momentum term flipped); right when momentum is 0",
        points(optimizer=10.5),
        why={"optimizer": (
            (3.0, "sgd_momentum: the velocity's sign alternates"),
            (0.5, "SGD's half of state_per_layer_and_parameter (with momentum): its results are wrong"),
        )},
        functions={
            "SGD.step": '''
                def step(self, layers):
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            v = g - self.momentum * self.velocity.get((i, key), 0.0)
                            self.velocity[(i, key)] = v
                            p -= self.lr * v
            ''',
        },
    ),
    Submission(
        "sgd_weight_decay_in_place",
        "mistake",
        "SGD adds weight decay into the gradient array in place (g += wd * p), changing layer.gradients",
        points(optimizer=13.5),
        why={"optimizer": (
            (0.5, "SGD's half of in_place_gradients_unchanged: it writes into gradients (its parameter values are right)"),
        )},
        functions={
            "SGD.step": '''
                def step(self, layers):
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key]
                            if self.weight_decay > 0:
                                g += self.weight_decay * p
                            v = self.momentum * self.velocity.get((i, key), np.zeros_like(p)) + g
                            self.velocity[(i, key)] = v
                            p -= self.lr * v
            ''',
        },
    ),
    Submission(
        "adam_bias_correction_wrong_beta",
        "mistake",
        "Adam corrects v with 1 - beta1**t instead of 1 - beta2**t",
        points(optimizer=8.0),
        why={"optimizer": (
            (2.0, "adam_first_step: v_hat uses beta1"),
            (3.0, "adam_several_steps: v_hat uses beta1"),
            (1.0, "Adam's halves of state_per_layer_and_parameter and in_place_gradients_unchanged: its results are wrong"),
        )},
        functions={
            "Adam.step": '''
                def step(self, layers):
                    self.t += 1
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
                            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g**2
                            self.m[(i, key)], self.v[(i, key)] = m, v
                            m_hat = m / (1 - self.beta1**self.t)
                            v_hat = v / (1 - self.beta1**self.t)
                            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
            ''',
        },
    ),
    Submission(
        "adam_eps_inside_sqrt",
        "mistake",
        "Adam divides by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps: differs only for gradients near sqrt(eps)",
        points(optimizer=12.0),
        why={"optimizer": (
            (2.0, "adam_first_step: its case with gradients near sqrt(eps) is the test for eps (issue item 8); elsewhere the "
                  "formulas differ by ~eps / (2 g**2) of a step (~1e-8 for g of order 1), which should not decide a test"),
        )},
        functions={
            "Adam.step": '''
                def step(self, layers):
                    self.t += 1
                    for i, layer in enumerate(layers):
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            m = self.beta1 * self.m.get((i, key), 0.0) + (1 - self.beta1) * g
                            v = self.beta2 * self.v.get((i, key), 0.0) + (1 - self.beta2) * g**2
                            self.m[(i, key)], self.v[(i, key)] = m, v
                            m_hat = m / (1 - self.beta1**self.t)
                            v_hat = v / (1 - self.beta2**self.t)
                            p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
            ''',
        },
    ),
    Submission(
        "sgd_state_shared_between_layers",
        "mistake",
        "SGD keys its velocity by parameter name only (reset when the shape changes), so layers share it",
        points(optimizer=10.5),
        why={"optimizer": (
            (3.0, "sgd_momentum: layers of equal shapes share one velocity"),
            (0.5, "SGD's half of state_per_layer_and_parameter: the same"),
        )},
        functions={
            "SGD.step": '''
                def step(self, layers):
                    for layer in layers:
                        for key, p in layer.parameters.items():
                            g = layer.gradients[key] + self.weight_decay * p
                            v = self.velocity.get(key)
                            if v is None or v.shape != p.shape:
                                v = np.zeros_like(p)
                            v = self.momentum * v + g
                            self.velocity[key] = v
                            p -= self.lr * v
            ''',
        },
    ),
    # model
    Submission(
        "model_backward_in_forward_order",
        "mistake",
        "NeuralNetworkModel.backward calls the layers' backward first to last",
        points(model=8.0),
        why={"model": ((4.0, "backward_chain: layers in the wrong order (the loss it returns is right)"),)},
        functions={
            "NeuralNetworkModel.backward": '''
                def backward(self, Y, Y_hat):
                    loss = self.loss(Y, Y_hat)
                    grad = self.loss.backward(Y, Y_hat)
                    for layer in self.layers:
                        grad = layer.backward(grad)
                    return loss
            ''',
        },
    ),
    # util
    Submission(
        "one_hot_off_by_one",
        "mistake",
        "one_hot puts the 1 in column label - 1",
        points(util=8.0),
        why={"util": ONE_HOT_ALL},
        functions={"one_hot": ONE_HOT_OFF_BY_ONE},
    ),
    Submission(
        "loader_same_order_every_pass",
        "mistake",
        "DataLoader draws its permutation on the first pass and reuses it",
        points(util=10.5),
        why={"util": ((1.5, "loader_reshuffles_each_pass: every pass has the same order (each pass on its own is a right pass)"),)},
        functions={
            "DataLoader.__iter__": '''
                def __iter__(self):
                    if not hasattr(self, "order"):
                        m = len(self.X)
                        self.order = self.rng.permutation(m) if self.shuffle else np.arange(m)
                    for start in range(0, len(self.order), self.batch_size):
                        rows = self.order[start:start + self.batch_size]
                        if self.drop_last and len(rows) < self.batch_size:
                            break
                        yield self.X[rows], self.Y[rows]
            ''',
        },
    ),
    Submission(
        "loader_always_drops_last",
        "mistake",
        "DataLoader always drops the last, smaller batch, also with drop_last=False",
        points(util=8.0),
        why={"util": (
            (2.0, "loader_covers_every_example: the last examples never come"),
            (1.5, "loader_batch_sizes: the smaller last batch is missing"),
            (0.5, "the DataLoader's half of inputs_unchanged: its passes miss examples there"),
        )},
        functions={
            "DataLoader.__iter__": '''
                def __iter__(self):
                    m = len(self.X)
                    order = self.rng.permutation(m) if self.shuffle else np.arange(m)
                    for start in range(0, m - self.batch_size + 1, self.batch_size):
                        rows = order[start:start + self.batch_size]
                        yield self.X[rows], self.Y[rows]
            ''',
        },
    ),
    Submission(
        "loader_ignores_shuffle_false",
        "mistake",
        "DataLoader shuffles on every pass, also with shuffle=False",
        points(util=10.5),
        why={"util": ((1.5, "loader_reshuffles_each_pass: with shuffle=False the order is not kept"),)},
        functions={
            "DataLoader.__iter__": '''
                def __iter__(self):
                    order = self.rng.permutation(len(self.X))
                    for start in range(0, len(order), self.batch_size):
                        rows = order[start:start + self.batch_size]
                        if self.drop_last and len(rows) < self.batch_size:
                            return
                        yield self.X[rows], self.Y[rows]
            ''',
        },
    ),
]


# ------------------------------------------------------------------------------------------------
# Hangs and crashes
# ------------------------------------------------------------------------------------------------

BROKEN = [
    Submission(
        "tanh_backward_spins",
        "broken",
        "TanH.backward is `while True: pass` (an unfinished placeholder)",
        points(activations=24.6071),
        why={"activations": ((3.0, "tanh_backward: hangs"), act_shares("TanH.backward", "it hangs"))},
        functions={
            "TanH.backward": '''
                def backward(self, Z, dY):
                    while True:  # TODO
                        pass
            ''',
        },
    ),
    Submission(
        "mse_forward_sleeps",
        "broken",
        "MSELoss.forward calls time.sleep(10**6)",
        points(loss=11.5),
        why={"loss": ((2.0, "mse_forward: sleeps forever"), loss_shares("MSELoss.forward", "it hangs"))},
        top={"loss": "import time\n"},
        functions={
            "MSELoss.forward": '''
                def forward(self, Y, Y_hat):
                    time.sleep(10**6)  # wait for the plot to update
                    return float(np.sum((Y - Y_hat) ** 2) / len(Y))
            ''',
        },
    ),
    Submission(
        "two_hangs_two_modules",
        "broken",
        "Sigmoid.forward spins (while True) and one_hot loops forever (its index never advances)",
        points(activations=25.6071, util=8.0),
        why={
            "activations": ((2.0, "sigmoid_forward: hangs"), act_shares("Sigmoid.forward", "it hangs")),
            "util": (
                (2.0, "one_hot: hangs"),
                (1.0, "one_hot_num_classes: hangs"),
                (1.0, "one_hot's shares of inputs_unchanged (0.5) and vectorised (0.5): it hangs (and loops)"),
            ),
        },
        functions={
            "Sigmoid.forward": '''
                def forward(self, Z):
                    while True:
                        pass
            ''',
            "one_hot": '''
                def one_hot(labels, num_classes=None):
                    if num_classes is None:
                        num_classes = int(np.max(labels)) + 1
                    Y = np.zeros((len(labels), num_classes))
                    i = 0
                    while i < len(labels):
                        Y[i, labels[i]] = 1.0
                    return Y
            ''',
        },
    ),
    Submission(
        "three_hangs_three_modules",
        "broken",
        "the layer's backward sleeps waiting for a cache entry, SGD.step spins, predict's while loop never advances",
        points(layers=7.0, optimizer=7.0, model=9.6667),
        why={
            "layers": (
                (11.0, "backward_input, backward_weights, backward_bias (4 + 4 + 3): backward hangs"),
                layer_shares("backward", "gradients_overwritten, batch_of_one_non_square, inputs_unchanged, vectorised", 2.0, "it hangs"),
            ),
            "optimizer": (
                (6.0, "sgd_step, sgd_momentum, sgd_weight_decay (2 + 3 + 1): SGD.step hangs"),
                (1.0, "SGD's halves of state_per_layer_and_parameter and in_place_gradients_unchanged: it hangs"),
            ),
            "model": (
                (2.0, "predict: hangs"),
                (0.3333, "predict's shares of batch_of_one and inputs_unchanged (1/6 each): it hangs"),
            ),
        },
        top={"layers": "import time\n"},
        functions={
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    while "dZ" not in self.cache:  # forward should have stored it
                        time.sleep(0.05)
                    dZ = self.cache["dZ"]
                    self.gradients["W"] = self.cache["X"].T @ dZ
                    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
                    return dZ @ self.parameters["W"].T
            ''',
            "SGD.step": '''
                def step(self, layers):
                    while True:
                        pass
            ''',
            "NeuralNetworkModel.predict": '''
                def predict(self, X):
                    Y_hat = self.forward(X)
                    labels = np.zeros(len(X), dtype=int)
                    i = 0
                    while i < len(X):
                        labels[i] = np.argmax(Y_hat[i])
                    return labels
            ''',
        },
    ),
    Submission(
        "loader_len_hangs",
        "broken",
        "DataLoader.__len__ loops forever (its counter never advances); __iter__ is right",
        points(util=11.0),
        why={"util": ((1.0, "loader_len: hangs"),)},
        functions={
            "DataLoader.__len__": '''
                def __len__(self):
                    count, start = 0, 0
                    while start < len(self.X):
                        if self.drop_last and start + self.batch_size > len(self.X):
                            break
                        count += 1
                    return count
            ''',
        },
    ),
    Submission(
        "layer_backward_raises_after_gradients",
        "broken",
        "FullyConnectedLayer.backward sets W and b, then raises on dZ @ W (the .T is missing; W is not square)",
        points(layers=16.0),
        why={"layers": ((4.0, "backward_input: raises a shape error; gradients W and b were set before it and are right (rule 6)"),)},
        functions={
            "FullyConnectedLayer.backward": '''
                def backward(self, dLdY):
                    X, Z = self.cache["X"], self.cache["Z"]
                    dZ = self.activation.backward(Z, dLdY)
                    self.gradients["W"] = X.T @ dZ
                    self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
                    return dZ @ self.parameters["W"]
            ''',
        },
    ),
    Submission(
        "loss_syntax_error",
        "broken",
        "loss.py does not compile (an unclosed parenthesis in CrossEntropyLoss.forward)",
        points(loss=0.0),
        why={"loss": ((14.0, "loss.py has a syntax error: every loss test fails (rule 9); no other module is affected"),)},
        functions={
            "CrossEntropyLoss.forward": '''
                def forward(self, Y, Y_hat):
                    return -np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR)) / Y.shape[0]
            ''',
        },
        syntax_error=("loss",),
    ),
    Submission(
        "optimizer_raises_at_import",
        "broken",
        "optimizer.py ends with a leftover check, Adam(lr=0), which raises ValueError when imported",
        points(optimizer=0.0),
        why={"optimizer": ((14.0, "optimizer.py raises at import: every optimizer test fails (rule 9)"),)},
        bottom={
            "optimizer": '''
                # quick check that the constructor works
                _adam = Adam(lr=0)
            ''',
        },
    ),
    Submission(
        "model_exits_at_import",
        "broken",
        "model.py ends with an unguarded sys.exit(main()), a script left in the module",
        points(model=0.0),
        why={"model": ((12.0, "model.py calls sys.exit when imported: every model test fails (rule 9)"),)},
        bottom={
            "model": '''
                def main():
                    print("train with the notebooks")
                    return 0


                sys.exit(main())
            ''',
        },
    ),
    Submission(
        "util_import_fails",
        "broken",
        "util.py raises NameError at import; loss.py imports numerical_gradient, a provided helper, from it",
        points(util=0.0),
        why={"util": ((12.0, "util.py raises at import: every util test fails; the other modules get the stub's helpers (rule 9)"),)},
        bottom={
            "util": '''
                RNG = np.random.default_rng(SEED)
            ''',
        },
        top={
            "loss": '''
                from .util import numerical_gradient
            ''',
        },
    ),
]


# ------------------------------------------------------------------------------------------------
# Two mistakes at once
# ------------------------------------------------------------------------------------------------

TWO_MISTAKES = [
    Submission(
        "two_in_activations",
        "two_mistakes",
        "Sigmoid.backward forgets dY, and SoftMax.backward uses only the Jacobian's diagonal",
        points(activations=19.3571),
        why={"activations": (
            (3.0, "sigmoid_backward: not multiplied by dY"),
            act_shares("Sigmoid.backward"),
            (5.0, "softmax_backward: s * (1 - s) * dY ignores the off-diagonal terms"),
            (0.25, "SoftMax.backward's shares of shapes_and_dtypes and inputs_unchanged (1/8 each): its results are wrong"),
        )},
        functions={"Sigmoid.backward": SIGMOID_WITHOUT_DY, "SoftMax.backward": SOFTMAX_DIAGONAL},
    ),
    Submission(
        "bias_mean_and_mse_sign",
        "two_mistakes",
        "the layer's bias gradient is a mean over the batch, and MSELoss.backward has its sign flipped",
        points(layers=15.5, loss=11.5),
        why={
            "layers": (
                (3.0, "backward_bias: a mean where the sum belongs"),
                layer_shares("backward", "gradients_overwritten, inputs_unchanged, vectorised", 1.5,
                             "gradients['b'] is wrong there (on a batch of one the mean is the sum, so batch_of_one_non_square is kept)"),
            ),
            "loss": ((2.0, "mse_backward: sign flipped"), loss_shares("MSELoss.backward")),
        },
        functions={"FullyConnectedLayer.backward": LAYER_BIAS_MEAN, "MSELoss.backward": MSE_BACKWARD_SIGN},
    ),
    Submission(
        "two_in_optimizer",
        "two_mistakes",
        "Adam counts t per parameter, and SGD subtracts weight decay",
        points(optimizer=5.5),
        why={"optimizer": SGD_DECAY_SIGN_LOST + ADAM_ALL_LOST},
        functions={"SGD.step": SGD_DECAY_WRONG_SIGN, "Adam.step": ADAM_T_PER_PARAMETER},
    ),
    Submission(
        "predict_max_and_loader_pairs",
        "two_mistakes",
        "predict returns the largest output instead of its index, and the DataLoader shuffles X and Y with different permutations",
        points(model=9.6667, util=10.0),
        why={
            "model": (
                (2.0, "predict: returns values, not class indices"),
                (0.3333, "predict's shares of batch_of_one and inputs_unchanged (1/6 each): its results are wrong"),
            ),
            "util": (
                (1.5, "loader_keeps_pairs: rows of Y no longer belong to their rows of X"),
                (0.5, "the DataLoader's half of inputs_unchanged: its batches are wrong there"),
            ),
        },
        functions={"NeuralNetworkModel.predict": PREDICT_MAX_VALUE, "DataLoader.__iter__": LOADER_PAIRS_SPLIT},
    ),
    Submission(
        "two_in_util",
        "two_mistakes",
        "one_hot is off by one, and len(DataLoader) returns a float (np.ceil)",
        points(util=7.0),
        why={"util": ONE_HOT_ALL + ((1.0, "loader_len: returns a float, which len() refuses"),)},
        functions={"one_hot": ONE_HOT_OFF_BY_ONE, "DataLoader.__len__": LEN_FLOAT},
    ),
    Submission(
        "two_in_layers",
        "two_mistakes",
        "the layer's forward forgets the bias, and its backward divides gradients['W'] by m",
        points(layers=8.0),
        why={"layers": (
            (4.0, "forward: the bias is missing"),
            (0.5, "cache: the Z half"),
            layer_shares("forward", "gradients_overwritten, batch_of_one_non_square, inputs_unchanged, vectorised", 2.0, "its results are wrong"),
            (4.0, "backward_weights: divided by m (backward runs on the reference cache, rule 10)"),
            layer_shares("backward", "gradients_overwritten, inputs_unchanged, vectorised", 1.5,
                         "gradients['W'] is wrong there (dW / 1 is right on the batch of one)"),
        )},
        functions={"FullyConnectedLayer.forward": LAYER_WITHOUT_BIAS, "FullyConnectedLayer.backward": LAYER_WEIGHTS_OVER_M},
    ),
    Submission(
        "relu_at_zero_and_unfloored_cross_entropy",
        "two_mistakes",
        "ReLU.backward uses Z >= 0, and cross-entropy takes logs and divides with no floor at all",
        points(activations=25.0, loss=12.0),
        why={
            "activations": ((3.0, "relu_backward: wrong where Z == 0 (hidden and fresh inputs hold exact zeros)"),),
            "loss": (
                (1.0, "cross_entropy_tiny_probabilities, forward's half: 0 * log(0) is nan"),
                (1.0, "cross_entropy_tiny_probabilities, backward's half: 0 / 0 is nan"),
            ),
        },
        functions={
            "ReLU.backward": '''
                def backward(self, Z, dY):
                    return np.where(Z >= 0, dY, 0.0)
            ''',
            "CrossEntropyLoss.forward": CROSS_ENTROPY_NO_FLOOR,
            "CrossEntropyLoss.backward": '''
                def backward(self, Y, Y_hat):
                    return -Y / (Y.shape[0] * Y_hat)
            ''',
        },
    ),
]


SUBMISSIONS = STYLE + MISTAKE + BROKEN + TWO_MISTAKES
