"""Tests of course_lib.gradcheck, and gradient checks of the MLP in float64 for every hidden activation, every
output/loss pair and hypothesis-generated architectures, batch sizes and seeds.

A relative error is only meaningful where the gradient stands well above the round-off of the difference quotient,
about ``1e-16 / EPS`` in absolute terms. Small random networks sometimes have a parameter array whose gradient is
nearly zero (a deep sigmoid stack, a width-1 bottleneck, a very confident softmax): there the relative error
measures round-off, not correctness. The problems below therefore (1) use ``EPS = 1e-5``, whose truncation error
O(EPS**2) is still far below the tolerance, (2) skip problems where a parameter array's numerical gradient is
non-zero but below ``GRAD_FLOOR`` in norm, and (3) skip ReLU problems with a pre-activation within ``KINK`` of 0,
where the function has no derivative. In a sweep of 3,000 such random problems the largest error was 2e-8.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib import MLP, activations
from course_lib.gradcheck import check_model_gradients, gradcheck, numerical_gradient, relative_error

TOL = 1e-7  # float64: a correct gradient gives about 1e-9
EPS = 1e-5  # step of the central differences
GRAD_FLOOR = 1e-3  # smallest norm of a non-zero gradient array for which the relative error is meaningful
KINK = 1e-3  # smallest distance of a ReLU pre-activation from 0

HIDDEN = ["relu", "sigmoid", "tanh", "identity"]
# output kind -> (output activation, number of outputs or None to use the drawn n_out)
OUTPUT_KINDS = {
    "softmax": ("softmax", None),
    "sigmoid-1-unit": ("sigmoid", 1),
    "sigmoid-multilabel": ("sigmoid", None),
    "identity-1-output": ("identity", 1),
    "identity-several": ("identity", None),
}


def make_problem(activation, kind, n_in, hidden, n_out, m, seed):
    """A float64 MLP with its initial weights, random non-zero biases, and a batch (X, y) for its loss.

    Returns None for an ill-conditioned problem (see the module docstring).
    """
    output, fixed_n_out = OUTPUT_KINDS[kind]
    n_out = fixed_n_out or n_out
    init = "he" if activation == "relu" else "glorot"
    model = MLP([n_in, *hidden, n_out], activation=activation, output=output, init=init, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    model.set_weights([p if p.ndim == 2 else rng.normal(0, 0.5, size=p.shape) for p in model.params])
    X = rng.normal(size=(m, n_in))
    if output == "softmax":
        y = rng.integers(0, n_out, size=m)
    elif output == "sigmoid":
        y = (rng.random((m, n_out)) < 0.5).astype(np.float64)
    else:
        y = rng.normal(size=(m, n_out))
    if n_out == 1:
        y = y[:, 0]  # one output: targets of shape (m,)
    if activation == "relu":
        _, caches = model.forward_with_cache(X)
        if any(np.abs(z).min() < KINK for _, z in caches[:-1]):
            return None
    for p in model.params:
        norm = np.linalg.norm(numerical_gradient(lambda: model.loss(X, y), p, EPS))
        if 0 < norm < GRAD_FLOOR:
            return None
    return model, X, y


def fixed_problem(activation, kind, **sizes):
    """The problem of the first well-conditioned seed (deterministic)."""
    sizes = {"n_in": 4, "hidden": [5, 3], "n_out": 3, "m": 6, **sizes}
    for seed in range(100):
        problem = make_problem(activation, kind, seed=seed, **sizes)
        if problem is not None:
            return problem
    raise AssertionError("no well-conditioned seed")


# ---------------------------------------------------------------------------------------------- the tool itself
def test_numerical_gradient_of_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    x_before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**3) + x[0, 1] * x[1, 0]), x)
    expected = 3 * x_before**2 + np.array([[0.0, 0.5], [-2.0, 0.0]])
    assert_allclose(grad, expected, rtol=1e-8)
    assert_array_equal(x, x_before)  # restored exactly


def test_numerical_gradient_rejects_arrays_it_cannot_perturb_in_place():
    x = np.arange(12.0).reshape(3, 4).T  # a transposed view: its flat version would be a copy
    with pytest.raises(ValueError, match="contiguous"):
        numerical_gradient(lambda: float(np.sum(x**2)), x)
    y = np.arange(8.0)[::2]  # strided, but perturbing through a flat view still works
    assert_allclose(numerical_gradient(lambda: float(np.sum(y**2)), y), 2 * y, rtol=1e-8)


def test_relative_error():
    g = np.array([1.0, 2.0, 3.0])
    assert relative_error(g, g) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(g, -g) == pytest.approx(1.0)
    assert relative_error(g, 1.01 * g) == pytest.approx(0.01 / 2.01)
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(3), np.zeros(4))


def test_gradcheck_reports_a_wrong_gradient():
    x = np.array([1.0, 2.0, -1.0])
    y = np.array([[0.5, 1.5]])

    def f():
        return float(np.sum(x**2) + np.sum(np.sin(y)))

    assert gradcheck(f, [x, y], [2 * x, np.cos(y)]) < TOL
    assert gradcheck(f, [x, y], [2 * x, np.sin(y)]) > 0.1  # the wrong derivative of sin
    assert gradcheck(f, [x, y], [x, np.cos(y)]) == pytest.approx(1 / 3, rel=1e-6)
    with pytest.raises(ValueError, match="same length"):
        gradcheck(f, [x, y], [2 * x])


def test_check_model_gradients_leaves_the_model_unchanged():
    model, X, y = fixed_problem("tanh", "softmax")
    before = model.get_weights()
    check_model_gradients(model, X, y, EPS)
    for p, q in zip(model.params, before):
        assert_array_equal(p, q)


def test_check_model_gradients_detects_a_wrong_activation_derivative(monkeypatch):
    """The classic mistake sigma'(z) = 1 - sigma(z) must be caught."""
    model, X, y = fixed_problem("sigmoid", "softmax")
    assert check_model_gradients(model, X, y, EPS) < TOL
    wrong = (activations.sigmoid, lambda z: 1.0 - activations.sigmoid(z))
    monkeypatch.setitem(activations.HIDDEN_ACTIVATIONS, "sigmoid", wrong)
    assert check_model_gradients(model, X, y, EPS) > 1e-3


