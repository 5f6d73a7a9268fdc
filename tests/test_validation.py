"""Tests of input validation: the helpers of course_lib._validation, and every bad input to the MLP raising the
documented error with a message that names the argument."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from course_lib import MLP
from course_lib._validation import (
    check_array,
    check_choice,
    check_consistent_length,
    check_fraction,
    check_int,
    check_labels,
    check_positive,
)

# ---------------------------------------------------------------------------------------------- check_array


def test_check_array_converts():
    X = check_array([[1, 2], [3, 4]])
    assert X.dtype == np.float32 and X.shape == (2, 2)
    F = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    out = check_array(F, dtype=np.float64)
    assert out.flags.c_contiguous
    assert_array_equal(out, F)
    assert check_array(np.array([[True, False]])).dtype == np.float32
    assert check_array(np.zeros((0, 3)), allow_empty=True).shape == (0, 3)
    assert check_array(np.arange(3), ndim=1, dtype=None).dtype == np.arange(3).dtype


@pytest.mark.parametrize(
    "X,error,message",
    [
        (np.zeros(3), ValueError, r"X_val must be a 2-D array.*shape \(3,\).*reshape\(1, -1\)"),
        (np.zeros((2, 2, 2)), ValueError, r"X_val must be a 2-D array.*\(2, 2, 2\) \(3-D\)"),
        (np.float64(1.0), ValueError, r"X_val must be a 2-D array.*0-D"),
        (np.zeros((0, 3)), ValueError, r"X_val must not be empty"),
        (np.zeros((3, 0)), ValueError, r"X_val must not be empty"),
        (np.array([[1.0, np.nan]]), ValueError, r"X_val must contain only finite values; got 1 NaN"),
        (np.array([[np.inf, -np.inf]]), ValueError, r"X_val must contain only finite values; got 2 NaN"),
        (np.array([["a", "b"]]), TypeError, r"X_val must be a numeric array.*<U1"),
        (np.array([[1, 2]], dtype=object), TypeError, r"X_val must be a numeric array.*object"),
        ([[1.0, 2.0], [3.0]], TypeError, r"X_val must be a numeric array"),
        (np.array([[1 + 2j]]), TypeError, r"X_val must be a numeric array.*complex"),
        ("abc", TypeError, r"X_val must be a numeric array"),
        (None, TypeError, r"X_val must be a numeric array"),
    ],
)
def test_check_array_rejects(X, error, message):
    with pytest.raises(error, match=message):
        check_array(X, "X_val")


def test_check_array_feature_count():
    with pytest.raises(ValueError, match=r"X has 3 features \(columns\) but the model expects 4"):
        check_array(np.zeros((2, 3)), n_features=4)


def test_check_array_too_large_for_float32():
    """1e300 is finite in float64 but not in float32: a ValueError, and no overflow RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="X has values too large for float32.*1e\\+300"):
            check_array(np.array([[1e300, 0.0]]))
        assert check_array(np.array([[1e300, 0.0]]), dtype=np.float64)[0, 0] == 1e300


# ---------------------------------------------------------------------------------------------- check_labels
def test_check_labels_accepts():
    for y in ([0, 2, 1], np.array([0.0, 2.0, 1.0]), np.array([0, 2, 1], dtype=np.uint8)):
        out = check_labels(y, n_classes=3)
        assert out.dtype == np.int64
        assert_array_equal(out, [0, 2, 1])
    assert_array_equal(check_labels(np.array([True, False])), [1, 0])


