"""What every exercise check shares: the CheckFailed exception, the check decorator and comparison helpers.

A check is called by a chapter's check cell with the student's work, for example ``check.sigmoid(sigmoid)``.
It either prints one short success line or raises :class:`CheckFailed` with what was expected, what came and a
hint. A stub that still raises ``NotImplementedError`` gets a friendly "not done yet" message instead of a
traceback into the student's own code.

Writing a check (one module per chapter, ``course_lib/check/<concept>.py``)::

    @exercise_check("ex-fwd-layer", "Exercise: a dense layer's forward pass")
    def layer_forward(student_fn):
        A, W, b = ...
        expect_close("layer_forward(A, W, b)", student_fn(A, W, b), A @ W + b,
                     hint="Z = A W + b, with b added to every row.")

The decorator registers the check in :data:`REGISTRY` under the exercise's label (the ``:label:`` of its
``exercise-start`` directive in the chapter), prints ``"✓ <title>: correct."`` when the check returns, and turns
what the student's code raises into a short CheckFailed message. In Jupyter, IPython and nbgrader's feedback a
CheckFailed shows as one message, ``CheckFailed: <message>``, without a traceback (see
:meth:`CheckFailed._render_traceback_`).
"""

from __future__ import annotations

import functools
import sysconfig
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = [
    "CheckFailed",
    "exercise_check",
    "expect_close",
    "expect_equal",
    "expect_shape",
    "is_close",
    "REGISTRY",
]

#: Every check, by exercise label (``"ex-..."``, the label of the exercise directive in the chapter).
REGISTRY: dict[str, Callable] = {}

#: The first words of the message for an exercise whose stub still raises NotImplementedError.
NOT_DONE = "not done yet"


