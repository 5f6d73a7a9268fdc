"""Tests of course_lib.model: parameters, initialisation, forward pass and predictions against an independent NumPy
computation, dtypes, stability with huge weights, and saving/loading (round trip, damaged files, atomic writes)."""

import gc
import os
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib import MLP, losses
from course_lib.model import init_weights

CONFIGS = [  # (layer_sizes, activation, output)
    ([4, 6, 3], "relu", "softmax"),
    ([4, 5, 1], "tanh", "sigmoid"),
    ([4, 5, 3, 3], "sigmoid", "sigmoid"),
    ([4, 7, 1], "relu", "identity"),
    ([4, 3, 2], "tanh", "identity"),
]


def random_model(sizes, activation, output, dtype="float64", seed=0):
    """A model with random weights and biases (biases start at 0, which would hide bias bugs)."""
    model = MLP(sizes, activation=activation, output=output, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 100)
    model.set_weights([rng.normal(0, 1, size=p.shape) for p in model.params])
    return model


def targets(model, m, rng):
    if model.output == "softmax":
        return rng.integers(0, model.n_outputs, size=m)
    if model.output == "sigmoid":
        y = (rng.random((m, model.n_outputs)) < 0.5).astype(float)
    else:
        y = rng.normal(size=(m, model.n_outputs))
    return y[:, 0] if model.n_outputs == 1 else y


def reference_forward(model, X):
    """The network output computed independently, one sample and one unit at a time."""
    g = {"relu": lambda v: max(v, 0.0), "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[model.activation]
    W = model.params[0::2]
    b = model.params[1::2]
    out = []
    for x in np.asarray(X, dtype=np.float64):
        a = list(x)
        for l in range(model.n_layers):
            z = [sum(a[j] * W[l][j, k] for j in range(len(a))) + b[l][k] for k in range(W[l].shape[1])]
            a = z if l == model.n_layers - 1 else [g(v) for v in z]
        if model.output == "softmax":
            e = np.exp(np.array(a) - max(a))
            a = list(e / e.sum())
        elif model.output == "sigmoid":
            a = [1 / (1 + np.exp(-v)) for v in a]
        out.append(a)
    return np.array(out)


# ---------------------------------------------------------------------------------------------- parameters
def test_n_params_examples():
    assert MLP([10, 5, 1], output="sigmoid").n_params == 61
    assert MLP([784, 256, 10]).n_params == 203_530
    assert MLP([2, 3]).n_params == 9


@given(sizes=st.lists(st.integers(1, 12), min_size=2, max_size=5))
def test_n_params_formula_and_shapes(sizes):
    model = MLP(sizes, output="identity")
    assert model.n_params == sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    assert model.n_layers == len(sizes) - 1
    assert model.n_features == sizes[0] and model.n_outputs == sizes[-1]
    assert [p.shape for p in model.params] == [
        shape for n_in, n_out in zip(sizes[:-1], sizes[1:]) for shape in ((n_in, n_out), (n_out,))
    ]
    for b in model.params[1::2]:
        assert_array_equal(b, 0.0)


def test_get_weights_returns_copies():
    model = MLP([3, 4, 2])
    weights = model.get_weights()
    for w, p in zip(weights, model.params):
        assert w is not p
        assert_array_equal(w, p)
        w += 1.0
    assert not np.array_equal(weights[0], model.params[0])


def test_set_weights_copies_and_keeps_the_same_arrays():
    """Optimizers hold references to model.params: set_weights must update those arrays in place."""
    model = MLP([3, 4, 2])
    ids = [id(p) for p in model.params]
    rng = np.random.default_rng(0)
    new = [rng.normal(size=p.shape) for p in model.params]
    model.set_weights(new)
    assert [id(p) for p in model.params] == ids
    for p, w in zip(model.params, new):
        assert p is not w
        assert p.dtype == np.float32
        assert_array_equal(p, w.astype(np.float32))
    new[0][...] = 123.0  # changing the source afterwards does not change the model
    assert not np.any(model.params[0] == 123.0)


def test_set_weights_accepts_tuples_and_nested_lists():
    model = MLP([2, 1], output="identity")
    model.set_weights(([[1.0], [2.0]], [0.5]))
    assert_array_equal(model.predict(np.array([[1.0, 1.0]])), [3.5])


def test_same_seed_gives_identical_weights_and_different_seeds_differ():
    a, b, c = MLP([20, 10, 3], seed=42), MLP([20, 10, 3], seed=42), MLP([20, 10, 3], seed=43)
    for p, q in zip(a.params, b.params):
        assert p.tobytes() == q.tobytes()
    assert not np.array_equal(a.params[0], c.params[0])
    assert not np.array_equal(a.params[2], c.params[2])


def test_seed_none_is_random():
    a, b = MLP([20, 10, 3], seed=None), MLP([20, 10, 3], seed=None)
    assert a.seed is None
    assert not np.array_equal(a.params[0], b.params[0])


def test_float32_and_float64_start_from_the_same_weights():
    a, b = MLP([5, 4, 2], seed=3), MLP([5, 4, 2], seed=3, dtype="float64")
    for p, q in zip(a.params, b.params):
        assert_allclose(p, q, rtol=1e-7)


@pytest.mark.parametrize("init", ["he", "glorot"])
def test_initialisation_statistics(init):
    n_in, n_out = 1000, 500
    W = MLP([n_in, n_out], init=init, seed=0, dtype="float64").params[0]
    if init == "he":
        expected_var = 2.0 / n_in
    else:
        r = np.sqrt(6.0 / (n_in + n_out))
        expected_var = r**2 / 3  # = 2 / (n_in + n_out)
        assert np.abs(W).max() <= r
        assert np.abs(W).max() > 0.99 * r
    assert abs(W.mean()) < 4 * np.sqrt(expected_var / W.size)
    assert W.var() == pytest.approx(expected_var, rel=0.02)


def test_init_weights_directly():
    rng = np.random.default_rng(0)
    W = init_weights(3, 2, "glorot", rng)
    assert W.shape == (3, 2) and W.dtype == np.float64
    with pytest.raises(ValueError, match="init"):
        init_weights(3, 2, "uniform", rng)


# ---------------------------------------------------------------------------------------------- forward and predictions
@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
def test_forward_matches_independent_computation(sizes, activation, output):
    model = random_model(sizes, activation, output)
    X = np.random.default_rng(1).normal(size=(5, sizes[0]))
    out = model.forward(X)
    assert out.shape == (5, sizes[-1])
    assert_allclose(out, reference_forward(model, X), rtol=1e-12, atol=1e-14)
    assert_allclose(model.output_activation(model.logits(X)), out, rtol=1e-15)


@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
def test_loss_is_the_loss_of_the_logits(sizes, activation, output):
    model = random_model(sizes, activation, output)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, sizes[0]))
    y = targets(model, 6, rng)
    z = model.logits(X)
    if output == "softmax":
        expected = losses.categorical_cross_entropy_from_logits(z, y)
    elif output == "sigmoid":
        expected = losses.binary_cross_entropy_from_logits(z, y.reshape(z.shape))
    else:
        expected = losses.mean_squared_error(z, y.reshape(z.shape))
    assert model.loss(X, y) == pytest.approx(expected, rel=1e-14)
    loss, grads = model.loss_and_grads(X, y)
    assert loss == pytest.approx(expected, rel=1e-14)
    assert [g.shape for g in grads] == [p.shape for p in model.params]


