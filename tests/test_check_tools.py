"""The exercise checks of chapter "Tools and resources" (course_lib/check/tools.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import random

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-tools-seeds"] is check.set_all_seeds
    assert check.REGISTRY["ex-tools-flops"] is check.forward_flops


# ------------------------------------------------------------------------------------------ set_all_seeds
def seeds_keras(seed):
    import keras

    keras.utils.set_random_seed(seed)


def seeds_by_hand(seed):
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


def seeds_numpy_only(seed):
    np.random.seed(seed)


def seeds_no_tensorflow(seed):
    random.seed(seed)
    np.random.seed(seed)


def seeds_fixed(seed):
    seeds_keras(0)


def test_set_all_seeds_accepts_correct_functions(capsys):
    check.set_all_seeds(seeds_keras)
    check.set_all_seeds(seeds_by_hand)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (seeds_numpy_only, r"random, tensorflow"),
        (seeds_no_tensorflow, r"tf\.random\.set_seed"),
        (seeds_fixed, "ignores its argument"),
    ],
)
def test_set_all_seeds_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.set_all_seeds(wrong)


def test_set_all_seeds_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.set_all_seeds(stub)


# ------------------------------------------------------------------------------------------ forward_flops
def flops(layer_sizes, batch_size):
    return 2 * batch_size * sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def flops_loop(layer_sizes, batch_size):
    total = 0
    for n_in, n_out in zip(layer_sizes, layer_sizes[1:]):
        total += 2 * batch_size * n_in * n_out
    return np.int64(total)


def flops_macs(layer_sizes, batch_size):
    return flops(layer_sizes, batch_size) // 2


def flops_with_biases(layer_sizes, batch_size):
    return 2 * batch_size * sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def flops_one_example(layer_sizes, batch_size):
    return flops(layer_sizes, 1)


def flops_ends_only(layer_sizes, batch_size):
    return 2 * batch_size * layer_sizes[0] * layer_sizes[-1]


def test_forward_flops_accepts_correct_functions(capsys):
    check.forward_flops(flops)
    check.forward_flops(flops_loop)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (flops_macs, "multiply-add once"),
        (flops_with_biases, "biases"),
        (flops_one_example, "ONE example"),
        (flops_ends_only, "first and last"),
        (lambda sizes, m: "many", "whole number"),
    ],
)
def test_forward_flops_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.forward_flops(wrong)


def test_forward_flops_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.forward_flops(stub)
