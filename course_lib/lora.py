r"""LoRA, low-rank adaptation of a frozen weight matrix (chapter "Adapting a large model cheaply").

Hu et al. (2021) fine-tune a large model by freezing every pre-trained weight matrix :math:`W` (:math:`d_{in}
\times d_{out}`) and learning a low-rank correction :math:`\Delta W = s\,A B` beside it, with :math:`A` of shape
:math:`(d_{in}, r)`, :math:`B` of shape :math:`(r, d_{out})`, a rank :math:`r \ll \min(d_{in}, d_{out})` and the
scale :math:`s = \alpha / r`. In the course's row-vector convention (``x W``, the layout of Keras' ``Dense``
kernels) the adapted layer is

.. math:: y = x W + s\,(x A) B, \qquad s = \alpha / r .

As in the paper, :math:`A` starts Gaussian and :math:`B` at zero, so that :math:`\Delta W = 0` and the adapted
model starts exactly as the pre-trained one. (The paper writes :math:`h = W_0 x + B A x` for column vectors, with
its :math:`A` of shape :math:`(r, k)` Gaussian and :math:`B` of shape :math:`(d, r)` zero: the same layer,
transposed.) The gradients, for an upstream gradient :math:`\partial L/\partial y` of shape (m, d_out):

.. math::
    \frac{\partial L}{\partial B} = s\,(xA)^\top \frac{\partial L}{\partial y}, \qquad
    \frac{\partial L}{\partial A} = s\,x^\top \frac{\partial L}{\partial y} B^\top, \qquad
    \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,(W + s A B)^\top .

Inside a larger model the same rule works from the gradient of the *effective* matrix
:math:`W_{\text{eff}} = W + s A B`: if :math:`G = \partial L/\partial W_{\text{eff}}`, then
:math:`\partial L/\partial A = s\, G B^\top` and :math:`\partial L/\partial B = s\, A^\top G` (with
:math:`G = x^\top\,\partial L/\partial y` these are the formulas above). :class:`LoRAGPT` uses this to fine-tune
:class:`course_lib.gpt.GPT` through the training loop :func:`course_lib.training.fit`.

After training, :func:`merge` folds the adapter into the weight, :math:`W' = W + s A B`: the merged layer computes
the same outputs with no extra cost at inference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._validation import _describe, check_array, check_int, check_positive
from .gpt import _blas_threads

__all__ = ["lora_init", "lora_forward", "lora_backward", "merge", "LoRAGPT", "optimizer_state_bytes"]


def _scale(alpha, rank: int) -> float:
    return check_positive(alpha, "alpha") / rank


def _check_factors(W: np.ndarray, A, B, names=("W", "A", "B")) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B`` as arrays of W's dtype after checking their shapes against ``W`` (d_in, d_out)."""
    dt = W.dtype
    A = check_array(A, names[1], dtype=dt)
    B = check_array(B, names[2], dtype=dt)
    d_in, d_out = W.shape
    if A.shape[0] != d_in:
        raise ValueError(f"{names[1]} must have shape (d_in, r) = ({d_in}, r) for {names[0]} of shape {W.shape}; "
                         f"got shape {A.shape}")
    if B.shape != (A.shape[1], d_out):
        raise ValueError(f"{names[2]} must have shape (r, d_out) = ({A.shape[1]}, {d_out}) for {names[1]} of shape "
                         f"{A.shape} and {names[0]} of shape {W.shape}; got shape {B.shape}")
    return A, B


