r"""Layers as forward/backward pairs (chapters "Neurons and the forward pass" and "Backpropagation").

Each ``*_forward`` returns ``(out, cache)`` and the matching ``*_backward`` takes the upstream gradient and that
cache, in the style of the CS231n assignments. Samples are rows: a batch of ``m`` inputs with ``n`` features is an
(m, n) array, so a dense layer computes :math:`Z = A_{\text{prev}} W + \mathbf b` with ``W`` of shape
(n_in, n_out), the layout of Keras' ``Dense`` kernel.
"""

from __future__ import annotations

import numpy as np

from .activations import HIDDEN_ACTIVATIONS

__all__ = ["dense_forward", "dense_backward", "activation_forward", "activation_backward"]


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
