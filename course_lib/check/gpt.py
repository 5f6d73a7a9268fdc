r"""Checks for the exercises of chapter "A GPT from scratch" (``book/21-gpt-from-scratch.md``).

- :func:`top_k_probs`: ``top_k_probs(logits, k)``, the next-token distribution of top-k sampling: the softmax
  of the ``k`` largest logits of each row (last axis), 0 for every other token. For ``logits`` of shape (V,) or
  (B, V).
- :func:`gpt_n_params`: ``gpt_n_params(V, T, d, L)``, the number of parameters of the chapter's GPT,
  :math:`N = Vd + Td + L(12d^2 + 13d) + 2d + dV` (untied output head, no output bias).
- :func:`warmup_cosine_lr`: ``warmup_cosine_lr(step, peak_lr, warmup_steps, total_steps, final_lr=0.0)``, the
  learning rate of linear warm-up followed by cosine decay, the schedule of
  :class:`course_lib.schedules.WarmupCosine`:

  .. math::
      \eta(s) = \eta_{\max}\, \frac{s}{W} \quad (s < W), \qquad
      \eta(s) = \eta_{\min} + (\eta_{\max} - \eta_{\min})\, \tfrac12 \Bigl(1 + \cos \pi \tfrac{s - W}{S - W}\Bigr)
      \quad (W \le s \le S), \qquad \eta(s) = \eta_{\min} \quad (s > S).

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, is_close

__all__ = ["top_k_probs", "gpt_n_params", "warmup_cosine_lr"]


# ------------------------------------------------------------------------------------------------ top-k
def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _keep_mask(z: np.ndarray, k: int, largest: bool = True) -> np.ndarray:
    """True for the k largest (or smallest) entries of each row (no ties in the check's data)."""
    order = np.argsort(z, axis=-1)
    idx = order[..., -k:] if largest else order[..., :k]
    mask = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=-1)
    return mask


def _top_k_reference(z: np.ndarray, k: int, largest: bool = True) -> np.ndarray:
    k = min(max(k, 1), z.shape[-1])
    mask = _keep_mask(z, k, largest)
    return _softmax(np.where(mask, z, -np.inf))


def _top_k_cases():
    rng = np.random.default_rng(21)
    one = rng.normal(0.0, 2.0, size=10)                        # (V,) with V = 10
    batch = rng.normal(0.0, 1.5, size=(4, 12))                 # (B, V): each row has its own top k
    big = np.array([[900.0, 899.0, 897.5, 1.0, 0.0, 895.0],   # logits far above 709: exp overflows unless the
                    [-3.0, 2.0, 0.5, 1.0, -1.0, 0.25]])        # row maximum is subtracted first
    return [("logits of shape (10,), k = 3", one, 3), ("logits of shape (10,), k = 1", one, 1),
            ("logits of shape (10,), k = 10", one, 10), ("logits of shape (4, 12), k = 4", batch, 4),
            ("logits of shape (2, 6) with values near 900, k = 3", big, 3)]


@exercise_check("ex-gpt-top-k", "Exercise: top-k sampling probabilities")
def top_k_probs(student_fn):
    """Check ``student_fn(logits, k)`` against the softmax over the k largest logits of each row."""
    for what, z, k in _top_k_cases():
        given = z.copy()
        got = student_fn(given, k)
        if not np.array_equal(given, z):
            raise CheckFailed(
                f"top_k_probs changed the logits it was given ({what}): work on a copy (np.where(keep, logits, "
                "-np.inf) makes a new array) instead of writing -inf into the caller's array."
            )
        if got is None:
            raise CheckFailed(f"top_k_probs returned None ({what}): `return` the probabilities.")
        try:
            p = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"top_k_probs should return an array of probabilities; got {type(got).__name__}.") from None
        if p.shape != z.shape:
            raise CheckFailed(
                f"top_k_probs({what}) should return probabilities of the logits' shape {z.shape}; got shape "
                f"{p.shape}. Keep every token, with probability 0 for those outside the top k."
            )
        expected = _top_k_reference(z, k)
        if is_close(p, expected, rtol=1e-6, atol=1e-12):
            continue
        if not np.all(np.isfinite(p)):
            raise CheckFailed(
                f"top_k_probs({what}) returned NaN or inf: exp overflows for logits above about 709. Subtract "
                "each row's largest logit before np.exp (the softmax does not change)."
            )
        if is_close(p, _softmax(z) * _keep_mask(z, min(k, z.shape[-1])), rtol=1e-6, atol=1e-12):
            raise CheckFailed(
                f"top_k_probs({what}): your probabilities sum to less than 1. You zeroed the tokens outside the top "
                "k of the FULL softmax; renormalise over the k kept tokens (a softmax of the kept logits alone)."
            )
        if is_close(p, _top_k_reference(z, k, largest=False), rtol=1e-6, atol=1e-12):
            raise CheckFailed(
                f"top_k_probs({what}): you kept the k SMALLEST logits. np.argsort sorts in ascending order: the k "
                "largest are its last k positions."
            )
        for off, word in ((1, "k + 1"), (-1, "k - 1")):
            if 1 <= k + off <= z.shape[-1] and is_close(p, _top_k_reference(z, k + off), rtol=1e-6, atol=1e-12):
                raise CheckFailed(
                    f"top_k_probs({what}): you kept {word} tokens per row, not k (an off-by-one in the threshold: "
                    "the k-th largest logit itself is kept, the (k+1)-th is not)."
                )
        if z.ndim == 2:
            flat = _top_k_reference(z.reshape(1, -1), k).reshape(z.shape)
            if is_close(p, flat, rtol=1e-6, atol=1e-12) or np.count_nonzero(p) != z.shape[0] * k:
                raise CheckFailed(
                    f"top_k_probs({what}): each ROW is one next-token distribution and keeps its own k tokens "
                    f"({z.shape[0]} x {k} non-zero probabilities); work along the last axis (axis=-1)."
                )
        expect_close(f"top_k_probs({what})", p, expected, rtol=1e-6, atol=1e-12,
                     hint="p_i = exp(z_i) / sum_{j in top k} exp(z_j) for the k largest z_i of the row, 0 otherwise.")


# ---------------------------------------------------------------------------------------------- n_params
def _n_params(V: int, T: int, d: int, L: int, *, biases=True, norms=True, positions=True, untied=True) -> int:
    block = 12 * d * d + (9 * d if biases else 0) + (4 * d if norms else 0)
    return V * d + (T * d if positions else 0) + L * block + (2 * d if norms else 0) + (d * V if untied else 0)


@exercise_check("ex-gpt-n-params", "Exercise: the GPT's parameter count")
def gpt_n_params(student_fn):
    """Check ``student_fn(V, T, d, L)`` against V d + T d + L (12 d^2 + 13 d) + 2 d + d V."""
    cases = [(65, 64, 64, 2), (50257, 1024, 768, 12), (4773, 32, 96, 3), (10, 8, 16, 1)]
    got = {}
    for case in cases:
        value = student_fn(*case)
        if isinstance(value, (str, bytes, bool)) or value is None:
            raise CheckFailed(f"gpt_n_params{case} should return a number; got {type(value).__name__} {value!r}.")
        try:
            got[case] = float(value)
        except (TypeError, ValueError):
            raise CheckFailed(f"gpt_n_params{case} should return a number; got {type(value).__name__}.") from None

    def matches(**variant) -> bool:
        return all(is_close(v, _n_params(*case, **variant), rtol=0, atol=0.5) for case, v in got.items())

    if matches():
        return
    mistakes = [
        (dict(biases=False), "you left out the biases. Each block has bq, bk, bv, bo (4 d), b1 (4 d) and b2 (d): "
                             "9 d biases per block."),
        (dict(norms=False), "you left out the LayerNorm parameters: every LayerNorm has a gain gamma and a shift "
                            "beta of d entries each; two per block (4 d) and the final one (2 d)."),
        (dict(positions=False), "you left out the position embeddings: the learned table wpe has one row of d "
                                "numbers for each of the T positions (T d)."),
        (dict(untied=False), "you counted the output head as tied to the token embedding. The chapter's GPT has "
                             "its own output matrix W_out of shape (d, V): add d V."),
        (dict(biases=False, norms=False), "you counted only the weight matrices: add the biases (9 d per block) "
                                          "and the LayerNorm gains and shifts (4 d per block, 2 d at the end)."),
    ]
    for variant, message in mistakes:
        if matches(**variant):
            raise CheckFailed(f"gpt_n_params: {message}")
    for case, value in got.items():
        expect_close(f"gpt_n_params{case}", value, _n_params(*case), rtol=0, atol=0.5,
                     hint="Count per block: attention 4 d^2 + 4 d, MLP 8 d^2 + 5 d, two LayerNorms 4 d; then the "
                          "embeddings V d + T d, the final LayerNorm 2 d and the head d V.")


# ------------------------------------------------------------------------------------------ warm-up cosine
def _lr(step, peak, warmup, total, final, *, off_by_one=False, from_zero=False, no_half=False,
        no_floor=False, no_clamp=False) -> float:
    if step < warmup:
        return peak * ((step + 1) if off_by_one else step) / warmup
    span = total if from_zero else total - warmup
    s = step if from_zero else step - warmup
    if not no_clamp:
        s = min(s, span)
    c = math.cos(math.pi * s / span)
    shape = c if no_half else 0.5 * (1.0 + c)
    low = 0.0 if no_floor else final
    return low + (peak - low) * shape


@exercise_check("ex-gpt-warmup-cosine", "Exercise: warm-up and cosine decay")
def warmup_cosine_lr(student_fn):
    """Check ``student_fn(step, peak_lr, warmup_steps, total_steps, final_lr)`` at many steps."""
    settings = [(1e-3, 10, 100, 1e-4), (3e-3, 4, 40, 0.0), (0.5, 1, 9, 0.05)]
    for peak, warmup, total, final in settings:
        steps = list(range(0, total + 6))
        got = []
        for s in steps:
            value = student_fn(s, peak, warmup, total, final)
            if isinstance(value, (str, bytes, bool)) or value is None:
                raise CheckFailed(
                    f"warmup_cosine_lr({s}, {peak}, {warmup}, {total}, {final}) should return a number; got "
                    f"{type(value).__name__} {value!r}."
                )
            try:
                got.append(float(value))
            except (TypeError, ValueError):
                raise CheckFailed(
                    f"warmup_cosine_lr should return a number (a float); got {type(value).__name__}."
                ) from None
        got = np.array(got)
        args = f"peak_lr={peak}, warmup_steps={warmup}, total_steps={total}, final_lr={final}"

        def curve(**mistake):
            return np.array([_lr(s, peak, warmup, total, final, **mistake) for s in steps])

        if is_close(got, curve(), rtol=1e-7, atol=1e-12):
            continue
        mistakes = [
            (dict(off_by_one=True), "the warm-up is one step ahead: at step 0 the rate is 0 and it reaches peak_lr "
                                    "at step warmup_steps, so eta = peak_lr * step / warmup_steps (not step + 1)."),
            (dict(from_zero=True), "the cosine starts at step 0: it must start after the warm-up, at "
                                   "s = step - warmup_steps, over total_steps - warmup_steps steps."),
            (dict(no_half=True), "the cosine goes from +1 to -1, so the rate goes negative: use "
                                 "(1 + cos(pi s / S')) / 2, which goes from 1 to 0."),
            (dict(no_floor=True), "the rate decays to 0 instead of final_lr: eta = final_lr + (peak_lr - final_lr) "
                                  "* (1 + cos(...)) / 2."),
            (dict(no_clamp=True), "after total_steps the rate should stay at final_lr; yours climbs back up the "
                                  "cosine. Clamp the step at total_steps."),
        ]
        for mistake, message in mistakes:
            if is_close(got, curve(**mistake), rtol=1e-7, atol=1e-12):
                raise CheckFailed(f"warmup_cosine_lr ({args}): {message}")
        expect_close(f"warmup_cosine_lr at steps 0..{steps[-1]} ({args})", got, curve(), rtol=1e-7, atol=1e-12,
                     hint="Warm-up: peak_lr * step / warmup_steps; then final_lr + (peak_lr - final_lr) * (1 + "
                          "cos(pi (step - W) / (S - W))) / 2; final_lr after total_steps.")