class CheckFailed(AssertionError):
    """An exercise check failed: the message says what was expected, what came and gives a hint.

    A subclass of AssertionError, so nbgrader and pytest treat it as a failed test.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self):  # IPython: show the message alone, not a traceback into course_lib
        return [f"CheckFailed: {self.message}"]


# ------------------------------------------------------------------------------------------ the decorator
def exercise_check(label: str, title: str, *, points: int = 1):
    """Register a check for the exercise ``label``; ``title`` names it in messages.

    The decorated function receives the student's objects, raises :class:`CheckFailed` when something is wrong
    and returns normally when all is right; the decorator then prints ``"✓ <title>: correct."`` and returns
    None (so nbgrader gives the test cell its full points). What the student's code raises becomes a
    CheckFailed: ``NotImplementedError`` (an untouched stub) says "not done yet"; any other exception says
    "your code raised <type>: <message>" and where. Messages start with ``title``.

    ``points``: what the exercise's test cell is worth in the nbgrader version (``python -m course_lib.assign
    nbgrader``).
    """
    if not (isinstance(label, str) and label.startswith("ex-")):
        raise ValueError(f"an exercise label starts with 'ex-' (the :label: of the exercise); got {label!r}")
    if not (isinstance(points, int) and points >= 1):
        raise ValueError(f"points must be a positive integer; got {points!r}")

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                func(*args, **kwargs)
            except NotImplementedError:
                raise CheckFailed(
                    f"{title}: {NOT_DONE}. Replace `raise NotImplementedError` in the exercise cell with your "
                    "code, run that cell, then run this check again."
                ) from None
            except CheckFailed as exc:
                message = exc.message if exc.message.startswith(title) else f"{title}: {exc.message}"
                raise CheckFailed(message) from None
            except Exception as exc:  # the student's code crashed, or returned what the check cannot use
                where = _student_frame(exc.__traceback__, skip=func.__code__)
                if where is None:
                    raise CheckFailed(
                        f"{title}: the check could not use what your code returned ({_describe(exc)}). "
                        "Compare the type and shape of what your function returns with the exercise."
                    ) from None
                raise CheckFailed(
                    f"{title}: your code raised {_describe(exc)} ({where}). Run the exercise cell on a small "
                    "input and compare with the formula in the text."
                ) from None
            print(f"✓ {title}: correct.")

        wrapper.label = label
        wrapper.title = title
        wrapper.points = points
        old = REGISTRY.get(label)
        if old is not None and (old.__module__, old.__qualname__) != (wrapper.__module__, wrapper.__qualname__):
            raise ValueError(f"a check for exercise {label!r} is already registered ({old.__module__}.{old.__name__})")
        REGISTRY[label] = wrapper  # the same check registered again (a module reloaded): replace it
        return wrapper

    return decorate


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_LIBRARY_DIRS = tuple(
    {str(Path(__file__).resolve().parents[1])}  # course_lib itself
    | {str(Path(p).resolve()) for k, p in sysconfig.get_paths().items() if k in {"stdlib", "platstdlib", "purelib", "platlib"}}
)


def _student_frame(tb, skip=None) -> str | None:
    """Where in the student's code (the deepest frame outside course_lib, the standard library and installed
    packages) an exception was raised, as ``"in f, line 3"``; None if it did not pass through the student's code
    (the check itself failed on what the student's function returned). Frames running ``skip`` (the check's
    own code) do not count."""
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        filename = code.co_filename
        try:
            resolved = str(Path(filename).resolve()) if not filename.startswith("<") else filename
        except (OSError, ValueError):
            resolved = filename
        if code is not skip and not resolved.startswith(_LIBRARY_DIRS):
            found = f"in {code.co_name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


# ------------------------------------------------------------------------------------------------ helpers
def _fmt(x) -> str:
    """A short description of ``x`` for a message: the value of a number, shape and first entries of an array."""
    if isinstance(x, (list, tuple)) and any(isinstance(v, (list, tuple, np.ndarray)) for v in x):
        text = repr(x) if not any(isinstance(v, np.ndarray) for v in x) else f"a {type(x).__name__} of {len(x)} arrays"
        return text if len(text) <= 200 else text[:197] + "..."
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        return f"{type(x).__name__} {x!r}"[:200]
    if arr.dtype == object:
        return f"{type(x).__name__} {x!r}"[:200]
    if arr.ndim == 0:
        return f"{arr.item()!r}"
    if not isinstance(x, np.ndarray):
        text = repr(x)
        if len(text) <= 80:
            return text
    with np.printoptions(precision=4, threshold=8, edgeitems=2):
        return f"array of shape {arr.shape}: {np.array2string(arr, separator=', ')}"


def _hint(hint: str) -> str:
    return f" {hint}" if hint else ""


def expect_shape(what: str, got, shape: tuple, hint: str = "") -> None:
    """Raise CheckFailed unless ``np.shape(got) == shape``."""
    try:
        got_shape = np.shape(got)
    except ValueError:  # a ragged list
        raise CheckFailed(f"{what} should have shape {tuple(shape)}; got a ragged {type(got).__name__}.{_hint(hint)}") from None
    if got_shape != tuple(shape):
        raise CheckFailed(f"{what} should have shape {tuple(shape)}; got shape {got_shape}.{_hint(hint)}")


def expect_close(what: str, got, expected, hint: str = "", rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Raise CheckFailed unless ``got`` has the shape of ``expected`` and is close to it elementwise.

    ``got`` may be a number, a list or an array; the message gives the largest difference and where it is.
    """
    expected = np.asarray(expected)
    if got is None:
        raise CheckFailed(
            f"{what} should be a number or an array of numbers; got None (does your function `return` its "
            f"result?).{_hint(hint)}"
        )
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{what} should be a number or an array of numbers; got {type(got).__name__}.{_hint(hint)}"
        ) from None
    expect_shape(what, got_arr, expected.shape, hint)
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol):
        message = f"{what} is not right: expected {_fmt(expected)}, got {_fmt(got_arr)}.{_hint(hint)}"
        if expected.ndim > 0 and expected.size > 1:
            with np.errstate(invalid="ignore", over="ignore"):
                diff = np.abs(got_arr - expected.astype(np.float64))
            diff = np.where(np.isnan(diff), np.inf, diff)
            index = np.unravel_index(int(np.argmax(diff)), diff.shape)
            index = tuple(int(i) for i in index)
            message += (
                f" (The largest difference is at index {index[0] if len(index) == 1 else index}: expected "
                f"{expected[index]:.6g}, got {got_arr[index]:.6g}.)"
            )
        raise CheckFailed(message)


def is_close(got, expected, rtol: float = 1e-5, atol: float = 1e-7) -> bool:
    """True when ``got`` reads as an array of numbers of ``expected``'s shape, close to it elementwise.

    Never raises: a student's odd return value (None, a string, a ragged list) is simply not close.
    """
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _equal(a, b) -> bool:
    """Equality that reads lists and tuples alike and compares arrays entry by entry."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def expect_equal(what: str, got, expected, hint: str = "") -> None:
    """Raise CheckFailed unless ``got == expected``.

    Arrays: same shape and all entries equal. Lists and tuples compare entry by entry, a list equal to a tuple
    with the same entries (a student may return ``[3, 4]`` for the shape ``(3, 4)``).
    """
    if not _equal(got, expected):
        raise CheckFailed(f"{what} is not right: expected {_fmt(expected)}, got {_fmt(got)}.{_hint(hint)}")
