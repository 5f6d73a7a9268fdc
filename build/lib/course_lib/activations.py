"""Activation functions g(z) and their derivatives g'(z) (chapter "Neurons and the forward pass").

Notation: ``z`` is a pre-activation array of any shape, ``a = g(z)`` the activation of the same shape. The
derivatives are elementwise, so backpropagation multiplies: ``delta = da * g'(z)`` (chapter "Backpropagation").
Softmax is the exception: it acts on each row of a 2-D array, and its Jacobian-vector product is given by
:func:`softmax_backward`.

All functions are numerically stable: they return finite values for ``|z|`` up to the largest finite float of the
dtype (no ``exp`` of a large positive number is ever taken).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "identity",
    "identity_grad",
    "softmax",
    "softmax_backward",
    "HIDDEN_ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, elementwise.

    Computed as :math:`1/(1+e^{-|z|})` for :math:`z \ge 0` and :math:`e^{-|z|}/(1+e^{-|z|})` otherwise, so that
    ``exp`` never overflows. Shape in = shape out.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(z, np.float32), copy=False)


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    r"""Derivative :math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))` (not :math:`1 - \sigma(z)`). Shape in = out."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent :math:`\tanh z = (e^{z} - e^{-z})/(e^{z} + e^{-z})`, elementwise."""
    return np.tanh(z)


def tanh_grad(z: np.ndarray) -> np.ndarray:
    r"""Derivative :math:`\tanh'(z) = 1 - \tanh^2 z`. Shape in = shape out."""
    t = np.tanh(z)
    return 1.0 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    r"""Rectified linear unit :math:`\mathrm{ReLU}(z) = \max(0, z)`, elementwise."""
    return np.maximum(z, 0)


def relu_grad(z: np.ndarray) -> np.ndarray:
    r"""Derivative :math:`\mathrm{ReLU}'(z) = 1` if :math:`z > 0` else 0 (we take 0 at the kink :math:`z = 0`,
    as TensorFlow does)."""
    z = np.asarray(z)
    return (z > 0).astype(np.result_type(z, np.float32))


def identity(z: np.ndarray) -> np.ndarray:
    r"""Identity :math:`g(z) = z`, the output activation for regression."""
    return np.asarray(z)


def identity_grad(z: np.ndarray) -> np.ndarray:
    r"""Derivative of the identity: :math:`g'(z) = 1`."""
    z = np.asarray(z)
    return np.ones_like(z, dtype=np.result_type(z, np.float32))


def softmax(z: np.ndarray) -> np.ndarray:
    r"""Row-wise softmax :math:`\mathrm{softmax}(\mathbf z)_k = e^{z_k} / \sum_j e^{z_j}`.

    ``z`` has shape (m, K); the result has the same shape and each row sums to 1. The row maximum is subtracted
    first (which does not change the result) so that no ``exp`` overflows.
    """
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(da: np.ndarray, a: np.ndarray) -> np.ndarray:
    r"""Vector-Jacobian product of softmax: given :math:`\partial L/\partial \mathbf a` and
    :math:`\mathbf a = \mathrm{softmax}(\mathbf z)`, return
    :math:`\partial L/\partial z_k = a_k\,(\partial L/\partial a_k - \sum_j a_j\,\partial L/\partial a_j)`.

    Both inputs and the output have shape (m, K). With the cross-entropy loss this simplifies to
    ``a - onehot(y)`` (see :func:`course_lib.losses.categorical_cross_entropy_grad`).
    """
    return a * (da - np.sum(da * a, axis=-1, keepdims=True))


#: Hidden-layer activations by name: ``name -> (g, g')``, both functions of the pre-activation ``z``.
HIDDEN_ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "identity": (identity, identity_grad),  # no non-linearity: the network collapses to an affine map
}

#: Output activations by name. Their derivative is folded into the loss gradient (see ``course_lib.losses``).
OUTPUT_ACTIVATIONS = {
    "sigmoid": sigmoid,
    "softmax": softmax,
    "identity": identity,
}