def test_one_output_accepts_column_targets():
    model = random_model([3, 4, 1], "tanh", "sigmoid")
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    assert model.loss(X, y) == model.loss(X, y.reshape(-1, 1))


def test_softmax_predictions():
    model = random_model([4, 6, 3], "relu", "softmax")
    X = np.random.default_rng(4).normal(size=(8, 4))
    P = model.predict_proba(X)
    assert P.shape == (8, 3)
    assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    assert_array_equal(model.predict(X), P.argmax(axis=1))
    assert model.predict(X).shape == (8,)


def test_single_sigmoid_unit_predictions():
    """predict_proba has one column per class, [1 - p, p], as in scikit-learn; predict thresholds at 0.5."""
    model = random_model([4, 5, 1], "tanh", "sigmoid")
    X = np.random.default_rng(5).normal(size=(9, 4))
    p = model.forward(X)[:, 0]
    P = model.predict_proba(X)
    assert P.shape == (9, 2)
    assert_allclose(P[:, 1], p)
    assert_allclose(P[:, 0], 1 - p)
    assert_array_equal(model.predict(X), (p > 0.5).astype(int))
    assert model.predict(X).shape == (9,)
    assert model.predict(X).dtype.kind == "i"
    assert 0 < model.predict(X).sum() < 9  # both classes occur, so the threshold was really tested


def test_multilabel_sigmoid_predictions():
    model = random_model([4, 5, 3], "relu", "sigmoid")
    X = np.random.default_rng(6).normal(size=(7, 4))
    P = model.predict_proba(X)
    assert P.shape == (7, 3)
    assert_array_equal(model.predict(X), (P > 0.5).astype(int))


