"""The exercise checks of chapter "Pre-training and fine-tuning" (course_lib/check/pretraining.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args, **kwargs):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-pt-n-params"] is check.bert_backbone_params
    assert check.REGISTRY["ex-pt-mask-tokens"] is check.mask_tokens


# ---------------------------------------------------------------------------------------- bert_backbone_params
def params_right(V, T, d, L, I, S=2):
    return (V + T + S) * d + 2 * d + L * (4 * d * d + 2 * d * I + 9 * d + I) + d * d + d


def params_by_arrays(V, T, d, L, I, S=2):
    shapes = [(V, d), (T, d), (S, d), (d,), (d,)]
    shapes += L * [(d, d), (d,), (d, d), (d,), (d, d), (d,), (d, d), (d,), (d,), (d,), (d, I), (I,), (I, d), (d,),
                   (d,), (d,)]
    shapes += [(d, d), (d,)]
    return int(sum(np.prod(s) for s in shapes))


@pytest.mark.parametrize("right", [params_right, params_by_arrays])
def test_n_params_accepts_correct_versions(right, capsys):
    check.bert_backbone_params(right)
    assert "✓ Exercise: the parameters of a BERT backbone: correct." in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) - S * d, "segment embedding"),
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) - T * d, "position embeddings"),
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) - d * d - d, "pooler"),
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) - L * (5 * d + I) - d, "biases"),
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) - L * 4 * d - 2 * d, "layer normalizations"),
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) - L * d * I, "two matrices"),
    (lambda V, T, d, L, I, S=2: params_right(V, T, d, L, I, S) + 1, "expected"),
    (lambda V, T, d, L, I, S=3: params_right(V, T, d, L, I, S), "default S = 2"),
    (lambda V, T, d, L, I, S=2: str(params_right(V, T, d, L, I, S)), "should return a number"),
    (lambda V, T, d, L, I, S=2: None, "should return a number"),
])
def test_n_params_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.bert_backbone_params(wrong)


def test_n_params_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.bert_backbone_params(stub)


# ---------------------------------------------------------------------------------------------- mask_tokens
def mask_right(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    ids = np.asarray(token_ids)
    selected = ~np.isin(ids, list(special_ids)) & (rng.random(ids.shape) < rate)
    r = rng.random(ids.shape)
    masked = np.where(selected & (r < 0.8), mask_id, ids)
    masked = np.where(selected & (r >= 0.8) & (r < 0.9), rng.integers(0, vocab_size, size=ids.shape), masked)
    return masked, selected


def mask_loop(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    """The same, one token at a time (slow but right)."""
    masked = np.array(token_ids, copy=True)
    selected = np.zeros(masked.shape, dtype=bool)
    flat_m, flat_s = masked.reshape(-1), selected.reshape(-1)
    draws = rng.random((flat_m.size, 3))
    for i in range(flat_m.size):
        if flat_m[i] in special_ids or draws[i, 0] >= rate:
            continue
        flat_s[i] = True
        if draws[i, 1] < 0.8:
            flat_m[i] = mask_id
        elif draws[i, 1] < 0.9:
            flat_m[i] = int(draws[i, 2] * vocab_size)
    return masked, selected


def mask_in_place(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    masked, selected = mask_right(token_ids, special_ids, mask_id, vocab_size, rng, rate)
    token_ids[...] = masked
    return token_ids, selected


def mask_specials_too(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    return mask_right(token_ids, [], mask_id, vocab_size, rng, rate)


def mask_all_to_mask(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    masked, selected = mask_right(token_ids, special_ids, mask_id, vocab_size, rng, rate)
    return np.where(selected, mask_id, masked), selected


def mask_two_draws(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    """Draws a new number for the second test: 80 % [MASK], then 10 % of the REST random (a classic slip)."""
    ids = np.asarray(token_ids)
    selected = ~np.isin(ids, list(special_ids)) & (rng.random(ids.shape) < rate)
    masked = np.where(selected & (rng.random(ids.shape) < 0.8), mask_id, ids)
    masked = np.where(selected & (masked != mask_id) & (rng.random(ids.shape) < 0.1),
                      rng.integers(0, vocab_size, size=ids.shape), masked)
    return masked, selected


def mask_wrong_rate(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    return mask_right(token_ids, special_ids, mask_id, vocab_size, rng, 0.15)


def mask_rate_of_all_tokens(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    """Selects rate * (all tokens), spread over the eligible ones: too many per eligible token."""
    ids = np.asarray(token_ids)
    eligible = ~np.isin(ids, list(special_ids))
    p = rate * ids.size / eligible.sum()
    return mask_right(ids, special_ids, mask_id, vocab_size, rng, p)


def mask_same_random_id(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    ids = np.asarray(token_ids)
    selected = ~np.isin(ids, list(special_ids)) & (rng.random(ids.shape) < rate)
    r = rng.random(ids.shape)
    masked = np.where(selected & (r < 0.8), mask_id, ids)
    return np.where(selected & (r >= 0.8) & (r < 0.9), 7, masked), selected


def mask_int_selected(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    masked, selected = mask_right(token_ids, special_ids, mask_id, vocab_size, rng, rate)
    return masked, selected.astype(int)


def mask_changes_unselected(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15):
    masked, selected = mask_right(token_ids, special_ids, mask_id, vocab_size, rng, rate)
    masked = masked.copy()
    masked[:, 1][~selected[:, 1]] = mask_id
    return masked, selected


@pytest.mark.parametrize("right", [mask_right, mask_loop])
def test_mask_tokens_accepts_correct_versions(right, capsys):
    check.mask_tokens(right)
    assert "✓ Exercise: BERT's masking: correct." in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (mask_in_place, "changed the token_ids"),
    (mask_specials_too, "special token"),
    (mask_all_to_mask, "became \\[MASK\\]"),
    (mask_two_draws, "ONE uniform number"),
    (mask_wrong_rate, "with rate=0.4"),
    (mask_rate_of_all_tokens, "count only eligible"),
    (mask_same_random_id, "few distinct ids"),
    (mask_int_selected, "boolean"),
    (mask_changes_unselected, "not selected changed"),
    (lambda *a, **k: mask_right(*a, **k)[0], "pair"),
    (lambda *a, **k: (mask_right(*a, **k)[0][:, :5], mask_right(*a, **k)[1]), "shape"),
])
def test_mask_tokens_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.mask_tokens(wrong)


def test_mask_tokens_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.mask_tokens(stub)
