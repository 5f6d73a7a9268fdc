"""Tests of course_lib.metrics: every metric against sklearn.metrics, the edge cases, and the input checks."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib import metrics
from course_lib.metrics import accuracy, confusion_matrix, f1, precision, recall, roc_auc, roc_curve

PRF = [(precision, skm.precision_score), (recall, skm.recall_score), (f1, skm.f1_score)]
AVERAGES = ["binary", "macro", "micro", "weighted"]
ZERO_DIVISIONS = [0.0, 1.0, np.nan]


def assert_same(ours, theirs):
    """Equal up to rounding, NaN equal to NaN; our metrics return Python floats."""
    assert isinstance(ours, float)
    assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def sklearn_quiet(fn, *args, **kwargs):
    """Call a scikit-learn function with its warnings silenced (e.g. the 1x1 confusion matrix warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def random_labels(seed, m, k, k_pred=None, values=None):
    """y_true with labels in range(k), y_pred in range(k_pred) (default k), mostly correct; optionally relabelled
    by ``values`` (an array of k or more distinct integers)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, size=m)
    y_pred = np.where(rng.random(m) < 0.6, y_true, rng.integers(0, k_pred or k, size=m))
    y_pred = np.minimum(y_pred, (k_pred or k) - 1)
    if values is not None:
        y_true, y_pred = values[y_true], values[y_pred]
    return y_true, y_pred


# ----------------------------------------------------------------------------------------------------------------
# against scikit-learn on random inputs
# ----------------------------------------------------------------------------------------------------------------

sizes = st.integers(1, 60)
seeds = st.integers(0, 2**32 - 1)


@given(m=sizes, k=st.integers(1, 6), k_pred=st.integers(1, 6), seed=seeds)
def test_multiclass_metrics_equal_sklearn(m, k, k_pred, seed):
    y_true, y_pred = random_labels(seed, m, k, k_pred)
    assert_same(accuracy(y_true, y_pred), skm.accuracy_score(y_true, y_pred))
    assert_array_equal(confusion_matrix(y_true, y_pred), sklearn_quiet(skm.confusion_matrix, y_true, y_pred))
    assert confusion_matrix(y_true, y_pred).dtype == np.int64
    for ours, theirs in PRF:
        for average in ["macro", "micro", "weighted"]:
            for zd in ZERO_DIVISIONS:
                assert_same(
                    ours(y_true, y_pred, average=average, zero_division=zd),
                    theirs(y_true, y_pred, average=average, zero_division=zd),
                )


@given(m=sizes, seed=seeds, pos_label=st.sampled_from([0, 1]), p_pos=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_binary_metrics_equal_sklearn(m, seed, pos_label, p_pos):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(m) < p_pos).astype(int)  # p_pos 0 or 1: only one class present
    y_pred = np.where(rng.random(m) < 0.7, y_true, rng.integers(0, 2, size=m))
    for ours, theirs in PRF:
        for average in AVERAGES:
            for zd in ZERO_DIVISIONS:
                kwargs = dict(average=average, pos_label=pos_label, zero_division=zd)
                assert_same(ours(y_true, y_pred, **kwargs), sklearn_quiet(theirs, y_true, y_pred, **kwargs))


@given(m=sizes, seed=seeds, values=st.sampled_from([(-1, 1), (3, 7), (7, 3)]), which=st.sampled_from([0, 1]))
def test_binary_metrics_with_other_labels_equal_sklearn(m, seed, values, which):
    y_true, y_pred = random_labels(seed, m, 2, values=np.array(values))
    pos_label = values[which]
    for ours, theirs in PRF:
        for zd in ZERO_DIVISIONS:
            assert_same(
                ours(y_true, y_pred, pos_label=pos_label, zero_division=zd),
                theirs(y_true, y_pred, pos_label=pos_label, zero_division=zd),
            )


@given(m=sizes, k=st.integers(1, 6), seed=seeds, data=st.data())
def test_confusion_matrix_with_labels_equals_sklearn(m, k, seed, data):
    values = np.array([5, -2, 0, 9, 3, 1])  # unsorted, negative: labels need not be 0..K-1
    y_true, y_pred = random_labels(seed, m, k, values=values)
    # any ordering of any subset of the classes (plus one absent class) that meets y_true at least once
    labels = data.draw(st.permutations(list(values[:k]) + [42]).map(lambda p: p[: max(1, len(p) - 2)]))
    if not np.isin(labels, y_true).any():
        labels = labels + [int(y_true[0])]
    C = confusion_matrix(y_true, y_pred, labels=labels)
    assert C.shape == (len(labels), len(labels))
    assert_array_equal(C, sklearn_quiet(skm.confusion_matrix, y_true, y_pred, labels=labels))


@given(m=st.integers(2, 80), seed=seeds, n_distinct=st.sampled_from([2, 3, 5, 1000]), drop=st.booleans())
def test_roc_curve_equals_sklearn(m, seed, n_distinct, drop):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=m)
    y_true[:2] = [0, 1]  # both classes present
    # few distinct values: many ties; positives score a little higher on average
    scores = rng.integers(0, n_distinct, size=m) / n_distinct + 0.3 * y_true
    fpr, tpr, thresholds = roc_curve(y_true, scores, drop_intermediate=drop)
    sk_fpr, sk_tpr, sk_thresholds = skm.roc_curve(y_true, scores, drop_intermediate=drop)
    assert_array_equal(fpr, sk_fpr)
    assert_array_equal(tpr, sk_tpr)
    assert_array_equal(thresholds, sk_thresholds)
    assert fpr.dtype == tpr.dtype == thresholds.dtype == np.float64
    assert (fpr[0], tpr[0], thresholds[0]) == (0.0, 0.0, np.inf)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0) and np.all(np.diff(thresholds) < 0)


@given(m=st.integers(2, 80), seed=seeds, n_distinct=st.sampled_from([1, 2, 4, 1000]))
def test_roc_auc_equals_sklearn_and_pairwise_probability(m, seed, n_distinct):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=m)
    y_true[:2] = [1, 0]
    scores = rng.integers(0, n_distinct, size=m).astype(np.float32) + rng.random() * y_true
    auc = roc_auc(y_true, scores)
    assert_same(auc, skm.roc_auc_score(y_true, scores))
    # independent check: P(score of a positive > score of a negative), ties counting 1/2
    s_pos, s_neg = scores[y_true == 1][:, None], scores[y_true == 0][None, :]
    assert_allclose(auc, np.mean((s_pos > s_neg) + 0.5 * (s_pos == s_neg)), rtol=1e-12)
    # dropping the collinear points does not change the area
    fpr, tpr, _ = roc_curve(y_true, scores, drop_intermediate=False)
    assert_allclose(auc, np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2), rtol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# hand-computed example and definitions
# ----------------------------------------------------------------------------------------------------------------


def test_hand_computed_binary_example():
    # TP = 2 (samples 0, 1), FN = 1 (sample 2), FP = 3 (samples 3, 4, 5), TN = 2 (samples 6, 7)
    y_true = [1, 1, 1, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 0, 1, 1, 1, 0, 0]
    TP, FP, TN, FN = 2, 3, 2, 1
    assert_array_equal(confusion_matrix(y_true, y_pred), [[TN, FP], [FN, TP]])
    assert precision(y_true, y_pred) == TP / (TP + FP) == 0.4  # not TP / (TP + FN) = 2/3
    assert recall(y_true, y_pred) == pytest.approx(TP / (TP + FN)) == pytest.approx(2 / 3)
    P, R = 0.4, 2 / 3
    assert f1(y_true, y_pred) == pytest.approx(2 * P * R / (P + R)) == pytest.approx(2 * TP / (2 * TP + FP + FN))
    assert f1(y_true, y_pred) == pytest.approx(0.5)
    assert accuracy(y_true, y_pred) == (TP + TN) / (TP + TN + FP + FN) == 0.5
    # class 0 as the positive class swaps the roles: TP' = TN, FP' = FN, FN' = FP
    assert precision(y_true, y_pred, pos_label=0) == pytest.approx(TN / (TN + FN))
    assert recall(y_true, y_pred, pos_label=0) == pytest.approx(TN / (TN + FP))


def test_hand_computed_multiclass_example():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    C = confusion_matrix(y_true, y_pred)
    assert_array_equal(C, [[1, 1, 0], [0, 2, 1], [1, 0, 0]])  # rows: true class, columns: predicted
    per_class_precision = np.array([1 / 2, 2 / 3, 0 / 1])  # TP_k / column sums
    per_class_recall = np.array([1 / 2, 2 / 3, 0 / 1])  # TP_k / row sums
    assert precision(y_true, y_pred, average="macro") == pytest.approx(per_class_precision.mean())
    assert recall(y_true, y_pred, average="weighted") == pytest.approx(np.average(per_class_recall, weights=[2, 3, 1]))
    assert precision(y_true, y_pred, average="micro") == pytest.approx(3 / 6) == accuracy(y_true, y_pred)


def test_hand_computed_roc_with_ties():
    y_true = [0, 0, 1, 1, 1, 0]
    scores = [0.1, 0.5, 0.5, 0.5, 0.9, 0.2]  # one positive and one negative tie at 0.5 with another positive
    fpr, tpr, thresholds = roc_curve(y_true, scores, drop_intermediate=False)
    assert_array_equal(thresholds, [np.inf, 0.9, 0.5, 0.2, 0.1])
    assert_allclose(fpr, [0, 0, 1 / 3, 2 / 3, 1])
    assert_allclose(tpr, [0, 1 / 3, 1, 1, 1])
    # pairs (pos, neg): 3 x 3 = 9; the two positives at 0.5 tie with the negative at 0.5 -> 7 wins + 2 halves
    assert roc_auc(y_true, scores) == pytest.approx(8 / 9)


def test_docstrings_state_the_formulas():
    assert "TP / (TP + FP)" in precision.__doc__
    assert "TP / (TP + FN)" in recall.__doc__
    assert "2PR" in f1.__doc__ and "2\\,TP + FP + FN" in f1.__doc__
    for fn in (accuracy, confusion_matrix, precision, recall, f1, roc_curve, roc_auc):
        assert "shape (m,)" in fn.__doc__, fn.__name__
        assert "sklearn" in fn.__doc__, fn.__name__


def test_public_names_exported():
    import course_lib

    for name in metrics.__all__:
        assert getattr(course_lib, name) is getattr(metrics, name)


# ----------------------------------------------------------------------------------------------------------------
# edge cases
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zd", ZERO_DIVISIONS)
def test_no_positive_predictions_uses_zero_division_like_sklearn(zd):
    y_true = [1, 0, 1, 0]
    y_pred = [0, 0, 0, 0]  # TP + FP = 0: precision undefined; TP + FN = 2: recall 0
    assert_same(precision(y_true, y_pred, zero_division=zd), skm.precision_score(y_true, y_pred, zero_division=zd))
    assert_allclose(precision(y_true, y_pred, zero_division=zd), zd)
    assert recall(y_true, y_pred, zero_division=zd) == 0.0
    # F1 = 2TP / (2TP + FP + FN) = 0 / 2: defined, so zero_division does not apply (even 1.0 gives 0)
    assert f1(y_true, y_pred, zero_division=zd) == 0.0 == skm.f1_score(y_true, y_pred, zero_division=zd)


@pytest.mark.parametrize("zd", ZERO_DIVISIONS)
def test_no_positive_labels_uses_zero_division_like_sklearn(zd):
    y_true = [0, 0, 0, 0]
    y_pred = [0, 1, 0, 0]  # TP + FN = 0: recall undefined; precision = 0 / 1
    assert_same(recall(y_true, y_pred, zero_division=zd), skm.recall_score(y_true, y_pred, zero_division=zd))
    assert_allclose(recall(y_true, y_pred, zero_division=zd), zd)
    assert precision(y_true, y_pred, zero_division=zd) == 0.0
    assert f1(y_true, y_pred, zero_division=zd) == 0.0 == skm.f1_score(y_true, y_pred, zero_division=zd)


@pytest.mark.parametrize("zd", ZERO_DIVISIONS)
def test_no_positives_at_all_f1_uses_zero_division_like_sklearn(zd):
    y_true = y_pred = [0, 0, 0]  # TP + FP + FN = 0: P, R and F1 all undefined
    for ours, theirs in PRF:
        assert_same(ours(y_true, y_pred, zero_division=zd), sklearn_quiet(theirs, y_true, y_pred, zero_division=zd))
        assert_allclose(ours(y_true, y_pred, zero_division=zd), zd)
    assert accuracy(y_true, y_pred) == 1.0
    assert_array_equal(confusion_matrix(y_true, y_pred), [[3]])
    assert_array_equal(confusion_matrix(y_true, y_pred, labels=[0, 1]), [[3, 0], [0, 0]])


def test_default_zero_division_is_silent_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert precision([1, 0], [0, 0]) == 0.0
        assert recall([0, 0], [1, 0]) == 0.0
        assert f1([0, 0], [0, 0]) == 0.0
    with pytest.warns(skm._classification.UndefinedMetricWarning):  # whereas sklearn's default warns
        assert skm.precision_score([1, 0], [0, 0]) == 0.0


@pytest.mark.parametrize("zd", ZERO_DIVISIONS)
def test_multiclass_nan_zero_division_is_left_out_of_averages(zd):
    y_true = [0, 0, 1, 1, 2]
    y_pred = [0, 0, 0, 1, 1]  # class 2 never predicted: its precision is undefined
    for average in ["macro", "weighted"]:
        ours = precision(y_true, y_pred, average=average, zero_division=zd)
        assert_same(ours, skm.precision_score(y_true, y_pred, average=average, zero_division=zd))
    expected = {0.0: (2 / 3 + 1 / 2 + 0) / 3, 1.0: (2 / 3 + 1 / 2 + 1) / 3}.get(zd, (2 / 3 + 1 / 2) / 2)
    assert precision(y_true, y_pred, average="macro", zero_division=zd) == pytest.approx(expected)


@pytest.mark.parametrize("average", AVERAGES)
def test_all_correct(average):
    y = np.array([0, 1, 1, 0, 1])
    for fn in (precision, recall, f1):
        assert fn(y, y, average=average) == 1.0
    assert accuracy(y, y) == 1.0
    assert_array_equal(confusion_matrix(y, y), [[2, 0], [0, 3]])


@pytest.mark.parametrize("average", AVERAGES)
def test_all_wrong(average):
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = 1 - y_true
    for fn in (precision, recall, f1):
        assert fn(y_true, y_pred, average=average) == 0.0
    assert accuracy(y_true, y_pred) == 0.0
    assert_array_equal(confusion_matrix(y_true, y_pred), [[0, 2], [3, 0]])
    assert roc_auc(y_true, y_pred.astype(float)) == 0.0  # scores ranking every negative first


def test_single_class_present_all_positive():
    y = [1, 1, 1]
    for ours, theirs in PRF:
        for average in AVERAGES:
            assert ours(y, y, average=average) == 1.0 == sklearn_quiet(theirs, y, y, average=average)
        # class 0 absent and never predicted: pos_label=0 may be asked for, and is undefined
        assert ours(y, y, pos_label=0, zero_division=1.0) == 1.0 == theirs(y, y, pos_label=0, zero_division=1.0)


def test_multiclass_labels_accepted_as_integral_floats_and_bools():
    assert precision(np.array([0.0, 1.0, 2.0]), [0, 1, 1], average="macro") == pytest.approx((1 + 0.5 + 0) / 3)
    assert recall(np.array([True, False, True]), np.array([True, True, False])) == 0.5


def test_roc_perfect_and_constant_scores():
    y_true = [0, 0, 1, 1]
    assert roc_auc(y_true, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc(y_true, [0.5, 0.5, 0.5, 0.5]) == 0.5  # all tied: the diagonal
    fpr, tpr, thresholds = roc_curve(y_true, [0.5, 0.5, 0.5, 0.5])
    assert_array_equal(fpr, [0, 1])
    assert_array_equal(tpr, [0, 1])
    assert_array_equal(thresholds, [np.inf, 0.5])


def test_large_input_is_fast_enough():
    # vectorised: 300,000 samples in well under a second
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, size=300_000)
    y_pred = rng.integers(0, 10, size=300_000)
    assert confusion_matrix(y_true, y_pred).sum() == 300_000
    assert 0 < f1(y_true, y_pred, average="macro") < 1
    assert 0.45 < roc_auc(y_true % 2, rng.random(300_000)) < 0.55


# ----------------------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------------------

LABEL_METRICS = [accuracy, confusion_matrix, precision, recall, f1]


@pytest.mark.parametrize("fn", LABEL_METRICS)
@pytest.mark.parametrize(
    "y_true, y_pred, error, match",
    [
        ([0, 1, 1], [0, 1], ValueError, r"y_true and y_pred must have the same number of samples; got 3 .* and 2"),
        ([], [], ValueError, r"y_true must not be empty"),
        ([[0, 1]], [[0, 1]], ValueError, r"y_true must be a 1-D array; got an array of shape \(1, 2\)"),
        ([0, 1], [[0, 1]], ValueError, r"y_pred must be a 1-D array"),
        ([0, 1], [0, np.nan], ValueError, r"y_pred must contain only finite values"),
        (["a", "b"], [0, 1], TypeError, r"y_true must be a numeric array"),
        ([0, 1], [0, 0.5], ValueError, r"y_pred must hold integer class ids"),
    ],
)
def test_bad_labels_raise(fn, y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        fn(y_true, y_pred)


@pytest.mark.parametrize("fn", [precision, recall, f1])
def test_bad_prf_arguments_raise(fn):
    with pytest.raises(ValueError, match=r"average='binary' needs at most 2 distinct labels .* got 3: \[0, 1, 2\]"):
        fn([0, 1, 2], [0, 1, 1])
    expected = r"average must be one of \['binary', 'macro', 'micro', 'weighted'\]; got 'samples'"
    with pytest.raises(ValueError, match=expected):
        fn([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match=r"average must be one of .*; got None"):
        fn([0, 1], [0, 1], average=None)
    with pytest.raises(ValueError, match=r"pos_label must be one of the labels \[0, 1\]; got pos_label=2"):
        fn([0, 1], [0, 1], pos_label=2)
    with pytest.raises(TypeError, match=r"pos_label must be an integer class label; got 'yes' \(str\)"):
        fn([0, 1], [0, 1], pos_label="yes")
    with pytest.raises(TypeError, match=r"zero_division must be 0.0, 1.0 or np.nan; got 'warn' \(str\)"):
        fn([0, 1], [0, 1], zero_division="warn")
    with pytest.raises(ValueError, match=r"zero_division must be 0.0, 1.0 or np.nan; got 0.5"):
        fn([0, 1], [0, 1], zero_division=0.5)


def test_bad_confusion_matrix_labels_raise():
    with pytest.raises(ValueError, match=r"at least one of labels must occur in y_true; got labels \[5, 6\]"):
        confusion_matrix([0, 1], [0, 1], labels=[5, 6])
    with pytest.raises(ValueError, match=r"labels must not repeat a label; got \[1\]"):
        confusion_matrix([0, 1], [0, 1], labels=[0, 1, 1])
    with pytest.raises(ValueError, match=r"labels must not be empty"):
        confusion_matrix([0, 1], [0, 1], labels=[])
    with pytest.raises(TypeError, match=r"labels must be a numeric array"):
        confusion_matrix([0, 1], [0, 1], labels=["cat", "dog"])


@pytest.mark.parametrize("fn", [roc_curve, roc_auc])
@pytest.mark.parametrize(
    "y_true, scores, error, match",
    [
        (
            [0, 1, 2],
            [0.1, 0.2, 0.3],
            ValueError,
            r"y_true must hold binary labels 0 \(negative\) and 1 \(positive\); got labels \[0, 1, 2\]",
        ),
        ([-1, 1], [0.1, 0.2], ValueError, r"y_true must hold binary labels .* got labels \[-1, 1\]"),
        ([1, 1, 1], [0.1, 0.2, 0.3], ValueError, r"y_true must contain both classes 0 and 1 .* got only class 1"),
        ([0, 0], [0.1, 0.2], ValueError, r"got only class 0"),
        ([0, 1], [0.1, np.nan], ValueError, r"scores must contain only finite values; got 1 NaN"),
        ([0, 1], [0.1, np.inf], ValueError, r"scores must contain only finite values"),
        ([0, 1], [[0.1, 0.9], [0.8, 0.2]], ValueError, r"scores must be a 1-D array; got an array of shape \(2, 2\)"),
        ([0, 1, 1], [0.1, 0.2], ValueError, r"y_true and scores must have the same number of samples; got 3 .* and 2"),
        ([], [], ValueError, r"y_true must not be empty"),
        ([0, 1], ["low", "high"], TypeError, r"scores must be a numeric array"),
    ],
)
def test_bad_roc_input_raises(fn, y_true, scores, error, match):
    with pytest.raises(error, match=match):
        fn(y_true, scores)


def test_bad_drop_intermediate_raises():
    with pytest.raises(TypeError, match=r"drop_intermediate must be True or False; got 'no' \(str\)"):
        roc_curve([0, 1], [0.1, 0.2], drop_intermediate="no")
