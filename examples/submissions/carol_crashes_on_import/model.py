"""The network: a list of layers, a loss and an optimizer, with a training loop.

Students implement ``forward``, ``backward`` and ``predict``; ``train_step``, ``fit`` and
``evaluate`` are provided and build on them.
"""

from __future__ import annotations

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

    def predict(self, X: np.ndarray) -> np.ndarray:
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
        loss, _ = self._step(X, Y)
        return loss

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
        """Loss and accuracy on a dataset, with Y one-hot (m, k): ``{"loss": ..., "accuracy": ...}``."""
        Y_hat = self.forward(X)
        return {"loss": float(self.loss(Y, Y_hat)), "accuracy": _correct(Y, Y_hat) / len(Y)}

    def fit(
        self,
        loader: Iterable,
        epochs: int,
        val: tuple[np.ndarray, np.ndarray] | None = None,
        logger=None,
        progress: bool = True,
        *,
        patience: int | None = None,
        restore_best: bool = False,
    ) -> dict[str, list[float]]:
        """Train for ``epochs`` passes over ``loader`` (fewer if ``patience`` stops it early).

        Parameters
        ----------
        loader: yields ``(X_batch, Y_batch)`` pairs, e.g. a ``DataLoader``.
        epochs: the largest number of passes.
        val: optional ``(X_val, Y_val)`` evaluated after every epoch.
        logger: optional ``Logger``; receives every epoch's metrics, then the learned parameters
            and a loss plot.
        progress: show a progress bar (tqdm's: a widget in a notebook, a text bar on a terminal,
            nothing in a log file or when tqdm is not installed).
        patience: with ``val``, stop once the validation loss has not improved for this many
            epochs in a row (early stopping). None: always run every epoch.
        restore_best: with ``val``, end with the parameters of the epoch whose validation loss was
            lowest (its 1-based number is ``np.argmin(history["val_loss"]) + 1``) instead of
            those of the last epoch. The history still describes every epoch that ran.

        Returns
        -------
        history: ``{"loss": [...], "accuracy": [...]}`` per epoch that ran (training loss and
        accuracy averaged over the epoch's batches, weighted by batch size, while the weights
        change during the epoch), plus ``"val_loss"`` and ``"val_accuracy"`` (of the weights at
        the end of the epoch) when ``val`` is given.
        """
        stopping = _EarlyStopping(patience, restore_best, has_validation=val is not None)
        history: dict[str, list[float]] = {"loss": [], "accuracy": []}
        if val is not None:
            history.update(val_loss=[], val_accuracy=[])
        bar = _epoch_bar(epochs, progress)
        for epoch in bar:
            metrics = self._train_epoch(loader)
            if val is not None:
                metrics.update({f"val_{key}": value for key, value in self.evaluate(*val).items()})
            for key, value in metrics.items():
                history[key].append(value)
            if logger is not None:
                logger.log_epoch(epoch, metrics)
            bar.set_postfix({key: f"{value:.4f}" for key, value in metrics.items()})
            if val is not None and stopping.should_stop(metrics["val_loss"], self.layers):
                break
        stopping.restore_best(self.layers)
        if logger is not None:
            logger.save_parameters(self)
            logger.plot_losses()
        return history

    def _step(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, int]:
        """One update on one batch: forward, backward, optimizer step. Returns the batch loss and
        how many of its rows the network predicted right before the update."""
        Y_hat = self.forward(X)
        loss = self.backward(Y, Y_hat)
        self.optimizer.step(self.layers)
        return loss, _correct(Y, Y_hat)

    def _train_epoch(self, loader: Iterable) -> dict[str, float]:
        """One pass over ``loader``: its loss and accuracy, averaged over the batches by their size."""
        total_loss, correct, seen = 0.0, 0, 0
        for X_batch, Y_batch in loader:
            loss, batch_correct = self._step(X_batch, Y_batch)
            total_loss += loss * len(X_batch)
            correct += batch_correct
            seen += len(X_batch)
        return {"loss": total_loss / seen, "accuracy": correct / seen}


def _correct(Y: np.ndarray, Y_hat: np.ndarray) -> int:
    """How many rows' largest prediction is where the target's largest entry (its 1) is."""
    return int(np.sum(np.argmax(Y_hat, axis=1) == np.argmax(Y, axis=1)))


def _epoch_bar(epochs: int, progress: bool):
    """The epoch numbers 1 .. epochs, in a tqdm bar when ``progress`` and tqdm is installed.

    tqdm is imported here, not at the top, because the graded functions of this module depend on
    NumPy and the standard library only (the grader does not install tqdm).
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar(epochs)
    # disable=None: quiet when standard error is not a terminal (a log file, a test); a notebook shows a widget.
    return tqdm(range(1, epochs + 1), desc="training", unit="epoch", disable=None if progress else True)


class _NoBar:
    """The epoch numbers without a bar (tqdm not installed)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def __iter__(self):
        return iter(range(1, self.epochs + 1))

    def set_postfix(self, values: dict) -> None:
        pass


class _EarlyStopping:
    """``fit``'s patience and restore_best: the best validation loss so far, and its parameters."""

    def __init__(self, patience: int | None, restore: bool, has_validation: bool) -> None:
        if not has_validation and (patience is not None or restore):
            raise ValueError("fit: patience and restore_best need a validation set (val=...)")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
            raise ValueError(f"fit: expected patience to be a positive int or None, got {patience!r}")
        self.patience, self.restore = patience, restore
        self.best_loss, self.epochs_since_best, self.best_parameters = np.inf, 0, None

    def should_stop(self, val_loss: float, layers: Sequence) -> bool:
        if val_loss < self.best_loss:
            self.best_loss, self.epochs_since_best = val_loss, 0
            if self.restore:
                self.best_parameters = [{key: value.copy() for key, value in layer.parameters.items()} for layer in layers]
        else:
            self.epochs_since_best += 1
        return self.patience is not None and self.epochs_since_best >= self.patience

    def restore_best(self, layers: Sequence) -> None:
        if self.best_parameters is None:
            return
        for layer, saved in zip(layers, self.best_parameters):
            for key, value in saved.items():
                layer.parameters[key][...] = value  # in place: the optimizer's state stays attached
