r"""Small helpers for the BERT of chapter "Pre-training and fine-tuning" (NumPy only, no Keras import).

- :func:`bert_n_params`: the parameter count of ``keras_hub.models.BertBackbone`` from its configuration,

  .. math::
      N = (V + T + S)\,d + 2d + L\,(4d^2 + 2dI + 9d + I) + d^2 + d,

  with vocabulary size :math:`V`, maximum sequence length :math:`T`, :math:`S` segment types, width :math:`d`,
  :math:`L` layers and feed-forward width :math:`I`: token, position and segment embeddings and their layer
  normalization; per layer the four attention projections with biases (:math:`4d^2 + 4d`), the feed-forward
  network (:math:`dI + I + Id + d`) and two layer normalizations (:math:`4d`); and the pooler, a dense layer
  :math:`d \to d` on the ``[CLS]`` vector. The number of heads does not appear.
- :func:`masking_summary`: what a masked-language-model preprocessor did to a batch: the share of the eligible
  tokens (not ``[CLS]``, ``[SEP]``, ``[PAD]``) that were selected, and among the selected ones the shares
  replaced by ``[MASK]``, by another token, or kept (BERT's 80 / 10 / 10, Devlin et al. 2019).
"""

from __future__ import annotations

import numpy as np

from ._validation import _describe, check_int

__all__ = ["bert_n_params", "masking_summary"]


def bert_n_params(vocabulary_size: int, max_sequence_length: int, hidden_dim: int, num_layers: int,
                  intermediate_dim: int, num_segments: int = 2) -> int:
    r"""Number of parameters of ``keras_hub.models.BertBackbone`` built with these arguments.

    :math:`N = (V + T + S)d + 2d + L(4d^2 + 2dI + 9d + I) + d^2 + d` (see the module docstring). The token
    embedding is also the output matrix of the masked-language-model head (weight tying), so it is counted once
    here; the head of ``BertMaskedLM`` adds :math:`d^2 + 3d + V` (a dense layer, a layer normalization and an
    output bias), the head of ``BertTextClassifier`` :math:`dC + C` for :math:`C` classes.

    Parameters
    ----------
    vocabulary_size, max_sequence_length, hidden_dim, num_layers, intermediate_dim : int >= 1
        :math:`V, T, d, L, I`, the arguments of the same names of ``BertBackbone``.
    num_segments : int >= 1
        :math:`S`, the number of segment types (2 in BERT: sentence A and sentence B).

    Returns
    -------
    int
    """
    V = check_int(vocabulary_size, "vocabulary_size")
    T = check_int(max_sequence_length, "max_sequence_length")
    d = check_int(hidden_dim, "hidden_dim")
    L = check_int(num_layers, "num_layers")
    Id = check_int(intermediate_dim, "intermediate_dim")
    S = check_int(num_segments, "num_segments")
    embeddings = (V + T + S) * d + 2 * d
    layer = (4 * d * d + 4 * d) + (d * Id + Id + Id * d + d) + 2 * 2 * d
    pooler = d * d + d
    return embeddings + L * layer + pooler


def _int_array(value, name: str, ndim: int = 2) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{name} must be an integer array; got {_describe(value)} ({exc})") from None
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array of token ids or positions; got {_describe(value)}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    return arr.astype(np.int64)


def masking_summary(token_ids, mask_positions, mask_ids, mask_weights, *, mask_token_id: int,
                    special_token_ids) -> dict:
    r"""What masked-language-model preprocessing did to a batch, measured.

    The inputs are what ``keras_hub.models.BertMaskedLMPreprocessor`` returns: ``x["token_ids"]`` (the ids after
    masking), ``x["mask_positions"]``, ``y`` (the original ids at those positions) and ``sample_weight`` (1 for a
    real selection, 0 for padding of the fixed-length selection arrays). The original sequence is the masked one
    with ``y`` written back at the selected positions. With :math:`E` eligible tokens (original id not in
    ``special_token_ids``) and :math:`K` selected ones,

    .. math::
        \text{rate} = K / E, \qquad
        \text{mask\_share} = \#\{\text{now } \texttt{[MASK]}\} / K, \qquad
        \text{random\_share} = \#\{\text{now another id}\} / K, \qquad
        \text{kept\_share} = \#\{\text{unchanged}\} / K .

    A token "replaced by a random token" that drew its own id counts as kept (probability :math:`1/V`).

    Parameters
    ----------
    token_ids : int array (m, t)
        Token ids after masking.
    mask_positions, mask_ids : int arrays (m, k)
        Selected positions and the original ids there (entries with weight 0 are ignored).
    mask_weights : array (m, k)
        1 for a selected position, 0 for padding.
    mask_token_id : int
        Id of ``[MASK]``.
    special_token_ids : iterable of int
        Ids that are never selected (``[CLS]``, ``[SEP]``, ``[PAD]``, ...).

    Returns
    -------
    dict with int ``n_eligible``, ``n_selected`` and float ``rate``, ``mask_share``, ``random_share``,
    ``kept_share`` (the shares are NaN when nothing was selected).
    """
    masked = _int_array(token_ids, "token_ids")
    positions = _int_array(mask_positions, "mask_positions")
    ids = _int_array(mask_ids, "mask_ids")
    weights = np.asarray(mask_weights)
    if weights.dtype.kind not in "biuf" or weights.shape != positions.shape or ids.shape != positions.shape:
        raise ValueError(
            "mask_positions, mask_ids and mask_weights must have the same shape (m, k); got "
            f"{positions.shape}, {ids.shape} and {_describe(mask_weights)}"
        )
    if positions.shape[0] != masked.shape[0]:
        raise ValueError(f"mask_positions must have one row per sequence of token_ids ({masked.shape[0]}); "
                         f"got {positions.shape[0]} rows")
    mask_token_id = check_int(mask_token_id, "mask_token_id", minimum=0)
    special = np.asarray(sorted(int(s) for s in special_token_ids), dtype=np.int64)
    real = weights > 0
    if np.any(positions[real] < 0) or np.any(positions[real] >= masked.shape[1]):
        raise ValueError(f"mask_positions must be in [0, {masked.shape[1]}) where mask_weights is 1")
    rows = np.broadcast_to(np.arange(masked.shape[0])[:, None], positions.shape)[real]
    cols = positions[real]
    original = masked.copy()
    original[rows, cols] = ids[real]
    now = masked[rows, cols]
    n_eligible = int(np.sum(~np.isin(original, special)))
    n_selected = int(real.sum())
    if n_eligible == 0:
        raise ValueError("token_ids has no eligible token (every id is special): nothing could be selected")
    if n_selected:
        is_mask = now == mask_token_id
        kept = now == ids[real]
        shares = (float(np.mean(is_mask)), float(np.mean(~is_mask & ~kept)), float(np.mean(kept & ~is_mask)))
    else:
        shares = (float("nan"),) * 3
    return {"n_eligible": n_eligible, "n_selected": n_selected, "rate": n_selected / n_eligible,
            "mask_share": shares[0], "random_share": shares[1], "kept_share": shares[2]}
