r"""Scaled dot-product attention and multi-head attention as forward/backward pairs (chapter "Attention").

Notation: a batch of ``B`` sequences of ``T`` tokens, each a ``d``-vector (``d = d_model``), is an array ``x`` of
shape (B, T, d). Attention maps queries :math:`Q` (Tq, d_k), keys :math:`K` (Tk, d_k) and values :math:`V`
(Tk, d_v) to

.. math::
    S = \frac{Q K^\top}{\sqrt{d_k}}, \qquad P = \mathrm{softmax}(S) \text{ (row-wise)}, \qquad
    \mathrm{out} = P V,

so that output row :math:`i` is a weighted average of the value rows, with weights :math:`P_{ij}` that say how
well query :math:`i` matches key :math:`j` (Vaswani et al., 2017). A boolean mask (True = may attend) removes
pairs: their score becomes :math:`-\infty` and their weight 0. The causal mask lets position :math:`i` attend only
to positions :math:`j \le i`, which is what lets a GPT predict every next token of a sequence in one pass.

Every function accepts any number of leading batch axes (``...``), computed by batched ``np.matmul`` on arrays of
shape (B, h, T, d_k) for ``h`` heads: no Python loop over samples, heads or positions.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._validation import check_int

__all__ = [
    "causal_mask",
    "masked_softmax",
    "scaled_dot_product_attention_forward",
    "scaled_dot_product_attention_backward",
    "split_heads",
    "merge_heads",
    "multi_head_attention_forward",
    "multi_head_attention_backward",
    "attention_weights",
]


def causal_mask(T: int) -> np.ndarray:
    r"""The causal (look-ahead) mask: a boolean (T, T) array with ``mask[i, j] = (j <= i)``, True where query
    position :math:`i` may attend to key position :math:`j` (itself and the past, never the future).

    The returned array is shared between calls with the same ``T`` and read-only; copy it to modify it.
    """
    return _causal_mask(check_int(T, "T"))


@lru_cache(maxsize=64)
def _causal_mask(T: int) -> np.ndarray:
    mask = np.tril(np.ones((T, T), dtype=bool))
    mask.setflags(write=False)
    return mask


def masked_softmax(S: np.ndarray, mask: np.ndarray | None = None, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis`` (the keys), restricted to the entries where ``mask`` is True:

    .. math:: P_{ij} = \frac{m_{ij}\, e^{S_{ij} - c_i}}{\sum_k m_{ik}\, e^{S_{ik} - c_i}}, \qquad
        c_i = \max_{k:\ m_{ik}} S_{ik},

    computed by setting masked scores to :math:`-\infty` (whose exponential is exactly 0). Subtracting the row
    maximum :math:`c_i` of the allowed entries keeps every ``exp`` at most 1, so nothing overflows. A row with no
    allowed entry gets weights 0 (not NaN: there is nothing to average, so the output of attention is 0).

    Shapes: ``S`` (..., Tq, Tk) for ``axis=-1``; ``mask`` boolean, broadcastable to ``S`` (for example (Tq, Tk)),
    or None. **Overwrites** ``S`` with the result (the scores are not needed afterwards) and returns it.
    """
    if mask is not None:
        np.copyto(S, -np.inf, where=~mask)
    return _softmax_inplace(S, axis, mask is not None)


def _softmax_inplace(S: np.ndarray, axis: int, may_have_empty_rows: bool) -> np.ndarray:
    """Softmax of ``S`` along ``axis``, in place, for scores whose masked entries are already -inf."""
    c = S.max(axis=axis, keepdims=True)
    if may_have_empty_rows:
        c[~np.isfinite(c)] = 0.0  # a fully masked row: -inf - (-inf) would be NaN
    S -= c
    P = np.exp(S, out=S)
    denom = P.sum(axis=axis, keepdims=True)
    if may_have_empty_rows:
        denom[denom == 0] = 1.0  # fully masked rows stay 0
    np.divide(1.0, denom, out=denom)
    P *= denom
    return P