def test_identity_predictions():
    one = random_model([4, 5, 1], "relu", "identity")
    several = random_model([4, 5, 2], "relu", "identity")
    X = np.random.default_rng(7).normal(size=(6, 4))
    assert_array_equal(one.predict(X), one.forward(X)[:, 0])
    assert one.predict(X).shape == (6,)
    assert_array_equal(several.predict(X), several.forward(X))
    with pytest.raises(TypeError, match="predict_proba.*identity"):
        one.predict_proba(X)


def test_inputs_may_be_lists():
    model = random_model([2, 3, 2], "relu", "softmax")
    X = [[0.5, -1.0], [2.0, 0.0]]
    assert_array_equal(model.forward(X), model.forward(np.array(X)))
    assert model.loss(X, [0, 1]) == model.loss(np.array(X), np.array([0, 1]))


@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_through_forward_and_gradients(sizes, activation, output, dtype):
    model = random_model(sizes, activation, output, dtype=dtype)
    rng = np.random.default_rng(8)
    X = rng.normal(size=(5, sizes[0]))  # float64 input for both models
    y = targets(model, 5, rng)
    assert model.forward(X).dtype == dtype
    assert model.logits(X).dtype == dtype
    _, grads = model.loss_and_grads(X, y)
    assert all(g.dtype == dtype for g in grads)
    assert all(p.dtype == dtype for p in model.params)
    if output != "identity":
        assert model.predict_proba(X).dtype == dtype
    X32 = X.astype(np.float32)
    assert_allclose(model.forward(X32), random_model(sizes, activation, output).forward(X32), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [1e2, 1e4])
