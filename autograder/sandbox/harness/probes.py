"""Probes: the calls the grader makes into a submission, one kind per behaviour under test.

A probe receives the submission's modules and a ``Probe`` holding the case's arguments and input
arrays; it calls student code and records what came back with ``probe.put``. It never judges: the
parent process compares the recorded arrays with the reference outputs.

Each probe calls only the student function its test is about (a property test calls each function
it covers separately, with ``probe.attempt``). Everything else that function might lean on is a
stand-in (standins.py): a correct forward for a backward, the reference cache for a layer's
backward, stand-in layers and loss for the model, parameter holders for an optimizer. What a
function set before it raised is still recorded (a layer's gradients, say), and every call is
announced to the grader first, so that a call which hangs is blamed on the right function and not
made again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

try:  # in the grader, which checks that every declared probe exists (checks/registry.py)
    from .standins import (
        ParameterHolder,
        ProbeActivation,
        ProbeLayer,
        ProbeLoss,
        ProbeOptimizer,
        with_correct_forward,
        with_correct_len,
        with_given_forward,
    )
except ImportError:  # in the sandbox, where run.py imports the harness's files by name
    from standins import (  # type: ignore[no-redef]
        ParameterHolder,
        ProbeActivation,
        ProbeLayer,
        ProbeLoss,
        ProbeOptimizer,
        with_correct_forward,
        with_correct_len,
        with_given_forward,
    )


NOTE_CHARACTERS = 1500


class BadReturn(Exception):
    """Student code returned something that is not an array of numbers."""


class Hung(Exception):
    """The function hung in an earlier test, so it is not called again."""


class Probe:
    """One case: its arguments, its inputs (fresh copies on every read) and the recorded outputs."""

    def __init__(self, args: dict, inputs: dict, prefix: str, hung=frozenset(), announce=None, describe=None):
        self.args = args
        self._inputs = inputs
        self._prefix = prefix
        self.hung = hung
        self.announce = announce or (lambda label: None)
        self.describe = describe or (lambda error: ("error", f"{type(error).__name__}: {error}"))
        self.outputs: dict[str, np.ndarray] = {}
        self.notes: dict[str, list[str]] = {}  # name -> [status, message]: why it has no result
        self.last_call: str | None = None  # the student function called last (for messages)

    def input(self, name: str) -> np.ndarray:
        return self._inputs[f"{self._prefix}in/{name}"].copy()

    def has_input(self, name: str) -> bool:
        return f"{self._prefix}in/{name}" in self._inputs

    def put(self, name: str, value) -> None:
        self.outputs[name] = plain_array(value, name)

    def call(self, label: str, function, *args):
        """Call student code, announcing ``label`` (like "Sigmoid.backward") first."""
        if label in self.hung:
            raise Hung(f"{label} hung in an earlier test (it ran past the time limit there), so it was not called again")
        self.announce(label)
        self.last_call = label
        return function(*args)

    def attempt(self, label: str, function, *args):
        """``call``; on an exception, note it under ``label`` and return None (for tests that
        call several functions, each scored on its own)."""
        try:
            return self.call(label, function, *args)
        except BaseException as error:  # noqa: BLE001 - even SystemExit: the message goes back to the student
            self.note(label, error)
            return None

    def note(self, label: str, error: BaseException) -> None:
        status, message = ("hung", str(error)) if isinstance(error, Hung) else self.describe(error)
        self.notes[label] = [status, message[:NOTE_CHARACTERS]]

    def keep(self, name: str, value) -> None:
        """Record ``value`` if it is an array of numbers; otherwise note why not under ``name``."""
        try:
            self.put(name, value)
        except BadReturn as error:
            self.notes[name] = ["bad_return", str(error)]


def plain_array(value, name: str) -> np.ndarray:
    """``value`` as a plain ndarray of numbers (a copy), or BadReturn with a helpful message."""
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True, subok=False)
    elif isinstance(value, (bool, int, float, np.generic)):
        array = np.asarray(value)
    else:
        kind = "None (did you forget to return the result?)" if value is None else f"a {type(value).__name__}"
        raise BadReturn(f"{name}: returned {kind}, expected a NumPy array or a number")
    if array.dtype.kind not in "biuf":
        raise BadReturn(f"{name}: returned an array of dtype {array.dtype}, expected numbers")
    return array


# ----------------------------------------------------------------------------------------------
# activations
# ----------------------------------------------------------------------------------------------

STUDENT_ACTIVATIONS = ("Sigmoid", "TanH", "ReLU", "SoftMax")


def activation(nn, name: str, method: str):
    """An instance of the student's activation; for a backward, with a correct forward."""
    cls = getattr(nn["activations"], name)
    return (with_correct_forward(cls, name) if method == "backward" else cls)()


