"""The exercise checks of chapter "A binary classifier done right" (course_lib/check/binary_case.py).

For each check: the correct implementation passes and prints the success line; typical mistakes raise
CheckFailed with a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-bin-scale"] is check.scale_without_leakage
    assert check.REGISTRY["ex-bin-predict"] is check.binary_predictions


# ------------------------------------------------------------------------------------- scale_without_leakage
def correct_scaling(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std


def sklearn_scaling(X_train, X_test):
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


@pytest.mark.parametrize("fn", [correct_scaling, sklearn_scaling])
def test_scale_without_leakage_accepts_correct_versions(fn, capsys):
    check.scale_without_leakage(fn)
    assert "✓ Exercise: scaling without leakage: correct." in capsys.readouterr().out


def leaky(X_train, X_test):
    scaler = StandardScaler().fit(np.vstack([X_train, X_test]))
    return scaler.transform(X_train), scaler.transform(X_test)


def own_test_stats(X_train, X_test):
    return StandardScaler().fit_transform(X_train), StandardScaler().fit_transform(X_test)


def ddof1(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    return (X_train - mean) / std, (X_test - mean) / std


def rows(X_train, X_test):
    f = lambda X: (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)  # noqa: E731
    return f(X_train), f(X_test)


def in_place(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train -= mean
    X_train /= std
    return X_train, (X_test - mean) / std


@pytest.mark.parametrize(
    "wrong, message",
    [
        (leaky, "ALL the data"),
        (own_test_stats, "its own mean"),
        (ddof1, "ddof=1"),
        (rows, "each ROW"),
        (in_place, "changed its input"),
        (lambda X_train, X_test: correct_scaling(X_train, X_test)[0], "should return a pair"),
        (lambda X_train, X_test: (X_train - X_train.mean(axis=0), X_test - X_train.mean(axis=0)), "is not right"),
    ],
)
def test_scale_without_leakage_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.scale_without_leakage(wrong)


def test_scale_without_leakage_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.scale_without_leakage(stub)


# ------------------------------------------------------------------------------------- binary_predictions
@pytest.mark.parametrize(
    "fn",
    [
        lambda p, threshold: (np.ravel(p) > threshold).astype(int),
        lambda p, threshold: np.where(np.asarray(p).reshape(-1) > threshold, 1, 0),
        lambda p, threshold: np.ravel(p) > threshold,  # booleans are 0/1 labels too
    ],
)
def test_binary_predictions_accepts_correct_versions(fn, capsys):
    check.binary_predictions(fn)
    assert "✓ Exercise: labels from one sigmoid unit: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda p, threshold: np.argmax(p.reshape(len(p), -1), axis=1), "argmax"),
        (lambda p, threshold: (p > threshold).astype(int) if p.ndim == 2 else (p > threshold).astype(int)
         .reshape(-1, 1), "shape \\(m, 1\\)"),
        (lambda p, threshold: (np.ravel(p) > 0.5).astype(int), "whatever the threshold"),
        (lambda p, threshold: (np.ravel(p) >= threshold).astype(int), "equal to the threshold"),
        (lambda p, threshold: np.round(np.ravel(p), 1), "integer labels"),
        (lambda p, threshold: (np.ravel(p) < threshold).astype(int), "is not right|not equal|differs"),
    ],
)
def test_binary_predictions_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.binary_predictions(wrong)


def test_binary_predictions_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.binary_predictions(stub)
