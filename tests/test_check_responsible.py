"""The exercise checks of chapter "Responsible use: privacy, explanations and fairness"
(course_lib/check/responsible.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-resp-clip"] is check.clip_per_example
    assert check.REGISTRY["ex-resp-eqopp"] is check.equal_opportunity_difference


# ---------------------------------------------------------------------------------------------- clipping
def clip(G, C):
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    return G * np.minimum(1.0, C / np.maximum(norms, 1e-12))


def clip_loop(G, C):
    out = G.copy()
    for i, g in enumerate(G):
        n = np.sqrt(np.sum(g ** 2))
        if n > C:
            out[i] = g * C / n
    return out


def clip_entries(G, C):
    return np.clip(G, -C, C)


def clip_whole_matrix(G, C):
    return G * min(1.0, C / np.linalg.norm(G))


def clip_to_exactly_C(G, C):
    return G * C / np.maximum(np.linalg.norm(G, axis=1, keepdims=True), 1e-12)


def clip_columns(G, C):
    return G * np.minimum(1.0, C / np.maximum(np.linalg.norm(G, axis=0, keepdims=True), 1e-12))


def clip_nan(G, C):
    with np.errstate(divide="ignore", invalid="ignore"):
        norms = np.linalg.norm(G, axis=1, keepdims=True)
        return np.where(norms > C, G * C / norms, G * norms / norms)


def test_clip_accepts_correct_functions(capsys):
    check.clip_per_example(clip)
    check.clip_per_example(clip_loop)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (clip_entries, "ENTRY"),
        (clip_whole_matrix, "whole matrix"),
        (clip_to_exactly_C, "LONGER"),
        (clip_columns, "COLUMN"),
        (clip_nan, "NaN"),
        (lambda G, C: clip(G, C)[:-1], "shape"),
    ],
)
def test_clip_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.clip_per_example(wrong)


def test_clip_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.clip_per_example(stub)


# ---------------------------------------------------------------------------------------------- equal opportunity
def tpr(y, y_pred, mask):
    return np.mean(y_pred[mask & (y == 1)] == 1)


def eo(y, y_pred, group):
    return tpr(y, y_pred, group == 1) - tpr(y, y_pred, group == 0)


def eo_reversed(y, y_pred, group):
    return -eo(y, y_pred, group)


def eo_selection_rate(y, y_pred, group):
    return y_pred[group == 1].mean() - y_pred[group == 0].mean()


def eo_joint(y, y_pred, group):
    return np.mean((y_pred == 1) & (y == 1) & (group == 1)) / np.mean(group == 1) - \
        np.mean((y_pred == 1) & (y == 1) & (group == 0)) / np.mean(group == 0)


def eo_fpr(y, y_pred, group):
    return np.mean(y_pred[(group == 1) & (y == 0)]) - np.mean(y_pred[(group == 0) & (y == 0)])


def eo_accuracy(y, y_pred, group):
    return np.mean(y_pred[group == 1] == y[group == 1]) - np.mean(y_pred[group == 0] == y[group == 0])


def test_eo_accepts_the_correct_function(capsys):
    check.equal_opportunity_difference(eo)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (eo_reversed, "sign is reversed"),
        (eo_selection_rate, "demographic parity"),
        (eo_joint, "whole group"),
        (eo_fpr, "false positive rates"),
        (eo_accuracy, "accuracies"),
        (lambda y, p, g: (tpr(y, p, g == 0), tpr(y, p, g == 1)), "one number"),
    ],
)
def test_eo_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.equal_opportunity_difference(wrong)


def test_eo_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.equal_opportunity_difference(stub)
