r"""The training loop: mini-batch stochastic gradient descent (chapter "Optimization").

:func:`fit` trains a :class:`course_lib.MLP` (or a :class:`course_lib.gpt.GPT`, chapter "A GPT from scratch") on
``(X, y)``. With :math:`m` samples, batch size :math:`B` and an optimizer (:mod:`course_lib.optimizers`), one
**epoch** is

1. draw a random permutation of the :math:`m` samples;
2. cut it into :math:`\lceil m/B \rceil` mini-batches :math:`(X_b, y_b)` of :math:`B` rows (the last one may be
   smaller);
3. for each mini-batch, compute the mean loss :math:`L_b` and its gradients
   :math:`\partial L_b/\partial\theta` by backpropagation, and let the optimizer update the parameters
   :math:`\theta` in place.

Shapes: ``X`` (m, n_0); ``y`` (m,) class ids for a softmax output, (m,) or (m, n_L) 0/1 labels for sigmoid
outputs, (m,) or (m, n_L) targets for an identity output. The per-epoch numbers go into a :class:`History`, with
the keys Keras uses (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``), so that a chapter can plot a
course_lib run and a Keras run side by side.

**The model protocol.** :func:`fit` trains any model that provides (``MLP`` and ``course_lib.gpt.GPT`` do):

- ``params``: the list of parameter arrays, updated in place by the optimizer; ``get_weights()`` and
  ``set_weights(weights)`` (for early stopping's best weights);
- ``_check_X(X)`` and ``check_targets(y, n_samples)``: validate the data once, at the boundary; a model whose
  inputs and targets must agree beyond their number of rows (a GPT's ``X`` and ``Y`` are both (m, t)) defines
  ``_check_X_y(X, y, names)`` instead, which validates the pair and names the arguments in its messages;
- ``_loss_grads_logits(X, y)``: the mean loss over the mini-batch, its gradients in ``params`` order and the
  logits, from one forward and one backward pass;
- ``loss_from_logits(z, y)``, and the logits without the backward pass's caches for evaluation:
  ``_forward_logits(X)`` if the model has it, else ``forward_with_cache(X)[0]``;
- ``output``: ``"softmax"``, ``"sigmoid"`` or ``"identity"`` (no accuracy for identity), and ``n_outputs``, the
  number of logits per prediction. For softmax, the accuracy compares the argmax over the **last** axis of the
  logits with the targets: an MLP's (m, K) logits against class ids (m,), or a GPT's (m, t, V) logits against
  next tokens (m, t), which is next-token accuracy over all m t positions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._validation import check_array, check_choice, check_int

__all__ = ["fit", "History", "EarlyStopping", "TrainingDivergedError"]

#: Rows per chunk when the validation set is evaluated (bounds the memory of the activations) ...
_EVAL_CHUNK = 8192
#: ... and logits per chunk (a GPT's row has t * V logits: 64 * 65 for a character model, 2 ** 20 logits is 4 MB)
_EVAL_LOGITS = 2**20


class TrainingDivergedError(FloatingPointError):
    """The loss of a mini-batch became NaN or infinite during :func:`fit`.

    Attributes
    ----------
    epoch, batch : int
        Where it happened, counted from 0 (``epoch`` indexes :attr:`History.epoch`). The message counts from 1.
    loss : float
        The offending loss value.
    history : History
        The epochs completed before the divergence.
    """

    def __init__(self, message: str, *, epoch: int, batch: int, loss: float, history: "History"):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.loss = loss
        self.history = history


class History:
    """What :func:`fit` records, one entry per completed epoch (the layout of Keras' ``History``).

    Attributes
    ----------
    history : dict[str, list[float]]
        ``"loss"``: the training loss of each epoch, the mean of the mini-batch losses weighted by the batch
        sizes, measured *during* the epoch while the weights change (as Keras reports it); ``"accuracy"``:
        the training accuracy measured the same way (classifiers only); ``"val_loss"`` and ``"val_accuracy"``:
        loss and accuracy on ``validation_data`` after the epoch (only with validation data).
    epoch : list[int]
        The epoch indices ``[0, 1, ...]``, counted from 0 as in Keras.
    stopped_epoch : int or None
        The epoch after which :class:`EarlyStopping` stopped training, or None if all epochs ran.
    best_epoch : int or None
        The epoch with the best monitored value (with early stopping), else None.
    weights_epoch : int or None
        The epoch at whose end the model's weights, as left by :func:`fit`, were taken: ``best_epoch`` when
        early stopping restored the best weights, else the last epoch.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.weights_epoch: int | None = None

    def _append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    @property
    def loss(self) -> list[float]:
        """Training loss per epoch (``history["loss"]``)."""
        return self.history.get("loss", [])

    @property
    def accuracy(self) -> list[float] | None:
        """Training accuracy per epoch, or None for a regression model."""
        return self.history.get("accuracy")

    @property
    def val_loss(self) -> list[float] | None:
        """Validation loss per epoch, or None without validation data."""
        return self.history.get("val_loss")

    @property
    def val_accuracy(self) -> list[float] | None:
        """Validation accuracy per epoch, or None without validation data or for a regression model."""
        return self.history.get("val_accuracy")

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items())
        stop = f", stopped_epoch={self.stopped_epoch}" if self.stopped_epoch is not None else ""
        return f"History(epochs={len(self.epoch)}{', ' + last if last else ''}{stop})"


