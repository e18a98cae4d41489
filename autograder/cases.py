"""The inputs of every test, built from fixed seeds, for the public and the hidden variant.

Used only by ``make reference`` (scripts/make_reference.py), which runs the probes on solution/ and
stores inputs and outputs together; grading reads the stored inputs, never this module. It is not
shipped to students, since it describes the hidden inputs too.

Each case is named after its rubric test (``activations.relu_backward``); the probe that runs it is
declared with the test's check (checks/registry.py). Inputs are chosen so that a right answer cannot
fail and a wrong one cannot pass: non-uniform upstream gradients, non-square shapes, exact zeros
where a derivative is defined there (ReLU's), rows of logits whose mean is far from their maximum,
probabilities of exactly 0 where the test is about tiny ones, gradients near sqrt(eps) for Adam.
Property tests name the functions they cover (``args["functions"]``); each gets a share.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np



@dataclass(frozen=True)
class Sizes:
    """The shapes one variant uses; public and hidden differ so that hard-coding cannot pass."""

    seed: int
    m: int  # batch size
    n: int  # features
    n_out: int  # layer outputs
    k: int  # classes
    loader_m: int  # examples given to the DataLoader


VARIANT_SIZES = {
    # Shipped to students (make check) and graded, with messages showing expected values.
    "public": Sizes(seed=421_2024, m=6, n=5, n_out=3, k=4, loader_m=50),
    # Graded alongside every public test, never shipped: the same shapes (but for the DataLoader's
    # number of examples, which sets batch sizes and lengths) and other values, so that replaying
    # the shipped public outputs earns nothing.
    "fresh": Sizes(seed=530_6113, m=6, n=5, n_out=3, k=4, loader_m=47),
    # Graded, never shipped, other shapes too; shown after grades are published.
    "hidden": Sizes(seed=977_3571, m=7, n=4, n_out=6, k=5, loader_m=43),
}


@dataclass
class Case:
    test_id: str
    args: dict = field(default_factory=dict)
    inputs: dict[str, np.ndarray] = field(default_factory=dict)


def away_from_zero(rng: np.random.Generator, shape, low: float = 0.1, high: float = 2.5) -> np.ndarray:
    """Random values with |x| in [low, high]: no finite-difference step crosses 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def one_hot_rows(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    Y = np.zeros((m, k))
    Y[np.arange(m), rng.integers(0, k, size=m)] = 1.0
    return Y


# ----------------------------------------------------------------------------------------------


ACTIVATION_CLASSES = ("Sigmoid", "TanH", "ReLU", "SoftMax")
ACTIVATION_FUNCTIONS = [f"{name}.{method}" for name in ACTIVATION_CLASSES for method in ("forward", "backward")]
LOSS_FUNCTIONS = [f"{name}.{method}" for name in ("CrossEntropyLoss", "MSELoss") for method in ("forward", "backward")]


def activation_cases(rng: np.random.Generator, s: Sizes) -> list[Case]:
    def relu_inputs(shape) -> np.ndarray:
        Z = away_from_zero(rng, shape)
        Z.flat[:: 4] = 0.0  # exact zeros: the derivative there is 0, as the docstring defines it
        return Z

    inputs_for: dict[str, Callable[[tuple[int, int]], np.ndarray]] = {
        "sigmoid": lambda shape: rng.normal(0.0, 3.0, shape),
        "tanh": lambda shape: rng.normal(0.0, 1.5, shape),
        "relu": relu_inputs,
        "softmax": lambda shape: rng.normal(0.0, 2.0, shape),
    }
    classes = {"sigmoid": "Sigmoid", "tanh": "TanH", "relu": "ReLU", "softmax": "SoftMax"}
    cases = []
    for name, draw in inputs_for.items():
        args = {"activation": classes[name]}
        cases.append(Case(f"activations.{name}_forward", args, {"Z": draw((s.m, s.n))}))
        cases.append(
            Case(f"activations.{name}_backward", args, {"Z": draw((s.m, s.n)), "dY": rng.normal(0.0, 1.0, (s.m, s.n))})
        )
    large = rng.normal(0.0, 2.0, (s.m, s.k))
    large[: s.m // 2] += 1000.0
    large[s.m // 2 :] -= 1000.0
    large[0, :2] = [1000.0, -1000.0]  # +1000 next to -1000: the small entry underflows to exactly 0
    large[-1] = 1000.0 * np.resize([1.0, -1.0], s.k) + rng.normal(0.0, 1.0, s.k)  # row mean ~0: only the max keeps exp finite
    cases.append(Case("activations.softmax_large_logits", {"activation": "SoftMax"}, {"Z": large}))
    shape_inputs = {}
    for case, shape in (("batch_of_one", (1, s.n)), ("non_square", (s.m + 3, s.n - 2))):
        shape_inputs[f"{case}/Z"] = away_from_zero(rng, shape)
        shape_inputs[f"{case}/dY"] = rng.normal(0.0, 1.0, shape)
    cases.append(
        Case(
            "activations.shapes_and_dtypes", {"functions": ACTIVATION_FUNCTIONS, "sizes": ["batch_of_one", "non_square"]}, shape_inputs,
        )
    )
    cases.append(
        Case(
            "activations.inputs_unchanged", {"functions": ACTIVATION_FUNCTIONS},
            {"Z": away_from_zero(rng, (s.m, s.n)), "dY": rng.normal(0.0, 1.0, (s.m, s.n))},
        )
    )
    vectorised = [label for label in ACTIVATION_FUNCTIONS if label != "SoftMax.backward"]  # SPEC: it may loop over rows
    cases.append(
        Case(
            "activations.vectorised", {"functions": vectorised, "sizes": ["small", "large"]},
            line_count_inputs(rng, s.n, {"Z": "normal", "dY": "normal"}),
        )
    )
    return cases


def line_count_inputs(rng: np.random.Generator, columns: int, names: dict[str, str]) -> dict[str, np.ndarray]:
    """The same arrays at 8 and at 64 rows, for the vectorisation checks."""
    arrays = {}
    for size, rows in (("small", 8), ("large", 64)):
        for name in names:
            arrays[f"{size}/{name}"] = away_from_zero(rng, (rows, columns))
    return arrays


def layer_cases(rng: np.random.Generator, s: Sizes) -> list[Case]:
    def batch(m: int, n_in: int, n_out: int, prefix: str = "") -> dict[str, np.ndarray]:
        X = rng.normal(0.0, 1.0, (m, n_in))
        W, b = rng.normal(0.0, 0.6, (n_in, n_out)), rng.normal(0.0, 0.5, (1, n_out))
        # Z is the reference cache's pre-activation, given to backward tests in place of the
        # student's own forward (the contract: forward stores cache["X"] and cache["Z"]).
        arrays = {"X": X, "W": W, "b": b, "Z": X @ W + b, "dY": rng.normal(0.0, 1.0, (m, n_out))}
        return {f"{prefix}{name}": value for name, value in arrays.items()}

    def forward_only(m: int) -> dict[str, np.ndarray]:
        arrays = batch(m, s.n, s.n_out)
        return {name: arrays[name] for name in ("X", "W", "b")}

    cases = [
        Case("layers.forward", {}, forward_only(s.m)),
        Case("layers.cache", {}, forward_only(s.m)),
    ]
    for test in ("backward_input", "backward_weights", "backward_bias"):
        cases.append(Case(f"layers.{test}", {}, batch(s.m, s.n, s.n_out)))
    overwritten = batch(s.m, s.n, s.n_out)
    overwritten["dY_first"] = overwritten.pop("dY")
    overwritten["dY_second"] = rng.normal(0.0, 1.0, (s.m, s.n_out))
    cases.append(Case("layers.gradients_overwritten", {}, overwritten))
    cases.append(Case("layers.batch_of_one_non_square", {}, batch(1, s.n + 2, s.n_out)))
    cases.append(Case("layers.inputs_unchanged", {}, batch(s.m, s.n, s.n_out)))
    counts = {**batch(8, s.n, s.n_out, "small/"), **batch(64, s.n, s.n_out, "large/")}
    functions = ["FullyConnectedLayer.forward", "FullyConnectedLayer.backward"]
    cases.append(Case("layers.vectorised", {"functions": functions, "sizes": ["small", "large"]}, counts))
    return cases


def loss_cases(rng: np.random.Generator, s: Sizes) -> list[Case]:
    def classification(m: int, k: int, prefix: str = "") -> dict[str, np.ndarray]:
        return {f"{prefix}Y": one_hot_rows(rng, m, k), f"{prefix}Y_hat": softmax_rows(rng.normal(0.0, 1.0, (m, k)))}

    def regression(m: int, k: int) -> dict[str, np.ndarray]:
        return {"Y": rng.normal(0.0, 1.0, (m, k)), "Y_hat": rng.normal(0.0, 1.0, (m, k))}

    tiny = classification(s.m, s.k)
    true_class = tiny["Y"].argmax(axis=1)
    rows = np.arange(s.m)
    # Where Y is 0: probabilities of exactly 0 (what softmax gives when it underflows) and tiny ones;
    # where Y is 1: small but above 1e-6, so that no floor at or below 1e-7 changes the answer.
    tiny["Y_hat"][rows, (true_class + 1) % s.k] = [0.0, 1e-200, 0.0, 1e-20, 1e-250, 0.0, 1e-290][: s.m]
    tiny["Y_hat"][rows[: s.m // 2], true_class[: s.m // 2]] = rng.uniform(1e-6, 1e-3, s.m // 2)
    cases = [
        Case("loss.cross_entropy_forward", {"loss": "CrossEntropyLoss"}, classification(s.m, s.k)),
        Case("loss.cross_entropy_backward", {"loss": "CrossEntropyLoss"}, classification(s.m, s.k)),
        Case(
            "loss.cross_entropy_tiny_probabilities", {"functions": ["CrossEntropyLoss.forward", "CrossEntropyLoss.backward"]}, tiny,
        ),
        Case("loss.mse_forward", {"loss": "MSELoss"}, regression(s.m, s.k)),
        Case("loss.mse_backward", {"loss": "MSELoss"}, regression(s.m, s.k)),
    ]
    shape_inputs = {}
    for case, (m, k) in (("batch_of_one", (1, s.k)), ("wide", (s.m, s.k + 3))):
        shape_inputs.update(classification(m, k, f"{case}/"))
    cases.append(
        Case("loss.shapes_and_types", {"functions": LOSS_FUNCTIONS, "sizes": ["batch_of_one", "wide"]}, shape_inputs)
    )
    cases.append(Case("loss.inputs_unchanged", {"functions": LOSS_FUNCTIONS}, classification(s.m, s.k)))
    counts = {**classification(8, s.k, "small/"), **classification(64, s.k, "large/")}
    cases.append(Case("loss.vectorised", {"functions": LOSS_FUNCTIONS, "sizes": ["small", "large"]}, counts))
    return cases


def optimizer_cases(rng: np.random.Generator, s: Sizes) -> list[Case]:
    def inputs_for(steps: int, layout_shapes: list[dict[str, tuple]], prefix: str = "", small_gradients: bool = False) -> dict:
        inputs = {}
        for position, shapes in enumerate(layout_shapes):
            for key, shape in shapes.items():
                inputs[f"{prefix}layer{position}/{key}"] = rng.normal(0.0, 1.0, shape)
                for step in range(steps):
                    # Away from 0, so that where eps sits matters only in the test built for it.
                    gradient = away_from_zero(rng, shape, 0.2, 2.0)
                    if small_gradients:  # some entries near sqrt(eps) = 1e-4, where eps's place matters
                        gradient.flat[::2] = rng.choice([-1.0, 1.0], gradient.flat[::2].shape) * rng.uniform(1e-6, 1e-4, gradient.flat[::2].shape)
                    inputs[f"{prefix}step{step}/layer{position}/{key}"] = gradient
        return inputs

    def run(test: str, optimizer: str, settings: dict, steps: int, layout_shapes: list[dict[str, tuple]], **options) -> Case:
        args = {"optimizer": optimizer, "settings": settings, "steps": steps, "layout": [list(shapes) for shapes in layout_shapes]}
        return Case(f"optimizer.{test}", args, inputs_for(steps, layout_shapes, **options))

    def each(test: str, settings: dict[str, dict], steps: int, layout_shapes: list[dict[str, tuple]]) -> Case:
        inputs = {}
        for name in settings:
            inputs.update(inputs_for(steps, layout_shapes, prefix=f"{name}/"))
        args = {"settings": settings, "steps": steps, "layout": [list(shapes) for shapes in layout_shapes]}
        return Case(f"optimizer.{test}", args, inputs)

    def dense(n_in: int, n_out: int) -> dict[str, tuple]:
        return {"W": (n_in, n_out), "b": (1, n_out)}

    mixed = [dense(s.n, s.n_out), dense(s.n_out, s.k)]
    alike = [dense(s.n, s.n_out)] * 3  # equal shapes: shared state gives wrong numbers, not a crash
    all_alike = [dense(1, s.k)] * 3  # W and b of every layer share one shape
    return [
        # Each test isolates one behaviour: no momentum or weight decay where the test is not about it.
        run("sgd_step", "SGD", {"lr": 0.1}, 1, mixed),
        run("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, 3, alike),
        run("sgd_weight_decay", "SGD", {"lr": 0.05, "weight_decay": 0.1}, 1, mixed),  # one step: no velocity yet
        run("adam_first_step", "Adam", {"lr": 0.01}, 1, mixed, small_gradients=True),
        run("adam_several_steps", "Adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.95}, 4, alike),
        # Two steps with beta1 == beta2: weight decay changes the answer, swapped betas do not.
        run("adam_weight_decay", "Adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.9, "weight_decay": 0.2}, 2, mixed),
        each(
            "state_per_layer_and_parameter",
            {"SGD": {"lr": 0.05, "momentum": 0.9}, "Adam": {"lr": 0.01, "beta1": 0.8, "beta2": 0.95}}, 3, all_alike,
        ),
        each(
            "in_place_gradients_unchanged",
            {"SGD": {"lr": 0.1, "weight_decay": 0.1}, "Adam": {"lr": 0.01, "weight_decay": 0.1}}, 1, mixed,
        ),
    ]


def model_cases(rng: np.random.Generator, s: Sizes) -> list[Case]:
    widths = [s.n, s.n + 2, s.n_out, s.k]

    def batch(m: int) -> dict[str, np.ndarray]:
        arrays = {}
        for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
            arrays[f"layer{i}/A"] = rng.normal(0.0, 0.5, (n_in, n_out))
            arrays[f"layer{i}/B"] = rng.normal(0.0, 0.5, (n_out, n_in))
        X = rng.normal(0.0, 1.0, (m, s.n))
        outputs = X
        for i in range(len(widths) - 1):  # what the stand-in layers compute: the network's output
            outputs = outputs @ arrays[f"layer{i}/A"] + 0.5
        return {
            **arrays,
            "X": X,
            "outputs": outputs,  # given to predict as the model's forward, so predict is judged alone
            "Y": one_hot_rows(rng, m, s.k),
            "Y_hat": rng.uniform(0.1, 1.0, (m, s.k)),
        }

    args = {"layers": len(widths) - 1}
    return [
        Case("model.forward", args, batch(s.m)),
        Case("model.backward_returns_loss", args, batch(s.m)),
        Case("model.backward_chain", args, batch(s.m)),
        Case("model.predict", args, batch(s.m + 5)),
        Case("model.batch_of_one", args, batch(1)),
        Case("model.inputs_unchanged", args, batch(s.m)),
    ]


def util_cases(rng: np.random.Generator, s: Sizes) -> list[Case]:
    def labels(m: int, k: int) -> np.ndarray:
        values = rng.integers(0, k, size=m)
        values[rng.integers(0, m)] = k - 1  # the largest class occurs, so num_classes=None gives k
        return values.astype(np.int64)

    m = s.loader_m
    # Column 0 of X is the row number and column 0 of Y is 2 * row + 1: any batch row shows which
    # example it is, and whether its X and Y still belong together.
    X = np.column_stack([np.arange(m, dtype=float), rng.normal(0.0, 1.0, (m, 2))])
    Y = np.column_stack([2.0 * np.arange(m) + 1.0, rng.normal(0.0, 1.0, m)])
    loader_data = {"X": X, "Y": Y}

    def config(batch_size: int, shuffle: bool, drop_last: bool, passes: int, seed: int) -> dict:
        return {"batch_size": batch_size, "shuffle": shuffle, "drop_last": drop_last, "passes": passes, "seed": seed}

    size_configs = [
        config(7, True, False, 1, 1),
        config(7, True, True, 1, 2),
        config(m, False, False, 1, 3),
        config(m + 10, True, False, 1, 4),
        config(m + 10, False, True, 1, 5),
        config(1, False, False, 1, 6),
    ]
    counts = {f"{size}/labels": labels(rows, s.k) for size, rows in (("small", 8), ("large", 64))}
    return [
        Case("util.one_hot", {"num_classes": None}, {"labels": labels(s.m + 4, s.k)}),
        Case("util.one_hot_num_classes", {"num_classes": s.k + 2}, {"labels": labels(s.m, s.k)}),
        Case(
            "util.loader_covers_every_example", {"configs": [config(7, True, False, 2, 11), config(9, False, False, 1, 15)]}, loader_data,
        ),
        Case("util.loader_keeps_pairs", {"configs": [config(6, True, False, 2, 12)]}, loader_data),
        Case("util.loader_batch_sizes", {"configs": size_configs}, loader_data),
        Case("util.loader_len", {"configs": size_configs}, loader_data),
        Case(
            "util.loader_reshuffles_each_pass", {"configs": [config(8, True, False, 3, 13), config(8, False, False, 2, 14)]},
            loader_data,
        ),
        Case(
            "util.inputs_unchanged", {"config": config(4, True, False, 2, 0)},
            {"labels": labels(s.m, s.k), **loader_data},
        ),
        Case("util.vectorised", {"functions": ["one_hot"], "sizes": ["small", "large"]}, counts),
    ]


BUILDERS = {
    "activations": activation_cases,
    "layers": layer_cases,
    "loss": loss_cases,
    "optimizer": optimizer_cases,
    "model": model_cases,
    "util": util_cases,
}


def build_cases(variant: str) -> list[Case]:
    """Every case of one variant, in rubric module order; the same bytes on every run."""
    sizes = VARIANT_SIZES[variant]
    cases = []
    for module, builder in BUILDERS.items():
        rng = np.random.default_rng([sizes.seed, zlib.crc32(module.encode())])
        cases.extend(builder(rng, sizes))
    return cases
