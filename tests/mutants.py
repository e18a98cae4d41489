"""Deliberately broken and deliberately different versions of solution/, as text edits.

A mutant is a plausible student mistake: it must lose points in the module it breaks and keep
every point of the modules it does not touch. An equivalent is a correct implementation written
differently from solution/: all of them together must still get full marks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from autograder.kit import MODULES

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Edit:
    module: str
    old: str
    new: str
    count: int = 1  # how many occurrences to replace (the first ones)


@dataclass(frozen=True)
class Mutant:
    name: str
    edits: tuple[Edit, ...]

    @property
    def module(self) -> str:
        return self.edits[0].module


def mutant(name: str, module: str, old: str, new: str, count: int = 1) -> Mutant:
    return Mutant(name, (Edit(module, old, new, count),))


MUTANTS = [
    # activations
    mutant("sigmoid_sign_flipped", "activations", "np.exp(-Z))", "np.exp(Z))"),
    mutant("sigmoid_backward_drops_dY", "activations", "return dY * s * (1.0 - s)", "return s * (1.0 - s)"),
    mutant("tanh_backward_not_squared", "activations", "(1.0 - np.tanh(Z) ** 2)", "(1.0 - np.tanh(Z))"),
    mutant("relu_backward_uses_output", "activations", "return dY * (Z > 0)", "return dY * np.maximum(Z, 0.0)"),
    mutant("relu_forward_mutates_input", "activations", "return np.maximum(Z, 0.0)", "np.maximum(Z, 0.0, out=Z)\n        return Z"),
    mutant("softmax_without_max_shift", "activations", "np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z)"),
    mutant("softmax_normalised_over_columns", "activations", "shifted / shifted.sum(axis=1, keepdims=True)", "shifted / shifted.sum(axis=0, keepdims=True)"),
    mutant("relu_backward_passes_dY_at_zero", "activations", "return dY * (Z > 0)", "return dY * (Z >= 0)"),
    mutant("softmax_subtracts_row_mean", "activations", "np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z - Z.mean(axis=1, keepdims=True))"),
    mutant("softmax_backward_diagonal_only", "activations", "return S * (dY - np.sum(S * dY, axis=1, keepdims=True))", "return S * (1 - S) * dY"),
    mutant(
        "sigmoid_loops_over_examples",
        "activations",
        "return 1.0 / (1.0 + np.exp(-Z))",
        "return np.array([[1.0 / (1.0 + np.exp(-z)) for z in row] for row in Z])",
    ),
    # layers
    mutant("layer_forgets_bias", "layers", 'Z = X @ self.parameters["W"] + self.parameters["b"]', 'Z = X @ self.parameters["W"]'),
    mutant("layer_dropped_transpose", "layers", 'return dZ @ self.parameters["W"].T', 'return dZ @ self.parameters["W"]'),
    mutant("layer_bias_gradient_averaged", "layers", "dZ.sum(axis=0, keepdims=True)", "dZ.mean(axis=0, keepdims=True)"),
    mutant("layer_accumulates_gradients", "layers", 'self.gradients["W"] = X.T @ dZ', 'self.gradients["W"] = self.gradients["W"] + X.T @ dZ'),
    mutant("layer_skips_activation_derivative", "layers", "dZ = self.activation.backward(Z, dLdY)", "dZ = dLdY"),
    mutant("layer_weight_gradient_divided_by_m", "layers", 'self.gradients["W"] = X.T @ dZ', 'self.gradients["W"] = X.T @ dZ / X.shape[0]'),
    mutant(
        "layer_loops_over_examples",
        "layers",
        'Z = X @ self.parameters["W"] + self.parameters["b"]',
        'Z = np.array([x @ self.parameters["W"] + self.parameters["b"][0] for x in X])',
    ),
    # loss
    mutant("cross_entropy_missing_1_over_m", "loss", "PROBABILITY_FLOOR))) / m)", "PROBABILITY_FLOOR))))"),
    mutant("cross_entropy_backward_missing_1_over_m", "loss", "-Y / (m * np.maximum(Y_hat, PROBABILITY_FLOOR))", "-Y / np.maximum(Y_hat, PROBABILITY_FLOOR)"),
    mutant("cross_entropy_sign_flipped", "loss", "return float(-np.sum(", "return float(np.sum("),
    Mutant(
        "cross_entropy_without_floor",
        (
            Edit("loss", "np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))", "np.log(Y_hat)"),
            Edit("loss", "-Y / (m * np.maximum(Y_hat, PROBABILITY_FLOOR))", "-Y / (m * Y_hat)"),
        ),
    ),
    mutant("mse_backward_sign_flipped", "loss", "return -2.0 * (Y - Y_hat) / m", "return 2.0 * (Y - Y_hat) / m"),
    mutant("mse_mean_over_every_entry", "loss", "np.sum((Y - Y_hat) ** 2) / m", "np.mean((Y - Y_hat) ** 2)"),
    # optimizer
    mutant("sgd_velocity_shared_across_layers", "optimizer", '                if (i, key) not in self.velocity:\n                    self.velocity[(i, key)] = np.zeros_like(p)\n                v = self.velocity[(i, key)]', '                if key not in self.velocity:\n                    self.velocity[key] = np.zeros_like(p)\n                v = self.velocity[key]'),
    mutant("sgd_velocity_shared_by_every_parameter", "optimizer", '                if (i, key) not in self.velocity:\n                    self.velocity[(i, key)] = np.zeros_like(p)\n                v = self.velocity[(i, key)]', '                if 0 not in self.velocity:\n                    self.velocity[0] = np.zeros_like(p)\n                v = self.velocity[0]'),
    mutant("sgd_momentum_ignored", "optimizer", "v *= self.momentum\n", "v *= 0.0\n"),
    mutant(
        "sgd_weight_decay_added_into_the_gradient",
        "optimizer",
        "                g = layer.gradients[key] + self.weight_decay * p\n                if (i, key)",
        "                g = layer.gradients[key]\n                g += self.weight_decay * p\n                if (i, key)",
    ),
    mutant("sgd_weight_decay_sign_flipped", "optimizer", "g = layer.gradients[key] + self.weight_decay * p\n                if", "g = layer.gradients[key] - self.weight_decay * p\n                if"),
    mutant("sgd_momentum_sign_flipped", "optimizer", "v *= self.momentum\n", "v *= -self.momentum\n"),
    mutant("adam_eps_inside_the_square_root", "optimizer", "(np.sqrt(v_hat) + self.eps)", "np.sqrt(v_hat + self.eps)"),
    mutant("adam_second_moment_corrected_with_beta1", "optimizer", "v_hat = v / (1 - self.beta2**self.t)", "v_hat = v / (1 - self.beta1**self.t)"),
    mutant("sgd_weight_decay_ignored", "optimizer", "g = layer.gradients[key] + self.weight_decay * p\n                if", "g = layer.gradients[key]\n                if"),
    mutant("adam_without_bias_correction", "optimizer", "m_hat = m / (1 - self.beta1**self.t)", "m_hat = m"),
    Mutant(
        "adam_counts_steps_per_parameter",
        (
            Edit("optimizer", "        self.t += 1\n        for i, layer in enumerate(layers):", "        for i, layer in enumerate(layers):"),
            Edit("optimizer", "                m = self.beta1 *", "                self.t += 1\n                m = self.beta1 *"),
        ),
    ),
    mutant("sgd_replaces_parameters", "optimizer", "p -= self.lr * v", "layer.parameters[key] = p - self.lr * v"),
    # model
    mutant("model_backward_in_forward_order", "model", "for layer in reversed(self.layers):", "for layer in self.layers:"),
    mutant("model_backward_returns_gradient", "model", "            gradient = layer.backward(gradient)\n        return loss", "            gradient = layer.backward(gradient)\n        return gradient"),
    mutant("model_predict_wrong_axis", "model", "np.argmax(self.forward(X), axis=1)", "np.argmax(self.forward(X), axis=0)"),
    mutant("model_forward_skips_last_layer", "model", "        for layer in self.layers:\n            X = layer.forward(X)", "        for layer in self.layers[:-1]:\n            X = layer.forward(X)"),
    # util
    mutant("loader_shuffles_x_apart_from_y", "util", "yield self.X[rows], self.Y[rows]", "yield self.X[rows], self.Y[start : start + self.batch_size]"),
    mutant("loader_same_order_every_pass", "util", "order = self.rng.permutation(m)", "order = np.random.default_rng(0).permutation(m)"),
    mutant("loader_always_drops_last", "util", "stop = m - m % self.batch_size if self.drop_last else m", "stop = m - m % self.batch_size"),
    mutant(
        "loader_shuffles_data_in_place",
        "util",
        "order = self.rng.permutation(m) if self.shuffle else np.arange(m)",
        "order = np.arange(m)\n        if self.shuffle:\n            state = self.rng.bit_generator.state\n            self.rng.shuffle(self.X)\n            self.rng.bit_generator.state = state\n            self.rng.shuffle(self.Y)",
    ),
    mutant("len_ignores_drop_last", "util", "return m // self.batch_size if self.drop_last else math.ceil(m / self.batch_size)", "return m // self.batch_size"),
    mutant(
        "one_hot_loops_over_labels",
        "util",
        "Y[np.arange(labels.shape[0]), labels] = 1.0",
        "for row, label in enumerate(labels):\n        Y[row, label] = 1.0",
    ),
]

# Correct, but written differently from solution/: together they must still score full marks.
EQUIVALENTS = [
    Edit("activations", "return 1.0 / (1.0 + np.exp(-Z))", "E = np.exp(np.clip(Z, -500, 500))\n        return E / (1.0 + E)"),
    Edit("activations", "return np.tanh(Z)", "return (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z))"),
    Edit("activations", "return np.maximum(Z, 0.0)", "return np.where(Z > 0, Z, 0.0)"),
    Edit("activations", "return dY * (Z > 0)", "return np.where(Z > 0, dY, 0.0)"),
    Edit(
        "activations",
        "        return S * (dY - np.sum(S * dY, axis=1, keepdims=True))",
        "        dZ = np.empty_like(dY)\n        for i in range(S.shape[0]):\n            J = np.diag(S[i]) - np.outer(S[i], S[i])\n            dZ[i] = J.T @ dY[i]\n        return dZ",
    ),
    Edit("layers", 'Z = X @ self.parameters["W"] + self.parameters["b"]', 'Z = np.dot(X, self.parameters["W"]) + self.parameters["b"]'),
    Edit("layers", 'self.gradients["b"] = dZ.sum(axis=0, keepdims=True)', 'self.gradients["b"] = (np.ones(len(X)) @ dZ).reshape(1, -1)'),
    Edit(
        "loss",
        "return float(-np.sum(Y * np.log(np.maximum(Y_hat, PROBABILITY_FLOOR))) / m)",
        "return -np.mean(np.sum(Y * np.log(np.clip(Y_hat, 1e-7, 1 - 1e-7)), axis=1))",
    ),
    Edit("loss", "return -Y / (m * np.maximum(Y_hat, PROBABILITY_FLOOR))", "return -(Y / np.clip(Y_hat, 1e-7, None)) / m"),
    Edit("loss", "return float(np.sum((Y - Y_hat) ** 2) / m)", "return np.mean(np.sum(np.square(Y_hat - Y), axis=1))"),
    Edit("loss", "return -2.0 * (Y - Y_hat) / m", "return 2 * (Y_hat - Y) / len(Y)"),
    Edit(
        "optimizer",
        "                if (i, key) not in self.velocity:\n                    self.velocity[(i, key)] = np.zeros_like(p)\n                v = self.velocity[(i, key)]\n                v *= self.momentum\n                v += g\n                p -= self.lr * v",
        "                v = self.momentum * self.velocity.get((i, key), 0.0) + g\n                self.velocity[(i, key)] = v\n                p[...] = p - self.lr * v",
    ),
    Edit("model", "return np.argmax(self.forward(X), axis=1)", "return self.forward(X).argmax(axis=-1)"),
    Edit("util", "Y = np.zeros((labels.shape[0], num_classes))\n    Y[np.arange(labels.shape[0]), labels] = 1.0\n    return Y", "return np.eye(num_classes)[labels]"),
    Edit("util", "order = self.rng.permutation(m) if self.shuffle else np.arange(m)", "order = np.arange(m)\n        if self.shuffle:\n            order = self.rng.choice(m, size=m, replace=False)"),
    Edit("util", "return m // self.batch_size if self.drop_last else math.ceil(m / self.batch_size)", "return m // self.batch_size if self.drop_last else -(-m // self.batch_size)"),
    Edit("util", "yield self.X[rows], self.Y[rows]", "yield [self.X[rows], self.Y[rows]]"),
]


def apply(edits, target: Path) -> Path:
    """Write solution/'s six modules, with the edits applied, into the folder ``target``."""
    target.mkdir(parents=True)
    sources = {module: (ROOT / "solution" / f"{module}.py").read_text() for module in MODULES}
    for edit in edits:
        found = sources[edit.module].count(edit.old)
        if found != edit.count:  # also elsewhere (a docstring, say): the edit would not be what it says
            raise AssertionError(f"edit applies {found} times to solution/{edit.module}.py, not {edit.count}: {edit.old!r}")
        sources[edit.module] = sources[edit.module].replace(edit.old, edit.new, edit.count)
    for module, source in sources.items():
        (target / f"{module}.py").write_text(source)
    return target


def copy_tree(name: str, target: Path) -> Path:
    shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target
