"""The exercise checks of chapter "Digit images: MLP against CNN" (course_lib/check/digits.py).

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message that names
the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import subprocess
import sys

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-dig-conv-params"] is check.conv2d_params
    assert check.REGISTRY["ex-dig-shift"] is check.shift_images


def test_the_check_module_does_not_import_tensorflow():
    code = "import sys, course_lib.check.digits; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------------ conv2d_params
def test_conv2d_params_accepts_the_formula(capsys):
    check.conv2d_params(lambda kh, kw, c_in, c_out: (kh * kw * c_in + 1) * c_out)
    assert "✓ Exercise: the parameters of a convolution layer: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out, "bias is missing"),
        (lambda kh, kw, c_in, c_out: (kh * kw + 1) * c_out, "spans all c_in"),
        (lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out + c_in, "one bias per output channel"),
        (lambda kh, kw, c_in, c_out: (kh * kh * c_in + 1) * c_out, "is not right|expected"),
    ],
)
def test_conv2d_params_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.conv2d_params(wrong)


def test_conv2d_params_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.conv2d_params(stub)


# ------------------------------------------------------------------------------------------- shift_images
def correct_shift(images, dx, dy):
    out = np.zeros_like(images)
    H, W = images.shape[1:]
    out[:, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        images[:, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def test_shift_images_accepts_slicing(capsys):
    check.shift_images(correct_shift)
    assert "✓ Exercise: shifting images by whole pixels: correct." in capsys.readouterr().out


def test_shift_images_accepts_scipy():
    from scipy import ndimage

    check.shift_images(lambda im, dx, dy: ndimage.shift(im, (0, dy, dx), order=0, mode="constant", cval=0.0))


def in_place(images, dx, dy):
    images[:] = correct_shift(images, dx, dy)
    return images


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda im, dx, dy: np.roll(im, (dy, dx), axis=(1, 2)), "wrap around"),
        (lambda im, dx, dy: correct_shift(im, dy, dx), "swapped"),
        (lambda im, dx, dy: correct_shift(im, -dx, -dy), "wrong way"),
        (in_place, "changed its argument"),
        (lambda im, dx, dy: correct_shift(im, dx, dy)[0], "shape"),
    ],
)
def test_shift_images_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.shift_images(wrong)


def test_shift_images_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.shift_images(stub)
