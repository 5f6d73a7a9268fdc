"""Checks for the exercises of chapter "A binary classifier done right" (``book/07-binary-classification.md``).

- :func:`scale_without_leakage`: ``scale_without_leakage(X_train, X_test)`` standardises both parts with the mean
  and standard deviation of the **training** part only (what ``sklearn.preprocessing.StandardScaler`` fitted on
  ``X_train`` does).
- :func:`binary_predictions`: ``binary_predictions(p, threshold)`` turns the probabilities of one sigmoid unit,
  shape (m,) or (m, 1), into 0/1 labels of shape (m,): ``1[p > threshold]``.

Each check compares the student's function with an independent computation and, for the typical mistakes
(statistics from all the data or from the test part, ``ddof=1``; ``argmax`` over a single column, a forgotten
threshold, a column instead of a vector), says which one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_equal, expect_shape, is_close

__all__ = ["scale_without_leakage", "binary_predictions"]


def _standardise(X, mean, std):
    return (X - mean) / std


# ------------------------------------------------------------------------------------- scaling without leakage
def _scale_cases():
    rng = np.random.default_rng(7)
    return [
        ("70 training and 30 test rows, 10 features",
         rng.normal(2.0, 3.0, size=(70, 10)), rng.normal(2.5, 4.0, size=(30, 10))),
        ("5 training and 3 test rows, 2 features with very different scales",
         rng.normal([0.0, 100.0], [1.0, 50.0], size=(5, 2)), rng.normal([1.0, 150.0], [1.0, 50.0], size=(3, 2))),
    ]


@exercise_check("ex-bin-scale", "Exercise: scaling without leakage")
def scale_without_leakage(student_fn):
    """Check ``student_fn(X_train, X_test) -> (X_train_scaled, X_test_scaled)`` against standardisation with the
    training part's mean and (population, ``ddof=0``) standard deviation."""
    for what, X_train, X_test in _scale_cases():
        originals = (X_train.copy(), X_test.copy())
        result = student_fn(X_train, X_test)
        if not np.array_equal(X_train, originals[0]) or not np.array_equal(X_test, originals[1]):
            raise CheckFailed(f"scale_without_leakage changed its input arrays (on {what}). Return new arrays, "
                              "e.g. `(X_train - mean) / std`, instead of writing into X_train or X_test.")
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise CheckFailed(f"scale_without_leakage should return a pair (X_train_scaled, X_test_scaled); it "
                              f"returned {type(result).__name__} (on {what}).")
        got_train, got_test = result
        label = f"scale_without_leakage on {what}"
        expect_shape(f"{label}: X_train_scaled", got_train, X_train.shape)
        expect_shape(f"{label}: X_test_scaled", got_test, X_test.shape)
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        expected_train, expected_test = _standardise(X_train, mean, std), _standardise(X_test, mean, std)
        X_all = np.vstack([X_train, X_test])
        all_mean, all_std = X_all.mean(axis=0), X_all.std(axis=0)
        if is_close(got_train, _standardise(X_train, all_mean, all_std)) or is_close(
            got_test, _standardise(X_test, all_mean, all_std)
        ):
            raise CheckFailed(f"{label} uses the mean and standard deviation of ALL the data (training and test "
                              "together): that is the leakage. Compute them from X_train alone.")
        if is_close(got_test, _standardise(X_test, X_test.mean(axis=0), X_test.std(axis=0))):
            raise CheckFailed(f"{label} scales X_test with its own mean and standard deviation. The test part must "
                              "be transformed with the training part's statistics, as the model will see new data.")
        if is_close(got_train, _standardise(X_train, mean, X_train.std(axis=0, ddof=1))):
            raise CheckFailed(f"{label} divides by the sample standard deviation (ddof=1). StandardScaler uses the "
                              "population one, np.std(X_train, axis=0) with the default ddof=0.")
        if is_close(got_train, _standardise(X_train, X_train.mean(axis=1, keepdims=True),
                                            X_train.std(axis=1, keepdims=True))):
            raise CheckFailed(f"{label} standardises each ROW (sample); standardise each COLUMN (feature): "
                              "use axis=0.")
        expect_close(f"{label}: X_train_scaled", got_train, expected_train,
                     hint="(X_train - mean) / std, with mean and std over the rows of X_train (axis=0).")
        expect_close(f"{label}: X_test_scaled", got_test, expected_test,
                     hint="(X_test - mean) / std, with the mean and std of X_train, not of X_test.")


# ------------------------------------------------------------------------------------- binary predictions
def _prediction_cases():
    rng = np.random.default_rng(3)
    p = rng.random(12)
    return [
        ("p of shape (12,), threshold 0.5", p, 0.5),
        ("p of shape (12, 1), threshold 0.5", p[:, None].copy(), 0.5),
        ("p of shape (12,), threshold 0.3", p, 0.3),
        ("p = [0.2, 0.5, 0.7] with threshold 0.5 (0.5 is not above the threshold)", np.array([0.2, 0.5, 0.7]), 0.5),
    ]


@exercise_check("ex-bin-predict", "Exercise: labels from one sigmoid unit")
def binary_predictions(student_fn):
    """Check ``student_fn(p, threshold) -> labels`` (int, shape (m,)) against ``(p.ravel() > threshold)``."""
    for what, p, threshold in _prediction_cases():
        m = p.shape[0]
        got = student_fn(p.copy(), threshold)
        label = f"binary_predictions on {what}"
        expected = (p.ravel() > threshold).astype(np.int64)
        if expected.any() and np.shape(got) in ((m,), (m, 1)) and not np.asarray(got).any():
            raise CheckFailed(f"{label} returned only zeros: that is what argmax over a single column gives. With "
                              "one sigmoid unit, compare p with the threshold instead.")
        if np.shape(got) == (m, 1):
            raise CheckFailed(f"{label} returned shape (m, 1). Flatten p first (p.ravel() or p[:, 0]) so that "
                              "the labels have shape (m,) like y; comparing (m, 1) with (m,) broadcasts to (m, m).")
        expect_shape(label, got, (m,), hint="one 0/1 label per sample.")
        got = np.asarray(got)
        if got.dtype.kind not in "iub":
            raise CheckFailed(f"{label} returned {got.dtype} values; return integer labels 0/1, "
                              "e.g. `(p > threshold).astype(int)`.")
        if threshold != 0.5 and np.array_equal(got, (p.ravel() > 0.5).astype(np.int64)) and not np.array_equal(
            got, expected
        ):
            raise CheckFailed(f"{label} uses 0.5 whatever the threshold; compare p with the argument threshold.")
        if np.array_equal(got, (p.ravel() >= threshold).astype(np.int64)) and not np.array_equal(got, expected):
            raise CheckFailed(f"{label} predicts 1 for p equal to the threshold; the rule is 1[p > threshold] "
                              "(strictly greater, as course_lib and Keras' BinaryAccuracy do).")
        expect_equal(label, got.astype(np.int64), expected, hint="label 1 where p > threshold, 0 elsewhere.")
