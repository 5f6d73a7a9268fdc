r"""Gradient checking by central differences (chapter "Backpropagation").

The derivative of a scalar function :math:`f` with respect to one entry :math:`\theta_j` is approximated by

.. math:: \frac{\partial f}{\partial \theta_j} \approx \frac{f(\theta + \varepsilon e_j) - f(\theta - \varepsilon e_j)}{2\varepsilon},

whose error is :math:`O(\varepsilon^2)`. Analytic gradients :math:`g` are compared with the numerical ones
:math:`\tilde g` by the relative error :math:`\lVert g - \tilde g\rVert / \max(\lVert g\rVert + \lVert\tilde g\rVert,
10^{-12})`, computed per parameter array. In float64 with :math:`\varepsilon = 10^{-6}` a correct implementation
gives about :math:`10^{-9}` or less; anything above :math:`10^{-7}` deserves a look, above :math:`10^{-3}` is a bug.
Use float64: in float32 the rounding error of :math:`f` swamps the difference quotient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "gradcheck", "check_model_gradients"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of ``f()`` with respect to the array ``x``, which ``f`` reads.

    Each entry :math:`x_j` is perturbed in place by :math:`\pm\varepsilon` and restored. Returns an array of
    ``x``'s shape. Costs ``2 * x.size`` evaluations of ``f``.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x = x.reshape(-1)  # a view: writing to it perturbs x
    if not np.shares_memory(flat_x, x):
        raise ValueError("x must be a contiguous array that f reads in place; got a non-contiguous array")
    flat_g = grad.reshape(-1)
    for j in range(flat_x.size):
        old = flat_x[j]
        flat_x[j] = old + eps
        f_plus = f()
        flat_x[j] = old - eps
        f_minus = f()
        flat_x[j] = old
        flat_g[j] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(g: np.ndarray, g_num: np.ndarray) -> float:
    r""":math:`\lVert g - \tilde g\rVert_2 / \max(\lVert g\rVert_2 + \lVert\tilde g\rVert_2,\ 10^{-12})`."""
    g = np.asarray(g, dtype=np.float64)
    g_num = np.asarray(g_num, dtype=np.float64)
    if g.shape != g_num.shape:
        raise ValueError(f"g and g_num must have the same shape; got {g.shape} and {g_num.shape}")
    return float(np.linalg.norm(g - g_num) / max(np.linalg.norm(g) + np.linalg.norm(g_num), 1e-12))


def gradcheck(
    f: Callable[[], float], params: Sequence[np.ndarray], grads: Sequence[np.ndarray], eps: float = 1e-6
) -> float:
    """Maximum relative error between analytic ``grads`` and central differences of ``f`` over ``params``.

    ``f`` takes no arguments and reads the arrays in ``params`` (which are perturbed in place and restored);
    ``grads[i]`` is the analytic gradient of ``f`` with respect to ``params[i]``.
    """
    if len(params) != len(grads):
        raise ValueError(f"params and grads must have the same length; got {len(params)} and {len(grads)}")
    return max(relative_error(g, numerical_gradient(f, p, eps)) for p, g in zip(params, grads))


def check_model_gradients(model, X: np.ndarray, y: np.ndarray, eps: float = 1e-6) -> float:
    """Gradient check of ``model.loss_and_grads(X, y)`` for every parameter of an MLP.

    Use a float64 model (``MLP(..., dtype="float64")``) and a handful of samples. Returns the maximum relative
    error over the parameter arrays.
    """
    _, grads = model.loss_and_grads(X, y)
    return gradcheck(lambda: model.loss(X, y), model.params, grads, eps)
