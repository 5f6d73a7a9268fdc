"""Tests of course_lib.optimizers: against the Keras 3 optimizers, against hand-computed updates, and for errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib import MLP
from course_lib.optimizers import SGD, Adam, Optimizer, RMSprop

# (course_lib optimizer, keras optimizer class name, keras keyword arguments)
CONFIGS = {
    "sgd": (lambda: SGD(0.1), "SGD", dict(learning_rate=0.1)),
    "sgd-momentum": (lambda: SGD(0.05, momentum=0.9), "SGD", dict(learning_rate=0.05, momentum=0.9)),
    "sgd-nesterov": (
        lambda: SGD(0.05, momentum=0.9, nesterov=True),
        "SGD",
        dict(learning_rate=0.05, momentum=0.9, nesterov=True),
    ),
    "rmsprop": (lambda: RMSprop(0.01), "RMSprop", dict(learning_rate=0.01)),
    "rmsprop-custom": (
        lambda: RMSprop(0.003, rho=0.5, eps=1e-3),
        "RMSprop",
        dict(learning_rate=0.003, rho=0.5, epsilon=1e-3),
    ),
    "adam": (lambda: Adam(0.01), "Adam", dict(learning_rate=0.01)),
    "adam-custom": (
        lambda: Adam(0.03, beta1=0.5, beta2=0.9, eps=1e-3),
        "Adam",
        dict(learning_rate=0.03, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
    ),
}


def _random_problem(shapes, n_steps, seed, dtype):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=s).astype(dtype) for s in shapes]
    grads = [[rng.normal(scale=rng.choice([1e-3, 1.0, 10.0]), size=s).astype(dtype) for s in shapes]
             for _ in range(n_steps)]
    return params, grads


def _run_ours(make, params, grads):
    params = [p.copy() for p in params]
    opt = make()
    for g in grads:
        opt.step(params, g)
    return params


def _run_keras(name, kwargs, params, grads, dtype):
    keras = pytest.importorskip("keras")
    variables = [keras.Variable(p.copy(), dtype=dtype) for p in params]
    opt = getattr(keras.optimizers, name)(**kwargs)
    for g in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(gi) for gi in g], variables))
    return [np.asarray(v.numpy()) for v in variables]


shapes_strategy = st.lists(
    st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple), min_size=1, max_size=4
)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip(
        "tensorflow", reason="TensorFlow is not installed; the comparison with Keras' optimizers is skipped"
    )


# ---------------------------------------------------------------------- against Keras 3
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("n_steps", [1, 5])
@settings(max_examples=8)
@given(shapes=shapes_strategy, seed=st.integers(0, 2**31 - 1))
def test_matches_keras_float32(tf, config, n_steps, shapes, seed):
    make, name, kwargs = CONFIGS[config]
    params, grads = _random_problem(shapes, n_steps, seed, np.float32)
    ours = _run_ours(make, params, grads)
    theirs = _run_keras(name, kwargs, params, grads, "float32")
    for p, k in zip(ours, theirs):
        assert p.dtype == np.float32
        # the same float32 arithmetic up to the order of the last multiplication: a few ulp of the step
        assert_allclose(p, k, rtol=1e-6, atol=1e-7)


# In float64 Keras still rounds the learning rate (a float32 variable) and, for Adam, the betas to float32; with
# hyperparameters that float32 represents exactly, both compute the same float64 numbers.
FLOAT64_CONFIGS = [
    (lambda: SGD(0.125), "SGD", dict(learning_rate=0.125)),
    (lambda: SGD(0.125, momentum=0.875), "SGD", dict(learning_rate=0.125, momentum=0.875)),
    (lambda: SGD(0.125, momentum=0.875, nesterov=True), "SGD",
     dict(learning_rate=0.125, momentum=0.875, nesterov=True)),
    (lambda: RMSprop(2**-7, rho=0.75, eps=2**-10), "RMSprop", dict(learning_rate=2**-7, rho=0.75, epsilon=2**-10)),
    (lambda: Adam(2**-6, beta1=0.875, beta2=1 - 2**-10, eps=2**-20), "Adam",
     dict(learning_rate=2**-6, beta_1=0.875, beta_2=1 - 2**-10, epsilon=2**-20)),
]


@pytest.mark.parametrize("make, name, kwargs", FLOAT64_CONFIGS, ids=["sgd", "momentum", "nesterov", "rmsprop", "adam"])
@pytest.mark.parametrize("n_steps", [1, 5])
def test_matches_keras_float64(tf, make, name, kwargs, n_steps):
    params, grads = _random_problem([(4, 3), (3,), (2, 2, 2)], n_steps, 7, np.float64)
    ours = _run_ours(make, params, grads)
    theirs = _run_keras(name, kwargs, params, grads, "float64")
    for p, k in zip(ours, theirs):
        assert p.dtype == np.float64
        assert_allclose(p, k, rtol=1e-12, atol=1e-15)


def test_matches_keras_on_mlp_gradients(tf):
    """Five Adam steps on real gradients of a model, in its [W1, b1, W2, b2] layout."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=32)
    model = MLP([6, 5, 3], seed=1)
    keras_params = model.get_weights()
    opt = Adam(0.01)
    grads_seen = []
    for _ in range(5):
        _, grads = model.loss_and_grads(X, y)
        grads_seen.append([g.copy() for g in grads])
        opt.step(model.params, grads)
    theirs = _run_keras("Adam", dict(learning_rate=0.01), keras_params, grads_seen, "float32")
    for p, k in zip(model.params, theirs):
        assert_allclose(p, k, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------- hand-computed values
def test_sgd_by_hand():
    theta = np.array([1.0])
    SGD(0.1).step([theta], [np.array([0.5])])
    assert theta[0] == pytest.approx(0.95, abs=1e-15)


def test_sgd_momentum_by_hand():
    theta, g = np.array([1.0]), np.array([0.5])
    opt = SGD(0.1, momentum=0.9)
    opt.step([theta], [g])  # v = -0.05
    assert theta[0] == pytest.approx(0.95, abs=1e-15)
    opt.step([theta], [g])  # v = 0.9 * -0.05 - 0.05 = -0.095
    assert theta[0] == pytest.approx(0.855, abs=1e-15)


def test_sgd_nesterov_by_hand():
    theta, g = np.array([1.0]), np.array([0.5])
    opt = SGD(0.1, momentum=0.9, nesterov=True)
    opt.step([theta], [g])  # v = -0.05; theta += 0.9 v - 0.05 = -0.095
    assert theta[0] == pytest.approx(0.905, abs=1e-15)
    opt.step([theta], [g])  # v = -0.095; theta += 0.9 v - 0.05 = -0.1355
    assert theta[0] == pytest.approx(0.7695, abs=1e-15)


def test_rmsprop_by_hand():
    theta = np.array([1.0])
    RMSprop(0.01, rho=0.9, eps=1e-7).step([theta], [np.array([0.5])])
    s = 0.1 * 0.25
    assert theta[0] == pytest.approx(1.0 - 0.01 * 0.5 / math.sqrt(s + 1e-7), abs=1e-15)


def test_adam_first_step_by_hand():
    theta = np.array([1.0])
    Adam(0.1).step([theta], [np.array([0.5])])
    m, v = 0.1 * 0.5, 0.001 * 0.25  # (1 - beta1) g, (1 - beta2) g^2
    alpha = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    assert theta[0] == pytest.approx(1.0 - alpha * m / (math.sqrt(v) + 1e-7), abs=1e-14)
    # the bias-corrected first step has size lr whatever the gradient's scale
    assert theta[0] == pytest.approx(0.9, abs=1e-5)


def test_adam_matches_paper_algorithm():
    """Several steps against Kingma and Ba's Algorithm 1 in plain Python, with a negligible epsilon."""
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-12
    gs = [0.3, -1.2, 0.7, 0.01, -0.4, 2.0]
    theta = np.array([0.5])
    opt = Adam(lr, beta1=b1, beta2=b2, eps=eps)
    assert opt.moments() == []
    ref, m, v = 0.5, 0.0, 0.0
    for t, g in enumerate(gs, start=1):
        opt.step([theta], [np.array([g])])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        ref -= lr * m_hat / math.sqrt(v_hat)
        assert theta[0] == pytest.approx(ref, rel=1e-9)
        [(m_opt, v_opt)] = opt.moments()
        assert m_opt[0] == pytest.approx(m, rel=1e-12) and v_opt[0] == pytest.approx(v, rel=1e-12)
    assert opt.t == len(gs)


# ---------------------------------------------------------------------- in place, dtype, state
@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: SGD(0.1, 0.9, True), lambda: RMSprop(0.1), lambda: Adam()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_in_place_and_keeps_dtype(make, dtype):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)).astype(dtype), np.zeros(2, dtype=dtype)]
    grads = [rng.normal(size=(3, 2)).astype(dtype), np.ones(2, dtype=dtype)]
    originals, grads_before = [p.copy() for p in params], [g.copy() for g in grads]
    objects = [id(p) for p in params]
    opt = make()
    assert isinstance(opt, Optimizer)
    opt.step(params, grads)
    assert [id(p) for p in params] == objects
    for p, p0, g, g0 in zip(params, originals, grads, grads_before):
        assert p.dtype == dtype
        assert not np.array_equal(p, p0)  # moved
        assert_array_equal(g, g0)  # gradients untouched


