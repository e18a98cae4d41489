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

    def predict(self, X)
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
        progress: show a progress bar: a widget in a Jupyter notebook, a text bar on a terminal,
            nothing when standard error is neither (a log file, a test). It uses tqdm when it is
            installed (``make setup`` installs it) and a plain text bar otherwise.
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
        if val is None and (patience is not None or restore_best):
            raise ValueError("fit: patience and restore_best need a validation set (val=...)")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
            raise ValueError(f"fit: expected patience to be a positive int or None, got {patience!r}")
        history: dict[str, list[float]] = {"loss": [], "accuracy": []}
        if val is not None:
            history.update(val_loss=[], val_accuracy=[])
        best_loss, best_parameters, epochs_since_best = np.inf, None, 0
        bar = _progress_bar(epochs) if progress else None
        try:
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
                if val is not None:
                    if metrics["val_loss"] < best_loss:
                        best_loss, epochs_since_best = metrics["val_loss"], 0
                        if restore_best:
                            best_parameters = self._copy_parameters()
                    else:
                        epochs_since_best += 1
                    if patience is not None and epochs_since_best >= patience:
                        break
        finally:
            if bar is not None:
                bar.close()
        if best_parameters is not None:
            for layer, saved in zip(self.layers, best_parameters):
                for key, value in saved.items():
                    layer.parameters[key][...] = value  # in place: the optimizer's state stays attached
        if logger is not None:
            logger.save_parameters(self)
            logger.plot_losses()
        return history

    def _copy_parameters(self) -> list[dict[str, np.ndarray]]:
        return [{key: value.copy() for key, value in layer.parameters.items()} for layer in self.layers]


def _in_jupyter_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (a notebook, JupyterLab, VS Code, Colab)."""
    shell = sys.modules.get("IPython")
    shell = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _progress_bar(epochs: int):
    """A progress bar over ``epochs``, with ``update(epoch, metrics)`` and ``close()``.

    tqdm's when it is installed (a widget in a notebook when ipywidgets is there too), otherwise
    a plain text bar. tqdm is imported here, not at the top, because the graded functions of this
    module must not depend on anything but NumPy and the standard library.
    """
    in_kernel = _in_jupyter_kernel()
    try:
        if in_kernel:
            try:
                from tqdm.notebook import tqdm  # needs ipywidgets
                bar = tqdm(total=epochs, unit="epoch", desc="training")
            except ImportError:
                from tqdm.std import tqdm
                bar = tqdm(total=epochs, unit="epoch", desc="training", file=sys.stderr, disable=False)
        else:
            from tqdm.std import tqdm
            # disable=None: quiet unless standard error is a terminal
            bar = tqdm(total=epochs, unit="epoch", desc="training", file=sys.stderr, disable=None)
    except ImportError:
        return _TextProgressBar(epochs, enabled=in_kernel or sys.stderr.isatty())
    return _TqdmProgressBar(bar)


class _TqdmProgressBar:
    """Adapts a tqdm bar to ``update(epoch, metrics)``: the epoch's metrics go in its postfix."""

    def __init__(self, bar) -> None:
        self.bar = bar

    def update(self, done: int, metrics: dict[str, float]) -> None:
        self.bar.set_postfix({key: f"{value:.4f}" for key, value in metrics.items()}, refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class _TextProgressBar:
    """A one-line text progress bar on standard error, redrawn at most ten times a second (used
    when tqdm is not installed)."""

    WIDTH = 24

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.enabled = enabled
        self.start = time.perf_counter()
        self.last_draw = -1.0
        self.drawn = False

    def update(self, done: int, metrics: dict[str, float]) -> None:
        now = time.perf_counter()
        if not self.enabled or (done < self.total and now - self.last_draw < 0.1):
            return
        self.last_draw, self.drawn = now, True
        filled = int(self.WIDTH * done / self.total)
        shown = "  ".join(f"{key} {value:.4f}" for key, value in metrics.items())
        bar = "#" * filled + "." * (self.WIDTH - filled)
        sys.stderr.write(f"\repoch {done}/{self.total} [{bar}] {now - self.start:5.1f}s  {shown}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
