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
    pairs : int64 array of shape (n,)
        The sorted codes :math:`aV + b` of the distinct pairs seen by :meth:`fit`.
    pair_counts : int64 array of shape (n,)
        How often each of those pairs occurs: the non-zero entries of :attr:`counts`.
    totals : int64 array of shape (V,)
        :math:`\sum_{b} C_{ab}`, how often ``a`` is followed by anything.
    counts, log_probs, probs : the dense (V, V) tables, built when asked for (properties).

    The model stores only the pairs it has seen. A text of N tokens has at most N - 1 distinct pairs, while the
    dense table has :math:`V^2` entries: 22.8 million for the 4,773 Chinese characters of chapter "Tokens and
    embeddings", 180 MB as int64. :meth:`nll` and :meth:`sample` look up the entries they need and never build
    it.

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
        self.pairs: np.ndarray | None = None
        self.pair_counts: np.ndarray | None = None
        self.totals: np.ndarray | None = None

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
        if self.pairs is None:
            raise RuntimeError("this BigramModel is not fitted yet: call fit(ids) first")

    def fit(self, ids) -> BigramModel:
        r"""Count the pairs :math:`(x_t, x_{t+1})` of ``ids``. Returns ``self``.

        ``ids`` : int array of shape (N,) with N >= 2, or (m, N) for m independent sequences (pairs are not
        counted across rows). The counts come from one :func:`numpy.unique` of the codes
        :math:`x_t V + x_{t+1}`, no loop. Fitting again replaces the previous counts.
        """
        arr = self._check_ids(ids)
        V = self.vocab_size
        codes = (arr[..., :-1] * V + arr[..., 1:]).ravel()
        self.pairs, self.pair_counts = np.unique(codes, return_counts=True)
        self.pair_counts = self.pair_counts.astype(np.int64, copy=False)
        self.totals = np.bincount(self.pairs // V, weights=self.pair_counts, minlength=V).astype(np.int64)
        return self

    def _log_prob(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        r""":math:`\ln P(b \mid a) = \ln(C_{ab} + \alpha) - \ln(\sum_{b'} C_{ab'} + \alpha V)`, elementwise."""
        V, alpha = self.vocab_size, self.alpha
        code = a * V + b
        where = np.minimum(np.searchsorted(self.pairs, code), max(len(self.pairs) - 1, 0))
        seen = self.pairs[where] == code if len(self.pairs) else np.zeros(code.shape, dtype=bool)
        count = np.where(seen, self.pair_counts[where] if len(self.pairs) else 0, 0)
        denominator = self.totals[a] + alpha * V
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = np.log(count + alpha) - np.log(denominator)
        # only with alpha = 0: a token never followed by anything gets the uniform row
        return np.where(denominator == 0, -np.log(V), log_p)

    @property
    def counts(self) -> np.ndarray:
        r"""The dense (V, V) int64 table :math:`C`: ``counts[a, b]`` = how often ``b`` follows ``a``."""
        self._check_fitted()
        V = self.vocab_size
        table = np.zeros(V * V, dtype=np.int64)
        table[self.pairs] = self.pair_counts
        return table.reshape(V, V)

    @property
    def log_probs(self) -> np.ndarray:
        r"""The dense (V, V) float64 table :math:`\ln P(b \mid a)` at ``[a, b]``; each row of its exp sums to 1."""
        self._check_fitted()
        rows = np.arange(self.vocab_size)
        return self._log_prob(rows[:, None], rows[None, :])

    @property
    def probs(self) -> np.ndarray:
        r"""The (V, V) table :math:`P(b \mid a)` at ``[a, b]``, ``exp(log_probs)``."""
        return np.exp(self.log_probs)

    def nll(self, ids) -> float:
        r"""Mean next-token negative log-likelihood :math:`\bar\ell` of ``ids`` in nats (the cross-entropy).

        ``ids`` : int array of shape (N,) with N >= 2 (or (m, N), the mean over all m (N - 1) predictions).
        Equals ``-log_probs[ids[:-1], ids[1:]].mean()`` without building the table; ``inf`` with ``alpha=0``
        and an unseen pair.
        """
        self._check_fitted()
        arr = self._check_ids(ids)
        return float(-self._log_prob(arr[..., :-1], arr[..., 1:]).mean())

    def sample(self, n_tokens: int, start_id: int = 0, seed: int | None = None) -> np.ndarray:
        r"""Generate ``n_tokens`` ids after ``start_id``: :math:`x_{t+1} \sim P(\cdot \mid x_t)`.

        Returns an int64 array of shape (n_tokens + 1,), ``[start_id, x_1, ..., x_n]`` (the start included, as
        ``GPT.generate`` returns the prompt with the new tokens). One uniform number per step, drawn up front
        from ``numpy.random.default_rng(seed)``, picks the next token from the cumulative sum of the current
        token's row, so the same seed gives the same ids.
        """
        self._check_fitted()
        n_tokens = check_int(n_tokens, "n_tokens", minimum=0)
        if isinstance(start_id, bool) or not isinstance(start_id, numbers.Integral):
            raise TypeError(f"start_id must be an integer token id; got {_describe(start_id)}")
        if not 0 <= start_id < self.vocab_size:
            raise ValueError(f"start_id must be in [0, {self.vocab_size}) (vocab_size); got {start_id}")
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        V, tokens = self.vocab_size, np.arange(self.vocab_size)
        u = np.random.default_rng(seed).random(n_tokens)
        out = np.empty(n_tokens + 1, dtype=np.int64)
        out[0] = x = int(start_id)
        for t in range(n_tokens):  # each step needs the previous token: sequential by nature
            # The cumulative sum of the one row needed, not of the whole (V, V) table: for V in the thousands
            # that table is hundreds of megabytes, and a short sample visits few rows.
            cdf = np.cumsum(np.exp(self._log_prob(np.full(V, x), tokens)))
            x = min(int(np.searchsorted(cdf, u[t] * cdf[-1], side="right")), V - 1)
            out[t + 1] = x
        return out

    def __repr__(self) -> str:
        return f"BigramModel(vocab_size={self.vocab_size}, alpha={self.alpha})"
