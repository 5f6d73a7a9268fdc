r"""Symmetric absmax int8 quantization of weights and activations (chapters "Scaling up" and "Adapting a large
model cheaply").

A float array :math:`w` is stored as 8-bit integers :math:`q` and a float32 scale :math:`s` (one per tensor, or
one per slice along the axes that are *not* reduced, e.g. one per output column of a weight matrix):

.. math::
    s = \frac{\max |w|}{127}, \qquad q = \operatorname{round}(w / s) \in \{-127, \dots, 127\}, \qquad
    \hat w = s\,q, \qquad |w - \hat w| \le \frac{s}{2},

the maximum taken over the whole tensor (``axis=None``, per tensor) or over ``axis`` (``axis=0`` of a (d_in,
d_out) weight: one scale per output channel, the scheme of Keras 3's ``Dense.quantize("int8")``). The bound holds
because rounding moves :math:`w/s` by at most 1/2 and :math:`|w/s| \le 127` never needs clipping. A slice that
is all zeros gets :math:`s = 0` and :math:`q = 0`, which dequantizes to exactly 0.

:func:`int8_matmul` multiplies activations and weights in int8 (activations quantized per row, "vector-wise",
weights per column) with the option of LLM.int8()'s mixed-precision decomposition (Dettmers et al. 2022): the
feature dimensions that hold an outlier, :math:`|x| >` ``outlier_threshold``, are multiplied in floating point,
the rest in int8.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import _describe, check_array, check_positive

__all__ = ["quantize_int8", "dequantize_int8", "int8_nbytes", "quantize_weights", "int8_matmul"]

QMAX = 127


def _check_float_array(w, name: str) -> np.ndarray:
    try:
        arr = np.asarray(w)
    except Exception as exc:
        raise TypeError(f"{name} must be a numeric array; got {_describe(w)} ({exc})") from None
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a numeric (float) array; got {_describe(w)}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got an array of shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values; got {int((~np.isfinite(arr)).sum())} NaN or "
                         "infinite entries")
    return arr


def _check_axis(axis, ndim: int, name: str = "axis"):
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
    if not isinstance(axes, Sequence) or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                                 for a in axes):
        raise TypeError(f"{name} must be None (one scale per tensor), an int or a tuple of ints; got "
                        f"{_describe(axis)}")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name} = {axis!r} is out of range for an array with {ndim} dimensions")
        out.append(int(a) % ndim)
    return tuple(out)


def quantize_int8(w, axis=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Symmetric absmax int8 quantization: ``(q, scale)`` with ``scale = max|w| / 127`` (float32) and
    ``q = round(w / scale)`` (int8, in [-127, 127]).

    Parameters
    ----------
    w : float array
    axis : None, int or tuple of int
        The axes the maximum is taken over. None: one scale for the whole tensor (per tensor), ``scale`` of shape
        (). ``axis=0`` for a weight matrix (d_in, d_out): one scale per output column (per channel), ``scale`` of
        shape (1, d_out) (kept dimensions, so that ``q * scale`` broadcasts). ``axis=-1`` for activations (m, d):
        one scale per row (per token, "vector-wise").

    Returns
    -------
    q : int8 array of ``w``'s shape
    scale : float32 array, shape () per tensor, else ``w``'s shape with the reduced axes of size 1
    """
    arr = _check_float_array(w, "w")
    axes = _check_axis(axis, arr.ndim)
    x = arr.astype(np.float64)
    amax = np.max(np.abs(x), axis=axes, keepdims=axes is not None)
    scale = (amax / QMAX).astype(np.float32)
    s64 = scale.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(s64 > 0, np.round(x / np.where(s64 > 0, s64, 1.0)), 0.0)
    q = np.clip(q, -QMAX, QMAX).astype(np.int8)
    return q, np.asarray(scale, dtype=np.float32)


def dequantize_int8(q, scale, dtype="float32") -> np.ndarray:
    r""":math:`\hat w = s\,q` as ``dtype`` (float32 by default), for ``(q, scale)`` from :func:`quantize_int8`."""
    q = np.asarray(q)
    if q.dtype != np.int8:
        raise TypeError(f"q must be an int8 array (from quantize_int8); got {_describe(q)}")
    scale = np.asarray(scale)
    if scale.dtype.kind != "f":
        raise TypeError(f"scale must be a float array (from quantize_int8); got {_describe(scale)}")
    try:
        np.broadcast_shapes(q.shape, scale.shape)
    except ValueError:
        raise ValueError(f"scale of shape {scale.shape} does not broadcast against q of shape {q.shape}") from None
    return (q.astype(np.float64) * scale.astype(np.float64)).astype(dtype)


