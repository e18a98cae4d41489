"""Checks of optimizer.py: SGD and Adam steps, on stand-in layers holding only parameters and
gradients (so these checks do not depend on the submission's layers.py). Each test sets only the
options it is about: no momentum or weight decay where the test is not about them."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import by_function, matches_reference, results_right
from autograder.compare import CheckFailed


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


def steps_match(case, optimizer: str, settings: dict, steps: int, prefix: str = "", advice: str | None = None) -> None:
    """After every step, every parameter equals the reference's."""
    call = describe(case, optimizer, settings, steps)
    for step in range(steps):
        for position, keys in enumerate(case.args["layout"]):
            for key in keys:
                name = f"{prefix}step{step}/layer{position}/{key}"
                matches_reference(
                    case, name, f"{call}, after step {step + 1}", what=f"layer {position}'s {key!r}", advice=advice, function=f"{optimizer}.step",
                )


def run(case, advice: str) -> None:
    steps_match(case, case.args["optimizer"], case.args["settings"], case.args["steps"], advice=advice)


def test_sgd_step(case):
    run(case, "p -= lr * grad, for every layer and every key, updating the array in place")


def test_sgd_momentum(case):
    run(case, "keep one velocity per (layer position, key), starting at 0: v = momentum * v + g; p -= lr * v")


def test_sgd_weight_decay(case):
    run(case, "add weight_decay * p to the gradient (g = grad + weight_decay * p), without changing the gradient array")


def test_adam_first_step(case):
    run(case, "t counts steps from 1; divide m by (1 - beta1**t) and v by (1 - beta2**t); eps goes outside the square root")


def test_adam_several_steps(case):
    run(case, "t goes up once per call of step, not once per parameter; m and v are kept per (layer position, key)")


def test_adam_weight_decay(case):
    run(case, "add weight_decay * p to the gradient (g = grad + weight_decay * p) before updating m and v")


def test_state_per_layer_and_parameter(case):
    advice = (
        "every parameter has the same shape here, so state shared between layers or keys gives wrong numbers "
        "instead of an error: key the state by (layer position, key)"
    )
    by_function(case, list(case.args["settings"]), lambda name: steps_match(
        case, name, case.args["settings"][name], case.args["steps"], prefix=f"{name}/", advice=advice,
    ))


def test_in_place_gradients_unchanged(case):
    def check(name: str) -> None:
        function = f"{name}.step"
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

    by_function(case, list(case.args["settings"]), check)
