"""course_lib.cost: the arithmetic of chapter "What large models cost", against independent computations.

The FLOP count is checked by counting the matrix products a real GPT forward pass executes; the key/value cache
formula against the GPT's cache arrays; the ring all-reduce volume against a simulated ring; the tensor-parallel
MLP against the unsplit one; the pipeline bubble against the schedule; the ZeRO memory against the values printed
in the ZeRO paper; the compute-optimal split against a brute-force minimisation.
"""

import math

import numpy as np
import pytest

from course_lib import cost
from course_lib.gpt import GPT
from course_lib.layers import gelu_forward


# ------------------------------------------------------------------------------------------ training compute
def test_training_flops_is_six_n_d_and_gives_gpt3():
    assert cost.training_flops(10, 7) == 420.0
    assert cost.training_flops(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)  # Brown et al. report 3.14e23


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (0, ValueError), (float("nan"), ValueError),
                                        ("10", TypeError), (True, TypeError)])
def test_training_flops_rejects_bad_counts(bad, error):
    with pytest.raises(error, match="n_params"):
        cost.training_flops(bad, 10)
    with pytest.raises(error, match="n_tokens"):
        cost.training_flops(10, bad)


class _Counted(np.ndarray):
    """An array that adds up the FLOPs (2 per multiply-add) of every np.matmul it takes part in."""

    flops = 0

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [np.asarray(x) if isinstance(x, _Counted) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, _Counted) else o for o in out)
        if ufunc is np.matmul and method == "__call__":
            a, b = plain
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            _Counted.flops += 2 * int(np.prod(batch)) * a.shape[-2] * a.shape[-1] * b.shape[-1]
        result = getattr(ufunc, method)(*plain, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(r.view(_Counted) if isinstance(r, np.ndarray) else r for r in result)
        return result.view(_Counted) if isinstance(result, np.ndarray) else result


@pytest.mark.parametrize("V, T, d, H, L, m, t", [(11, 16, 24, 3, 2, 4, 16), (65, 64, 64, 4, 2, 2, 64),
                                                 (7, 12, 16, 2, 3, 3, 9)])
def test_gpt_matmul_flops_counts_what_a_forward_pass_multiplies(V, T, d, H, L, m, t):
    model = GPT(V, T, d, H, L, seed=0, dtype="float64")
    model.params = [p.view(_Counted) for p in model.params]
    X = np.random.default_rng(0).integers(0, V, size=(m, t))
    _Counted.flops = 0
    model.forward_with_cache(X)
    assert _Counted.flops > 0
    assert _Counted.flops == m * t * cost.gpt_matmul_flops_per_token(V, d, L, t, training=False)
    assert cost.gpt_matmul_flops_per_token(V, d, L, t) == 3 * cost.gpt_matmul_flops_per_token(V, d, L, t,
                                                                                               training=False)


def test_gpt_matmul_flops_is_close_to_six_n_for_a_large_model():
    # GPT-3: the attention term is a few per cent of 6N per token, and the embeddings a fraction of a per cent of N
    V, d, L, t = 50257, 12288, 96, 2048
    exact = cost.gpt_matmul_flops_per_token(V, d, L, t)
    assert exact == pytest.approx(6 * (12 * L * d**2 + d * V) + 12 * L * t * d)
    assert 1.0 < exact / (6 * 175e9) < 1.05


def test_gpt_matmul_flops_rejects_bad_sizes():
    with pytest.raises(ValueError, match="d_model"):
        cost.gpt_matmul_flops_per_token(65, 0, 2, 64)
    with pytest.raises(TypeError, match="context"):
        cost.gpt_matmul_flops_per_token(65, 64, 2, 64.0)


def test_training_days_of_gpt3_on_1024_a100s():
    # Narayanan et al. (2021): 8 T P / (n X) with X = 140 TFLOP/s per GPU on 1,024 GPUs gives about 34 days
    days = cost.training_days(8 * 300e9 * 175e9, 1024, 312e12, 140 / 312)
    assert days == pytest.approx(8 * 300e9 * 175e9 / (1024 * 140e12) / 86400, rel=1e-12)
    assert round(days) == 34


@pytest.mark.parametrize("u", [0, 1.5, -0.1])
def test_training_days_rejects_a_utilization_outside_0_1(u):
    with pytest.raises(ValueError, match="utilization"):
        cost.training_days(1e20, 8, 1e14, u)


# ------------------------------------------------------------------------------------------------ memory
def test_bytes_per_parameter_breakdowns():
    mixed = cost.bytes_per_parameter()
    assert list(mixed.values()) == [2, 2, 4, 4, 4] and sum(mixed.values()) == 16
    assert "master weights (float32)" in mixed
    assert sum(cost.bytes_per_parameter("adam", "float32").values()) == 16
    assert sum(cost.bytes_per_parameter("sgd", "float32").values()) == 8
    assert sum(cost.bytes_per_parameter("momentum", "mixed").values()) == 12
    assert sum(cost.bytes_per_parameter("sgd", "mixed").values()) == 8


def test_bytes_per_parameter_rejects_unknown_names():
    with pytest.raises(ValueError, match="optimizer"):
        cost.bytes_per_parameter("adamw")
    with pytest.raises(ValueError, match="precision"):
        cost.bytes_per_parameter("adam", "bfloat16")


def test_training_memory_of_a_175b_model():
    assert cost.training_memory_bytes(175e9) == 2.8e12            # 16 bytes x 175e9
    assert math.ceil(cost.training_memory_bytes(175e9) / 80e9) == 35
    assert cost.training_memory_bytes(1000, "sgd", "float32") == 8000


def test_zero_matches_the_paper_figure_1():
    # Rajbhandari et al. (2020), figure 1: 7.5B parameters, N_d = 64, K = 12: 120, 31.4, 16.6, 1.9 GB
    got = [cost.zero_memory_per_device(7.5e9, 64, stage) / 1e9 for stage in range(4)]
    assert np.round(got, 1).tolist() == [120.0, 31.4, 16.6, 1.9]


def test_zero_for_gpt3_size():
    psi = 175e9
    assert cost.zero_memory_per_device(psi, 1024, 0) == 16 * psi
    assert cost.zero_memory_per_device(psi, 1024, 1) == pytest.approx(4 * psi + 12 * psi / 1024)
    assert cost.zero_memory_per_device(psi, 1024, 2) == pytest.approx(2 * psi + 14 * psi / 1024)
    assert cost.zero_memory_per_device(psi, 1024, 3) == pytest.approx(psi / 64)
    # one device: sharding changes nothing
    assert {cost.zero_memory_per_device(psi, 1, s) for s in range(4)} == {16 * psi}


@pytest.mark.parametrize("stage", [4, -1, 1.0, "1", True])
def test_zero_rejects_a_bad_stage(stage):
    with pytest.raises(ValueError, match="stage"):
        cost.zero_memory_per_device(1e9, 8, stage)


# ---------------------------------------------------------------------------------------------- parallelism
def _simulated_ring_all_reduce(arrays):
    """Ring all-reduce of one array per device: (the summed arrays, numbers sent by each device)."""
    K = len(arrays)
    chunks = [np.array_split(a.astype(np.float64), K) for a in arrays]
    sent = [0] * K
    for step in range(K - 1):  # reduce-scatter: device k passes chunk (k - step) to its right neighbour
        outgoing = [(k, (k - step) % K, chunks[k][(k - step) % K].copy()) for k in range(K)]
        for k, c, data in outgoing:
            chunks[(k + 1) % K][c] += data
            sent[k] += data.size
    for step in range(K - 1):  # all-gather: device k owns chunk (k + 1) and passes the finished chunks on
        outgoing = [(k, (k + 1 - step) % K, chunks[k][(k + 1 - step) % K].copy()) for k in range(K)]
        for k, c, data in outgoing:
            chunks[(k + 1) % K][c] = data
            sent[k] += data.size
    return [np.concatenate(c) for c in chunks], sent


@pytest.mark.parametrize("K", [1, 2, 4, 8])
def test_ring_all_reduce_volume_matches_a_simulated_ring(K):
    rng = np.random.default_rng(K)
    arrays = [rng.normal(size=64) for _ in range(K)]
    reduced, sent = _simulated_ring_all_reduce(arrays)
    for r in reduced:
        np.testing.assert_allclose(r, sum(arrays), rtol=1e-12)
    assert all(s == pytest.approx(cost.ring_all_reduce_bytes(64, K)) for s in sent)


def test_ring_all_reduce_bytes_values_and_errors():
    assert cost.ring_all_reduce_bytes(1000, 1) == 0.0
    assert cost.ring_all_reduce_bytes(1000, 4) == 1500.0
    with pytest.raises(ValueError, match="n_devices"):
        cost.ring_all_reduce_bytes(1000, 0)


@pytest.mark.parametrize("K", [1, 2, 4, 8, 16])
def test_tensor_parallel_mlp_equals_the_unsplit_mlp(K):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 16))
    W1, b1 = rng.normal(size=(16, 64)), rng.normal(size=64)
    W2, b2 = rng.normal(size=(64, 16)), rng.normal(size=16)
    unsplit = gelu_forward(X @ W1 + b1)[0] @ W2 + b2
    np.testing.assert_allclose(cost.tensor_parallel_mlp(X, W1, b1, W2, b2, K), unsplit, rtol=1e-12, atol=1e-12)


