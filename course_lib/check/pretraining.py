r"""Checks for the exercises of chapter "Pre-training and fine-tuning" (``book/22-pretraining-finetuning.md``).

- :func:`bert_backbone_params`: ``bert_backbone_params(V, T, d, L, I, S=2)``, the parameter count of
  ``keras_hub.models.BertBackbone``, :math:`N = (V + T + S)d + 2d + L(4d^2 + 2dI + 9d + I) + d^2 + d`
  (:func:`course_lib.bert.bert_n_params`).
- :func:`mask_tokens`: ``mask_tokens(token_ids, special_ids, mask_id, vocab_size, rng, rate=0.15)``, BERT's
  masking: each eligible token (id not in ``special_ids``) selected with probability ``rate``; a selected token
  becomes ``mask_id`` with probability 0.8, a uniformly drawn id with probability 0.1, and stays as it is with
  probability 0.1. Returns ``(masked, selected)``. The check is statistical: on about 120,000 tokens it compares
  the measured rates with the configured ones, with tolerances of several standard errors.

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ..bert import bert_n_params
from ._core import CheckFailed, exercise_check, expect_close, is_close

__all__ = ["bert_backbone_params", "mask_tokens"]


# ---------------------------------------------------------------------------------------- parameter count
def _variant(V, T, d, L, I, S, *, segments=True, positions=True, pooler=True, biases=True, norms=True,
             ffn_factor=2):
    emb = (V + (T if positions else 0) + (S if segments else 0)) * d + (2 * d if norms else 0)
    attention = 4 * d * d + (4 * d if biases else 0)
    ffn = ffn_factor * d * I + ((I + d) if biases else 0)
    layer_norms = 4 * d if norms else 0
    pool = (d * d + (d if biases else 0)) if pooler else 0
    return emb + L * (attention + ffn + layer_norms) + pool


@exercise_check("ex-pt-n-params", "Exercise: the parameters of a BERT backbone")
def bert_backbone_params(student_fn):
    """Check ``student_fn(V, T, d, L, I, S=2)`` against the count of every array of ``BertBackbone``."""
    cases = [(592, 32, 64, 2, 128, 2), (30522, 512, 768, 12, 3072, 2), (50, 10, 8, 1, 16, 2), (100, 16, 12, 3, 20, 4)]
    got = {}
    for case in cases:
        value = student_fn(*case)
        if isinstance(value, (str, bytes, bool)) or value is None:
            raise CheckFailed(f"bert_backbone_params{case} should return a number; got {type(value).__name__} "
                              f"{value!r}.")
        try:
            got[case] = float(value)
        except (TypeError, ValueError):
            raise CheckFailed(f"bert_backbone_params{case} should return a number; got "
                              f"{type(value).__name__}.") from None

    def matches(**variant) -> bool:
        return all(is_close(v, _variant(*case, **variant), rtol=0, atol=0.5) for case, v in got.items())

    if matches():
        default = student_fn(592, 32, 64, 2, 128)
        if not is_close(default, bert_n_params(592, 32, 64, 2, 128), rtol=0, atol=0.5):
            raise CheckFailed(f"bert_backbone_params(592, 32, 64, 2, 128) (S left at its default) gave {default}; "
                              f"expected {bert_n_params(592, 32, 64, 2, 128)}. Is the default S = 2?")
        return
    mistakes = [
        (dict(segments=False), "you left out the segment embedding: BertBackbone has S rows of d numbers for the "
                               "segment types (sentence A or B), added to the token and position embeddings."),
        (dict(positions=False), "you left out the position embeddings: a learned table of T rows of d numbers."),
        (dict(pooler=False), "you left out the pooler, the dense layer d -> d (with its bias) on the [CLS] vector "
                             "whose tanh output is the 'pooled_output'."),
        (dict(biases=False), "you left out the biases: 4 d in attention, I + d in the feed-forward network, d in "
                             "the pooler."),
        (dict(norms=False), "you left out the layer normalizations: each has a gain and a shift of d numbers; one "
                            "after the embeddings and two per layer."),
        (dict(ffn_factor=1), "the feed-forward network has two matrices, d x I and I x d: count both."),
    ]
    for variant, message in mistakes:
        if matches(**variant):
            raise CheckFailed(f"bert_backbone_params: {message}")
    for case, value in got.items():
        expect_close(f"bert_backbone_params{case}", value, bert_n_params(*case), rtol=0, atol=0.5,
                     hint="Embeddings (V + T + S) d plus a layer norm 2 d; per layer attention 4 d^2 + 4 d, "
                          "feed-forward 2 d I + I + d, two layer norms 4 d; the pooler d^2 + d.")


# ---------------------------------------------------------------------------------------------- masking
_SPECIAL = (0, 1, 2, 3, 4)  # [PAD], [CLS], [SEP], [UNK], [MASK]
_MASK = 4


def _masking_batch():
    rng = np.random.default_rng(22)
    m, t, V = 4000, 32, 600
    ids = rng.integers(5, V, size=(m, t))
    lengths = rng.integers(8, t + 1, size=m)
    ids[:, 0] = 1                                             # [CLS]
    ids[np.arange(m), lengths - 1] = 2                        # [SEP]
    ids[np.arange(t)[None, :] >= lengths[:, None]] = 0        # [PAD]
    return ids, V


@exercise_check("ex-pt-mask-tokens", "Exercise: BERT's masking")
def mask_tokens(student_fn):
    """Check ``student_fn(token_ids, special_ids, mask_id, vocab_size, rng, rate)`` statistically."""
    ids, V = _masking_batch()
    for rate in (0.15, 0.4):
        given = ids.copy()
        out = student_fn(given, list(_SPECIAL), _MASK, V, np.random.default_rng(7), rate=rate)
        if not np.array_equal(given, ids):
            raise CheckFailed("mask_tokens changed the token_ids it was given: build a new array (np.where returns "
                              "one) instead of writing into token_ids.")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise CheckFailed(f"mask_tokens should return a pair (masked, selected); got {type(out).__name__}.")
        masked, selected = (np.asarray(a) for a in out)
        if masked.shape != ids.shape or selected.shape != ids.shape:
            raise CheckFailed(f"masked and selected must have the shape of token_ids, {ids.shape}; got "
                              f"{masked.shape} and {selected.shape}.")
        if selected.dtype != bool:
            raise CheckFailed(f"selected must be a boolean array (True where a token was selected); got dtype "
                              f"{selected.dtype}.")
        special = np.isin(ids, _SPECIAL)
        if np.any(selected & special):
            raise CheckFailed("a special token ([CLS], [SEP] or [PAD]) was selected: only tokens whose id is not "
                              "in special_ids are eligible.")
        if np.any(masked[~selected] != ids[~selected]):
            raise CheckFailed("a token that was not selected changed: only selected tokens are replaced.")
        n_eligible = int((~special).sum())
        measured = selected.sum() / n_eligible
        se = np.sqrt(rate * (1 - rate) / n_eligible)
        if abs(measured - rate) > 6 * se:
            hint = (" It is close to rate times ALL tokens: count only eligible ones." if
                    abs(selected.sum() / ids.size - rate) < 6 * se else "")
            raise CheckFailed(f"with rate={rate}, {measured:.4f} of the eligible tokens were selected; expected "
                              f"about {rate} (each eligible token independently with probability rate).{hint}")
        now, before = masked[selected], ids[selected]
        k = now.size
        shares = {"[MASK]": np.mean(now == _MASK), "another token": np.mean((now != _MASK) & (now != before)),
                  "unchanged": np.mean(now == before)}
        expected = {"[MASK]": 0.8, "another token": 0.1 * (1 - 1 / V), "unchanged": 0.1 + 0.1 / V}
        for what, share in shares.items():
            tol = 6 * np.sqrt(expected[what] * (1 - expected[what]) / k)
            if abs(share - expected[what]) > tol:
                raise CheckFailed(
                    f"with rate={rate}, {share:.3f} of the selected tokens became {what}; expected about "
                    f"{expected[what]:.2f} (80 % [MASK], 10 % a random id, 10 % unchanged). Draw ONE uniform number "
                    "per token and compare it with 0.8 and 0.9.")
        replaced = (now != _MASK) & (now != before)
        if replaced.sum() > 100 and (now[replaced].min() < 0 or now[replaced].max() >= V):
            raise CheckFailed(f"random replacements must be ids in 0 .. vocab_size - 1 = {V - 1}.")
        if replaced.sum() > 100 and len(np.unique(now[replaced])) < V // 3:
            raise CheckFailed("the random replacements use few distinct ids: draw them uniformly from "
                              "0 .. vocab_size - 1, a new one for each token.")