@lru_cache(maxsize=64)
def _causal_bias_t(T: int, dtype: np.dtype) -> np.ndarray:
    """The transposed causal mask as an additive bias: 0 where key j may be seen by query i (j <= i), else -inf;
    shape (Tk, Tq) = (T, T)."""
    bias = np.where(_causal_mask(T).T, 0.0, -np.inf).astype(dtype)
    bias.setflags(write=False)
    return bias


def _is_causal(mask: np.ndarray | None) -> bool:
    """Whether ``mask`` is the (T, T) causal mask."""
    if mask is None or mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        return False
    reference = _causal_mask(mask.shape[0])
    return mask is reference or np.array_equal(mask, reference)


# The two functions below are the computation shared by scaled dot-product and multi-head attention. They store
# the scores and weights transposed, (..., Tk, Tq): NumPy's reductions (the softmax's maximum and sum over the
# keys) are about three times faster along a non-final axis than along short final rows, and the matrix
# products read the transposed operands at no cost (BLAS's transpose flags). The mask is applied by adding 0 or
# -inf, cached for the causal mask.
def _attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None,
                       out: np.ndarray | None = None) -> tuple:
    """``softmax(q k^T) v`` for queries ``q`` already multiplied by ``1/sqrt(d_k)``, written into ``out`` when
    given; returns ``(out, Pt)`` with the weights ``Pt = P^T`` of shape (..., Tk, Tq)."""
    St = np.matmul(k, np.swapaxes(q, -1, -2))  # S^T: (..., Tk, Tq)
    if _is_causal(mask):
        St += _causal_bias_t(mask.shape[0], St.dtype)
        Pt = _softmax_inplace(St, -2, False)  # causal: every query sees at least itself
    else:
        Pt = masked_softmax(St, None if mask is None else np.swapaxes(mask, -1, -2), axis=-2)
    return np.matmul(np.swapaxes(Pt, -1, -2), v, out=out), Pt


def _attention_backward(dout: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, Pt: np.ndarray,
                        out: np.ndarray | None = None) -> tuple:
    """Gradients ``(dq, dk, dv)`` of :func:`_attention_forward` (formulas in
    :func:`scaled_dot_product_attention_backward`, with everything of shape (Tq, Tk) transposed), written into
    ``out[0]``, ``out[1]``, ``out[2]`` when given."""
    dq, dk, dv = (None, None, None) if out is None else out
    dv = np.matmul(Pt, dout, out=dv)  # P^T dO
    dSt = np.matmul(v, np.swapaxes(dout, -1, -2))  # dP^T = V dO^T
    row = np.einsum("...ji,...ji->...i", dSt, Pt)[..., None, :]  # sum_k dP_ik P_ik, for each query i
    dSt -= row
    dSt *= Pt
    dq = np.matmul(np.swapaxes(dSt, -1, -2), k, out=dq)  # dS K
    dk = np.matmul(dSt, q, out=dk)  # dS^T q
    return dq, dk, dv


def scaled_dot_product_attention_forward(
    Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, tuple]:
    r"""Scaled dot-product attention (Vaswani et al., 2017; chapter "Attention"):

    .. math:: \mathrm{out} = \mathrm{softmax}\!\Big(\frac{Q K^\top}{\sqrt{d_k}} \text{ masked}\Big)\, V.

    Dividing by :math:`\sqrt{d_k}` keeps the scores' variance about 1 when the entries of :math:`Q` and :math:`K`
    have variance 1 (a dot product of :math:`d_k` such terms has variance :math:`d_k`), so the softmax does not
    saturate at initialisation. (Computed as :math:`(Q/\sqrt{d_k}) K^\top`, scaling the smaller array.)

    Parameters
    ----------
    Q : array (..., Tq, d_k)
    K : array (..., Tk, d_k)
    V : array (..., Tk, d_v)
        The leading axes (for example (B, h)) must broadcast.
    mask : boolean array broadcastable to (..., Tq, Tk), optional
        True where query :math:`i` may attend to key :math:`j` (see :func:`causal_mask`). A query whose row is all
        False gets weights 0 and output 0.

    Returns
    -------
    out : array (..., Tq, d_v)
    cache : tuple
        ``(Q / sqrt(d_k), K, V, P, scale)`` for :func:`scaled_dot_product_attention_backward`; ``cache[3]``,
        ``P`` of shape (..., Tq, Tk), are the attention weights (a transposed view of the array computed).
    """
    mask = _check_mask(mask)
    scale = 1.0 / math.sqrt(Q.shape[-1])  # a Python float: keeps float32 arrays float32
    q = Q * scale
    out, Pt = _attention_forward(q, K, V, mask)
    return out, (q, K, V, np.swapaxes(Pt, -1, -2), scale)


