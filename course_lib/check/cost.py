r"""Checks for the exercises of chapter "What large models cost" (``book/24-cost-of-large-models.md``).

- :func:`zero_bytes_per_device`: ``zero_bytes_per_device(n_params, n_devices, stage)``, the training-state bytes
  per device for mixed-precision Adam (2 + 2 bytes of 16-bit weights and gradients, 12 bytes of float32 optimizer
  state per parameter) with ZeRO stage 0 to 3 over ``n_devices`` data-parallel devices (Rajbhandari et al., 2020):

  .. math::
      16\Psi, \qquad 4\Psi + \frac{12\Psi}{N_d}, \qquad 2\Psi + \frac{14\Psi}{N_d}, \qquad \frac{16\Psi}{N_d}.

- :func:`tensor_parallel_partials`: ``tensor_parallel_partials(X, W1, b1, W2, K)``, the list of the K partial
  outputs :math:`\mathrm{GELU}(X W_1^{(k)} + b_1^{(k)}) W_2^{(k)}` of a Megatron-style tensor-parallel MLP (W1
  split into K equal blocks of consecutive columns, W2 into the same blocks of rows).

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ..layers import gelu_forward
from ._core import CheckFailed, exercise_check, expect_close, is_close

__all__ = ["zero_bytes_per_device", "tensor_parallel_partials"]


# ------------------------------------------------------------------------------------------------- ZeRO
def _zero(psi: float, n: int, stage: int, *, w=2.0, g=2.0, k=12.0, shard=(False, False, False)) -> float:
    """Bytes per device; ``shard`` = which of (state, gradients, weights) are divided by n (overrides ``stage``)."""
    s_state, s_grad, s_weight = shard if any(shard) else (stage >= 1, stage >= 2, stage >= 3)
    return psi * ((w / n if s_weight else w) + (g / n if s_grad else g) + (k / n if s_state else k))


@exercise_check("ex-cost-zero", "Exercise: memory per device with ZeRO")
def zero_bytes_per_device(student_fn):
    """Check ``student_fn(n_params, n_devices, stage)`` against the four ZeRO stages, on several sizes."""
    cases = [(7.5e9, 64), (175e9, 1024), (1e6, 8), (13e9, 1)]
    got = {}
    for psi, n in cases:
        for stage in range(4):
            value = student_fn(psi, n, stage)
            if isinstance(value, (str, bytes, bool)) or value is None:
                raise CheckFailed(f"zero_bytes_per_device({psi:g}, {n}, {stage}) should return a number of bytes; "
                                  f"got {type(value).__name__} {value!r}.")
            try:
                got[psi, n, stage] = float(value)
            except (TypeError, ValueError):
                raise CheckFailed(f"zero_bytes_per_device should return a number; got {type(value).__name__}.") from None

    def matches(**variant) -> bool:
        return all(is_close(v, _zero(psi, n, st, **variant), rtol=1e-9, atol=1e-6) for (psi, n, st), v in got.items())

    if matches():
        return
    paper = [got[7.5e9, 64, st] / 1e9 for st in range(4)]
    mistakes = [
        (dict(k=8.0), "you counted 8 bytes of optimizer state per parameter (the two moments). Mixed precision "
                      "also keeps a float32 master copy of the weights: K = 4 + 4 + 4 = 12."),
        (dict(w=4.0, g=4.0, k=8.0), "you counted float32 weights and gradients (4 + 4) and no master copy. With "
                                    "mixed precision the weights and gradients are 16-bit (2 + 2) and the "
                                    "optimizer state is 12 bytes (master weights and two moments)."),
        (dict(shard=(True, True, True)), "you divided everything by n_devices at every stage. Stage 1 shards only "
                                         "the optimizer state, stage 2 also the gradients, stage 3 also the "
                                         "weights; stage 0 shards nothing."),
    ]
    for variant, message in mistakes:
        if matches(**variant):
            raise CheckFailed(f"zero_bytes_per_device: {message}")
    for stage in range(4):
        for (psi, n, st), v in got.items():
            if st == stage and not is_close(v, _zero(psi, n, st), rtol=1e-9, atol=1e-6):
                if is_close(v, _zero(psi, n, st) / 1e9, rtol=1e-9, atol=1e-12):
                    raise CheckFailed("zero_bytes_per_device: return bytes, not gigabytes (do not divide by 1e9).")
                if stage in (1, 2) and is_close(v, _zero(psi, n, 3 - stage), rtol=1e-9, atol=1e-6):
                    raise CheckFailed("zero_bytes_per_device: stages 1 and 2 are swapped. Stage 1 shards the "
                                      "optimizer state (4 + 12/N_d bytes per parameter), stage 2 also the "
                                      "gradients (2 + 14/N_d).")
                expect_close(f"zero_bytes_per_device({psi:g}, {n}, {stage})", v, _zero(psi, n, st), rtol=1e-9,
                             atol=1e-6,
                             hint=f"Stage {stage}: " + ["16 Psi", "(2 + 2) Psi + 12 Psi / N_d",
                                                        "2 Psi + (2 + 12) Psi / N_d", "16 Psi / N_d"][stage]
                                  + f". For 7.5e9 parameters on 64 devices your values are "
                                    f"{', '.join(f'{x:.1f}' for x in paper)} GB; the paper's 120, 31.4, 16.6, 1.9.")


# ---------------------------------------------------------------------------------------- tensor parallel
def _gelu(z):
    return gelu_forward(z)[0]


def _partials(X, W1, b1, W2, K, *, mode="right"):
    h = W1.shape[1]
    if mode == "strided":  # device k gets every K-th column
        blocks = [np.arange(k, h, K) for k in range(K)]
    else:
        blocks = np.split(np.arange(h), K)
    if mode == "no_bias":
        return [_gelu(X @ W1[:, c]) @ W2[c, :] for c in blocks]
    if mode == "no_gelu":
        return [(X @ W1[:, c] + b1[c]) @ W2[c, :] for c in blocks]
    return [_gelu(X @ W1[:, c] + b1[c]) @ W2[c, :] for c in blocks]


@exercise_check("ex-cost-tensor-parallel", "Exercise: a tensor-parallel MLP")
def tensor_parallel_partials(student_fn):
    """Check ``student_fn(X, W1, b1, W2, K)``: K partial outputs, each device's, that sum to the MLP without b2."""
    rng = np.random.default_rng(24)
    cases = [("X (6, 4), W1 (4, 24), K = 4", 6, 4, 24, 4), ("X (5, 3), W1 (3, 12), K = 2", 5, 3, 12, 2),
             ("X (3, 4), W1 (4, 8), K = 1", 3, 4, 8, 1), ("X (4, 6), W1 (6, 24), K = 3", 4, 6, 24, 3)]
    for what, m, d, h, K in cases:
        X = rng.normal(size=(m, d))
        W1, b1 = rng.normal(size=(d, h)), rng.normal(size=h)
        W2, b2 = rng.normal(size=(h, d)), rng.normal(size=d)
        args = [a.copy() for a in (X, W1, b1, W2)]
        got = student_fn(*args, K)
        if any(not np.array_equal(a, b) for a, b in zip(args, (X, W1, b1, W2))):
            raise CheckFailed(f"tensor_parallel_partials ({what}) changed its inputs; slice them, do not write "
                              "into them.")
        if got is None:
            raise CheckFailed(f"tensor_parallel_partials ({what}) returned None: `return` the list of partial "
                              "outputs.")
        if isinstance(got, np.ndarray) and got.ndim == 2:
            raise CheckFailed(f"tensor_parallel_partials ({what}) returned one array of shape {got.shape}: return "
                              f"a list of the {K} partial outputs, one per device, before the all-reduce sums them.")
        try:
            parts = [np.asarray(p, dtype=np.float64) for p in got]
        except (TypeError, ValueError):
            raise CheckFailed(f"tensor_parallel_partials should return a list of {K} arrays; got "
                              f"{type(got).__name__}.") from None
        if len(parts) != K:
            raise CheckFailed(f"tensor_parallel_partials ({what}) returned {len(parts)} partial outputs; there "
                              f"should be K = {K}, one per device.")
        for k, p in enumerate(parts):
            if p.shape != (m, d):
                raise CheckFailed(
                    f"tensor_parallel_partials ({what}): partial output {k} has shape {p.shape}; every device's "
                    f"partial output has the full output shape {(m, d)}: W2 is split by ROWS (the same block of "
                    "the hidden units as the columns of W1), so each device multiplies by W2[block, :]."
                )
        expected = _partials(X, W1, b1, W2, K)
        if all(is_close(p, e, rtol=1e-9, atol=1e-12) for p, e in zip(parts, expected)):
            full = _gelu(X @ W1 + b1) @ W2 + b2
            if not is_close(sum(parts) + b2, full, rtol=1e-9, atol=1e-10):  # pragma: no cover (sanity of the check)
                raise CheckFailed("internal error of the check: the partial outputs do not sum to the MLP")
            continue
        for mode, message in (("no_bias", "you left out b1: each device adds its block of b1 before the GELU."),
                              ("no_gelu", "you left out the GELU: gelu(X @ W1_k + b1_k), with gelu = lambda z: "
                                          "gelu_forward(z)[0]."),
                              ("strided", "device k should get a block of consecutive columns, not every K-th "
                                          "column.")):
            if all(is_close(p, e, rtol=1e-9, atol=1e-12) for p, e in zip(parts, _partials(X, W1, b1, W2, K,
                                                                                          mode=mode))):
                raise CheckFailed(f"tensor_parallel_partials ({what}): {message}")
        full_without_b2 = _gelu(X @ W1 + b1) @ W2
        if is_close(sum(parts), full_without_b2 + b2, rtol=1e-9, atol=1e-10) and K > 1:
            raise CheckFailed(f"tensor_parallel_partials ({what}): the partial outputs include b2. Add b2 once, "
                              "after the all-reduce (the sum of the partial outputs), not on every device.")
        if is_close(sum(parts), full_without_b2, rtol=1e-9, atol=1e-10):
            raise CheckFailed(f"tensor_parallel_partials ({what}): the partial outputs sum to the right result, "
                              "but device k should hold the k-th block of CONSECUTIVE columns of W1 (np.split of "
                              "the column indices into K equal parts), not another split.")
        for k, (p, e) in enumerate(zip(parts, expected)):
            expect_close(f"tensor_parallel_partials ({what}), partial output {k}", p, e, rtol=1e-9, atol=1e-12,
                         hint="Device k: cols = np.split(np.arange(W1.shape[1]), K)[k]; "
                              "gelu(X @ W1[:, cols] + b1[cols]) @ W2[cols, :].")
