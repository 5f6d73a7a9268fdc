r"""Checks for the exercises of chapter "Loss functions" (book/03-loss-functions.md).

- :func:`bce_from_logits`: binary cross-entropy computed from logits, stable for any finite :math:`z`.
- :func:`softmax_cross_entropy`: categorical cross-entropy from logits with integer labels, through logsumexp.

Each check runs the student's function on a small input, on logits as large as :math:`10^3` (where the textbook
"probabilities first, then log" form gives ``inf`` or ``nan``) and on a float32 input, compares with
:mod:`course_lib.losses`, and recognises the usual mistakes (a sum instead of the mean, the per-example losses
instead of their mean, the minus sign on the first term only) to give a specific hint.
"""

from __future__ import annotations

import numpy as np

from .. import losses
from ._core import CheckFailed, _fmt, exercise_check, expect_close, is_close

__all__ = ["bce_from_logits", "softmax_cross_entropy"]

_STABLE_BCE = "max(z, 0) - z * y + log1p(exp(-|z|))"


def _softplus(z: np.ndarray) -> np.ndarray:
    r""":math:`\log(1 + e^{z})` in float64, finite for any finite ``z`` (NumPy's logaddexp)."""
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))


def _call(student_fn, *args):
    """Call the student's function on copies of ``args`` with NumPy's floating-point warnings silenced: a naive
    implementation overflows on the large logits, and the check explains that better than a RuntimeWarning."""
    with np.errstate(all="ignore"):
        return student_fn(*[np.array(a, copy=True) for a in args])


def _as_float_array(what: str, got) -> np.ndarray:
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should return a number; got {type(got).__name__}.") from None


def _close(a, b) -> bool:
    return is_close(a, b, rtol=1e-5, atol=1e-7)


def _diagnose(what: str, got, expected: float, per_example: np.ndarray, wrong: dict[str, float],
              unstable_hint: str, hint: str) -> None:
    """Raise CheckFailed with a specific message if ``got`` is not ``expected``.

    ``per_example``: the correct loss of every example (what a function that forgets the mean returns);
    ``wrong``: values of known wrong formulas, each with the hint that explains it.
    """
    arr = _as_float_array(what, got)
    if arr.shape != ():
        if arr.size == per_example.size and _close(arr.reshape(per_example.shape), per_example):
            raise CheckFailed(
                f"{what} returned the loss of every example (shape {arr.shape}); the loss L is one number, the "
                "mean of these over all entries: wrap the result in np.mean(...)."
            )
        if arr.size != 1:
            raise CheckFailed(f"{what} should return one number (the mean loss); got an array of shape {arr.shape}.")
        arr = arr.reshape(())
    value = float(arr)
    if not np.isfinite(value):
        raise CheckFailed(f"{what} is {value!r}, expected {expected!r}. {unstable_hint}")
    if _close(value, expected):
        return
    for wrong_value, wrong_hint in wrong.items():
        if _close(value, wrong_value):
            raise CheckFailed(f"{what} is not right: expected {_fmt(expected)}, got {_fmt(value)}. {wrong_hint}")
    raise CheckFailed(f"{what} is not right: expected {_fmt(expected)}, got {_fmt(value)}. {hint}")


# ------------------------------------------------------------------------------------------ binary, from logits
def _bce_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    return [
        ("small logits", np.array([-2.0, -0.5, 0.0, 1.5, 3.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])),
        (
            "large logits (|z| up to 1000)",
            np.array([-1000.0, -40.0, 40.0, 1000.0, 1000.0, -1000.0]),
            np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
        ),
        (
            "several labels per example, float32",
            np.array([[3.0, -30.0], [-0.25, 80.0], [12.0, -1.5]], dtype=np.float32),
            np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]], dtype=np.float32),
        ),
    ]


