r"""A GPT in NumPy: a decoder-only transformer language model (chapter "A GPT from scratch").

For token ids :math:`X` of shape (m, t) with :math:`t \le T` (``context_length``), vocabulary size :math:`V`, width
:math:`d` (``d_model``), :math:`H` heads and :math:`L` blocks (Radford et al., 2018, 2019):

.. math::
    h^{(0)} &= W_{te}[X] + W_{pe}[0{:}t] \\
    h &\leftarrow h + \mathrm{MHA}(\mathrm{LN}_1(h)) \quad\text{(causal; chapter "Attention")} \\
    h &\leftarrow h + \mathrm{GELU}(\mathrm{LN}_2(h)\, W_1 + b_1)\, W_2 + b_2 \qquad (L \text{ blocks}) \\
    \mathrm{logits} &= \mathrm{LN}_f(h)\, W_{out}

(pre-LayerNorm blocks with residual connections, a 4x-wide MLP, no dropout, an untied output head without bias).
The loss is the mean next-token cross-entropy over all :math:`m t` positions,
:math:`\mathcal L = -\frac{1}{mt}\sum_{i,s} \log \mathrm{softmax}(\mathrm{logits}_{i,s})_{Y_{i,s}}`, with the targets
:math:`Y` the inputs shifted by one token. The number of parameters is

.. math:: V d + T d + L\,(12 d^2 + 13 d) + 2 d + d V.

Arrays inside the model are kept 2-D, (m t, d), so that every dense layer is one matrix product; attention works
on (m, H, t, d_k). The forward pass keeps what the backward pass needs; :meth:`GPT.loss_and_grads` runs both.

Speed: everything is float32 (float64 for gradient checks), the softmax and cross-entropy gradient is computed in
one pass, and a training step splits the batch into :attr:`GPT.n_threads` parts computed in parallel threads while
the matrix products use one BLAS thread each (:attr:`GPT.blas_threads`); see :meth:`GPT._loss_grads_logits`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import sampling
from ._io import load_model_arrays, save_npz_atomic
from ._validation import _describe, assign_weights, check_array, check_choice, check_int
from .attention import (
    causal_mask,
    masked_softmax,
    merge_heads,
    multi_head_attention_backward,
    multi_head_attention_forward,
)
from .layers import (
    embedding_backward,
    embedding_forward,
    gelu_backward,
    gelu_forward,
    layer_norm_backward,
    layer_norm_forward,
)
from .model import _is_dtype

__all__ = ["GPT", "KVCache", "gpt_n_params"]

_FORMAT = "course_lib.GPT"
_FORMAT_VERSION = 1
LN_EPS = 1e-5
#: Names of one block's parameters, in :meth:`GPT.get_weights` order.
BLOCK_PARAM_NAMES = (
    "ln1_gamma", "ln1_beta", "Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo",
    "ln2_gamma", "ln2_beta", "W1", "b1", "W2", "b2",
)
_NB = len(BLOCK_PARAM_NAMES)
# Created on first use, never at import: a threadpoolctl controller (GPT.blas_threads) and a thread pool with its
# number of workers (GPT.n_threads), shared by all models.
_blas_controller = None
_pool = None
_pool_size = 0


def _thread_pool(n: int):
    """A thread pool with at least ``n`` workers."""
    global _pool, _pool_size
    if _pool is None or _pool_size < n:
        from concurrent.futures import ThreadPoolExecutor

        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(max_workers=n, thread_name_prefix="course_lib.gpt"), n
    return _pool


def _blas_threads(method: Callable) -> Callable:
    """Run ``method`` with the BLAS library limited to ``self.blas_threads`` threads (restored afterwards).

    A GPT of the course's size makes thousands of small matrix products per step (the attention of every head
    is a batch of (T, d_k) products). With several BLAS threads each product wakes and synchronises them, which
    buys little on two cores and costs a great deal when other processes compete for the cores: a training
    step measured 3 to 8 times slower with two OpenBLAS threads than with one on a busy 2-core machine.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        global _blas_controller
        n = self.blas_threads
        limit = contextlib.nullcontext()
        if n is not None:
            n = check_int(n, "blas_threads")
            try:
                from threadpoolctl import ThreadpoolController  # installed with scikit-learn
            except ImportError:  # pragma: no cover
                pass
            else:
                if _blas_controller is None:
                    _blas_controller = ThreadpoolController()
                limit = _blas_controller.limit(limits=n, user_api="blas")
        with limit:
            return method(self, *args, **kwargs)

    return wrapper


