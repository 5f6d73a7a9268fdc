"""Tests of course_lib.training: fit, History, EarlyStopping, TrainingDivergedError."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from course_lib import MLP
from course_lib.optimizers import SGD, Adam
from course_lib.training import EarlyStopping, History, TrainingDivergedError, fit


def blobs(n=200, seed=0, n_features=2, n_classes=2, sep=3.0):
    """Gaussian class clusters with unit variance, centred on a circle of radius ``sep`` (in the first two
    features): well separated for a large ``sep``, overlapping for ``sep`` about 1."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = np.zeros((n_classes, n_features))
    centres[:, 0], centres[:, 1] = sep * np.cos(angles), sep * np.sin(angles)
    y = rng.integers(0, n_classes, size=n)
    X = centres[y] + rng.normal(size=(n, n_features))
    return X.astype(np.float32), y


def regression(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)


# ---------------------------------------------------------------------- learning
def test_loss_decreases_on_separable_problem():
    X, y = blobs()
    model = MLP([2, 8, 2], seed=0)
    loss_before = model.loss(X, y)
    history = fit(model, X, y, Adam(0.01), epochs=30, batch_size=16, progress=False)
    assert history.loss[-1] < 0.3 * history.loss[0]
    assert model.loss(X, y) < 0.3 * loss_before
    assert np.mean(model.predict(X) == y) > 0.97
    assert history.accuracy[-1] > 0.97


def test_regression_and_sigmoid_outputs_train():
    X, t = regression()
    model = MLP([3, 8, 1], output="identity", seed=0)
    history = fit(model, X, t, Adam(0.02), epochs=40, batch_size=10, progress=False)
    assert set(history.history) == {"loss"}
    assert history.loss[-1] < 0.1 * history.loss[0]

    X, y = blobs(seed=1)
    model = MLP([2, 6, 1], output="sigmoid", seed=0)
    history = fit(model, X, y, Adam(0.01), epochs=20, batch_size=20, progress=False, validation_data=(X, y))
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.val_accuracy[-1] == pytest.approx(np.mean(model.predict(X) == y))


def test_training_loss_is_sample_weighted_mean_of_batch_losses():
    # With a learning rate of 1e-30 the weights move by about 1e-30, so every batch loss is taken at the initial
    # weights (to float32 precision) and the epoch's loss must be the full-data mean: the 2-row last batch weighs
    # 2/50, not 1/4 as in an unweighted mean of the 4 batch losses.
    X, y = blobs(n=50, n_classes=3)
    model = MLP([2, 5, 3], seed=0)
    start = model.get_weights()
    history = fit(model, X, y, SGD(1e-30), epochs=2, batch_size=16, progress=False)
    for p, p0 in zip(model.params, start):
        assert_allclose(p, p0, rtol=1e-7, atol=1e-25)
    assert_allclose(history.loss, [model.loss(X, y)] * 2, rtol=1e-6)
    assert history.accuracy == [np.mean(model.predict(X) == y)] * 2


def test_full_batch_gradient_descent_by_hand():
    # batch_size > m: one batch per epoch, so one epoch of plain SGD is one gradient step on all the data
    X, y = blobs(n=30, n_classes=3)
    model = MLP([2, 4, 3], seed=0, dtype="float64")
    reference = MLP([2, 4, 3], seed=0, dtype="float64")
    fit(model, X, y, SGD(0.5), epochs=1, batch_size=1000, progress=False)
    _, grads = reference.loss_and_grads(X, y)
    for p, p0, g in zip(model.params, reference.params, grads):
        assert_allclose(p, p0 - 0.5 * g, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------- reproducibility
def test_same_seed_gives_bit_identical_weights():
    X, y = blobs(n=100, n_classes=3)
    a, b, c = (MLP([2, 6, 3], seed=0) for _ in range(3))
    fit(a, X, y, Adam(0.01), epochs=3, batch_size=8, seed=5, progress=False)
    fit(b, X, y, Adam(0.01), epochs=3, batch_size=8, seed=5, progress=False)
    fit(c, X, y, Adam(0.01), epochs=3, batch_size=8, seed=6, progress=False)
    for pa, pb in zip(a.params, b.params):
        assert_array_equal(pa, pb)
    assert not all(np.array_equal(pa, pc) for pa, pc in zip(a.params, c.params))


def test_fit_does_not_modify_inputs():
    X, y = blobs(n=40)
    X0, y0 = X.copy(), y.copy()
    fit(MLP([2, 3, 2]), X, y, SGD(0.1), epochs=2, batch_size=7, progress=False, validation_data=(X, y))
    assert_array_equal(X, X0)
    assert_array_equal(y, y0)


# ---------------------------------------------------------------------- history
def test_history_keys_and_lengths():
    X, y = blobs(n=60)
    h = fit(MLP([2, 4, 2]), X, y, Adam(0.01), epochs=4, batch_size=16, progress=False)
    assert isinstance(h, History)
    assert set(h.history) == {"loss", "accuracy"}
    assert h.epoch == [0, 1, 2, 3] and len(h) == 4
    assert all(len(v) == 4 for v in h.history.values())
    assert h.val_loss is None and h.val_accuracy is None
    assert h.loss is h.history["loss"] and h.accuracy is h.history["accuracy"]
    assert h.stopped_epoch is None and h.best_epoch is None and h.weights_epoch == 3
    assert all(isinstance(v, float) for v in h.loss)

    h = fit(MLP([2, 4, 2]), X, y, Adam(0.01), epochs=3, batch_size=16, progress=False, validation_data=(X, y))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in h.history.values())
    assert "val_loss=" in repr(h)

    Xr, t = regression(n=30)
    h = fit(MLP([3, 4, 1], output="identity"), Xr, t, SGD(0.01), epochs=2, batch_size=8, progress=False,
            validation_data=(Xr, t))
    assert set(h.history) == {"loss", "val_loss"} and h.accuracy is None