@exercise_check("ex-loss-bce-logits", "Exercise: binary cross-entropy from logits")
def bce_from_logits(student_fn):
    r"""Check ``student_fn(z, y)`` = :math:`\frac{1}{N}\sum [\max(z,0) - zy + \log(1+e^{-|z|})]`, the mean binary
    cross-entropy of :math:`\sigma(z)` over all entries, for logits of any size."""
    for name, z, y in _bce_cases():
        per_example = _softplus(z) - y * z  # = -[y log s(z) + (1 - y) log(1 - s(z))], exactly
        expected = float(np.mean(per_example))
        assert np.isclose(expected, losses.binary_cross_entropy_from_logits(z, y), rtol=1e-6)  # course_lib agrees
        sum_ = float(np.sum(per_example))
        bracketless = float(np.mean(y * _softplus(-z) - (1 - y) * _softplus(z)))
        p = np.clip(1.0 / (1.0 + np.exp(-np.clip(z.astype(np.float64), -700, 700))), 1e-7, 1 - 1e-7)
        clipped = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        wrong = {
            sum_: "You summed the losses; L is their mean (divide by the number of entries, or use np.mean).",
            -expected: "The sign is wrong: L = -[y log p + (1 - y) log(1 - p)] is positive.",
            bracketless: "The minus sign must apply to BOTH terms: L = -[y log p + (1 - y) log(1 - p)]. Written "
            "without the brackets (as in the source article) the second term is added with the wrong sign.",
            clipped: "You clipped the probabilities (as Keras does with from_logits=False): that caps the loss of "
            "a confident mistake at -log(1e-7) = 16.1. Work with z itself: " + _STABLE_BCE + ".",
        }
        _diagnose(
            f"bce_from_logits(z, y) for {name}",
            _call(student_fn, z, y),
            expected,
            per_example,
            {k: v for k, v in wrong.items() if not _close(k, expected)},
            unstable_hint="For large |z|, sigmoid(z) rounds to exactly 0 or 1, and log(0) = -inf (and 0 * log(0) "
            "= nan). Never take the log of a probability: use the stable form " + _STABLE_BCE + ".",
            hint="Use L = mean(" + _STABLE_BCE + "), the mean over all entries of z.",
        )


# ------------------------------------------------------------------------------------- softmax, from logits
def _ce_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    return [
        ("small logits, 4 examples and 3 classes", rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])),
        (
            "large logits (up to 1000)",
            np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0], [-1000.0, -1000.0, -1000.0],
                      [500.0, 500.0, 0.0]]),
            np.array([1, 1, 0, 2]),
        ),
        ("float32, 5 examples and 4 classes", rng.normal(0, 4, size=(5, 4)).astype(np.float32),
         np.array([3, 0, 0, 2, 1])),
    ]


def _lse(Z: np.ndarray, axis: int) -> np.ndarray:
    Z = np.asarray(Z, dtype=np.float64)
    c = Z.max(axis=axis, keepdims=True)
    return np.squeeze(c + np.log(np.exp(Z - c).sum(axis=axis, keepdims=True)), axis=axis)


@exercise_check("ex-loss-softmax-ce", "Exercise: softmax cross-entropy with logsumexp")
def softmax_cross_entropy(student_fn):
    r"""Check ``student_fn(Z, y)`` = :math:`\frac{1}{m}\sum_i [\operatorname{logsumexp}(Z_{i,:}) - Z_{i,y_i}]` for
    logits ``Z`` of shape (m, K) and integer labels ``y`` of shape (m,)."""
    for name, Z, y in _ce_cases():
        m = Z.shape[0]
        rows = np.arange(m)
        Z64 = Z.astype(np.float64)
        per_example = _lse(Z64, axis=1) - Z64[rows, y]
        expected = float(np.mean(per_example))
        assert np.isclose(expected, losses.categorical_cross_entropy_from_logits(Z64, y), rtol=1e-9)
        wrong = {
            float(np.sum(per_example)): "You summed over the examples; L is the mean over the m examples.",
            -expected: "The sign is wrong: L = -log softmax(z)_y = logsumexp(z) - z_y is positive.",
            float(np.mean(_lse(Z64, axis=0)[y] - Z64[rows, y])): "logsumexp must run over the classes of each "
            "example (axis=1, along a row), not over the examples (axis=0).",
            float(np.mean(_lse(Z64, axis=1) - Z64[:, y])): "Z[:, y] is an (m, m) matrix; pick one entry per row "
            "with Z[np.arange(m), y].",
            float(np.mean(_lse(Z64, axis=1)[:, None] - Z64[:, y])): "Z[:, y] is an (m, m) matrix; pick one entry "
            "per row with Z[np.arange(m), y].",
            float(np.mean(_lse(Z64, axis=1))): "You forgot to subtract the logit of the true class, Z[i, y_i].",
        }
        _diagnose(
            f"softmax_cross_entropy(Z, y) for {name}",
            _call(student_fn, Z, y),
            expected,
            per_example,
            {k: v for k, v in wrong.items() if not _close(k, expected)},
            unstable_hint="With logits of 1000, exp(z) overflows to inf (inf / inf = nan), and a probability of "
            "e^-1000 rounds to 0 (log 0 = -inf). Compute logsumexp(z) = c + log(sum(exp(z - c))) with c the row "
            "maximum, and L = mean(logsumexp(Z) - Z[np.arange(m), y]), without forming probabilities.",
            hint="L = mean over the rows of logsumexp(Z[i]) - Z[i, y[i]].",
        )
