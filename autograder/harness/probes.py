"""Probes: the calls the grader makes into a submission, one kind per behaviour under test.

A probe receives the submission's modules and a ``Probe`` holding the case's arguments and input
arrays; it calls student code and records what came back with ``probe.put``. It never judges: the
parent process compares the recorded arrays with the reference outputs and with finite
differences. Gradient probes therefore record the student's own forward at every perturbed point
(``*_plus`` / ``*_minus`` stacks), and the parent forms the differences itself.

Stand-ins (standins.py) replace the submission's other modules where a behaviour would otherwise
depend on them, so that a mistake in one module costs points only in that module.
"""

from __future__ import annotations

import sys

import numpy as np
from standins import ParameterHolder, ProbeActivation, ProbeLayer, ProbeLoss, ProbeOptimizer


class BadReturn(Exception):
    """Student code returned something that is not an array of numbers."""


class ProbeError(Exception):
    """Student code broke a contract the probe relies on (say, a missing cache entry)."""


class Probe:
    """One case: its arguments, its inputs (fresh copies on every read) and the recorded outputs."""

    def __init__(self, args: dict, inputs: dict, prefix: str, student_files: set[str]):
        self.args = args
        self._inputs = inputs
        self._prefix = prefix
        self.student_files = student_files
        self.outputs: dict[str, np.ndarray] = {}
        self.notes: dict[str, str] = {}

    def input(self, name: str) -> np.ndarray:
        return self._inputs[f"{self._prefix}in/{name}"].copy()

    def has_input(self, name: str) -> bool:
        return f"{self._prefix}in/{name}" in self._inputs

    def put(self, name: str, value) -> None:
        self.outputs[name] = plain_array(value, name)

    def attempt(self, label: str, function, *args):
        """Call ``function``; on an exception, note it under ``label`` and return None."""
        try:
            return function(*args)
        except Exception as error:  # noqa: BLE001 - the message goes back to the student
            kind = "not implemented yet" if isinstance(error, NotImplementedError) else type(error).__name__
            self.notes[label] = f"{kind}: {error}"[:500]
            return None

    def put_perturbed(self, name: str, evaluate, point: np.ndarray, eps: float) -> None:
        """Record ``evaluate`` at ``point`` +- eps along every coordinate, as ``name_plus``/``name_minus``.

        ``evaluate`` receives a perturbed copy of ``point``; the stacks have shape
        (point.size, *output shape).
        """
        plus, minus = [], []
        for index in range(point.size):
            for sign, stack in ((1.0, plus), (-1.0, minus)):
                moved = point.copy()
                moved.flat[index] += sign * eps
                stack.append(plain_array(evaluate(moved), name))
        try:
            self.outputs[f"{name}_plus"] = np.stack(plus)
            self.outputs[f"{name}_minus"] = np.stack(minus)
        except ValueError:
            raise BadReturn(f"{name}: the outputs at nearby points have different shapes") from None

    def count_lines(self, function, *args) -> int:
        """Lines of the submission's own files executed while calling ``function``.

        A loop over the examples of a batch runs more lines for a bigger batch; whole-array code
        runs the same lines for any batch size. Counting lines is exact, unlike timing.
        """
        count = 0
        files = self.student_files

        def local(frame, event, arg):
            nonlocal count
            if event == "line":
                count += 1
            return local

        def tracer(frame, event, arg):
            return local if frame.f_code.co_filename in files else None

        sys.settrace(tracer)
        try:
            function(*args)
        finally:
            sys.settrace(None)
        return count


def plain_array(value, name: str) -> np.ndarray:
    """``value`` as a plain ndarray of numbers (a copy), or BadReturn with a helpful message."""
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True, subok=False)
    elif isinstance(value, (bool, int, float, np.generic)):
        array = np.asarray(value)
    else:
        raise BadReturn(f"{name}: returned a {type(value).__name__}, expected a NumPy array or a number")
    if array.dtype.kind not in "biuf":
        raise BadReturn(f"{name}: returned an array of dtype {array.dtype}, expected numbers")
    return array


# ----------------------------------------------------------------------------------------------
# activations
# ----------------------------------------------------------------------------------------------

