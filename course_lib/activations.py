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
    "gelu",
    "gelu_grad",
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


#: :math:`\sqrt{2/\pi}` and the cubic coefficient of the tanh approximation of GELU (Hendrycks and Gimpel, 2016).
GELU_C = float(np.sqrt(2.0 / np.pi))
GELU_A = 0.044715
#: Beyond this magnitude the tanh in :func:`gelu` is exactly :math:`\pm 1` in float32 and float64, so ``z`` is
#: clipped to it inside the cubic (which would otherwise overflow for huge ``z``) without changing any result.
_GELU_CLIP = 10.0


def _gelu_tanh_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``(gelu(z), s, zc)`` for the tanh form: :math:`s = \tfrac12\big(1 + \tanh(c(z_c + a z_c^3))\big)`, so that
    :math:`\mathrm{GELU}(z) = z\,s`, with :math:`z_c` = ``z`` clipped to :math:`[-10, 10]` (exact, see
    ``_GELU_CLIP``). Shared by :func:`gelu`, :func:`gelu_grad` and :func:`course_lib.layers.gelu_forward`,
    which keeps ``s`` and ``zc`` for the backward pass."""
    zc = np.clip(z, -_GELU_CLIP, _GELU_CLIP)
    s = zc * zc
    s *= GELU_C * GELU_A
    s += GELU_C
    s *= zc
    np.tanh(s, out=s)
    s += 1.0
    s *= 0.5
    return z * s, s, zc


def _gelu_tanh_grad(s: np.ndarray, zc: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{GELU}'(z)` of the tanh form from the parts of :func:`_gelu_tanh_parts`. With
    :math:`t = 2s - 1`, :math:`1 - t^2 = 4 s (1 - s)`, so the derivative of :func:`gelu_grad` becomes
    :math:`s + 2c\, z\, s (1 - s)(1 + 3 a z^2)` (:math:`z_c` may replace :math:`z`: beyond the clip
    :math:`s (1 - s)` is exactly 0)."""
    g = zc * zc
    g *= 3.0 * GELU_A * 2.0 * GELU_C
    g += 2.0 * GELU_C
    g *= zc
    g *= s
    g *= 1.0 - s
    g += s
    return g


def gelu(z: np.ndarray, approximate: bool = True) -> np.ndarray:
    r"""Gaussian error linear unit (Hendrycks and Gimpel, 2016; chapter "A GPT from scratch"), elementwise.

    Exact form (``approximate=False``): :math:`\mathrm{GELU}(z) = z\,\Phi(z)`, with :math:`\Phi` the standard
    normal CDF, :math:`\Phi(z) = \tfrac12\big(1 + \mathrm{erf}(z/\sqrt2)\big)`.

    tanh approximation (``approximate=True``, the default, as in GPT-2 and ``keras.ops.gelu``;
    ``keras.activations.gelu`` defaults to the exact form):

    .. math:: \mathrm{GELU}(z) \approx \tfrac12 z \big(1 + \tanh\big(\sqrt{2/\pi}\,(z + 0.044715\,z^3)\big)\big).

    The two differ by less than :math:`10^{-3}` everywhere. Shape in = shape out; finite for every finite ``z``.
    """
    z = np.asarray(z)
    if not approximate:
        from scipy.special import ndtr  # Phi(z), accurate in both tails; imported here to keep course_lib light

        return z * ndtr(z).astype(np.result_type(z, np.float32), copy=False)
    return _gelu_tanh_parts(_as_float(z))[0].reshape(z.shape)


def gelu_grad(z: np.ndarray, approximate: bool = True) -> np.ndarray:
    r"""Derivative of :func:`gelu`. Exact form: :math:`\mathrm{GELU}'(z) = \Phi(z) + z\,\varphi(z)` with
    :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}`. tanh form, with :math:`c = \sqrt{2/\pi}`, :math:`a = 0.044715`
    and :math:`t = \tanh(c(z + a z^3))`:

    .. math:: \mathrm{GELU}'(z) = \tfrac12 (1 + t) + \tfrac12 z\,(1 - t^2)\, c\,(1 + 3 a z^2).

    Shape in = shape out.
    """
    z = np.asarray(z)
    if not approximate:
        from scipy.special import ndtr

        dtype = np.result_type(z, np.float32)
        zc = np.clip(z, -40.0, 40.0)  # exp(-z^2/2) underflows to 0 beyond; avoids overflow of z^2 for huge z
        phi = np.exp(-0.5 * zc * zc) / np.sqrt(2.0 * np.pi)
        return (ndtr(z) + zc * phi).astype(dtype, copy=False)
    _, s, zc = _gelu_tanh_parts(_as_float(z))
    return _gelu_tanh_grad(s, zc).reshape(z.shape)


def _as_float(z: np.ndarray) -> np.ndarray:
    """``z`` as a floating-point array of at least one dimension (integers become float64), for in-place
    arithmetic."""
    z = np.atleast_1d(z)
    return z if z.dtype.kind == "f" else z.astype(np.result_type(z, np.float32))


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
