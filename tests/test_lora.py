"""LoRA (course_lib/lora.py): the adapted layer's forward and backward passes, merging, the GPT wrapper."""

import numpy as np
import pytest

from course_lib.gpt import GPT
from course_lib.gradcheck import gradcheck
from course_lib.lora import LoRAGPT, lora_backward, lora_forward, lora_init, merge, optimizer_state_bytes
from course_lib.optimizers import AdamW
from course_lib.training import fit


def random_adapter(rng, d_in=7, d_out=5, r=3):
    x = rng.normal(size=(4, d_in))
    W = rng.normal(size=(d_in, d_out))
    A = rng.normal(size=(d_in, r))
    B = rng.normal(size=(r, d_out))  # non-zero, or dA would be 0 and the check empty
    return x, W, A, B


# ------------------------------------------------------------------------------------------- the layer
def test_forward_is_xW_plus_scaled_low_rank_term():
    rng = np.random.default_rng(0)
    x, W, A, B = random_adapter(rng)
    y, _ = lora_forward(x, W, A, B, alpha=6.0)
    np.testing.assert_allclose(y, x @ W + (6.0 / 3) * x @ A @ B, rtol=1e-13)


def test_init_follows_the_paper_gaussian_A_zero_B():
    A, B = lora_init(400, 30, 8, seed=1)
    assert A.shape == (400, 8) and B.shape == (8, 30) and A.dtype == np.float32
    assert np.all(B == 0)
    assert abs(A.std() - 1 / np.sqrt(400)) < 0.005 and abs(A.mean()) < 0.005
    A2, _ = lora_init(400, 30, 8, seed=1, std=0.5)
    assert abs(A2.std() - 0.5) < 0.02
    # at initialisation the adapted layer is the frozen one
    x = np.random.default_rng(0).normal(size=(3, 400))
    W = np.random.default_rng(1).normal(size=(400, 30))
    np.testing.assert_array_equal(lora_forward(x, W, A.astype(float), B.astype(float), 8)[0], x @ W)


def test_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, W, A, B = random_adapter(rng)
    dy = rng.normal(size=(4, 5))
    f = lambda: float(np.sum(lora_forward(x, W, A, B, alpha=2.0)[0] * dy))  # L = <y, dy>, so dL/dy = dy
    dx, dA, dB = lora_backward(dy, lora_forward(x, W, A, B, alpha=2.0)[1])
    assert gradcheck(f, [x, A, B], [dx, dA, dB]) < 1e-8
    # the frozen W gets no gradient, and the derivative formulas hold term by term
    np.testing.assert_allclose(dA, (2.0 / 3) * x.T @ dy @ B.T, rtol=1e-12)
    np.testing.assert_allclose(dB, (2.0 / 3) * (x @ A).T @ dy, rtol=1e-12)


