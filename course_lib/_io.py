"""Saving and loading models as one ``.npz`` file (``MLP.save``/``load``, ``GPT.save``/``load``).

A model file holds a format marker, a format version, the architecture and the parameters ``param_0``,
``param_1``, ... It is written atomically: to a temporary file in the same directory, flushed to disk, then
renamed over the target, so an interrupted save never leaves a half-written model behind. Loading never
unpickles anything (``allow_pickle=False``) and turns every kind of damaged file into a ValueError that names it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["save_npz_atomic", "load_model_arrays"]


def save_npz_atomic(path: str | os.PathLike, format_name: str, version: int, arrays: dict) -> Path:
    """Write ``arrays`` plus the marker ``format`` = ``format_name`` and ``format_version`` = ``version`` to
    ``path`` (``.npz`` appended if missing), atomically. Returns the path written."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    contents = {"format": np.array(format_name), "format_version": np.array(version), **arrays}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **contents)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_model_arrays(path: str | os.PathLike, format_name: str, version: int, what: str) -> dict:
    """The arrays of a file written by :func:`save_npz_atomic` with this ``format_name`` and ``version``.

    ``what`` names the kind of model in the error messages ("model", "GPT"). Raises FileNotFoundError for a
    missing file and ValueError for an unreadable file, a file without the marker or another format version.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {str(path)!r} does not exist")
    try:
        # opened here, not by np.load, so that the file is closed even when the archive is unreadable
        with open(path, "rb") as f:
            data = np.load(f, allow_pickle=False)
            if isinstance(data, np.ndarray):  # a single array saved with np.save: not a model file
                contents = None
            else:
                with data:
                    contents = {k: data[k] for k in data.files}
    except Exception as exc:  # BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError (a flipped
        # zip flag), ValueError (a damaged .npy header or a pickled object array): all mean unreadable
        raise ValueError(f"{str(path)!r} is not a readable course_lib model file (.npz): {exc}") from None
    if not isinstance(contents, dict) or str(contents.get("format", "")) != format_name:
        raise ValueError(f"{str(path)!r} is not a course_lib {what} file (no '{format_name}' format marker)")
    try:
        found = int(contents["format_version"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{str(path)!r} is a damaged course_lib {what} file: no format_version") from None
    if found != version:
        raise ValueError(f"{str(path)!r} has {what} format version {found}; this course_lib reads {version}")
    return contents