def scaled_dot_product_attention_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`scaled_dot_product_attention_forward`. With :math:`S = QK^\top/\sqrt{d_k}`,
    :math:`P = \mathrm{softmax}(S)` and :math:`\mathrm{out} = PV`, the chain rule gives, from
    :math:`dO = \partial L/\partial\,\mathrm{out}`,

    .. math::
        dV = P^\top dO, \qquad dP = dO\, V^\top, \qquad
        dS = P \odot \big(dP - \textstyle\sum_k (dP \odot P)_{:,k}\big) \quad\text{(the softmax's vector-Jacobian
        product, row by row)}, \qquad
        dQ = \frac{dS\, K}{\sqrt{d_k}}, \qquad dK = \frac{dS^\top Q}{\sqrt{d_k}}.

    Masked entries have :math:`P_{ij} = 0`, hence :math:`dS_{ij} = 0`: no gradient flows through a pair that
    was not attended to. Shapes: ``dout`` (..., Tq, d_v) -> ``dQ``, ``dK``, ``dV`` shaped like ``Q``, ``K``, ``V``
    (summed over broadcast axes).
    """
    q, K, V, P, scale = cache
    dq, dK, dV = _attention_backward(dout, q, K, V, np.swapaxes(P, -1, -2))
    dq *= scale
    return (_unbroadcast(dq, q.shape), _unbroadcast(dK, K.shape), _unbroadcast(dV, V.shape))


def _check_mask(mask) -> np.ndarray | None:
    """``mask`` as a boolean array (or None); the one check of the attention functions' arguments."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"mask must be a boolean array (True = may attend); got dtype {mask.dtype}")
    return mask


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes along which an input of ``shape`` was broadcast."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(extra))) if extra > 0 else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    r"""(B, T, d) -> (B, h, T, d_k) with :math:`d_k = d/h`: head :math:`h` takes the columns
    ``h*d_k:(h+1)*d_k``. A reshape and a transpose (a view, no copy)."""
    B, T, d = x.shape
    return x.reshape(B, T, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(B, h, T, d_k) -> (B, T, h d_k), the inverse of :func:`split_heads` (heads side by side); a copy."""
    B, h, T, dk = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, h * dk)


