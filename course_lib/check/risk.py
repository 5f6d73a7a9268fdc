"""Checks for the exercises of chapter "Applications I: credit scoring and medical diagnosis"
(``book/13-applications-risk.md``).

- :func:`cost_per_case`: ``cost_per_case(y_true, y_pred, cost_fn, cost_fp)`` returns the expected cost per case,
  :math:`(c_{FN}\\,FN + c_{FP}\\,FP)/m`, for labels 0/1 where ``y_pred == 1`` means "flagged as positive".
- :func:`approval_gap`: ``approval_gap(approved, group)`` returns the demographic parity difference, the approval
  rate in group 0 minus the approval rate in group 1, each rate computed within its group.

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, is_close

__all__ = ["cost_per_case", "approval_gap"]


def _labels(tp: int, fp: int, fn: int, tn: int, seed: int):
    """y_true, y_pred (shuffled) with the given confusion counts."""
    y_true = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn)
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn)
    order = np.random.default_rng(seed).permutation(len(y_true))
    return y_true[order], y_pred[order]


# ---------------------------------------------------------------------------------------------- expected cost
@exercise_check("ex-risk-cost", "Exercise: the expected cost per case")
def cost_per_case(student_fn):
    """Check ``student_fn(y_true, y_pred, cost_fn, cost_fp)`` against (cost_fn * FN + cost_fp * FP) / m."""
    cases = [
        ("TP=6, FP=4, FN=2, TN=28, cost_fn=6000, cost_fp=800", (6, 4, 2, 28), 6000.0, 800.0),
        ("TP=3, FP=10, FN=5, TN=82, cost_fn=10, cost_fp=1", (3, 10, 5, 82), 10.0, 1.0),
        ("no errors (TP=5, FP=0, FN=0, TN=15), cost_fn=7, cost_fp=2", (5, 0, 0, 15), 7.0, 2.0),
    ]
    for k, (what, (tp, fp, fn, tn), c_fn, c_fp) in enumerate(cases):
        y_true, y_pred = _labels(tp, fp, fn, tn, seed=k)
        m = len(y_true)
        got = student_fn(y_true.copy(), y_pred.copy(), c_fn, c_fp)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"cost_per_case should return one number (the cost per case); got {type(got).__name__}")
        expected = (c_fn * fn + c_fp * fp) / m
        label = f"cost_per_case on {what}"
        if fn != fp and is_close(got, (c_fn * fp + c_fp * fn) / m):
            raise CheckFailed(f"{label} returned {got:.4g}: the costs are swapped. A false NEGATIVE (y_true = 1, "
                              f"y_pred = 0, a missed positive) costs cost_fn; a false POSITIVE costs cost_fp.")
        if expected and is_close(got, c_fn * fn + c_fp * fp):
            raise CheckFailed(f"{label} returned {got:.4g}, the TOTAL cost; divide by the number of cases m = {m} "
                              "to get the cost per case.")
        errors = fn + fp
        if expected and errors and is_close(got, (c_fn * fn + c_fp * fp) / errors):
            raise CheckFailed(f"{label} returned {got:.4g}, the cost per ERROR; divide by the number of all cases "
                              f"m = {m}, since correct decisions are cases too (they cost 0).")
        expect_close(label, got, expected, hint="cost = (cost_fn * FN + cost_fp * FP) / m, with FN = #(y_true == 1 "
                     "and y_pred == 0) and FP = #(y_true == 0 and y_pred == 1).")


# ---------------------------------------------------------------------------------------------- parity gap
@exercise_check("ex-risk-gap", "Exercise: the demographic parity difference")
def approval_gap(student_fn):
    """Check ``student_fn(approved, group)``: approval rate in group 0 minus approval rate in group 1."""
    rng = np.random.default_rng(0)
    group = (rng.random(300) < 0.3).astype(int)
    approved = (rng.random(300) < np.where(group == 1, 0.55, 0.8)).astype(int)
    g2 = np.array([0, 0, 0, 0, 1, 1])
    a2 = np.array([1, 1, 1, 0, 1, 0])
    cases = [("6 applicants: group 0 approved 3 of 4, group 1 approved 1 of 2", a2, g2),
             ("300 random applicants, 30 % in group 1", approved, group),
             ("the same 300 applicants with the groups swapped", approved, 1 - group)]
    for what, a, gr in cases:
        got = student_fn(a.copy(), gr.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"approval_gap should return one number; got {type(got).__name__}")
        r0, r1 = a[gr == 0].mean(), a[gr == 1].mean()
        expected = r0 - r1
        label = f"approval_gap on {what}"
        if expected < 0 and not is_close(expected, 0) and is_close(got, abs(expected)):
            raise CheckFailed(f"{label} returned {got:.4g}, the absolute value; return the signed difference "
                              "(rate of group 0 minus rate of group 1), which can be negative.")
        if not is_close(expected, 0) and is_close(got, -expected):
            raise CheckFailed(f"{label} returned {got:.4g}: the sign is reversed. Return the rate of group 0 MINUS "
                              "the rate of group 1.")
        m = len(a)
        if is_close(got, a[gr == 0].sum() / m - a[gr == 1].sum() / m):
            raise CheckFailed(f"{label} returned {got:.4g}: you divided each group's approvals by the number of ALL "
                              "applicants. An approval rate within a group divides by the size of that group.")
        if is_close(got, r0 - a.mean()) or is_close(got, a.mean() - r1):
            raise CheckFailed(f"{label} returned {got:.4g}: you compared one group with the overall approval rate; "
                              "compare the two groups with each other.")
        expect_close(label, got, expected, hint="approved[group == 0].mean() - approved[group == 1].mean()")
