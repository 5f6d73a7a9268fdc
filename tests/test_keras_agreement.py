"""Agreement with TensorFlow/Keras, an independent implementation: for the same weights, a keras.Sequential of Dense
layers computes the same outputs, the same loss and the same gradients (tf.GradientTape) as course_lib's MLP, in
float32 and in float64, and Keras' weights load into MLP.set_weights unchanged."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: the Keras agreement tests need it")
keras = tf.keras  # Keras 3 with TensorFlow >= 2.16
if int(keras.__version__.split(".")[0]) < 3:  # pragma: no cover
    pytest.skip(f"these tests are written for Keras 3; found Keras {keras.__version__}", allow_module_level=True)

from course_lib import MLP, losses  # noqa: E402
from course_lib.activations import sigmoid, softmax  # noqa: E402

CONFIGS = [  # (layer_sizes, activation, output)
    ([4, 6, 3], "relu", "softmax"),
    ([3, 8, 8, 8, 5], "tanh", "softmax"),
    ([4, 5, 1], "tanh", "sigmoid"),
    ([4, 5, 6, 3], "sigmoid", "sigmoid"),  # several independent labels
    ([4, 5, 2], "relu", "identity"),
    ([4, 6, 1], "sigmoid", "identity"),
    ([5, 3], "relu", "identity"),  # no hidden layer
]
# Relative tolerance, relative to the largest entry of each compared array.
RTOL = {"float32": 1e-5, "float64": 1e-11}


def assert_close(actual, expected, dtype):
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    rtol = RTOL[dtype]
    assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(np.abs(expected).max(), 1e-30))


def keras_model_like(model, dtype, **dense_kwargs):
    """A keras.Sequential of Dense layers with the architecture of ``model`` (weights not copied)."""
    keras_output = {"softmax": "softmax", "sigmoid": "sigmoid", "identity": "linear"}[model.output]
    layers = [keras.Input(shape=(model.n_features,), dtype=dtype)]
    layers += [keras.layers.Dense(n, activation=model.activation, dtype=dtype, **dense_kwargs)
               for n in model.layer_sizes[1:-1]]
    layers.append(keras.layers.Dense(model.n_outputs, activation=keras_output, dtype=dtype, **dense_kwargs))
    return keras.Sequential(layers)


def keras_loss_and_targets(model, y, dtype):
    """The Keras loss that matches the model's, and ``y`` in the shape Keras expects."""
    if model.output == "softmax":
        return keras.losses.SparseCategoricalCrossentropy(dtype=dtype), y
    y = np.asarray(y, dtype=dtype).reshape(len(y), model.n_outputs)
    if model.output == "sigmoid":
        return keras.losses.BinaryCrossentropy(dtype=dtype), y
    return keras.losses.MeanSquaredError(dtype=dtype), y