STUDENT_ACTIVATIONS = ("Sigmoid", "TanH", "ReLU", "SoftMax")


def activation_forward(nn, p: Probe) -> None:
    activation = getattr(nn["activations"], p.args["activation"])()
    p.put("Y", activation.forward(p.input("Z")))


def activation_backward(nn, p: Probe) -> None:
    activation = getattr(nn["activations"], p.args["activation"])()
    p.put("dZ", activation.backward(p.input("Z"), p.input("dY")))
    p.put_perturbed("Y", activation.forward, p.input("Z"), p.args["eps"])


def activation_forward_and_backward(nn, p: Probe) -> None:
    activation_forward(nn, p)
    activation_backward(nn, p)


def activation_shapes(nn, p: Probe) -> None:
    for name in STUDENT_ACTIVATIONS:
        activation = getattr(nn["activations"], name)()
        for case in p.args["cases"]:
            Z, dY = p.input(f"{case}/Z"), p.input(f"{case}/dY")
            put_result(p, f"{name}/{case}/Y", p.attempt(f"{name}.forward ({case})", activation.forward, Z))
            put_result(p, f"{name}/{case}/dZ", p.attempt(f"{name}.backward ({case})", activation.backward, Z, dY))


def activation_inputs_unchanged(nn, p: Probe) -> None:
    for name in STUDENT_ACTIVATIONS:
        activation = getattr(nn["activations"], name)()
        Z, dY = p.input("Z"), p.input("dY")
        put_result(p, f"{name}/Y", p.attempt(f"{name}.forward", activation.forward, Z))
        put_result(p, f"{name}/dZ", p.attempt(f"{name}.backward", activation.backward, Z, dY))
        p.put(f"{name}/Z", Z)
        p.put(f"{name}/dY", dY)


def put_result(p: Probe, name: str, value) -> None:
    """Record ``value`` when the call that made it succeeded (a failed call is in p.notes)."""
    if value is not None:
        p.attempt(name, p.put, name, value)


def activation_line_counts(nn, p: Probe) -> None:
    for label in p.args["functions"]:  # like "ReLU.forward"
        name, method = label.split(".")
        activation = getattr(nn["activations"], name)()
        calls = {
            size: (lambda Z=p.input(f"{size}/Z"), dY=p.input(f"{size}/dY"): activation.forward(Z) if method == "forward" else activation.backward(Z, dY))
            for size in ("small", "large")
        }
        record_line_counts(p, label, calls)


def record_line_counts(p: Probe, label: str, calls: dict) -> None:
    """Lines run by each call (see Probe.count_lines), and each call's result, for the parent."""
    counts = []
    for size, call in calls.items():
        result = {}
        counts.append(p.attempt(label, p.count_lines, lambda: result.setdefault("value", call())))
        if "value" in result:
            put_result(p, f"{label}/{size}", result["value"])
    if None not in counts:
        p.put(label, np.array(counts))


# ----------------------------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------------------------


def make_layer(nn, W, b):
    """A FullyConnectedLayer with the given parameters and the probe's own activation."""
    layer = nn["layers"].FullyConnectedLayer(W.shape[0], W.shape[1], activation="linear")
    layer.activation = ProbeActivation()
    layer.parameters["W"] = W
    layer.parameters["b"] = b
    return layer


def require(mapping, key: str, what: str):
    if not hasattr(mapping, "__contains__") or key not in mapping:
        raise ProbeError(f"{what} has no entry {key!r}")
    return mapping[key]


def layer_forward(nn, p: Probe) -> None:
    layer = make_layer(nn, p.input("W"), p.input("b"))
    p.put("Y", layer.forward(p.input("X")))
    p.put("cache_X", require(layer.cache, "X", "after forward, cache"))
    p.put("cache_Z", require(layer.cache, "Z", "after forward, cache"))


