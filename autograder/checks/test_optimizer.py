"""Checks of optimizer.py: SGD and Adam steps, on stand-in layers holding only parameters and
gradients (so these checks do not depend on the submission's layers.py). Each test sets only the
options it is about: no momentum or weight decay where the test is not about them."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import by_function, matches_reference, results_right
from autograder.checks.compare import CheckFailed
from autograder.checks.registry import graded


def describe(case, optimizer: str, settings: dict, steps: int) -> str:
    options = ", ".join(f"{key}={value}" for key, value in settings.items())
    layout = "; ".join(
        f"layer {i}: " + ", ".join(f"{key} {shape_of(case, i, key)}" for key in keys) for i, keys in enumerate(case.args["layout"])
    )
    return f"{optimizer}({options}).step, {steps} step(s) on [{layout}]"


def shape_of(case, position: int, key: str) -> tuple:
    for name, value in case.inputs.items():
        if name.endswith(f"layer{position}/{key}") and "step" not in name:
            return value.shape
    return ()


# Likely mistakes, as variants of the update rules SPEC gives: if a submission's parameters follow
# one of these, its message names it.
SGD_MISTAKES = {
    "the velocity is never multiplied by momentum (v = v + g): v = momentum * v + g": "no_decay",
    "momentum is ignored (v = g): v = momentum * v + g": "no_momentum",
    "the sign of momentum * v is flipped: v = momentum * v + g": "momentum_sign",
    "the velocity is shared by layers with the same key: keep one per (layer position, key)": "shared_by_layers",
    "weight decay is subtracted: g = grad + weight_decay * p": "decay_sign",
    "weight decay is missing: g = grad + weight_decay * p": "no_decay_term",
}
ADAM_MISTAKES = {
    "eps is inside the square root: p -= lr * m_hat / (sqrt(v_hat) + eps)": "eps_inside",
    "m and v are not bias-corrected: divide m by (1 - beta1**t) and v by (1 - beta2**t)": "no_correction",
    "the second moment is corrected with beta1: v_hat = v / (1 - beta2**t)": "v_with_beta1",
    "beta1 and beta2 are swapped": "swapped",
    "t goes up once per parameter instead of once per call of step": "t_per_parameter",
    "the moments are shared by layers with the same key: keep them per (layer position, key)": "shared_by_layers",
    "weight decay is missing: g = grad + weight_decay * p": "no_decay_term",
}


def simulate(case, optimizer: str, settings: dict, steps: int, prefix: str, mistake: str) -> dict[str, np.ndarray]:
    """Every parameter after every step under the update rule with ``mistake`` made."""
    lr, momentum, decay = settings.get("lr", 0.01 if optimizer == "SGD" else 1e-3), settings.get("momentum", 0.0), settings.get("weight_decay", 0.0)
    beta1, beta2, eps = settings.get("beta1", 0.9), settings.get("beta2", 0.999), settings.get("eps", 1e-8)
    if mistake == "swapped":
        beta1, beta2 = beta2, beta1
    layout = case.args["layout"]
    params = {(i, key): case.inputs[f"{prefix}layer{i}/{key}"].astype(float) for i, keys in enumerate(layout) for key in keys}
    state: dict = {}
    t, results = 0, {}
    for step in range(steps):
        if mistake != "t_per_parameter":
            t += 1
        for (i, key), p in params.items():
            grad = case.inputs[f"{prefix}step{step}/layer{i}/{key}"]
            g = grad + {"decay_sign": -decay, "no_decay_term": 0.0}.get(mistake, decay) * p
            slot = key if mistake == "shared_by_layers" else (i, key)
            if optimizer == "SGD":
                v = state.get(slot, 0.0)
                v = {"no_decay": v + g, "no_momentum": g, "momentum_sign": -momentum * v + g}.get(mistake, momentum * v + g)
                state[slot] = v
                params[(i, key)] = p - lr * v
            else:
                if mistake == "t_per_parameter":
                    t += 1
                m, v = state.get(slot, (0.0, 0.0))
                m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
                state[slot] = (m, v)
                m_hat = m if mistake == "no_correction" else m / (1 - beta1**t)
                v_hat = v if mistake == "no_correction" else v / (1 - (beta1 if mistake == "v_with_beta1" else beta2) ** t)
                scale = np.sqrt(v_hat + eps) if mistake == "eps_inside" else np.sqrt(v_hat) + eps
                params[(i, key)] = p - lr * m_hat / scale
        for (i, key), p in params.items():
            results[f"{prefix}step{step}/layer{i}/{key}"] = p.copy()
    return results


def steps_match(case, optimizer: str, settings: dict, steps: int, prefix: str = "", advice: str | None = None) -> None:
    """After every step, every parameter equals the reference's; a likely mistake is named."""
    call = describe(case, optimizer, settings, steps)
    mistakes = SGD_MISTAKES if optimizer == "SGD" else ADAM_MISTAKES
    variants = {}
    for hint, mistake in mistakes.items():
        try:
            variants[hint] = simulate(case, optimizer, settings, steps, prefix, mistake)
        except ValueError:  # a mistake this layout cannot even run (shared state, shapes that differ)
            continue
    for step in range(steps):
        for position, keys in enumerate(case.args["layout"]):
            for key in keys:
                name = f"{prefix}step{step}/layer{position}/{key}"
                suspects = {hint: results[name] for hint, results in variants.items()}
                matches_reference(
                    case, name, f"{call}, after step {step + 1}", what=f"layer {position}'s {key!r}", advice=advice,
                    function=f"{optimizer}.step", suspects=suspects,
                )


