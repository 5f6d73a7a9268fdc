"""The exercise checks of chapter "Neural networks in Keras" (course_lib/check/keras_models.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message that names
the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import subprocess
import sys

import pytest

from course_lib import check
from course_lib.check import CheckFailed

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-keras-build-mlp"] is check.build_mlp
    assert check.REGISTRY["ex-keras-train-step"] is check.keras_train_step


def test_the_check_module_does_not_import_tensorflow():
    code = ("import sys, course_lib.check.keras_models; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------------------ build_mlp
def mlp(hidden=32, flatten=True, out_activation=None):
    layers = [keras.Input((8, 8))] + ([keras.layers.Flatten()] if flatten else [])
    layers += [keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(10, activation=out_activation)]
    return keras.Sequential(layers)


def test_build_mlp_accepts_the_logits_model(capsys):
    check.build_mlp(mlp)
    assert "✓ Exercise: an MLP for digit images in Keras: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda hidden=32: mlp(hidden, flatten=False), "Flatten layer is missing"),
        (lambda hidden=32: mlp(hidden, out_activation="softmax"), "softmax"),
        (lambda hidden=32: mlp(hidden, out_activation="sigmoid"), "sigmoid"),
        (lambda hidden=32: mlp(32), "parameters"),
    ],
)
def test_build_mlp_names_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.build_mlp(wrong)


def test_build_mlp_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.build_mlp(stub)


# ----------------------------------------------------------------------------------------- keras_train_step
def good_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def no_update(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    tape.gradient(loss, model.trainable_variables)
    return loss


def ascent(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip([-g for g in grads], model.trainable_variables))
    return loss


def twice(model, optimizer, loss_fn, x, y):
    loss = good_step(model, optimizer, loss_fn, x, y)
    good_step(model, optimizer, loss_fn, x, y)
    return loss


def no_return(model, optimizer, loss_fn, x, y):
    good_step(model, optimizer, loss_fn, x, y)


def test_keras_train_step_accepts_a_correct_step(capsys):
    check.keras_train_step(good_step)
    assert "✓ Exercise: one training step with GradientTape: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [(no_update, "unchanged"), (ascent, "UP the gradient"), (twice, "two steps"), (no_return, "returned None")],
)
def test_keras_train_step_names_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.keras_train_step(wrong)


def test_keras_train_step_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.keras_train_step(stub)