def activation_forward(nn, p: Probe) -> None:
    name = p.args["activation"]
    p.put("Y", p.call(f"{name}.forward", activation(nn, name, "forward").forward, p.input("Z")))


def activation_backward(nn, p: Probe) -> None:
    name = p.args["activation"]
    p.put("dZ", p.call(f"{name}.backward", activation(nn, name, "backward").backward, p.input("Z"), p.input("dY")))


ACTIVATION_ARGUMENTS = {"forward": ("Z",), "backward": ("Z", "dY")}
LOSS_ARGUMENTS = {"forward": ("Y", "Y_hat"), "backward": ("Y", "Y_hat")}


def each_function(p: Probe, make, arguments: dict, record_inputs: bool = False) -> None:
    """Every function the case lists ("ReLU.forward"), on each of its input sets, each called on
    its own instance (``make(class name, method)``) and recorded on its own."""
    for label in p.args["functions"]:
        name, method = label.split(".")
        for size in p.args.get("sizes", [""]):
            prefix = f"{size}/" if size else ""
            values = [p.input(f"{prefix}{argument}") for argument in arguments[method]]
            p.keep(f"{label}/{prefix}result", p.attempt(label, getattr(make(name, method), method), *values))
            if record_inputs:
                for argument, value in zip(arguments[method], values):
                    p.keep(f"{label}/{prefix}{argument}", value)


def activation_each(nn, p: Probe, record_inputs: bool = False) -> None:
    each_function(p, lambda name, method: activation(nn, name, method), ACTIVATION_ARGUMENTS, record_inputs)


def activation_shapes(nn, p: Probe) -> None:
    activation_each(nn, p)


def activation_inputs_unchanged(nn, p: Probe) -> None:
    activation_each(nn, p, record_inputs=True)


def activation_vectorised(nn, p: Probe) -> None:
    activation_each(nn, p)


# ----------------------------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------------------------


def make_layer(nn, W, b, correct_forward: bool = False):
    """The student's FullyConnectedLayer with the given parameters and the probe's own activation
    (and, for a backward, a correct forward in place of the student's)."""
    cls = nn["layers"].FullyConnectedLayer
    if correct_forward:
        cls = with_given_forward(cls, ProbeActivation())
    layer = cls(W.shape[0], W.shape[1], activation="linear")
    layer.activation = ProbeActivation()
    layer.parameters["W"] = W
    layer.parameters["b"] = b
    return layer


def layer_forward(nn, p: Probe) -> None:
    layer = make_layer(nn, p.input("W"), p.input("b"))
    try:
        p.put("Y", p.call("FullyConnectedLayer.forward", layer.forward, p.input("X")))
    finally:
        record_cache(p, layer)


def record_cache(p: Probe, layer, prefix: str = "") -> None:
    cache: Any = getattr(layer, "cache", None)  # whatever the student's layer holds
    for key in ("X", "Z"):
        if hasattr(cache, "__contains__") and key in cache:
            p.keep(f"{prefix}cache_{key}", cache[key])
        else:
            p.notes[f"{prefix}cache_{key}"] = ["missing", f"after forward, cache has no entry {key!r}"]