def test_tensor_parallel_mlp_with_a_gpt_block_and_another_activation():
    model = GPT(65, 64, 64, 4, 2, seed=3, dtype="float64")
    W1, b1, W2, b2 = model.block_params(1)[12:16]
    X = np.random.default_rng(1).normal(size=(32, 64))
    np.testing.assert_allclose(cost.tensor_parallel_mlp(X, W1, b1, W2, b2, 4),
                               gelu_forward(X @ W1 + b1)[0] @ W2 + b2, rtol=1e-12, atol=1e-13)
    relu = lambda z: np.maximum(z, 0.0)  # noqa: E731
    np.testing.assert_allclose(cost.tensor_parallel_mlp(X, W1, b1 + 0.1, W2, b2 + 0.2, 8, activation=relu),
                               relu(X @ W1 + b1 + 0.1) @ W2 + b2 + 0.2, rtol=1e-12, atol=1e-13)


def test_tensor_parallel_mlp_rejects_bad_splits_and_shapes():
    rng = np.random.default_rng(0)
    X, W1, b1, W2, b2 = (rng.normal(size=s) for s in [(4, 6), (6, 12), (12,), (12, 6), (6,)])
    with pytest.raises(ValueError, match="n_devices must divide the hidden width 12"):
        cost.tensor_parallel_mlp(X, W1, b1, W2, b2, 5)
    with pytest.raises(ValueError, match="W1"):
        cost.tensor_parallel_mlp(X, W1.T, b1, W2, b2, 2)
    with pytest.raises(ValueError, match="b2"):
        cost.tensor_parallel_mlp(X, W1, b1, W2, b2[:3], 2)
    with pytest.raises(ValueError, match="X"):
        cost.tensor_parallel_mlp(X[0], W1, b1, W2, b2, 2)