def test_check_model_gradients_detects_a_sum_instead_of_a_mean(monkeypatch):
    model, X, y = fixed_problem("relu", "identity-several")
    original = model.output_delta
    monkeypatch.setattr(model, "output_delta", lambda z, y: original(z, y) * len(z))
    assert check_model_gradients(model, X, y, EPS) > 0.5


# ---------------------------------------------------------------------------------------------- the MLP
@pytest.mark.parametrize("kind", sorted(OUTPUT_KINDS))
@pytest.mark.parametrize("activation", HIDDEN)
def test_every_activation_and_output(activation, kind):
    model, X, y = fixed_problem(activation, kind)
    assert check_model_gradients(model, X, y, EPS) < TOL


@pytest.mark.parametrize("kind", sorted(OUTPUT_KINDS))
def test_single_sample_and_no_hidden_layer(kind):
    model, X, y = fixed_problem("tanh", kind, hidden=[], m=1)
    assert model.n_layers == 1
    assert check_model_gradients(model, X, y, EPS) < TOL


@pytest.mark.parametrize("kind", sorted(OUTPUT_KINDS))
@given(
    activation=st.sampled_from(HIDDEN),
    n_in=st.integers(1, 5),
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    n_out=st.integers(2, 4),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_architectures(kind, activation, n_in, hidden, n_out, m, seed):
    problem = make_problem(activation, kind, n_in, hidden, n_out, m, seed)
    assume(problem is not None)
    model, X, y = problem
    loss, grads = model.loss_and_grads(X, y)
    assert np.isfinite(loss)
    assert [g.shape for g in grads] == [p.shape for p in model.params]
    assert check_model_gradients(model, X, y, EPS) < TOL
