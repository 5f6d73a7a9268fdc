r"""Choosing the next token from a language model's logits (chapter "A GPT from scratch").

A model gives logits :math:`z \in \mathbb R^V` for the next token; :math:`p = \mathrm{softmax}(z)`. Decoding
strategies:

- **greedy**: the most probable token, :math:`\arg\max_v z_v` (:func:`greedy`); deterministic and repetitive;
- **temperature** :math:`\tau > 0`: sample from :math:`\mathrm{softmax}(z/\tau)` (:func:`apply_temperature`);
  :math:`\tau < 1` sharpens the distribution, :math:`\tau \to 0` tends to greedy, :math:`\tau > 1` flattens it;
- **top-k**: sample only among the :math:`k` most probable tokens (:func:`top_k_filter`; Fan et al., 2018);
- **top-p (nucleus)**: sample only among the smallest set of most probable tokens whose total probability is at
  least :math:`p` (:func:`top_p_filter`; Holtzman et al., 2020).

The filters set the logits of the removed tokens to :math:`-\infty` (probability 0) and leave the others
unchanged, so they compose: :func:`sample_next` applies temperature, then top-k, then top-p (the order of
Hugging Face's ``generate``). Every function works on a batch: ``logits`` of shape (B, V), or (V,) for one row.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import _describe, check_int, check_positive

__all__ = ["greedy", "apply_temperature", "top_k_filter", "top_p_filter", "sample_next"]


def _check_logits(logits) -> np.ndarray:
    """``logits`` as a float array of shape (V,) or (B, V), V >= 1, without NaN or +inf."""
    try:
        arr = np.asarray(logits)
    except Exception as exc:
        raise TypeError(f"logits must be a numeric array; got {_describe(logits)} ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"logits must be a numeric array; got {_describe(logits)}")
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0 or arr.size == 0:
        raise ValueError(f"logits must have shape (V,) or (B, V) with V >= 1; got shape {arr.shape}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if np.isnan(arr).any() or np.isposinf(arr).any():
        raise ValueError("logits must not contain NaN or +inf (-inf marks a token that cannot be drawn)")
    if np.isneginf(arr).all(axis=-1).any():
        raise ValueError("logits has a row where every entry is -inf: no token can be drawn")
    return arr


def _check_top_k(top_k) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral):
        raise TypeError(f"top_k must be an integer >= 1 or None; got {_describe(top_k)}")
    return check_int(top_k, "top_k", minimum=1)


def _check_top_p(top_p) -> float:
    if isinstance(top_p, bool) or not isinstance(top_p, numbers.Real):
        raise TypeError(f"top_p must be a number in (0, 1] or None; got {_describe(top_p)}")
    if not (0.0 < top_p <= 1.0):
        raise ValueError(f"top_p must be in (0, 1]; got {top_p!r}")
    return float(top_p)


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a number > 0; got {_describe(temperature)}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(
            f"temperature must be a finite number > 0; got {temperature!r} "
            "(for greedy decoding use top_k=1 or course_lib.sampling.greedy)"
        )
    return check_positive(temperature, "temperature")


def greedy(logits) -> np.ndarray:
    r"""Greedy decoding: :math:`\arg\max_v z_v` per row (the lowest index on ties). Shape (B, V) -> (B,),
    (V,) -> a 0-d int64 array."""
    return np.asarray(_check_logits(logits).argmax(axis=-1), dtype=np.int64)


def apply_temperature(logits, temperature: float) -> np.ndarray:
    r"""Logits divided by the temperature, :math:`z/\tau`: :math:`\mathrm{softmax}(z/\tau)_v \propto p_v^{1/\tau}`.
    Same shape as ``logits``; a new array."""
    tau = _check_temperature(temperature)
    return _check_logits(logits) / tau


def top_k_filter(logits, k: int) -> np.ndarray:
    r"""Keep the ``k`` largest logits of each row and set the others to :math:`-\infty`.

    Exactly ``min(k, V)`` entries per row stay finite (unless the row already had ``-inf`` among them); on ties at
    the k-th value the lower indices are kept (a stable sort), so ``k = 1`` keeps the argmax, as :func:`greedy`.
    Same shape as ``logits``; a new array.
    """
    k = _check_top_k(k)
    z = _check_logits(logits)
    V = z.shape[-1]
    if k >= V:
        return z.copy()
    order = np.argsort(-z, axis=-1, kind="stable")  # descending, ties by index
    out = np.full_like(z, -np.inf)
    keep = order[..., :k]
    np.put_along_axis(out, keep, np.take_along_axis(z, keep, axis=-1), axis=-1)
    return out


def top_p_filter(logits, p: float) -> np.ndarray:
    r"""Nucleus filtering (Holtzman et al., 2020): keep, in each row, the smallest set of most probable tokens whose
    total probability is at least ``p``, and set the other logits to :math:`-\infty`.

    With the probabilities sorted in decreasing order, :math:`p_{(1)} \ge p_{(2)} \ge \dots`, token :math:`(r)` is
    kept when the mass before it, :math:`\sum_{s<r} p_{(s)}`, is still below ``p``; so the most probable token is
    always kept, and ``p = 1`` keeps every token. Ties are ordered by index (lower first). ``p`` in (0, 1].
    Same shape as ``logits``; a new array.
    """
    p = _check_top_p(p)
    z = _check_logits(logits)
    if p >= 1.0:
        return z.copy()
    order = np.argsort(-z, axis=-1, kind="stable")
    zs = np.take_along_axis(z, order, axis=-1).astype(np.float64)
    probs = np.exp(zs - zs[..., :1])
    probs /= probs.sum(axis=-1, keepdims=True)
    before = np.cumsum(probs, axis=-1) - probs  # mass of the more probable tokens
    keep_sorted = before < p
    keep_sorted[..., 0] = True
    out = np.full_like(z, -np.inf)
    kept = np.where(keep_sorted, np.take_along_axis(z, order, axis=-1), -np.inf)
    np.put_along_axis(out, order, kept, axis=-1)
    return out


def sample_next(logits, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
    r"""Draw the next token of each row: apply ``temperature`` (:func:`apply_temperature`), then ``top_k``
    (:func:`top_k_filter`) and ``top_p`` (:func:`top_p_filter`) when given, and sample from the softmax of what
    is left with ``rng``.

    ``top_k=1`` is greedy decoding (the argmax; no random number is drawn). Sampling is by the inverse CDF:
    one uniform :math:`u` per row and the first token whose cumulative probability exceeds :math:`u` (tokens of
    probability 0 are never drawn).

    Parameters
    ----------
    logits : array (B, V) or (V,)
    temperature : float > 0
    top_k : int >= 1 or None
    top_p : float in (0, 1] or None
    rng : numpy.random.Generator
        The source of randomness (``np.random.default_rng(seed)``); required unless ``top_k == 1``.

    Returns
    -------
    ids : int64 array (B,), or a 0-d array for 1-D ``logits``.
    """
    z = _check_logits(logits)
    tau = _check_temperature(temperature)
    if top_k is not None:
        top_k = _check_top_k(top_k)
    if top_p is not None:
        top_p = _check_top_p(top_p)
    if top_k == 1:
        return np.asarray(z.argmax(axis=-1), dtype=np.int64)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator such as np.random.default_rng(0); got {_describe(rng)}")
    return _sample(z, tau, top_k, top_p, rng)


def _sample(z: np.ndarray, tau: float, top_k: int | None, top_p: float | None,
            rng: np.random.Generator) -> np.ndarray:
    """:func:`sample_next` on validated arguments (used by the generation loop)."""
    if top_k == 1:
        return np.asarray(z.argmax(axis=-1), dtype=np.int64)
    one_row = z.ndim == 1
    z = np.atleast_2d(z).astype(np.float64) / tau
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    probs = np.exp(z - z.max(axis=-1, keepdims=True))
    cdf = np.cumsum(probs, axis=-1)
    u = rng.random(len(z))[:, None] * cdf[:, -1:]
    ids = np.count_nonzero(cdf <= u, axis=-1)  # first index with cdf > u: never a token of probability 0
    last_positive = probs.shape[-1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=-1)
    ids = np.minimum(ids, last_positive)  # guards u * total rounding up to the total
    ids = ids.astype(np.int64)
    return np.asarray(ids[0]) if one_row else ids
