r"""Layers as forward/backward pairs (chapters "Neurons and the forward pass", "Backpropagation", "Tokens and
embeddings" and "A GPT from scratch").

Each ``*_forward`` returns ``(out, cache)`` and the matching ``*_backward`` takes the upstream gradient and that
cache, in the style of the CS231n assignments. Samples are rows: a batch of ``m`` inputs with ``n`` features is an
(m, n) array, so a dense layer computes :math:`Z = A_{\text{prev}} W + \mathbf b` with ``W`` of shape
(n_in, n_out), the layout of Keras' ``Dense`` kernel.

The transformer layers (embedding, layer normalization, GELU) act on the last axis and accept any number of
leading axes: a batch of ``B`` sequences of ``T`` tokens with ``d`` features each is a (B, T, d) array.
"""

from __future__ import annotations

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, _gelu_tanh_grad, _gelu_tanh_parts, gelu, gelu_grad

__all__ = [
    "dense_forward",
    "dense_backward",
    "activation_forward",
    "activation_backward",
    "embedding_forward",
    "embedding_backward",
    "layer_norm_forward",
    "layer_norm_backward",
    "gelu_forward",
    "gelu_backward",
]


def dense_forward(a_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    r"""Affine map :math:`Z^{[l]} = A^{[l-1]} W^{[l]} + \mathbf b^{[l]}` (the bias is added to every row).

    Shapes: ``a_prev`` (m, n_in), ``W`` (n_in, n_out), ``b`` (n_out,) -> ``z`` (m, n_out).
    Returns ``(z, cache)`` with ``cache = (a_prev, W)`` for :func:`dense_backward`.
    """
    z = a_prev @ W
    z += b
    return z, (a_prev, W)


def dense_backward(
    delta: np.ndarray, cache: tuple, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    r"""Gradients of a dense layer, given :math:`\delta^{[l]} = \partial L/\partial Z^{[l]}`:

    .. math::
        \frac{\partial L}{\partial W^{[l]}} = (A^{[l-1]})^\top \delta^{[l]}, \qquad
        \frac{\partial L}{\partial \mathbf b^{[l]}} = \sum_i \delta^{[l]}_{i,:}, \qquad
        \frac{\partial L}{\partial A^{[l-1]}} = \delta^{[l]} (W^{[l]})^\top.

    Shapes: ``delta`` (m, n_out) -> ``da_prev`` (m, n_in), ``dW`` (n_in, n_out), ``db`` (n_out,). The mean over
    samples is already inside ``delta`` (the loss gradient divides by ``m``). With ``input_grad=False``,
    ``da_prev`` is not computed and ``None`` is returned in its place: the first layer's input is the data, whose
    gradient training never needs (this saves a third of that layer's backward work).
    """
    a_prev, W = cache
    da_prev = delta @ W.T if input_grad else None
    return da_prev, a_prev.T @ delta, delta.sum(axis=0)


def activation_forward(z: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    r"""Hidden activation :math:`A^{[l]} = g(Z^{[l]})` for ``name`` in relu, sigmoid, tanh.

    Returns ``(a, cache)`` with ``cache = z``. Shape in = shape out.
    """
    g, _ = HIDDEN_ACTIVATIONS[name]
    return g(z), z


def activation_backward(da: np.ndarray, cache: np.ndarray, name: str) -> np.ndarray:
    r"""Backpropagate through a hidden activation: :math:`\delta^{[l]} = \partial L/\partial A^{[l]} \odot
    g'(Z^{[l]})` (elementwise product). Shapes: ``da`` and ``cache`` (= ``z``), both (m, n) -> (m, n)."""
    _, g_prime = HIDDEN_ACTIVATIONS[name]
    return da * g_prime(cache)


# ---------------------------------------------------------------------------------------------- transformer layers
def embedding_forward(ids: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, tuple]:
    r"""Embedding lookup (chapter "Tokens and embeddings"): row :math:`i` of the table for token id :math:`i`,

    .. math:: \mathrm{out}[\dots, :] = E[\mathrm{ids}[\dots], :] = \mathrm{onehot}(\mathrm{ids}) \, E,

    the product of a one-hot row with the matrix, computed as an indexing (no one-hot is built).

    Shapes: ``ids`` integers in [0, V) of any shape S (for example (B, T)), ``E`` (V, d) -> ``out`` S + (d,).
    Returns ``(out, cache)`` with ``cache = (ids, V)`` for :func:`embedding_backward`. The ids are trusted (the
    models validate them at their boundary).
    """
    return E[ids], (ids, E.shape[0])


def embedding_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    r"""Gradient of the embedding table: as :math:`\mathrm{out} = \mathrm{onehot}(\mathrm{ids})\,E`,

    .. math:: \frac{\partial L}{\partial E} = \mathrm{onehot}(\mathrm{ids})^\top \frac{\partial L}{\partial
        \mathrm{out}}, \qquad \frac{\partial L}{\partial E_{v,:}} = \sum_{n:\ \mathrm{ids}_n = v}
        \frac{\partial L}{\partial \mathrm{out}_{n,:}}:

    each row of ``dout`` is added to the row of its token; a token that occurs several times collects the sum,
    and rows of tokens that do not occur are 0. Shapes: ``dout`` S + (d,) -> ``dE`` (V, d).
    """
    ids, V = cache
    d = dout.shape[-1]
    dE = np.zeros((V, d), dtype=dout.dtype)
    np.add.at(dE, ids.reshape(-1), dout.reshape(-1, d))  # unbuffered: repeated ids accumulate
    return dE


def layer_norm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, tuple]:
    r"""Layer normalization (Ba, Kiros and Hinton, 2016; chapter "A GPT from scratch") over the last axis:

    .. math::
        \mu = \frac1d \sum_j x_j, \qquad \sigma^2 = \frac1d \sum_j (x_j - \mu)^2, \qquad
        \hat x_j = \frac{x_j - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad
        \mathrm{out}_j = \gamma_j \hat x_j + \beta_j,

    for every position separately (the biased variance, as ``keras.layers.LayerNormalization``, whose default
    ``epsilon`` is 1e-3; GPT-2 and this course use 1e-5).

    Shapes: ``x`` (..., d), ``gamma`` and ``beta`` (d,) -> ``out`` (..., d). Returns ``(out, cache)`` with
    ``cache = (x_hat, rstd, gamma)``, :math:`\mathrm{rstd} = 1/\sqrt{\sigma^2 + \varepsilon}` of shape (..., 1).
    """
    d = x.shape[-1]
    mu = x.sum(axis=-1, keepdims=True)
    mu /= d
    xc = x - mu
    var = np.einsum("...j,...j->...", xc, xc)[..., None]  # sum of squares without a temporary
    var /= d
    var += eps
    rstd = np.sqrt(var, out=var)
    np.divide(1.0, rstd, out=rstd)
    x_hat = xc
    x_hat *= rstd
    out = x_hat * gamma
    out += beta
    return out, (x_hat, rstd, gamma)


def layer_norm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`layer_norm_forward`. With :math:`g = \partial L/\partial \hat x = \gamma \odot
    \partial L/\partial\mathrm{out}` and the means taken over the last axis (the derivation in chapter "A GPT
    from scratch" differentiates :math:`\mu` and :math:`\sigma` too):

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \varepsilon}}
            \Big(g - \overline{g} - \hat x\, \overline{g \odot \hat x}\Big), \qquad
        \frac{\partial L}{\partial \gamma} = \sum_{\text{positions}} \frac{\partial L}{\partial\mathrm{out}}
            \odot \hat x, \qquad
        \frac{\partial L}{\partial \beta} = \sum_{\text{positions}} \frac{\partial L}{\partial\mathrm{out}}.

    Shapes: ``dout`` (..., d) -> ``dx`` (..., d), ``dgamma`` (d,), ``dbeta`` (d,).
    """
    x_hat, rstd, gamma = cache
    d = dout.shape[-1]
    dout2 = dout.reshape(-1, d)
    x_hat2 = x_hat.reshape(-1, d)
    dbeta = dout2.sum(axis=0)
    dgamma = np.einsum("nj,nj->j", dout2, x_hat2)
    g = dout * gamma
    mean_g = g.mean(axis=-1, keepdims=True)
    mean_gx = np.einsum("...j,...j->...", g, x_hat)[..., None]
    mean_gx /= d
    g -= mean_g
    dx = x_hat * mean_gx
    np.subtract(g, dx, out=dx)
    dx *= rstd
    return dx, dgamma, dbeta


def gelu_forward(z: np.ndarray, approximate: bool = True) -> tuple[np.ndarray, tuple]:
    r"""GELU activation :math:`a = \mathrm{GELU}(z)` (:func:`course_lib.activations.gelu`; chapter "A GPT from
    scratch"), tanh approximation by default. Shape in = shape out.

    Returns ``(a, cache)``; for the tanh form the cache keeps :math:`s = \tfrac12(1 + \tanh(\cdot))` (so that
    :math:`a = z s`) and the backward pass needs no second ``tanh``.
    """
    if not approximate:
        return gelu(z, approximate=False), (z, None)
    a, s, zc = _gelu_tanh_parts(z)
    return a, (zc, s)


def gelu_backward(da: np.ndarray, cache: tuple) -> np.ndarray:
    r""":math:`\partial L/\partial z = \partial L/\partial a \odot \mathrm{GELU}'(z)` with the derivative of
    :func:`course_lib.activations.gelu_grad`; for the tanh form, from the cached :math:`s`,
    :math:`\mathrm{GELU}'(z) = s + 2c\, z\, s(1 - s)(1 + 3 a z^2)` (as :math:`1 - \tanh^2 = 4 s (1 - s)`).
    Shapes: ``da`` like ``z``."""
    zc, s = cache
    if s is None:
        return da * gelu_grad(zc, approximate=False)
    dz = _gelu_tanh_grad(s, zc)
    dz *= da
    return dz
