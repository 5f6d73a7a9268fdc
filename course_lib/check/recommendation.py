"""Checks for the exercises of chapter "Applications II: recommendation and predictive maintenance"
(``book/14-applications-recommendation-maintenance.md``).

- :func:`hit_rate_at_k`: ``hit_rate_at_k(scores, held_out, k, exclude)`` returns the fraction of users whose
  held-out item is among the ``k`` highest-scored items, after removing the items marked in ``exclude`` (the
  user's training items) from the ranking.
- :func:`sliding_windows`: ``sliding_windows(series, width, horizon)`` cuts a run-to-failure series of shape
  (T, c) into all windows of ``width`` consecutive steps, shape (T - width + 1, width, c), and labels the window
  that ends at step e with 1 when the failure (at time T, just after the last reading) comes within the next
  ``horizon`` steps, ``T - e <= horizon``.

Each check compares the student's function with a direct NumPy computation and, for the typical mistakes
(no exclusion, ascending order, k + 1 items, a count instead of a fraction; a window too few, labels from the
window's start, ``<`` instead of ``<=``), says which one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_shape, is_close

__all__ = ["hit_rate_at_k", "sliding_windows"]


# ---------------------------------------------------------------------------------------------- HR@k
def _hr(scores, held_out, k, exclude) -> float:
    s = np.where(exclude, -np.inf, scores)
    target = s[np.arange(len(held_out)), held_out]
    return float(np.mean((s > target[:, None]).sum(axis=1) < k))


def _hr_cases():
    rng = np.random.default_rng(0)
    cases = []
    for n_users, n_items, k, density in [(40, 12, 3, 0.3), (50, 40, 5, 0.25), (200, 100, 10, 0.15)]:
        scores = rng.permutation(n_users * n_items).reshape(n_users, n_items) / (n_users * n_items)
        exclude = rng.random((n_users, n_items)) < density
        held_out = rng.integers(0, n_items, size=n_users)
        exclude[np.arange(n_users), held_out] = False  # the held-out item is never a training item
        # make the exclusion matter: the training items get high scores, as they do for a trained model
        scores = np.where(exclude, scores + 1.0, scores)
        cases.append((f"{n_users} users, {n_items} items, k = {k}", scores, held_out, k, exclude))
    return cases


@exercise_check("ex-rec-hit-rate", "Exercise: hit rate at k")
def hit_rate_at_k(student_fn):
    """Check ``student_fn(scores, held_out, k, exclude)`` against a direct computation of HR@k."""
    for what, scores, held_out, k, exclude in _hr_cases():
        before = (scores.copy(), exclude.copy())
        got = student_fn(scores.copy(), held_out.copy(), k, exclude.copy())
        label = f"hit_rate_at_k on {what}"
        if got is None:
            raise CheckFailed(f"{label} returned None: does your function `return` the hit rate?")
        expected = _hr(scores, held_out, k, exclude)
        if np.ndim(got) != 0:
            raise CheckFailed(f"{label} should return one number (the fraction of users with a hit); got an array "
                              f"of shape {np.shape(got)}. Average the per-user hits with np.mean.")
        n_users = len(held_out)
        if not is_close(got, expected) and is_close(got, expected * n_users):
            raise CheckFailed(f"{label} returned {float(got):g}, the NUMBER of users with a hit; HR@k is the "
                              "FRACTION of users: divide by the number of users (or use np.mean).")
        if not is_close(got, expected) and is_close(got, _hr(scores, held_out, k, np.zeros_like(exclude))):
            raise CheckFailed(f"{label}: your hit rate is what you get WITHOUT removing the excluded items (the "
                              "user's training items) from the ranking. Set their scores to -inf before ranking.")
        s_inf = np.where(exclude, -np.inf, scores)
        asc = np.argsort(s_inf, axis=1)[:, :k]
        asc_hr = float(np.mean((asc == held_out[:, None]).any(axis=1)))
        if not is_close(got, expected) and (is_close(got, _hr(-scores, held_out, k, exclude))
                                            or is_close(got, asc_hr)):
            raise CheckFailed(f"{label}: your hit rate ranks the LOWEST scores first. The top-k list holds the k "
                              "items with the highest scores (sort in decreasing order, e.g. np.argsort(-s)).")
        if not is_close(got, expected) and is_close(got, _hr(scores, held_out, k + 1, exclude)):
            raise CheckFailed(f"{label}: your hit rate counts a hit when the held-out item is among the k + 1 "
                              "best items (an off-by-one: rank <= k with ranks counted from 0). With 0-based "
                              "ranks, a hit is rank < k.")
        expect_close(label, got, expected,
                     hint="For each user: set the excluded scores to -inf, count the items that score higher "
                          "than the held-out item (its 0-based rank), and call it a hit when that rank is < k.")
        if not (np.array_equal(before[0], scores) and np.array_equal(before[1], exclude)):
            raise CheckFailed(f"{label} changed its arguments; work on a copy (np.where(exclude, -np.inf, scores)).")


# ---------------------------------------------------------------------------------------------- windows
def _windows(series, width, horizon):
    T = len(series)
    X = np.stack([series[i:i + width] for i in range(T - width + 1)])
    end = np.arange(width - 1, T)
    return X, (T - end <= horizon).astype(int)


@exercise_check("ex-rec-windows", "Exercise: sliding windows with a failure label")
def sliding_windows(student_fn):
    """Check ``student_fn(series, width, horizon) -> (X, y)`` on small run-to-failure series."""
    rng = np.random.default_rng(0)
    cases = [("a series of 10 steps, 2 channels, width 4, horizon 3", np.arange(20.0).reshape(10, 2), 4, 3),
             ("a series of 50 steps, 3 channels, width 8, horizon 5", rng.normal(size=(50, 3)), 8, 5),
             ("a series of 30 steps, 1 channel, width 30, horizon 2", rng.normal(size=(30, 1)), 30, 2)]
    for what, series, width, horizon in cases:
        label = f"sliding_windows on {what}"
        out = student_fn(series.copy(), width, horizon)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailed(f"{label} should return a pair (X, y); got {type(out).__name__}.")
        X, y = (np.asarray(v) for v in out)
        X_exp, y_exp = _windows(series, width, horizon)
        T, c = series.shape
        n = T - width + 1
        if X.shape == (n - 1, width, c):
            raise CheckFailed(f"{label}: X has {n - 1} windows, one short. A series of T steps has T - width + 1 "
                              "windows: the last one ends at the last reading, index T - 1 (range(T - width + 1)).")
        if X.shape == (n, c, width) and c != width:
            raise CheckFailed(f"{label}: X has shape {X.shape}, (windows, channels, width); the course's layout is "
                              f"(windows, width, channels) = {(n, width, c)}: X[i] = series[i:i + width].")
        expect_shape(f"{label}: X", X, (n, width, c), hint="X[i] = series[i:i + width], for i = 0, ..., T - width.")
        expect_close(f"{label}: X", X, X_exp, hint="X[i] = series[i:i + width]: the window that STARTS at step i.")
        expect_shape(f"{label}: y", y, (n,), hint="One label per window.")
        start = np.arange(n)
        if not np.array_equal(y, y_exp) and np.array_equal(y, (T - start <= horizon).astype(int)):
            raise CheckFailed(f"{label}: your labels look at the window's FIRST step. The prediction is made when "
                              "the window ends, at e = i + width - 1: label it 1 when T - e <= horizon.")
        end = start + width - 1
        if not np.array_equal(y, y_exp) and np.array_equal(y, (T - end < horizon).astype(int)):
            raise CheckFailed(f"{label}: your labels use T - e < horizon, which leaves out the window ending "
                              "exactly horizon steps before the failure. 'Within the next horizon steps' is "
                              "T - e <= horizon.")
        if not np.array_equal(y, y_exp) and np.array_equal(1 - y, y_exp):
            raise CheckFailed(f"{label}: your labels are inverted: 1 means 'fails within the next horizon steps'.")
        expect_close(f"{label}: y", y, y_exp,
                     hint="The window ending at step e (0-based) gets 1 when T - e <= horizon, where T = len(series).")