@pytest.mark.parametrize("p, m", [(1, 1), (2, 1), (4, 8), (8, 4), (3, 32)])
def test_pipeline_bubble_is_the_idle_share_of_the_schedule(p, m):
    schedule = cost.pipeline_schedule(p, m)
    assert schedule.shape == (p, 2 * (m + p - 1))
    assert np.mean(schedule == 0) == pytest.approx(cost.pipeline_bubble(p, m)) == pytest.approx((p - 1) / (m + p - 1))
    for s in range(p):  # every micro-batch once forward and once backward on every stage
        assert sorted(schedule[s][schedule[s] != 0].tolist()) == sorted(list(range(1, m + 1)) +
                                                                        list(range(-m, 0)))
    slot = {(s, int(k)): int(i) for s in range(p) for i, k in enumerate(schedule[s]) if k}
    for k in range(1, m + 1):  # dependencies: forward flows down the stages, backward up, after all forwards
        for s in range(1, p):
            assert slot[s, k] > slot[s - 1, k]
            assert slot[s - 1, -k] > slot[s, -k]
        assert slot[p - 1, -k] > slot[p - 1, m]


def test_pipeline_bubble_values_and_errors():
    assert cost.pipeline_bubble(1, 10) == 0.0
    assert cost.pipeline_bubble(4, 8) == 3 / 11
    with pytest.raises(ValueError, match="n_microbatches"):
        cost.pipeline_bubble(4, 0)


