"""The exercise checks of chapter "What large models cost" (course_lib/check/cost.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check, cost
from course_lib.check import CheckFailed
from course_lib.layers import gelu_forward


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-cost-zero"] is check.zero_bytes_per_device
    assert check.REGISTRY["ex-cost-tensor-parallel"] is check.tensor_parallel_partials


# --------------------------------------------------------------------------------------------------- ZeRO
def zero_right(n_params, n_devices, stage):
    weights, gradients, state = 2, 2, 12
    per_param = [weights + gradients + state, weights + gradients + state / n_devices,
                 weights + (gradients + state) / n_devices, (weights + gradients + state) / n_devices][stage]
    return n_params * per_param


def zero_library(n_params, n_devices, stage):
    return cost.zero_memory_per_device(n_params, n_devices, stage)


@pytest.mark.parametrize("right", [zero_right, zero_library, lambda n, k, s: int(round(zero_right(n, k, s)))])
def test_zero_accepts_correct_versions(right, capsys):
    check.zero_bytes_per_device(right)
    assert "✓ Exercise: memory per device with ZeRO: correct." in capsys.readouterr().out


def zero_no_master(n_params, n_devices, stage):
    w, g, k = 2, 2, 8
    return n_params * [w + g + k, w + g + k / n_devices, w + (g + k) / n_devices, (w + g + k) / n_devices][stage]


def zero_float32(n_params, n_devices, stage):
    w, g, k = 4, 4, 8
    return n_params * [w + g + k, w + g + k / n_devices, w + (g + k) / n_devices, (w + g + k) / n_devices][stage]


def zero_all_sharded(n_params, n_devices, stage):
    return 16 * n_params / n_devices


def zero_swapped(n_params, n_devices, stage):
    return zero_right(n_params, n_devices, {1: 2, 2: 1}.get(stage, stage))


def zero_gigabytes(n_params, n_devices, stage):
    return zero_right(n_params, n_devices, stage) / 1e9


def zero_stage3_wrong(n_params, n_devices, stage):
    return zero_right(n_params, n_devices, stage) if stage < 3 else 2 * n_params + 14 * n_params / n_devices


@pytest.mark.parametrize(
    "wrong, words",
    [
        (zero_no_master, "master copy"),
        (zero_float32, "16-bit (2 + 2)"),
        (zero_all_sharded, "at every stage"),
        (zero_swapped, "swapped"),
        (zero_gigabytes, "not gigabytes"),
        (zero_stage3_wrong, "16 Psi / N_d"),
        (lambda n, k, s: "16", "number of bytes"),
    ],
)
def test_zero_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="memory per device with ZeRO") as info:
        check.zero_bytes_per_device(wrong)
    assert words in str(info.value)


def test_zero_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.zero_bytes_per_device(stub)


# ---------------------------------------------------------------------------------------- tensor parallel
def gelu(z):
    return gelu_forward(z)[0]


def partials_right(X, W1, b1, W2, K):
    blocks = np.split(np.arange(W1.shape[1]), K)
    return [gelu(X @ W1[:, c] + b1[c]) @ W2[c, :] for c in blocks]


def partials_by_width(X, W1, b1, W2, K):
    w = W1.shape[1] // K
    return tuple(gelu(X @ W1[:, k * w:(k + 1) * w] + b1[k * w:(k + 1) * w]) @ W2[k * w:(k + 1) * w] for k in range(K))


@pytest.mark.parametrize("right", [partials_right, partials_by_width])
def test_tensor_parallel_accepts_correct_versions(right, capsys):
    check.tensor_parallel_partials(right)
    assert "✓ Exercise: a tensor-parallel MLP: correct." in capsys.readouterr().out


def partials_without_w2(X, W1, b1, W2, K):
    blocks = np.split(np.arange(W1.shape[1]), K)
    return [gelu(X @ W1[:, c] + b1[c]) for c in blocks]


def partials_strided(X, W1, b1, W2, K):
    blocks = [np.arange(k, W1.shape[1], K) for k in range(K)]
    return [gelu(X @ W1[:, c] + b1[c]) @ W2[c, :] for c in blocks]


def partials_no_bias(X, W1, b1, W2, K):
    blocks = np.split(np.arange(W1.shape[1]), K)
    return [gelu(X @ W1[:, c]) @ W2[c, :] for c in blocks]


def partials_no_gelu(X, W1, b1, W2, K):
    blocks = np.split(np.arange(W1.shape[1]), K)
    return [(X @ W1[:, c] + b1[c]) @ W2[c, :] for c in blocks]


def partials_summed(X, W1, b1, W2, K):
    return sum(partials_right(X, W1, b1, W2, K))


def partials_unsplit_first(X, W1, b1, W2, K):
    full = gelu(X @ W1 + b1) @ W2
    return [full] + [np.zeros_like(full)] * (K - 1)


def partials_in_place(X, W1, b1, W2, K):
    b1 += 0.0 * b1 + 1.0
    return partials_right(X, W1, b1 - 1.0, W2, K)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (partials_without_w2, "split by ROWS"),
        (partials_strided, "consecutive"),
        (partials_no_bias, "left out b1"),
        (partials_no_gelu, "left out the GELU"),
        (partials_summed, "return a list"),
        (partials_unsplit_first, "CONSECUTIVE columns"),
        (partials_in_place, "changed its inputs"),
        (lambda X, W1, b1, W2, K: partials_right(X, W1, b1, W2, K)[:-1] if K > 1 else [], "partial outputs; there"),
        (lambda *args: None, "returned None"),
    ],
)
def test_tensor_parallel_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="a tensor-parallel MLP") as info:
        check.tensor_parallel_partials(wrong)
    assert words in str(info.value)


def test_tensor_parallel_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.tensor_parallel_partials(stub)
