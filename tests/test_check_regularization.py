"""The exercise checks of chapter "Overfitting and regularization" (course_lib/check/regularization.py).

For each check: the correct implementation passes and prints the success line; typical mistakes raise
CheckFailed with a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-reg-dropout"] is check.dropout_forward
    assert check.REGISTRY["ex-reg-augment"] is check.augment_shift


# ---------------------------------------------------------------------------------------------- dropout
def test_dropout_accepts_inverted_dropout(capsys):
    check.dropout_forward(lambda a, p, rng: a * (rng.random(a.shape) < p) / p)
    assert "✓ Exercise: inverted dropout: correct." in capsys.readouterr().out


def test_dropout_accepts_a_binomial_mask(capsys):
    check.dropout_forward(lambda a, p, rng: a * rng.binomial(1, p, size=a.shape) / p)
    assert "correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda a, p, rng: a * (rng.random(a.shape) < p), "forgot to divide by keep_prob"),
        (lambda a, p, rng: a * (rng.random(a.shape) < p) * p, "DIVIDES by keep_prob"),
        (lambda a, p, rng: a * (rng.random(a.shape) < 1 - p) / p, "probability 1 - keep_prob"),
        (lambda a, p, rng: a * (rng.random(a.shape[1]) < p) / p if p < 1 else a, "close to keep_prob"),
    ],
)
def test_dropout_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        check.dropout_forward(wrong)


def test_dropout_one_mask_per_column_is_caught():
    # the same mask for every row: the kept fraction over the array is right only by chance; the mean is off
    # or the fraction is; either way the check fails
    with pytest.raises(CheckFailed):
        check.dropout_forward(lambda a, p, rng: a * (rng.random(a.shape[0])[:, None] < p) / p if p < 1 else a)


def test_dropout_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.dropout_forward(stub)


# ---------------------------------------------------------------------------------------------- augmentation
def correct_augment(images):
    m, h, w = images.shape
    out = [images]
    for dx, dy in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
        s = np.zeros_like(images)
        s[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            images[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        out.append(s)
    return np.concatenate(out)


def pad_slice_augment(images):
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    return np.concatenate([images, p[:, 1:-1, :-2], p[:, 1:-1, 2:], p[:, :-2, 1:-1], p[:, 2:, 1:-1]])


def test_augment_accepts_the_correct_shifts(capsys):
    check.augment_shift(correct_augment)
    assert "✓ Exercise: shifting the digits by one pixel: correct." in capsys.readouterr().out


def test_augment_accepts_padding_and_slicing(capsys):
    check.augment_shift(pad_slice_augment)
    assert "correct." in capsys.readouterr().out


def test_augment_names_np_roll_wrap_around():
    def rolled(images):
        return np.concatenate([images] + [np.roll(images, (dy, dx), axis=(1, 2))
                                          for dx, dy in [(1, 0), (-1, 0), (0, 1), (0, -1)]])
    with pytest.raises(CheckFailed, match="wrap around"):
        check.augment_shift(rolled)


def test_augment_names_the_wrong_order():
    def swapped(images):
        out = correct_augment(images)
        m = images.shape[0]
        return np.concatenate([out[:m], out[2 * m:3 * m], out[m:2 * m], out[3 * m:]])
    with pytest.raises(CheckFailed, match="should be shifted right, but they are shifted left"):
        check.augment_shift(swapped)


def test_augment_names_a_missing_original():
    with pytest.raises(CheckFailed, match="15 images"):
        check.augment_shift(lambda images: correct_augment(images)[images.shape[0]:])


def test_augment_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.augment_shift(stub)