def run(case, advice: str) -> None:
    steps_match(case, case.args["optimizer"], case.args["settings"], case.args["steps"], advice=advice)


@graded("optimizer.sgd_step", probe="optimizer_steps")
def test_sgd_step(case):
    run(case, "p -= lr * grad, for every layer and every key, updating the array in place")


@graded("optimizer.sgd_momentum", probe="optimizer_steps")
def test_sgd_momentum(case):
    run(case, "keep one velocity per (layer position, key), starting at 0: v = momentum * v + g; p -= lr * v")


@graded("optimizer.sgd_weight_decay", probe="optimizer_steps")
def test_sgd_weight_decay(case):
    run(case, "add weight_decay * p to the gradient (g = grad + weight_decay * p), without changing the gradient array")


@graded("optimizer.adam_first_step", probe="optimizer_steps")
def test_adam_first_step(case):
    run(case, "t counts steps from 1; divide m by (1 - beta1**t) and v by (1 - beta2**t); eps goes outside the square root")


@graded("optimizer.adam_several_steps", probe="optimizer_steps")
def test_adam_several_steps(case):
    run(case, "t goes up once per call of step, not once per parameter; m and v are kept per (layer position, key)")


@graded("optimizer.adam_weight_decay", probe="optimizer_steps")
def test_adam_weight_decay(case):
    run(case, "add weight_decay * p to the gradient (g = grad + weight_decay * p) before updating m and v")


@graded("optimizer.state_per_layer_and_parameter", probe="optimizer_state")
def test_state_per_layer_and_parameter(case):
    advice = (
        "every parameter has the same shape here, so state shared between layers or keys would give wrong numbers "
        "instead of an error; if this optimizer's other tests pass, key its state by (layer position, key)"
    )
    parts = [f"{name}.step" for name in case.args["settings"]]
    by_function(case, parts, lambda part: steps_match(
        case, part.split(".")[0], case.args["settings"][part.split(".")[0]], case.args["steps"], prefix=f"{part.split('.')[0]}/", advice=advice,
    ))


@graded("optimizer.in_place_gradients_unchanged", probe="optimizer_in_place")
def test_in_place_gradients_unchanged(case):
    def check(function: str) -> None:
        name = function.split(".")[0]
        problems = []
        for position, keys in enumerate(case.args["layout"]):
            for key in keys:
                prefix = f"{name}/layer{position}/{key}"
                results_right(case, [f"{prefix}/value"], function, f"the {name} value tests")
                gradient = case.output(f"{prefix}/gradient", function, function)
                if not bool(case.output(f"{prefix}/same_object", function, function)):
                    problems.append(f"it replaced layer {position}'s parameters[{key!r}] with a new array; update it in place (p -= ...)")
                if not np.array_equal(gradient, case.inputs[f"{name}/step0/layer{position}/{key}"]):
                    problems.append(
                        f"it changed layer {position}'s gradients[{key!r}]; read gradients, never write them "
                        "(g = grad + weight_decay * p makes a new array; grad += ... changes the layer's)"
                    )
        if problems:
            raise CheckFailed(f"{function}: " + "; ".join(problems))

    by_function(case, [f"{name}.step" for name in case.args["settings"]], check)