def layer_backward(nn, p: Probe) -> None:
    """dL/dX, gradients and the forward at points perturbed along X, W and b (as args['wrt'] says)."""
    X, W, b, eps = p.input("X"), p.input("W"), p.input("b"), p.args["eps"]
    layer = make_layer(nn, W.copy(), b.copy())
    p.put("Y", layer.forward(X.copy()))
    p.put("dX", layer.backward(p.input("dY")))
    for key in ("W", "b"):
        p.put(f"d{key}", require(layer.gradients, key, "after backward, gradients"))

    def forward_with(X_, W_, b_):
        layer.parameters["W"], layer.parameters["b"] = W_, b_
        return layer.forward(X_)

    perturb = {
        "X": lambda moved: forward_with(moved, W.copy(), b.copy()),
        "W": lambda moved: forward_with(X.copy(), moved, b.copy()),
        "b": lambda moved: forward_with(X.copy(), W.copy(), moved),
    }
    points = {"X": X, "W": W, "b": b}
    for wrt in p.args["wrt"]:
        p.put_perturbed(f"Y_{wrt}", perturb[wrt], points[wrt], eps)


def layer_gradients_overwritten(nn, p: Probe) -> None:
    X, W, b = p.input("X"), p.input("W"), p.input("b")
    layer = make_layer(nn, W.copy(), b.copy())
    for call, upstream in (("first", "dY_first"), ("second", "dY_second")):
        layer.forward(X.copy())
        layer.backward(p.input(upstream))
        for key in ("W", "b"):
            p.put(f"{call}/d{key}", require(layer.gradients, key, "after backward, gradients"))


def layer_inputs_unchanged(nn, p: Probe) -> None:
    X, W, b, dY = p.input("X"), p.input("W"), p.input("b"), p.input("dY")
    layer = make_layer(nn, W, b)
    p.put("Y", layer.forward(X))
    p.put("dX", layer.backward(dY))
    for key in ("W", "b"):
        p.put(f"d{key}", require(layer.gradients, key, "after backward, gradients"))
    for name, value in (("X", X), ("dY", dY), ("W", W), ("b", b)):
        p.put(name, value)


def layer_line_counts(nn, p: Probe) -> None:
    layers = {size: make_layer(nn, p.input("W"), p.input("b")) for size in ("small", "large")}
    forwards = {size: (lambda layer=layer, X=p.input(f"{size}/X"): layer.forward(X)) for size, layer in layers.items()}
    record_line_counts(p, "FullyConnectedLayer.forward", forwards)
    backwards = {size: (lambda layer=layer, dY=p.input(f"{size}/dY"): layer.backward(dY)) for size, layer in layers.items()}
    record_line_counts(p, "FullyConnectedLayer.backward", backwards)


# ----------------------------------------------------------------------------------------------
# loss
# ----------------------------------------------------------------------------------------------

STUDENT_LOSSES = ("CrossEntropyLoss", "MSELoss")


def loss_forward(nn, p: Probe) -> None:
    loss = getattr(nn["loss"], p.args["loss"])()
    p.put("L", loss.forward(p.input("Y"), p.input("Y_hat")))


def loss_backward(nn, p: Probe) -> None:
    loss = getattr(nn["loss"], p.args["loss"])()
    Y = p.input("Y")
    p.put("dY_hat", loss.backward(Y, p.input("Y_hat")))
    p.put_perturbed("L", lambda moved: loss.forward(Y.copy(), moved), p.input("Y_hat"), p.args["eps"])


def loss_forward_and_backward(nn, p: Probe) -> None:
    loss = getattr(nn["loss"], p.args["loss"])()
    p.put("L", loss.forward(p.input("Y"), p.input("Y_hat")))
    p.put("dY_hat", loss.backward(p.input("Y"), p.input("Y_hat")))


def loss_shapes(nn, p: Probe) -> None:
    for name in STUDENT_LOSSES:
        loss = getattr(nn["loss"], name)()
        for case in p.args["cases"]:
            Y, Y_hat = p.input(f"{case}/Y"), p.input(f"{case}/Y_hat")
            put_result(p, f"{name}/{case}/L", p.attempt(f"{name}.forward ({case})", loss.forward, Y, Y_hat))
            put_result(p, f"{name}/{case}/dY_hat", p.attempt(f"{name}.backward ({case})", loss.backward, Y, Y_hat))


