r"""Data sets of the course (chapters "An MLP from scratch", "Training in practice", "Overfitting and
regularization").

Everything here works offline except :func:`load_mnist`, which downloads MNIST once and then reads it from a
local cache:

- :func:`load_digits`: the 8x8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes), split
  and scaled. The offline stand-in for MNIST.
- :func:`make_binary_classification`: the course's toy problem of 100 samples with 10 features, made
  learnable and reproducible.
- :func:`make_spirals` and :func:`make_moons`: 2-D problems that a linear model cannot solve, for the
  decision-boundary figures (:func:`course_lib.plots.plot_decision_boundary`).
- :func:`load_mnist` and :func:`read_idx`: the MNIST files in their original IDX format.
- :func:`load_tiny_shakespeare` and :func:`load_tang_poems`: the two text corpora of Part 4 (chapters "Tokens
  and embeddings" and "A GPT from scratch"), shipped in ``course_lib/data/``; :func:`split_text` cuts a text
  into training and validation parts and :func:`lm_windows` turns a sequence of token ids into the
  (input, target) windows of next-token prediction.

All generators take a ``seed`` and use their own ``numpy.random.Generator``: no global random state is read or
changed.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._validation import check_fraction, check_int

__all__ = [
    "load_digits",
    "make_binary_classification",
    "make_spirals",
    "make_moons",
    "load_mnist",
    "read_idx",
    "mnist_dir",
    "DatasetUnavailableError",
    "ChecksumError",
    "MNIST_MIRRORS",
    "MNIST_FILES",
    "load_sentiment",
    "load_tiny_shakespeare",
    "load_tang_poems",
    "split_text",
    "lm_windows",
]


# ---------------------------------------------------------------------------------------------- offline sets
def load_digits(
    test_size: float = 0.25, seed: int = 0, scale: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The scikit-learn digits (8x8 grey images of 0-9), split into a training and a test set.

    The 1,797 images are flattened to 64 features with pixel intensities :math:`0, 1, \dots, 16`. The split
    is **stratified** (each class keeps its proportion in both parts) and made first; the scaling
    :math:`x \mapsto x / 16` to :math:`[0, 1]` is a fixed map that learns nothing from the data, so no
    information from the test set leaks into training. (A fitted scaler such as ``StandardScaler`` must be
    fitted on ``X_train`` only.)

    Parameters
    ----------
    test_size : float in (0, 1)
        Fraction of the samples in the test set (0.25 gives 1,347 training and 450 test images).
    seed : int
        Seed of the shuffle before splitting; the same seed gives the same split.
    scale : bool
        Divide the pixels by 16. With ``False`` the raw intensities 0..16 are returned (still as float32).

    Returns
    -------
    X_train, X_test : float32 arrays of shape (m_train, 64) and (m_test, 64)
    y_train, y_test : int64 arrays of shape (m_train,) and (m_test,), labels 0..9

    Notes
    -----
    The data ship inside the scikit-learn package, so this works without internet. Used in chapter "An MLP
    from scratch" and wherever MNIST is too large or unavailable.
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    test_size = check_fraction(test_size, "test_size")
    if test_size == 0.0:
        raise ValueError("test_size must be in (0, 1); got 0.0")
    seed = check_int(seed, "seed", minimum=0)
    X, y = _sk_load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    X_train = X_train.astype(np.float32)
    X_test = X_test.astype(np.float32)
    if scale:
        X_train /= 16.0
        X_test /= 16.0
    return X_train, X_test, y_train.astype(np.int64), y_test.astype(np.int64)


def make_binary_classification(
    n_samples: int = 100, n_features: int = 10, seed: int = 0, noise: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    r"""The course's toy binary problem: ``n_samples`` points with ``n_features`` features (default 100 x 10).

    Generated with ``rng = numpy.random.default_rng(seed)`` as

    .. math::
        x_i \sim \mathcal N(0, I_n), \qquad \mathbf w \sim \mathcal N(0, I_n), \qquad
        y_i = \mathbb 1\!\left[\, \mathbf w^\top x_i / \lVert \mathbf w\rVert + \sigma\,\varepsilon_i > 0 \right],
        \quad \varepsilon_i \sim \mathcal N(0, 1),

    in this order (first ``X``, then ``w``, then ``epsilon``). The labels therefore follow a logistic-like model
    with a linear boundary plus label noise of size ``noise`` (:math:`\sigma`): a logistic regression or a
    small MLP learns it to roughly 80-90 % accuracy on fresh samples, unlike the purely random labels
    (``np.random.randint(2, size=100)``) that give nothing to learn. The classes are roughly balanced.

    Returns
    -------
    X : float32 array of shape (n_samples, n_features)
    y : int64 array of shape (n_samples,), labels 0 or 1

    Used in chapter "Neurons and the forward pass" for the first Keras and NumPy models.
    """
    n_samples = check_int(n_samples, "n_samples")
    n_features = check_int(n_features, "n_features")
    seed = check_int(seed, "seed", minimum=0)
    noise = check_fraction(noise, "noise", low=0.0, high=float("inf"))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    w = rng.standard_normal(n_features)
    eps = rng.standard_normal(n_samples)
    y = (X @ w / np.linalg.norm(w) + noise * eps > 0).astype(np.int64)
    return X.astype(np.float32), y


def make_spirals(
    n_samples: int = 300, n_classes: int = 2, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Interleaved spirals in the plane, one arm per class (the CS231n example).

    Arm :math:`k = 0, \dots, K-1` has its points at radii :math:`r` evenly spaced in :math:`[0, 1]` and angles

    .. math:: \theta = 2\pi\Bigl(\frac{k}{K} + r\Bigr) + \sigma\varepsilon, \qquad \varepsilon \sim \mathcal N(0, 1),
              \qquad x = (r\sin\theta,\ r\cos\theta).

    Each arm winds once around the origin, so a linear classifier does no better than chance (about 50 % for
    two arms) while a one-hidden-layer MLP separates the classes.

    Parameters
    ----------
    n_samples : int
        Total number of points, spread as evenly as possible over the classes (the first ``n_samples % K``
        arms get one more).
    n_classes : int >= 2
        Number of arms :math:`K`.
    noise : float >= 0
        Standard deviation :math:`\sigma` of the angular noise, in radians.
    seed : int
        Seed of the noise.

    Returns
    -------
    X : float32 array of shape (n_samples, 2), inside the unit disc up to the noise
    y : int64 array of shape (n_samples,), labels 0..K-1, sorted by class

    Used in chapter "Neurons and the forward pass" (why hidden layers) with
    :func:`course_lib.plots.plot_decision_boundary`.
    """
    n_samples = check_int(n_samples, "n_samples")
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be >= n_classes ({n_classes}), one point per arm at least; got {n_samples}")
    noise = check_fraction(noise, "noise", low=0.0, high=float("inf"))
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    X = np.empty((n_samples, 2))
    y = np.empty(n_samples, dtype=np.int64)
    start = 0
    for k, n_k in enumerate(counts):
        r = np.linspace(0.0, 1.0, n_k) if n_k > 1 else np.array([0.5])
        theta = 2 * np.pi * (k / n_classes + r) + noise * rng.standard_normal(n_k)
        X[start : start + n_k, 0] = r * np.sin(theta)
        X[start : start + n_k, 1] = r * np.cos(theta)
        y[start : start + n_k] = k
        start += n_k
    return X.astype(np.float32), y


