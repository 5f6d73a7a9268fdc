"""The exercise checks of chapter "Applications II: recommendation and predictive maintenance"
(course_lib/check/recommendation.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------- HR@k
def hit_rate(scores, held_out, k, exclude):
    s = np.where(exclude, -np.inf, scores)
    rank = (s > s[np.arange(len(held_out)), held_out][:, None]).sum(axis=1)
    return float(np.mean(rank < k))


def hit_rate_by_sorting(scores, held_out, k, exclude):
    s = np.where(exclude, -np.inf, scores)
    top = np.argsort(-s, axis=1)[:, :k]
    return float(np.mean([h in row for h, row in zip(held_out, top)]))


def hit_rate_no_exclusion(scores, held_out, k, exclude):
    return hit_rate(scores, held_out, k, np.zeros_like(exclude))


def hit_rate_ascending(scores, held_out, k, exclude):
    s = np.where(exclude, -np.inf, scores)
    top = np.argsort(s, axis=1)[:, :k]
    return float(np.mean((top == held_out[:, None]).any(axis=1)))


def hit_rate_k_plus_one(scores, held_out, k, exclude):
    s = np.where(exclude, -np.inf, scores)
    rank = (s > s[np.arange(len(held_out)), held_out][:, None]).sum(axis=1)
    return float(np.mean(rank <= k))


def hit_rate_count(scores, held_out, k, exclude):
    return hit_rate(scores, held_out, k, exclude) * len(held_out)


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-rec-hit-rate"] is check.hit_rate_at_k
    assert check.REGISTRY["ex-rec-windows"] is check.sliding_windows


def test_hit_rate_accepts_correct_functions(capsys):
    check.hit_rate_at_k(hit_rate)
    check.hit_rate_at_k(hit_rate_by_sorting)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (hit_rate_no_exclusion, "WITHOUT removing the excluded items"),
        (hit_rate_ascending, "LOWEST scores first"),
        (hit_rate_k_plus_one, "k \\+ 1"),
        (hit_rate_count, "NUMBER of users"),
    ],
)
def test_hit_rate_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.hit_rate_at_k(wrong)


def test_hit_rate_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.hit_rate_at_k(stub)


# ---------------------------------------------------------------------------------------------- windows
def windows(series, width, horizon):
    T = len(series)
    X = np.lib.stride_tricks.sliding_window_view(series, width, axis=0).transpose(0, 2, 1)
    end = np.arange(width - 1, T)
    return X, (T - end <= horizon).astype(int)


def windows_loop(series, width, horizon):
    T = len(series)
    X = np.array([series[i:i + width] for i in range(T - width + 1)])
    y = np.array([int(T - (i + width - 1) <= horizon) for i in range(T - width + 1)])
    return X, y


def windows_one_short(series, width, horizon):
    X, y = windows(series, width, horizon)
    return X[:-1], y[:-1]


def windows_label_from_start(series, width, horizon):
    X, _ = windows(series, width, horizon)
    start = np.arange(len(X))
    return X, (len(series) - start <= horizon).astype(int)


def windows_strict(series, width, horizon):
    X, _ = windows(series, width, horizon)
    end = np.arange(width - 1, len(series))
    return X, (len(series) - end < horizon).astype(int)


def windows_channels_first(series, width, horizon):
    X, y = windows(series, width, horizon)
    return X.transpose(0, 2, 1), y


def test_windows_accept_correct_functions(capsys):
    check.sliding_windows(windows)
    check.sliding_windows(windows_loop)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (windows_one_short, "one short"),
        (windows_label_from_start, "FIRST step"),
        (windows_strict, "T - e < horizon"),
        (windows_channels_first, "channels"),
        (lambda s, w, h: windows(s, w, h)[0], "pair"),
    ],
)
def test_windows_name_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.sliding_windows(wrong)


def test_windows_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.sliding_windows(stub)
