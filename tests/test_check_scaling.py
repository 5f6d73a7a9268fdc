"""The exercise checks of chapter "Scaling up" (course_lib/check/scaling.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-scale-shards"] is check.average_shard_gradients
    assert check.REGISTRY["ex-scale-int8"] is check.quantize_int8


# ---------------------------------------------------------------------------------------------- shards
def _shards(model, X, y, K):
    return [(len(X_k), model.loss_and_grads(X_k, y_k)[1]) for X_k, y_k in zip(np.array_split(X, K),
                                                                              np.array_split(y, K))]


def shards_weighted(model, X, y, K):
    parts = _shards(model, X, y, K)
    return [sum(n / len(X) * g[i] for n, g in parts) for i in range(len(parts[0][1]))]


def shards_by_sum_of_losses(model, X, y, K):
    """Correct too: add up n_k * gradient_k, then divide by m."""
    total = None
    for X_k, y_k in zip(np.array_split(X, K), np.array_split(y, K)):
        g = [len(X_k) * gi for gi in model.loss_and_grads(X_k, y_k)[1]]
        total = g if total is None else [a + b for a, b in zip(total, g)]
    return [t / len(X) for t in total]


def shards_summed(model, X, y, K):
    parts = _shards(model, X, y, K)
    return [sum(g[i] for _, g in parts) for i in range(len(parts[0][1]))]


def shards_plain_mean(model, X, y, K):
    parts = _shards(model, X, y, K)
    return [sum(g[i] for _, g in parts) / K for i in range(len(parts[0][1]))]


def shards_first_only(model, X, y, K):
    return _shards(model, X, y, K)[0][1]


def shards_flat_list(model, X, y, K):
    return shards_weighted(model, X, y, K)[:2]


def shards_with_step(model, X, y, K):
    grads = shards_weighted(model, X, y, K)
    for p, g in zip(model.params, grads):
        p -= 0.1 * g
    return grads


def test_shards_accepts_correct_functions(capsys):
    check.average_shard_gradients(shards_weighted)
    check.average_shard_gradients(shards_by_sum_of_losses)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (shards_summed, "SUM of the shard gradients"),
        (shards_plain_mean, "plain mean"),
        (shards_first_only, "first shard only"),
        (shards_flat_list, "should return 4 arrays"),
        (shards_with_step, "changed the model's weights"),
        (lambda model, X, y, K: None, "list of arrays"),
    ],
)
def test_shards_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.average_shard_gradients(wrong)


def test_shards_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.average_shard_gradients(stub)


# ---------------------------------------------------------------------------------------------- int8
def q8(W):
    scale = float(np.max(np.abs(W))) / 127
    return np.clip(np.round(W / scale), -127, 127).astype(np.int8), scale


def q8_rint_float32_scale(W):
    scale = np.float32(np.max(np.abs(W)) / 127)
    return np.rint(W / scale).astype(np.int8), scale


def q8_max_not_abs(W):
    scale = float(np.max(W)) / 127
    return np.clip(np.round(W / scale), -127, 127).astype(np.int8), scale


def q8_truncates(W):
    scale = float(np.max(np.abs(W))) / 127
    return (W / scale).astype(np.int8), scale


def q8_by_255(W):
    scale = float(np.max(np.abs(W))) / 255
    return np.clip(np.round(W / scale), -127, 127).astype(np.int8), scale


def q8_float_dtype(W):
    q, scale = q8(W)
    return q.astype(np.float32), scale


def q8_per_column(W):
    scale = np.max(np.abs(W), axis=0) / 127
    return np.round(W / scale).astype(np.int8), scale


def test_int8_accepts_correct_functions(capsys):
    check.quantize_int8(q8)
    check.quantize_int8(q8_rint_float32_scale)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (q8_max_not_abs, "ABSOLUTE value"),
        (q8_truncates, "truncates"),
        (q8_by_255, "max\\|W\\| / 255"),
        (q8_float_dtype, "must be np.int8"),
        (q8_per_column, "one number"),
        (lambda W: q8(W)[0], "tuple \\(q, scale\\)"),
    ],
)
def test_int8_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.quantize_int8(wrong)


def test_int8_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.quantize_int8(stub)