def loss_inputs_unchanged(nn, p: Probe) -> None:
    for name in STUDENT_LOSSES:
        loss = getattr(nn["loss"], name)()
        Y, Y_hat = p.input("Y"), p.input("Y_hat")
        put_result(p, f"{name}/L", p.attempt(f"{name}.forward", loss.forward, Y, Y_hat))
        put_result(p, f"{name}/dY_hat", p.attempt(f"{name}.backward", loss.backward, Y, Y_hat))
        p.put(f"{name}/Y", Y)
        p.put(f"{name}/Y_hat", Y_hat)


def loss_line_counts(nn, p: Probe) -> None:
    for name in STUDENT_LOSSES:
        loss = getattr(nn["loss"], name)()
        for method in ("forward", "backward"):
            calls = {
                size: (lambda Y=p.input(f"{size}/Y"), Y_hat=p.input(f"{size}/Y_hat"), method=method: getattr(loss, method)(Y, Y_hat))
                for size in ("small", "large")
            }
            record_line_counts(p, f"{name}.{method}", calls)


# ----------------------------------------------------------------------------------------------
# optimizer
# ----------------------------------------------------------------------------------------------


def holders(p: Probe) -> list[ParameterHolder]:
    layers = []
    for position, keys in enumerate(p.args["layout"]):
        holder = ParameterHolder()
        for key in keys:
            holder.parameters[key] = p.input(f"layer{position}/{key}")
        layers.append(holder)
    return layers


def optimizer_steps(nn, p: Probe) -> None:
    """Run args['steps'] steps, recording every parameter after every step."""
    optimizer = getattr(nn["optimizer"], p.args["optimizer"])(**p.args["settings"])
    layers = holders(p)
    for step in range(p.args["steps"]):
        for position, layer in enumerate(layers):
            for key in layer.parameters:
                layer.gradients[key] = p.input(f"step{step}/layer{position}/{key}")
        optimizer.step(layers)
        for position, layer in enumerate(layers):
            for key, value in layer.parameters.items():
                p.put(f"step{step}/layer{position}/{key}", value)


def optimizer_in_place(nn, p: Probe) -> None:
    for name in ("SGD", "Adam"):
        optimizer = getattr(nn["optimizer"], name)(**p.args["settings"][name])
        layers = holders(p)
        originals = [dict(layer.parameters) for layer in layers]
        for position, layer in enumerate(layers):
            for key in layer.parameters:
                layer.gradients[key] = p.input(f"step0/layer{position}/{key}")
        p.attempt(f"{name}.step", optimizer.step, layers)
        if f"{name}.step" in p.notes:
            continue
        for position, layer in enumerate(layers):
            for key in layer.parameters:
                same = layer.parameters[key] is originals[position][key]
                p.put(f"{name}/layer{position}/{key}/same_object", np.array(same))
                p.put(f"{name}/layer{position}/{key}/gradient", layer.gradients[key])
                p.put(f"{name}/layer{position}/{key}/value", layer.parameters[key])


# ----------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------


def probe_model(nn, p: Probe):
    log = []
    layers = [
        ProbeLayer(p.input(f"layer{i}/A"), p.input(f"layer{i}/B"), i, log) for i in range(p.args["layers"])
    ]
    model = nn["model"].NeuralNetworkModel(layers, loss=ProbeLoss(), optimizer=ProbeOptimizer())
    return model, layers, log


def model_forward(nn, p: Probe) -> None:
    model, layers, _ = probe_model(nn, p)
    p.put("Y_hat", model.forward(p.input("X")))
    for layer in layers:
        if len(layer.forward_inputs) != 1:
            raise ProbeError(f"forward called layer {layer.position}'s forward {len(layer.forward_inputs)} times")
        p.put(f"layer{layer.position}/X", layer.forward_inputs[0])


def model_backward(nn, p: Probe) -> None:
    model, layers, log = probe_model(nn, p)
    p.put("L", model.backward(p.input("Y"), p.input("Y_hat")))
    order = [position for event, position in log if event == "backward"]
    p.put("backward_order", np.array(order, dtype=np.int64))
    for layer in layers:
        if len(layer.backward_inputs) == 1:
            p.put(f"layer{layer.position}/dY", layer.backward_inputs[0])


def model_predict(nn, p: Probe) -> None:
    model, _, _ = probe_model(nn, p)
    p.put("labels", model.predict(p.input("X")))