class EarlyStopping:
    """Stop :func:`fit` when a monitored quantity has stopped improving (chapter "Optimization").

    After each epoch the monitored value is compared with the best so far; it improves if it is lower by more
    than ``min_delta`` (for a loss) or higher by more than ``min_delta`` (for an accuracy). Training stops once
    ``patience`` epochs in a row brought no improvement. With ``restore_best_weights``, the model is given back
    the weights it had at the end of the best epoch when training ends, whether it stopped early or not (the
    behaviour of Keras 3's ``EarlyStopping``).

    Parameters
    ----------
    monitor : {"val_loss", "val_accuracy", "loss", "accuracy"}
        The :class:`History` key to watch. ``val_*`` needs ``validation_data``; ``*accuracy`` a classifier.
    patience : int
        Number of epochs without improvement after which training stops (>= 0).
    min_delta : float
        Smallest change that counts as an improvement (>= 0).
    restore_best_weights : bool
        Whether to restore the weights of the best epoch at the end.
    """

    MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ):
        self.monitor = check_choice(monitor, "monitor", self.MONITORS)
        self.patience = check_int(patience, "patience", minimum=0)
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float, np.floating, np.integer)):
            raise TypeError(f"min_delta must be a number >= 0; got {min_delta!r} ({type(min_delta).__name__})")
        if not (np.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"min_delta must be a finite number >= 0; got {min_delta!r}")
        self.min_delta = float(min_delta)
        if not isinstance(restore_best_weights, (bool, np.bool_)):
            raise TypeError(f"restore_best_weights must be True or False; got {restore_best_weights!r}")
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    @property
    def mode(self) -> str:
        """``"max"`` for an accuracy, ``"min"`` for a loss."""
        return "max" if self.monitor.endswith("accuracy") else "min"

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def _improves(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _update(self, epoch: int, logs: dict[str, float], model) -> bool:
        """Record the end of ``epoch``; return True if training should stop."""
        value = logs[self.monitor]
        self.wait += 1
        if self._improves(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = model.get_weights()
            return False
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, min_delta={self.min_delta}, "
            f"restore_best_weights={self.restore_best_weights})"
        )


def fit(
    model,
    X,
    y,
    optimizer,
    epochs: int,
    batch_size: int,
    validation_data: tuple | None = None,
    seed: int | None = 0,
    early_stopping: EarlyStopping | None = None,
    progress: bool = True,
) -> History:
    r"""Train ``model`` by mini-batch gradient descent (chapter "Optimization"); return its :class:`History`.

    For each epoch :math:`e = 1, \dots, E` (``epochs``): shuffle the samples with a random permutation, then for
    each mini-batch :math:`(X_b, y_b)` of ``batch_size`` rows (the last one may be smaller)

    .. math::
        L_b = \frac{1}{|b|} \sum_{i \in b} \ell(\hat y_i, y_i), \qquad
        g = \frac{\partial L_b}{\partial \theta} \ \text{(backpropagation)}, \qquad
        \theta \leftarrow \text{optimizer.step}(\theta, g).

    The model's parameters are updated in place; ``model`` is trained further if it was trained before.

    Parameters
    ----------
    model : MLP or GPT
        The network to train (any model with the protocol of the module docstring).
    X : array of shape (m, n_0)
        Inputs (for a GPT: token ids of shape (m, t)).
    y : array
        Targets in the model's convention (see :meth:`course_lib.MLP.check_targets`): class ids (m,) for softmax,
        0/1 labels (m,) or (m, n_L) for sigmoid, targets (m,) or (m, n_L) for identity; for a GPT the next
        tokens, (m, t).
    optimizer : Optimizer
        Any object with a ``step(params, grads)`` method, such as :class:`course_lib.optimizers.Adam`. Its state
        carries over between calls of ``fit``.
    epochs : int
        Number of passes over the data (>= 1).
    batch_size : int
        Rows per mini-batch (>= 1); a value larger than ``m`` gives full-batch gradient descent.
    validation_data : tuple (X_val, y_val), optional
        Evaluated after every epoch (``val_loss``, ``val_accuracy``); never used for the updates.
    seed : int or None
        Seed of the generator ``np.random.default_rng(seed)`` that draws the shuffling permutations. The same
        model, data, optimizer and seed give bit-identical weights.
    early_stopping : EarlyStopping, optional
        Stop when the monitored quantity stops improving (see :class:`EarlyStopping`).
    progress : bool
        Show a progress bar over the epochs (tqdm) with the current loss and accuracy.

    Returns
    -------
    History
        Per-epoch ``loss`` (and ``accuracy``, ``val_loss``, ``val_accuracy`` when they apply).

    Raises
    ------
    TrainingDivergedError
        If a mini-batch loss becomes NaN or infinite; the weights are those before that mini-batch.
    ValueError, TypeError
        For invalid arguments, before any training.

    Notes
    -----
    The arguments are validated once; the loop then works on the validated arrays: one forward and backward
    pass per mini-batch (``model._loss_grads_logits``, which also returns the logits for the accuracy) and
    ``optimizer.step``. The
    training ``loss`` and ``accuracy`` of an epoch are averages over its mini-batches weighted by their sizes,
    measured while the weights change, as Keras reports them; ``val_loss`` and ``val_accuracy`` are computed
    with the weights at the end of the epoch. Accuracy follows :meth:`course_lib.MLP.predict`: the argmax for
    softmax, :math:`\hat y > 0.5` for sigmoid (the fraction of correct labels with several sigmoid outputs).
    NumPy's floating-point warnings are silenced inside the loop: a NaN or infinite loss raises
    :class:`TrainingDivergedError` instead.

    Examples
    --------
    >>> from course_lib import MLP, Adam
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> model = MLP([2, 8, 2], seed=0)
    >>> history = fit(model, X, y, Adam(0.01), epochs=20, batch_size=32, progress=False)
    >>> history.loss[-1] < history.loss[0]
    True
    """
    # ---- validate once at the boundary; the loop below trusts its arrays
    X, y = _check_data(model, X, y)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            "optimizer must have a step(params, grads) method, such as course_lib.Adam(1e-3); "
            f"got {optimizer!r} ({type(optimizer).__name__})"
        )
    if seed is not None:
        seed = check_int(seed, "seed", minimum=0)
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False; got {progress!r} ({type(progress).__name__})")
    val = None if validation_data is None else _check_validation_data(model, validation_data)
    classifier = model.output != "identity"
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(
                f"early_stopping must be an EarlyStopping instance or None; got {type(early_stopping).__name__}"
            )
        if early_stopping.monitor.startswith("val_") and val is None:
            raise ValueError(
                f"early_stopping monitors {early_stopping.monitor!r}, which needs validation_data=(X_val, y_val); "
                "pass validation data or monitor 'loss'"
            )
        if early_stopping.monitor.endswith("accuracy") and not classifier:
            raise ValueError(
                f"early_stopping monitors {early_stopping.monitor!r}, but a model with output='identity' has no "
                "accuracy; monitor 'loss' or 'val_loss'"
            )
        early_stopping._reset()

    # ---- training
    from tqdm.auto import tqdm  # imported here: importing course_lib stays light

    m = len(X)
    n_batches = math.ceil(m / batch_size)
    rng = np.random.default_rng(seed)
    history = History()
    # Each mini-batch is gathered by fancy indexing right before it is used, so its rows are still in the cache
    # for the forward pass. On the benchmark (benchmarks/bench_mlp.py) this was faster than shuffling all of X
    # once per epoch (which writes, then re-reads, a full copy of X) and than np.take into a preallocated buffer.
    params = model.params

    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress, leave=True)
    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            for epoch in bar:
                perm = rng.permutation(m)
                loss_sum = 0.0
                correct = 0
                for b in range(n_batches):
                    idx = perm[b * batch_size:(b + 1) * batch_size]
                    Xb, yb = X[idx], y[idx]
                    loss, grads, z = model._loss_grads_logits(Xb, yb)
                    if not math.isfinite(loss):
                        raise TrainingDivergedError(
                            f"training diverged: the loss of mini-batch {b + 1}/{n_batches} in epoch "
                            f"{epoch + 1}/{epochs} is {loss}. Try a smaller learning rate (the optimizer is "
                            f"{optimizer!r}), or check the inputs' scale.",
                            epoch=epoch, batch=b, loss=loss, history=history,
                        )
                    optimizer.step(params, grads)
                    loss_sum += loss * len(Xb)
                    if classifier:
                        correct += _n_correct(model, z, yb)
                logs = {"loss": loss_sum / m}
                if classifier:
                    logs["accuracy"] = correct / y.size
                if val is not None:
                    logs["val_loss"], val_acc = _evaluate(model, *val)
                    if classifier:
                        logs["val_accuracy"] = val_acc
                history._append(epoch, logs)
                bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
                if early_stopping is not None and early_stopping._update(epoch, logs, model):
                    break
    finally:
        bar.close()

    history.weights_epoch = history.epoch[-1]
    if early_stopping is not None:
        history.stopped_epoch = early_stopping.stopped_epoch
        history.best_epoch = early_stopping.best_epoch
        if early_stopping.restore_best_weights and early_stopping.best_weights is not None:
            model.set_weights(early_stopping.best_weights)
            history.weights_epoch = early_stopping.best_epoch
    return history


