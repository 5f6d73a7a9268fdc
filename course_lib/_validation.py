"""Input validation at the package's boundary.

Every public entry point of course_lib checks its arguments here once, then trusts the arrays inside. Each check
raises a ValueError or TypeError whose message names the argument, says what was expected and what came.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "check_array",
    "check_labels",
    "check_consistent_length",
    "check_positive",
    "check_int",
    "check_choice",
    "check_fraction",
    "assign_weights",
]


def _describe(value) -> str:
    """A short description of what came, for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def check_array(
    X,
    name: str = "X",
    *,
    ndim: int = 2,
    dtype=np.float32,
    n_features: int | None = None,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``X`` as a C-contiguous array of ``dtype`` after checking it.

    Checks: numeric (no strings, objects or booleans mistaken for numbers), exactly ``ndim`` dimensions, at least
    one row unless ``allow_empty``, ``n_features`` columns when given, and only finite values.
    """
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array; got {_describe(X)} ({exc})") from None
    if arr.dtype.kind not in "biuf":
        dtype_note = "" if isinstance(X, np.ndarray) else f" with dtype {arr.dtype}"  # an array's says it already
        raise TypeError(f"{name} must be a numeric array; got {_describe(X)}{dtype_note}")
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array"
            + (" of shape (n_samples, n_features)" if ndim == 2 else "")
            + f"; got an array of shape {arr.shape} ({arr.ndim}-D)"
            + (". Reshape a single sample with X.reshape(1, -1)." if ndim == 2 and arr.ndim == 1 else "")
        )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty; got an array of shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features (columns) but the model expects {n_features}; "
            f"got an array of shape {arr.shape}"
        )
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        n_bad = int(arr.size - np.isfinite(arr).sum())
        raise ValueError(f"{name} must contain only finite values; got {n_bad} NaN or infinite entries")
    with np.errstate(over="ignore"):  # a finite float64 too large for float32 becomes inf: reported just below
        out = np.ascontiguousarray(arr, dtype=dtype)
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        raise ValueError(
            f"{name} has values too large for {out.dtype}; got values up to {float(np.abs(arr).max()):.3g} in "
            f"magnitude (the largest {out.dtype} is {float(np.finfo(out.dtype).max):.3g})"
        )
    return out


def check_labels(y, name: str = "y", *, n_classes: int | None = None) -> np.ndarray:
    """Return integer class labels ``y`` of shape (m,) as int64, checking ``0 <= y < n_classes``.

    Float arrays are accepted only if every value is integral (for example labels read from a CSV file).
    """
    arr = check_array(y, name, ndim=1, dtype=None)
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            example = arr[arr != np.round(arr)][0].item()
            raise ValueError(f"{name} must hold integer class ids; got non-integral values such as {example!r}")
    if n_classes is not None:  # checked before the cast to int64, which would wrap or overflow huge values
        bad = (arr < 0) | (arr >= n_classes)
        if bad.any():
            raise ValueError(
                f"{name} must hold class ids in [0, {n_classes}); got {int(bad.sum())} values outside, "
                f"for example {int(arr[bad][0])}"
            )
    elif arr.dtype.kind in "fu" and (arr.max() >= 2**63 or arr.min() < -(2**63)):
        example = max(arr.max().item(), arr.min().item(), key=abs)
        raise ValueError(f"{name} must hold integer class ids; got values too large for int64 such as {example!r}")
    return arr.astype(np.int64)


def check_consistent_length(X: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("X", "y")) -> None:
    """Raise ValueError unless ``X`` and ``y`` have the same number of samples (first axis)."""
    if len(X) != len(y):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of samples; "
            f"got {len(X)} rows in {names[0]} and {len(y)} in {names[1]}"
        )


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float after checking it is a finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number; got {_describe(value)}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return float(value)


def check_fraction(value, name: str, *, low: float = 0.0, high: float = 1.0, closed_high: bool = False) -> float:
    """Return ``value`` as a float after checking ``low <= value < high`` (or ``<= high`` if ``closed_high``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [{low}, {high}{']' if closed_high else ')'}; got {_describe(value)}")
    ok = low <= value <= high if closed_high else low <= value < high
    if not ok:
        raise ValueError(f"{name} must be in [{low}, {high}{']' if closed_high else ')'}; got {value!r}")
    return float(value)


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` after checking it is one of ``choices``."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def assign_weights(params: list[np.ndarray], weights, labels: Sequence[str], dtype, *, layout: str,
                   count_note: str) -> None:
    """Check ``weights`` against a model's ``params`` (same number of arrays, same shapes) and copy them into
    ``params`` in place, so that an optimizer holding the arrays keeps working (``set_weights`` of MLP and GPT).

    ``labels`` name each array in the messages (``"W1"``, ``"Wq"``, ...); ``layout`` says what list was expected
    and ``count_note`` why that many arrays. Nothing is changed unless every array passes.
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise TypeError(f"weights must be {layout}; got {type(weights).__name__}")
    if len(weights) != len(params):
        raise ValueError(f"weights must be a list of {len(params)} arrays {count_note}; got {len(weights)} arrays")
    checked = []
    for i, (w, p, label) in enumerate(zip(weights, params, labels)):
        label = f"weights[{i}] ({label})"
        w = check_array(w, label, ndim=p.ndim, dtype=dtype, allow_empty=True)
        if w.shape != p.shape:
            raise ValueError(f"{label} must have shape {p.shape}; got shape {w.shape}")
        checked.append(w)
    for p, w in zip(params, checked):
        p[...] = w
