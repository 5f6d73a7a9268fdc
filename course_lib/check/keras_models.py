"""Checks for the exercises of chapter "Neural networks in Keras" (``book/08-keras.md``).

- :func:`build_mlp`: ``build_mlp(hidden=32)`` returns a Keras model that maps 8x8 digit images of shape
  (m, 8, 8) to 10 logits of shape (m, 10): Flatten, Dense(hidden, relu), Dense(10) with no activation.
- :func:`keras_train_step`: ``keras_train_step(model, optimizer, loss_fn, x, y)`` makes one gradient step with
  ``tf.GradientTape`` on the mini-batch (x, y) and returns the loss before the step.

TensorFlow is imported inside the checks only, so ``course_lib`` imports without it.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_shape

__all__ = ["build_mlp", "keras_train_step"]


def _images(m: int = 6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(m, 8, 8)).astype("float32")


# ------------------------------------------------------------------------------------------------ build_mlp
@exercise_check("ex-keras-build-mlp", "Exercise: an MLP for digit images in Keras")
def build_mlp(student_fn):
    import keras

    for hidden in (32, 7):
        model = student_fn(hidden)
        if not isinstance(model, keras.Model):
            raise CheckFailed(f"build_mlp({hidden}) returned a {type(model).__name__}, expected a Keras model "
                              "(keras.Sequential([...]) is one).")
        x = _images()
        out = np.asarray(model(x))
        if out.ndim == 3:
            raise CheckFailed(f"build_mlp({hidden}) maps images of shape {x.shape} to outputs of shape "
                              f"{out.shape}: the Flatten layer is missing, so Dense acts on the last axis only.")
        expect_shape(f"build_mlp({hidden})(images of shape {x.shape})", out, (x.shape[0], 10),
                     hint="10 output units, one per digit class.")
        expected_params = (64 * hidden + hidden) + (hidden * 10 + 10)
        n = int(model.count_params())
        if n != expected_params:
            raise CheckFailed(f"build_mlp({hidden}) has {n} parameters, expected {expected_params} = "
                              f"(64*{hidden} + {hidden}) + ({hidden}*10 + 10): Flatten, Dense({hidden}), Dense(10).")
        rows = out.sum(axis=1)
        if np.all(out >= 0) and np.allclose(rows, 1.0, atol=1e-4):
            raise CheckFailed(f"build_mlp({hidden}) outputs probabilities (rows sum to 1): the last layer has a "
                              "softmax, but the exercise asks for logits (Dense(10) with no activation), to be "
                              "paired with SparseCategoricalCrossentropy(from_logits=True).")
        if np.all((out >= 0) & (out <= 1)):
            raise CheckFailed(f"build_mlp({hidden}) outputs values in [0, 1]: the last layer has an activation "
                              "(sigmoid?); logits come from Dense(10) with no activation.")
        hidden_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        if len(hidden_layers) != 2:
            raise CheckFailed(f"build_mlp({hidden}) has {len(hidden_layers)} Dense layers, expected 2.")
        act = keras.activations.serialize(hidden_layers[0].activation)
        name = act if isinstance(act, str) else act.get("config", act) if isinstance(act, dict) else act
        if "relu" not in str(name):
            raise CheckFailed(f"build_mlp({hidden}): the hidden Dense layer has activation {name!r}, expected "
                              "'relu'.")


# ----------------------------------------------------------------------------------------- keras_train_step
def _small_model(keras, seed: int):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                             keras.layers.Dense(5, activation="relu"), keras.layers.Dense(10)])


def _reference_step(tf, model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss)


@exercise_check("ex-keras-train-step", "Exercise: one training step with GradientTape")
def keras_train_step(student_fn):
    import keras
    import tensorflow as tf

    x = _images(8, seed=1)
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7], dtype="int64")
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ref_model, model = _small_model(keras, 0), _small_model(keras, 0)
    before = [w.copy() for w in model.get_weights()]
    ref_loss = _reference_step(tf, ref_model, keras.optimizers.SGD(0.5), loss_fn, x, y)
    twice_model, twice_opt = _small_model(keras, 0), keras.optimizers.SGD(0.5)
    for _ in range(2):
        _reference_step(tf, twice_model, twice_opt, loss_fn, x, y)
    got = student_fn(model, keras.optimizers.SGD(0.5), loss_fn, x, y)
    after = model.get_weights()
    if all(np.array_equal(a, b) for a, b in zip(before, after)):
        raise CheckFailed("keras_train_step left the weights unchanged: apply the gradients with "
                          "optimizer.apply_gradients(zip(grads, model.trainable_variables)).")
    if got is None:
        raise CheckFailed("keras_train_step returned None: return the loss computed before the update.")
    expect_close("the loss keras_train_step returned", float(np.asarray(got)), ref_loss, rtol=1e-5, atol=1e-6,
                 hint="return loss_fn(y, model(x, training=True)) computed inside the tape, before the update.")
    if all(np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(after, twice_model.get_weights())):
        raise CheckFailed("keras_train_step made two steps instead of one: apply the gradients once.")
    for i, (w_got, w_ref, w0) in enumerate(zip(after, ref_model.get_weights(), before)):
        if np.allclose(w_got, 2 * w0 - w_ref, rtol=1e-4, atol=1e-6) and not np.allclose(w_ref, w0):
            raise CheckFailed("keras_train_step moved the weights UP the gradient: apply_gradients subtracts "
                              "the learning rate times the gradient itself; pass the gradients, not their "
                              "negatives.")
        expect_close(f"weight array {i} after the step", w_got, w_ref, rtol=1e-4, atol=1e-6,
                     hint="one step: loss inside `with tf.GradientTape() as tape:`, then "
                          "tape.gradient(loss, model.trainable_variables) and apply_gradients, once.")
