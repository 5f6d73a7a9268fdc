"""Checks for the exercises of chapter "Digit images: MLP against CNN" (``book/09-digits-mlp-vs-cnn.md``).

- :func:`conv2d_params`: ``conv2d_params(kernel_h, kernel_w, c_in, c_out)`` returns the number of trainable
  parameters of a 2-D convolution layer with bias, :math:`(k_h k_w c_{\\text{in}} + 1)\\, c_{\\text{out}}`.
- :func:`shift_images`: ``shift_images(images, dx, dy)`` moves a stack of images of shape (m, H, W) by ``dx``
  pixels to the right and ``dy`` pixels down, filling the uncovered pixels with 0.

Each check compares with an independent computation (a formula, NumPy slicing) and names the typical mistakes.
This module does not import TensorFlow.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, expect_shape, is_close

__all__ = ["conv2d_params", "shift_images"]


# ------------------------------------------------------------------------------------------ conv2d_params
_CONV_CASES = [(3, 3, 1, 16), (3, 3, 16, 32), (5, 5, 3, 8), (1, 1, 64, 10), (3, 5, 2, 7)]


@exercise_check("ex-dig-conv-params", "Exercise: the parameters of a convolution layer")
def conv2d_params(student_fn):
    for kh, kw, c_in, c_out in _CONV_CASES:
        expected = (kh * kw * c_in + 1) * c_out
        got = student_fn(kh, kw, c_in, c_out)
        call = f"conv2d_params({kh}, {kw}, {c_in}, {c_out})"
        if is_close(got, expected, rtol=0, atol=0):
            continue
        if is_close(got, kh * kw * c_in * c_out, rtol=0, atol=0):
            raise CheckFailed(f"{call} returned {got}, expected {expected}: the bias is missing (one per filter, "
                              "c_out in all).")
        if is_close(got, (kh * kw + 1) * c_out, rtol=0, atol=0) and c_in != 1:
            raise CheckFailed(f"{call} returned {got}, expected {expected}: a filter spans all c_in input "
                              "channels, so it has k_h k_w c_in weights.")
        if is_close(got, kh * kw * c_in * c_out + c_in, rtol=0, atol=0):
            raise CheckFailed(f"{call} returned {got}, expected {expected}: there is one bias per output channel "
                              "(c_out), not per input channel.")
        expect_close(call, got, expected, rtol=0, atol=0,
                     hint="each of the c_out filters has k_h * k_w * c_in weights and one bias.")


# ------------------------------------------------------------------------------------------- shift_images
def _reference_shift(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    m, H, W = images.shape
    padded = np.zeros((m, H + 2 * abs(dy), W + 2 * abs(dx)), dtype=images.dtype)
    padded[:, abs(dy):abs(dy) + H, abs(dx):abs(dx) + W] = images
    top, left = abs(dy) - dy, abs(dx) - dx
    return padded[:, top:top + H, left:left + W]


@exercise_check("ex-dig-shift", "Exercise: shifting images by whole pixels")
def shift_images(student_fn):
    rng = np.random.default_rng(0)
    images = rng.integers(1, 10, size=(3, 5, 6)).astype(np.float64)
    for dx, dy in [(1, 0), (0, 1), (-1, 0), (0, -1), (2, -1), (0, 0), (-3, 2)]:
        original = images.copy()
        got = student_fn(images, dx, dy)
        call = f"shift_images(images, dx={dx}, dy={dy})"
        if not np.array_equal(images, original):
            raise CheckFailed(f"{call} changed its argument `images`; work on a new array (np.zeros_like).")
        expected = _reference_shift(images, dx, dy)
        expect_shape(call, got, images.shape, hint="the shifted stack keeps the shape (m, H, W).")
        if is_close(got, expected):
            continue
        if (dx or dy) and is_close(got, np.roll(images, (dy, dx), axis=(1, 2))):
            raise CheckFailed(f"{call}: your pixels wrap around (np.roll); the pixels that move out of the image "
                              "are lost and the uncovered ones are 0.")
        if (dx or dy) and dx != dy and is_close(got, _reference_shift(images, dy, dx)):
            raise CheckFailed(f"{call}: dx and dy are swapped; dx moves along the columns (axis 2, to the right) "
                              "and dy along the rows (axis 1, down).")
        if (dx or dy) and is_close(got, _reference_shift(images, -dx, -dy)):
            raise CheckFailed(f"{call}: the shift goes the wrong way; positive dx moves the image to the right "
                              "(new[:, i, j] = old[:, i - dy, j - dx]).")
        expect_close(call, got, expected,
                     hint="new[:, i, j] = old[:, i - dy, j - dx] where that pixel exists, else 0.")
