"""Tests of course_lib.plots: the artists drawn (lines, their labels and data, texts, collections), not pixels."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from course_lib import MLP  # noqa: E402
from course_lib.plots import (  # noqa: E402
    plot_activations,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_roc,
)


@pytest.fixture(autouse=True)
def no_show_and_close(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("course_lib.plots must never call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


HISTORY = {
    "loss": [1.0, 0.6, 0.4, 0.3],
    "accuracy": [0.5, 0.7, 0.8, 0.9],
    "val_loss": [1.1, 0.7, 0.6, 0.65],
    "val_accuracy": [0.45, 0.65, 0.7, 0.72],
}


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


# ---------------------------------------------------------------------------------------------- history
def test_plot_history_draws_train_and_validation_for_loss_and_accuracy():
    axes = plot_history(SimpleNamespace(history=HISTORY))  # a History-like object
    assert len(axes) == 2
    for ax, metric in zip(axes, ["loss", "accuracy"]):
        lines = lines_by_label(ax)
        assert set(lines) == {"train", "validation"}
        assert_array_equal(lines["train"].get_xdata(), [1, 2, 3, 4])
        assert_allclose(lines["train"].get_ydata(), HISTORY[metric])
        assert_allclose(lines["validation"].get_ydata(), HISTORY["val_" + metric])
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == metric
        assert ax.get_legend() is not None
    assert axes[0].figure is axes[1].figure


def test_plot_history_single_metric_on_given_axes_and_dict_input():
    fig, ax = plt.subplots()
    out = plot_history({"loss": [3.0, 2.0, 1.0]}, metrics="loss", ax=ax)
    assert out is ax
    assert [l.get_label() for l in ax.get_lines()] == ["train"]  # no validation recorded
    assert_allclose(ax.get_lines()[0].get_ydata(), [3, 2, 1])


def test_plot_history_default_keeps_recorded_metrics_only():
    axes = plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.9]})
    assert len(axes) == 1 and axes[0].get_ylabel() == "loss"
    assert len(axes[0].get_lines()) == 2


def test_plot_history_errors():
    with pytest.raises(ValueError, match="history has no 'auc'; its keys are"):
        plot_history(HISTORY, metrics=["loss", "auc"])
    with pytest.raises(TypeError, match="history must be the History"):
        plot_history([0.1, 0.2])
    with pytest.raises(ValueError, match="one Axes per metric"):
        fig, ax = plt.subplots()
        plot_history(HISTORY, ax=ax)  # two metrics, one Axes
    with pytest.raises(ValueError, match="empty"):
        plot_history({"loss": []})


# ---------------------------------------------------------------------------------------------- decision boundary
class Spy:
    """Wraps a model and records every call of predict."""

    def __init__(self, model):
        self.model, self.calls = model, []

    def predict(self, X):
        out = self.model.predict(X)
        self.calls.append((np.array(X), np.array(out)))
        return out


def linear_mlp():
    """An MLP with one sigmoid unit and weights set by hand: class 1 exactly where x1 > 0."""
    model = MLP([2, 1], output="sigmoid", dtype="float64")
    model.set_weights([np.array([[10.0], [0.0]]), np.array([0.0])])
    return model


def test_plot_decision_boundary_with_mlp_vectorised_grid():
    X = np.array([[-1.0, -1.0], [-0.5, 1.0], [0.5, 0.0], [1.0, 2.0], [0.8, -1.5]])
    y = np.array([0, 0, 1, 1, 1])
    spy = Spy(linear_mlp())
    ax = plot_decision_boundary(spy, X, y, resolution=50)
    assert len(spy.calls) == 1  # one vectorised call over the whole grid
    grid, pred = spy.calls[0]
    assert grid.shape == (50 * 50, 2)
    assert_array_equal(pred, (grid[:, 0] > 0).astype(int))
    # the grid spans the data plus 10 % margins
    assert_allclose(grid.min(axis=0), [-1.2, -1.85])
    assert_allclose(grid.max(axis=0), [1.2, 2.35])
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1
    scatters = [c for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]
    assert [s.get_label() for s in scatters] == ["0", "1"]
    assert_allclose(scatters[0].get_offsets(), X[y == 0])
    assert_allclose(scatters[1].get_offsets(), X[y == 1])


def test_plot_decision_boundary_softmax_mlp_and_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    softmax = MLP([2, 8, 3], seed=1)
    y = softmax.predict(X)
    ax = plot_decision_boundary(softmax, X, y, resolution=20)
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1
    # a scikit-learn classifier with string classes
    y_str = np.where(X[:, 0] + X[:, 1] > 0, "cat", "dog")
    clf = LogisticRegression().fit(X, y_str)
    ax = plot_decision_boundary(clf, X, y_str, resolution=20)
    labels = [c.get_label() for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]
    assert labels == ["cat", "dog"]


def test_plot_decision_boundary_with_mlpclassifier():
    from course_lib.estimator import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.where(X[:, 0] > 0, "right", "left")
    clf = MLPClassifier((8,), learning_rate=0.05, epochs=30, random_state=0).fit(X, y)
    spy = Spy(clf)
    ax = plot_decision_boundary(spy, X, y, resolution=30)
    grid, pred = spy.calls[0]
    assert len(spy.calls) == 1 and grid.shape == (900, 2)
    assert set(np.unique(pred)) == {"left", "right"}
    # far from the boundary the regions are right
    assert np.all(pred[grid[:, 0] > 1.0] == "right") and np.all(pred[grid[:, 0] < -1.0] == "left")
    labels = [c.get_label() for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]
    assert labels == ["left", "right"]


def test_plot_decision_boundary_errors():
    X3 = np.zeros((4, 3))
    with pytest.raises(ValueError, match="X must have 2 features"):
        plot_decision_boundary(linear_mlp(), X3, np.zeros(4))
    with pytest.raises(ValueError, match="same number of samples"):
        plot_decision_boundary(linear_mlp(), np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(TypeError, match="predict"):
        plot_decision_boundary(object(), np.zeros((4, 2)), np.zeros(4))
    regression = MLP([2, 2], output="identity")
    with pytest.raises(ValueError, match="one label per sample"):
        plot_decision_boundary(regression, np.zeros((4, 2)), np.zeros(4))


# ---------------------------------------------------------------------------------------------- confusion matrix
def test_plot_confusion_matrix_annotates_every_cell():
    cm = np.array([[50, 2, 0], [3, 40, 7], [0, 5, 45]])
    ax = plot_confusion_matrix(cm, labels=["a", "b", "c"])
    texts = {(round(t.get_position()[0]), round(t.get_position()[1])): t for t in ax.texts}
    assert len(ax.texts) == 9
    for i in range(3):
        for j in range(3):
            assert texts[(j, i)].get_text() == str(cm[i, j])  # column j = prediction, row i = truth
    assert texts[(0, 0)].get_color() == "white" and texts[(1, 0)].get_color() == "black"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert_array_equal(ax.images[0].get_array(), cm)


def test_plot_confusion_matrix_normalized_rows_and_empty_row():
    cm = np.array([[3, 1], [0, 0]])
    fig, ax = plt.subplots()
    assert plot_confusion_matrix(cm, ax=ax, normalize=True) is ax
    assert sorted(t.get_text() for t in ax.texts) == ["0.00", "0.00", "0.25", "0.75"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]


def test_plot_confusion_matrix_errors():
    with pytest.raises(ValueError, match=r"square \(K, K\).*shape \(2, 3\)"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels must have one name per class \\(2\\); got 3"):
        plot_confusion_matrix(np.eye(2), labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="non-negative"):
        plot_confusion_matrix(-np.eye(2))


# ---------------------------------------------------------------------------------------------- ROC
def test_plot_roc_curve_chance_line_and_legend():
    fpr, tpr = np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.5, 1.0, 1.0])
    ax = plot_roc(fpr, tpr, auc=0.875, label="MLP")
    lines = lines_by_label(ax)
    assert set(lines) == {"MLP (AUC = 0.875)", "chance"}
    assert_allclose(lines["MLP (AUC = 0.875)"].get_xdata(), fpr)
    assert_allclose(lines["MLP (AUC = 0.875)"].get_ydata(), tpr)
    assert_allclose(lines["chance"].get_xdata(), [0, 1])
    assert lines["chance"].get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MLP (AUC = 0.875)", "chance"]
    assert lines_by_label(plot_roc(fpr, tpr)).keys() == {"ROC", "chance"}


def test_plot_roc_errors():
    with pytest.raises(ValueError, match="fpr and tpr must have the same number of samples"):
        plot_roc([0, 1], [0, 0.5, 1])
    with pytest.raises(ValueError, match=r"tpr must hold rates in \[0, 1\]"):
        plot_roc([0, 1], [0, 2])
    with pytest.raises(ValueError, match="fpr must be non-decreasing"):
        plot_roc([0, 1, 0.5], [0, 1, 1])


# ---------------------------------------------------------------------------------------------- activations
def test_plot_activations_functions_and_derivatives():
    ax = plot_activations()
    lines = lines_by_label(ax)
    assert len(ax.get_lines()) == 6
    assert set(lines) == {"sigmoid", "sigmoid'", "tanh", "tanh'", "relu", "relu'"}
    z = lines["sigmoid"].get_xdata()
    assert z[0] == -5 and z[-1] == 5 and len(z) == 401
    s = 1 / (1 + np.exp(-z))  # independent formulas
    assert_allclose(lines["sigmoid"].get_ydata(), s, rtol=1e-12)
    assert_allclose(lines["sigmoid'"].get_ydata(), s * (1 - s), rtol=1e-12)
    assert_allclose(lines["tanh"].get_ydata(), np.tanh(z))
    assert_allclose(lines["tanh'"].get_ydata(), 1 / np.cosh(z) ** 2, rtol=1e-10, atol=1e-15)
    assert_allclose(lines["relu"].get_ydata(), np.maximum(z, 0))
    assert_array_equal(lines["relu'"].get_ydata(), (z > 0).astype(float))
    for name in ("sigmoid", "tanh", "relu"):
        assert lines[name + "'"].get_linestyle() == "--"
        assert lines[name + "'"].get_color() == lines[name].get_color()


def test_plot_activations_subset_custom_z_and_errors():
    fig, ax = plt.subplots()
    z = np.array([-1.0, 0.0, 2.0])
    assert plot_activations(ax=ax, z=z, names=["relu"]) is ax
    assert_array_equal(lines_by_label(ax)["relu"].get_ydata(), [0, 0, 2])
    assert len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match="names must be among"):
        plot_activations(names=["softplus"])
