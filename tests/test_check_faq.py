"""The exercise checks of chapter "Frequently asked questions" (course_lib/check/faq.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed

STATES = {"sgd": 0, "momentum": 1, "adam": 2}


def stub(*args):
    raise NotImplementedError


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-faq-memory"] is check.training_memory_bytes
    assert check.REGISTRY["ex-faq-few-shot"] is check.per_class_sample


# ---------------------------------------------------------------------------------------------- memory
def memory(n_params, optimizer, bytes_per_value):
    return n_params * bytes_per_value * (2 + STATES[optimizer])


def memory_no_optimizer_state(n_params, optimizer, bytes_per_value):
    return n_params * bytes_per_value * 2


def memory_no_gradients(n_params, optimizer, bytes_per_value):
    return n_params * bytes_per_value * (1 + STATES[optimizer])


def memory_adam_one_state(n_params, optimizer, bytes_per_value):
    return n_params * bytes_per_value * (2 + min(STATES[optimizer], 1))


def memory_in_bits(n_params, optimizer, bytes_per_value):
    return 8 * memory(n_params, optimizer, bytes_per_value)


def test_memory_accepts_the_correct_function(capsys):
    check.training_memory_bytes(memory)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (memory_no_optimizer_state, "optimizer's state"),
        (memory_no_gradients, "forgot the gradients"),
        (memory_adam_one_state, "TWO values"),
        (memory_in_bits, "8 bits"),
        (lambda n, o, b: f"{memory(n, o, b)} bytes", "number of bytes"),
    ],
)
def test_memory_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.training_memory_bytes(wrong)


def test_memory_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.training_memory_bytes(stub)


# ---------------------------------------------------------------------------------------------- few-shot
def sample(y, k, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in np.unique(y)])


def sample_with_replacement(y, k, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=True) for c in np.unique(y)])


def sample_k_in_all(y, k, seed):
    return np.random.default_rng(seed).choice(len(y), k, replace=False)


def sample_labels(y, k, seed):
    return y[sample(y, k, seed)].astype(float)


def sample_unseeded(y, k, seed):
    return sample(y, k, None)


def sample_first_k(y, k, seed):
    return np.concatenate([np.flatnonzero(y == c)[:k] for c in np.unique(y)])


def test_sample_accepts_the_correct_function(capsys):
    check.per_class_sample(sample)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (sample_with_replacement, "WITHOUT replacement"),
        (sample_k_in_all, "PER CLASS"),
        (sample_labels, "not the labels"),
        (sample_unseeded, "same seed"),
        (sample_first_k, "seeds 0 and 1"),
    ],
)
def test_sample_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.per_class_sample(wrong)


def test_sample_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.per_class_sample(stub)
