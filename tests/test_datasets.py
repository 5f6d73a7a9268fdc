"""Tests of course_lib.datasets. No test touches the network: MNIST is served from small IDX files written here,
through file:// URLs or a replaced opener."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits as sk_load_digits
from sklearn.linear_model import LogisticRegression

from course_lib import datasets
from course_lib.datasets import (
    ChecksumError,
    DatasetUnavailableError,
    load_digits,
    load_mnist,
    make_binary_classification,
    make_moons,
    make_spirals,
    read_idx,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any URL other than file:// fails as if offline."""
    real = datasets._urlopen

    def offline(url, timeout):
        if not url.startswith("file:"):
            raise urllib.error.URLError(f"network disabled in tests ({url})")
        return real(url, timeout)

    monkeypatch.setattr(datasets, "_urlopen", offline)


# ---------------------------------------------------------------------------------------------- load_digits
def test_load_digits_shapes_dtypes_and_scaling():
    X_train, X_test, y_train, y_test = load_digits()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert X_test.min() >= 0.0 and X_test.max() <= 1.0
    assert set(np.unique(y_train)) == set(range(10))


def test_load_digits_is_a_partition_of_the_sklearn_data():
    X, y = sk_load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = load_digits(scale=False)
    assert X_train.max() == 16.0
    got = np.vstack([np.c_[X_train, y_train], np.c_[X_test, y_test]])
    want = np.c_[X, y].astype(np.float32)
    # same rows as a multiset: sort both lexicographically
    assert_array_equal(got[np.lexsort(got.T[::-1])], want[np.lexsort(want.T[::-1])])
    # scaled version is the raw one divided by 16, same split
    X_train_s, X_test_s, y_train_s, _ = load_digits(scale=True)
    assert_allclose(X_train_s, X_train / 16.0)
    assert_array_equal(y_train_s, y_train)


def test_load_digits_split_is_stratified_and_reproducible():
    _, _, y_train, y_test = load_digits(test_size=0.25, seed=3)
    _, y_full = sk_load_digits(return_X_y=True)
    expected_test = np.bincount(y_full) * 0.25
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - expected_test) <= 1)
    again = load_digits(test_size=0.25, seed=3)
    assert_array_equal(again[3], y_test)
    other = load_digits(test_size=0.25, seed=4)
    assert not np.array_equal(other[3], y_test)


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5])
def test_load_digits_rejects_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size"):
        load_digits(test_size=test_size)


# ---------------------------------------------------------------------------------------------- toy problems
def test_make_binary_classification_default_is_100_by_10_and_reproducible():
    X, y = make_binary_classification()
    assert X.shape == (100, 10) and X.dtype == np.float32
    assert y.shape == (100,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    X2, y2 = make_binary_classification()
    assert_array_equal(X, X2)
    assert_array_equal(y, y2)
    X3, _ = make_binary_classification(seed=1)
    assert not np.array_equal(X, X3)


def test_make_binary_classification_follows_the_documented_recipe():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 4))
    w = rng.standard_normal(4)
    eps = rng.standard_normal(50)
    y = (X @ w / np.linalg.norm(w) + 0.5 * eps > 0).astype(int)
    X_got, y_got = make_binary_classification(50, 4, seed=7)
    assert_allclose(X_got, X, rtol=1e-6)
    assert_array_equal(y_got, y)


def test_make_binary_classification_is_learnable():
    X, y = make_binary_classification(n_samples=2000, n_features=10, seed=0)
    clf = LogisticRegression().fit(X[:1000], y[:1000])
    assert clf.score(X[1000:], y[1000:]) > 0.75  # noise 0.5 caps it near 0.85
    assert 0.3 < y.mean() < 0.7
    # noiseless labels are linearly separable
    Xn, yn = make_binary_classification(n_samples=300, seed=0, noise=0.0)
    assert LogisticRegression(C=1e4, max_iter=1000).fit(Xn, yn).score(Xn, yn) == 1.0


def test_make_binary_classification_validates_arguments():
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1; got 0"):
        make_binary_classification(n_samples=0)
    with pytest.raises(TypeError, match="n_features"):
        make_binary_classification(n_features=2.5)
    with pytest.raises(ValueError, match="noise"):
        make_binary_classification(noise=-1.0)


@pytest.mark.parametrize("n_samples, n_classes", [(300, 2), (301, 3), (7, 7)])
def test_make_spirals_shapes_and_class_sizes(n_samples, n_classes):
    X, y = make_spirals(n_samples, n_classes=n_classes, noise=0.1, seed=0)
    assert X.shape == (n_samples, 2) and X.dtype == np.float32
    assert y.shape == (n_samples,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == n_classes and counts.sum() == n_samples
    assert counts.max() - counts.min() <= 1


def test_make_spirals_geometry():
    X, y = make_spirals(200, n_classes=2, noise=0.0, seed=0)
    r = np.linspace(0, 1, 100)
    # radius is the documented r in [0, 1]; the noise acts on the angle only
    assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), r, atol=1e-6)
    # without noise the second arm is the first one rotated by pi: x -> -x
    assert_allclose(X[y == 1], -X[y == 0], atol=1e-6)
    # a linear classifier is near chance; the classes are not linearly separable
    Xn, yn = make_spirals(400, noise=0.2, seed=0)
    assert LogisticRegression().fit(Xn, yn).score(Xn, yn) < 0.7