def model_batch_of_one(nn, p: Probe) -> None:
    model, _, _ = probe_model(nn, p)
    X = p.input("X")
    p.put("Y_hat", model.forward(X))
    p.put("labels", model.predict(X))
    p.put("L", model.backward(p.input("Y"), p.input("Y_hat")))


def model_inputs_unchanged(nn, p: Probe) -> None:
    model, _, _ = probe_model(nn, p)
    X, Y, Y_hat = p.input("X"), p.input("Y"), p.input("Y_hat")
    put_result(p, "result/Y_hat", p.attempt("NeuralNetworkModel.forward", model.forward, X))
    put_result(p, "result/labels", p.attempt("NeuralNetworkModel.predict", model.predict, X))
    put_result(p, "result/L", p.attempt("NeuralNetworkModel.backward", model.backward, Y, Y_hat))
    for name, value in (("X", X), ("Y", Y), ("Y_hat", Y_hat)):
        p.put(name, value)


# ----------------------------------------------------------------------------------------------
# util
# ----------------------------------------------------------------------------------------------


def one_hot(nn, p: Probe) -> None:
    p.put("Y", nn["util"].one_hot(p.input("labels"), p.args.get("num_classes")))


def data_loader_passes(nn, p: Probe) -> None:
    """For each configuration: len(loader) and, per pass, the batches concatenated and their sizes."""
    X, Y = p.input("X"), p.input("Y")
    for number, config in enumerate(p.args["configs"]):
        loader = nn["util"].DataLoader(
            X, Y, batch_size=config["batch_size"], shuffle=config["shuffle"],
            rng=np.random.default_rng(config["seed"]), drop_last=config["drop_last"],
        )
        p.put(f"config{number}/len", len(loader))
        for epoch in range(config["passes"]):
            batches = []
            for batch in loader:
                if len(batches) > len(X):
                    raise ProbeError("the loader yielded more batches than there are examples: does __iter__ stop?")
                if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
                    raise ProbeError(f"the loader yielded a {type(batch).__name__}, expected an (X_batch, Y_batch) pair")
                batches.append((plain_array(batch[0], "X_batch"), plain_array(batch[1], "Y_batch")))
            prefix = f"config{number}/pass{epoch}"
            p.put(f"{prefix}/sizes", np.array([len(xb) for xb, _ in batches], dtype=np.int64))
            p.put(f"{prefix}/X", np.concatenate([xb for xb, _ in batches]) if batches else X[:0])
            p.put(f"{prefix}/Y", np.concatenate([yb for _, yb in batches]) if batches else Y[:0])


def util_inputs_unchanged(nn, p: Probe) -> None:
    labels, X, Y = p.input("labels"), p.input("X"), p.input("Y")
    put_result(p, "result/one_hot", p.attempt("one_hot", nn["util"].one_hot, labels))
    loader = p.attempt("DataLoader", nn["util"].DataLoader, X, Y, 4, True, np.random.default_rng(0))
    if loader is not None:
        for _ in range(2):
            p.attempt("DataLoader.__iter__", lambda: [batch for batch in loader])
    for name, value in (("labels", labels), ("X", X), ("Y", Y)):
        p.put(name, value)


def util_line_counts(nn, p: Probe) -> None:
    calls = {size: (lambda labels=p.input(f"{size}/labels"): nn["util"].one_hot(labels)) for size in ("small", "large")}
    record_line_counts(p, "one_hot", calls)


PROBES = {
    function.__name__: function
    for function in (
        activation_forward, activation_backward, activation_forward_and_backward, activation_shapes,
        activation_inputs_unchanged, activation_line_counts,
        layer_forward, layer_backward, layer_gradients_overwritten,
        layer_inputs_unchanged, layer_line_counts,
        loss_forward, loss_backward, loss_forward_and_backward, loss_shapes, loss_inputs_unchanged,
        loss_line_counts,
        optimizer_steps, optimizer_in_place,
        model_forward, model_backward, model_predict, model_batch_of_one, model_inputs_unchanged,
        one_hot, data_loader_passes, util_inputs_unchanged, util_line_counts,
    )
}