def backward_with_reference_cache(p: Probe, layer, X, Z, dY, prefix: str = ""):
    """The layer's backward on the reference cache; its gradients are recorded even if it raises.

    If the backward needs more from the cache than the contract's "X" and "Z" (something the
    student's own forward stores), the student's forward runs first and the reference X and Z are
    put over what it stored, so the backward still gets the right ones."""
    layer.cache = OrderedDict(X=X, Z=Z)
    before = gradients_now(layer)
    try:
        try:
            return p.call("FullyConnectedLayer.backward", layer.backward, dY)
        except KeyError:
            layer.cache = OrderedDict()
            student_class: Any = type(layer).__mro__[1]  # the student's, under the stand-in
            own_forward = student_class.forward
            p.call("FullyConnectedLayer.forward", own_forward, layer, X.copy())
            layer.cache["X"], layer.cache["Z"] = X, Z
            p.put(f"{prefix}used_own_forward", True)
            return p.call("FullyConnectedLayer.backward", layer.backward, dY)
    finally:
        after = gradients_now(layer)
        for key, (value, _) in after.items():
            if key not in before or value is not before[key][0] or not same_values(value, before[key][1]):
                p.keep(f"{prefix}d{key}", value)  # set by this backward (also if it raised afterwards)


def gradients_now(layer) -> dict:
    """The layer's gradients W and b now: the object and a copy of its values."""
    gradients: Any = getattr(layer, "gradients", None)  # whatever the student's layer holds
    found = {}
    for key in ("W", "b"):
        if hasattr(gradients, "__contains__") and key in gradients:
            value = gradients[key]
            found[key] = (value, np.array(value, copy=True) if isinstance(value, np.ndarray) else None)
    return found


def same_values(value, copy) -> bool:
    return isinstance(value, np.ndarray) and copy is not None and value.shape == copy.shape and np.array_equal(value, copy)


def layer_backward(nn, p: Probe) -> None:
    W, b = p.input("W"), p.input("b")
    layer = make_layer(nn, W, b, correct_forward=True)
    dX = backward_with_reference_cache(p, layer, p.input("X"), p.input("Z"), p.input("dY"))
    p.put("dX", dX)


def layer_gradients_overwritten(nn, p: Probe) -> None:
    """backward twice on one layer; what each call set is recorded even if it raised afterwards."""
    layer = make_layer(nn, p.input("W"), p.input("b"), correct_forward=True)
    X, Z = p.input("X"), p.input("Z")
    for call in ("first", "second"):
        try:
            p.keep(f"{call}/dX", backward_with_reference_cache(p, layer, X, Z, p.input(f"dY_{call}"), prefix=f"{call}/"))
        except BaseException as error:  # noqa: BLE001 - the gradients set before it still count
            p.note("FullyConnectedLayer.backward", error)


def layer_each(nn, p: Probe, record_inputs: bool = False) -> None:
    """The forward and the backward, each on its own layer and inputs, each recorded on its own."""
    for size in p.args.get("sizes", [""]):
        prefix = f"{size}/" if size else ""
        X, W, b = p.input(f"{prefix}X"), p.input(f"{prefix}W"), p.input(f"{prefix}b")
        layer = make_layer(nn, W, b)
        p.keep(f"forward/{prefix}Y", p.attempt("FullyConnectedLayer.forward", layer.forward, X))
        if record_inputs:
            for name, value in (("X", X), ("W", W), ("b", b)):
                p.keep(f"forward/{prefix}{name}", value)
        X, W, b, Z, dY = (p.input(f"{prefix}{name}") for name in ("X", "W", "b", "Z", "dY"))
        layer = make_layer(nn, W, b, correct_forward=True)
        try:
            dX = backward_with_reference_cache(p, layer, X, Z, dY, prefix=f"backward/{prefix}")
            p.keep(f"backward/{prefix}dX", dX)
        except BaseException as error:  # noqa: BLE001
            p.note("FullyConnectedLayer.backward", error)
        if record_inputs:
            cache = layer.cache if hasattr(layer.cache, "get") else {}
            for name, value in (("X", cache.get("X", X)), ("Z", cache.get("Z", Z)), ("dY", dY), ("W", W), ("b", b)):
                p.keep(f"backward/{prefix}{name}", value)


def layer_batch_of_one(nn, p: Probe) -> None:
    layer_each(nn, p)


def layer_inputs_unchanged(nn, p: Probe) -> None:
    layer_each(nn, p, record_inputs=True)