def test_merge_gives_identical_outputs():
    rng = np.random.default_rng(2)
    x, W, A, B = random_adapter(rng, d_in=32, d_out=16, r=4)
    y, _ = lora_forward(x, W, A, B, alpha=8.0)
    np.testing.assert_allclose(x @ merge(W, A, B, alpha=8.0), y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(merge(W, A, B, 8.0) - W, 2.0 * A @ B, rtol=1e-12)
    assert np.linalg.matrix_rank(merge(W, A, B, 8.0) - W) == 4


@pytest.mark.parametrize(
    "args, error, words",
    [
        ((np.ones((2, 4)), np.ones((4, 3)), np.ones((5, 2)), np.ones((2, 3)), 1.0), ValueError, "A must have shape"),
        ((np.ones((2, 4)), np.ones((4, 3)), np.ones((4, 2)), np.ones((3, 3)), 1.0), ValueError, "B must have shape"),
        ((np.ones((2, 5)), np.ones((4, 3)), np.ones((4, 2)), np.ones((2, 3)), 1.0), ValueError, "features"),
        ((np.ones((2, 4)), np.ones((4, 3)), np.ones((4, 2)), np.ones((2, 3)), 0.0), ValueError, "alpha"),
        ((np.ones((2, 4)), np.ones((4, 3)), "A", np.ones((2, 3)), 1.0), TypeError, "A must be a numeric array"),
    ],
)
def test_bad_input_is_named(args, error, words):
    with pytest.raises(error, match=words):
        lora_forward(*args)


def test_lora_init_rejects_bad_sizes():
    with pytest.raises(ValueError, match="rank"):
        lora_init(4, 4, 0)
    with pytest.raises(TypeError, match="d_in"):
        lora_init(4.5, 4, 2)


# ------------------------------------------------------------------------------------------- the GPT wrapper
def tiny_gpt(dtype="float64"):
    model = GPT(vocab_size=9, context_length=6, d_model=8, n_heads=2, n_layers=2, seed=3, dtype=dtype)
    rng = np.random.default_rng(4)
    model.set_weights([w + rng.normal(0.0, 0.1, size=w.shape) for w in model.get_weights()])
    return model


def test_wrapper_starts_as_the_base_and_leaves_it_untouched():
    base = tiny_gpt()
    before = base.get_weights()
    lora = LoRAGPT(base, rank=2, targets=("Wq", "Wv", "W_out"))
    X = np.random.default_rng(0).integers(0, 9, size=(3, 6))
    np.testing.assert_array_equal(lora.forward(X), base.forward(X))
    assert lora.adapted_names == ["block0.Wq", "block1.Wq", "block0.Wv", "block1.Wv", "W_out"]
    assert lora.n_params == 4 * 2 * (8 + 8) + 2 * (8 + 9)
    for B in lora.params[1::2]:
        B += 0.3
    lora.forward(X)
    assert all(np.array_equal(a, b) for a, b in zip(before, base.params))


def test_wrapper_gradients_match_finite_differences():
    base = tiny_gpt()
    lora = LoRAGPT(base, rank=2, alpha=4.0, targets=("Wq", "Wo", "W1", "W_out"), seed=1)
    rng = np.random.default_rng(5)
    for B in lora.params[1::2]:
        B[...] = rng.normal(0.0, 0.2, size=B.shape)  # B = 0 would make dA = 0
    X, Y = rng.integers(0, 9, size=(3, 6)), rng.integers(0, 9, size=(3, 6))
    loss, grads = lora.loss_and_grads(X, Y)
    assert loss == pytest.approx(lora.loss(X, Y), rel=1e-12)
    assert gradcheck(lambda: lora.loss(X, Y), lora.params, grads, eps=1e-5) < 1e-7


def test_wrapper_grads_are_the_chain_rule_of_the_effective_weight():
    base = tiny_gpt()
    lora = LoRAGPT(base, rank=3, alpha=6.0, targets=("W2",), seed=2)
    rng = np.random.default_rng(6)
    lora.params[1][...] = rng.normal(size=lora.params[1].shape)
    X, Y = rng.integers(0, 9, size=(2, 6)), rng.integers(0, 9, size=(2, 6))
    _, grads = lora.loss_and_grads(X, Y)
    merged = lora.merged()
    _, full = merged.loss_and_grads(X, Y)
    G = full[merged.param_names.index("block0.W2")]
    np.testing.assert_allclose(grads[0], 2.0 * G @ lora.params[1].T, rtol=1e-10)
    np.testing.assert_allclose(grads[1], 2.0 * lora.params[0].T @ G, rtol=1e-10)


def test_merged_model_has_identical_outputs():
    base = tiny_gpt()
    lora = LoRAGPT(base, rank=2, targets=("Wq", "Wk", "Wv", "Wo", "W1", "W2"))
    rng = np.random.default_rng(7)
    for p in lora.params:
        p += rng.normal(0.0, 0.3, size=p.shape)
    X = rng.integers(0, 9, size=(4, 6))
    merged = lora.merged()
    np.testing.assert_allclose(merged.forward(X), lora.forward(X), rtol=1e-12, atol=1e-12)
    assert merged.n_params == base.n_params
    assert not np.allclose(merged.forward(X), base.forward(X))


def test_fit_trains_only_the_adapters():
    base = tiny_gpt("float32")
    lora = LoRAGPT(base, rank=2, targets=("Wq", "Wv"))
    rng = np.random.default_rng(8)
    ids = rng.integers(0, 9, size=200)
    X = np.stack([ids[i:i + 6] for i in range(0, 180, 3)])
    Y = np.stack([ids[i + 1:i + 7] for i in range(0, 180, 3)])
    frozen = [w.copy() for i, w in enumerate(lora.model.params) if i not in lora.adapted]
    opt = AdamW(1e-2)
    history = fit(lora, X, Y, opt, epochs=3, batch_size=8, progress=False)
    assert history.loss[-1] < history.loss[0]
    assert all(np.array_equal(a, b) for a, b in zip(frozen, [w for i, w in enumerate(lora.model.params)
                                                              if i not in lora.adapted]))
    # the optimizer keeps three arrays (two moments, one scratch) per adapter parameter, float32
    assert optimizer_state_bytes(opt) == 3 * 4 * lora.n_params
    assert optimizer_state_bytes(AdamW(1e-3)) == 0


def test_wrapper_rejects_bad_arguments():
    base = tiny_gpt()
    with pytest.raises(ValueError, match="targets: 'Wz'"):
        LoRAGPT(base, rank=2, targets=("Wz",))
    with pytest.raises(ValueError, match="targets: 'wte'"):
        LoRAGPT(base, rank=2, targets=("wte",))
    with pytest.raises(ValueError, match="rank must be at most"):
        LoRAGPT(base, rank=9, targets=("Wq",))
    with pytest.raises(TypeError, match="targets"):
        LoRAGPT(base, rank=2, targets="Wq")
    with pytest.raises(TypeError, match="base must be"):
        LoRAGPT("gpt", rank=2)
    lora = LoRAGPT(base, rank=2)
    with pytest.raises(ValueError, match="weights must be a list of 8"):
        lora.set_weights([])
