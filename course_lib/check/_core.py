"""What every exercise check shares: the CheckFailed exception, the check decorator and comparison helpers.

A check is called by a chapter's check cell with the student's work, for example ``check.sigmoid(sigmoid)``.
It either prints one short success line or raises :class:`CheckFailed` with what was expected, what came and a
hint. A stub that still raises ``NotImplementedError`` gets a friendly "not done yet" message instead of a
traceback into the student's own code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

__all__ = ["CheckFailed", "exercise_check", "expect_close", "expect_equal", "expect_shape", "REGISTRY"]

#: Every check, by exercise label (``"ex-..."``, the label of the exercise directive in the chapter).
REGISTRY: dict[str, Callable] = {}


class CheckFailed(AssertionError):
    """An exercise check failed: the message says what was expected, what came and gives a hint.

    A subclass of AssertionError, so nbgrader and pytest treat it as a failed test.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def _render_traceback_(self):  # IPython: show the message alone, not a traceback into course_lib
        return [f"CheckFailed: {self.message}"]


def exercise_check(label: str, title: str):
    """Register a check for the exercise ``label``; ``title`` names it in messages.

    The decorated function receives the student's objects, raises :class:`CheckFailed` when something is wrong
    and returns normally when all is right; the decorator then prints ``"✓ <title>: correct."``. A
    ``NotImplementedError`` from the student's code becomes a "not done yet" CheckFailed.
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                func(*args, **kwargs)
            except NotImplementedError:
                raise CheckFailed(
                    f"{title}: not done yet. Replace `raise NotImplementedError` in the exercise cell with your "
                    "code, run that cell, then run this check again."
                ) from None
            except CheckFailed:
                raise
            except Exception as exc:  # the student's code crashed: say where, keep it short
                raise CheckFailed(
                    f"{title}: your code raised {type(exc).__name__}: {exc}. Run the exercise cell on a small "
                    "input and compare with the formula in the text."
                ) from None
            print(f"✓ {title}: correct.")

        wrapper.label = label
        wrapper.title = title
        if label in REGISTRY:
            raise ValueError(f"a check for exercise {label!r} is already registered")
        REGISTRY[label] = wrapper
        return wrapper

    return decorate


def _fmt(x) -> str:
    arr = np.asarray(x)
    if arr.ndim == 0:
        return f"{arr.item()!r}"
    with np.printoptions(precision=4, threshold=8, edgeitems=2):
        return f"array of shape {arr.shape}: {np.array2string(arr, separator=', ')}"


def expect_shape(what: str, got, shape: tuple, hint: str = "") -> None:
    """Raise CheckFailed unless ``np.shape(got) == shape``."""
    if np.shape(got) != tuple(shape):
        raise CheckFailed(f"{what} should have shape {tuple(shape)}; got shape {np.shape(got)}. {hint}".strip())


def expect_close(what: str, got, expected, hint: str = "", rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Raise CheckFailed unless ``got`` has the shape of ``expected`` and is close to it elementwise."""
    expected = np.asarray(expected)
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be a number or an array of numbers; got {type(got).__name__}. {hint}".strip()) from None
    expect_shape(what, got_arr, expected.shape, hint)
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol):
        raise CheckFailed(f"{what} is not right: expected {_fmt(expected)}, got {_fmt(got_arr)}. {hint}".strip())


def expect_equal(what: str, got, expected, hint: str = "") -> None:
    """Raise CheckFailed unless ``got == expected`` (arrays: same shape and all entries equal)."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        ok = np.shape(got) == np.shape(expected) and bool(np.all(np.asarray(got) == expected))
    else:
        ok = got == expected
    if not ok:
        raise CheckFailed(f"{what} is not right: expected {_fmt(expected)}, got {_fmt(got)}. {hint}".strip())