def layer_vectorised(nn, p: Probe) -> None:
    layer_each(nn, p)


# ----------------------------------------------------------------------------------------------
# loss
# ----------------------------------------------------------------------------------------------

STUDENT_LOSSES = ("CrossEntropyLoss", "MSELoss")


def loss_instance(nn, name: str, method: str):
    cls = getattr(nn["loss"], name)
    return (with_correct_forward(cls, name) if method == "backward" else cls)()


def loss_forward(nn, p: Probe) -> None:
    name = p.args["loss"]
    p.put("L", p.call(f"{name}.forward", loss_instance(nn, name, "forward").forward, p.input("Y"), p.input("Y_hat")))


def loss_backward(nn, p: Probe) -> None:
    name = p.args["loss"]
    p.put("dY_hat", p.call(f"{name}.backward", loss_instance(nn, name, "backward").backward, p.input("Y"), p.input("Y_hat")))


def loss_each(nn, p: Probe, record_inputs: bool = False) -> None:
    each_function(p, lambda name, method: loss_instance(nn, name, method), LOSS_ARGUMENTS, record_inputs)


def loss_shapes(nn, p: Probe) -> None:
    loss_each(nn, p)


def loss_inputs_unchanged(nn, p: Probe) -> None:
    loss_each(nn, p, record_inputs=True)


def loss_vectorised(nn, p: Probe) -> None:
    loss_each(nn, p)


# ----------------------------------------------------------------------------------------------
# optimizer
# ----------------------------------------------------------------------------------------------


def holders(p: Probe, prefix: str = "") -> list[ParameterHolder]:
    layers = []
    for position, keys in enumerate(p.args["layout"]):
        holder = ParameterHolder()
        for key in keys:
            holder.parameters[key] = p.input(f"{prefix}layer{position}/{key}")
        layers.append(holder)
    return layers


def run_steps(nn, p: Probe, optimizer_name: str, settings: dict, steps: int, prefix: str = "", attempt: bool = False) -> None:
    """Run ``steps`` steps, recording every parameter after every step (as far as they got)."""
    label = f"{optimizer_name}.step"
    optimizer = getattr(nn["optimizer"], optimizer_name)(**settings)
    layers = holders(p, prefix)
    for step in range(steps):
        for position, layer in enumerate(layers):
            for key in layer.parameters:
                layer.gradients[key] = p.input(f"{prefix}step{step}/layer{position}/{key}")
        if attempt:
            p.attempt(label, optimizer.step, layers)
            if label in p.notes:
                return
        else:
            p.call(label, optimizer.step, layers)
        for position, layer in enumerate(layers):
            for key, value in layer.parameters.items():
                p.keep(f"{prefix}step{step}/layer{position}/{key}", value)


def optimizer_steps(nn, p: Probe) -> None:
    run_steps(nn, p, p.args["optimizer"], p.args["settings"], p.args["steps"])


def optimizer_state(nn, p: Probe) -> None:
    """Each optimizer of the case on layers whose parameters all share one shape."""
    for name, settings in p.args["settings"].items():
        run_steps(nn, p, name, settings, p.args["steps"], prefix=f"{name}/", attempt=True)


def optimizer_in_place(nn, p: Probe) -> None:
    for name, settings in p.args["settings"].items():
        label = f"{name}.step"
        optimizer = getattr(nn["optimizer"], name)(**settings)
        layers = holders(p, f"{name}/")
        originals = [dict(layer.parameters) for layer in layers]
        for position, layer in enumerate(layers):
            for key in layer.parameters:
                layer.gradients[key] = p.input(f"{name}/step0/layer{position}/{key}")
        p.attempt(label, optimizer.step, layers)
        if label in p.notes:
            continue
        for position, layer in enumerate(layers):
            for key in layer.parameters:
                prefix = f"{name}/layer{position}/{key}"
                p.put(f"{prefix}/same_object", np.array(layer.parameters[key] is originals[position][key]))
                p.keep(f"{prefix}/original", originals[position][key])
                p.keep(f"{prefix}/gradient", layer.gradients[key])
                p.keep(f"{prefix}/value", layer.parameters[key])