def test_validation_metrics_match_direct_evaluation():
    X, y = blobs(n=120, n_classes=3, sep=1.0)
    Xv, yv = blobs(n=50, n_classes=3, sep=1.0, seed=0)
    model = MLP([2, 8, 3], seed=0)
    h = fit(model, X, y, Adam(0.01), epochs=3, batch_size=32, progress=False, validation_data=(Xv, yv))
    assert h.val_loss[-1] == pytest.approx(model.loss(Xv, yv), rel=1e-6)
    assert h.val_accuracy[-1] == np.mean(model.predict(Xv) == yv)
    assert len(set(h.val_loss)) == 3  # evaluated after every epoch, not once


# ---------------------------------------------------------------------- early stopping
def _weights_after(epochs, X, y, **kwargs):
    model = MLP([2, 8, 2], seed=0)
    fit(model, X, y, Adam(0.05), epochs=epochs, batch_size=16, seed=1, progress=False, **kwargs)
    return model.get_weights()


def test_early_stopping_stops_and_restores_best_weights():
    X, y = blobs(n=100, sep=1.0)
    Xv, yv = X, 1 - y  # the better the model fits the training data, the worse the validation loss
    model = MLP([2, 8, 2], seed=0)
    stop = EarlyStopping(monitor="val_loss", patience=2)
    h = fit(model, X, y, Adam(0.05), epochs=20, batch_size=16, seed=1, progress=False,
            validation_data=(Xv, yv), early_stopping=stop)
    best = int(np.argmin(h.val_loss))
    assert h.best_epoch == best
    assert h.stopped_epoch == best + 2 and len(h) == best + 3 < 20
    assert h.weights_epoch == best
    for p, q in zip(model.params, _weights_after(best + 1, X, y)):
        assert_array_equal(p, q)
    assert model.loss(Xv, yv) == pytest.approx(h.val_loss[best], rel=1e-6)


def test_early_stopping_without_restoring_keeps_last_weights():
    X, y = blobs(n=100, sep=1.0)
    model = MLP([2, 8, 2], seed=0)
    stop = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=False)
    h = fit(model, X, y, Adam(0.05), epochs=20, batch_size=16, seed=1, progress=False,
            validation_data=(X, 1 - y), early_stopping=stop)
    assert h.stopped_epoch is not None and h.weights_epoch == h.stopped_epoch == h.epoch[-1]
    for p, q in zip(model.params, _weights_after(h.stopped_epoch + 1, X, y)):
        assert_array_equal(p, q)


def test_early_stopping_that_never_triggers_and_reuse():
    X, y = blobs(n=100)
    stop = EarlyStopping(monitor="loss", patience=50)
    model = MLP([2, 8, 2], seed=0)
    h = fit(model, X, y, Adam(0.01), epochs=4, batch_size=16, progress=False, early_stopping=stop)
    assert h.stopped_epoch is None and len(h) == 4
    assert h.best_epoch == int(np.argmin(h.loss))
    # the same object again: its state starts over
    h2 = fit(MLP([2, 8, 2], seed=1), X, y, Adam(0.01), epochs=2, batch_size=16, progress=False,
             early_stopping=stop)
    assert h2.best_epoch in (0, 1) and stop.best == min(h2.loss)


def test_early_stopping_accuracy_is_maximised_and_min_delta():
    assert EarlyStopping("val_accuracy").mode == "max"
    assert EarlyStopping("loss").mode == "min"
    stop = EarlyStopping("accuracy", min_delta=0.1)
    stop._reset()
    model = MLP([2, 2])
    assert not stop._update(0, {"accuracy": 0.5}, model)
    assert stop.best == 0.5
    stop._update(1, {"accuracy": 0.55}, model)  # not better by more than min_delta
    assert stop.best == 0.5 and stop.wait == 1
    stop._update(2, {"accuracy": 0.7}, model)
    assert stop.best == 0.7 and stop.best_epoch == 2 and stop.wait == 0