# ------------------------------------------------------------------------------------------------- serving
def test_inference_flops_per_token():
    assert cost.inference_flops_per_token(175e9) == 3.5e11
    assert cost.inference_flops_per_token(1000, n_layers=2, context=10, d_model=8) == 2000 + 4 * 2 * 10 * 8
    with pytest.raises(ValueError, match="n_layers and d_model"):
        cost.inference_flops_per_token(1000, context=10)


@pytest.mark.parametrize("V, T, d, H, L, B, dtype, nbytes", [(65, 64, 64, 4, 2, 8, "float32", 4),
                                                             (11, 16, 24, 3, 3, 5, "float64", 8),
                                                             (30, 8, 12, 6, 1, 1, "float32", 4)])
def test_kv_cache_formula_against_the_gpt_cache(V, T, d, H, L, B, dtype, nbytes):
    model = GPT(V, T, d, H, L, seed=0, dtype=dtype)
    cache = model.init_cache(B)
    assert cache.k.nbytes + cache.v.nbytes == cost.kv_cache_bytes(L, B, T, d, bytes_per_number=nbytes)
    model.forward_cached(np.zeros((B, min(3, T)), dtype=np.int64), cache)  # filling it does not change its size
    assert cache.k.nbytes + cache.v.nbytes == cost.kv_cache_bytes(L, B, T, d, nbytes)


def test_kv_cache_of_gpt3_in_16_bits():
    per_token = cost.kv_cache_bytes(96, 1, 1, 12288)
    assert per_token == 4_718_592                       # 2 x 96 layers x 12288 numbers x 2 bytes
    assert cost.kv_cache_bytes(96, 1, 2048, 12288) / 1e9 == pytest.approx(9.663676416)


def test_kv_cache_rejects_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        cost.kv_cache_bytes(2, 0, 16, 8)
    with pytest.raises(TypeError, match="bytes_per_number"):
        cost.kv_cache_bytes(2, 1, 16, 8, bytes_per_number="2")


def test_roofline():
    assert cost.roofline(1.0, 100.0, 10.0) == 10.0          # memory-bound
    assert cost.roofline(50.0, 100.0, 10.0) == 100.0        # compute-bound
    np.testing.assert_array_equal(cost.roofline([0.0, 5.0, 10.0, 20.0], 100.0, 10.0), [0.0, 50.0, 100.0, 100.0])
    with pytest.raises(ValueError, match="intensity"):
        cost.roofline([-1.0], 100.0, 10.0)
    with pytest.raises(ValueError, match="bandwidth"):
        cost.roofline(1.0, 100.0, 0.0)


def test_decoding_step_seconds_memory_and_compute_bound():
    # 175e9 parameters in 16 bits on 8 devices of 2e12 B/s and 312e12 FLOP/s: 350 GB / 16e12 B/s
    step = cost.decoding_step_seconds(175e9, 1, 8 * 312e12, 8 * 2e12)
    assert step == pytest.approx(350e9 / 16e12)
    # a huge batch: compute-bound
    assert cost.decoding_step_seconds(175e9, 10_000, 8 * 312e12, 8 * 2e12) == pytest.approx(
        2 * 175e9 * 10_000 / (8 * 312e12))
    assert cost.decoding_step_seconds(1e9, 1, 1e15, 1e12, kv_bytes_read=1e9) == pytest.approx(3e-3)


def test_cost_per_million_tokens():
    assert cost.cost_per_million_tokens(2.0, 1000.0) == pytest.approx(2.0 * 1000 / 3600)
    with pytest.raises(ValueError, match="tokens_per_second"):
        cost.cost_per_million_tokens(2.0, 0)


