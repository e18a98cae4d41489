"""Checks of optimizer.py: SGD and Adam steps, on stand-in layers holding only parameters and
gradients (so these checks do not depend on the submission's layers.py)."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import calls_succeeded, matches_reference
from autograder.compare import CheckFailed


def describe(case) -> str:
    args = case.args
    settings = ", ".join(f"{key}={value}" for key, value in args["settings"].items())
    layout = "; ".join(
        f"layer {i}: " + ", ".join(f"{key} {case.inputs[f'layer{i}/{key}'].shape}" for key in keys)
        for i, keys in enumerate(args["layout"])
    )
    return f"{args['optimizer']}({settings}).step, {args['steps']} step(s) on [{layout}]"


def steps_match(case, advice: str | None = None) -> None:
    """After every step, every parameter equals the reference's."""
    call = describe(case)
    for step in range(case.args["steps"]):
        for position, keys in enumerate(case.args["layout"]):
            for key in keys:
                name = f"step{step}/layer{position}/{key}"
                matches_reference(case, name, f"{call}, after step {step + 1}", what=f"layer {position}'s {key!r}", advice=advice)


def test_sgd_step(case):
    steps_match(case, advice="p -= lr * (grad + weight_decay * p), for every layer and every key")


def test_sgd_momentum(case):
    steps_match(case, advice="keep one velocity per (layer position, key): v = momentum * v + g; p -= lr * v")


def test_sgd_weight_decay(case):
    steps_match(case, advice="add weight_decay * p to the gradient before updating the velocity")


def test_adam_first_step(case):
    steps_match(case, advice="t counts steps from 1; divide m by (1 - beta1**t) and v by (1 - beta2**t)")


def test_adam_several_steps(case):
    steps_match(case, advice="t goes up once per call of step, not once per parameter; m and v are kept per (layer, key)")


def test_adam_weight_decay(case):
    steps_match(case, advice="add weight_decay * p to the gradient before updating m and v")


def test_state_per_layer_and_parameter(case):
    steps_match(case, advice="every parameter has the same shape here, so state shared between layers or keys gives wrong numbers instead of an error: key the state by (layer position, key)")


def test_in_place_gradients_unchanged(case):
    calls_succeeded(case, ["SGD.step", "Adam.step"])
    for name in ("SGD", "Adam"):
        for position, keys in enumerate(case.args["layout"]):
            for key in keys:
                matches_reference(case, f"{name}/layer{position}/{key}/value", f"{name}.step", what=f"layer {position}'s {key!r} after the step")
    problems = []
    for name in ("SGD", "Adam"):
        for position, keys in enumerate(case.args["layout"]):
            for key in keys:
                prefix = f"{name}/layer{position}/{key}"
                same = case.output(f"{prefix}/same_object", f"{name}.step")
                gradient = case.output(f"{prefix}/gradient", f"{name}.step")
                if not bool(same):
                    problems.append(f"{name}.step replaced layer {position}'s parameters[{key!r}] with a new array; update it in place (p -= ...)")
                if not np.array_equal(gradient, case.inputs[f"step0/layer{position}/{key}"]):
                    problems.append(f"{name}.step changed layer {position}'s gradients[{key!r}]; read gradients, never write them")
    if problems:
        raise CheckFailed("\n".join(problems))