def test_make_spirals_validates_arguments():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2; got 1"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples must be >= n_classes"):
        make_spirals(2, n_classes=3)


def test_make_moons_wraps_sklearn():
    X, y = make_moons(50, noise=0.1, seed=0)
    assert X.shape == (50, 2) and X.dtype == np.float32
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert_array_equal(make_moons(50, noise=0.1, seed=0)[0], X)


# ---------------------------------------------------------------------------------------------- IDX
def idx_bytes(arr: np.ndarray, code: int | None = None) -> bytes:
    """Independent IDX writer: magic 00 00 code ndim, big-endian uint32 dims, big-endian data."""
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}
    if code is None:
        code = codes[arr.dtype.type]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", n) for n in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_uint8_images_and_labels(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    suffix = ".gz" if gz else ""
    img = read_idx(write(tmp_path / f"images-idx3-ubyte{suffix}", idx_bytes(images), gz))
    lab = read_idx(write(tmp_path / f"labels-idx1-ubyte{suffix}", idx_bytes(labels), gz))
    assert img.dtype == np.uint8 and img.shape == (5, 28, 28)
    assert_array_equal(img, images)
    assert_array_equal(lab, labels)
    # the header bytes are exactly the documented ones
    assert idx_bytes(images)[:16] == b"\x00\x00\x08\x03" + struct.pack(">III", 5, 28, 28)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_other_types_are_big_endian(tmp_path, dtype):
    arr = (np.arange(-6, 6).reshape(3, 4) * 3).astype(dtype)
    got = read_idx(write(tmp_path / "a.idx", idx_bytes(arr)))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert_array_equal(got, arr)


def test_read_idx_reads_gzip_by_content_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8)
    assert_array_equal(read_idx(write(tmp_path / "no-suffix", idx_bytes(arr), gz=True)), arr)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 2) + b"ab", "two zero bytes"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"ab", "unknown IDX type code 0x07"),
        (b"\x00\x00", "fewer than the 4-byte magic number"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"abc", r"announces shape \(5,\).*holds 3 bytes"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"abcd", "holds 4 bytes"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_rejects_corrupt_files(tmp_path, data, match, gz):
    with pytest.raises(ValueError, match=match):
        read_idx(write(tmp_path / "bad.idx", data, gz))


def test_read_idx_truncated_gzip_and_missing_file(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((100, 100), np.uint8)))
    with pytest.raises(ValueError, match="not a readable IDX file"):
        read_idx(write(tmp_path / "cut.gz", good[: len(good) // 2]))
    with pytest.raises(FileNotFoundError, match="nope"):
        read_idx(tmp_path / "nope")


# ---------------------------------------------------------------------------------------------- MNIST
@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A mirror folder with tiny MNIST look-alikes (6 training and 4 test images) and the checksum table
    patched to theirs. Returns (mirror URL, arrays)."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.array([0, 1, 2, 3, 4, 9], dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.array([5, 6, 7, 8], dtype=np.uint8),
    }
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    table = {}
    for name, arr in arrays.items():
        data = gzip.compress(idx_bytes(arr), mtime=0)
        (mirror / name).write_bytes(data)
        table[name] = (hashlib.sha256(data).hexdigest(), len(data))
    monkeypatch.setattr(datasets, "MNIST_FILES", table)
    return mirror.as_uri() + "/", arrays


def test_mnist_constants_are_well_formed():
    assert set(datasets.MNIST_FILES) == set(datasets.MNIST_MD5) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    for sha, size in datasets.MNIST_FILES.values():
        assert len(sha) == 64 and int(sha, 16) >= 0 and size > 0
    assert all(m.startswith("https://") and m.endswith("/") for m in datasets.MNIST_MIRRORS)
    assert issubclass(DatasetUnavailableError, OSError) and issubclass(ChecksumError, OSError)


def test_load_mnist_downloads_verifies_caches_and_parses(tmp_path, fake_mnist):
    url, arrays = fake_mnist
    cache = tmp_path / "cache"
    X_train, X_test, y_train, y_test = load_mnist(cache, mirrors=[url])
    assert X_train.shape == (6, 784) and X_test.shape == (4, 784)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert_allclose(X_train, arrays["train-images-idx3-ubyte.gz"].reshape(6, -1) / 255.0, rtol=1e-6)
    assert_array_equal(y_test, [5, 6, 7, 8])
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(arrays)  # no temporary files left
    # unscaled, unflattened
    X_raw, _, _, _ = load_mnist(cache, download=False, flatten=False, scale=False)
    assert X_raw.dtype == np.uint8 and X_raw.shape == (6, 28, 28)
    assert_array_equal(X_raw, arrays["train-images-idx3-ubyte.gz"])


def test_load_mnist_uses_the_cache_without_network(tmp_path, fake_mnist, monkeypatch):
    url, _ = fake_mnist
    load_mnist(tmp_path, mirrors=[url])
    calls = []
    monkeypatch.setattr(datasets, "_urlopen", lambda u, t: calls.append(u))
    X_train, *_ = load_mnist(tmp_path, mirrors=[url])  # download=True, but everything is cached
    assert calls == [] and len(X_train) == 6


def test_cache_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_LIB_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.mnist_dir() == tmp_path / "home" / ".cache" / "course_lib" / "mnist"
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path / "env"))
    assert datasets.mnist_dir() == tmp_path / "env" / "mnist"
    assert datasets.mnist_dir(tmp_path / "arg") == tmp_path / "arg" / "mnist"  # the argument wins