def lora_init(d_in: int, d_out: int, rank: int, seed: int | None = 0, std: float | None = None,
              dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    r"""The initial adapter of Hu et al. (2021): :math:`A \sim \mathcal N(0, \sigma^2)` of shape (d_in, r) and
    :math:`B = 0` of shape (r, d_out), so that :math:`\Delta W = s A B = 0`.

    ``std`` (:math:`\sigma`) defaults to :math:`1/\sqrt{d_{in}}`, which keeps :math:`xA` at the scale of
    :math:`x` (the paper says only "random Gaussian"; Keras' ``Dense.enable_lora`` draws :math:`A` from
    ``he_uniform``). Draws in float64 from ``np.random.default_rng(seed)`` and casts to ``dtype``.
    """
    d_in = check_int(d_in, "d_in")
    d_out = check_int(d_out, "d_out")
    rank = check_int(rank, "rank")
    std = 1.0 / math.sqrt(d_in) if std is None else check_positive(std, "std")
    rng = np.random.default_rng(seed)
    A = rng.normal(0.0, std, size=(d_in, rank)).astype(dtype)
    return A, np.zeros((rank, d_out), dtype=dtype)


def lora_forward(x, W, A, B, alpha: float) -> tuple[np.ndarray, tuple]:
    r"""The adapted layer :math:`y = x W + s\,(x A) B` with :math:`s = \alpha / r`.

    Parameters
    ----------
    x : (m, d_in)
    W : (d_in, d_out), the frozen weight
    A : (d_in, r), B : (r, d_out), the adapter
    alpha : float > 0

    Returns
    -------
    y : (m, d_out)
    cache : what :func:`lora_backward` needs, ``(x, xA, W, A, B, s)``
    """
    W = check_array(W, "W", dtype=np.asarray(W).dtype if np.asarray(W).dtype.kind == "f" else np.float64)
    A, B = _check_factors(W, A, B)
    x = check_array(x, "x", dtype=W.dtype, n_features=W.shape[0])
    s = _scale(alpha, A.shape[1])
    xA = x @ A
    y = x @ W + s * (xA @ B)
    return y, (x, xA, W, A, B, s)


def lora_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of the adapted layer from :math:`\partial L/\partial y` (m, d_out): returns
    ``(dx, dA, dB)`` with :math:`dA = s\,x^\top dy\,B^\top`, :math:`dB = s\,(xA)^\top dy` and
    :math:`dx = dy\,W^\top + s\,(dy B^\top) A^\top`. :math:`W` is frozen: no gradient is computed for it."""
    x, xA, W, A, B, s = cache
    dy = np.asarray(dy, dtype=W.dtype)
    if dy.shape != (len(x), W.shape[1]):
        raise ValueError(f"dy must have the shape of the layer's output, {(len(x), W.shape[1])}; got {dy.shape}")
    dyBt = dy @ B.T  # (m, r)
    dA = s * (x.T @ dyBt)
    dB = s * (xA.T @ dy)
    dx = dy @ W.T + s * (dyBt @ A.T)
    return dx, dA, dB


def merge(W, A, B, alpha: float) -> np.ndarray:
    r"""The merged weight :math:`W' = W + s\,A B`, :math:`s = \alpha / r`: ``x @ merge(W, A, B, alpha)`` equals
    :func:`lora_forward`'s output up to rounding, with one matrix product instead of three."""
    W = check_array(W, "W", dtype=np.asarray(W).dtype if np.asarray(W).dtype.kind == "f" else np.float64)
    A, B = _check_factors(W, A, B)
    return W + _scale(alpha, A.shape[1]) * (A @ B)


def optimizer_state_bytes(optimizer) -> int:
    """Bytes of the arrays a course_lib optimizer keeps between steps (its per-parameter buffers, and the
    clipping buffers when ``global_clipnorm`` is set); 0 before its first step. For :class:`course_lib.Adam` and
    ``AdamW`` that is three arrays of each parameter's size: the two moments and one scratch array."""
    slots = getattr(optimizer, "_slots", None)
    if slots is None:
        return 0
    total = sum(b.nbytes for slot in slots for b in slot)
    clip = getattr(optimizer, "_clip_bufs", None)
    return int(total + (sum(b.nbytes for b in clip) if clip is not None else 0))


class LoRAGPT:
    r"""A :class:`course_lib.gpt.GPT` fine-tuned with LoRA adapters on chosen weight matrices; every pre-trained
    weight is frozen (chapter "Adapting a large model cheaply").

    For each adapted matrix :math:`W` (``targets``, e.g. ``("Wq", "Wv")`` in every block, the choice of Hu et
    al. 2021 for GPT-3) the model holds a trainable pair :math:`A` (d_in, r), :math:`B` (r, d_out) and computes
    with :math:`W_{\text{eff}} = W + s A B`, :math:`s = \alpha / r`. It implements the model protocol of
    :func:`course_lib.training.fit`: :attr:`params` is the list ``[A_1, B_1, A_2, B_2, ...]`` (in
    :attr:`adapted` order), and :meth:`_loss_grads_logits` runs the GPT's forward and backward passes with the
    effective weights and maps each gradient :math:`G = \partial L/\partial W_{\text{eff}}` to
    :math:`\partial L/\partial A = s\,G B^\top` and :math:`\partial L/\partial B = s\,A^\top G`.

    What this saves is memory for the optimizer's state and the trainable weights, not arithmetic: the GPT's
    backward pass here still computes the gradient of every weight (those of the frozen ones are thrown away). A
    production implementation skips them, which removes about a third of the backward pass's matrix products of
    the frozen layers.

    Parameters
    ----------
    base : GPT
        The pre-trained model; it is copied, never modified.
    rank : int
        :math:`r \ge 1`, at most ``min(d_in, d_out)`` of every adapted matrix.
    alpha : float
        :math:`\alpha > 0`; the scale is :math:`s = \alpha / r` (default :math:`\alpha = r`, so :math:`s = 1`).
    targets : sequence of str
        Names of block matrices to adapt in every block (``"Wq", "Wk", "Wv", "Wo", "W1", "W2"``), or full
        parameter names such as ``"block1.W1"`` or ``"W_out"``.
    seed : int or None
        Seed of the :math:`A` matrices (:func:`lora_init`, one draw per matrix in order).
    """

    output = "softmax"
    #: BLAS threads inside the methods, as :attr:`course_lib.gpt.GPT.blas_threads` (the small products A B and
    #: G B^T are fastest on one thread, like the GPT's own).
    blas_threads: int | None = 1
    _BLOCK_MATRICES = ("Wq", "Wk", "Wv", "Wo", "W1", "W2")

    def __init__(self, base, rank: int, alpha: float | None = None, targets: Sequence[str] = ("Wq", "Wv"),
                 seed: int | None = 0):
        from .gpt import GPT

        if not isinstance(base, GPT):
            raise TypeError(f"base must be a course_lib.gpt.GPT; got {_describe(base)}")
        self.rank = check_int(rank, "rank")
        self.alpha = float(self.rank) if alpha is None else check_positive(alpha, "alpha")
        self.scale = self.alpha / self.rank
        if isinstance(targets, str) or not isinstance(targets, Sequence) or not targets:
            raise TypeError(f"targets must be a non-empty list of weight names such as ['Wq', 'Wv']; got "
                            f"{_describe(targets)}")
        names = base.param_names
        chosen: list[int] = []
        for t in targets:
            if t in self._BLOCK_MATRICES:
                idx = [names.index(f"block{l}.{t}") for l in range(base.n_layers)]
            elif t in names and base.params[names.index(t)].ndim == 2 and t not in ("wte", "wpe"):
                idx = [names.index(t)]
            else:
                raise ValueError(
                    f"targets: {t!r} is not a weight matrix of the GPT; expected one of "
                    f"{list(self._BLOCK_MATRICES)}, 'W_out' or a name such as 'block0.W1'")
            chosen += [i for i in idx if i not in chosen]
        self.model = GPT(**base.config())  # the working copy: its adapted matrices hold W + s A B
        self.model.set_weights(base.params)
        self.model.n_threads, self.model.blas_threads = base.n_threads, base.blas_threads
        self.adapted = chosen
        self.adapted_names = [names[i] for i in chosen]
        self.frozen = [base.params[i].copy() for i in chosen]  # the pre-trained W of each adapted matrix
        for W in self.frozen:
            if self.rank > min(W.shape):
                raise ValueError(f"rank must be at most min(d_in, d_out) = {min(W.shape)} of every adapted matrix; "
                                 f"got rank = {self.rank}")
        self.params: list[np.ndarray] = []
        rng = np.random.default_rng(seed)
        for W in self.frozen:
            A, B = lora_init(W.shape[0], W.shape[1], self.rank, seed=int(rng.integers(2**31)), dtype=W.dtype)
            self.params += [A, B]
        self.dtype = self.model.dtype

    # ------------------------------------------------------------------ sizes
    @property
    def n_params(self) -> int:
        r"""Trainable parameters: :math:`r\,(d_{in} + d_{out})` per adapted matrix."""
        return int(sum(p.size for p in self.params))

    @property
    def n_outputs(self) -> int:
        return self.model.vocab_size

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the adapter matrices ``[A_1, B_1, ...]``."""
        return [p.copy() for p in self.params]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Replace the adapter matrices (in place) by copies of ``weights``, in :meth:`get_weights` order."""
        if len(weights) != len(self.params):
            raise ValueError(f"weights must be a list of {len(self.params)} adapter arrays [A_1, B_1, ...]; got "
                             f"{len(weights)}")
        for i, (p, w) in enumerate(zip(self.params, weights)):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"weights[{i}] must have shape {p.shape}; got {w.shape}")
            p[...] = w

    # ------------------------------------------------------------------ the adapted model
    @_blas_threads
    def _sync(self) -> None:
        """Write :math:`W + s A B` into the working copy's adapted matrices."""
        for k, i in enumerate(self.adapted):
            A, B = self.params[2 * k], self.params[2 * k + 1]
            np.matmul(A, B, out=self.model.params[i])
            self.model.params[i] *= self.model.dtype.type(self.scale)
            self.model.params[i] += self.frozen[k]

    def merged(self):
        """A new :class:`course_lib.gpt.GPT` with the adapters merged, :math:`W' = W + s A B` (:func:`merge`)."""
        from .gpt import GPT

        out = GPT(**self.model.config())
        weights = self.model.get_weights()
        for k, i in enumerate(self.adapted):
            weights[i] = merge(self.frozen[k], self.params[2 * k], self.params[2 * k + 1], self.alpha)
        out.set_weights(weights)
        return out

    # ------------------------------------------------------------------ the training loop's protocol
    def _check_X(self, X, name: str = "X"):
        return self.model._check_X(X, name)

    def _check_X_y(self, X, Y, names=("X", "Y")):
        return self.model._check_X_y(X, Y, names)

    def loss_from_logits(self, logits, Y) -> float:
        return self.model.loss_from_logits(logits, Y)

    def _forward_logits(self, X):
        self._sync()
        return self.model._forward_logits(X)

    def forward(self, X) -> np.ndarray:
        """Logits (m, t, V) of the adapted model."""
        self._sync()
        return self.model.forward(X)

    def loss(self, X, Y) -> float:
        """Mean next-token cross-entropy of the adapted model."""
        self._sync()
        return self.model.loss(X, Y)

    @_blas_threads
    def _loss_grads_logits(self, X, Y):
        self._sync()
        loss, grads, logits = self.model._loss_grads_logits(X, Y)
        s = self.model.dtype.type(self.scale)
        out = []
        for k, i in enumerate(self.adapted):
            G, A, B = grads[i], self.params[2 * k], self.params[2 * k + 1]
            out += [s * (G @ B.T), s * (A.T @ G)]
        return loss, out, logits

    def loss_and_grads(self, X, Y) -> tuple[float, list[np.ndarray]]:
        r"""Loss and its gradients with respect to ``[A_1, B_1, ...]``."""
        X, Y = self._check_X_y(X, Y)
        loss, grads, _ = self._loss_grads_logits(X, Y)
        return loss, grads

    def __repr__(self) -> str:
        return (f"LoRAGPT(rank={self.rank}, alpha={self.alpha}, adapted={self.adapted_names}, "
                f"n_params={self.n_params})")