@pytest.mark.parametrize(
    "y,n_classes,message",
    [
        (np.array([0.0, 0.5, 1.0]), None, r"labels must hold integer class ids; got non-integral values such as 0\.5"),
        (np.array([0, 3, 1]), 3, r"labels must hold class ids in \[0, 3\); got 1 values outside, for example 3"),
        (np.array([-1, 0, 1]), 3, r"labels must hold class ids in \[0, 3\).*for example -1"),
        (np.array([0.0, 1e20]), 3, r"labels must hold class ids in \[0, 3\).*for example 100000000000000000000"),
        (np.array([0.0, 1e20]), None, r"labels must hold integer class ids; got values too large for int64"),
        (np.array([[0, 1]]), None, r"labels must be a 1-D array"),
        (np.array([0.0, np.nan]), None, r"labels must contain only finite values"),
        (np.array([], dtype=int), None, r"labels must not be empty"),
    ],
)
def test_check_labels_rejects(y, n_classes, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast" on the way
        with pytest.raises(ValueError, match=message):
            check_labels(y, "labels", n_classes=n_classes)


def test_check_labels_rejects_strings():
    with pytest.raises(TypeError, match="labels must be a numeric array"):
        check_labels(np.array(["cat", "dog"]), "labels")


# ---------------------------------------------------------------------------------------------- scalar checks
def test_check_consistent_length():
    check_consistent_length(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="A and b must have the same number of samples; got 3 rows in A and 2"):
        check_consistent_length(np.zeros((3, 2)), np.zeros(2), names=("A", "b"))


def test_check_positive():
    assert check_positive(3, "lr") == 3.0 and isinstance(check_positive(3, "lr"), float)
    for bad, error in [(0, ValueError), (-1.0, ValueError), (np.inf, ValueError), (np.nan, ValueError),
                       (True, TypeError), ("1", TypeError), (None, TypeError)]:
        with pytest.raises(error, match="lr must be a positive number"):
            check_positive(bad, "lr")


def test_check_fraction():
    assert check_fraction(0.0, "p") == 0.0
    assert check_fraction(1.0, "p", closed_high=True) == 1.0
    for bad, error, kwargs in [(1.0, ValueError, {}), (-0.1, ValueError, {}), (1.5, ValueError, {"closed_high": True}),
                               (False, TypeError, {}), ("0.5", TypeError, {})]:
        with pytest.raises(error, match=r"p must be"):
            check_fraction(bad, "p", **kwargs)


def test_check_int():
    assert check_int(np.int64(5), "epochs") == 5 and type(check_int(np.int64(5), "epochs")) is int
    assert check_int(0, "seed", minimum=0) == 0
    for bad, error in [(0, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError)]:
        with pytest.raises(error, match="epochs must be an integer >= 1"):
            check_int(bad, "epochs")


def test_check_choice():
    assert check_choice("a", "mode", ["a", "b"]) == "a"
    for bad in ("c", None, 1, ["a"]):
        with pytest.raises(ValueError, match=r"mode must be one of \['a', 'b'\]"):
            check_choice(bad, "mode", ["a", "b"])


# ---------------------------------------------------------------------------------------------- MLP: constructor
@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"activation": "gelu"}, ValueError, r"activation must be one of \['relu', 'sigmoid', 'tanh', 'identity'\]; got 'gelu'"),
        ({"activation": None}, ValueError, r"activation must be one of"),
        ({"output": "tanh"}, ValueError, r"output must be one of \['sigmoid', 'softmax', 'identity'\]; got 'tanh'"),
        ({"init": "xavier"}, ValueError, r"init must be one of \['he', 'glorot'\]; got 'xavier'"),
        ({"dtype": "float16"}, ValueError, r"dtype must be one of \['float32', 'float64'\]; got 'float16'"),
        ({"dtype": "double precision"}, ValueError, r"dtype must be one of"),
        ({"dtype": None}, ValueError, r"dtype must be one of .*got None"),
        ({"dtype": int}, ValueError, r"dtype must be one of .*int64"),
        ({"seed": -1}, ValueError, r"seed must be an integer >= 0; got -1"),
        ({"seed": 1.5}, TypeError, r"seed must be an integer >= 0; got 1\.5"),
        ({"seed": "7"}, TypeError, r"seed must be an integer"),
    ],
)
def test_constructor_rejects(kwargs, error, message):
    with pytest.raises(error, match=message):
        MLP([3, 4, 2], **kwargs)


@pytest.mark.parametrize(
    "layer_sizes,error,message",
    [
        ([3], ValueError, r"layer_sizes must have at least 2 entries.*\[3\]"),
        ([], ValueError, r"layer_sizes must have at least 2 entries"),
        ([3, 0, 2], ValueError, r"layer_sizes\[1\] must be an integer >= 1; got 0"),
        ([3, -4, 2], ValueError, r"layer_sizes\[1\] must be an integer >= 1; got -4"),
        ([3, 4.0, 2], TypeError, r"layer_sizes\[1\] must be an integer >= 1; got 4\.0"),
        ([3, "4", 2], TypeError, r"layer_sizes\[1\] must be an integer"),
        ([3, True, 2], TypeError, r"layer_sizes\[1\] must be an integer"),
        ("32", TypeError, r"layer_sizes must be a list of integers"),
        (5, TypeError, r"layer_sizes must be a list of integers"),
        (None, TypeError, r"layer_sizes must be a list of integers"),
    ],
)
def test_constructor_rejects_layer_sizes(layer_sizes, error, message):
    with pytest.raises(error, match=message):
        MLP(layer_sizes, output="identity")


def test_softmax_needs_two_outputs():
    with pytest.raises(ValueError, match=r"softmax output needs at least 2 units.*layer_sizes\[-1\] = 1.*sigmoid"):
        MLP([3, 4, 1], output="softmax")