def test_load_mnist_reads_the_env_var_folder(tmp_path, fake_mnist, monkeypatch):
    url, _ = fake_mnist
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path / "env"))
    load_mnist(mirrors=[url])
    assert len(list((tmp_path / "env" / "mnist").glob("*.gz"))) == 4


def test_offline_raises_a_helpful_oserror(tmp_path, fake_mnist):
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist(tmp_path, mirrors=["https://example.invalid/mnist/"])
    msg = str(info.value)
    assert isinstance(info.value, OSError)
    assert "internet connection once" in msg
    assert str(tmp_path / "mnist") in msg
    assert "load_digits" in msg
    assert "network disabled" in msg  # the underlying reason is reported
    assert not any((tmp_path / "mnist").iterdir())  # nothing half-written


def test_download_false_with_empty_cache(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        load_mnist(tmp_path, download=False)


def test_checksum_mismatch_is_an_error_and_leaves_no_file(tmp_path, fake_mnist, monkeypatch):
    url, _ = fake_mnist
    table = dict(datasets.MNIST_FILES)
    table["t10k-labels-idx1-ubyte.gz"] = ("0" * 64, 1)
    monkeypatch.setattr(datasets, "MNIST_FILES", table)
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz.*wrong checksum") as info:
        load_mnist(tmp_path, mirrors=[url])
    assert "0" * 64 in str(info.value) and "deleted" in str(info.value)
    names = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert "t10k-labels-idx1-ubyte.gz" not in names
    assert not any(n.endswith(".part") for n in names)


def test_bad_mirror_falls_back_to_the_next(tmp_path, fake_mnist):
    url, _ = fake_mnist
    bad = tmp_path / "bad_mirror"
    bad.mkdir()
    for name in datasets.MNIST_FILES:
        (bad / name).write_bytes(b"not mnist")
    X_train, *_ = load_mnist(tmp_path / "cache", mirrors=[bad.as_uri(), url])  # no trailing slash: added
    assert X_train.shape == (6, 784)


def test_corrupt_cached_file_is_deleted_and_fetched_again(tmp_path, fake_mnist):
    url, arrays = fake_mnist
    load_mnist(tmp_path, mirrors=[url])
    cached = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    cached.write_bytes(b"garbage")
    with pytest.raises(DatasetUnavailableError, match="wrong SHA-256 checksum and was deleted"):
        load_mnist(tmp_path, download=False)
    assert not cached.exists()
    _, _, y_train, _ = load_mnist(tmp_path, mirrors=[url])
    assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])


@pytest.mark.parametrize(
    "error",
    [ConnectionResetError("connection lost"), http.client.IncompleteRead(b"x" * 10, 90), TimeoutError("timed out")],
)
def test_interrupted_download_leaves_no_partial_file(tmp_path, fake_mnist, monkeypatch, error):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > 0:
                raise error
            return super().read(10)

    monkeypatch.setattr(datasets, "_urlopen", lambda url, timeout: Broken(b"x" * 100))
    with pytest.raises(DatasetUnavailableError, match="https://example.invalid/train-images") as info:
        load_mnist(tmp_path, mirrors=["https://example.invalid/"])
    assert "from https://example.invalid/;" in str(info.value)  # the mirrors actually tried are named
    assert list((tmp_path / "mnist").iterdir()) == []


def test_http_error_is_reported(tmp_path, monkeypatch):
    def not_found(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(datasets, "_urlopen", not_found)
    with pytest.raises(DatasetUnavailableError, match="HTTP Error 404: Not Found"):
        load_mnist(tmp_path, mirrors=["https://example.invalid/"])


def test_load_mnist_validates_mirrors(tmp_path):
    with pytest.raises(ValueError, match="mirrors must be a non-empty list"):
        load_mnist(tmp_path, mirrors="https://example.invalid/")
    with pytest.raises(ValueError, match="mirrors must be a non-empty list"):
        load_mnist(tmp_path, mirrors=[])