# ---------------------------------------------------------------------- helpers
def _check_data(model, X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validate the training data with the model's own checks (see the model protocol above)."""
    check_pair = getattr(model, "_check_X_y", None)
    if check_pair is not None:
        return check_pair(X, y)
    X = model._check_X(X)
    return X, model.check_targets(y, len(X))


def _check_validation_data(model, validation_data) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``validation_data = (X_val, y_val)`` like the training data."""
    if not isinstance(validation_data, Sequence) or isinstance(validation_data, (str, bytes)):
        raise TypeError(
            f"validation_data must be a tuple (X_val, y_val); got {type(validation_data).__name__}"
        )
    if len(validation_data) != 2:
        raise ValueError(
            f"validation_data must be a tuple (X_val, y_val) of 2 arrays; got {len(validation_data)} items"
        )
    check_pair = getattr(model, "_check_X_y", None)
    if check_pair is not None:
        return check_pair(validation_data[0], validation_data[1],
                          ("validation_data[0] (X_val)", "validation_data[1] (y_val)"))
    X_val = check_array(validation_data[0], "validation_data[0] (X_val)", dtype=model.dtype,
                        n_features=model.n_features)
    try:
        y_val = model.check_targets(validation_data[1], len(X_val))
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"validation_data[1] (y_val): {exc}") from None
    return X_val, y_val


def _n_correct(model, z: np.ndarray, y: np.ndarray) -> int:
    r"""Number of correct predictions (entries, for several sigmoid outputs) from the logits ``z``, with the
    decision rule of :meth:`course_lib.MLP.predict`: the argmax over the last axis for softmax (for a GPT, at
    every position), :math:`\sigma(z) > 0.5` for sigmoid."""
    if model.output == "softmax":
        return int(np.count_nonzero(z.argmax(axis=-1) == y))
    return int(np.count_nonzero((model.output_activation(z) > 0.5) == (y > 0.5)))


def _eval_logits(model, X: np.ndarray) -> np.ndarray:
    """Logits for evaluation: without the backward pass's caches when the model offers it."""
    forward = getattr(model, "_forward_logits", None)
    return forward(X) if forward is not None else model.forward_with_cache(X)[0]


def _evaluate(model, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean loss and accuracy (NaN for a regression model) on trusted arrays, in chunks of at most
    ``_EVAL_CHUNK`` rows and about ``_EVAL_LOGITS`` logits (a GPT row has t * V of them)."""
    logits_per_row = int(np.prod(y.shape[1:], dtype=np.int64)) * (model.n_outputs if model.output == "softmax" else 1)
    chunk = max(1, min(_EVAL_CHUNK, _EVAL_LOGITS // max(logits_per_row, 1)))
    loss_sum, correct = 0.0, 0
    for start in range(0, len(X), chunk):
        Xc, yc = X[start:start + chunk], y[start:start + chunk]
        z = _eval_logits(model, Xc)
        loss_sum += model.loss_from_logits(z, yc) * len(Xc)
        if model.output != "identity":
            correct += _n_correct(model, z, yc)
    return loss_sum / len(X), (correct / y.size if model.output != "identity" else math.nan)
