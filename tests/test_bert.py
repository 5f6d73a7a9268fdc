"""course_lib.bert: the BertBackbone parameter formula and the masking summary (NumPy only; the comparison with
keras_hub itself is in tests/test_bert_keras_hub.py)."""

import numpy as np
import pytest

from course_lib.bert import bert_n_params, masking_summary


def count_by_hand(V, T, d, L, I, S=2):
    """Every array of the backbone, listed one by one."""
    arrays = [(V, d), (T, d), (S, d), (d,), (d,)]                  # embeddings and their layer norm
    for _ in range(L):
        arrays += [(d, d), (d,)] * 4                               # query, key, value, output projections
        arrays += [(d,), (d,)]                                     # attention layer norm
        arrays += [(d, I), (I,), (I, d), (d,)]                     # feed-forward network
        arrays += [(d,), (d,)]                                     # feed-forward layer norm
    arrays += [(d, d), (d,)]                                       # pooler
    return sum(int(np.prod(s)) for s in arrays)


@pytest.mark.parametrize("V, T, d, L, I, S", [(592, 40, 64, 2, 128, 2), (30522, 512, 768, 12, 3072, 2),
                                              (10, 3, 4, 1, 8, 1), (100, 16, 8, 3, 5, 4)])
def test_formula_matches_the_list_of_arrays(V, T, d, L, I, S):
    assert bert_n_params(V, T, d, L, I, S) == count_by_hand(V, T, d, L, I, S)


def test_bert_base_has_about_110_million_parameters():
    # BERT-base: V = 30,522 WordPiece tokens, T = 512, d = 768, L = 12, I = 3,072 (Devlin et al. 2019: 110M)
    assert bert_n_params(30522, 512, 768, 12, 3072) == 109_482_240


@pytest.mark.parametrize("name, args", [("vocabulary_size", (0, 8, 8, 1, 8)), ("hidden_dim", (5, 8, 2.5, 1, 8)),
                                        ("num_layers", (5, 8, 8, True, 8)), ("num_segments", (5, 8, 8, 1, 8, 0))])
def test_bad_sizes_are_named(name, args):
    with pytest.raises((TypeError, ValueError), match=name):
        bert_n_params(*args)


# ---------------------------------------------------------------------------------------------- masking
CLS, SEP, PAD, MASK = 1, 2, 0, 4


def test_masking_summary_counts_a_hand_made_batch():
    original = np.array([[CLS, 10, 11, 12, 13, SEP, PAD, PAD],
                         [CLS, 20, 21, 22, 23, 24, 25, SEP]])
    masked = original.copy()
    masked[0, 1] = MASK      # selected, replaced by [MASK]
    masked[0, 3] = 99        # selected, replaced by another token
    masked[1, 2] = MASK      # selected, replaced by [MASK]
    # row 1 position 5: selected and kept
    positions = np.array([[1, 3, 0], [2, 5, 0]])
    ids = np.array([[10, 12, 0], [21, 24, 0]])
    weights = np.array([[1, 1, 0], [1, 1, 0]], dtype=np.float32)
    s = masking_summary(masked, positions, ids, weights, mask_token_id=MASK, special_token_ids=[CLS, SEP, PAD, MASK])
    assert s["n_eligible"] == 4 + 6 and s["n_selected"] == 4
    assert s["rate"] == pytest.approx(0.4)
    assert (s["mask_share"], s["random_share"], s["kept_share"]) == (0.5, 0.25, 0.25)


def test_masking_summary_recovers_the_rates_of_a_simulated_masker():
    rng = np.random.default_rng(0)
    m, t, V = 4000, 30, 500
    original = rng.integers(5, V, size=(m, t))
    original[:, 0] = CLS
    original[:, -1] = SEP
    selected = (rng.random((m, t)) < 0.15) & (original >= 5)
    r = rng.random((m, t))
    masked = np.where(selected & (r < 0.8), MASK, original)
    masked = np.where(selected & (r >= 0.8) & (r < 0.9), rng.integers(0, V, size=(m, t)), masked)
    k = selected.sum(axis=1).max()
    order = np.argsort(~selected, axis=1, kind="stable")[:, :k]
    weights = np.take_along_axis(selected, order, axis=1).astype(np.float32)
    positions = np.where(weights > 0, order, 0)
    ids = np.where(weights > 0, np.take_along_axis(original, order, axis=1), 0)
    s = masking_summary(masked, positions, ids, weights, mask_token_id=MASK, special_token_ids=[0, 1, 2, 3, 4])
    assert s["n_eligible"] == m * (t - 2)
    assert abs(s["rate"] - 0.15) < 0.005
    assert abs(s["mask_share"] - 0.8) < 0.01 and abs(s["random_share"] - 0.1) < 0.01
    assert abs(s["kept_share"] - 0.1) < 0.01
    assert s["mask_share"] + s["random_share"] + s["kept_share"] == pytest.approx(1.0)


def test_masking_summary_with_nothing_selected_and_bad_input():
    ids = np.array([[CLS, 7, 8, SEP]])
    s = masking_summary(ids, np.zeros((1, 2), int), np.zeros((1, 2), int), np.zeros((1, 2)), mask_token_id=MASK,
                        special_token_ids=[CLS, SEP])
    assert s["n_selected"] == 0 and s["rate"] == 0 and np.isnan(s["mask_share"])
    with pytest.raises(TypeError, match="token_ids"):
        masking_summary(ids.astype(float), np.zeros((1, 2), int), np.zeros((1, 2), int), np.zeros((1, 2)),
                        mask_token_id=MASK, special_token_ids=[CLS])
    with pytest.raises(ValueError, match="same shape"):
        masking_summary(ids, np.zeros((1, 2), int), np.zeros((1, 3), int), np.zeros((1, 2)), mask_token_id=MASK,
                        special_token_ids=[CLS])
    with pytest.raises(ValueError, match="mask_positions must be in"):
        masking_summary(ids, np.array([[9, 0]]), np.zeros((1, 2), int), np.array([[1, 0]]), mask_token_id=MASK,
                        special_token_ids=[CLS])
    with pytest.raises(ValueError, match="no eligible"):
        masking_summary(np.array([[CLS, SEP]]), np.zeros((1, 1), int), np.zeros((1, 1), int), np.zeros((1, 1)),
                        mask_token_id=MASK, special_token_ids=[CLS, SEP])
