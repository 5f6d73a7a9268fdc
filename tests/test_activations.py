"""Tests of course_lib.activations: values against independent formulas, derivatives against central differences,
numerical stability for huge inputs, and dtypes."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from course_lib import activations as A

ELEMENTWISE = {
    "sigmoid": (A.sigmoid, A.sigmoid_grad),
    "tanh": (A.tanh, A.tanh_grad),
    "relu": (A.relu, A.relu_grad),
    "identity": (A.identity, A.identity_grad),
}

# Independent references: the textbook formulas, evaluated where they do not overflow.
REFERENCE = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "identity": lambda z: z,
}

moderate_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
    elements=st.floats(-20, 20, allow_nan=False, allow_infinity=False),
)


def central_difference(g, z, h=1e-6):
    """Elementwise derivative of the elementwise function ``g`` by central differences."""
    return (g(z + h) - g(z - h)) / (2 * h)


def test_registries_name_every_activation():
    assert set(A.HIDDEN_ACTIVATIONS) == {"relu", "sigmoid", "tanh", "identity"}
    assert set(A.OUTPUT_ACTIVATIONS) == {"sigmoid", "softmax", "identity"}
    for name, (g, g_prime) in A.HIDDEN_ACTIVATIONS.items():
        assert (g, g_prime) == ELEMENTWISE[name]


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(z=moderate_arrays)
def test_values_match_textbook_formula(name, z):
    g, _ = ELEMENTWISE[name]
    a = g(z)
    assert a.shape == z.shape
    assert_allclose(a, REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(z=moderate_arrays)
def test_derivative_matches_central_differences(name, z):
    g, g_prime = ELEMENTWISE[name]
    if name == "relu":
        z = np.where(np.abs(z) < 1e-4, 0.5, z)  # the kink at 0 has no derivative
    d = g_prime(z)
    assert d.shape == z.shape
    assert_allclose(d, central_difference(g, z), rtol=1e-6, atol=1e-8)


def test_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    assert_allclose(A.sigmoid(z), [1 / (1 + np.e**2), 0.5, 1 / (1 + np.e**-3)], rtol=1e-15)
    # sigma'(0) = 1/4, not 1 - sigma(0) = 1/2
    assert A.sigmoid_grad(np.array([0.0]))[0] == 0.25
    assert_allclose(A.tanh_grad(z), 1 / np.cosh(z) ** 2, rtol=1e-14)
    assert_array_equal(A.relu(z), [0.0, 0.0, 3.0])
    assert_array_equal(A.identity_grad(z), [1.0, 1.0, 1.0])


def test_relu_grad_is_zero_at_the_kink():
    assert_array_equal(A.relu_grad(np.array([-1e-300, 0.0, 1e-300])), [0.0, 0.0, 1.0])


@given(z=moderate_arrays)
def test_sigmoid_symmetry(z):
    assert_allclose(A.sigmoid(-z), 1.0 - A.sigmoid(z), atol=1e-15)


# ---------------------------------------------------------------------------------------------- softmax
softmax_inputs = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 6)),
    elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False),
)


@given(z=softmax_inputs)
def test_softmax_matches_naive_formula_and_rows_sum_to_one(z):
    P = A.softmax(z)
    naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert P.shape == z.shape
    assert_allclose(P, naive, rtol=1e-12, atol=1e-300)
    assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    assert (P >= 0).all()


@given(z=softmax_inputs, shift=st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(z, shift):
    assert_allclose(A.softmax(z + shift), A.softmax(z), rtol=1e-9, atol=1e-15)


@given(z=softmax_inputs, seed=st.integers(0, 2**16))
def test_softmax_backward_matches_central_differences(z, seed):
    """softmax_backward(da, a) is the gradient of f(z) = sum(da * softmax(z)) with respect to z."""
    da = np.random.default_rng(seed).normal(size=z.shape)
    analytic = A.softmax_backward(da, A.softmax(z))
    numeric = np.zeros_like(z)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = (np.sum(da * A.softmax(zp)) - np.sum(da * A.softmax(zm))) / (2 * h)
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_softmax_of_two_logits_is_sigmoid_of_difference():
    z = np.array([[0.3, -1.2], [5.0, 5.0], [-40.0, 2.0]])
    assert_allclose(A.softmax(z)[:, 1], A.sigmoid(z[:, 1] - z[:, 0]), rtol=1e-13)


# ---------------------------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e4, 1e30])
def test_huge_inputs_give_finite_values_without_warnings(dtype, scale):
    z = np.array([[-scale, -1.0, 0.0, 1.0, scale]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # independent of the pytest configuration
        s = A.sigmoid(z)
        ds = A.sigmoid_grad(z)
        t = A.tanh_grad(z)
        P = A.softmax(z)
        P_neg = A.softmax(-z)
    for out in (s, ds, t, P, P_neg):
        assert out.dtype == dtype
        assert np.isfinite(out).all()
    assert s[0, 0] == 0.0 and s[0, -1] == 1.0
    assert s[0, 2] == 0.5
    assert ds[0, 0] == 0.0 and ds[0, -1] == 0.0
    assert_allclose(P[0], [0, 0, 0, 0, 1], atol=1e-30)
    assert_allclose(P_neg[0], [1, 0, 0, 0, 0], atol=1e-30)


def test_softmax_of_equal_huge_logits_is_uniform():
    z = np.full((2, 4), 1e4, dtype=np.float32)
    assert_allclose(A.softmax(z), 0.25)


def test_sigmoid_of_largest_float_is_exact():
    big = np.finfo(np.float64).max
    assert_array_equal(A.sigmoid(np.array([-big, big])), [0.0, 1.0])


def test_sigmoid_keeps_tiny_probabilities_for_negative_inputs():
    """The stable form returns e^z / (1 + e^z) for z < 0: 1 - sigma(-z) would round to 0."""
    assert_allclose(A.sigmoid(np.array([-50.0]))[0], np.exp(-50.0), rtol=1e-14)


# ---------------------------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(name, dtype):
    g, g_prime = ELEMENTWISE[name]
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    assert g(z).dtype == dtype
    assert g_prime(z).dtype == dtype
    assert A.softmax(z).dtype == dtype
    assert A.softmax_backward(z, A.softmax(z)).dtype == dtype


def test_integer_inputs_give_floats():
    z = np.array([-2, 0, 3])
    for name in ("sigmoid", "relu", "identity"):
        assert ELEMENTWISE[name][1](z).dtype.kind == "f"
    assert A.sigmoid(z).dtype.kind == "f"
    assert_allclose(A.sigmoid(z), REFERENCE["sigmoid"](z.astype(float)))