def test_constructor_accepts_equivalent_spellings():
    assert MLP((3, 2), dtype=np.float64).dtype == np.float64
    assert MLP([np.int64(3), 2], dtype="f4").dtype == np.float32
    assert MLP([3, 2], seed=np.int32(4)).seed == 4


# ---------------------------------------------------------------------------------------------- MLP: X
MODELS = {
    "softmax": lambda: MLP([3, 4, 2], output="softmax"),
    "sigmoid": lambda: MLP([3, 4, 1], output="sigmoid"),
    "identity": lambda: MLP([3, 4, 2], output="identity"),
}
GOOD_Y = {"softmax": [0, 1], "sigmoid": [0, 1], "identity": [[0.5, 1.0], [2.0, -1.0]]}

BAD_X = [
    (np.zeros(3), ValueError, r"X must be a 2-D array.*got an array of shape \(3,\)"),
    (np.zeros((2, 3, 1)), ValueError, r"X must be a 2-D array.*\(2, 3, 1\) \(3-D\)"),
    (np.zeros((2, 4)), ValueError, r"X has 4 features \(columns\) but the model expects 3"),
    (np.zeros((2, 1)), ValueError, r"X has 1 features \(columns\) but the model expects 3"),
    (np.array([[0.0, np.nan, 1.0], [0, 0, 0]]), ValueError, r"X must contain only finite values"),
    (np.array([[0.0, np.inf, 1.0], [0, 0, 0]]), ValueError, r"X must contain only finite values"),
    (np.zeros((0, 3)), ValueError, r"X must not be empty"),
    (np.array([["a", "b", "c"], ["d", "e", "f"]]), TypeError, r"X must be a numeric array"),
    (np.array([[1, 2, 3], [4, 5, 6]], dtype=object), TypeError, r"X must be a numeric array.*object"),
    ([[1, 2, 3], [4, 5]], TypeError, r"X must be a numeric array"),
]


METHODS = ["forward", "logits", "predict", "predict_proba", "loss", "loss_and_grads"]
OUTPUT_METHODS = [
    (output, method)
    for output in sorted(MODELS)
    for method in METHODS
    if not (output == "identity" and method == "predict_proba")  # not defined for regression: a TypeError
]


@pytest.mark.parametrize("output,method", OUTPUT_METHODS)
@pytest.mark.parametrize("X,error,message", BAD_X)
def test_bad_X(output, X, error, message, method):
    model = MODELS[output]()
    args = (X, GOOD_Y[output]) if method.startswith("loss") else (X,)
    with pytest.raises(error, match=message):
        getattr(model, method)(*args)


def test_X_too_large_for_float32_model():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="X has values too large for float32"):
            MLP([3, 2]).forward(np.array([[1e39, 0.0, 0.0]]))
    assert np.isfinite(MLP([3, 2], dtype="float64").forward(np.array([[1e39, 0.0, 0.0]]))).all()


# ---------------------------------------------------------------------------------------------- MLP: y
BAD_Y = [
    ("softmax", [0, 1, 1], ValueError, r"X and y must have the same number of samples; got 2 rows in X and 3 in y"),
    ("softmax", [0, 2], ValueError, r"y must hold class ids in \[0, 2\).*for example 2"),
    ("softmax", [-1, 0], ValueError, r"y must hold class ids in \[0, 2\).*for example -1"),
    ("softmax", [0.0, 0.5], ValueError, r"y must hold integer class ids; got non-integral values such as 0\.5"),
    ("softmax", [[0], [1]], ValueError, r"y must be a 1-D array"),
    ("softmax", [0.0, np.nan], ValueError, r"y must contain only finite values"),
    ("softmax", ["cat", "dog"], TypeError, r"y must be a numeric array"),
    ("softmax", np.array([0, 1], dtype=object), TypeError, r"y must be a numeric array"),
    ("softmax", np.array([], dtype=int), ValueError, r"y must not be empty"),
    ("sigmoid", [0, 2], ValueError, r"y must hold binary labels 0 or 1 for a sigmoid output; got values such as 2\.0"),
    ("sigmoid", [0.5, 1], ValueError, r"y must hold binary labels 0 or 1.*0\.5"),
    ("sigmoid", [-1, 1], ValueError, r"y must hold binary labels 0 or 1.*-1\.0"),
    ("sigmoid", [0, 1, 0], ValueError, r"X and y must have the same number of samples; got 2 rows in X and 3 in y"),
    ("sigmoid", [[0, 1], [1, 0]], ValueError, r"y must have shape \(n_samples,\) or \(n_samples, 1\).*\(2, 2\)"),
    ("sigmoid", [0, np.inf], ValueError, r"y must contain only finite values"),
    ("sigmoid", ["yes", "no"], TypeError, r"y must be a numeric array"),
    ("sigmoid", np.zeros(0), ValueError, r"y must not be empty"),
    ("multilabel", [[0, 1], [1, 2]], ValueError, r"y must hold binary labels 0 or 1.*2\.0"),
    ("multilabel", [0, 1], ValueError, r"y must have shape \(n_samples, 2\) for a model with 2 outputs.*\(2,\)"),
    ("multilabel", [[0, 1, 1], [1, 0, 0]], ValueError, r"y must have shape \(n_samples, 2\).*got shape \(2, 3\)"),
    ("identity", [1.0, 2.0], ValueError, r"y must have shape \(n_samples, 2\) for a model with 2 outputs"),
    ("identity", [[1.0, 2.0]], ValueError, r"X and y must have the same number of samples; got 2 rows in X and 1"),
    ("identity", [[1.0, np.nan], [0, 0]], ValueError, r"y must contain only finite values"),
    ("identity", [[[1.0]], [[2.0]]], ValueError, r"y must be a 2-D array"),
    ("identity", [[1.0, 2.0], [3.0]], TypeError, r"y must be a numeric array"),
]


