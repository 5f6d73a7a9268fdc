"""Int8 quantization (course_lib/quantization.py): scales, the error bound, sizes, int8 products, outliers."""

import numpy as np
import pytest

from course_lib.quantization import dequantize_int8, int8_matmul, int8_nbytes, quantize_int8, quantize_weights


def test_per_tensor_scale_and_values():
    w = np.array([[0.5, -1.27], [0.01, 0.9]], dtype=np.float32)
    q, s = quantize_int8(w)
    assert q.dtype == np.int8 and s.dtype == np.float32 and s.shape == ()
    assert s == pytest.approx(0.01, rel=1e-6)
    np.testing.assert_array_equal(q, [[50, -127], [1, 90]])
    np.testing.assert_allclose(dequantize_int8(q, s), w, atol=1e-6)


def test_per_channel_has_one_scale_per_output_column():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(16, 5)) * np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    q, s = quantize_int8(w, axis=0)
    assert s.shape == (1, 5)
    np.testing.assert_allclose(s[0], np.abs(w).max(axis=0) / 127, rtol=1e-6)
    assert np.all(np.abs(q).max(axis=0) == 127)  # each column uses the full range
    q_t, s_t = quantize_int8(w)
    assert np.all(q_t[:, 0] == 0)  # per tensor, the small column is rounded away entirely
    assert np.abs(dequantize_int8(q, s) - w)[:, 0].max() < np.abs(dequantize_int8(q_t, s_t) - w)[:, 0].max()


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
def test_error_is_at_most_half_a_step(axis):
    rng = np.random.default_rng(1)
    w = rng.standard_t(3, size=(40, 30)).astype(np.float32)
    q, s = quantize_int8(w, axis=axis)
    err = np.abs(dequantize_int8(q, s, dtype="float64") - w)
    bound = np.broadcast_to(s, w.shape) / 2
    assert np.all(err <= bound * (1 + 1e-6) + 1e-12)
    assert err.max() > 0.4 * bound.max()  # and the bound is nearly reached: it is not loose
    assert np.abs(q).max() == 127 and q.min() >= -127


def test_zero_channel_gives_zero_scale_and_exact_zeros():
    w = np.array([[0.0, 1.0], [0.0, -2.0]])
    q, s = quantize_int8(w, axis=0)
    assert s[0, 0] == 0 and np.all(q[:, 0] == 0)
    np.testing.assert_array_equal(dequantize_int8(q, s)[:, 0], 0.0)
    q, s = quantize_int8(np.zeros(3))
    assert s == 0 and np.all(q == 0)


def test_sizes_in_bytes():
    q, s = quantize_int8(np.ones((64, 256), dtype=np.float32))
    assert int8_nbytes(q, s) == 64 * 256 + 4
    q, s = quantize_int8(np.ones((64, 256), dtype=np.float32), axis=0)
    assert int8_nbytes(q, s) == 64 * 256 + 4 * 256


def test_quantize_weights_replaces_only_marked_matrices():
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=(8, 4)).astype(np.float32), np.ones(4, dtype=np.float32),
               rng.normal(size=(4, 3)).astype(np.float32)]
    out, nbytes = quantize_weights(weights, [True, False, False], per_channel=True)
    assert nbytes == 8 * 4 + 4 * 4 + 4 * 4 + 4 * 12
    assert out[0].dtype == np.float32 and not np.array_equal(out[0], weights[0])
    np.testing.assert_array_equal(out[2], weights[2])
    with pytest.raises(ValueError, match="only weight matrices"):
        quantize_weights(weights, [False, True, False], per_channel=False)
    with pytest.raises(ValueError, match="one flag per weight array"):
        quantize_weights(weights, [True], per_channel=False)


def test_int8_matmul_is_close_to_the_float_product():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(32, 64)).astype(np.float32)
    W = rng.normal(0, 0.1, size=(64, 48)).astype(np.float32)
    exact = X.astype(np.float64) @ W
    for mode in ("row", "tensor"):
        got = int8_matmul(X, W, activations=mode)
        assert got.shape == (32, 48) and got.dtype == np.float32
        assert np.linalg.norm(got - exact) / np.linalg.norm(exact) < 0.02
    # the result is the integer product rescaled: recompute it by hand
    qx, sx = quantize_int8(X, axis=-1)
    qw, sw = quantize_int8(W, axis=0)
    by_hand = (qx.astype(np.int64) @ qw.astype(np.int64)) * sx.astype(np.float64) * sw.astype(np.float64)
    np.testing.assert_allclose(int8_matmul(X, W), by_hand, rtol=1e-6)


def test_outlier_features_break_int8_and_the_decomposition_fixes_it():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(64, 128))
    X[:, [5, 77]] *= 60.0  # two feature dimensions with huge values in every row (LLM.int8()'s outliers)
    W = rng.normal(0, 0.1, size=(128, 32))
    exact = X @ W
    inliers = np.setdiff1d(np.arange(128), [5, 77])

    exact_inliers = X[:, inliers] @ W[inliers]  # what the 126 ordinary features contribute

    def err(Y):  # the error, relative to the ordinary features' contribution
        return np.linalg.norm(Y - exact) / np.linalg.norm(exact_inliers)

    # without the outliers int8 is fine; with them the scales are set by the outliers and the ordinary features
    # are rounded coarsely, with one scale per row (vector-wise) and worse with one for the whole matrix
    assert np.linalg.norm(int8_matmul(X[:, inliers], W[inliers]) - exact_inliers) / np.linalg.norm(exact_inliers) < 0.02
    assert err(int8_matmul(X, W, activations="tensor")) > err(int8_matmul(X, W)) > 0.1
    # the decomposition: the two outlier dimensions in floating point, the rest in int8
    decomposed = int8_matmul(X, W, outlier_threshold=6.0)
    assert err(decomposed) < 0.02
    np.testing.assert_allclose(decomposed, int8_matmul(X[:, inliers], W[inliers]) + X[:, [5, 77]] @ W[[5, 77]],
                               rtol=1e-6)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: quantize_int8([]), ValueError, "must not be empty"),
        (lambda: quantize_int8(["a"]), TypeError, "numeric"),
        (lambda: quantize_int8([1.0, np.nan]), ValueError, "finite"),
        (lambda: quantize_int8(np.ones((2, 2)), axis=2), ValueError, "out of range"),
        (lambda: quantize_int8(np.ones((2, 2)), axis="rows"), TypeError, "axis must be None"),
        (lambda: dequantize_int8(np.ones(3), 1.0), TypeError, "q must be an int8"),
        (lambda: dequantize_int8(np.ones(3, dtype=np.int8), np.ones(2)), ValueError, "does not broadcast"),
        (lambda: int8_matmul(np.ones((2, 3)), np.ones((4, 2))), ValueError, "agree on d_in"),
        (lambda: int8_matmul(np.ones((2, 3)), np.ones((3, 2)), activations="col"), ValueError, "activations"),
        (lambda: int8_matmul(np.ones((2, 3)), np.ones((3, 2)), outlier_threshold=-1), ValueError,
         "outlier_threshold"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()