def multi_head_attention_forward(
    x: np.ndarray,
    Wq: np.ndarray,
    bq: np.ndarray,
    Wk: np.ndarray,
    bk: np.ndarray,
    Wv: np.ndarray,
    bv: np.ndarray,
    Wo: np.ndarray,
    bo: np.ndarray,
    n_heads: int,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple]:
    r"""Multi-head self-attention (Vaswani et al., 2017; chapter "Attention"):

    .. math::
        Q = x W_q + b_q,\quad K = x W_k + b_k,\quad V = x W_v + b_v, \qquad
        \mathrm{head}_h = \mathrm{Attention}(Q_h, K_h, V_h), \qquad
        \mathrm{out} = [\mathrm{head}_1, \dots, \mathrm{head}_H]\, W_o + b_o,

    where :math:`Q_h` are the columns ``h*d_k:(h+1)*d_k`` of :math:`Q` (:math:`d_k = d/H`), and Attention is
    :func:`scaled_dot_product_attention_forward` with ``mask``. The three projections are computed as one
    matrix product with :math:`[W_q/\sqrt{d_k}\ \ W_k\ \ W_v]` of shape (d, 3d) (and the bias
    :math:`[b_q/\sqrt{d_k}\ \ b_k\ \ b_v]`): folding the scale into :math:`W_q` gives :math:`Q/\sqrt{d_k}`
    directly.

    Shapes: ``x`` (B, T, d); ``Wq``, ``Wk``, ``Wv``, ``Wo`` (d, d); ``bq``, ``bk``, ``bv``, ``bo`` (d,);
    ``n_heads`` divides d; ``mask`` boolean broadcastable to (B, h, T, T), e.g. ``causal_mask(T)``, or None.
    Returns ``(out, cache)`` with ``out`` (B, T, d); ``attention_weights(cache)`` gives the weights
    (B, h, T, T).
    """
    B, T, d = x.shape
    if d % n_heads:
        raise ValueError(f"n_heads must divide the width of x; got n_heads = {n_heads} and x.shape[-1] = {d}")
    mask = _check_mask(mask)
    dk = d // n_heads
    scale = 1.0 / math.sqrt(dk)
    x2 = x.reshape(B * T, d)
    W_qkv = np.concatenate([Wq * scale, Wk, Wv], axis=1)
    qkv = x2 @ W_qkv  # (B T, 3d)
    qkv += np.concatenate([bq * scale, bk, bv])
    # (B, T, 3, h, dk) -> (3, B, h, T, dk): a view; each (T, dk) block has rows 3d apart, which BLAS reads as is
    qkv = qkv.reshape(B, T, 3, n_heads, dk).transpose(2, 0, 3, 1, 4)
    ctx = np.empty((B, T, n_heads, dk), dtype=qkv.dtype)  # the heads side by side: (B T, d) without a copy
    _, Pt = _attention_forward(qkv[0], qkv[1], qkv[2], mask, out=ctx.transpose(0, 2, 1, 3))
    ctx2 = ctx.reshape(B * T, d)
    out = ctx2 @ Wo
    out += bo
    return out.reshape(B, T, d), (x2, W_qkv, qkv, ctx2, Pt, scale, Wo, (B, T, d, n_heads))


def attention_weights(cache: tuple) -> np.ndarray:
    """The attention weights :math:`P` of shape (B, h, Tq, Tk) from the cache of
    :func:`multi_head_attention_forward` (a view; rows sum to 1, or 0 for a fully masked query)."""
    return np.swapaxes(cache[4], -1, -2)


def multi_head_attention_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Gradients of :func:`multi_head_attention_forward`: the dense-layer rules for the output projection
    (:math:`dW_o = C^\top d\mathrm{out}`, :math:`db_o = \sum d\mathrm{out}`, :math:`dC = d\mathrm{out}\,W_o^\top`
    with :math:`C` the merged heads), then :func:`scaled_dot_product_attention_backward` for all heads at once,
    then the dense rules for the three input projections, whose input gradients add up:
    :math:`dx = dQ\,W_q^\top + dK\,W_k^\top + dV\,W_v^\top`.

    Shapes: ``dout`` (B, T, d) -> ``(dx, dWq, dbq, dWk, dbk, dWv, dbv, dWo, dbo)``, ``dx`` (B, T, d), weights
    (d, d), biases (d,).
    """
    x2, W_qkv, qkv, ctx2, Pt, scale, Wo, (B, T, d, h) = cache
    dk = d // h
    dout2 = dout.reshape(B * T, d)
    dWo = ctx2.T @ dout2
    dbo = dout2.sum(axis=0)
    dctx = split_heads((dout2 @ Wo.T).reshape(B, T, d), h)
    dqkv = np.empty((B, T, 3, h, dk), dtype=dout.dtype)  # the layout of qkv, so that (B T, 3d) is a reshape
    # dq is the gradient with respect to the scaled queries
    _attention_backward(dctx, qkv[0], qkv[1], qkv[2], Pt, out=dqkv.transpose(2, 0, 3, 1, 4))
    dqkv2 = dqkv.reshape(B * T, 3 * d)
    dW = x2.T @ dqkv2  # (d, 3d), the gradient of [Wq * scale, Wk, Wv]
    db = dqkv2.sum(axis=0)
    dx = dqkv2 @ W_qkv.T
    return (
        dx.reshape(B, T, d),
        dW[:, :d] * scale, db[:d] * scale,
        np.ascontiguousarray(dW[:, d:2 * d]), db[d:2 * d],
        np.ascontiguousarray(dW[:, 2 * d:]), db[2 * d:],
        dWo, dbo,
    )
