r"""Checks for the exercises of chapter "Attention" (``book/20-attention.md``).

- :func:`causal_attention_weights`: ``causal_attention_weights(scores)`` turns scores of shape ``(..., T, T)``
  (row :math:`i` a query position, column :math:`j` a key position) into causal attention weights: row :math:`i`
  is the softmax of ``scores[..., i, :i+1]`` and the weights of the later positions :math:`j > i` are 0.
- :func:`scaled_scores`: ``scaled_scores(Q, K)`` :math:`= Q K^\top / \sqrt{d_k}` for ``Q`` of shape
  ``(..., T, d_k)`` and ``K`` of shape ``(..., S, d_k)``, with any leading (batch, head) axes.
- :func:`sinusoidal_positions`: ``sinusoidal_positions(T, d)``, the position encodings of Vaswani et al. (2017),
  :math:`P_{t,2i} = \sin(t / 10000^{2i/d})` and :math:`P_{t,2i+1} = \cos(t / 10000^{2i/d})`, shape ``(T, d)``.

Each check computes the right answer directly and, when the student's differs, compares it with the typical
mistakes (computed on the same inputs) to say which one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_shape, is_close

__all__ = ["causal_attention_weights", "scaled_scores", "sinusoidal_positions"]


def _close(got, expected) -> bool:
    return is_close(got, expected, rtol=1e-6, atol=1e-9)


def _as_array(what: str, got, shape: tuple, hint: str) -> np.ndarray:
    """The student's result as a float64 array of ``shape``, or CheckFailed."""
    if got is None:
        raise CheckFailed(f"{what} returned None: does your function `return` its result?")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should return an array of numbers; got {type(got).__name__}.") from None
    expect_shape(what, arr, shape, hint=hint)
    return arr