# ----------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------


def probe_model(nn, p: Probe, prefix: str = ""):
    log: list[tuple[str, int]] = []
    layers = [
        ProbeLayer(p.input(f"{prefix}layer{i}/A"), p.input(f"{prefix}layer{i}/B"), i, log) for i in range(p.args["layers"])
    ]
    model = nn["model"].NeuralNetworkModel(layers, loss=ProbeLoss(), optimizer=ProbeOptimizer())
    return model, layers, log


def model_forward(nn, p: Probe) -> None:
    model, layers, _ = probe_model(nn, p)
    try:
        p.put("Y_hat", p.call("NeuralNetworkModel.forward", model.forward, p.input("X")))
    finally:
        record_forward_inputs(p, layers)


def record_forward_inputs(p: Probe, layers, prefix: str = "") -> None:
    for layer in layers:
        p.put(f"{prefix}layer{layer.position}/forward_calls", np.array(len(layer.forward_inputs)))
        if len(layer.forward_inputs) == 1:
            p.keep(f"{prefix}layer{layer.position}/X", layer.forward_inputs[0])


def model_backward(nn, p: Probe) -> None:
    model, layers, log = probe_model(nn, p)
    try:
        p.put("L", p.call("NeuralNetworkModel.backward", model.backward, p.input("Y"), p.input("Y_hat")))
    finally:
        record_backward_inputs(p, layers, log)


def record_backward_inputs(p: Probe, layers, log, prefix: str = "") -> None:
    order = [position for event, position in log if event == "backward"]
    p.put(f"{prefix}backward_order", np.array(order, dtype=np.int64))
    for layer in layers:
        if len(layer.backward_inputs) == 1:
            p.keep(f"{prefix}layer{layer.position}/dY", layer.backward_inputs[0])


def model_with_given_forward(nn, p: Probe, prefix: str = ""):
    """A model whose forward returns the case's given network output, so that predict is judged
    on its own (an argmax over the outputs it is given)."""
    model, layers, log = probe_model(nn, p, prefix)
    given = p.input(f"{prefix}outputs")
    model.forward = lambda X: given.copy()
    return model


def model_predict(nn, p: Probe) -> None:
    model = model_with_given_forward(nn, p)
    p.put("labels", p.call("NeuralNetworkModel.predict", model.predict, p.input("X")))


def model_each(nn, p: Probe, record_inputs: bool = False) -> None:
    """forward, predict and backward, each on a model of its own, each recorded on its own."""
    model, layers, _ = probe_model(nn, p)
    X = p.input("X")
    p.keep("forward/Y_hat", p.attempt("NeuralNetworkModel.forward", model.forward, X))
    record_forward_inputs(p, layers, "forward/")
    if record_inputs:
        p.keep("forward/X", X)
    model, X = model_with_given_forward(nn, p), p.input("X")
    p.keep("predict/labels", p.attempt("NeuralNetworkModel.predict", model.predict, X))
    if record_inputs:
        p.keep("predict/X", X)
    model, layers, log = probe_model(nn, p)
    Y, Y_hat = p.input("Y"), p.input("Y_hat")
    p.keep("backward/L", p.attempt("NeuralNetworkModel.backward", model.backward, Y, Y_hat))
    record_backward_inputs(p, layers, log, "backward/")
    if record_inputs:
        p.keep("backward/Y", Y)
        p.keep("backward/Y_hat", Y_hat)


def model_batch_of_one(nn, p: Probe) -> None:
    model_each(nn, p)


def model_inputs_unchanged(nn, p: Probe) -> None:
    model_each(nn, p, record_inputs=True)


# ----------------------------------------------------------------------------------------------
# util
# ----------------------------------------------------------------------------------------------


def one_hot(nn, p: Probe) -> None:
    p.put("Y", p.call("one_hot", nn["util"].one_hot, p.input("labels"), p.args.get("num_classes")))


