"""Tests of what LLM training adds to course_lib.optimizers: AdamW, clipping by global norm, learning-rate schedules.

Against Keras 3 (``keras.optimizers.AdamW``, ``global_clipnorm``, ``keras.optimizers.schedules.CosineDecay``), against
hand-computed values, hypothesis properties, and the errors bad arguments raise.
"""

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib.optimizers import SGD, Adam, AdamW, RMSprop, clip_by_global_norm, decay_mask_ndim2
from course_lib.schedules import CosineDecay, WarmupCosine

SHAPES = [(8, 5), (5,), (3, 4, 2), (7,)]  # matrices and vectors, like [W1, b1, ..., gamma]
N_STEPS = 20
TOL = {"float32": dict(rtol=1e-6, atol=1e-7), "float64": dict(rtol=1e-12, atol=1e-15)}


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("tensorflow", reason="TensorFlow is not installed; the comparison with Keras is skipped")
    import keras

    keras.utils.set_random_seed(0)
    return keras


def _problem(dtype, n_steps=N_STEPS, seed=0):
    """Random parameters, and gradients whose global norm varies from about 0.01 to 80 from step to step."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    scales = rng.choice([1e-3, 1.0, 10.0], size=n_steps)
    grads = [[rng.normal(scale=scale, size=s).astype(dtype) for s in SHAPES] for scale in scales]
    return params, grads


def _run_ours(opt, params, grads):
    params = [p.copy() for p in params]
    norms = []
    for g in grads:
        opt.step(params, g)
        norms.append(opt.last_grad_norm)
    return params, norms


def _run_keras(keras, opt, params, grads, dtype, exclude=None):
    variables = [keras.Variable(p.copy(), dtype=dtype) for p in params]
    if exclude is not None:
        opt.exclude_from_weight_decay(var_list=[v for v, e in zip(variables, exclude) if e])
    for g in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(gi) for gi in g], variables))
    return [np.asarray(v.numpy()) for v in variables]


def _assert_close(ours, theirs, dtype):
    for p, k in zip(ours, theirs):
        assert p.dtype == np.dtype(dtype)
        assert_allclose(p, k, **TOL[dtype])


# ---------------------------------------------------------------------- AdamW against Keras
# In float64 Keras rounds the learning rate (a float32 variable), the betas, the weight decay and a schedule's
# warm-up target to float32; the float64 cases use values that float32 represents exactly.
HYPER = {
    "float32": dict(lr=0.01, wd=0.1, ours=dict(), theirs=dict()),
    "float64": dict(lr=2**-7, wd=0.125, ours=dict(beta1=0.875, beta2=1 - 2**-10),
                    theirs=dict(beta_1=0.875, beta_2=1 - 2**-10)),
}
EXCLUDE = [False, True, False, True]  # the two vectors excluded, as biases and LayerNorm parameters are


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", ["decay-all", "exclude", "clip", "schedule-clip"])
def test_adamw_matches_keras(keras, dtype, variant):
    h = HYPER[dtype]
    params, grads = _problem(dtype)
    ours_kw, theirs_kw, exclude = dict(h["ours"]), dict(h["theirs"]), None
    lr_ours = lr_theirs = h["lr"]
    if variant == "exclude":
        ours_kw["exclude_from_weight_decay"] = exclude = EXCLUDE
    elif variant in ("clip", "schedule-clip"):
        ours_kw["global_clipnorm"] = theirs_kw["global_clipnorm"] = 5.0
    if variant == "schedule-clip":
        # a Python float would make Keras compute the schedule in float32; np.float64 keeps float64
        initial = np.float32(0.0) if dtype == "float32" else np.float64(0.0)
        lr_ours = CosineDecay(0.0, 20, alpha=0.125, warmup_target=0.0625, warmup_steps=5)
        lr_theirs = keras.optimizers.schedules.CosineDecay(initial, 20, alpha=0.125, warmup_target=0.0625,
                                                           warmup_steps=5)
    opt = AdamW(lr_ours, weight_decay=h["wd"], **ours_kw)
    ours, norms = _run_ours(opt, params, grads)
    theirs = _run_keras(keras, keras.optimizers.AdamW(lr_theirs, weight_decay=h["wd"], **theirs_kw), params, grads,
                        dtype, exclude)
    _assert_close(ours, theirs, dtype)
    if variant.endswith("clip"):  # some steps were clipped and some were not
        assert min(norms) < 5.0 < max(norms)
    if exclude is not None:
        assert opt.decayed() == [not e for e in EXCLUDE]
        # the same exclusion given as a function (index, array) -> bool
        ours_kw["exclude_from_weight_decay"] = lambda i, p: p.ndim < 2
        by_callable, _ = _run_ours(AdamW(lr_ours, weight_decay=h["wd"], **ours_kw), params, grads)
        for x, y in zip(by_callable, ours):
            assert_array_equal(x, y)


@pytest.mark.parametrize(
    "make, make_keras",
    [
        (lambda: SGD(0.01, momentum=0.9, global_clipnorm=5.0),
         lambda k: k.optimizers.SGD(0.01, momentum=0.9, global_clipnorm=5.0)),
        (lambda: RMSprop(2**-7, global_clipnorm=5.0), lambda k: k.optimizers.RMSprop(2**-7, global_clipnorm=5.0)),
        (lambda: Adam(0.01, global_clipnorm=5.0), lambda k: k.optimizers.Adam(0.01, global_clipnorm=5.0)),
    ],
    ids=["sgd-momentum", "rmsprop", "adam"],
)
def test_global_clipnorm_matches_keras(keras, make, make_keras):
    params, grads = _problem("float32", n_steps=20, seed=1)
    ours, norms = _run_ours(make(), params, grads)
    theirs = _run_keras(keras, make_keras(keras), params, grads, "float32")
    _assert_close(ours, theirs, "float32")
    assert min(norms) < 5.0 < max(norms)


def test_adamw_accepts_a_keras_schedule_object(keras):
    """Any callable step -> lr works as ``lr``; a Keras schedule gives the same weights as ours."""
    params, grads = _problem("float32", n_steps=10)
    kw = dict(initial_learning_rate=0.01, decay_steps=8, alpha=0.1)
    ours, _ = _run_ours(AdamW(CosineDecay(**kw)), params, grads)
    via_keras, _ = _run_ours(AdamW(keras.optimizers.schedules.CosineDecay(**kw)), params, grads)
    _assert_close(ours, via_keras, "float32")


# ---------------------------------------------------------------------- schedules against Keras
COSINE_CONFIGS = [
    dict(initial_learning_rate=0.01, decay_steps=100),
    dict(initial_learning_rate=0.01, decay_steps=100, alpha=0.1),
    dict(initial_learning_rate=0.0, decay_steps=100, alpha=0.125, warmup_target=0.0625, warmup_steps=20),
    dict(initial_learning_rate=0.001, decay_steps=50, warmup_target=0.0625, warmup_steps=20),
    dict(initial_learning_rate=0.001, decay_steps=30, alpha=0.5, warmup_target=0.0625, warmup_steps=0),
]


@pytest.mark.parametrize("config", COSINE_CONFIGS, ids=range(len(COSINE_CONFIGS)))
def test_cosine_decay_matches_keras(keras, config):
    W, D = config.get("warmup_steps", 0), config["decay_steps"]
    # the ends and both sides of every boundary, and points in between (Keras's schedule is called step by step)
    steps = np.unique(np.r_[0, 1, 2, W // 2, W - 1, W, W + 1, np.linspace(W, W + D, 12).round(), W + D - 1,
                            W + D, W + D + 1, W + D + 10].clip(0)).astype(int)
    ours = CosineDecay(**config)(steps)
    # Keras computes in the dtype of initial_learning_rate: float32 for a Python float, float64 for np.float64
    k32 = keras.optimizers.schedules.CosineDecay(**config)
    k64 = keras.optimizers.schedules.CosineDecay(**{**config, "initial_learning_rate":
                                                    np.float64(config["initial_learning_rate"])})
    theirs32 = np.array([float(k32(int(s))) for s in steps])
    theirs64 = np.array([float(k64(int(s))) for s in steps])
    peak = config.get("warmup_target") or config["initial_learning_rate"]
    assert_allclose(ours, theirs32, rtol=1e-6, atol=1e-6 * peak)
    assert_allclose(ours, theirs64, rtol=1e-13, atol=1e-15 * peak)


def test_warmup_cosine_is_keras_cosine_decay_from_zero(keras):
    W, S, peak, final = 20, 120, 0.0625, 0.0078125
    steps = np.r_[0:4, W - 1:W + 2, 40, 77, S - 1:S + 2, S + 10]
    ours = WarmupCosine(peak, W, S, final)(steps)
    same = CosineDecay(0.0, S - W, alpha=final / peak, warmup_target=peak, warmup_steps=W)(steps)
    k = keras.optimizers.schedules.CosineDecay(np.float64(0.0), S - W, alpha=final / peak, warmup_target=peak,
                                               warmup_steps=W)
    assert_allclose(ours, same, rtol=1e-14, atol=1e-17)
    assert_allclose(ours, [float(k(int(s))) for s in steps], rtol=1e-13, atol=1e-17)


def test_warmup_cosine_by_hand():
    lr = WarmupCosine(peak_lr=1e-3, warmup_steps=100, total_steps=1100, final_lr=1e-4)
    assert lr(0) == 0.0
    assert lr(50) == pytest.approx(5e-4, rel=1e-15)
    assert lr(100) == pytest.approx(1e-3, rel=1e-15)
    assert lr(600) == pytest.approx(1e-4 + 0.5 * 9e-4, rel=1e-14)  # half way down the cosine
    assert lr(1100) == pytest.approx(1e-4, rel=1e-14)
    assert lr(5000) == pytest.approx(1e-4, rel=1e-14)
    values = lr(np.arange(1200))
    assert np.all(np.diff(values[:101]) > 0) and np.all(np.diff(values[100:1101]) < 0)
    assert values.max() == pytest.approx(1e-3, rel=1e-15)
    no_warmup = WarmupCosine(1e-3, 0, 10)
    assert no_warmup(0) == 1e-3 and no_warmup(10) == 0.0


@pytest.mark.parametrize(
    "schedule", [WarmupCosine(1e-3, 7, 40, 1e-5), CosineDecay(0.01, 30, alpha=0.1, warmup_target=0.02, warmup_steps=5)]
)
def test_schedule_scalar_and_array_forms_agree(schedule):
    steps = np.arange(50)
    values = schedule(steps)
    assert isinstance(values, np.ndarray) and values.dtype == np.float64 and values.shape == (50,)
    for s in (0, 3, 7, 29, 49):
        for form in (s, np.int64(s), float(s), np.array(s)):
            v = schedule(form)
            assert type(v) is float
            assert v == values[s]
    assert_array_equal(schedule(steps.reshape(5, 10)), values.reshape(5, 10))
    assert_array_equal(schedule([0, 1, 2]), values[:3])


# ---------------------------------------------------------------------- schedules inside optimizers
def test_optimizer_evaluates_the_schedule_before_counting_the_step():
    """As Keras: the update number t (from 1) uses schedule(t - 1), the count of steps taken before it."""
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1 * (step + 1)

    theta = np.zeros(1)
    opt = SGD(schedule)
    assert opt.learning_rate() == pytest.approx(0.1)
    for _ in range(3):
        opt.step([theta], [np.ones(1)])
    assert seen[-3:] == [0, 1, 2]
    assert opt.t == 3 and opt.last_lr == pytest.approx(0.3)
    assert theta[0] == pytest.approx(-(0.1 + 0.2 + 0.3), rel=1e-15)
    assert opt.learning_rate() == pytest.approx(0.4) and opt.learning_rate(0) == pytest.approx(0.1)


def test_schedule_values_are_checked_and_a_rejected_step_changes_nothing():
    theta = np.ones(2)
    opt = Adam(lambda step: 0.1 if step == 0 else -0.1)
    opt.step([theta], [np.ones(2)])
    before = theta.copy()
    with pytest.raises(ValueError, match=r"schedule lr=.* must return a finite number >= 0; got -0.1 at step 1"):
        opt.step([theta], [np.ones(2)])
    assert opt.t == 1
    assert_array_equal(theta, before)
    with pytest.raises(TypeError, match="schedule lr=.* must return a number for step 0"):
        SGD(lambda step: "fast").step([theta], [np.ones(2)])


# ---------------------------------------------------------------------- clip_by_global_norm
arrays_strategy = st.lists(
    st.tuples(
        st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple),  # shapes, including 0-d
        st.sampled_from([1e-4, 1.0, 1e3]),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=30)
@given(spec=arrays_strategy, max_norm=st.floats(1e-3, 1e3), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_clip_by_global_norm_properties(spec, max_norm, seed, dtype):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(scale=scale, size=shape).astype(dtype) for shape, scale in spec]
    copies = [g.copy() for g in grads]
    clipped, norm = clip_by_global_norm(grads, max_norm)
    exact = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert norm == pytest.approx(exact, rel=rtol)
    for g, g0, c in zip(grads, copies, clipped):
        assert_array_equal(g, g0)  # inputs untouched
        assert c is not g and not np.shares_memory(c, g)
        assert c.dtype == g.dtype and c.shape == g.shape
    new_norm = math.sqrt(sum(float(np.sum(c.astype(np.float64) ** 2)) for c in clipped))
    if norm > max_norm:
        assert new_norm == pytest.approx(max_norm, rel=rtol)
        scale = max_norm / norm  # the direction is kept: one common factor
        for g, c in zip(grads, clipped):
            assert_allclose(c, g * scale, rtol=rtol, atol=0)
    else:
        for g, c in zip(grads, clipped):
            assert_array_equal(c, g)


def test_clip_by_global_norm_by_hand_and_edge_cases():
    clipped, norm = clip_by_global_norm([np.array([3.0]), np.array([[4.0]])], 1.0)
    assert norm == 5.0
    assert_allclose(clipped[0], [0.6], rtol=1e-15)
    assert_allclose(clipped[1], [[0.8]], rtol=1e-15)
    # float32 squares that overflow are summed again in float64
    big, norm = clip_by_global_norm([np.full(4, 1e20, dtype=np.float32)], 1.0)
    assert norm == pytest.approx(2e20, rel=1e-6) and big[0].dtype == np.float32
    assert_allclose(big[0], 0.5, rtol=1e-6)
    # integer gradients become float64; a non-finite norm makes every gradient NaN, as in Keras
    (as_float,), _ = clip_by_global_norm([np.array([3, 4])], 10.0)
    assert as_float.dtype == np.float64
    nans, norm = clip_by_global_norm([np.array([1.0, np.inf]), np.ones(2)], 1.0)
    assert norm == math.inf and all(np.isnan(c).all() for c in nans)


def test_optimizer_clipping_leaves_grads_alone_and_records_the_norm():
    params = [np.ones((2, 2)), np.zeros(3)]
    grads = [np.full((2, 2), 3.0), np.full(3, 4.0)]
    copies = [g.copy() for g in grads]
    opt = SGD(1.0, global_clipnorm=2.0)
    assert opt.last_grad_norm is None
    opt.step(params, grads)
    norm = math.sqrt(4 * 9 + 3 * 16)
    assert opt.last_grad_norm == pytest.approx(norm, rel=1e-15)
    for g, g0 in zip(grads, copies):
        assert_array_equal(g, g0)
    clipped, _ = clip_by_global_norm(copies, 2.0)
    assert_array_equal(params[0], 1.0 - clipped[0])  # plain SGD with lr 1 subtracts the clipped gradient
    assert_array_equal(params[1], -clipped[1])
    # below the threshold the gradients are used as they are: the same result as without clipping
    a, b = [p.copy() for p in params], [p.copy() for p in params]
    Adam(0.1, global_clipnorm=1e6).step(a, grads)
    Adam(0.1).step(b, grads)
    for x, y in zip(a, b):
        assert_array_equal(x, y)
    # the norm is recorded without clipping too
    unclipped = SGD(0.1)
    unclipped.step([np.ones(2)], [np.array([3.0, 4.0])])
    assert unclipped.last_grad_norm == 5.0


# ---------------------------------------------------------------------- weight decay
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weight_decay_with_zero_gradients_shrinks_by_one_minus_lr_wd(dtype):
    rng = np.random.default_rng(3)
    params = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]
    start = [p.copy() for p in params]
    lr, wd, n = 0.01, 0.1, 30
    opt = AdamW(lr, weight_decay=wd, exclude_from_weight_decay=[False, True])
    zeros = [np.zeros_like(p) for p in params]
    dt = np.dtype(dtype).type
    for _ in range(n):
        expected = params[0] - params[0] * dt(wd) * dt(lr)  # Keras's arithmetic, in the parameters' dtype
        opt.step(params, zeros)
        assert_array_equal(params[0], expected)  # a zero gradient makes the Adam step exactly 0
    assert_allclose(params[0], start[0] * (1 - lr * wd) ** n, rtol=1e-5 if dtype == np.float32 else 1e-13)
    assert_array_equal(params[1], start[1])  # excluded


def test_weight_decay_follows_the_schedule_and_zero_decay_is_adam():
    theta = np.ones(3)
    opt = AdamW(WarmupCosine(0.5, 2, 10), weight_decay=0.1)
    opt.step([theta], [np.zeros(3)])  # step 0 of the warm-up: lr = 0, so no decay either
    assert_array_equal(theta, 1.0)
    opt.step([theta], [np.zeros(3)])  # lr = 0.25
    assert_allclose(theta, 1.0 - 0.1 * 0.25, rtol=1e-15)
    params, grads = _problem("float64", n_steps=5)
    a, _ = _run_ours(AdamW(0.01, weight_decay=0.0), params, grads)
    b, _ = _run_ours(Adam(0.01), params, grads)
    for x, y in zip(a, b):
        assert_array_equal(x, y)


def test_decay_mask_ndim2():
    params = [np.zeros((5, 4)), np.zeros(4), np.zeros((2, 3, 4)), np.zeros(())]
    assert decay_mask_ndim2(params) == [True, False, True, False]
    by_mask = AdamW(exclude_from_weight_decay=[not d for d in decay_mask_ndim2(params)])
    by_callable = AdamW(exclude_from_weight_decay=lambda i, p: p.ndim < 2)
    everything = AdamW()
    for opt in (by_mask, by_callable, everything):
        assert opt.decayed() is None
        opt.step(params, [np.ones_like(p) for p in params])
    assert by_mask.decayed() == by_callable.decayed() == [True, False, True, False]
    assert everything.decayed() == [True] * 4


# ---------------------------------------------------------------------- in place, dtype, no allocation
def test_float32_in_place_without_allocation():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(256, 128)).astype(np.float32), np.zeros(128, dtype=np.float32)]
    grads = [rng.normal(size=p.shape).astype(np.float32) * 100 for p in params]  # norm ~ 18000: clipped
    ids = [id(p) for p in params]
    opt = AdamW(WarmupCosine(1e-3, 2, 20), weight_decay=0.1, global_clipnorm=1.0,
                exclude_from_weight_decay=lambda i, p: p.ndim < 2)
    opt.step(params, grads)  # the first step creates the state
    tracemalloc.start()
    try:
        for _ in range(3):
            opt.step(params, grads)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params[0].nbytes // 10  # no array of a parameter's size is allocated per step
    assert [id(p) for p in params] == ids
    assert all(p.dtype == np.float32 for p in params) and np.isfinite(params[0]).all()
    assert opt.last_grad_norm > 1.0


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "make, name, error",
    [
        (lambda: AdamW(weight_decay=-0.1), "weight_decay", ValueError),
        (lambda: AdamW(weight_decay=float("nan")), "weight_decay", ValueError),
        (lambda: AdamW(weight_decay="0.1"), "weight_decay", TypeError),
        (lambda: AdamW(lr=0.0), "lr", ValueError),
        (lambda: AdamW(beta2=1.0), "beta2", ValueError),
        (lambda: AdamW(exclude_from_weight_decay="bias"), "exclude_from_weight_decay", TypeError),
        (lambda: AdamW(exclude_from_weight_decay=True), "exclude_from_weight_decay", TypeError),
        (lambda: AdamW(exclude_from_weight_decay=[1, 0]), r"exclude_from_weight_decay\[0\]", TypeError),
        (lambda: SGD(0.1, global_clipnorm=0.0), "global_clipnorm", ValueError),
        (lambda: RMSprop(0.1, global_clipnorm=-1.0), "global_clipnorm", ValueError),
        (lambda: Adam(global_clipnorm=float("inf")), "global_clipnorm", ValueError),
        (lambda: AdamW(global_clipnorm="1"), "global_clipnorm", TypeError),
        (lambda: clip_by_global_norm([np.ones(2)], 0.0), "max_norm", ValueError),
        (lambda: clip_by_global_norm(np.ones(2), 1.0), "grads", TypeError),
        (lambda: clip_by_global_norm([], 1.0), "grads", ValueError),
        (lambda: clip_by_global_norm([np.array(["a"])], 1.0), r"grads\[0\]", TypeError),
        (lambda: CosineDecay(0.01, 0), "decay_steps", ValueError),
        (lambda: CosineDecay(0.01, 10.5), "decay_steps", TypeError),
        (lambda: CosineDecay(-0.01, 10), "initial_learning_rate", ValueError),
        (lambda: CosineDecay(0.0, 10), "initial_learning_rate", ValueError),
        (lambda: CosineDecay(0.01, 10, alpha=1.5), "alpha", ValueError),
        (lambda: CosineDecay(0.0, 10, warmup_target=0.0, warmup_steps=5), "warmup_target", ValueError),
        (lambda: CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=-1), "warmup_steps", ValueError),
        (lambda: CosineDecay(0.01, 10, warmup_steps=5), "warmup_steps", ValueError),
        (lambda: WarmupCosine(0.0, 10, 100), "peak_lr", ValueError),
        (lambda: WarmupCosine(1e-3, -1, 100), "warmup_steps", ValueError),
        (lambda: WarmupCosine(1e-3, 0, 0), "total_steps", ValueError),
        (lambda: WarmupCosine(1e-3, 200, 100), "warmup_steps", ValueError),
        (lambda: WarmupCosine(1e-3, 100, 100), "warmup_steps", ValueError),
        (lambda: WarmupCosine(1e-3, 10, 100.0), "total_steps", TypeError),
        (lambda: WarmupCosine(1e-3, 10, 100, final_lr=2e-3), "final_lr", ValueError),
        (lambda: WarmupCosine(1e-3, 10, 100, final_lr=-1e-4), "final_lr", ValueError),
        (lambda: WarmupCosine(1e-3, 10, 100)(-1), "step", ValueError),
        (lambda: WarmupCosine(1e-3, 10, 100)(float("nan")), "step", ValueError),
        (lambda: WarmupCosine(1e-3, 10, 100)(np.array([0, 5, -2])), "step", ValueError),
        (lambda: WarmupCosine(1e-3, 10, 100)("3"), "step", TypeError),
        (lambda: WarmupCosine(1e-3, 10, 100)(True), "step", TypeError),
        (lambda: CosineDecay(0.01, 10)([[0, 1], [2]]), "step", TypeError),
    ],
)
def test_bad_arguments_are_named(make, name, error):
    with pytest.raises(error, match=rf"^{name}(?!\w).*got"):
        make()


def test_exclusion_list_must_fit_the_parameters():
    opt = AdamW(exclude_from_weight_decay=[True, False, False])
    params = [np.zeros((2, 2)), np.zeros(2)]
    with pytest.raises(ValueError, match="exclude_from_weight_decay must have one flag per parameter array, 2; got 3"):
        opt.step(params, [np.ones((2, 2)), np.ones(2)])
    assert opt.t == 0 and opt.decayed() is None
    with pytest.raises(TypeError, match=r"exclude_from_weight_decay\(0, params\[0\]\) must return True or False"):
        AdamW(exclude_from_weight_decay=lambda i, p: "no").step(params, [np.ones((2, 2)), np.ones(2)])


def test_reprs():
    assert repr(AdamW()) == "AdamW(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-07, weight_decay=0.004)"
    assert repr(SGD(0.1, global_clipnorm=1.0)) == (
        "SGD(lr=0.1, momentum=0.0, nesterov=False, global_clipnorm=1.0)"
    )
    assert repr(AdamW(WarmupCosine(1e-3, 10, 100), weight_decay=0.1, exclude_from_weight_decay=[True])) == (
        "AdamW(lr=WarmupCosine(peak_lr=0.001, warmup_steps=10, total_steps=100, final_lr=0.0), beta1=0.9, "
        "beta2=0.999, eps=1e-07, weight_decay=0.1, exclude_from_weight_decay=[True])"
    )
    assert repr(CosineDecay(0.01, 10)) == (
        "CosineDecay(initial_learning_rate=0.01, decay_steps=10, alpha=0.0, warmup_target=None, warmup_steps=0)"
    )
