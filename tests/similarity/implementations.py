"""Independent correct implementations of every student part, in four styles, for the similarity
check's tests (tests/reports/test_similarity.py). Written for these tests, each in its own manner, the way
different students would: none is derived from another or from solution/.

``submission(style, folder)`` fills the current starter's stubs (each ``raise
NotImplementedError("<part> is yours to implement")`` line) with that style's bodies, so the
submissions carry the starter's provided code exactly as students' do.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from autograder.kit import MODULES

ROOT = Path(__file__).resolve().parents[2]
STUB = re.compile(r'^(?P<indent>[ \t]*)raise NotImplementedError\("(?P<part>.+?) is yours to implement"\)\s*$', re.M)

# Terse: one expression per part where possible, library functions over hand-written formulas.
TERSE = {
    "Sigmoid.forward": "return np.exp(-np.logaddexp(0.0, -Z))",
    "Sigmoid.backward": "sig = np.exp(-np.logaddexp(0.0, -Z))\nreturn sig * (1 - sig) * dY",
    "TanH.forward": "return np.tanh(Z)",
    "TanH.backward": "return (1 - np.square(np.tanh(Z))) * dY",
    "ReLU.forward": "return np.where(Z > 0, Z, 0.0)",
    "ReLU.backward": "return np.where(Z > 0, dY, 0.0)",
    "SoftMax.forward": "e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))\nreturn e / np.sum(e, axis=-1, keepdims=True)",
    "SoftMax.backward": (
        "p = self.forward(Z)\n"
        "jac = np.einsum('ij,jk->ijk', p, np.eye(p.shape[1])) - np.einsum('ij,ik->ijk', p, p)\n"
        "return np.einsum('ijk,ij->ik', jac, dY)"
    ),
    "FullyConnectedLayer.forward": (
        "self.cache['X'] = X\n"
        "self.cache['Z'] = np.dot(X, self.parameters['W']) + self.parameters['b']\n"
        "return self.activation.forward(self.cache['Z'])"
    ),
    "FullyConnectedLayer.backward": (
        "delta = self.activation.backward(self.cache['Z'], dLdY)\n"
        "self.gradients['W'] = np.dot(self.cache['X'].T, delta)\n"
        "self.gradients['b'] = np.sum(delta, axis=0, keepdims=True)\n"
        "return np.dot(delta, self.parameters['W'].T)"
    ),
    "CrossEntropyLoss.forward": "return -float(np.mean(np.sum(Y * np.log(np.clip(Y_hat, 1e-15, None)), axis=1)))",
    "CrossEntropyLoss.backward": "return -Y / np.clip(Y_hat, 1e-15, None) / len(Y)",
    "MSELoss.forward": "return float(np.mean(np.sum((Y_hat - Y) ** 2, axis=1)))",
    "MSELoss.backward": "return 2 * (Y_hat - Y) / len(Y)",
    "SGD.step": (
        "for pos, lay in enumerate(layers):\n"
        "    for name in lay.parameters:\n"
        "        grad = lay.gradients[name] + self.weight_decay * lay.parameters[name]\n"
        "        vel = self.momentum * self.velocity.get((pos, name), 0.0) + grad\n"
        "        self.velocity[(pos, name)] = vel\n"
        "        lay.parameters[name] -= self.lr * vel"
    ),
    "Adam.step": (
        "self.t += 1\n"
        "c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t\n"
        "for pos, lay in enumerate(layers):\n"
        "    for name, w in lay.parameters.items():\n"
        "        g = lay.gradients[name] + self.weight_decay * w\n"
        "        self.m[pos, name] = self.beta1 * self.m.get((pos, name), 0) + (1 - self.beta1) * g\n"
        "        self.v[pos, name] = self.beta2 * self.v.get((pos, name), 0) + (1 - self.beta2) * g ** 2\n"
        "        w -= self.lr * (self.m[pos, name] / c1) / (np.sqrt(self.v[pos, name] / c2) + self.eps)"
    ),
    "NeuralNetworkModel.forward": "out = X\nfor lay in self.layers:\n    out = lay.forward(out)\nreturn out",
    "NeuralNetworkModel.backward": (
        "g = self.loss.backward(Y, Y_hat)\n"
        "for lay in self.layers[::-1]:\n"
        "    g = lay.backward(g)\n"
        "return self.loss.forward(Y, Y_hat)"
    ),
    "NeuralNetworkModel.predict": "return self.forward(X).argmax(axis=1)",
    "one_hot": "return np.eye(num_classes)[labels].astype(np.float64)",
    "DataLoader.__iter__": (
        "idx = self.rng.permutation(len(self.X)) if self.shuffle else np.arange(len(self.X))\n"
        "for k in range(len(self)):\n"
        "    sel = idx[k * self.batch_size:(k + 1) * self.batch_size]\n"
        "    yield self.X[sel], self.Y[sel]"
    ),
    "DataLoader.__len__": "full, rest = divmod(len(self.X), self.batch_size)\nreturn full + (1 if rest and not self.drop_last else 0)",
}

# Verbose: named intermediate quantities, comments, small private helpers.
VERBOSE = {
    "Sigmoid.forward": (
        "# split by sign so that exp never overflows\n"
        "result = np.empty_like(Z, dtype=np.float64)\n"
        "positive = Z >= 0\n"
        "result[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))\n"
        "exp_of_negative = np.exp(Z[~positive])\n"
        "result[~positive] = exp_of_negative / (1.0 + exp_of_negative)\n"
        "return result"
    ),
    "Sigmoid.backward": (
        "activation_value = self.forward(Z)\n"
        "local_derivative = activation_value - activation_value * activation_value\n"
        "return local_derivative * dY"
    ),
    "TanH.forward": (
        "# (e^2z - 1) / (e^2z + 1), with expm1 so that small z keep their precision\n"
        "exp_minus_one = np.expm1(np.clip(2.0 * Z, -700.0, 700.0))\n"
        "hyperbolic_tangent = exp_minus_one / (exp_minus_one + 2.0)\n"
        "return hyperbolic_tangent"
    ),
    "TanH.backward": (
        "tanh_of_z = self.forward(Z)\n"
        "derivative_of_tanh = 1.0 - tanh_of_z * tanh_of_z\n"
        "return dY * derivative_of_tanh"
    ),
    "ReLU.forward": "rectified = Z.copy()\nrectified[rectified < 0] = 0.0\nreturn rectified",
    "ReLU.backward": "gradient = dY.copy()\ngradient[Z <= 0] = 0.0\nreturn gradient",
    "SoftMax.forward": (
        "largest_logit = Z.max(axis=1)[:, None]  # subtracting it keeps exp finite\n"
        "unnormalized = np.exp(Z - largest_logit)\n"
        "normalizer = unnormalized.sum(axis=1)[:, None]\n"
        "return unnormalized / normalizer"
    ),
    "SoftMax.backward": (
        "probabilities = self.forward(Z)\n"
        "gradient = np.zeros_like(dY, dtype=np.float64)\n"
        "for row_index in range(Z.shape[0]):\n"
        "    p = probabilities[row_index]\n"
        "    jacobian = np.diag(p) - np.outer(p, p)\n"
        "    gradient[row_index] = jacobian.T @ dY[row_index]\n"
        "return gradient"
    ),
    "FullyConnectedLayer.forward": (
        "weights = self.parameters['W']\n"
        "bias = self.parameters['b']\n"
        "pre_activation = X @ weights + bias\n"
        "self.cache['X'] = X\n"
        "self.cache['Z'] = pre_activation\n"
        "output = self.activation(pre_activation)\n"
        "return output"
    ),
    "FullyConnectedLayer.backward": (
        "inputs = self.cache['X']\n"
        "pre_activation = self.cache['Z']\n"
        "grad_pre_activation = self.activation.backward(pre_activation, dLdY)\n"
        "grad_weights = inputs.T @ grad_pre_activation\n"
        "grad_bias = grad_pre_activation.sum(axis=0).reshape(1, -1)\n"
        "self.gradients['W'] = grad_weights\n"
        "self.gradients['b'] = grad_bias\n"
        "grad_inputs = grad_pre_activation @ self.parameters['W'].T\n"
        "return grad_inputs"
    ),
    "CrossEntropyLoss.forward": (
        "batch_size = Y.shape[0]\n"
        "safe_predictions = np.maximum(Y_hat, 1e-15)\n"
        "log_likelihood = np.sum(Y * np.log(safe_predictions))\n"
        "average_loss = -log_likelihood / batch_size\n"
        "return float(average_loss)"
    ),
    "CrossEntropyLoss.backward": (
        "batch_size = Y.shape[0]\n"
        "safe_predictions = np.maximum(Y_hat, 1e-15)\n"
        "return -(Y / safe_predictions) / batch_size"
    ),
    "MSELoss.forward": (
        "batch_size = Y.shape[0]\n"
        "squared_errors = (Y - Y_hat) * (Y - Y_hat)\n"
        "return float(squared_errors.sum() / batch_size)"
    ),
    "MSELoss.backward": "batch_size = Y.shape[0]\nreturn (2.0 / batch_size) * (Y_hat - Y)",
    "SGD.step": (
        "for layer_position, layer in enumerate(layers):\n"
        "    for parameter_name, parameter in layer.parameters.items():\n"
        "        state_key = (layer_position, parameter_name)\n"
        "        gradient = layer.gradients[parameter_name] + self.weight_decay * parameter\n"
        "        previous_velocity = self.velocity.get(state_key, np.zeros_like(parameter))\n"
        "        new_velocity = self.momentum * previous_velocity + gradient\n"
        "        self.velocity[state_key] = new_velocity\n"
        "        parameter[...] = parameter - self.lr * new_velocity"
    ),
    "Adam.step": (
        "self.t = self.t + 1\n"
        "for layer_position, layer in enumerate(layers):\n"
        "    for parameter_name, parameter in layer.parameters.items():\n"
        "        state_key = (layer_position, parameter_name)\n"
        "        gradient = layer.gradients[parameter_name] + self.weight_decay * parameter\n"
        "        first_moment = self.m.get(state_key, np.zeros_like(parameter))\n"
        "        second_moment = self.v.get(state_key, np.zeros_like(parameter))\n"
        "        first_moment = self.beta1 * first_moment + (1.0 - self.beta1) * gradient\n"
        "        second_moment = self.beta2 * second_moment + (1.0 - self.beta2) * gradient * gradient\n"
        "        self.m[state_key] = first_moment\n"
        "        self.v[state_key] = second_moment\n"
        "        corrected_first = first_moment / (1.0 - self.beta1 ** self.t)\n"
        "        corrected_second = second_moment / (1.0 - self.beta2 ** self.t)\n"
        "        update = self.lr * corrected_first / (np.sqrt(corrected_second) + self.eps)\n"
        "        parameter[...] = parameter - update"
    ),
    "NeuralNetworkModel.forward": (
        "activations_so_far = X\n"
        "for layer in self.layers:\n"
        "    activations_so_far = layer.forward(activations_so_far)\n"
        "return activations_so_far"
    ),
    "NeuralNetworkModel.backward": (
        "loss_value = self.loss.forward(Y, Y_hat)\n"
        "upstream_gradient = self.loss.backward(Y, Y_hat)\n"
        "for layer in reversed(self.layers):\n"
        "    upstream_gradient = layer.backward(upstream_gradient)\n"
        "return loss_value"
    ),
    "NeuralNetworkModel.predict": "scores = self.forward(X)\npredicted_classes = np.argmax(scores, axis=1)\nreturn predicted_classes",
    "one_hot": (
        "number_of_examples = labels.shape[0]\n"
        "encoded = np.zeros((number_of_examples, num_classes), dtype=np.float64)\n"
        "encoded[np.arange(number_of_examples), labels] = 1.0\n"
        "return encoded"
    ),
    "DataLoader.__iter__": (
        "number_of_examples = len(self.X)\n"
        "order = np.arange(number_of_examples)\n"
        "if self.shuffle:\n"
        "    order = self.rng.permutation(number_of_examples)\n"
        "batch_start = 0\n"
        "while batch_start < number_of_examples:\n"
        "    batch_indices = order[batch_start:batch_start + self.batch_size]\n"
        "    if self.drop_last and len(batch_indices) < self.batch_size:\n"
        "        break\n"
        "    yield self.X[batch_indices], self.Y[batch_indices]\n"
        "    batch_start += self.batch_size"
    ),
    "DataLoader.__len__": (
        "number_of_examples = len(self.X)\n"
        "if self.drop_last:\n"
        "    return number_of_examples // self.batch_size\n"
        "return (number_of_examples + self.batch_size - 1) // self.batch_size"
    ),
}

# Mathematical: formulas written out as in the handout, reusing forward values, matrix notation.
MATHEMATICAL = {
    "Sigmoid.forward": "Zc = np.clip(Z, -500, 500)\nreturn 1 / (1 + np.exp(-Zc))",
    "Sigmoid.backward": "s = 1 / (1 + np.exp(-np.clip(Z, -500, 500)))\nreturn dY * s * (1 - s)",
    "TanH.forward": "return 2 / (1 + np.exp(-2 * np.clip(Z, -350, 350))) - 1",
    "TanH.backward": "t = np.tanh(Z)\nreturn dY - dY * t ** 2",
    "ReLU.forward": "return Z * (Z > 0)",
    "ReLU.backward": "mask = (Z > 0).astype(float)\nreturn mask * dY",
    "SoftMax.forward": "Zs = Z - Z.max(1, keepdims=True)\nlogsum = np.log(np.exp(Zs).sum(1, keepdims=True))\nreturn np.exp(Zs - logsum)",
    "SoftMax.backward": (
        "S = self.forward(Z)\n"
        "inner = (S * dY).sum(axis=1, keepdims=True)  # s . dy for each row\n"
        "return S * dY - S * inner"
    ),
    "FullyConnectedLayer.forward": (
        "W, b = self.parameters['W'], self.parameters['b']\n"
        "Z = np.matmul(X, W) + b\n"
        "self.cache.update(X=X, Z=Z)\n"
        "return self.activation.forward(Z)"
    ),
    "FullyConnectedLayer.backward": (
        "W = self.parameters['W']\n"
        "dZ = self.activation.backward(self.cache['Z'], dLdY)\n"
        "self.gradients.update(W=np.matmul(self.cache['X'].T, dZ), b=np.ones((1, dZ.shape[0])) @ dZ)\n"
        "return np.matmul(dZ, W.T)"
    ),
    "CrossEntropyLoss.forward": (
        "m = len(Y)\n"
        "logs = np.log(Y_hat, out=np.full(Y_hat.shape, np.log(1e-15)), where=Y_hat > 1e-15)\n"
        "return float(-(Y * logs).sum() / m)"
    ),
    "CrossEntropyLoss.backward": "m = len(Y)\nreturn -(1 / m) * Y / np.fmax(Y_hat, 1e-15)",
    "MSELoss.forward": "m = len(Y)\nr = (Y - Y_hat).ravel()\nreturn float(r @ r / m)",
    "MSELoss.backward": "m = len(Y)\nreturn -(2 / m) * (Y - Y_hat)",
    "SGD.step": (
        "lr, mu, lam = self.lr, self.momentum, self.weight_decay\n"
        "for i, L in enumerate(layers):\n"
        "    for k in L.parameters:\n"
        "        P = L.parameters[k]\n"
        "        V = self.velocity.setdefault((i, k), np.zeros(P.shape))\n"
        "        V[...] = mu * V + (L.gradients[k] + lam * P)\n"
        "        P -= lr * V"
    ),
    "Adam.step": (
        "self.t += 1\n"
        "b1, b2, t = self.beta1, self.beta2, self.t\n"
        "alpha = self.lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)\n"
        "eps_hat = self.eps * np.sqrt(1 - b2 ** t)\n"
        "for i, L in enumerate(layers):\n"
        "    for k in L.parameters:\n"
        "        P = L.parameters[k]\n"
        "        G = L.gradients[k] + self.weight_decay * P\n"
        "        M = self.m.setdefault((i, k), np.zeros(P.shape))\n"
        "        V = self.v.setdefault((i, k), np.zeros(P.shape))\n"
        "        M[...] = b1 * M + (1 - b1) * G\n"
        "        V[...] = b2 * V + (1 - b2) * G * G\n"
        "        P -= alpha * M / (np.sqrt(V) + eps_hat)"
    ),
    "NeuralNetworkModel.forward": "A = X\nfor L in self.layers:\n    A = L.forward(A)\nreturn A",
    "NeuralNetworkModel.backward": (
        "J = self.loss(Y, Y_hat)\n"
        "delta = self.loss.backward(Y, Y_hat)\n"
        "for L in self.layers[::-1]:\n"
        "    delta = L.backward(delta)\n"
        "return J"
    ),
    "NeuralNetworkModel.predict": "return np.argmax(self.forward(X), 1)",
    "one_hot": "return (labels[:, None] == np.arange(num_classes)[None, :]).astype(np.float64)",
    "DataLoader.__iter__": (
        "m, B = len(self.X), self.batch_size\n"
        "perm = self.rng.permutation(m) if self.shuffle else np.arange(m)\n"
        "n_batches = m // B if self.drop_last else -(-m // B)\n"
        "for j in range(n_batches):\n"
        "    rows = perm[j * B:min(m, (j + 1) * B)]\n"
        "    yield self.X[rows], self.Y[rows]"
    ),
    "DataLoader.__len__": "m, B = len(self.X), self.batch_size\nreturn m // B if self.drop_last else math.ceil(m / B)",
}

# Pragmatic: built from numpy building blocks and small generators, the way someone who reads
# numpy's documentation first would write it.
PRAGMATIC = {
    "Sigmoid.forward": "return 0.5 * (1.0 + np.tanh(0.5 * Z))",
    "Sigmoid.backward": "y = 0.5 * (1.0 + np.tanh(0.5 * Z))\nreturn np.multiply(dY, np.multiply(y, 1.0 - y))",
    "TanH.forward": "return np.tanh(Z).astype(np.float64)",
    "TanH.backward": "return np.multiply(dY, 1.0 / np.cosh(np.clip(Z, -300, 300)) ** 2)",
    "ReLU.forward": "return np.clip(Z, 0, None).astype(np.float64)",
    "ReLU.backward": "return np.multiply(dY, np.greater(Z, 0))",
    "SoftMax.forward": (
        "shifted = np.subtract(Z, np.amax(Z, axis=1, keepdims=True))\n"
        "numerator = np.exp(shifted)\n"
        "return np.divide(numerator, np.add.reduce(numerator, axis=1, keepdims=True))"
    ),
    "SoftMax.backward": (
        "y = self.forward(Z)\n"
        "outer = y[:, :, np.newaxis] * y[:, np.newaxis, :]\n"
        "jacobians = np.apply_along_axis(np.diag, 1, y) - outer\n"
        "return np.matmul(np.transpose(jacobians, (0, 2, 1)), dY[:, :, np.newaxis])[:, :, 0]"
    ),
    "FullyConnectedLayer.forward": (
        "self.cache['X'] = X\n"
        "self.cache['Z'] = np.add(np.matmul(X, self.parameters['W']), self.parameters['b'])\n"
        "return self.activation(self.cache['Z'])"
    ),
    "FullyConnectedLayer.backward": (
        "dz = self.activation.backward(self.cache['Z'], dLdY)\n"
        "self.gradients['W'] = np.einsum('mi,mo->io', self.cache['X'], dz)\n"
        "self.gradients['b'] = np.add.reduce(dz, axis=0, keepdims=True)\n"
        "return np.einsum('mo,io->mi', dz, self.parameters['W'])"
    ),
    "CrossEntropyLoss.forward": (
        "terms = np.where(Y > 0, Y * np.log(np.maximum(Y_hat, 1e-15)), 0.0)\n"
        "return float(-np.einsum('ij->', terms) / Y.shape[0])"
    ),
    "CrossEntropyLoss.backward": "return np.divide(-Y, np.maximum(Y_hat, 1e-15) * Y.shape[0])",
    "MSELoss.forward": "return float(np.einsum('ij,ij->', Y - Y_hat, Y - Y_hat) / Y.shape[0])",
    "MSELoss.backward": "return np.multiply(np.subtract(Y_hat, Y), 2.0 / Y.shape[0])",
    "SGD.step": (
        "for (i, layer) in enumerate(layers):\n"
        "    for key in layer.parameters.keys():\n"
        "        param = layer.parameters[key]\n"
        "        step = np.add(layer.gradients[key], np.multiply(self.weight_decay, param))\n"
        "        if (i, key) in self.velocity:\n"
        "            step = np.add(np.multiply(self.momentum, self.velocity[(i, key)]), step)\n"
        "        self.velocity[(i, key)] = step\n"
        "        np.subtract(param, np.multiply(self.lr, step), out=param)"
    ),
    "Adam.step": (
        "self.t += 1\n"
        "for (i, layer) in enumerate(layers):\n"
        "    for key in layer.parameters.keys():\n"
        "        param = layer.parameters[key]\n"
        "        grad = np.add(layer.gradients[key], np.multiply(self.weight_decay, param))\n"
        "        if (i, key) not in self.m:\n"
        "            self.m[(i, key)] = np.zeros(param.shape)\n"
        "            self.v[(i, key)] = np.zeros(param.shape)\n"
        "        self.m[(i, key)] = np.add(np.multiply(self.beta1, self.m[(i, key)]), np.multiply(1 - self.beta1, grad))\n"
        "        self.v[(i, key)] = np.add(np.multiply(self.beta2, self.v[(i, key)]), np.multiply(1 - self.beta2, np.square(grad)))\n"
        "        mhat = np.divide(self.m[(i, key)], 1 - np.power(self.beta1, self.t))\n"
        "        vhat = np.divide(self.v[(i, key)], 1 - np.power(self.beta2, self.t))\n"
        "        np.subtract(param, self.lr * mhat / np.add(np.sqrt(vhat), self.eps), out=param)"
    ),
    "NeuralNetworkModel.forward": "import functools\nreturn functools.reduce(lambda a, layer: layer.forward(a), self.layers, X)",
    "NeuralNetworkModel.backward": (
        "import functools\n"
        "functools.reduce(lambda g, layer: layer.backward(g), reversed(self.layers), self.loss.backward(Y, Y_hat))\n"
        "return float(self.loss(Y, Y_hat))"
    ),
    "NeuralNetworkModel.predict": "probabilities = self.forward(X)\nreturn np.argmax(probabilities, axis=-1).astype(int)",
    "one_hot": "out = np.zeros((labels.size, num_classes))\nnp.put_along_axis(out, labels.reshape(-1, 1), 1.0, axis=1)\nreturn out",
    "DataLoader.__iter__": (
        "ordering = np.arange(len(self.X))\n"
        "if self.shuffle:\n"
        "    ordering = self.rng.permutation(ordering)\n"
        "chunks = np.array_split(ordering, np.arange(self.batch_size, len(ordering), self.batch_size))\n"
        "for chunk in chunks:\n"
        "    if len(chunk) == self.batch_size or (len(chunk) > 0 and not self.drop_last):\n"
        "        yield self.X[chunk], self.Y[chunk]"
    ),
    "DataLoader.__len__": "count = len(self.X) / self.batch_size\nreturn int(np.floor(count)) if self.drop_last else int(np.ceil(count))",
}

STYLES = {"terse": TERSE, "verbose": VERBOSE, "mathematical": MATHEMATICAL, "pragmatic": PRAGMATIC}


def filled(module: str, bodies: dict[str, str]) -> str:
    """The starter's ``module`` with every stub replaced by its body from ``bodies``."""
    source = (ROOT / "starter" / f"{module}.py").read_text()

    def replace(match: re.Match) -> str:
        return textwrap.indent(bodies[match["part"]], match["indent"])

    return STUB.sub(replace, source)


def submission(style: str, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for module in MODULES:
        (folder / f"{module}.py").write_text(filled(module, STYLES[style]))
    return folder