# --------------------------------------------------------------------------------------------- scaling laws
def test_scaling_law_loss_values():
    h = cost.HOFFMANN_2022
    assert cost.scaling_law_loss(1e9, 1e10, **h) == pytest.approx(1.69 + 406.4 / 1e9**0.34 + 410.7 / 1e10**0.28)
    out = cost.scaling_law_loss(np.array([1e6, 1e7]), 1e9, **h)
    assert out.shape == (2,) and out[0] > out[1]
    with pytest.raises(ValueError, match="n_tokens"):
        cost.scaling_law_loss(1e6, -1, **h)


def test_fit_scaling_law_recovers_known_parameters():
    true = {"E": 1.8, "A": 50.0, "B": 300.0, "alpha": 0.45, "beta": 0.35}
    N, D = np.meshgrid(np.logspace(4, 7, 5), np.logspace(6, 9, 5))
    L = cost.scaling_law_loss(N, D, **true)
    fit = cost.fit_scaling_law(N, D, L)
    assert fit["rmse"] < 1e-6
    for key, value in true.items():
        assert fit[key] == pytest.approx(value, rel=1e-3), key
    huber = cost.fit_scaling_law(N, D, L, huber_delta=1e-3)
    assert huber["alpha"] == pytest.approx(0.45, rel=1e-2)


def test_fit_scaling_law_rejects_bad_data():
    with pytest.raises(ValueError, match="at least 5 points"):
        cost.fit_scaling_law([1, 2, 3], [1, 2, 3], [3, 2, 1])
    with pytest.raises(ValueError, match="same length"):
        cost.fit_scaling_law(np.ones(6), np.ones(6), np.ones(5))
    with pytest.raises(ValueError, match="losses"):
        cost.fit_scaling_law(np.ones(6), np.ones(6), -np.ones(6))


def test_compute_optimal_minimises_the_loss_on_the_budget():
    from scipy.optimize import minimize_scalar

    h = cost.HOFFMANN_2022
    for C in (1e18, 5.76e23, 1e25):
        N_opt, D_opt = cost.compute_optimal(C, h["A"], h["B"], h["alpha"], h["beta"])
        assert 6 * N_opt * D_opt == pytest.approx(C, rel=1e-12)
        # brute force: minimise L(N, C / 6N) over log N
        res = minimize_scalar(lambda logn: cost.scaling_law_loss(np.exp(logn), C / (6 * np.exp(logn)), **h),
                              bounds=(np.log(1e3), np.log(1e14)), method="bounded", options={"xatol": 1e-10})
        assert np.exp(res.x) == pytest.approx(N_opt, rel=1e-4)


def test_compute_optimal_with_equal_exponents_is_a_fixed_ratio():
    # alpha = beta: N_opt / D_opt = (A / B)^(1 / alpha), whatever the budget
    for C in (1e15, 1e20):
        N, D = cost.compute_optimal(C, 100.0, 100.0, 0.3, 0.3)
        assert D / N == pytest.approx(1.0)
    N, D = cost.compute_optimal(np.array([1e15, 1e20]), 4.0, 1.0, 0.5, 0.5)
    np.testing.assert_allclose(N / D, [16.0, 16.0])


def test_compute_optimal_rejects_bad_input():
    with pytest.raises(ValueError, match="flops"):
        cost.compute_optimal(0, 1.0, 1.0, 0.3, 0.3)
    with pytest.raises(ValueError, match="alpha"):
        cost.compute_optimal(1e20, 1.0, 1.0, -0.3, 0.3)


# ---------------------------------------------------------------------------------------------- measuring
def test_measurements_are_positive_and_validated():
    assert 1e6 < cost.measure_matmul_flops(n=64, repeats=2) < 1e15
    assert 1e6 < cost.measure_bandwidth(n_bytes=2**16, repeats=2) < 1e13
    with pytest.raises(ValueError, match="n_bytes"):
        cost.measure_bandwidth(n_bytes=2)
    with pytest.raises(TypeError, match="repeats"):
        cost.measure_matmul_flops(n=64, repeats=1.5)
