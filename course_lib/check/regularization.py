"""Checks for the exercises of chapter "Overfitting and regularization" (``book/11-overfitting-regularization.md``).

- :func:`dropout_forward`: ``dropout_forward(a, keep_prob, rng)`` applies inverted dropout: each entry is kept
  with probability ``keep_prob`` and divided by ``keep_prob``, or set to 0.
- :func:`augment_shift`: ``augment_shift(images)`` returns the images of shape (m, 8, 8) followed by their copies
  shifted one pixel right, left, down and up, with zeros where pixels come in: shape (5 m, 8, 8).

Dropout is random, so its check judges properties that every correct implementation has (each output is 0 or
``a / keep_prob``; about a fraction ``keep_prob`` is kept; the average over many draws is ``a``), whatever way
the student draws the mask from ``rng``.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_shape

__all__ = ["dropout_forward", "augment_shift"]


# ---------------------------------------------------------------------------------------------- dropout
@exercise_check("ex-reg-dropout", "Exercise: inverted dropout")
def dropout_forward(student_fn):
    """Check ``student_fn(a, keep_prob, rng)`` by the properties of inverted dropout."""
    a = np.full((200, 100), 2.0)
    for keep_prob in (0.8, 0.5):
        a_before = a.copy()
        out = np.asarray(student_fn(a, keep_prob, np.random.default_rng(0)), dtype=float)
        if not np.array_equal(a, a_before):
            raise CheckFailed("dropout_forward changed its argument a. Return a new array, e.g. a * mask / keep_prob.")
        label = f"dropout_forward(a, keep_prob={keep_prob}, rng) on a (200, 100) array of 2.0"
        expect_shape(label, out, a.shape, hint="The mask has the shape of a: one keep-or-drop draw per entry.")
        kept = out != 0
        frac = float(kept.mean())
        values = np.unique(np.round(out[kept], 6))
        if np.allclose(values, 2.0) and 0 < frac < 1:
            raise CheckFailed(f"{label}: the kept entries equal a (2.0): you forgot to divide by keep_prob. "
                              "Inverted dropout scales the survivors by 1/keep_prob so that E[output] = a.")
        if np.allclose(values, 2.0 * keep_prob) and keep_prob != 1:
            raise CheckFailed(f"{label}: the kept entries are a * keep_prob; inverted dropout DIVIDES by keep_prob "
                              "during training (multiplying by keep_prob is what the original dropout did at test "
                              "time).")
        if abs(frac - (1 - keep_prob)) < 0.02 and abs(keep_prob - 0.5) > 0.05:
            raise CheckFailed(f"{label}: a fraction {frac:.3f} of the entries is kept, about 1 - keep_prob: you keep "
                              "an entry with probability 1 - keep_prob. Keep it where rng.random(a.shape) < keep_prob.")
        if not np.allclose(values, 2.0 / keep_prob):
            raise CheckFailed(f"{label}: every output should be either 0 or a / keep_prob = {2.0 / keep_prob:g}; "
                              f"got the nonzero values {values[:5].tolist()}.")
        if abs(frac - keep_prob) > 0.02:
            raise CheckFailed(f"{label}: a fraction {frac:.3f} of the entries is kept; with 20,000 entries it should "
                              f"be close to keep_prob = {keep_prob}. Draw one independent mask entry per entry of a.")
        expect_close(f"the mean of {label}", float(out.mean()), 2.0, rtol=0.03,
                     hint="Inverted dropout keeps the expected value: E[mask * a / keep_prob] = a.")
    # different entries of a: the mask multiplies each entry by itself
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 40))
    out = np.asarray(student_fn(a, 0.6, np.random.default_rng(2)), dtype=float)
    kept = out != 0
    expect_close("dropout_forward(a, 0.6, rng) on random a, where kept", out[kept], a[kept] / 0.6,
                 hint="Each kept entry is that entry of a divided by keep_prob.")
    out = np.asarray(student_fn(a, 1.0, np.random.default_rng(3)), dtype=float)
    expect_close("dropout_forward(a, keep_prob=1.0, rng)", out, a, hint="With keep_prob = 1 nothing is dropped.")


# ---------------------------------------------------------------------------------------------- augmentation
def _shift(images, dx, dy):
    out = np.zeros_like(images)
    m, h, w = images.shape
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


SHIFTS = ((1, 0, "right"), (-1, 0, "left"), (0, 1, "down"), (0, -1, "up"))


def expected_augment_shift(images):
    """The reference answer: the images, then shifted right, left, down and up by one pixel, zero-filled."""
    images = np.asarray(images)
    return np.concatenate([images] + [_shift(images, dx, dy) for dx, dy, _ in SHIFTS])


@exercise_check("ex-reg-augment", "Exercise: shifting the digits by one pixel")
def augment_shift(student_fn):
    """Check ``student_fn(images)`` against :func:`expected_augment_shift`."""
    rng = np.random.default_rng(0)
    images = rng.integers(1, 17, size=(3, 8, 8)).astype(float)  # no zero pixels: a wrap-around shows
    before = images.copy()
    got = np.asarray(student_fn(images), dtype=float)
    if not np.array_equal(images, before):
        raise CheckFailed("augment_shift changed its argument images; build new arrays instead.")
    label = "augment_shift(images) on 3 images of 8x8"
    expect_shape(label, got, (15, 8, 8),
                 hint="Return the 3 originals followed by 4 shifted copies of each: 5 * 3 = 15 images of 8x8.")
    expected = expected_augment_shift(images)
    if not np.allclose(got[:3], images):
        raise CheckFailed(f"{label}: the first 3 images should be the originals, unchanged.")
    for k, (dx, dy, name) in enumerate(SHIFTS, start=1):
        block = got[3 * k:3 * (k + 1)]
        exp = expected[3 * k:3 * (k + 1)]
        if np.allclose(block, exp):
            continue
        rolled = np.roll(images, (dy, dx), axis=(1, 2))
        if np.allclose(block, rolled):
            raise CheckFailed(f"{label}: images {3 * k}..{3 * k + 2} (shifted {name}) wrap around: np.roll moves the "
                              "pixels that leave one edge in at the other. Set the row or column that comes in to 0.")
        for j, (dx2, dy2, name2) in enumerate(SHIFTS, start=1):
            if np.allclose(block, _shift(images, dx2, dy2)):
                raise CheckFailed(f"{label}: images {3 * k}..{3 * k + 2} should be shifted {name}, but they are "
                                  f"shifted {name2}. The order is original, right, left, down, up; 'right' "
                                  "moves pixel (r, c) to (r, c + 1), 'down' to (r + 1, c).")
        expect_close(f"{label}, images {3 * k}..{3 * k + 2} (shifted {name})", block, exp,
                     hint="Shift by one pixel and fill the row or column that comes in with zeros.")
