r"""Loss functions and their gradients (chapter "Loss functions").

Notation: ``m`` samples, ``K`` outputs. ``z`` are the output layer's pre-activations (logits), ``p`` or ``y_hat``
the output activations, ``y`` the targets. Every loss is a **mean over the samples** (and, for the squared error,
over the outputs too), the convention of Keras and scikit-learn.

The ``*_from_logits`` forms never evaluate ``log`` of a rounded-off probability, so they stay finite and exact for
logits as large as ``1e4``; the probability forms clip ``p`` to ``[eps, 1 - eps]`` as Keras does. The ``*_grad``
functions return :math:`\delta^{[L]} = \partial L/\partial z^{[L]}`, the gradient with respect to the logits, where
the output activation's derivative has already been folded in (chapter "Backpropagation").
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, softmax

__all__ = [
    "one_hot",
    "mean_squared_error",
    "mean_squared_error_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_from_logits",
    "binary_cross_entropy_grad",
    "categorical_cross_entropy",
    "categorical_cross_entropy_from_logits",
    "categorical_cross_entropy_grad",
    "logsumexp",
]

EPSILON = 1e-7  # Keras' default fuzz factor for probabilities


def one_hot(y: np.ndarray, n_classes: int, dtype=np.float32) -> np.ndarray:
    r"""One-hot encoding: integer labels ``y`` of shape (m,) to :math:`Y` of shape (m, K) with
    :math:`Y_{ik} = 1` if :math:`y_i = k` else 0."""
    y = np.asarray(y)
    Y = np.zeros((y.shape[0], n_classes), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def logsumexp(z: np.ndarray) -> np.ndarray:
    r"""Row-wise :math:`\log \sum_k e^{z_k}` for ``z`` of shape (m, K), returned with shape (m,).

    Computed as :math:`c + \log\sum_k e^{z_k - c}` with :math:`c = \max_k z_k`, so nothing overflows.
    """
    c = z.max(axis=-1, keepdims=True)
    return (c + np.log(np.exp(z - c).sum(axis=-1, keepdims=True)))[..., 0]


def mean_squared_error(y_hat: np.ndarray, y: np.ndarray) -> float:
    r"""Mean squared error :math:`L = \frac{1}{mK}\sum_{i,k} (\hat y_{ik} - y_{ik})^2`.

    ``y_hat`` and ``y`` have the same shape, (m, K) or (m,).
    """
    d = np.asarray(y_hat) - np.asarray(y)
    return float(np.mean(d * d))


def mean_squared_error_grad(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Gradient of :func:`mean_squared_error` with respect to ``y_hat``:
    :math:`\partial L/\partial \hat y_{ik} = 2(\hat y_{ik} - y_{ik})/(mK)`. Same shape as ``y_hat``. With an
    identity output :math:`\hat y = z`, this is also :math:`\delta^{[L]}`."""
    y_hat = np.asarray(y_hat)
    return (2.0 / y_hat.size) * (y_hat - np.asarray(y, dtype=y_hat.dtype))


def binary_cross_entropy(p: np.ndarray, y: np.ndarray, eps: float = EPSILON) -> float:
    r"""Binary cross-entropy from probabilities,
    :math:`L = -\frac{1}{m}\sum_i \big[\, y_i \log p_i + (1 - y_i) \log(1 - p_i) \,\big]`
    (note the brackets: the minus sign applies to both terms).

    ``p`` (probabilities of class 1) and ``y`` (0 or 1) have the same shape. ``p`` is clipped to
    ``[eps, 1 - eps]`` so that ``log(0)`` is never taken; for exact values use
    :func:`binary_cross_entropy_from_logits`.
    """
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def binary_cross_entropy_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    r"""Binary cross-entropy from logits :math:`z` (with :math:`p = \sigma(z)`), in the stable form
    :math:`L = \frac{1}{m}\sum_i \big[\max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})\big]`.

    Algebraically equal to :func:`binary_cross_entropy` of :math:`\sigma(z)`, but exact and finite for any finite
    ``z``. ``z`` and ``y`` have the same shape.
    """
    z = np.asarray(z)
    y = np.asarray(y, dtype=z.dtype)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    r""":math:`\delta^{[L]} = \partial L/\partial z = (\sigma(z) - y)/(mK)` for a sigmoid output with binary
    cross-entropy, ``z`` of shape (m,) or (m, K). Divided by the number of entries ``mK`` (``m`` for one unit),
    because :func:`binary_cross_entropy_from_logits` is the mean over all entries, as in Keras. Same shape as
    ``z``."""
    z = np.asarray(z)
    return (sigmoid(z) - np.asarray(y, dtype=z.dtype)) / z.size


def categorical_cross_entropy(P: np.ndarray, y: np.ndarray, eps: float = EPSILON) -> float:
    r"""Categorical cross-entropy from probabilities, :math:`L = -\frac{1}{m}\sum_i \log P_{i, y_i}`.

    ``P`` has shape (m, K), rows summing to 1; ``y`` holds integer class ids of shape (m,). Probabilities are
    clipped to ``[eps, 1 - eps]`` like Keras does.
    """
    P = np.asarray(P, dtype=np.float64)
    y = np.asarray(y)
    return float(-np.mean(np.log(np.clip(P[np.arange(P.shape[0]), y], eps, 1.0 - eps))))


def categorical_cross_entropy_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    r"""Categorical cross-entropy from logits, :math:`L = \frac{1}{m}\sum_i \big[\log\sum_k e^{z_{ik}} -
    z_{i, y_i}\big]`, using :func:`logsumexp`. ``z``: (m, K); ``y``: integer ids, (m,)."""
    z = np.asarray(z)
    y = np.asarray(y)
    return float(np.mean(logsumexp(z) - z[np.arange(z.shape[0]), y]))


def categorical_cross_entropy_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    r""":math:`\delta^{[L]} = \partial L/\partial z = (\mathrm{softmax}(z) - \mathrm{onehot}(y))/m` for a softmax
    output with categorical cross-entropy. Shape (m, K)."""
    z = np.asarray(z)
    delta = softmax(z)
    delta[np.arange(z.shape[0]), y] -= 1
    delta /= z.shape[0]
    return delta