# ------------------------------------------------------------------------------------- causal weights
def _softmax(S: np.ndarray, axis: int = -1) -> np.ndarray:
    E = np.exp(S - S.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _masked_softmax(S: np.ndarray, keep: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax over ``axis`` of the entries where ``keep`` is True; 0 elsewhere and on rows with nothing kept."""
    keep = np.broadcast_to(keep, S.shape)
    filled = np.where(keep, S, -np.inf)
    top = filled.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    E = np.where(keep, np.exp(np.where(keep, S, 0.0) - top), 0.0)
    total = E.sum(axis=axis, keepdims=True)
    return np.divide(E, total, out=np.zeros_like(E), where=total > 0)


def _causal_reference(S: np.ndarray) -> np.ndarray:
    T = S.shape[-1]
    return _masked_softmax(S, np.tril(np.ones((T, T), dtype=bool)))


def _causal_cases():
    rng = np.random.default_rng(20)
    small = rng.normal(size=(5, 5))
    batched = rng.normal(scale=2.0, size=(2, 3, 4, 4))  # (batch, heads, T, T)
    large = rng.normal(scale=3.0, size=(4, 4))
    large[np.triu_indices(4, k=1)] = 1000.0  # the future dominates if it is not masked before the softmax
    large[2, :3] = [800.0, 799.0, 798.0]     # exp(800) overflows unless the row maximum is subtracted
    return [
        ("scores of shape (5, 5)", small),
        ("scores of shape (2, 3, 4, 4) (batch, heads, T, T)", batched),
        ("scores of shape (1, 1)", np.array([[0.7]])),
        ("scores of shape (4, 4) with entries of several hundred", large),
    ]


def _causal_hint(got: np.ndarray, S: np.ndarray) -> str:
    T = S.shape[-1]
    lower, upper = np.tril(np.ones((T, T), dtype=bool)), np.triu(np.ones((T, T), dtype=bool))
    strict = np.tril(np.ones((T, T), dtype=bool), k=-1)
    if T > 1 and _close(got[..., 1:, :], _masked_softmax(S, strict)[..., 1:, :]):
        return ("You masked the diagonal too: a position may attend to itself (j <= i, np.tril with k=0). With the "
                "diagonal masked, row 0 has nothing left to attend to (and the softmax of a row of -inf is "
                "0/0 = NaN).")
    if not np.isfinite(got).all():
        return ("Your weights contain NaN or inf. Mask the future BEFORE the softmax (so that large future scores "
                "cannot push the past to exp(-1000) = 0, and 0/0 = NaN), and subtract each row's maximum over the "
                "kept positions before exp() (scores of several hundred overflow exp to inf, and inf/inf = NaN).")
    if np.any(np.abs(got[..., ~lower]) > 1e-12):
        if _close(got, _masked_softmax(S, upper)):
            return ("You kept the upper triangle: position i attends to the later positions j >= i. A causal "
                    "position may only look back: keep j <= i (np.tril), mask j > i.")
        if _close(got, _softmax(S)):
            return "There is no mask: position i attends to later positions j > i. Set their weights to 0."
        if _close(got, _masked_softmax(S, lower, axis=-2)):
            return ("Each COLUMN of your weights sums to 1: the softmax went over the wrong axis. Row i (the "
                    "query) is a distribution over the key positions j: take the softmax along axis=-1.")
        return "The weights of the later positions j > i (above the diagonal) must be exactly 0."
    if _close(got, _masked_softmax(S, lower, axis=-2)):
        return ("Each COLUMN of your weights sums to 1: the softmax went over the wrong axis. Row i (the query) is "
                "a distribution over the key positions j: take the softmax along axis=-1.")
    if _close(got, _softmax(S) * lower):
        return ("Your rows do not sum to 1: you set the future weights to 0 AFTER the softmax. Mask the scores "
                "first (-inf above the diagonal), then take the softmax, so that each row is a distribution over "
                "the positions j <= i.")
    sums = got.sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        return "Every row of causal weights sums to 1 (row i is a distribution over the positions j <= i)."
    return "Row i should be softmax(scores[i, :i+1]) followed by zeros; compare with the formula in the text."


@exercise_check("ex-attention-causal", "Exercise: causal attention weights")
def causal_attention_weights(student_fn) -> None:
    r"""Check ``student_fn(scores)``: row :math:`i` is the softmax of ``scores[..., i, :i+1]``, zeros after.

    Cases: a (5, 5) matrix, a batch of heads (2, 3, 4, 4), T = 1, and a (4, 4) matrix whose future scores are
    1000 and some past scores several hundred (a naive exp overflows; masking after the softmax loses the past).
    The student's function must not modify ``scores``.
    """
    for what, S in _causal_cases():
        given = S.copy()
        got = student_fn(given)
        if not np.array_equal(given, S):
            raise CheckFailed(
                f"on {what}, your function changed the scores array it was given (an in-place operation such as "
                "`scores[mask] = -np.inf`). Work on a copy, e.g. `np.where(mask, scores, -np.inf)`."
            )
        expected = _causal_reference(S)
        name = f"causal_attention_weights on {what}"
        with np.errstate(all="ignore"):
            got = _as_array(name, got, S.shape,
                            hint="The weights have the shape of the scores: one row per query, one column per key.")
            if not _close(got, expected):
                expect_close(name, got, expected, rtol=1e-6, atol=1e-9, hint=_causal_hint(got, S))


# ------------------------------------------------------------------------------------------ scaled scores
def _scores_cases():
    rng = np.random.default_rng(21)
    return [
        ("Q of shape (3, 4) and K of shape (5, 4)", rng.normal(size=(3, 4)), rng.normal(size=(5, 4))),
        ("Q of shape (2, 3, 6, 16) and K of shape (2, 3, 7, 16) (batch, heads, positions, d_k)",
         rng.normal(size=(2, 3, 6, 16)), rng.normal(size=(2, 3, 7, 16))),
    ]


def _scores_hint(got, Q, K) -> str:
    raw = Q @ np.swapaxes(K, -1, -2)
    d_k, T, S = Q.shape[-1], Q.shape[-2], K.shape[-2]
    variants = [
        (raw, "You did not scale the scores: divide Q Kᵀ by √d_k."),
        (raw / d_k, "You divided by d_k; the scale is √d_k (it makes the variance of the scores 1, not 1/d_k)."),
        (raw * np.sqrt(d_k), "You multiplied by √d_k; divide by it."),
        (raw / np.sqrt(T), "You divided by √T (the number of query positions, Q.shape[-2]); d_k is the LAST axis, "
                           "Q.shape[-1]."),
        (raw / np.sqrt(S), "You divided by √S (the number of key positions, K.shape[-2]); d_k is the LAST axis, "
                           "Q.shape[-1]."),
    ]
    if Q.ndim == 4:
        h = Q.shape[-3]
        variants.append((raw / np.sqrt(h * d_k),
                         f"You divided by √(heads · d_k) = √d_model; each head's scores are dot products of d_k = "
                         f"{d_k} numbers, so divide by √d_k (Q.shape[-1])."))
    for value, hint in variants:
        if _close(got, value):
            return hint
    return "scores[..., i, j] = q_i · k_j / √d_k: a matrix product Q Kᵀ with K transposed on its last two axes."


@exercise_check("ex-attention-scaled-scores", "Exercise: scaled dot-product scores")
def scaled_scores(student_fn) -> None:
    r"""Check ``student_fn(Q, K)`` :math:`= Q K^\top/\sqrt{d_k}` on a 2-D case (T = 3, S = 5, d_k = 4) and a 4-D
    case with batch and head axes (2, 3, 6, 16) and (2, 3, 7, 16), where ``K.T`` (which reverses every axis) fails.
    """
    for what, Q, K in _scores_cases():
        expected = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
        name = f"scaled_scores on {what}"
        try:
            got = student_fn(Q.copy(), K.copy())
        except NotImplementedError:
            raise
        except Exception as exc:
            if Q.ndim > 2:
                raise CheckFailed(
                    f"{name}: your code raised {type(exc).__name__}: {exc}. With batch and head axes, `K.T` "
                    "reverses EVERY axis; transpose only the last two: `np.swapaxes(K, -1, -2)` (or "
                    "`K.transpose(0, 1, 3, 2)`), and use `@` (np.matmul), which multiplies over the last two axes."
                ) from None
            raise
        shape = expected.shape
        with np.errstate(all="ignore"):
            got = _as_array(name, got, shape,
                            hint=f"scores[..., i, j] pairs query i with key j: shape (..., T, S) = {shape}. Q Kᵀ, "
                                 "not Qᵀ K, and transpose K on its last two axes only (np.swapaxes(K, -1, -2)).")
            if not _close(got, expected):
                expect_close(name, got, expected, rtol=1e-6, atol=1e-9, hint=_scores_hint(got, Q, K))


# --------------------------------------------------------------------------------- sinusoidal positions
def _sinusoidal(T: int, d: int, *, offset: int = 0, exponent: str = "2i/d", layout: str = "interleaved",
                swap: bool = False) -> np.ndarray:
    """The encodings (by default) and typical variants: ``exponent="i/d"``, sines and cosines in two halves
    (``layout="halves"``), sin and cos swapped, positions counted from ``offset``."""
    t = np.arange(T)[:, None] + offset
    i = np.arange(d // 2)[None, :]
    power = 2 * i / d if exponent == "2i/d" else i / d
    angle = t / 10000.0**power
    first, second = (np.cos(angle), np.sin(angle)) if swap else (np.sin(angle), np.cos(angle))
    if layout == "halves":
        return np.concatenate([first, second], axis=1)
    out = np.empty((T, d))
    out[:, 0::2], out[:, 1::2] = first, second
    return out


def _sinusoidal_per_column(T: int, d: int) -> np.ndarray:
    """The mistake of using each column's own index j in the exponent: angle t / 10000^(j/d)."""
    t = np.arange(T)[:, None]
    j = np.arange(d)[None, :]
    angle = t / 10000.0 ** (j / d)
    out = np.sin(angle)
    out[:, 1::2] = np.cos(angle[:, 1::2])
    return out


def _sinusoidal_hint(got, T: int, d: int) -> str:
    variants = [
        (_sinusoidal(T, d, layout="halves"),
         "You put all the sines first and all the cosines after them. That layout (used by some libraries) is "
         "just as good, but this exercise follows the paper: sin in the even columns 2i, cos in the odd "
         "columns 2i+1."),
        (_sinusoidal(T, d, swap=True), "sin and cos are swapped: column 2i holds sin, column 2i+1 holds cos."),
        (_sinusoidal(T, d, offset=1), "Positions start at t = 0 (the first row is sin 0 = 0, cos 0 = 1)."),
        (_sinusoidal_per_column(T, d),
         "Columns 2i and 2i+1 share ONE frequency 1/10000^(2i/d); you used each column's own index j in the "
         "exponent (10000^(j/d))."),
        (_sinusoidal(T, d, exponent="i/d"),
         "The exponent is 2i/d (i = 0 .. d/2-1), not i/d: the wavelengths go from 2π to about 10000·2π."),
    ]
    for value, hint in variants:
        if _close(got, value):
            return hint
    return "P[t, 2i] = sin(t / 10000^(2i/d)) and P[t, 2i+1] = cos(t / 10000^(2i/d)), for t = 0 .. T-1."


@exercise_check("ex-attention-sinusoidal", "Exercise: sinusoidal position encodings")
def sinusoidal_positions(student_fn) -> None:
    r"""Check ``student_fn(T, d)`` against :math:`P_{t,2i} = \sin(t/10000^{2i/d})`,
    :math:`P_{t,2i+1} = \cos(t/10000^{2i/d})` for (T, d) = (6, 8), (50, 16) and (1, 2)."""
    for T, d in [(6, 8), (50, 16), (1, 2)]:
        expected = _sinusoidal(T, d)
        name = f"sinusoidal_positions({T}, {d})"
        got = _as_array(name, student_fn(T, d), (T, d),
                        hint="One row per position t = 0 .. T-1, one column per dimension.")
        if not _close(got, expected):
            expect_close(name, got, expected, rtol=1e-6, atol=1e-9, hint=_sinusoidal_hint(got, T, d))