def test_float64_gradients_for_float32_params_are_cast():
    theta = np.ones(3, dtype=np.float32)
    SGD(0.5).step([theta], [np.full(3, 0.5)])
    assert theta.dtype == np.float32
    assert_array_equal(theta, np.full(3, 0.75, dtype=np.float32))


def test_state_created_on_first_step_and_reset():
    opt = Adam()
    assert opt.t == 0
    params = [np.zeros((2, 3)), np.zeros(3)]
    opt.step(params, [np.ones((2, 3)), np.ones(3)])
    opt.step(params, [np.ones((2, 3)), np.ones(3)])
    assert opt.t == 2
    with pytest.raises(ValueError, match=r"state was created.*2 parameter arrays.*got 1"):
        opt.step(params[:1], [np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"shapes \[\(2, 3\), \(3,\)\].*\(3, 2\)"):
        opt.step([np.zeros((3, 2)), np.zeros(3)], [np.ones((3, 2)), np.ones(3)])
    with pytest.raises(ValueError, match="dtypes"):
        opt.step([p.astype(np.float32) for p in params], [np.ones((2, 3)), np.ones(3)])
    assert opt.t == 2  # rejected calls change nothing
    opt.reset()
    assert opt.t == 0
    opt.step([np.zeros((3, 2))], [np.ones((3, 2))])  # a new model after reset()
    assert opt.t == 1


def test_params_and_grads_must_match():
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="same length.*2 parameter arrays and 1 gradients"):
        opt.step([np.zeros(2), np.zeros(3)], [np.zeros(2)])
    with pytest.raises(ValueError, match=r"grads\[1\] must have the shape of params\[1\], \(3,\); got shape \(4,\)"):
        opt.step([np.zeros(2), np.zeros(3)], [np.zeros(2), np.zeros(4)])
    with pytest.raises(TypeError, match=r"params\[0\] must be a floating-point NumPy array.*int64"):
        opt.step([np.zeros(2, dtype=np.int64)], [np.zeros(2)])
    with pytest.raises(TypeError, match=r"params\[0\].*list"):
        opt.step([[0.0, 0.0]], [np.zeros(2)])