def gpt_n_params(vocab_size: int, context_length: int, d_model: int, n_layers: int) -> int:
    r"""Parameter count of :class:`GPT`: :math:`V d + T d + L(12 d^2 + 13 d) + 2 d + d V`.

    Per block: :math:`4(d^2 + d)` for the four attention projections, :math:`2 \cdot 4 d^2 + 4d + d` for the
    MLP, :math:`4d` for two LayerNorms (:math:`12 d^2 + 13 d` in all); then the final LayerNorm (:math:`2d`) and the
    output head (:math:`d V`)."""
    V, T, d, L = vocab_size, context_length, d_model, n_layers
    return V * d + T * d + L * (12 * d * d + 13 * d) + 2 * d + d * V


@dataclass
class KVCache:
    r"""Keys and values of the tokens seen so far, for generation one token at a time (chapter "A GPT from
    scratch").

    Attributes
    ----------
    k, v : arrays of shape (n_layers, B, n_heads, T, d_k)
        Per layer, the keys and values of positions ``0 .. length - 1`` (the rest is unused space).
    length : int
        Number of positions filled, at most ``T`` (``context_length``).

    With the cache, each new token costs one forward pass of a single position: its query attends to the
    cached keys and values, and its own key and value are appended. Because a GPT has learned *absolute* position
    embeddings, once a sequence is longer than ``T`` every token's position within the window changes at each
    step, and with it every key and value: nothing cached can be reused, and each step is a full pass over the
    last ``T`` tokens, with or without a cache (:meth:`GPT.generate` then computes exactly that).
    """

    k: np.ndarray
    v: np.ndarray
    length: int = 0

    @property
    def capacity(self) -> int:
        """The largest number of positions the cache holds (``context_length``)."""
        return self.k.shape[3]


