r"""The multilayer perceptron (chapters "Neurons and the forward pass", "Backpropagation", "An MLP from scratch").

A network with layer sizes :math:`n_0, n_1, \dots, n_L` computes, for a batch :math:`X = A^{[0]}` of shape
(m, n_0),

.. math::
    Z^{[l]} = A^{[l-1]} W^{[l]} + \mathbf b^{[l]}, \qquad A^{[l]} = g(Z^{[l]}) \quad (l = 1, \dots, L-1),
    \qquad \hat Y = A^{[L]} = g_{\text{out}}(Z^{[L]}),

with :math:`W^{[l]}` of shape :math:`(n_{l-1}, n_l)` and :math:`\mathbf b^{[l]}` of shape :math:`(n_l,)`.
Backpropagation runs the chain rule from :math:`\delta^{[L]} = \partial L/\partial Z^{[L]}` down:
:math:`\delta^{[l-1]} = \delta^{[l]} (W^{[l]})^\top \odot g'(Z^{[l-1]})`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import losses
from ._io import load_model_arrays, save_npz_atomic
from ._validation import (
    assign_weights,
    check_array,
    check_choice,
    check_int,
    check_labels,
)
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .layers import activation_backward, activation_forward, dense_backward, dense_forward

__all__ = ["MLP", "init_weights", "INITIALIZERS"]

INITIALIZERS = ("he", "glorot")
_FORMAT = "course_lib.MLP"
_FORMAT_VERSION = 1


def init_weights(n_in: int, n_out: int, init: str, rng: np.random.Generator) -> np.ndarray:
    r"""Initial weight matrix of shape (n_in, n_out) (chapter "Optimization").

    - ``"he"`` (He et al., 2015), for ReLU layers: :math:`W_{jk} \sim \mathcal N(0,\ 2/n_{\text{in}})`.
    - ``"glorot"`` (Glorot and Bengio, 2010), for sigmoid and tanh layers, Keras' default:
      :math:`W_{jk} \sim \mathcal U(-r, r)` with :math:`r = \sqrt{6/(n_{\text{in}} + n_{\text{out}})}`.

    Both keep the variance of the activations roughly constant from layer to layer. Returned as float64; the
    model casts to its dtype, so a float32 and a float64 model with the same seed start from the same weights
    up to rounding.
    """
    check_choice(init, "init", INITIALIZERS)
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
    r = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-r, r, size=(n_in, n_out))


class MLP:
    r"""A fully connected feed-forward network with one loss per output type.

    Parameters
    ----------
    layer_sizes : sequence of int
        :math:`[n_0, n_1, \dots, n_L]`: input features, hidden widths, outputs. At least two entries.
    activation : {"relu", "sigmoid", "tanh", "identity"}
        Hidden-layer activation :math:`g`. ("identity" shows what a network without a non-linearity can do:
        no more than one affine layer, chapter "Neurons and the forward pass".)
    output : {"softmax", "sigmoid", "identity"}
        Output activation :math:`g_{\text{out}}`, which also fixes the loss: categorical cross-entropy with
        integer labels for softmax (at least 2 outputs), binary cross-entropy with 0/1 labels for sigmoid (one
        output: ``y`` of shape (m,); several: independent labels of shape (m, K)), and mean squared error for
        identity (regression).
    init : {"he", "glorot"}
        Weight initialisation (:func:`init_weights`); biases start at zero.
    seed : int or None
        Seed of the random generator for the initial weights. The same seed gives bit-identical weights.
    dtype : {"float32", "float64"}
        Floating-point type of weights and computations. float32 is fast; float64 is for gradient checking.

    Examples
    --------
    >>> model = MLP([10, 5, 1], output="sigmoid")
    >>> model.n_params
    61
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        output: str = "softmax",
        init: str = "he",
        seed: int | None = 0,
        dtype: str = "float32",
    ):
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError(f"layer_sizes must be a list of integers such as [10, 5, 1]; got {layer_sizes!r}")
        if len(layer_sizes) < 2:
            raise ValueError(
                f"layer_sizes must have at least 2 entries (inputs and outputs); got {list(layer_sizes)!r}"
            )
        self.layer_sizes = [check_int(n, f"layer_sizes[{i}]") for i, n in enumerate(layer_sizes)]
        self.activation = check_choice(activation, "activation", HIDDEN_ACTIVATIONS)
        self.output = check_choice(output, "output", OUTPUT_ACTIVATIONS)
        self.init = check_choice(init, "init", INITIALIZERS)
        self.dtype = np.dtype(check_choice(str(np.dtype(dtype)) if _is_dtype(dtype) else dtype, "dtype",
                                           ["float32", "float64"]))
        if output == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError(
                "a softmax output needs at least 2 units (one per class); got layer_sizes[-1] = 1. "
                "Use output='sigmoid' for binary classification with a single unit."
            )
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.params: list[np.ndarray] = []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            self.params.append(init_weights(n_in, n_out, self.init, rng).astype(self.dtype))
            self.params.append(np.zeros(n_out, dtype=self.dtype))

    # ------------------------------------------------------------------ weights
    @property
    def n_layers(self) -> int:
        """Number of weight layers :math:`L` (hidden layers plus the output layer)."""
        return len(self.layer_sizes) - 1

    @property
    def n_params(self) -> int:
        r"""Number of trainable parameters, :math:`\sum_l (n_{l-1} + 1)\, n_l`."""
        return int(sum(p.size for p in self.params))

    @property
    def n_features(self) -> int:
        """Number of input features :math:`n_0`."""
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        """Number of output units :math:`n_L`."""
        return self.layer_sizes[-1]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters as ``[W1, b1, W2, b2, ...]``, ``W`` of shape (n_in, n_out): the layout of
        Keras' ``model.get_weights()`` for a stack of ``Dense`` layers."""
        return [p.copy() for p in self.params]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Replace the parameters by copies of ``weights`` (``[W1, b1, ...]``, shapes as :meth:`get_weights`)."""
        labels = [f"{'W' if i % 2 == 0 else 'b'}{i // 2 + 1}" for i in range(len(self.params))]
        assign_weights(self.params, weights, labels, self.dtype, layout="a list [W1, b1, W2, b2, ...]",
                       count_note=f"[W1, b1, ...] for layer sizes {self.layer_sizes}")

    # ------------------------------------------------------------------ forward / backward
    def forward_with_cache(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        r"""Forward pass that keeps what backpropagation needs. ``X``: (m, n_0), trusted (not validated).

        Returns ``(z_L, caches)``: the output **logits** :math:`Z^{[L]}`, shape (m, n_L), and one
        ``(dense_cache, activation_cache)`` pair per layer for :meth:`backward`.
        """
        a = X
        caches = []
        last = self.n_layers - 1
        for l in range(self.n_layers):
            z, dense_cache = dense_forward(a, self.params[2 * l], self.params[2 * l + 1])
            if l == last:
                caches.append((dense_cache, None))
                return z, caches
            a, act_cache = activation_forward(z, self.activation)
            caches.append((dense_cache, act_cache))
        raise AssertionError("unreachable")

    def backward(self, delta_L: np.ndarray, caches: list) -> list[np.ndarray]:
        r"""Backpropagation from :math:`\delta^{[L]} = \partial L/\partial Z^{[L]}` (shape (m, n_L)).

        For :math:`l = L, \dots, 1`: :math:`\partial L/\partial W^{[l]} = (A^{[l-1]})^\top \delta^{[l]}`,
        :math:`\partial L/\partial \mathbf b^{[l]} = \sum_i \delta^{[l]}_{i,:}`, and
        :math:`\delta^{[l-1]} = \delta^{[l]} (W^{[l]})^\top \odot g'(Z^{[l-1]})`.
        Returns the gradients in :meth:`get_weights` order ``[dW1, db1, dW2, db2, ...]``.
        """
        grads: list[np.ndarray] = [None] * len(self.params)  # type: ignore[list-item]
        delta = delta_L
        for l in range(self.n_layers - 1, -1, -1):
            dense_cache, _ = caches[l]
            da_prev, grads[2 * l], grads[2 * l + 1] = dense_backward(delta, dense_cache, input_grad=l > 0)
            if l > 0:
                delta = activation_backward(da_prev, caches[l - 1][1], self.activation)
        return grads

    def output_activation(self, z: np.ndarray) -> np.ndarray:
        r"""Apply :math:`g_{\text{out}}` to logits ``z`` of shape (m, n_L)."""
        return OUTPUT_ACTIVATIONS[self.output](z)

    def forward(self, X) -> np.ndarray:
        r"""Network output :math:`\hat Y = A^{[L]}` for inputs ``X`` of shape (m, n_0): probabilities for a sigmoid
        or softmax output, values for identity. Shape (m, n_L)."""
        X = self._check_X(X)
        z, _ = self.forward_with_cache(X)
        return self.output_activation(z)

    def logits(self, X) -> np.ndarray:
        r"""Output pre-activations :math:`Z^{[L]}`, shape (m, n_L)."""
        z, _ = self.forward_with_cache(self._check_X(X))
        return z

    # ------------------------------------------------------------------ loss and gradients
    def check_targets(self, y, n_samples: int | None = None) -> np.ndarray:
        """Validate targets for this model's loss and return them in the form the loss functions take:
        int64 class ids (m,) for softmax, float (m, n_L) for sigmoid and identity."""
        if self.output == "softmax":
            y = check_labels(y, "y", n_classes=self.n_outputs)
        else:
            K = self.n_outputs
            expected = "(n_samples,) or (n_samples, 1)" if K == 1 else f"(n_samples, {K})"
            try:
                ndim = np.ndim(y)
            except Exception:  # ragged lists and the like: check_array below says what is wrong
                ndim = 2
            if ndim == 1 and K > 1:
                raise ValueError(f"y must have shape {expected} for a model with {K} outputs; got shape {np.shape(y)}")
            y = check_array(y, "y", ndim=1 if ndim == 1 else 2, dtype=self.dtype)
            if y.ndim == 1:
                y = y.reshape(-1, 1)
            if y.shape[1] != K:
                raise ValueError(
                    f"y must have shape {expected} for a model with {K} output{'s' if K > 1 else ''}; "
                    f"got shape {y.shape}"
                )
            if self.output == "sigmoid" and not np.isin(y, (0, 1)).all():
                bad = y[~np.isin(y, (0, 1))][0].item()
                raise ValueError(f"y must hold binary labels 0 or 1 for a sigmoid output; got values such as {bad!r}")
        if n_samples is not None and len(y) != n_samples:
            raise ValueError(
                f"X and y must have the same number of samples; got {n_samples} rows in X and {len(y)} in y"
            )
        return y

    def loss_from_logits(self, z: np.ndarray, y: np.ndarray) -> float:
        """The model's loss :math:`L` for logits ``z`` and validated targets ``y`` (see :meth:`check_targets`)."""
        if self.output == "softmax":
            return losses.categorical_cross_entropy_from_logits(z, y)
        if self.output == "sigmoid":
            return losses.binary_cross_entropy_from_logits(z, y)
        return losses.mean_squared_error(z, y)

    def output_delta(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        r""":math:`\delta^{[L]} = \partial L/\partial Z^{[L]}`: :math:`(\hat Y - Y)/m` for softmax with
        cross-entropy, :math:`(\hat Y - Y)/(m n_L)` for sigmoid with binary cross-entropy (the mean over all
        labels), :math:`2(\hat Y - Y)/(m n_L)` for identity with squared error."""
        if self.output == "softmax":
            return losses.categorical_cross_entropy_grad(z, y)
        if self.output == "sigmoid":
            return losses.binary_cross_entropy_grad(z, y)
        return losses.mean_squared_error_grad(z, y)

    def loss(self, X, y) -> float:
        """Mean loss on ``(X, y)``: cross-entropy for sigmoid/softmax outputs, squared error for identity."""
        X = self._check_X(X)
        y = self.check_targets(y, len(X))
        z, _ = self.forward_with_cache(X)
        return self.loss_from_logits(z, y)

    def loss_and_grads(self, X, y) -> tuple[float, list[np.ndarray]]:
        """Mean loss on ``(X, y)`` and its gradients ``[dW1, db1, ...]`` (in :meth:`get_weights` order).

        ``X``: (m, n_0). ``y``: class ids (m,) for softmax, 0/1 labels (m,) for one sigmoid unit, targets
        (m, n_L) (or (m,) for one output) for identity.
        """
        X = self._check_X(X)
        y = self.check_targets(y, len(X))
        return self._loss_and_grads(X, y)

    def _loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """:meth:`loss_and_grads` on inputs already validated."""
        loss, grads, _ = self._loss_grads_logits(X, y)
        return loss, grads

    def _loss_grads_logits(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray], np.ndarray]:
        """Loss, gradients and the output logits :math:`Z^{[L]}` on validated inputs: one forward and one backward
        pass, for the training loop (which also needs the logits for the training accuracy)."""
        z, caches = self.forward_with_cache(X)
        return self.loss_from_logits(z, y), self.backward(self.output_delta(z, y), caches), z

    # ------------------------------------------------------------------ predictions
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (m, n_classes): the softmax output, or ``[1 - p, p]`` for one sigmoid unit
        (the scikit-learn convention)."""
        if self.output == "identity":
            raise TypeError("predict_proba is defined for classifiers; this model has output='identity'")
        P = self.forward(X)
        if self.output == "sigmoid" and self.n_outputs == 1:
            return np.hstack([1.0 - P, P])
        return P

    def predict(self, X) -> np.ndarray:
        """Predictions: the most probable class (argmax) for softmax; ``1[p > 0.5]`` for sigmoid (shape (m,) for
        one unit, (m, K) for several); the output values for identity ((m,) for one output)."""
        out = self.forward(X)
        if self.output == "softmax":
            return out.argmax(axis=1)
        if self.output == "sigmoid":
            labels = (out > 0.5).astype(np.int64)
            return labels[:, 0] if self.n_outputs == 1 else labels
        return out[:, 0] if self.n_outputs == 1 else out

    # ------------------------------------------------------------------ persistence
    def config(self) -> dict:
        """The architecture as a dict, enough to rebuild the model with ``MLP(**config)``."""
        return {
            "layer_sizes": list(self.layer_sizes),
            "activation": self.activation,
            "output": self.output,
            "init": self.init,
            "seed": self.seed,
            "dtype": str(self.dtype),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Save architecture and weights to one ``.npz`` file, atomically.

        The file is written to a temporary file in the same directory and renamed over ``path`` only when
        complete, so an interrupted save never leaves a broken model behind. Returns the path written.
        """
        cfg = self.config()
        arrays = {
            "layer_sizes": np.array(cfg["layer_sizes"], dtype=np.int64),
            "activation": np.array(cfg["activation"]),
            "output": np.array(cfg["output"]),
            "init": np.array(cfg["init"]),
            "seed": np.array(-1 if self.seed is None else self.seed, dtype=np.int64),
            "dtype": np.array(cfg["dtype"]),
        }
        arrays.update({f"param_{i}": p for i, p in enumerate(self.params)})
        return save_npz_atomic(path, _FORMAT, _FORMAT_VERSION, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MLP":
        """Load a model written by :meth:`save`. Raises ValueError for a corrupt file or one that is not a
        course_lib model; never unpickles anything (``allow_pickle=False``)."""
        contents = load_model_arrays(path, _FORMAT, _FORMAT_VERSION, "model")
        try:
            seed = int(contents["seed"])
            model = cls(
                [int(n) for n in contents["layer_sizes"]],
                activation=str(contents["activation"]),
                output=str(contents["output"]),
                init=str(contents["init"]),
                seed=None if seed < 0 else seed,
                dtype=str(contents["dtype"]),
            )
            model.set_weights([contents[f"param_{i}"] for i in range(len(model.params))])
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{str(path)!r} is a damaged course_lib model file: {exc}") from None
        return model

    # ------------------------------------------------------------------ helpers
    def _check_X(self, X) -> np.ndarray:
        return check_array(X, "X", dtype=self.dtype, n_features=self.n_features)

    def __repr__(self) -> str:
        return (
            f"MLP({self.layer_sizes}, activation={self.activation!r}, output={self.output!r}, "
            f"init={self.init!r}, seed={self.seed!r}, dtype={str(self.dtype)!r})"
        )


def _is_dtype(value) -> bool:
    if value is None:  # np.dtype(None) is float64: reject it rather than pick a precision silently
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True
