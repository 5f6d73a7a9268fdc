"""Checks for the exercises of chapter "Responsible use: privacy, explanations and fairness"
(``book/16-responsible-use.md``).

- :func:`clip_per_example`: ``clip_per_example(G, C)`` takes per-example gradients ``G`` of shape (m, d), one
  row per example, and returns each row scaled by :math:`\\min(1, C / \\lVert g_i \\rVert_2)`, so that no row
  has a norm above ``C`` (the clipping step of DP-SGD).
- :func:`equal_opportunity_difference`: ``equal_opportunity_difference(y, y_pred, group)`` returns
  :math:`\\mathrm{TPR}_1 - \\mathrm{TPR}_0`, the true positive rate of group 1 minus that of group 0.

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_shape, is_close

__all__ = ["clip_per_example", "equal_opportunity_difference"]


# ------------------------------------------------------------------------------------------ clipping
def _clip(G: np.ndarray, C: float) -> np.ndarray:
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    return G * np.minimum(1.0, C / np.maximum(norms, 1e-300))


@exercise_check("ex-resp-clip", "Exercise: clip per-example gradients")
def clip_per_example(student_fn):
    """Check ``student_fn(G, C)``: each row of ``G`` scaled to norm at most ``C``, short rows unchanged."""
    rng = np.random.default_rng(0)
    G_small = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0], [-6.0, 8.0]])
    G_big = rng.normal(size=(50, 7)) * rng.uniform(0.1, 3.0, size=(50, 1))
    cases = [("4 rows of norms 5, 0.5, 0 and 10, C = 1", G_small, 1.0),
             ("50 random rows, C = 1.5", G_big, 1.5),
             ("50 random rows, C = 100 (nothing to clip)", G_big, 100.0)]
    for what, G, C in cases:
        got = student_fn(G.copy(), C)
        label = f"clip_per_example on {what}"
        expect_shape(label, got, G.shape, hint="Return one clipped row per example, the same shape as G.")
        got = np.asarray(got, dtype=np.float64)
        expected = _clip(G, C)
        if np.any(~np.isfinite(got)):
            raise CheckFailed(f"{label} returned NaN or inf: a row of zeros has norm 0, and C / 0 is inf. "
                              "Use min(1, C / norm) with the norm kept away from 0 (e.g. np.maximum(norm, 1e-12)).")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        if np.allclose(got, np.clip(G, -C, C)):
            raise CheckFailed(f"{label}: you clipped each ENTRY to [-C, C] (np.clip). DP-SGD clips the L2 NORM of "
                              "each example's whole gradient: g_i * min(1, C / ||g_i||).")
        total = np.linalg.norm(G)
        if np.allclose(got, G * min(1.0, C / total)):
            raise CheckFailed(f"{label}: you scaled the whole matrix by its total norm. Clip each ROW (each "
                              "example) separately: norms = np.linalg.norm(G, axis=1, keepdims=True).")
        norms = np.linalg.norm(G, axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            normalised = G * C / norms
        if np.allclose(np.nan_to_num(got), np.nan_to_num(normalised)):
            raise CheckFailed(f"{label}: you rescaled every row to norm exactly C, so short gradients were made "
                              "LONGER. Clipping only shrinks: multiply by min(1, C / ||g_i||).")
        if np.allclose(got, G * np.minimum(1.0, C / np.maximum(np.linalg.norm(G, axis=0, keepdims=True), 1e-300))):
            raise CheckFailed(f"{label}: you clipped each COLUMN (feature) instead of each row (example): use "
                              "axis=1 for the norms of the rows.")
        expect_close(label, got, expected, hint="Multiply row i by min(1, C / ||g_i||_2).")


# ------------------------------------------------------------------------------------------ equal opportunity
def _tpr(y, y_pred, mask) -> float:
    pos = mask & (y == 1)
    return float(np.mean(y_pred[pos] == 1))


@exercise_check("ex-resp-eqopp", "Exercise: the equal-opportunity difference")
def equal_opportunity_difference(student_fn):
    """Check ``student_fn(y, y_pred, group)`` = TPR of group 1 - TPR of group 0 (labels 0/1, groups 0/1)."""
    rng = np.random.default_rng(1)
    m = 400
    group = (rng.random(m) < 0.4).astype(np.int64)
    y = (rng.random(m) < np.where(group == 1, 0.25, 0.5)).astype(np.int64)
    y_pred = (rng.random(m) < np.where(y == 1, np.where(group == 1, 0.85, 0.65), 0.2)).astype(np.int64)
    y2 = np.array([1, 1, 0, 0, 1, 1, 1, 0, 0, 0])
    p2 = np.array([1, 0, 1, 1, 1, 1, 0, 0, 0, 0])
    g2 = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    cases = [("10 examples (TPR 1/2 in group 0, 2/3 in group 1)", y2, p2, g2),
             ("400 random examples with different base rates", y, y_pred, group)]
    for what, yy, pp, gg in cases:
        got = student_fn(yy.copy(), pp.copy(), gg.copy())
        label = f"equal_opportunity_difference on {what}"
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should return one number, TPR_1 - TPR_0; got {type(got).__name__}.")
        tpr0, tpr1 = _tpr(yy, pp, gg == 0), _tpr(yy, pp, gg == 1)
        expected = tpr1 - tpr0
        if is_close(got, expected):
            continue
        if is_close(got, -expected):
            raise CheckFailed(f"{label}: your sign is reversed (TPR_0 - TPR_1). The exercise asks for group 1 minus "
                              "group 0.")
        sel = [float(np.mean(pp[gg == k])) for k in (0, 1)]
        if is_close(got, sel[1] - sel[0]) or is_close(got, abs(sel[1] - sel[0])):
            raise CheckFailed(f"{label}: you compared the SELECTION rates P(y_pred = 1 | group), which is demographic "
                              "parity. Equal opportunity compares the true positive rates: only the examples with "
                              "y = 1 count.")
        joint = [float(np.mean((pp[gg == k] == 1) & (yy[gg == k] == 1))) for k in (0, 1)]
        if is_close(got, joint[1] - joint[0]):
            raise CheckFailed(f"{label}: you divided the true positives by the size of the whole group. The TPR "
                              "divides by the number of POSITIVE examples (y = 1) of the group.")
        fpr = [float(np.mean(pp[(gg == k) & (yy == 0)] == 1)) for k in (0, 1)]
        if is_close(got, fpr[1] - fpr[0]):
            raise CheckFailed(f"{label}: you compared the false positive rates (examples with y = 0). Equal "
                              "opportunity compares the true positive rates (examples with y = 1).")
        acc = [float(np.mean(pp[gg == k] == yy[gg == k])) for k in (0, 1)]
        if is_close(got, acc[1] - acc[0]):
            raise CheckFailed(f"{label}: you compared the accuracies of the groups. Equal opportunity compares the "
                              "true positive rates, P(y_pred = 1 | y = 1, group).")
        expect_close(label, got, expected,
                     hint="TPR_k = mean of y_pred over the examples with y == 1 and group == k; return TPR_1 - TPR_0.")
