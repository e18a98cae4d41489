"""The network: a list of layers, a loss and an optimizer, with a training loop.

Students implement ``forward``, ``backward`` and ``predict``; ``train_step``, ``fit`` and
``evaluate`` are provided and build on them.
"""

from __future__ import annotations

import sys
import time
from typing import Iterable, Sequence

import numpy as np

from .loss import Loss, initialize_loss
from .optimizer import SGD, Optimizer


class NeuralNetworkModel:
    """A feed-forward network: the output of each layer is the input of the next.

    Parameters
    ----------
    layers: the layers in order, e.g. ``[FullyConnectedLayer(4, 16, "relu"),
        FullyConnectedLayer(16, 3, "softmax")]``.
    loss: a Loss, or its name ("cross_entropy" or "mse").
    optimizer: an Optimizer; ``SGD()`` when None.
    """

    def __init__(
        self,
        layers: Sequence,
        loss: Loss | str = "cross_entropy",
        optimizer: Optimizer | None = None,
    ) -> None:
        self.layers = list(layers)
        self.loss = initialize_loss(loss) if isinstance(loss, str) else loss
        self.optimizer = optimizer if optimizer is not None else SGD()

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Run a batch through every layer in order.

        Parameters
        ----------
        X: inputs, shape (m, n_in of the first layer).

        Returns
        -------
        Y_hat: the last layer's output, shape (m, n_out of the last layer).
        """
        ### BEGIN SOLUTION
        for layer in self.layers:
            X = layer.forward(X)
        return X
        ### END SOLUTION

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        """Compute the loss and backpropagate it through every layer.

        Parameters
        ----------
        Y: targets, shape (m, k).
        Y_hat: the output of ``forward`` for the same batch, shape (m, k).

        Returns
        -------
        The loss ``self.loss(Y, Y_hat)`` as a float. As a side effect every layer's ``gradients``
        hold dL/dparameter: the loss's gradient dL/dY_hat goes into the last layer's backward, and
        each layer's returned dL/dX goes into the backward of the layer before it.
        """
        ### BEGIN SOLUTION
        loss = self.loss(Y, Y_hat)
        gradient = self.loss.backward(Y, Y_hat)
        for layer in reversed(self.layers):
            gradient = layer.backward(gradient)
        return loss
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray

        """The predicted class of each example.

        Parameters
        ----------
        X: inputs, shape (m, n_in of the first layer).

        Returns
        -------
        labels: int array of shape (m,), the index of the largest output in each row.
        """
        ### BEGIN SOLUTION
        return np.argmax(self.forward(X), axis=1)
        ### END SOLUTION

    def train_step(self, X: np.ndarray, Y: np.ndarray) -> float:
        """One update on one batch: forward, backward, optimizer step. Returns the batch loss."""
        Y_hat = self.forward(X)
        loss = self.backward(Y, Y_hat)
        self.optimizer.step(self.layers)
        return loss

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
        """Loss and accuracy on a dataset, with Y one-hot (m, k): ``{"loss": ..., "accuracy": ...}``."""
        Y_hat = self.forward(X)
        accuracy = np.mean(np.argmax(Y_hat, axis=1) == np.argmax(Y, axis=1))
        return {"loss": float(self.loss(Y, Y_hat)), "accuracy": float(accuracy)}

    def fit(
        self,
        loader: Iterable,
        epochs: int,
        val: tuple[np.ndarray, np.ndarray] | None = None,
        logger=None,
        progress: bool = True,
    ) -> dict[str, list[float]]:
        """Train for ``epochs`` passes over ``loader``.

        Parameters
        ----------
        loader: yields ``(X_batch, Y_batch)`` pairs, e.g. a ``DataLoader``.
        epochs: number of passes.
        val: optional ``(X_val, Y_val)`` evaluated after every epoch.
        logger: optional ``Logger``; receives every epoch's metrics, then the learned parameters
            and a loss plot.
        progress: show a progress bar on standard error.

        Returns
        -------
        history: ``{"loss": [...], "accuracy": [...]}`` per epoch (training loss and accuracy averaged
        over the epoch's batches, weighted by batch size), plus ``"val_loss"`` and
        ``"val_accuracy"`` when ``val`` is given.
        """
        history: dict[str, list[float]] = {"loss": [], "accuracy": []}
        if val is not None:
            history.update(val_loss=[], val_accuracy=[])
        bar = _ProgressBar(epochs) if progress else None
        for epoch in range(1, epochs + 1):
            total_loss = total_correct = seen = 0.0
            for X_batch, Y_batch in loader:
                Y_hat = self.forward(X_batch)
                batch_loss = self.backward(Y_batch, Y_hat)
                self.optimizer.step(self.layers)
                total_loss += batch_loss * len(X_batch)
                total_correct += np.sum(np.argmax(Y_hat, axis=1) == np.argmax(Y_batch, axis=1))
                seen += len(X_batch)
            metrics = {"loss": total_loss / seen, "accuracy": total_correct / seen}
            if val is not None:
                metrics.update({f"val_{key}": value for key, value in self.evaluate(*val).items()})
            for key, value in metrics.items():
                history[key].append(float(value))
            if logger is not None:
                logger.log_epoch(epoch, metrics)
            if bar is not None:
                bar.update(epoch, metrics)
        if bar is not None:
            bar.close()
        if logger is not None:
            logger.save_parameters(self)
            logger.plot_losses()
        return history


class _ProgressBar:
    """A one-line text progress bar on standard error, redrawn at most ten times a second."""

    WIDTH = 24

    def __init__(self, total: int) -> None:
        self.total = total
        self.start = time.perf_counter()
        self.last_draw = -1.0

    def update(self, done: int, metrics: dict[str, float]) -> None:
        now = time.perf_counter()
        if done < self.total and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        filled = int(self.WIDTH * done / self.total)
        shown = "  ".join(f"{key} {value:.4f}" for key, value in metrics.items())
        bar = "#" * filled + "." * (self.WIDTH - filled)
        sys.stderr.write(f"\repoch {done}/{self.total} [{bar}] {now - self.start:5.1f}s  {shown}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