def make_moons(n_samples: int = 200, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles (:func:`sklearn.datasets.make_moons`, shuffled), as float32 and int64.

    Returns ``X`` of shape (n_samples, 2) and ``y`` of shape (n_samples,) with labels 0 and 1. ``noise`` is the
    standard deviation of Gaussian noise added to each coordinate. Used for decision-boundary figures in
    chapters "Neurons and the forward pass" and "Overfitting and regularization".
    """
    from sklearn.datasets import make_moons as _sk_make_moons

    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_fraction(noise, "noise", low=0.0, high=float("inf"))
    seed = check_int(seed, "seed", minimum=0)
    X, y = _sk_make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


# ---------------------------------------------------------------------------------------------- IDX format
#: IDX type codes (third byte of the magic number) -> NumPy big-endian dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    r"""Read an array stored in the IDX format of the MNIST files, plain or gzip-compressed.

    The format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte magic number ``00 00 T D`` where
    ``T`` is the type code (``0x08`` unsigned byte, ``0x09`` signed byte, ``0x0B`` int16, ``0x0C`` int32,
    ``0x0D`` float32, ``0x0E`` float64) and ``D`` the number of dimensions; then ``D`` sizes as big-endian
    uint32; then the data in C order, big-endian. MNIST images are type ``0x08`` with ``D = 3``
    (n, 28, 28), labels ``0x08`` with ``D = 1``. Files whose name ends in ``.gz`` are decompressed (the gzip
    magic bytes are checked too, so a wrongly named file is still read).

    Returns the array in native byte order (``uint8`` for MNIST) with the stored shape. Raises ValueError
    for a file that is not IDX: a bad magic number, an unknown type code, or a size that does not match the
    header.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not an existing file")
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{str(path)!r} is not a readable IDX file: {exc}") from None
    return _parse_idx(data, str(path))


def _parse_idx(data: bytes, name: str) -> np.ndarray:
    if len(data) < 4:
        raise ValueError(f"{name!r} is not an IDX file: {len(data)} bytes, fewer than the 4-byte magic number")
    zero1, zero2, code, ndim = data[0], data[1], data[2], data[3]
    if zero1 != 0 or zero2 != 0:
        raise ValueError(
            f"{name!r} is not an IDX file: the magic number must start with two zero bytes; "
            f"got {data[:4].hex(' ')}"
        )
    if code not in _IDX_DTYPES:
        raise ValueError(
            f"{name!r} has unknown IDX type code 0x{code:02X}; expected one of "
            f"{', '.join(f'0x{c:02X}' for c in _IDX_DTYPES)}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{name!r} is truncated: the header announces {ndim} dimensions but the file has {len(data)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{name!r} is corrupt: the header announces shape {shape} of {dtype.name} ({expected} bytes of data) "
            f"but the file holds {len(data) - header} bytes after the header"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


# ---------------------------------------------------------------------------------------------- MNIST
#: Mirrors tried in order. yann.lecun.com itself no longer serves the files reliably (it asks for a login).
MNIST_MIRRORS: tuple[str, ...] = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow / Keras examples
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # PyTorch (torchvision)
)

#: The four MNIST files: name -> (SHA-256, size in bytes) of the gzip file as distributed (the files on both
#: mirrors are byte-identical copies of LeCun's originals). Source of the SHA-256 sums: they are published with
#: the same file names and mirrors by several independent open-source MNIST loaders (for example the Ruby port of
#: torchvision and dataset download scripts), which agree with one another; they were not recomputed here (no
#: network when this module was written). torchvision itself (``torchvision/datasets/mnist.py``, attribute
#: ``MNIST.resources``) publishes MD5 sums of the same files, kept in :data:`MNIST_MD5` as a second reference.
MNIST_FILES: dict[str, tuple[str, int]] = {
    "train-images-idx3-ubyte.gz": ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
    "train-labels-idx1-ubyte.gz": ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
    "t10k-images-idx3-ubyte.gz": ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
    "t10k-labels-idx1-ubyte.gz": ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
}

#: MD5 sums of the same files as published by torchvision (``torchvision.datasets.MNIST.resources``).
MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

_ENV_VAR = "COURSE_LIB_DATA"
_TIMEOUT_S = 30.0
_CHUNK = 1 << 16


class DatasetUnavailableError(OSError):
    """A data set could not be found locally and could not be downloaded (no internet, mirrors down, or
    ``download=False``). The message says where the files are expected and what works offline."""


class ChecksumError(OSError):
    """A downloaded or cached file does not have the expected SHA-256 checksum. The bad file has been deleted."""


def mnist_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds the MNIST files: ``<cache_dir>/mnist``, where ``cache_dir`` is the argument if
    given, else the environment variable ``COURSE_LIB_DATA`` if set, else ``~/.cache/course_lib``."""
    if cache_dir is None:
        cache_dir = os.environ.get(_ENV_VAR) or Path.home() / ".cache" / "course_lib"
    return Path(cache_dir).expanduser() / "mnist"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _urlopen(url: str, timeout: float):
    """Open ``url`` for reading (http, https or file); replaced in the tests to simulate mirrors."""
    request = urllib.request.Request(url, headers={"User-Agent": "course_lib (python urllib)"})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - the URLs come from MNIST_MIRRORS


def _download(url: str, dest: Path, sha256: str) -> None:
    """Download ``url`` to ``dest`` atomically and check its SHA-256.

    The bytes go to a temporary file in ``dest``'s folder, hashed on the way; only a complete file with the
    right checksum is renamed to ``dest`` (``os.replace`` is atomic on one file system). Anything else deletes
    the temporary file: an interrupted download never leaves a partial file under the final name.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _urlopen(url, _TIMEOUT_S) as response:
            for block in iter(lambda: response.read(_CHUNK), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != sha256:
            raise ChecksumError(
                f"the file downloaded from {url} has SHA-256 {got}, expected {sha256}; the mirror served a "
                f"damaged or different file, which was deleted"
            )
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _unavailable(
    folder: Path, missing: Sequence[str], reasons: Sequence[str], mirrors: Sequence[str] = MNIST_MIRRORS
) -> DatasetUnavailableError:
    lines = [
        f"MNIST is not available: {len(missing)} of its 4 files missing from {folder} "
        f"({', '.join(missing)}).",
        "load_mnist needs an internet connection once, to download the files (about 11 MB) from "
        f"{' or '.join(mirrors)}; they are then kept in that folder and later calls work offline.",
        f"Change the folder with load_mnist(cache_dir=...) or the environment variable {_ENV_VAR}; you can also "
        "copy the four .gz files there by hand.",
        "Offline, use course_lib.datasets.load_digits() instead: 8x8 digits that ship with scikit-learn.",
    ]
    if reasons:
        lines.append("What went wrong:")
        lines.extend(f"  - {r}" for r in reasons)
    return DatasetUnavailableError("\n".join(lines))


def load_mnist(
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    *,
    flatten: bool = True,
    scale: bool = True,
    mirrors: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""MNIST: 60,000 training and 10,000 test images of handwritten digits, 28x28 pixels.

    The four gzip files are looked up in :func:`mnist_dir` (``~/.cache/course_lib/mnist`` unless
    ``cache_dir`` or the environment variable ``COURSE_LIB_DATA`` says otherwise). Missing files are
    downloaded from the first mirror that answers, written atomically (temporary file, then rename) and checked
    against their SHA-256 sums (:data:`MNIST_FILES`). Files already in the cache are checked too; a file with a
    wrong checksum is deleted and, if ``download`` is true, fetched again.

    Parameters
    ----------
    cache_dir : path or None
        Folder for the data (a subfolder ``mnist`` is used); see above for the default.
    download : bool
        Download missing files. With ``False`` only the cache is read.
    flatten : bool
        Return images as rows of 784 features (for an MLP) instead of (28, 28) arrays.
    scale : bool
        Divide the pixels 0..255 by 255 to get float32 values in [0, 1]. With ``False`` the images stay uint8.
    mirrors : sequence of str or None
        Base URLs (ending in ``/``) tried in order; default :data:`MNIST_MIRRORS`. ``file://`` URLs work.

    Returns
    -------
    X_train : (60000, 784) or (60000, 28, 28), float32 in [0, 1] (uint8 0..255 if ``scale=False``)
    X_test : (10000, 784) or (10000, 28, 28), same dtype
    y_train, y_test : int64 arrays of shape (60000,) and (10000,), labels 0..9

    The order is that of :func:`load_digits` and ``sklearn.model_selection.train_test_split``.

    Raises
    ------
    DatasetUnavailableError
        (an ``OSError``) when a file is missing and cannot be downloaded: the message says where the files go
        and that :func:`load_digits` works offline.
    ChecksumError
        (an ``OSError``) when every mirror served a file with a wrong checksum (the bad files are deleted).

    Used in chapters "Training in practice" and "Overfitting and regularization".
    """
    folder = mnist_dir(cache_dir)
    if mirrors is None:
        mirrors = MNIST_MIRRORS
    if isinstance(mirrors, (str, bytes)) or not isinstance(mirrors, Sequence) or not mirrors:
        raise ValueError(f"mirrors must be a non-empty list of base URLs; got {mirrors!r}")
    mirrors = tuple(m if m.endswith("/") else m + "/" for m in mirrors)
    paths = {name: folder / name for name in MNIST_FILES}
    reasons: list[str] = []

    # Verify what is cached; delete files that do not match.
    for name, path in paths.items():
        if path.is_file() and _sha256(path) != MNIST_FILES[name][0]:
            path.unlink()
            reasons.append(f"the cached {path} had a wrong SHA-256 checksum and was deleted")

    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing and not download:
        raise _unavailable(folder, missing, reasons + ["download=False, so nothing was downloaded"], mirrors)
    if missing:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unavailable(folder, missing, reasons + [f"cannot create the folder: {exc}"], mirrors) from exc
    checksum_errors: list[ChecksumError] = []
    for name in missing:
        for mirror in mirrors:
            url = mirror + name
            try:
                _download(url, paths[name], MNIST_FILES[name][0])
                break
            except ChecksumError as exc:
                checksum_errors.append(exc)
                reasons.append(str(exc))
            except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError, timeouts, cut connections
                plain = isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError)
                reasons.append(f"{url}: {exc.reason if plain else exc}")
        else:
            still_missing = [n for n in missing if not paths[n].is_file()]
            if checksum_errors and len(checksum_errors) == len(mirrors):
                raise ChecksumError(
                    f"every mirror served a copy of {name} with a wrong checksum; the bad files were deleted.\n"
                    + "\n".join(f"  - {r}" for r in reasons)
                )
            raise _unavailable(folder, still_missing, reasons, mirrors)
        checksum_errors.clear()

    X_train = read_idx(paths["train-images-idx3-ubyte.gz"])
    y_train = read_idx(paths["train-labels-idx1-ubyte.gz"])
    X_test = read_idx(paths["t10k-images-idx3-ubyte.gz"])
    y_test = read_idx(paths["t10k-labels-idx1-ubyte.gz"])
    for label, X, y in (("training", X_train, y_train), ("test", X_test, y_test)):
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(
                f"the MNIST {label} files do not fit together: images of shape {X.shape}, labels of shape {y.shape}"
            )
    if flatten:
        X_train = X_train.reshape(len(X_train), -1)
        X_test = X_test.reshape(len(X_test), -1)
    if scale:
        X_train = X_train.astype(np.float32) / np.float32(255.0)
        X_test = X_test.astype(np.float32) / np.float32(255.0)
    return X_train, X_test, y_train.astype(np.int64), y_test.astype(np.int64)


# ------------------------------------------------------------------------------------------- sentiment
def load_sentiment(test_size: float | None = 0.25, seed: int = 0):
    """Short English reviews labelled 1 (positive) or 0 (negative), shipped with course_lib.

    The corpus (``course_lib/data/sentiment.csv``, columns ``text,label``) has 400 reviews of dishes, products,
    services, films and books, and parts of a trip, 200 per class. It was written for this course and is
    released under CC0 1.0 (public domain): a script (``course_lib/data/make_sentiment.py``, fixed seed) fills
    review templates with adjectives and facts that fit each thing reviewed, including negated sentences such
    as "I was worried the flight would be bumpy, but it was not." (positive) and mixed ones with a clear verdict,
    and adds 40 hand-written harder sentences (contrast, negation, no sentiment adjective). See
    ``course_lib/data/README.md``. It is a small teaching corpus, not a benchmark.

    Returns ``(texts_train, texts_test, y_train, y_test)``: lists of str and int64 arrays, split with
    scikit-learn's ``train_test_split(..., test_size=test_size, random_state=seed, stratify=labels)``, so both
    splits keep the 50/50 class balance. With ``test_size=None`` returns the whole corpus, ``(texts, labels)``,
    in file order.
    """
    import csv

    path = Path(__file__).with_name("data") / "sentiment.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    labels = np.array([int(r["label"]) for r in rows], dtype=np.int64)
    if test_size is None:
        return texts, labels
    check_fraction(test_size, "test_size", low=0.0)
    if test_size == 0:
        raise ValueError("test_size must be in (0, 1); got 0")
    check_int(seed, "seed", minimum=0)
    from sklearn.model_selection import train_test_split

    t_train, t_test, y_train, y_test = train_test_split(
        texts, labels, test_size=test_size, random_state=seed, stratify=labels)
    return list(t_train), list(t_test), y_train, y_test


# ------------------------------------------------------------------------------------------- text corpora
_DATA_DIR = Path(__file__).with_name("data")


def _read_text(path, default: str, argument: str = "path") -> str:
    """The UTF-8 text of ``path`` (default: the shipped file ``default``), with a clear error if it is missing."""
    if path is None:
        path = _DATA_DIR / default
    elif not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{argument} must be a path (str or os.PathLike) or None; got {path!r} ({type(path).__name__})")
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{argument} {str(path)!r} is not an existing file")
    try:
        with open(path, encoding="utf-8", newline="") as f:  # newline="": keep the file's line ends as they are
            return f.read()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{argument} {str(path)!r} is not valid UTF-8 text: {exc}") from None


def load_tiny_shakespeare(path: str | os.PathLike | None = None) -> str:
    """The tiny Shakespeare corpus as one string (1,115,394 characters, 65 distinct, all ASCII).

    Extracts of Shakespeare's plays (public-domain text) in the form of dialogue, ``SPEAKER:`` lines followed
    by their speech, as collected by Andrej Karpathy for char-rnn (``data/tinyshakespeare/input.txt`` of
    https://github.com/karpathy/char-rnn), shipped verbatim as ``course_lib/data/tinyshakespeare.txt``. Source,
    commit, size and SHA-256 are in ``course_lib/data/README.md``.

    Parameters
    ----------
    path : path or None
        Read this UTF-8 file instead of the shipped one (a bigger corpus, say). Raises ``FileNotFoundError``
        naming the path when it does not exist.

    Returns
    -------
    str, the whole file, line ends as stored (``\\n``). Used in chapters "Tokens and embeddings" and
    "A GPT from scratch".
    """
    return _read_text(path, "tinyshakespeare.txt")


def load_tang_poems(path: str | os.PathLike | None = None) -> str:
    """5,000 Tang poems, one poem per line, as one string (256,204 characters, 4,773 distinct).

    Regular 5- and 7-character verse (the couplets ``XXXXX，XXXXX。`` joined, no title, no author), the first
    5,000 such poems of the *Quan Tang Shi* (《全唐诗》) as stored by https://github.com/chinese-poetry/chinese-poetry
    (MIT licence; the poems are more than a thousand years old). The characters are **traditional** (繁体), as
    in the source. ``course_lib/data/make_tang_poems.py`` made the file; ``course_lib/data/README.md`` gives the
    source commit, the selection rule, size and SHA-256.

    Parameters
    ----------
    path : path or None
        Read this UTF-8 file instead of the shipped one. Raises ``FileNotFoundError`` naming the path when it
        does not exist.

    Returns
    -------
    str, the whole file: poems separated by ``\\n``, with a final ``\\n``. Used in chapters "Tokens and
    embeddings" and "A GPT from scratch".
    """
    return _read_text(path, "tang_poems.txt")


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    r"""Split a text into a training part (the beginning) and a validation part (the end), without shuffling.

    With :math:`N` characters and :math:`n_{val} = \lfloor f N \rfloor`, the training text is
    ``text[:N - n_val]`` and the validation text ``text[N - n_val:]``. A language model's validation text must
    be a contiguous piece it has never seen: shuffling sentences or windows across the cut would put
    overlapping text on both sides.

    Parameters
    ----------
    text : str
        The corpus, at least 2 characters.
    val_fraction : float in (0, 1)
        Fraction :math:`f` of the characters in the validation part; both parts get at least one character.

    Returns
    -------
    (train_text, val_text) : two str with ``train_text + val_text == text``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    if len(text) < 2:
        raise ValueError(f"text must have at least 2 characters to be split; got {len(text)}")
    val_fraction = check_fraction(val_fraction, "val_fraction")
    if val_fraction == 0.0:
        raise ValueError("val_fraction must be in (0, 1); got 0.0")
    n_val = min(max(int(val_fraction * len(text)), 1), len(text) - 1)
    cut = len(text) - n_val
    return text[:cut], text[cut:]


def lm_windows(ids, context_length: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Cut a sequence of token ids into (input, target) windows for next-token prediction.

    Window :math:`i` starts at :math:`s_i = i \cdot \text{stride}` and

    .. math:: X_{i,t} = \text{ids}_{s_i + t}, \qquad Y_{i,t} = \text{ids}_{s_i + t + 1}, \qquad t = 0, \dots, T-1,

    so that ``Y[i]`` is ``X[i]`` shifted by one token: at every position the target is the next token. All
    windows that fit are returned, :math:`n = \lfloor (N - 1 - T) / \text{stride} \rfloor + 1` of them for
    :math:`N` ids; the last few ids may be left out. Built with
    :func:`numpy.lib.stride_tricks.sliding_window_view` (no Python loop); the results are copies, safe to
    modify.

    Parameters
    ----------
    ids : 1-D integer array or sequence of int, shape (N,)
        Token ids, :math:`N \ge T + 1`.
    context_length : int >= 1
        Window length :math:`T`.
    stride : int >= 1 or None
        Distance between the starts of consecutive windows; default ``context_length`` (non-overlapping inputs).
        ``stride=1`` gives every window (:math:`N - T` of them).

    Returns
    -------
    X, Y : int64 arrays of shape (n, T).

    Used in chapter "A GPT from scratch" to make the training batches.
    """
    context_length = check_int(context_length, "context_length", minimum=1)
    stride = context_length if stride is None else check_int(stride, "stride", minimum=1)
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"ids must be a 1-D array of integer token ids; got a {type(ids).__name__} (encode it first)")
    try:
        arr = np.asarray(ids)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"ids must be a 1-D array of integer token ids; got {type(ids).__name__} ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"ids must be a 1-D array of token ids; got an array of shape {arr.shape}")
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ids must hold integer token ids; got an array of dtype {arr.dtype}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError("ids must hold token ids that fit in int64")
    if arr.size and arr.min() < 0:
        raise ValueError(f"ids must hold non-negative token ids; got {int(arr.min())}")
    if arr.size < context_length + 1:
        raise ValueError(
            f"ids must have at least context_length + 1 = {context_length + 1} tokens to make one window "
            f"(inputs and their next-token targets); got {arr.size}"
        )
    arr = arr.astype(np.int64, copy=False)
    windows = np.lib.stride_tricks.sliding_window_view(arr, context_length + 1)[::stride]
    return windows[:, :-1].copy(), windows[:, 1:].copy()


# --------------------------------------------------------------------------- unlabelled reviews (pre-training)
__all__ += ["load_reviews_unlabelled"]


def load_reviews_unlabelled(path: str | os.PathLike | None = None) -> list[str]:
    """3,000 review-like English sentences without labels, for pre-training (chapter "Pre-training and fine-tuning").

    Written for this course (CC0 1.0): ``course_lib/data/make_reviews_unlabelled.py`` draws them, with its own
    fixed seed, from the generators of the labelled corpus of :func:`load_sentiment` (the same things reviewed,
    adjectives, facts, side remarks and verdicts) and throws the labels away. No sentence of the labelled corpus,
    nor any sentence with the same bag of words as one of them, is among them, so a model pre-trained on this
    text has not seen the test split of :func:`load_sentiment`. Source, size and SHA-256 are in
    ``course_lib/data/README.md``.

    Parameters
    ----------
    path : path or None
        Read this UTF-8 file (one sentence per line) instead of the shipped ``reviews_unlabelled.txt``. Raises
        ``FileNotFoundError`` naming the path when it does not exist.

    Returns
    -------
    list of str, the sentences in file order (empty lines are skipped).
    """
    return [line for line in _read_text(path, "reviews_unlabelled.txt").split("\n") if line.strip()]