def test_early_stopping_argument_errors():
    X, y = blobs(n=20)
    with pytest.raises(ValueError, match="val_loss.*needs validation_data"):
        fit(MLP([2, 2]), X, y, SGD(0.1), epochs=2, batch_size=4, early_stopping=EarlyStopping(), progress=False)
    Xr, t = regression(n=20)
    with pytest.raises(ValueError, match="no accuracy"):
        fit(MLP([3, 1], output="identity"), Xr, t, SGD(0.1), epochs=2, batch_size=4,
            early_stopping=EarlyStopping("accuracy"), progress=False)
    with pytest.raises(TypeError, match="early_stopping must be an EarlyStopping"):
        fit(MLP([2, 2]), X, y, SGD(0.1), epochs=2, batch_size=4, early_stopping="val_loss", progress=False)
    with pytest.raises(ValueError, match="monitor must be one of"):
        EarlyStopping("val_acc")
    with pytest.raises(ValueError, match="patience must be an integer >= 0; got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(TypeError, match="restore_best_weights"):
        EarlyStopping(restore_best_weights="yes")


# ---------------------------------------------------------------------- divergence
def test_divergence_raises_naming_epoch_and_batch():
    X, t = regression(n=64)
    model = MLP([3, 16, 1], output="identity", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow warnings are silenced inside fit
        expected = r"mini-batch \d+/8 in epoch \d+/50.*smaller learning rate"
        with pytest.raises(TrainingDivergedError, match=expected) as e:
            fit(model, X, t, SGD(10.0), epochs=50, batch_size=8, progress=False)
    err = e.value
    assert isinstance(err, FloatingPointError)
    assert not np.isfinite(err.loss)
    assert f"epoch {err.epoch + 1}/50" in str(err) and f"mini-batch {err.batch + 1}/8" in str(err)
    assert len(err.history) == err.epoch  # the completed epochs


# ---------------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(X=np.zeros(10)), ValueError, "X must be a 2-D array"),
        (dict(y=np.zeros(9, dtype=int)), ValueError, "same number of samples"),
        (dict(X=np.zeros((10, 3))), ValueError, "3 features.*expects 2"),
        (dict(X=np.where(np.eye(10, 2) == 1, np.nan, 0.0)), ValueError, "finite"),
        (dict(y=np.full(10, 2)), ValueError, r"class ids in \[0, 2\)"),
        (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1; got 0"),
        (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
        (dict(epochs=0), ValueError, "epochs must be an integer >= 1; got 0"),
        (dict(epochs=None), TypeError, "epochs must be an integer"),
        (dict(optimizer="adam"), TypeError, "optimizer must have a step"),
        (dict(seed=-1), ValueError, "seed must be an integer >= 0"),
        (dict(progress="no"), TypeError, "progress must be True or False"),
        (dict(validation_data=np.zeros((4, 2))), TypeError, r"validation_data must be a tuple \(X_val, y_val\)"),
        (dict(validation_data=(np.zeros((4, 2)),)), ValueError, "2 arrays; got 1"),
        (dict(validation_data=(np.zeros((4, 3)), np.zeros(4, dtype=int))), ValueError,
         r"validation_data\[0\].*3 features"),
        (dict(validation_data=(np.zeros((4, 2)), np.array([0, 1, 5, 0]))), ValueError,
         r"validation_data\[1\] \(y_val\).*class ids"),
        (dict(validation_data=(np.zeros((4, 2)), np.zeros(3, dtype=int))), ValueError,
         r"validation_data\[1\].*same number of samples"),
    ],
)
def test_bad_inputs(change, error, match):
    args = dict(X=np.zeros((10, 2)), y=np.zeros(10, dtype=int), optimizer=SGD(0.1), epochs=1, batch_size=4,
                progress=False)
    args.update(change)
    model = MLP([2, 3, 2])
    before = model.get_weights()
    with pytest.raises(error, match=match):
        fit(model, args.pop("X"), args.pop("y"), **args)
    for p, q in zip(model.params, before):  # nothing was trained
        assert_array_equal(p, q)


# ---------------------------------------------------------------------- progress bar
def test_progress_false_is_silent_and_true_shows_a_bar(capsys):
    X, y = blobs(n=40)
    fit(MLP([2, 3, 2]), X, y, SGD(0.1), epochs=2, batch_size=8, progress=False)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""
    fit(MLP([2, 3, 2]), X, y, SGD(0.1), epochs=2, batch_size=8, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss=" in err and "accuracy=" in err
