r"""A count-based bigram language model, the baseline of chapter "Tokens and embeddings".

A **bigram model** predicts the next token from the current one only. With :math:`C_{ab}` the number of times
token :math:`b` follows token :math:`a` in the training ids and add-:math:`\alpha` (Laplace, for
:math:`\alpha = 1`) smoothing,

.. math:: P(b \mid a) = \frac{C_{ab} + \alpha}{\sum_{b'} C_{ab'} + \alpha V},

a :math:`V \times V` table whose rows sum to one. It is the maximum-likelihood estimate for :math:`\alpha = 0`;
:math:`\alpha > 0` gives every pair, seen or not, a non-zero probability, and :math:`\alpha \to \infty` tends to
the uniform model :math:`P(b \mid a) = 1/V`. The model is scored by the mean next-token negative
log-likelihood (the cross-entropy, in nats) on ids :math:`x_1, \dots, x_N`,

.. math:: \bar\ell = -\frac{1}{N - 1} \sum_{t=1}^{N-1} \ln P(x_{t+1} \mid x_t),

and its perplexity :math:`e^{\bar\ell}` (:func:`course_lib.metrics.perplexity`). The uniform model has
:math:`\bar\ell = \ln V`, the loss a freshly initialised GPT starts from; a trained GPT must end below the
bigram's validation loss. The table is also a one-layer network: :math:`\log P(\cdot \mid a)` is row :math:`a`
of a :math:`V \times V` matrix, that is a one-hot vector times a matrix, the first embedding.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import _describe, check_int

__all__ = ["BigramModel"]


class BigramModel:
    r"""Bigram language model with add-:math:`\alpha` smoothing (see the module docstring for the formulas).

    Parameters
    ----------
    vocab_size : int >= 1
        Number of token ids :math:`V`; ids are ``0 .. V-1``.
    alpha : float >= 0, default 1.0
        Smoothing pseudo-count added to every pair. With ``alpha=0`` unseen pairs get probability 0 (log
        probability ``-inf``, so a validation text with one unseen pair has infinite loss), and a token never
        seen followed by anything gets the uniform row :math:`1/V`.

    Attributes
    ----------
    counts : int64 array of shape (V, V)
        ``counts[a, b]`` = number of times ``b`` follows ``a`` in the ids passed to :meth:`fit`.
    log_probs : float64 array of shape (V, V)
        :math:`\ln P(b \mid a)` at ``[a, b]``; each row of ``exp(log_probs)`` sums to 1.

    Examples
    --------
    >>> model = BigramModel(3, alpha=0.0).fit([0, 1, 0, 2, 0, 1])
    >>> model.counts.tolist()
    [[0, 2, 1], [1, 0, 0], [1, 0, 0]]
    >>> np.exp(model.log_probs[0]).round(3).tolist()
    [0.0, 0.667, 0.333]
    """

    def __init__(self, vocab_size: int, alpha: float = 1.0):
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"alpha must be a number >= 0; got {_describe(alpha)}")
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"alpha must be a finite number >= 0; got {alpha!r}")
        self.alpha = float(alpha)
        self.counts: np.ndarray | None = None
        self.log_probs: np.ndarray | None = None

    def _check_ids(self, ids, name: str = "ids", min_len: int = 2) -> np.ndarray:
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"{name} must be an array of integer token ids; got {_describe(ids)} (encode it first)")
        try:
            arr = np.asarray(ids)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be an array of integer token ids; got {_describe(ids)} ({exc})") from None
        if arr.ndim not in (1, 2):
            raise ValueError(f"{name} must be a 1-D sequence of ids (or 2-D, one sequence per row); got shape {arr.shape}")
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer token ids; got an array of dtype {arr.dtype}")
        if arr.shape[-1] < min_len:
            raise ValueError(
                f"{name} must have at least {min_len} tokens per sequence (a pair); got shape {arr.shape}"
            )
        bad = (arr < 0) | (arr >= self.vocab_size)
        if bad.any():
            raise ValueError(
                f"{name} must hold token ids in [0, {self.vocab_size}) (vocab_size); got {int(bad.sum())} outside, "
                f"for example {int(arr[bad][0])}"
            )
        return arr.astype(np.int64, copy=False)

    def _check_fitted(self) -> None:
        if self.log_probs is None:
            raise RuntimeError("this BigramModel is not fitted yet: call fit(ids) first")

    def fit(self, ids) -> BigramModel:
        r"""Count the pairs :math:`(x_t, x_{t+1})` of ``ids`` and compute :attr:`log_probs`. Returns ``self``.

        ``ids`` : int array of shape (N,) with N >= 2, or (m, N) for m independent sequences (pairs are not
        counted across rows). The counts come from one :func:`numpy.bincount` of the codes
        :math:`x_t V + x_{t+1}`, no loop. Fitting again replaces the previous counts.
        """
        arr = self._check_ids(ids)
        V = self.vocab_size
        codes = (arr[..., :-1] * V + arr[..., 1:]).ravel()
        self.counts = np.bincount(codes, minlength=V * V).reshape(V, V).astype(np.int64, copy=False)
        # One (V, V) float array, updated in place: for V in the thousands (Chinese characters) each extra
        # temporary is hundreds of megabytes.
        log_probs = self.counts.astype(np.float64)
        log_probs += self.alpha  # C[a, b] + alpha
        totals = log_probs.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log(log_probs, out=log_probs)
            log_probs -= np.log(totals)
        empty = totals[:, 0] == 0  # only with alpha = 0: a token never followed by anything
        log_probs[empty] = -np.log(V)
        self.log_probs = log_probs
        return self

    @property
    def probs(self) -> np.ndarray:
        r"""The (V, V) table :math:`P(b \mid a)` at ``[a, b]``, ``exp(log_probs)``."""
        self._check_fitted()
        return np.exp(self.log_probs)

    def nll(self, ids) -> float:
        r"""Mean next-token negative log-likelihood :math:`\bar\ell` of ``ids`` in nats (the cross-entropy).

        ``ids`` : int array of shape (N,) with N >= 2 (or (m, N), the mean over all m (N - 1) predictions).
        Equals ``-log_probs[ids[:-1], ids[1:]].mean()``; ``inf`` with ``alpha=0`` and an unseen pair.
        """
        self._check_fitted()
        arr = self._check_ids(ids)
        return float(-self.log_probs[arr[..., :-1], arr[..., 1:]].mean())

    def sample(self, n_tokens: int, start_id: int = 0, seed: int | None = None) -> np.ndarray:
        r"""Generate ``n_tokens`` ids after ``start_id``: :math:`x_{t+1} \sim P(\cdot \mid x_t)`.

        Returns an int64 array of shape (n_tokens + 1,), ``[start_id, x_1, ..., x_n]`` (the start included, as
        ``GPT.generate`` returns the prompt with the new tokens). One uniform number per step, drawn up front
        from ``numpy.random.default_rng(seed)``, picks the next token from the cumulative row of the current
        one, so the same seed gives the same ids.
        """
        self._check_fitted()
        n_tokens = check_int(n_tokens, "n_tokens", minimum=0)
        if isinstance(start_id, bool) or not isinstance(start_id, numbers.Integral):
            raise TypeError(f"start_id must be an integer token id; got {_describe(start_id)}")
        if not 0 <= start_id < self.vocab_size:
            raise ValueError(f"start_id must be in [0, {self.vocab_size}) (vocab_size); got {start_id}")
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        cdf = np.cumsum(self.probs, axis=1)
        cdf /= cdf[:, -1:]  # exactly 1 at the end of each row
        u = np.random.default_rng(seed).random(n_tokens)
        out = np.empty(n_tokens + 1, dtype=np.int64)
        out[0] = x = int(start_id)
        for t in range(n_tokens):  # each step needs the previous token: sequential by nature
            x = int(np.searchsorted(cdf[x], u[t], side="right"))
            out[t + 1] = x
        return out

    def __repr__(self) -> str:
        return f"BigramModel(vocab_size={self.vocab_size}, alpha={self.alpha})"