def int8_nbytes(q, scale) -> int:
    """Bytes to store a quantized array: one byte per entry of ``q`` plus four per float32 scale."""
    return int(np.asarray(q).size * 1 + np.asarray(scale).size * 4)


def quantize_weights(weights: Sequence[np.ndarray], which: Sequence[bool], per_channel: bool
                     ) -> tuple[list[np.ndarray], int]:
    r"""Quantize and dequantize the weight arrays marked in ``which`` (2-D arrays, (d_in, d_out)); the others are
    kept as they are.

    Returns the new list of weights (the quantized ones replaced by :math:`\hat W = s\,q` in their dtype) and the
    bytes of the whole list when the marked arrays are stored as int8 plus scales (one per tensor, or one per
    output column with ``per_channel``) and the others in their own dtype.
    """
    if len(which) != len(weights):
        raise ValueError(f"which must have one flag per weight array, {len(weights)}; got {len(which)}")
    out, nbytes = [], 0
    for i, (w, flag) in enumerate(zip(weights, which)):
        w = np.asarray(w)
        if not flag:
            out.append(w.copy())
            nbytes += w.nbytes
            continue
        if w.ndim != 2:
            raise ValueError(f"which[{i}] marks an array of shape {w.shape} for quantization; only weight "
                             "matrices (2-D) are quantized here")
        q, s = quantize_int8(w, axis=0 if per_channel else None)
        out.append(dequantize_int8(q, s, dtype=w.dtype))
        nbytes += int8_nbytes(q, s)
    return out, nbytes


def int8_matmul(X, W, *, activations: str = "row", outlier_threshold: float | None = None) -> np.ndarray:
    r"""The product :math:`X W` computed in int8 and rescaled, as an int8 inference kernel does.

    :math:`W` (d_in, d_out) is quantized per output column, :math:`X` (m, d_in) per row (``activations="row"``,
    one scale per token: vector-wise, as LLM.int8() and Keras' int8 ``Dense``) or with one scale for the whole
    matrix (``activations="tensor"``). The integer product :math:`Q_X Q_W` is accumulated exactly (int32 in real
    kernels; here int64) and multiplied by the outer product of the scales:
    :math:`X W \approx (s_X s_W^\top) \odot (Q_X Q_W)`.

    With ``outlier_threshold`` :math:`\tau`, the mixed-precision decomposition of LLM.int8() (Dettmers et al.
    2022): the columns :math:`k` of :math:`X` with some :math:`|X_{ik}| > \tau` (outlier feature dimensions) and
    the matching rows of :math:`W` are multiplied in floating point, the others in int8, and the two parts are
    added.

    Returns a float array (m, d_out) in ``X``'s dtype (float32 or float64).
    """
    X = check_array(X, "X", dtype=np.asarray(X).dtype if np.asarray(X).dtype.kind == "f" else np.float32)
    W = check_array(W, "W", dtype=X.dtype)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X (m, d_in) and W (d_in, d_out) must agree on d_in; got shapes {X.shape} and {W.shape}")
    if activations not in ("row", "tensor"):
        raise ValueError(f"activations must be 'row' (one scale per row of X) or 'tensor'; got {activations!r}")
    out = np.zeros((X.shape[0], W.shape[1]), dtype=np.float64)
    keep = np.ones(X.shape[1], dtype=bool)
    if outlier_threshold is not None:
        tau = check_positive(outlier_threshold, "outlier_threshold")
        keep = ~(np.abs(X) > tau).any(axis=0)
        out += X[:, ~keep].astype(np.float64) @ W[~keep].astype(np.float64)
    if keep.any():
        qx, sx = quantize_int8(X[:, keep], axis=-1 if activations == "row" else None)
        qw, sw = quantize_int8(W[keep], axis=0)
        acc = qx.astype(np.int64) @ qw.astype(np.int64)  # exact integer accumulation
        out += acc * (np.asarray(sx, dtype=np.float64).reshape(-1, 1) if activations == "row"
                      else float(sx)) * sw.astype(np.float64)
    return out.astype(X.dtype)
