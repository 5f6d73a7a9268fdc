"""The exercise checks of chapter "Evaluating a classifier" (course_lib/check/evaluation.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import math

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def _counts(y_true, y_pred):
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    tn = int(np.sum((y_true == 0) & (y_pred == 0)))
    return tp, fp, fn, tn


def _div(a, b):
    return a / b if b else 0.0


def prf(y_true, y_pred):
    tp, fp, fn, _ = _counts(y_true, y_pred)
    p, r = _div(tp, tp + fp), _div(tp, tp + fn)
    return p, r, _div(2 * p * r, p + r)


def prf_precision_is_recall(y_true, y_pred):
    tp, fp, fn, _ = _counts(y_true, y_pred)
    p, r = _div(tp, tp + fn), _div(tp, tp + fn)
    return p, r, _div(2 * p * r, p + r)


def prf_f1_from_accuracy(y_true, y_pred):
    tp, fp, fn, tn = _counts(y_true, y_pred)
    p, r = _div(tp, tp + fp), _div(tp, tp + fn)
    a = (tp + tn) / len(y_true)
    return p, r, _div(2 * a * r, a + r)


def prf_nan(y_true, y_pred):
    tp, fp, fn, _ = _counts(y_true, y_pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.float64(tp) / (tp + fp)
        r = np.float64(tp) / (tp + fn)
        return p, r, 2 * p * r / (p + r)


def prf_arithmetic_mean(y_true, y_pred):
    p, r, _ = prf(y_true, y_pred)
    return p, r, (p + r) / 2


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-eval-prf"] is check.precision_recall_f1
    assert check.REGISTRY["ex-eval-threshold"] is check.threshold_for_recall


def test_precision_recall_f1_accepts_the_correct_function(capsys):
    check.precision_recall_f1(prf)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (prf_precision_is_recall, "which is the recall"),
        (prf_f1_from_accuracy, "computed from the accuracy"),
        (prf_nan, "returned NaN"),
        (prf_arithmetic_mean, "arithmetic mean"),
        (lambda yt, yp: prf(yt, yp)[:2], "three numbers"),
    ],
)
def test_precision_recall_f1_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.precision_recall_f1(wrong)


def test_precision_recall_f1_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.precision_recall_f1(stub)


def threshold(scores, y, target):
    pos = np.sort(scores[y == 1])[::-1]
    return pos[math.ceil(target * len(pos)) - 1]


def threshold_by_scan(scores, y, target):
    best = None
    for t in np.unique(scores):
        if np.mean(scores[y == 1] >= t) >= target:
            best = t
    return best


def threshold_floor(scores, y, target):
    pos = np.sort(scores[y == 1])[::-1]
    return pos[max(math.floor(target * len(pos)), 1) - 1]


def threshold_too_low(scores, y, target):
    return scores.min()


def test_threshold_accepts_correct_functions(capsys):
    check.threshold_for_recall(threshold)
    check.threshold_for_recall(threshold_by_scan)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [(threshold_floor, "recall"), (threshold_too_low, "LARGEST")],
)
def test_threshold_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.threshold_for_recall(wrong)


def test_threshold_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.threshold_for_recall(stub)