def make_loader(nn, p: Probe, config: dict, X, Y, correct_len: bool = True):
    cls = nn["util"].DataLoader
    if correct_len:
        cls = with_correct_len(cls)
    return p.call(
        "DataLoader.__init__", cls, X, Y, config["batch_size"], config["shuffle"], np.random.default_rng(config["seed"]), config["drop_last"]
    )


def iterate(p: Probe, loader, limit: int) -> list:
    """One pass over ``loader`` as a list of (X_batch, Y_batch); stops a loader that never does."""
    batches: list[tuple[np.ndarray, np.ndarray]] = []
    for batch in p.call("DataLoader.__iter__", iter, loader):
        if len(batches) > limit:
            raise LoaderError("the loader yielded more batches than there are examples: does __iter__ stop?")
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise LoaderError(f"the loader yielded a {type(batch).__name__}, expected an (X_batch, Y_batch) pair")
        batches.append((plain_array(batch[0], "X_batch"), plain_array(batch[1], "Y_batch")))
    return batches


class LoaderError(Exception):
    """The loader broke the iteration protocol the assignment asks for."""


def data_loader_passes(nn, p: Probe) -> None:
    """For each configuration and pass: the batches' sizes and rows, concatenated. ``len`` is never
    called here (a stand-in answers it if ``__iter__`` asks)."""
    X, Y = p.input("X"), p.input("Y")
    for number, config in enumerate(p.args["configs"]):
        loader = make_loader(nn, p, config, X, Y)
        for epoch in range(config["passes"]):
            prefix = f"config{number}/pass{epoch}"
            batches = iterate(p, loader, len(X))
            p.put(f"{prefix}/sizes", np.array([len(xb) for xb, _ in batches], dtype=np.int64))
            try:
                p.put(f"{prefix}/X", np.concatenate([xb for xb, _ in batches]) if batches else X[:0])
                p.put(f"{prefix}/Y", np.concatenate([yb for _, yb in batches]) if batches else Y[:0])
            except ValueError:
                raise LoaderError("the batches have rows of different lengths") from None


def data_loader_len(nn, p: Probe) -> None:
    """len(loader) for each configuration; the loader is never iterated here."""
    X, Y = p.input("X"), p.input("Y")
    for number, config in enumerate(p.args["configs"]):
        loader = make_loader(nn, p, config, X, Y, correct_len=False)
        length = p.call("DataLoader.__len__", type(loader).__len__, loader)
        p.put(f"config{number}/len", length)


def util_inputs_unchanged(nn, p: Probe) -> None:
    labels = p.input("labels")
    p.keep("one_hot/Y", p.attempt("one_hot", nn["util"].one_hot, labels))
    p.keep("one_hot/labels", labels)
    X, Y = p.input("X"), p.input("Y")
    config = p.args["config"]
    try:
        loader = make_loader(nn, p, config, X, Y)
        for epoch in range(config["passes"]):
            batches = iterate(p, loader, len(X))
            p.put(f"loader/pass{epoch}/X", np.concatenate([xb for xb, _ in batches]) if batches else X[:0])
            p.put(f"loader/pass{epoch}/Y", np.concatenate([yb for _, yb in batches]) if batches else Y[:0])
    except BaseException as error:  # noqa: BLE001
        p.note("DataLoader.__iter__", error)
    p.keep("loader/X", X)
    p.keep("loader/Y", Y)


def util_vectorised(nn, p: Probe) -> None:
    for size in p.args["sizes"]:
        p.keep(f"one_hot/{size}/result", p.attempt("one_hot", nn["util"].one_hot, p.input(f"{size}/labels")))


PROBES = {
    function.__name__: function
    for function in (
        activation_forward, activation_backward, activation_shapes, activation_inputs_unchanged, activation_vectorised,
        layer_forward, layer_backward, layer_gradients_overwritten, layer_batch_of_one, layer_inputs_unchanged, layer_vectorised,
        loss_forward, loss_backward, loss_shapes, loss_inputs_unchanged, loss_vectorised,
        optimizer_steps, optimizer_state, optimizer_in_place,
        model_forward, model_backward, model_predict, model_batch_of_one, model_inputs_unchanged,
        one_hot, data_loader_passes, data_loader_len, util_inputs_unchanged, util_vectorised,
    )
}
