"""The exercise checks of chapter "A GPT from scratch" (course_lib/check/gpt.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import math

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-gpt-top-k"] is check.top_k_probs
    assert check.REGISTRY["ex-gpt-n-params"] is check.gpt_n_params
    assert check.REGISTRY["ex-gpt-warmup-cosine"] is check.warmup_cosine_lr


# ---------------------------------------------------------------------------------------------- top_k_probs
def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def top_k_argsort(logits, k):
    z = np.asarray(logits, dtype=float)
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, np.argsort(z, axis=-1)[..., -k:], True, axis=-1)
    return softmax(np.where(keep, z, -np.inf))


def top_k_threshold(logits, k):
    """nanoGPT's way: everything below the k-th largest value of the row becomes -inf."""
    z = np.array(logits, dtype=float)
    kth = np.sort(z, axis=-1)[..., -k][..., None]
    z[z < kth] = -np.inf
    return softmax(z)


def top_k_partition(logits, k):
    z = np.asarray(logits, dtype=np.float64)
    idx = np.argpartition(-z, k - 1, axis=-1)[..., :k]
    kept = np.take_along_axis(z, idx, axis=-1)
    p = np.zeros_like(z)
    e = np.exp(kept - kept.max(axis=-1, keepdims=True))
    np.put_along_axis(p, idx, e / e.sum(axis=-1, keepdims=True), axis=-1)
    return p


@pytest.mark.parametrize("right", [top_k_argsort, top_k_threshold, top_k_partition])
def test_top_k_accepts_correct_versions(right, capsys):
    check.top_k_probs(right)
    assert "✓ Exercise: top-k sampling probabilities: correct." in capsys.readouterr().out


def not_renormalised(logits, k):
    z = np.asarray(logits, dtype=float)
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, np.argsort(z, axis=-1)[..., -k:], True, axis=-1)
    return np.where(keep, softmax(z), 0.0)


def smallest(logits, k):
    z = np.asarray(logits, dtype=float)
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, np.argsort(z, axis=-1)[..., :k], True, axis=-1)
    return softmax(np.where(keep, z, -np.inf))


def keeps_k_plus_one(logits, k):
    z = np.array(logits, dtype=float)
    kth = np.sort(z, axis=-1)[..., -min(k + 1, z.shape[-1])][..., None]   # the (k+1)-th largest as threshold
    z[z < kth] = -np.inf
    return softmax(z)


def overflows(logits, k):
    z = np.asarray(logits, dtype=float)
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, np.argsort(z, axis=-1)[..., -k:], True, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.where(keep, np.exp(z), 0.0)
        return e / e.sum(axis=-1, keepdims=True)


def in_place(logits, k):
    kth = np.sort(logits, axis=-1)[..., -k][..., None]
    logits[logits < kth] = -np.inf
    return softmax(logits)


def whole_array(logits, k):
    z = np.asarray(logits, dtype=float)
    flat = z.reshape(-1)
    keep = np.zeros(flat.shape, dtype=bool)
    keep[np.argsort(flat)[-k:]] = True
    e = np.where(keep, np.exp(flat - flat.max()), 0.0)
    return (e / e.sum()).reshape(z.shape)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (not_renormalised, "renormalise"),
        (smallest, "SMALLEST"),
        (keeps_k_plus_one, "k + 1"),
        (overflows, "Subtract"),
        (in_place, "changed the logits"),
        (whole_array, "each ROW"),
        (lambda z, k: list(np.asarray(z).shape), "shape"),
    ],
)
def test_top_k_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="top-k sampling probabilities") as info:
        check.top_k_probs(wrong)
    assert words in str(info.value)


def test_top_k_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.top_k_probs(stub)


# --------------------------------------------------------------------------------------------- gpt_n_params
def n_params(V, T, d, L):
    return V * d + T * d + L * (12 * d * d + 13 * d) + 2 * d + d * V


def n_params_by_pieces(V, T, d, L):
    attention = 4 * (d * d + d)
    mlp = d * 4 * d + 4 * d + 4 * d * d + d
    norms = 2 * 2 * d
    return V * d + T * d + L * (attention + mlp + norms) + 2 * d + d * V


@pytest.mark.parametrize("right", [n_params, n_params_by_pieces, lambda V, T, d, L: float(n_params(V, T, d, L))])
def test_n_params_accepts_correct_versions(right, capsys):
    check.gpt_n_params(right)
    assert "✓ Exercise: the GPT's parameter count: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda V, T, d, L: n_params(V, T, d, L) - 9 * d * L, "biases"),
        (lambda V, T, d, L: n_params(V, T, d, L) - 4 * d * L - 2 * d, "LayerNorm"),
        (lambda V, T, d, L: n_params(V, T, d, L) - T * d, "position embeddings"),
        (lambda V, T, d, L: n_params(V, T, d, L) - d * V, "tied"),
        (lambda V, T, d, L: n_params(V, T, d, L) - 13 * d * L - 2 * d, "only the weight matrices"),
        (lambda V, T, d, L: V * d + T * d + L * (4 * d * d + 13 * d) + 2 * d + d * V, "Count per block"),
        (lambda V, T, d, L: str(n_params(V, T, d, L)), "should return a number"),
    ],
)
def test_n_params_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="parameter count") as info:
        check.gpt_n_params(wrong)
    assert words in str(info.value)


def test_n_params_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.gpt_n_params(stub)


# ----------------------------------------------------------------------------------------- warmup_cosine_lr
def lr_right(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    s = min(step, total_steps) - warmup_steps
    return final_lr + (peak_lr - final_lr) * 0.5 * (1 + math.cos(math.pi * s / (total_steps - warmup_steps)))


def lr_numpy(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    warm = peak_lr * step / warmup_steps
    frac = np.clip((step - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
    decay = final_lr + (peak_lr - final_lr) * 0.5 * (1 + np.cos(np.pi * frac))
    return np.where(step < warmup_steps, warm, decay)


@pytest.mark.parametrize("right", [lr_right, lr_numpy])
def test_warmup_cosine_accepts_correct_versions(right, capsys):
    check.warmup_cosine_lr(right)
    assert "✓ Exercise: warm-up and cosine decay: correct." in capsys.readouterr().out


def lr_off_by_one(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return lr_right(step, peak_lr, warmup_steps, total_steps, final_lr)


def lr_from_zero(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    return final_lr + (peak_lr - final_lr) * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


def lr_no_half(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    s = min(step, total_steps) - warmup_steps
    return final_lr + (peak_lr - final_lr) * math.cos(math.pi * s / (total_steps - warmup_steps))


def lr_to_zero(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    return lr_right(step, peak_lr, warmup_steps, total_steps, 0.0)


def lr_no_clamp(step, peak_lr, warmup_steps, total_steps, final_lr=0.0):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    s = step - warmup_steps
    return final_lr + (peak_lr - final_lr) * 0.5 * (1 + math.cos(math.pi * s / (total_steps - warmup_steps)))


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lr_off_by_one, "one step ahead"),
        (lr_from_zero, "starts at step 0"),
        (lr_no_half, "negative"),
        (lr_to_zero, "instead of final_lr"),
        (lr_no_clamp, "Clamp"),
        (lambda *args: None, "should return a number"),
        (lambda step, peak, *rest: peak, "not right"),
    ],
)
def test_warmup_cosine_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="warm-up and cosine decay") as info:
        check.warmup_cosine_lr(wrong)
    assert words in str(info.value)


def test_warmup_cosine_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.warmup_cosine_lr(stub)
