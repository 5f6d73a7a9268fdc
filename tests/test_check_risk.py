"""The exercise checks of chapter "Applications I: credit scoring and medical diagnosis" (course_lib/check/risk.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def _fn_fp(y_true, y_pred):
    return int(np.sum((y_true == 1) & (y_pred == 0))), int(np.sum((y_true == 0) & (y_pred == 1)))


def cost(y_true, y_pred, cost_fn, cost_fp):
    fn, fp = _fn_fp(y_true, y_pred)
    return (cost_fn * fn + cost_fp * fp) / len(y_true)


def cost_loop(y_true, y_pred, cost_fn, cost_fp):
    total = 0.0
    for t, p in zip(y_true, y_pred):
        total += cost_fn if (t == 1 and p == 0) else cost_fp if (t == 0 and p == 1) else 0.0
    return total / len(y_true)


def cost_swapped(y_true, y_pred, cost_fn, cost_fp):
    fn, fp = _fn_fp(y_true, y_pred)
    return (cost_fn * fp + cost_fp * fn) / len(y_true)


def cost_total(y_true, y_pred, cost_fn, cost_fp):
    fn, fp = _fn_fp(y_true, y_pred)
    return cost_fn * fn + cost_fp * fp


def cost_per_error(y_true, y_pred, cost_fn, cost_fp):
    fn, fp = _fn_fp(y_true, y_pred)
    return (cost_fn * fn + cost_fp * fp) / max(fn + fp, 1)


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-risk-cost"] is check.cost_per_case
    assert check.REGISTRY["ex-risk-gap"] is check.approval_gap


def test_cost_accepts_correct_functions(capsys):
    check.cost_per_case(cost)
    check.cost_per_case(cost_loop)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (cost_swapped, "costs are swapped"),
        (cost_total, "TOTAL cost"),
        (cost_per_error, "cost per ERROR"),
        (lambda yt, yp, cfn, cfp: (cost(yt, yp, cfn, cfp), 0.0), "one number"),
    ],
)
def test_cost_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.cost_per_case(wrong)


def test_cost_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.cost_per_case(stub)


def gap(approved, group):
    return approved[group == 0].mean() - approved[group == 1].mean()


def gap_reversed(approved, group):
    return -gap(approved, group)


def gap_absolute(approved, group):
    return abs(gap(approved, group))


def gap_wrong_denominator(approved, group):
    m = len(approved)
    return approved[group == 0].sum() / m - approved[group == 1].sum() / m


def gap_against_overall(approved, group):
    return approved[group == 0].mean() - approved.mean()


def test_gap_accepts_the_correct_function(capsys):
    check.approval_gap(gap)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (gap_reversed, "sign is reversed"),
        (gap_absolute, "absolute value"),
        (gap_wrong_denominator, "ALL"),
        (gap_against_overall, "overall approval rate"),
    ],
)
def test_gap_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.approval_gap(wrong)


def test_gap_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.approval_gap(stub)