@pytest.mark.parametrize("output,y,error,message", BAD_Y)
@pytest.mark.parametrize("method", ["loss", "loss_and_grads"])
def test_bad_y(output, y, error, message, method):
    model = {
        "softmax": lambda: MLP([3, 4, 2], output="softmax"),
        "sigmoid": lambda: MLP([3, 4, 1], output="sigmoid"),
        "multilabel": lambda: MLP([3, 4, 2], output="sigmoid"),
        "identity": lambda: MLP([3, 4, 2], output="identity"),
    }[output]()
    X = np.zeros((2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=message):
            getattr(model, method)(X, y)


def test_regression_targets_need_not_be_integral():
    model = MLP([3, 1], output="identity")
    assert np.isfinite(model.loss(np.zeros((2, 3)), [0.25, -7.5]))


# ---------------------------------------------------------------------------------------------- MLP: set_weights
@pytest.mark.parametrize(
    "weights,error,message",
    [
        ([np.zeros((3, 4)), np.zeros(4)], ValueError, r"weights must be a list of 4 arrays.*\[3, 4, 2\]; got 2 arrays"),
        ([], ValueError, r"weights must be a list of 4 arrays"),
        ([np.zeros((3, 4)), np.zeros(4), np.zeros((4, 2)), np.zeros(2), np.zeros(2)], ValueError, r"got 5 arrays"),
        ([np.zeros((4, 3)), np.zeros(4), np.zeros((4, 2)), np.zeros(2)], ValueError,
         r"weights\[0\] \(W1\) must have shape \(3, 4\); got shape \(4, 3\)"),
        ([np.zeros((3, 4)), np.zeros(4), np.zeros((4, 2)), np.zeros(3)], ValueError,
         r"weights\[3\] \(b2\) must have shape \(2,\); got shape \(3,\)"),
        ([np.zeros((3, 4)), np.zeros((1, 4)), np.zeros((4, 2)), np.zeros(2)], ValueError,
         r"weights\[1\] \(b1\) must be a 1-D array"),
        ([np.zeros((3, 4)), np.zeros(4), np.full((4, 2), np.nan), np.zeros(2)], ValueError,
         r"weights\[2\] \(W2\) must contain only finite values"),
        ([np.zeros((3, 4)), np.zeros(4), np.array([["a"] * 2] * 4), np.zeros(2)], TypeError,
         r"weights\[2\] \(W2\) must be a numeric array"),
        (np.zeros((3, 4)), TypeError, r"weights must be a list \[W1, b1, W2, b2, ...\]; got ndarray"),
        ({"W1": np.zeros((3, 4))}, TypeError, r"weights must be a list"),
        (None, TypeError, r"weights must be a list"),
    ],
)
def test_set_weights_rejects(weights, error, message):
    model = MLP([3, 4, 2])
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.set_weights(weights)
    for p, q in zip(model.params, before):  # nothing was changed
        assert_array_equal(p, q)


def test_set_weights_failure_on_a_later_array_changes_nothing():
    model = MLP([3, 4, 2])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"weights\[3\]"):
        model.set_weights([np.ones((3, 4)), np.ones(4), np.ones((4, 2)), np.ones(5)])
    for p, q in zip(model.params, before):
        assert_array_equal(p, q)