def test_loss_is_finite_for_huge_weights(sizes, activation, output, dtype, scale):
    model = random_model(sizes, activation, output, dtype=dtype)
    model.set_weights([p * scale for p in model.get_weights()])
    rng = np.random.default_rng(9)
    X = rng.normal(size=(6, sizes[0]))
    y = targets(model, 6, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = model.loss_and_grads(X, y)
        P = model.forward(X)
    assert np.isfinite(loss) and loss >= 0
    assert all(np.isfinite(g).all() for g in grads)
    assert np.isfinite(P).all()
    if output != "identity":
        assert ((P >= 0) & (P <= 1)).all()


def test_confidently_wrong_loss_is_exact_for_huge_logits():
    model = MLP([1, 2], output="softmax", dtype="float32")
    model.set_weights([np.array([[5e3, -5e3]]), np.zeros(2)])
    X = np.array([[1.0], [-1.0]])
    # logits (5e3, -5e3) and (-5e3, 5e3), both labelled against: cost 1e4 each
    assert model.loss(X, [1, 0]) == pytest.approx(1e4, rel=1e-6)
    assert model.loss(X, [0, 1]) == pytest.approx(0.0, abs=1e-6)


def test_repr_and_config_rebuild_the_model():
    model = MLP([3, 4, 2], activation="tanh", output="sigmoid", init="glorot", seed=5, dtype="float64")
    clone = MLP(**model.config())
    assert clone.config() == model.config()
    for p, q in zip(model.params, clone.params):
        assert_array_equal(p, q)
    assert "MLP([3, 4, 2]" in repr(model) and "tanh" in repr(model)
    assert eval(repr(model), {"MLP": MLP}).config() == model.config()


# ---------------------------------------------------------------------------------------------- save / load
@pytest.mark.parametrize("sizes,activation,output", CONFIGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_round_trip(tmp_path, sizes, activation, output, dtype):
    model = random_model(sizes, activation, output, dtype=dtype)
    path = model.save(tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    loaded = MLP.load(path)
    assert loaded.config() == model.config()
    for p, q in zip(model.params, loaded.params):
        assert p.dtype == q.dtype
        assert_array_equal(p, q)
    X = np.random.default_rng(10).normal(size=(5, sizes[0]))
    assert_array_equal(loaded.forward(X), model.forward(X))
    assert_array_equal(loaded.predict(X), model.predict(X))


def test_save_appends_the_suffix_and_creates_directories(tmp_path):
    model = MLP([3, 2], seed=None)
    path = model.save(tmp_path / "sub" / "dir" / "model")
    assert path == tmp_path / "sub" / "dir" / "model.npz"
    assert path.is_file()
    loaded = MLP.load(str(path))
    assert loaded.seed is None
    assert_array_equal(loaded.params[0], model.params[0])


def test_save_overwrites(tmp_path):
    path = tmp_path / "m.npz"
    MLP([3, 2], seed=1).save(path)
    second = MLP([3, 4, 2], seed=2)
    second.save(path)
    assert MLP.load(path).config() == second.config()
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        MLP.load(tmp_path / "nothing.npz")


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # an unclosed file (ResourceWarning)
def test_load_truncated_file(tmp_path, fraction):
    path = MLP([5, 4, 3], seed=1).save(tmp_path / "m.npz")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="m.npz.*not a readable course_lib model"):
            MLP.load(path)
        gc.collect()


def test_load_corrupted_file(tmp_path):
    """Every single flipped byte either changes nothing that is read or gives a ValueError: never another
    exception and never silently different weights."""
    model = MLP([3, 2, 2], seed=1)
    path = model.save(tmp_path / "m.npz")
    data = path.read_bytes()
    n_errors = 0
    for pos in range(0, len(data), 7):
        damaged = bytearray(data)
        damaged[pos] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            loaded = MLP.load(path)
        except ValueError as exc:
            assert "m.npz" in str(exc)
            n_errors += 1
        else:
            assert loaded.config() == model.config()
            for p, q in zip(model.params, loaded.params):
                assert_array_equal(p, q)
    assert n_errors > len(data) // 14  # most positions matter


def test_load_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    rng = np.random.default_rng(0)
    np.savez(path, rng.normal(size=(3, 3)), weights=rng.normal(size=4))
    with pytest.raises(ValueError, match="foreign.npz.*not a course_lib model file"):
        MLP.load(path)


def test_load_single_npy_array(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match="array.npy.*not a course_lib model file"):
        MLP.load(path)


def test_load_text_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("layer_sizes = [3, 2]\nthis is not a model\n")
    with pytest.raises(ValueError, match="model.npz.*not a readable course_lib model"):
        MLP.load(path)


def test_load_empty_file_and_directory(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.npz"):
        MLP.load(tmp_path / "empty.npz")
    with pytest.raises(ValueError, match="not a readable"):
        MLP.load(tmp_path)


def _saved_contents(tmp_path):
    path = MLP([3, 4, 2], seed=1).save(tmp_path / "m.npz")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c.pop("param_3"), "damaged.*param_3"),
        (lambda c: c.update(param_0=np.zeros((4, 3))), "damaged.*weights\\[0\\].*shape"),
        (lambda c: c.update(param_1=np.array([np.nan, 0, 0, 0])), "damaged.*finite"),
        (lambda c: c.update(activation=np.array("swish")), "damaged.*activation"),
        (lambda c: c.pop("format_version"), "damaged.*format_version"),
        (lambda c: c.update(format_version=np.array(2)), "format version 2"),
        (lambda c: c.pop("layer_sizes"), "damaged.*layer_sizes"),
    ],
)
def test_load_damaged_model_file(tmp_path, change, message):
    contents = _saved_contents(tmp_path)
    change(contents)
    path = tmp_path / "damaged.npz"
    np.savez(path, **contents)
    with pytest.raises(ValueError, match=message):
        MLP.load(path)


class _Canary:
    """Unpickling this object would create a directory: the proof that a loader ran pickle."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_load_never_unpickles(tmp_path):
    canary = tmp_path / "unpickled"
    contents = _saved_contents(tmp_path)
    contents["param_0"] = np.array([_Canary(str(canary))], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **contents)  # np.savez pickles object arrays
    with np.load(path, allow_pickle=True) as data:  # the canary works when pickle is allowed ...
        data["param_0"]
    assert canary.is_dir()
    canary.rmdir()
    with pytest.raises(ValueError, match="evil.npz.*not a readable course_lib model.*allow_pickle"):
        MLP.load(path)
    assert not canary.exists()  # ... and MLP.load never ran it


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    old = MLP([3, 4, 2], seed=1)
    old.save(path)
    before = path.read_bytes()

    def failing_savez(file, *args, **kwds):
        file.write(b"PK\x03\x04 half an archive")  # some bytes reach the temporary file, then the failure
        raise error

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(type(error)):
        MLP([3, 5, 2], seed=2).save(path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
    X = np.random.default_rng(0).normal(size=(4, 3))
    assert_array_equal(MLP.load(path).forward(X), old.forward(X))


def test_interrupted_first_save_leaves_nothing(tmp_path, monkeypatch):
    def failing_savez(file, *args, **kwds):
        file.write(b"PK")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        MLP([3, 2]).save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []
