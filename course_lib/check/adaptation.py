r"""Checks for the exercises of chapter "Adapting a large model cheaply" (``book/23-cheap-adaptation.md``).

- :func:`lora_grads`: ``lora_grads(G, A, B, alpha)`` returns ``(dA, dB)``, the gradients of the LoRA factors from
  the gradient :math:`G` of the effective matrix :math:`W + sAB`, :math:`s = \alpha / r`:
  :math:`dA = s\,G B^\top`, :math:`dB = s\,A^\top G`.
- :func:`quantize_per_channel`: ``quantize_per_channel(W)`` returns ``(q, scale)`` with one scale per output
  column, ``scale[j] = max_i |W[i, j]| / 127``, and ``q = round(W / scale)`` as ``np.int8``.
- :func:`kd_grad`: ``kd_grad(z, v, tau)``, the gradient of the mean over rows of
  :math:`\tau^2\,\mathrm{KL}(\operatorname{softmax}(v/\tau)\,\|\,\operatorname{softmax}(z/\tau))` with respect
  to the student's logits: :math:`\tau\,(q - p)/N`.

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, is_close

__all__ = ["lora_grads", "quantize_per_channel", "kd_grad"]


def _as_array(value, what: str) -> np.ndarray:
    if value is None:
        raise CheckFailed(f"{what} returned None: `return` the result.")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should return a numeric array; got {type(value).__name__}.") from None


# --------------------------------------------------------------------------------------------- LoRA grads
def _lora_cases():
    rng = np.random.default_rng(23)
    out = []
    for d_in, d_out, r, alpha in [(6, 4, 2, 4.0), (5, 7, 3, 3.0), (8, 8, 1, 16.0)]:
        out.append((rng.normal(size=(d_in, d_out)), rng.normal(size=(d_in, r)), rng.normal(size=(r, d_out)), alpha))
    return out


@exercise_check("ex-ad-lora-grads", "Exercise: the gradients of a LoRA adapter")
def lora_grads(student_fn):
    """Check ``student_fn(G, A, B, alpha)`` against ``(s G B^T, s A^T G)`` with ``s = alpha / r``."""
    for G, A, B, alpha in _lora_cases():
        what = f"lora_grads(G {G.shape}, A {A.shape}, B {B.shape}, alpha={alpha})"
        got = student_fn(G.copy(), A.copy(), B.copy(), alpha)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{what} should return a pair (dA, dB); got {type(got).__name__}.")
        dA, dB = _as_array(got[0], what), _as_array(got[1], what)
        if dA.shape != A.shape or dB.shape != B.shape:
            if dA.shape == B.shape and dB.shape == A.shape:
                raise CheckFailed(f"{what}: you returned (dB, dA); return (dA, dB), in that order.")
            raise CheckFailed(
                f"{what}: dA must have A's shape {A.shape} and dB B's shape {B.shape}; got {dA.shape} and "
                f"{dB.shape}. dA = s G B^T is (d_in, d_out) x (d_out, r); dB = s A^T G is (r, d_in) x (d_in, d_out)."
            )
        r = A.shape[1]
        s = alpha / r
        expected = (s * G @ B.T, s * A.T @ G)
        if is_close(dA, expected[0], rtol=1e-9, atol=1e-12) and is_close(dB, expected[1], rtol=1e-9, atol=1e-12):
            continue
        for factor, message in [(alpha, "you scaled by alpha; the scale is s = alpha / r (r = A.shape[1])."),
                                (1.0, "you left out the scale s = alpha / r: W_eff = W + s A B, so both gradients "
                                      "carry the factor s."),
                                (1.0 / s, "you divided by the scale s = alpha / r instead of multiplying by it.")]:
            if r > 1 or factor != alpha:
                if (is_close(dA, factor * G @ B.T, rtol=1e-9, atol=1e-12)
                        and is_close(dB, factor * A.T @ G, rtol=1e-9, atol=1e-12)):
                    raise CheckFailed(f"{what}: {message}")
        if is_close(dA, expected[0], rtol=1e-9, atol=1e-12):
            raise CheckFailed(f"{what}: dA is right but dB is not. dB = s A^T G: the gradient of <G, s A B> with "
                              "respect to B.")
        if is_close(dB, expected[1], rtol=1e-9, atol=1e-12):
            raise CheckFailed(f"{what}: dB is right but dA is not. dA = s G B^T: the gradient of <G, s A B> with "
                              "respect to A.")
        raise CheckFailed(f"{what}: expected dA = s G B^T and dB = s A^T G with s = alpha / r; the largest "
                          f"differences are {np.abs(dA - expected[0]).max():.3g} and "
                          f"{np.abs(dB - expected[1]).max():.3g}.")


# ------------------------------------------------------------------------------------- per-channel int8
@exercise_check("ex-ad-per-channel", "Exercise: per-channel int8 quantization")
def quantize_per_channel(student_fn):
    """Check ``student_fn(W)`` against one absmax scale per output column, ``q = round(W / scale)`` in int8."""
    rng = np.random.default_rng(230)
    cases = [rng.normal(size=(12, 5)) * np.array([0.01, 0.1, 1.0, 10.0, 3.0]),
             rng.standard_t(3, size=(20, 9)),
             np.array([[0.5, -2.0, 0.0], [-1.27, 1.0, 0.3]])]
    for W in cases:
        what = f"quantize_per_channel(W of shape {W.shape})"
        given = W.copy()
        got = student_fn(given)
        if not np.array_equal(given, W):
            raise CheckFailed(f"{what} changed the matrix it was given: work on a copy.")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{what} should return a pair (q, scale); got {type(got).__name__}.")
        q, scale = np.asarray(got[0]), _as_array(got[1], what)
        expected_scale = np.abs(W).max(axis=0) / 127
        expected_q = np.round(W / expected_scale)
        if scale.size == W.shape[0] and W.shape[0] != W.shape[1] and is_close(
                scale.reshape(-1), np.abs(W).max(axis=1) / 127, rtol=1e-6, atol=0):
            raise CheckFailed(f"{what}: you computed one scale per ROW (input). An output channel is a column of "
                              "W (d_in, d_out): take the maximum over the rows, axis=0.")
        if scale.size == 1 and is_close(float(scale.reshape(-1)[0]), np.abs(W).max() / 127, rtol=1e-6, atol=0):
            raise CheckFailed(f"{what}: you used one scale for the whole matrix (per tensor); compute one per "
                              "column, np.abs(W).max(axis=0) / 127.")
        if scale.size != W.shape[1]:
            raise CheckFailed(f"{what}: scale should have one entry per output column, shape ({W.shape[1]},); got "
                              f"shape {scale.shape}.")
        scale = scale.reshape(-1)
        if is_close(scale, np.abs(W).max(axis=0) / 255, rtol=1e-6, atol=0) or is_close(
                scale, np.abs(W).max(axis=0) / 128, rtol=1e-6, atol=0):
            raise CheckFailed(f"{what}: the symmetric scale maps the largest |w| of a column to 127: "
                              "scale = max|w| / 127.")
        if not is_close(scale, expected_scale, rtol=1e-6, atol=0):
            raise CheckFailed(f"{what}: scale[j] should be max_i |W[i, j]| / 127; got {scale} instead of "
                              f"{expected_scale}.")
        if q.dtype != np.int8:
            raise CheckFailed(f"{what}: q should be an np.int8 array (one byte per weight); got dtype {q.dtype}. "
                              "Use .astype(np.int8) after rounding.")
        if q.shape != W.shape:
            raise CheckFailed(f"{what}: q should have W's shape {W.shape}; got {q.shape}.")
        if np.array_equal(q, np.trunc(W / expected_scale).astype(np.int8)) and not np.array_equal(q, expected_q):
            raise CheckFailed(f"{what}: astype(np.int8) truncates towards zero; round first, np.round(W / scale).")
        if not np.array_equal(q, expected_q):
            n_bad = int(np.sum(q != expected_q))
            raise CheckFailed(f"{what}: {n_bad} entries of q differ from round(W / scale).")


# ------------------------------------------------------------------------------------------ distillation
def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@exercise_check("ex-ad-kd-grad", "Exercise: the gradient of the distillation loss")
def kd_grad(student_fn):
    """Check ``student_fn(z, v, tau)`` against ``tau (softmax(z / tau) - softmax(v / tau)) / N``."""
    rng = np.random.default_rng(2300)
    cases = [(rng.normal(size=(5, 7)), rng.normal(size=(5, 7)) * 2, 1.0),
             (rng.normal(size=(4, 6)), rng.normal(size=(4, 6)), 2.0),
             (rng.normal(size=(3, 10)) * 3, rng.normal(size=(3, 10)) * 3, 4.0),
             (np.array([[900.0, 899.0, 0.0]]), np.array([[0.0, 1.0, 2.0]]), 1.0)]
    for z, v, tau in cases:
        what = f"kd_grad(z {z.shape}, v {v.shape}, tau={tau})"
        got = _as_array(student_fn(z.copy(), v.copy(), tau), what)
        if got.shape != z.shape:
            raise CheckFailed(f"{what}: the gradient has the logits' shape {z.shape}; got {got.shape}.")
        if not np.all(np.isfinite(got)):
            raise CheckFailed(f"{what} returned NaN or inf: subtract each row's maximum before np.exp.")
        N = len(z)
        q, p = _softmax(z / tau), _softmax(v / tau)
        expected = tau * (q - p) / N
        if is_close(got, expected, rtol=1e-7, atol=1e-12):
            continue
        mistakes = [
            ((q - p) / (tau * N), "you left out the factor tau^2 of the loss: the gradient of tau^2 KL is tau (q - p), "
                                  "not (q - p) / tau."),
            (tau * (p - q) / N, "the sign is reversed: the gradient is tau (q - p), student minus teacher."),
            (tau * (q - p), "you returned the gradient of the SUM over rows; the loss is the mean over the N rows: "
                            "divide by N."),
            (tau * (_softmax(z) - p) / N, "the student's softmax must use the same temperature: q = "
                                          "softmax(z / tau)."),
            (tau * (q - _softmax(v)) / N, "the teacher's soft targets use the temperature too: p = "
                                          "softmax(v / tau)."),
        ]
        if tau != 1.0:
            for wrong, message in mistakes:
                if is_close(got, wrong, rtol=1e-7, atol=1e-12):
                    raise CheckFailed(f"{what}: {message}")
        else:
            for wrong, message in mistakes[1:3]:
                if is_close(got, wrong, rtol=1e-7, atol=1e-12):
                    raise CheckFailed(f"{what}: {message}")
        raise CheckFailed(f"{what}: expected tau (softmax(z / tau) - softmax(v / tau)) / N; the largest difference "
                          f"is {np.abs(got - expected).max():.3g}.")
