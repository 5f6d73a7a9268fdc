"""Tests of course_lib.estimator.MLPClassifier: scikit-learn's estimator checks, agreement with the course's own
MLP + fit, label handling, and use inside Pipeline, GridSearchCV and cross_val_score."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from course_lib import MLP, Adam, SGD, fit
from course_lib.datasets import load_digits, make_binary_classification, make_moons
from course_lib.estimator import EXPECTED_FAILED_CHECKS, MLPClassifier, _L2Penalty

# Three configurations: the defaults, and two that exercise the other code paths (early stopping with a
# validation split, L2 penalty, RMSprop, float64; no hidden layer with SGD and momentum).
CHECKED = [
    MLPClassifier(),
    MLPClassifier(
        hidden_layer_sizes=(16, 8), activation="tanh", optimizer="rmsprop", learning_rate=0.01, alpha=1e-3,
        early_stopping=True, validation_fraction=0.2, patience=3, batch_size=16, dtype="float64",
    ),
    MLPClassifier(hidden_layer_sizes=(), optimizer="sgd", learning_rate=0.1, momentum=0.9, epochs=20),
]


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_expected_failed_checks_is_documented():
    assert isinstance(EXPECTED_FAILED_CHECKS, dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in EXPECTED_FAILED_CHECKS.items())


# ---------------------------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(200, noise=0.15, seed=0)
    return X, y


def three_blobs(n=90, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = np.repeat(np.arange(3), n // 3)
    X = centers[y] + 0.5 * rng.standard_normal((len(y), 2))
    return X.astype(np.float32), y


# ---------------------------------------------------------------------------------------------- same as MLP + fit
def test_binary_problem_is_one_sigmoid_unit_and_matches_mlp_plus_fit():
    X, y = make_binary_classification(seed=0)
    clf = MLPClassifier((8,), learning_rate=0.01, epochs=5, batch_size=16, random_state=3).fit(X, y)
    assert clf.model_.layer_sizes == [10, 8, 1] and clf.model_.output == "sigmoid"
    assert clf.model_.init == "he"
    model = MLP([10, 8, 1], activation="relu", output="sigmoid", init="he", seed=3)
    history = fit(model, X, y, Adam(0.01), epochs=5, batch_size=16, seed=3, progress=False)
    for got, want in zip(clf.model_.get_weights(), model.get_weights()):
        assert_array_equal(got, want)  # bit for bit: same seeds, same loop
    assert clf.history_ == history.history
    assert clf.loss_curve_ == history.history["loss"] and clf.n_iter_ == 5
    assert clf.validation_scores_ is None and clf.best_epoch_ is None
    P = clf.predict_proba(X)
    assert_allclose(P, model.predict_proba(X), rtol=1e-5, atol=1e-6)  # float64 vs float32 forward pass


def test_multiclass_problem_is_softmax_and_matches_mlp_plus_fit():
    X, y = three_blobs()
    clf = MLPClassifier((6,), activation="tanh", optimizer="sgd", learning_rate=0.05, momentum=0.9,
                        epochs=4, random_state=1).fit(X, y)
    assert clf.model_.layer_sizes == [2, 6, 3] and clf.model_.output == "softmax"
    assert clf.model_.init == "glorot"  # "auto" for tanh
    model = MLP([2, 6, 3], activation="tanh", init="glorot", seed=1)
    fit(model, X, y, SGD(0.05, momentum=0.9), epochs=4, batch_size=32, seed=1, progress=False)
    for got, want in zip(clf.model_.get_weights(), model.get_weights()):
        assert_array_equal(got, want)


def test_random_state_none_draws_fresh_seeds_and_int_is_reproducible(moons):
    X, y = moons
    a = MLPClassifier((4,), epochs=2).fit(X, y).model_.params[0]
    b = MLPClassifier((4,), epochs=2).fit(X, y).model_.params[0]
    assert not np.array_equal(a, b)
    c = MLPClassifier((4,), epochs=2, random_state=np.random.RandomState(0)).fit(X, y).model_.params[0]
    d = MLPClassifier((4,), epochs=2, random_state=np.random.RandomState(0)).fit(X, y).model_.params[0]
    assert_array_equal(c, d)


# ---------------------------------------------------------------------------------------------- labels
def test_string_labels_binary_columns_follow_classes(moons):
    X, y = moons
    names = np.where(y == 1, "spam", "ham")
    clf = MLPClassifier((16,), learning_rate=0.01, epochs=60, random_state=0).fit(X, names)
    assert_array_equal(clf.classes_, ["ham", "spam"])
    pred = clf.predict(X)
    assert pred.dtype == names.dtype and set(pred) <= {"ham", "spam"}
    P = clf.predict_proba(X)
    assert P.shape == (200, 2) and P.dtype == np.float64
    assert_allclose(P.sum(axis=1), 1.0)
    assert_array_equal(pred, clf.classes_[P.argmax(axis=1)])
    # column 1 is P(spam): high on the spam samples
    assert P[names == "spam", 1].mean() > 0.8 and P[names == "ham", 1].mean() < 0.2
    assert clf.score(X, names) > 0.9


def test_non_contiguous_integer_labels_multiclass():
    X, y = three_blobs()
    labels = np.array([3, 7, 9])[y]
    clf = MLPClassifier((16,), learning_rate=0.01, epochs=40, random_state=0).fit(X, labels)
    assert_array_equal(clf.classes_, [3, 7, 9])
    assert set(np.unique(clf.predict(X))) == {3, 7, 9}
    assert clf.score(X, labels) > 0.95
    P = clf.predict_proba(X)
    assert P.shape == (90, 3)
    assert_array_equal(clf.predict(X), np.array([3, 7, 9])[P.argmax(axis=1)])
    # -1/1 labels: binary with one sigmoid unit
    binary = MLPClassifier((4,), epochs=2, random_state=0).fit(X, np.where(y == 0, -1, 1))
    assert_array_equal(binary.classes_, [-1, 1])
    assert binary.model_.n_outputs == 1


def test_learns_digits():
    X_train, X_test, y_train, y_test = load_digits()
    clf = MLPClassifier(random_state=0).fit(X_train, y_train)
    assert clf.n_features_in_ == 64 and clf.model_.layer_sizes == [64, 100, 10]
    assert clf.score(X_test, y_test) > 0.95
    assert clf.loss_curve_[-1] < 0.2 * clf.loss_curve_[0]
    assert set(clf.history_) == {"loss", "accuracy"}


# ---------------------------------------------------------------------------------------------- regularisation
def test_early_stopping_restores_the_best_epoch():
    X, y = make_binary_classification(n_samples=300, seed=1, noise=1.0)
    clf = MLPClassifier((64,), learning_rate=0.01, epochs=300, early_stopping=True, validation_fraction=0.2,
                        patience=4, random_state=0).fit(X, y)
    val_loss = clf.history_["val_loss"]
    assert clf.n_iter_ < 300  # stopped
    assert clf.best_epoch_ == int(np.argmin(val_loss))
    assert clf.n_iter_ == clf.best_epoch_ + 4 + 1
    assert clf.validation_scores_ == clf.history_["val_accuracy"]
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # the model trained on the 240 training rows only
    assert len(clf.history_["loss"]) == clf.n_iter_


def test_l2_penalty_gradient_and_effect():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    want = [params[0] - 0.1 * (grads[0] + 0.5 * params[0]), params[1] - 0.1 * grads[1]]  # biases not penalised
    _L2Penalty(SGD(0.1), alpha=0.5).step(params, grads)
    assert_allclose(params[0], want[0], rtol=1e-12)
    assert_allclose(params[1], want[1], rtol=1e-12)

    X, y = make_binary_classification(seed=0)
    norms = {}
    for alpha in (0.0, 0.1):
        clf = MLPClassifier((32,), alpha=alpha, learning_rate=0.01, epochs=50, random_state=0).fit(X, y)
        norms[alpha] = sum(float(np.sum(W**2)) for W in clf.model_.params[::2])
    assert norms[0.1] < 0.5 * norms[0.0]


# ---------------------------------------------------------------------------------------------- sklearn tools
def test_pipeline_gridsearch_and_cross_val_score(moons):
    X, y = moons
    pipe = make_pipeline(StandardScaler(), MLPClassifier((16,), learning_rate=0.01, epochs=40, random_state=0))
    assert pipe.fit(X, y).score(X, y) > 0.9

    grid = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(2,), (16,)], "mlpclassifier__alpha": [0.0, 1e-3]},
        cv=3,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] == (16,)
    best = grid.best_estimator_[-1]
    assert best.model_.layer_sizes == [2, 16, 1]
    assert grid.score(X, y) > 0.9

    scores = cross_val_score(MLPClassifier((16,), learning_rate=0.01, epochs=40, random_state=0), X, y, cv=4)
    assert scores.shape == (4,) and scores.min() > 0.8


def test_dtype_accepts_numpy_types(moons):
    X, y = moons
    clf = MLPClassifier((4,), epochs=1, dtype=np.float64, random_state=0).fit(X, y)
    assert clf.model_.dtype == np.float64


def test_get_set_params_clone_and_pickle(moons):
    X, y = moons
    clf = MLPClassifier()
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (100,) and params["optimizer"] == "adam"
    assert params["learning_rate"] == 1e-3 and params["epochs"] == 50 and params["random_state"] is None
    assert clf.set_params(hidden_layer_sizes=(5,), epochs=3, random_state=0) is clf
    clf.fit(X, y)
    assert clf.model_.layer_sizes == [2, 5, 1] and clf.n_iter_ == 3
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "model_")
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


# ---------------------------------------------------------------------------------------------- errors
def test_init_does_no_validation_fit_does():
    clf = MLPClassifier(optimizer="adagrad", learning_rate=-1)  # accepted: sklearn validates in fit
    X, y = make_binary_classification(20, 3)
    with pytest.raises(ValueError, match=r"optimizer must be one of \['sgd', 'rmsprop', 'adam'\]; got 'adagrad'"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate must be a positive number; got 0.0"),
        ({"hidden_layer_sizes": "100"}, TypeError, "hidden_layer_sizes must be an int or a sequence"),
        ({"hidden_layer_sizes": (10, 0)}, ValueError, r"hidden_layer_sizes\[1\] must be an integer >= 1; got 0"),
        ({"activation": "gelu"}, ValueError, "activation must be one of"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer"),
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1; got 0"),
        ({"momentum": 1.0}, ValueError, r"momentum must be in \[0.0, 1.0\)"),
        ({"alpha": -0.1}, ValueError, "alpha must be a positive number"),
        ({"validation_fraction": 1.0}, ValueError, "validation_fraction must be in"),
        ({"early_stopping": True, "validation_fraction": 0.0}, ValueError, "validation_fraction must be in \\(0, 1\\)"),
        ({"early_stopping": "yes"}, TypeError, "early_stopping must be True or False"),
        ({"dtype": "float16"}, ValueError, "dtype must be one of"),
        ({"dtype": None}, ValueError, r"dtype must be one of \['float32', 'float64'\]; got None"),
        ({"random_state": -1}, ValueError, "random_state must be an integer >= 0; got -1"),
    ],
)
def test_invalid_hyperparameters_are_named(params, error, match):
    X, y = make_binary_classification(20, 3)
    with pytest.raises(error, match=match):
        MLPClassifier(**params).fit(X, y)


def test_input_errors():
    X, y = make_binary_classification(20, 3)
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with pytest.raises(ValueError, match="at least 2 classes.*got 1 class"):
        MLPClassifier().fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, np.linspace(0, 1, 20))  # continuous targets are a regression problem
    clf = MLPClassifier((3,), epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but MLPClassifier is expecting 3 features"):
        clf.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.full((2, 3), np.nan))