def problem(sizes, activation, output, dtype, seed=0, m=7):
    model = MLP(sizes, activation=activation, output=output, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    # non-zero biases, so that a bias bug cannot hide
    model.set_weights([p if p.ndim == 2 else rng.normal(0, 0.5, size=p.shape) for p in model.params])
    X = rng.normal(size=(m, sizes[0])).astype(dtype)
    if output == "softmax":
        y = rng.integers(0, sizes[-1], size=m)
    elif output == "sigmoid":
        y = (rng.random((m, sizes[-1])) < 0.5).astype(dtype)
    else:
        y = rng.normal(size=(m, sizes[-1])).astype(dtype)
    if sizes[-1] == 1:
        y = y[:, 0]
    return model, X, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
def test_same_outputs_loss_and_gradients(sizes, activation, output, dtype):
    model, X, y = problem(sizes, activation, output, dtype)
    keras_model = keras_model_like(model, dtype)
    keras_model.set_weights(model.get_weights())
    loss_fn, y_keras = keras_loss_and_targets(model, y, dtype)

    with tf.GradientTape() as tape:
        out = keras_model(X)
        keras_loss = loss_fn(y_keras, out)
    keras_grads = tape.gradient(keras_loss, keras_model.trainable_variables)
    assert out.dtype == tf.as_dtype(dtype) and keras_loss.dtype == tf.as_dtype(dtype)

    # forward
    assert_close(model.forward(X), out.numpy(), dtype)
    if output == "sigmoid" and sizes[-1] == 1:
        P = model.predict_proba(X)
        assert_close(P[:, 1], out.numpy()[:, 0], dtype)
        assert_close(P[:, 0], 1 - out.numpy()[:, 0], dtype)
    elif output != "identity":
        assert_close(model.predict_proba(X), out.numpy(), dtype)
    # loss and gradients, in get_weights order
    loss, grads = model.loss_and_grads(X, y)
    assert_close(loss, keras_loss.numpy(), dtype)
    assert_close(model.loss(X, y), keras_loss.numpy(), dtype)
    assert [v.shape for v in keras_model.trainable_variables] == [p.shape for p in model.params]
    for g, g_keras in zip(grads, keras_grads):
        assert g.dtype == dtype
        assert_close(g, g_keras.numpy(), dtype)


@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
def test_keras_weights_load_into_the_mlp(sizes, activation, output):
    """Keras' get_weights() layout ([kernel, bias, ...], kernel (n_in, n_out)) is the MLP's."""
    model = MLP(sizes, activation=activation, output=output, seed=1)
    keras_model = keras_model_like(
        model,
        "float32",
        kernel_initializer=keras.initializers.GlorotUniform(seed=3),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=4),
    )
    weights = keras_model.get_weights()
    model.set_weights(weights)
    for p, w in zip(model.params, weights):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p, w)
    X = np.random.default_rng(2).normal(size=(6, sizes[0])).astype(np.float32)
    assert_close(model.forward(X), keras_model(X).numpy(), "float32")


def test_predictions_agree_with_keras_predict():
    model, X, _ = problem([4, 6, 3], "relu", "softmax", "float32", seed=5, m=20)
    keras_model = keras_model_like(model, "float32")
    keras_model.set_weights(model.get_weights())
    P_keras = keras_model.predict(X, verbose=0)
    np.testing.assert_array_equal(model.predict(X), P_keras.argmax(axis=1))


# ---------------------------------------------------------------------------------------------- losses alone
LOGITS = [1e-3, 1.0, 30.0, 1e4]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", LOGITS)
def test_loss_functions_agree_with_keras(dtype, scale):
    """From logits and from probabilities, including logits of size 1e4 where the naive formulas overflow."""
    rng = np.random.default_rng(int(scale * 1000) % 2**32)
    z_bin = (scale * rng.standard_normal((6, 3))).astype(dtype)
    y_bin = (rng.random((6, 3)) < 0.5).astype(dtype)
    z_cat = (scale * rng.standard_normal((6, 4))).astype(dtype)
    y_cat = rng.integers(0, 4, size=6)

    bce_logits = keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype)(y_bin, z_bin).numpy()
    cce_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)(y_cat, z_cat).numpy()
    assert_close(losses.binary_cross_entropy_from_logits(z_bin, y_bin), bce_logits, dtype)
    assert_close(losses.categorical_cross_entropy_from_logits(z_cat, y_cat), cce_logits, dtype)

    # from probabilities both clip to [1e-7, 1 - 1e-7]; plain tensors, so Keras cannot recover the logits
    P_bin, P_cat = sigmoid(z_bin), softmax(z_cat)
    bce_p = keras.losses.BinaryCrossentropy(dtype=dtype)(y_bin, tf.constant(P_bin)).numpy()
    cce_p = keras.losses.SparseCategoricalCrossentropy(dtype=dtype)(y_cat, tf.constant(P_cat)).numpy()
    assert np.isfinite(bce_p) and np.isfinite(cce_p)
    # Keras computes in ``dtype``, course_lib's probability losses in float64: the float32 clip bound 1 - 1e-7
    # rounds to 1 - 1.19e-7, which changes the cost of a saturated wrong probability by 1%
    saturated = dtype == "float32" and scale > 10
    rtol = 1e-2 if saturated else 1e-5
    assert_allclose(losses.binary_cross_entropy(P_bin, y_bin), bce_p, rtol=rtol)
    assert_allclose(losses.categorical_cross_entropy(P_cat, y_cat), cce_p, rtol=rtol)

    assert_allclose(
        losses.mean_squared_error(z_bin, y_bin),
        keras.losses.MeanSquaredError(dtype=dtype)(y_bin, z_bin).numpy(),
        rtol=RTOL[dtype],
    )