# ---------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize(
    "make, name, error, what",
    [
        (lambda: SGD(0.0), "lr", ValueError, "positive"),
        (lambda: SGD(-1e-3), "lr", ValueError, "positive"),
        (lambda: SGD(float("nan")), "lr", ValueError, "positive"),
        (lambda: SGD("0.1"), "lr", TypeError, "positive number"),
        (lambda: SGD(True), "lr", TypeError, "positive number"),
        (lambda: SGD(0.1, momentum=1.0), "momentum", ValueError, r"\[0.0, 1.0\)"),
        (lambda: SGD(0.1, momentum=-0.1), "momentum", ValueError, r"\[0.0, 1.0\)"),
        (lambda: SGD(0.1, momentum="0.9"), "momentum", TypeError, "number"),
        (lambda: SGD(0.1, 0.9, nesterov="yes"), "nesterov", TypeError, "True or False"),
        (lambda: RMSprop(0.0), "lr", ValueError, "positive"),
        (lambda: RMSprop(0.1, rho=1.0), "rho", ValueError, r"\[0.0, 1.0\)"),
        (lambda: RMSprop(0.1, eps=0.0), "eps", ValueError, "positive"),
        (lambda: Adam(lr=-1.0), "lr", ValueError, "positive"),
        (lambda: Adam(beta1=1.0), "beta1", ValueError, r"\[0.0, 1.0\)"),
        (lambda: Adam(beta2=-0.5), "beta2", ValueError, r"\[0.0, 1.0\)"),
        (lambda: Adam(beta2=None), "beta2", TypeError, "number"),
        (lambda: Adam(eps=-1e-7), "eps", ValueError, "positive"),
    ],
)
def test_invalid_hyperparameters(make, name, error, what):
    with pytest.raises(error, match=rf"^{name} must .*{what}.*got"):
        make()


def test_repr_shows_hyperparameters():
    assert repr(SGD(0.1, momentum=0.9, nesterov=True)) == "SGD(lr=0.1, momentum=0.9, nesterov=True)"
    assert repr(RMSprop(0.01)) == "RMSprop(lr=0.01, rho=0.9, eps=1e-07)"
    assert repr(Adam()) == "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-07)"
