"""Checks for the exercises of chapter "Evaluating a classifier" (``book/10-evaluating-classifiers.md``).

- :func:`precision_recall_f1`: ``precision_recall_f1(y_true, y_pred)`` returns ``(P, R, F1)`` for labels 0/1,
  with :math:`P = TP/(TP+FP)`, :math:`R = TP/(TP+FN)`, :math:`F_1 = 2PR/(P+R)` and 0.0 for a 0/0.
- :func:`threshold_for_recall`: ``threshold_for_recall(scores, y, target)`` returns the largest threshold
  :math:`t` such that predicting positive when ``scores >= t`` reaches a recall of at least ``target``.

Each check compares the student's function with :mod:`course_lib.metrics` or a direct computation and, for
the typical mistakes, says which one it looks like.
"""

from __future__ import annotations

import math

import numpy as np

from .. import metrics
from ._core import CheckFailed, exercise_check, expect_close, is_close

__all__ = ["precision_recall_f1", "threshold_for_recall"]


def _labels(tp: int, fp: int, fn: int, tn: int, seed: int):
    """y_true, y_pred (shuffled) with the given confusion counts."""
    y_true = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn)
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn)
    order = np.random.default_rng(seed).permutation(len(y_true))
    return y_true[order], y_pred[order]


# ---------------------------------------------------------------------------------------------- P, R, F1
@exercise_check("ex-eval-prf", "Exercise: precision, recall and F1 from the labels")
def precision_recall_f1(student_fn):
    """Check ``student_fn(y_true, y_pred) -> (P, R, F1)`` against :mod:`course_lib.metrics`."""
    cases = [
        ("the worked example (TP=6, FP=4, FN=2, TN=28)", (6, 4, 2, 28)),
        ("TP=3, FP=1, FN=9, TN=17", (3, 1, 9, 17)),
        ("no positive predictions (TP=0, FP=0, FN=5, TN=15)", (0, 0, 5, 15)),
    ]
    for k, (what, (tp, fp, fn, tn)) in enumerate(cases):
        y_true, y_pred = _labels(tp, fp, fn, tn, seed=k)
        got = student_fn(y_true.copy(), y_pred.copy())
        try:
            got = tuple(float(v) for v in got)
        except TypeError:
            raise CheckFailed(f"precision_recall_f1 should return a tuple (P, R, F1); got {type(got).__name__}")
        if len(got) != 3:
            raise CheckFailed(f"precision_recall_f1 should return three numbers (P, R, F1); got {len(got)}")
        P, R, F = (metrics.precision(y_true, y_pred), metrics.recall(y_true, y_pred), metrics.f1(y_true, y_pred))
        label = f"precision_recall_f1 on {what}"
        if any(math.isnan(v) for v in got):
            raise CheckFailed(f"{label} returned NaN: when a denominator is 0 (here no sample is predicted "
                              "positive, or P + R = 0) return 0.0, as the exercise says.")
        acc = (tp + tn) / (tp + fp + fn + tn)
        if tp + fn and tp + fp and fp != fn and is_close(got[0], tp / (tp + fn)):
            raise CheckFailed(f"{label}: your precision is TP/(TP+FN), which is the recall. Precision divides by "
                              "the number of positive PREDICTIONS, TP + FP.")
        if tp and not is_close(acc, P) and is_close(got[2], 2 * acc * R / (acc + R)):
            raise CheckFailed(f"{label}: your F1 is computed from the accuracy and the recall (the sources' "
                              "mistake). F1 is the harmonic mean of PRECISION and recall, 2PR/(P+R).")
        if tp and is_close(got[2], (P + R) / 2) and not is_close(P, R):
            raise CheckFailed(f"{label}: your F1 is the arithmetic mean (P+R)/2; F1 is the harmonic mean 2PR/(P+R).")
        expect_close(f"{label}: precision", got[0], P, hint="P = TP / (TP + FP), 0.0 if TP + FP = 0.")
        expect_close(f"{label}: recall", got[1], R, hint="R = TP / (TP + FN), 0.0 if TP + FN = 0.")
        expect_close(f"{label}: F1", got[2], F, hint="F1 = 2PR / (P + R), 0.0 if P + R = 0.")


# ---------------------------------------------------------------------------------------------- threshold
def _expected_threshold(scores: np.ndarray, y: np.ndarray, target: float) -> float:
    pos = np.sort(scores[y == 1])[::-1]
    k = math.ceil(target * len(pos) - 1e-12)
    return float(pos[max(k, 1) - 1])


def _recall_at(scores, y, t) -> float:
    return metrics.recall(y, (scores >= t).astype(np.int64))


@exercise_check("ex-eval-threshold", "Exercise: a threshold for a target recall")
def threshold_for_recall(student_fn):
    """Check ``student_fn(scores, y, target)``: the largest threshold whose recall (``scores >= t``) >= target."""
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.2).astype(np.int64)
    scores = np.round(np.clip(rng.normal(0.35 + 0.3 * y, 0.15), 0, 1), 3)
    y2 = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    s2 = np.array([0.1, 0.9, 0.4, 0.35, 0.8, 0.7, 0.6, 0.2])
    cases = [("8 samples, 4 positives, target 0.75", s2, y2, 0.75),
             ("8 samples, 4 positives, target 0.6", s2, y2, 0.6),
             ("200 random scores, target 0.9", scores, y, 0.9),
             ("200 random scores, target 0.5", scores, y, 0.5)]
    for what, s, yy, target in cases:
        got = student_fn(s.copy(), yy.copy(), target)
        got = float(got)
        expected = _expected_threshold(s, yy, target)
        label = f"threshold_for_recall on {what}"
        r = _recall_at(s, yy, got)
        if r < target - 1e-12:
            raise CheckFailed(f"{label} returned t = {got:.4g}, whose recall (predicting positive when score >= t) "
                              f"is {r:.3f} < {target}. Did you use > instead of >=, or round the number of "
                              "positives to catch down instead of up?")
        if got < expected - 1e-12:
            raise CheckFailed(f"{label} returned t = {got:.4g}; the recall is reached, but a larger threshold, "
                              f"{expected:.4g}, also reaches it with fewer false positives. Return the LARGEST "
                              "such threshold: the ceil(target * n_pos)-th highest score of a positive sample.")
        expect_close(label, got, expected,
                     hint="Sort the positives' scores in decreasing order and take the ceil(target * n_pos)-th one.")