class GPT:
    r"""A GPT language model (decoder-only transformer) with forward and backward passes in NumPy.

    Parameters
    ----------
    vocab_size : int
        :math:`V`, the number of token ids (>= 1).
    context_length : int
        :math:`T`, the longest sequence the model reads (>= 1); one learned position embedding per position.
    d_model : int
        :math:`d`, the width of the residual stream (>= 1).
    n_heads : int
        :math:`H`, the number of attention heads; must divide ``d_model`` (each head has :math:`d_k = d/H`).
    n_layers : int
        :math:`L`, the number of transformer blocks (>= 1).
    seed : int or None
        Seed of the initial weights (GPT-2's: :math:`\mathcal N(0, 0.02^2)` for embeddings and weight matrices,
        :math:`\mathcal N(0, (0.02/\sqrt{2L})^2)` for the residual projections :math:`W_o` and :math:`W_2`, biases
        and LayerNorm shifts 0, LayerNorm scales 1). Drawn in float64 and cast, so a float32 and a float64 model
        with the same seed start from the same weights up to rounding.
    dtype : {"float32", "float64"}
        float32 is fast; float64 is for gradient checking.

    Examples
    --------
    >>> model = GPT(vocab_size=65, context_length=64, d_model=64, n_heads=4, n_layers=2)
    >>> model.n_params
    112512
    """

    #: The training loop's protocol (course_lib.training): the logits are scores of ``n_outputs`` classes per
    #: position, trained with softmax cross-entropy; accuracy is next-token accuracy.
    output = "softmax"
    #: Threads the BLAS library (matrix products) may use inside the model's methods; None leaves BLAS as
    #: configured (OPENBLAS_NUM_THREADS, ...), which can be faster for a large model on an idle multi-core machine.
    blas_threads: int | None = 1
    #: Parts of a batch whose losses and gradients are computed in parallel threads by :meth:`loss_and_grads` (and
    #: so by ``fit``); 1 computes everything in the calling thread. See :meth:`_loss_grads_logits`.
    n_threads: int = 2

    def __init__(
        self,
        vocab_size: int,
        context_length: int,
        d_model: int,
        n_heads: int,
        n_layers: int,
        seed: int | None = 0,
        dtype: str = "float32",
    ):
        self.vocab_size = check_int(vocab_size, "vocab_size")
        self.context_length = check_int(context_length, "context_length")
        self.d_model = check_int(d_model, "d_model")
        self.n_heads = check_int(n_heads, "n_heads")
        self.n_layers = check_int(n_layers, "n_layers")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"n_heads must divide d_model (each head gets d_model / n_heads columns); got n_heads = "
                f"{self.n_heads} and d_model = {self.d_model}"
            )
        self.dtype = np.dtype(check_choice(str(np.dtype(dtype)) if _is_dtype(dtype) else dtype, "dtype",
                                           ["float32", "float64"]))
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        self.seed = seed
        rng = np.random.default_rng(seed)
        std = 0.02
        std_residual = 0.02 / math.sqrt(2 * self.n_layers)
        self.params: list[np.ndarray] = []
        for name, shape in self._param_specs():
            if name.endswith("gamma"):
                p = np.ones(shape)
            elif len(shape) == 1:  # biases and LayerNorm shifts
                p = np.zeros(shape)
            else:
                p = rng.normal(0.0, std_residual if name.split(".")[-1] in ("Wo", "W2") else std, size=shape)
            self.params.append(p.astype(self.dtype))

    # ------------------------------------------------------------------ parameters
    def _param_specs(self) -> list[tuple[str, tuple[int, ...]]]:
        V, T, d = self.vocab_size, self.context_length, self.d_model
        block_shapes = {"Wq": (d, d), "Wk": (d, d), "Wv": (d, d), "Wo": (d, d), "W1": (d, 4 * d), "b1": (4 * d,),
                        "W2": (4 * d, d)}
        specs = [("wte", (V, d)), ("wpe", (T, d))]
        for l in range(self.n_layers):
            specs += [(f"block{l}.{n}", block_shapes.get(n, (d,))) for n in BLOCK_PARAM_NAMES]
        specs += [("lnf_gamma", (d,)), ("lnf_beta", (d,)), ("W_out", (d, V))]
        return specs

    @property
    def param_names(self) -> list[str]:
        """Names of the parameters in :meth:`get_weights` order: ``wte``, ``wpe``, ``block0.ln1_gamma``, ...,
        ``block{L-1}.b2``, ``lnf_gamma``, ``lnf_beta``, ``W_out``."""
        return [name for name, _ in self._param_specs()]

    @property
    def n_params(self) -> int:
        r"""Number of trainable parameters, :math:`V d + T d + L(12 d^2 + 13 d) + 2 d + d V`."""
        return int(sum(p.size for p in self.params))

    @property
    def n_outputs(self) -> int:
        """Logits per position: the vocabulary size (for the training loop's protocol)."""
        return self.vocab_size

    @property
    def d_k(self) -> int:
        """Width of one attention head, ``d_model // n_heads``."""
        return self.d_model // self.n_heads

    def block_params(self, l: int) -> list[np.ndarray]:
        """The 16 parameter arrays of block ``l`` (the live arrays, in :data:`BLOCK_PARAM_NAMES` order)."""
        return self.params[2 + _NB * l: 2 + _NB * (l + 1)]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters, in the order ``[wte, wpe, (ln1_gamma, ln1_beta, Wq, bq, Wk, bk, Wv, bv, Wo,
        bo, ln2_gamma, ln2_beta, W1, b1, W2, b2) per block, lnf_gamma, lnf_beta, W_out]`` (see
        :attr:`param_names`); weight matrices are (n_in, n_out), the layout of Keras' ``Dense`` kernels."""
        return [p.copy() for p in self.params]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Replace the parameters by copies of ``weights`` (order and shapes as :meth:`get_weights`). The arrays
        are updated in place, so an optimizer holding them keeps working."""
        assign_weights(self.params, weights, self.param_names, self.dtype,
                       layout="a list of arrays in get_weights() order",
                       count_note=f"for a GPT with n_layers = {self.n_layers}")

    # ------------------------------------------------------------------ input validation
    def _check_ids(self, X, name: str, *, ndim: tuple[int, ...] = (2,), max_len: int | None = None) -> np.ndarray:
        """``X`` as a C-contiguous int64 array of token ids after checking it (integers in [0, vocab_size), a
        dimension in ``ndim``, no empty axis, at most ``max_len`` positions on the last axis)."""
        try:
            arr = np.asarray(X)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{name} must be an array of integer token ids; got {_describe(X)} ({exc})") from None
        if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
            what = "booleans" if arr.dtype.kind == "b" else f"dtype {arr.dtype}"
            raise TypeError(f"{name} must hold integer token ids; got {what} ({_describe(X)})")
        shapes = " or ".join({1: "(t,)", 2: "(m, t)"}[n] for n in ndim)
        if arr.ndim not in ndim:
            hint = " Add a batch axis with X[None, :]." if arr.ndim == 1 and 1 not in ndim else ""
            raise ValueError(f"{name} must be an array of shape {shapes}; got shape {arr.shape} ({arr.ndim}-D).{hint}")
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty; got an array of shape {arr.shape}")
        if arr.dtype.kind == "f":
            bad = ~np.isfinite(arr) | (arr != np.round(arr))
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(
                    f"{name} must hold integer token ids; got the non-integer value {arr[where].item()!r} at "
                    f"{name}[{', '.join(map(str, where))}]"
                )
        bad = (arr < 0) | (arr >= self.vocab_size)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            n_bad = int(bad.sum())
            raise ValueError(
                f"{name} must hold token ids in [0, {self.vocab_size}) (vocab_size = {self.vocab_size}); got "
                f"{arr[where].item()!r} at {name}[{', '.join(map(str, where))}]"
                + (f" and {n_bad - 1} more outside the range" if n_bad > 1 else "")
            )
        if max_len is not None and arr.shape[-1] > max_len:
            raise ValueError(
                f"{name} has sequences of length {arr.shape[-1]}, longer than the model's context_length = "
                f"{max_len}; cut them into windows of at most {max_len} tokens"
            )
        return np.ascontiguousarray(arr, dtype=np.int64)

    def _check_X(self, X, name: str = "X") -> np.ndarray:
        """Validate inputs: int token ids of shape (m, t), 1 <= t <= context_length."""
        return self._check_ids(X, name, max_len=self.context_length)

    def check_targets(self, Y, n_samples: int | None = None, name: str = "Y") -> np.ndarray:
        """Validate targets: int token ids of shape (m, t) (the next token of every position), as int64."""
        Y = self._check_ids(Y, name, max_len=self.context_length)
        if n_samples is not None and len(Y) != n_samples:
            raise ValueError(f"X and {name} must have the same number of sequences; got {n_samples} rows in X "
                             f"and {len(Y)} in {name}")
        return Y

    def _check_X_y(self, X, Y, names: tuple[str, str] = ("X", "Y")) -> tuple[np.ndarray, np.ndarray]:
        """Validate a pair ``(X, Y)``: both (m, t) token ids of the same shape (the training loop's protocol)."""
        X = self._check_X(X, names[0])
        Y = self._check_ids(Y, names[1], max_len=self.context_length)
        if Y.shape != X.shape:
            raise ValueError(
                f"{names[1]} must have the shape of {names[0]}, (m, t): the target of every position is the token "
                f"that follows it; got shape {Y.shape} for {names[1]} and {X.shape} for {names[0]}"
            )
        return X, Y

    # ------------------------------------------------------------------ forward
    def _embed(self, X: np.ndarray, start: int = 0) -> tuple[np.ndarray, tuple]:
        """Token plus position embeddings of ``X`` (m, t) at positions ``start .. start + t - 1``: (m t, d)."""
        m, t = X.shape
        h, emb_cache = embedding_forward(X, self.params[0])
        h += self.params[1][start:start + t]
        return h.reshape(m * t, self.d_model), emb_cache

    def _forward(self, X: np.ndarray, keep: bool) -> tuple[np.ndarray, list | None]:
        """Forward pass on validated ids ``X`` (m, t): logits (m t, V) and, with ``keep``, the caches."""
        m, t = X.shape
        d = self.d_model
        mask = causal_mask(t)
        h, emb_cache = self._embed(X)
        caches = [emb_cache] if keep else None
        for l in range(self.n_layers):
            (g1, be1, Wq, bq, Wk, bk, Wv, bv, Wo, bo, g2, be2, W1, b1, W2, b2) = self.block_params(l)
            a, ln1 = layer_norm_forward(h, g1, be1, LN_EPS)
            att, mha = multi_head_attention_forward(a.reshape(m, t, d), Wq, bq, Wk, bk, Wv, bv, Wo, bo,
                                                    self.n_heads, mask)
            h += att.reshape(m * t, d)  # in place: no cache holds h (LayerNorm keeps its normalised input)
            a2, ln2 = layer_norm_forward(h, g2, be2, LN_EPS)
            z1 = a2 @ W1
            z1 += b1
            g, gc = gelu_forward(z1)
            z2 = g @ W2
            z2 += b2
            h += z2
            if keep:
                caches.append((ln1, mha, ln2, a2, gc, g))
        hf, lnf = layer_norm_forward(h, self.params[-3], self.params[-2], LN_EPS)
        logits = hf @ self.params[-1]
        if keep:
            caches.append((lnf, hf))
        return logits, caches

    @_blas_threads
    def forward_with_cache(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        """Forward pass on validated ids ``X`` (m, t) (trusted) that keeps what :meth:`backward` needs.
        Returns ``(logits (m, t, V), caches)``."""
        logits, caches = self._forward(X, keep=True)
        return logits.reshape(*X.shape, self.vocab_size), caches

    @_blas_threads
    def _forward_logits(self, X: np.ndarray) -> np.ndarray:
        """Logits (m, t, V) on validated ids, keeping no backward caches (evaluation in the training loop)."""
        return self._forward(X, keep=False)[0].reshape(*X.shape, self.vocab_size)

    @_blas_threads
    def forward(self, X) -> np.ndarray:
        r"""Logits of the next token at every position: shape (m, t, V) for token ids ``X`` of shape (m, t),
        :math:`1 \le t \le T`. Position :math:`s` depends only on ``X[:, :s + 1]`` (causal)."""
        return self._forward_logits(self._check_X(X))

    def logits(self, X) -> np.ndarray:
        """Same as :meth:`forward` (the logits are the model's output)."""
        return self.forward(X)

    # ------------------------------------------------------------------ loss and backward
    def loss_from_logits(self, logits: np.ndarray, Y: np.ndarray) -> float:
        r"""Mean cross-entropy :math:`\frac{1}{N}\sum_n [\log\sum_v e^{z_{nv}} - z_{n, y_n}]` over all positions, for
        logits (..., V) and validated targets of shape (...)."""
        z = logits.reshape(-1, self.vocab_size)
        y = Y.reshape(-1)
        c = z.max(axis=1)
        e = np.exp(z - c[:, None])
        lse = np.log(e.sum(axis=1)) + c
        return float(np.mean(lse - z[np.arange(len(y)), y], dtype=np.float64))

    @staticmethod
    def _xent_and_delta(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        r"""Cross-entropy loss and :math:`\partial\mathcal L/\partial z = (\mathrm{softmax}(z) -
        \mathrm{onehot}(y))/N` in one pass over the logits ``z`` (N, V)."""
        N = len(y)
        rows = np.arange(N)
        c = z.max(axis=1, keepdims=True)
        delta = z - c
        z_y = delta[rows, y]  # z_y - c
        np.exp(delta, out=delta)
        s = delta.sum(axis=1)
        loss = float(np.mean(np.log(s) - z_y, dtype=np.float64))
        delta *= (1.0 / s / N).astype(z.dtype)[:, None]
        delta[rows, y] -= 1.0 / N
        return loss, delta

    def backward(self, dlogits: np.ndarray, caches: list, X: np.ndarray) -> list[np.ndarray]:
        r"""Backpropagation from :math:`\partial\mathcal L/\partial\,\mathrm{logits}` (m t, V) through the caches
        of :meth:`forward_with_cache` for ids ``X`` (m, t). Returns the gradients in :meth:`get_weights` order.

        Each residual connection :math:`h \leftarrow h + f(h)` passes the gradient on unchanged and adds
        :math:`f`'s input gradient: :math:`\partial \mathcal L/\partial h \mathrel{+}= \partial \mathcal L/\partial
        h\ \cdot\ \partial f/\partial h`. The position embedding's gradient is the sum over the batch, the token
        embedding's the sum over the occurrences of each token (:func:`course_lib.layers.embedding_backward`).
        """
        m, t = X.shape
        d = self.d_model
        grads: list[np.ndarray] = [None] * len(self.params)  # type: ignore[list-item]
        lnf, hf = caches[-1]
        grads[-1] = hf.T @ dlogits
        dh, grads[-3], grads[-2] = layer_norm_backward(dlogits @ self.params[-1].T, lnf)
        for l in range(self.n_layers - 1, -1, -1):
            base = 2 + _NB * l
            W1, W2 = self.params[base + 12], self.params[base + 14]
            ln1, mha, ln2, a2, gc, g = caches[1 + l]
            # MLP branch: h = h + GELU(a2 W1 + b1) W2 + b2
            grads[base + 14] = g.T @ dh
            grads[base + 15] = dh.sum(axis=0)
            dz1 = gelu_backward(dh @ W2.T, gc)
            grads[base + 12] = a2.T @ dz1
            grads[base + 13] = dz1.sum(axis=0)
            dx, grads[base + 10], grads[base + 11] = layer_norm_backward(dz1 @ W1.T, ln2)
            dh += dx
            # attention branch: h = h + MHA(LN1(h))
            (da, grads[base + 2], grads[base + 3], grads[base + 4], grads[base + 5], grads[base + 6],
             grads[base + 7], grads[base + 8], grads[base + 9]) = multi_head_attention_backward(
                dh.reshape(m, t, d), mha)
            dx, grads[base + 0], grads[base + 1] = layer_norm_backward(da.reshape(m * t, d), ln1)
            dh += dx
        grads[0] = embedding_backward(dh, caches[0])
        dwpe = np.zeros_like(self.params[1])
        dwpe[:t] = dh.reshape(m, t, d).sum(axis=0)
        grads[1] = dwpe
        return grads

    @_blas_threads
    def _loss_grads_logits(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, list[np.ndarray], np.ndarray]:
        r"""Loss, gradients and logits (m, t, V) on validated ``(X, Y)``: one forward and one backward pass (the
        training loop's protocol).

        The m sequences are split into ``n_threads`` parts of about equal size, each part's mean loss
        :math:`\mathcal L_k` and gradients are computed in a thread of its own, and they are combined as
        :math:`\mathcal L = \sum_k \frac{m_k}{m} \mathcal L_k` (the mean over all positions, since every
        sequence has t of them), the gradients likewise. NumPy releases the interpreter lock inside its loops and
        matrix products, so on two cores the parts run in parallel: with batch 32 a training step of the course's
        model took about 0.6 of the time of one thread. The split depends only on ``n_threads``, not on the
        machine, so the same model, data and ``n_threads`` give the same numbers everywhere.
        """
        k = min(check_int(self.n_threads, "n_threads"), len(X))
        if k == 1:
            return self._loss_grads_logits_part(X, Y)
        bounds = np.linspace(0, len(X), k + 1).round().astype(int)
        parts = [(X[a:b], Y[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        pool = _thread_pool(k)
        results = [f.result() for f in [pool.submit(self._loss_grads_logits_part, Xk, Yk) for Xk, Yk in parts]]
        weights = [len(Xk) / len(X) for Xk, _ in parts]
        loss = sum(w * r[0] for w, r in zip(weights, results))
        grads = results[0][1]
        for g in grads:
            g *= weights[0]
        for w, (_, more, _) in zip(weights[1:], results[1:]):
            for g, h in zip(grads, more):
                h *= w
                g += h
        return loss, grads, np.concatenate([r[2] for r in results])

    def _loss_grads_logits_part(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, list[np.ndarray], np.ndarray]:
        """:meth:`_loss_grads_logits` of one part, in the calling thread."""
        logits, caches = self._forward(X, keep=True)
        loss, delta = self._xent_and_delta(logits, Y.reshape(-1))
        grads = self.backward(delta, caches, X)
        return loss, grads, logits.reshape(*X.shape, self.vocab_size)

    @_blas_threads
    def loss(self, X, Y) -> float:
        """Mean next-token cross-entropy (nats) of targets ``Y`` given inputs ``X``, both (m, t) token ids."""
        X, Y = self._check_X_y(X, Y)
        return self.loss_from_logits(self._forward(X, keep=False)[0], Y)

    @_blas_threads
    def loss_and_grads(self, X, Y) -> tuple[float, list[np.ndarray]]:
        r"""Mean next-token cross-entropy over all :math:`m t` positions and its gradients, in :meth:`get_weights`
        order. ``X``, ``Y``: (m, t) token ids, ``Y[i, s]`` the token after ``X[i, s]``."""
        X, Y = self._check_X_y(X, Y)
        loss, grads, _ = self._loss_grads_logits(X, Y)
        return loss, grads

    # ------------------------------------------------------------------ generation
    def init_cache(self, batch_size: int) -> KVCache:
        """An empty key/value cache for ``batch_size`` sequences: arrays of shape (n_layers, B, n_heads, T, d_k)."""
        B = check_int(batch_size, "batch_size")
        shape = (self.n_layers, B, self.n_heads, self.context_length, self.d_k)
        return KVCache(np.zeros(shape, dtype=self.dtype), np.zeros(shape, dtype=self.dtype), 0)

    @_blas_threads
    def forward_cached(self, ids: np.ndarray, cache: KVCache) -> np.ndarray:
        r"""Logits of the **last** position (B, V) after appending token ids ``ids`` (B, t_new) to the sequences
        in ``cache``, whose keys and values are extended in place.

        The new tokens take positions ``cache.length .. cache.length + t_new - 1`` (at most T in all); their
        queries attend to every cached position and, causally, to each other. With an empty cache this is the
        "prefill" of a prompt; with ``t_new = 1`` one step of generation. ``ids`` are trusted (validated ids).
        """
        return self._forward_cached(ids, cache, self._fused_qkv())

    def _fused_qkv(self) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""Per block, :math:`[W_q/\sqrt{d_k}\ W_k\ W_v]` (d, 3d) and its bias (3d,), as in
        :func:`course_lib.attention.multi_head_attention_forward`; computed once per :meth:`generate`."""
        scale = 1.0 / math.sqrt(self.d_k)
        fused = []
        for l in range(self.n_layers):
            _, _, Wq, bq, Wk, bk, Wv, bv = self.block_params(l)[:8]
            fused.append((np.concatenate([Wq * scale, Wk, Wv], axis=1), np.concatenate([bq * scale, bk, bv])))
        return fused

    def _forward_cached(self, ids: np.ndarray, cache: KVCache, fused: list) -> np.ndarray:
        """:meth:`forward_cached` with the fused query/key/value weights of :meth:`_fused_qkv`."""
        B, t_new = ids.shape
        p0 = cache.length
        p1 = p0 + t_new
        if p1 > cache.capacity:
            raise ValueError(f"the cache holds {p0} of {cache.capacity} positions; {t_new} more do not fit")
        d, H, dk = self.d_model, self.n_heads, self.d_k
        h, _ = self._embed(ids, start=p0)
        # query i (position p0 + i) may attend to key j when j <= p0 + i; one new token attends to all
        mask = None if t_new == 1 else np.arange(p1)[None, :] <= (p0 + np.arange(t_new))[:, None]
        for l in range(self.n_layers):
            (g1, be1, _, _, _, _, _, _, Wo, bo, g2, be2, W1, b1, W2, b2) = self.block_params(l)
            a, _ = layer_norm_forward(h, g1, be1, LN_EPS)
            qkv = a @ fused[l][0]  # queries scaled by 1/sqrt(d_k)
            qkv += fused[l][1]
            qkv = qkv.reshape(B, t_new, 3, H, dk).transpose(2, 0, 3, 1, 4)  # (3, B, H, t_new, dk)
            cache.k[l, :, :, p0:p1] = qkv[1]
            cache.v[l, :, :, p0:p1] = qkv[2]
            S = np.matmul(qkv[0], np.swapaxes(cache.k[l, :, :, :p1], -1, -2))  # (B, H, t_new, p1)
            P = masked_softmax(S, mask)
            ctx = merge_heads(np.matmul(P, cache.v[l, :, :, :p1])).reshape(B * t_new, d)
            att = ctx @ Wo
            att += bo
            h += att
            a2, _ = layer_norm_forward(h, g2, be2, LN_EPS)
            z1 = a2 @ W1
            z1 += b1
            z2 = gelu_forward(z1)[0] @ W2
            z2 += b2
            h += z2
        cache.length = p1
        last = h.reshape(B, t_new, d)[:, -1]
        hf, _ = layer_norm_forward(last, self.params[-3], self.params[-2], LN_EPS)
        return hf @ self.params[-1]

    def _last_logits(self, X: np.ndarray) -> np.ndarray:
        """Logits (B, V) of the last position of validated ids ``X`` (B, t), t <= T, by a full forward pass
        (without the output head on the other positions)."""
        m, t = X.shape
        d = self.d_model
        mask = causal_mask(t)
        h, _ = self._embed(X)
        for l in range(self.n_layers):
            (g1, be1, Wq, bq, Wk, bk, Wv, bv, Wo, bo, g2, be2, W1, b1, W2, b2) = self.block_params(l)
            a, _ = layer_norm_forward(h, g1, be1, LN_EPS)
            att, _ = multi_head_attention_forward(a.reshape(m, t, d), Wq, bq, Wk, bk, Wv, bv, Wo, bo,
                                                  self.n_heads, mask)
            h += att.reshape(m * t, d)
            a2, _ = layer_norm_forward(h, g2, be2, LN_EPS)
            z1 = a2 @ W1
            z1 += b1
            z2 = gelu_forward(z1)[0] @ W2
            z2 += b2
            h += z2
        hf, _ = layer_norm_forward(h.reshape(m, t, d)[:, -1], self.params[-3], self.params[-2], LN_EPS)
        return hf @ self.params[-1]

    @_blas_threads
    def generate(
        self,
        prompt_ids,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        use_cache: bool = True,
    ) -> np.ndarray:
        r"""Extend ``prompt_ids`` by ``max_new_tokens`` tokens, each drawn from the model's next-token distribution
        given everything before it (autoregressive generation).

        At every step the logits of the next token are computed from the last ``context_length`` tokens, then a
        token is chosen by :func:`course_lib.sampling.sample_next`: temperature, then top-k, then top-p filtering,
        then a draw; ``top_k=1`` is greedy decoding (argmax). With ``use_cache`` the prompt is processed in one
        pass that fills a key/value cache (:meth:`init_cache`), and each new token then costs one position, until
        the sequence outgrows the context (see :class:`KVCache`); the tokens are those of full recomputation
        (``use_cache=False``).

        Parameters
        ----------
        prompt_ids : int array (t0,) or (B, t0), t0 >= 1
            The prompt(s); longer than ``context_length`` is allowed (the model then sees the last T tokens).
        max_new_tokens : int >= 0
        temperature : float > 0
        top_k : int >= 1 or None
        top_p : float in (0, 1] or None
        seed : int >= 0 or None
            Seed of ``np.random.default_rng``; the same seed gives the same tokens.
        use_cache : bool

        Returns
        -------
        int64 array of shape (t0 + max_new_tokens,) or (B, t0 + max_new_tokens): the prompt followed by the new
        tokens.
        """
        ids = self._check_ids(prompt_ids, "prompt_ids", ndim=(1, 2))
        one_d = ids.ndim == 1
        if one_d:
            ids = ids[None, :]
        n_new = check_int(max_new_tokens, "max_new_tokens", minimum=0)
        tau = sampling._check_temperature(temperature)
        if top_k is not None:
            top_k = sampling._check_top_k(top_k)
        if top_p is not None:
            top_p = sampling._check_top_p(top_p)
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        if not isinstance(use_cache, (bool, np.bool_)):
            raise TypeError(f"use_cache must be True or False; got {_describe(use_cache)}")
        B, t0 = ids.shape
        T = self.context_length
        out = np.empty((B, t0 + n_new), dtype=np.int64)
        out[:, :t0] = ids
        rng = np.random.default_rng(seed)
        cache = self.init_cache(B) if use_cache and n_new > 0 else None
        fused = self._fused_qkv() if cache is not None else None
        with np.errstate(under="ignore"):
            for i in range(n_new):
                n = t0 + i  # tokens so far; the next one goes to out[:, n]
                window = out[:, max(0, n - T):n]
                if cache is None or n > T:  # past the context the window slides: every position changes, so
                    logits = self._last_logits(window)  # nothing cached can be reused: a full pass, as without
                elif i == 0:  # prefill: the prompt in one pass, which fills the cache
                    logits = self._forward_cached(window, cache, fused)
                else:  # the cache holds out[:, :n - 1]: append the last token
                    logits = self._forward_cached(out[:, n - 1:n], cache, fused)
                out[:, n] = sampling._sample(logits, tau, top_k, top_p, rng)
        return out[0] if one_d else out

    # ------------------------------------------------------------------ persistence
    def config(self) -> dict:
        """The architecture as a dict, enough to rebuild the model with ``GPT(**config)``."""
        return {
            "vocab_size": self.vocab_size,
            "context_length": self.context_length,
            "d_model": self.d_model,
            "n_heads": self.n_heads,
            "n_layers": self.n_layers,
            "seed": self.seed,
            "dtype": str(self.dtype),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Save architecture and weights to one ``.npz`` file, atomically (written to a temporary file in the same
        directory, then renamed over ``path``). Returns the path written (``.npz`` appended if missing)."""
        cfg = self.config()
        arrays = {key: np.array(cfg[key], dtype=np.int64)
                  for key in ("vocab_size", "context_length", "d_model", "n_heads", "n_layers")}
        arrays["seed"] = np.array(-1 if self.seed is None else self.seed, dtype=np.int64)
        arrays["dtype"] = np.array(cfg["dtype"])
        arrays.update({f"param_{i}": p for i, p in enumerate(self.params)})
        return save_npz_atomic(path, _FORMAT, _FORMAT_VERSION, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "GPT":
        """Load a model written by :meth:`save`. Raises ValueError for a corrupt file or one that is not a
        course_lib GPT; never unpickles anything (``allow_pickle=False``)."""
        path = Path(path)
        contents = load_model_arrays(path, _FORMAT, _FORMAT_VERSION, "GPT")
        try:
            seed = int(contents["seed"])
            model = cls(
                **{k: int(contents[k]) for k in ("vocab_size", "context_length", "d_model", "n_heads", "n_layers")},
                seed=None if seed < 0 else seed,
                dtype=str(contents["dtype"]),
            )
            model.set_weights([contents[f"param_{i}"] for i in range(len(model.params))])
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{str(path)!r} is a damaged course_lib GPT file: {exc}") from None
        return model

    def __repr__(self) -> str:
        return (
            f"GPT(vocab_size={self.vocab_size}, context_length={self.context_length}, d_model={self.d_model}, "
            f"n_heads={self.n_heads}, n_layers={self.n_layers}, seed={self.seed!r}, dtype={str(self.dtype)!r})"
        )
