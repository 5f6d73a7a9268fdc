r"""What large models cost: the arithmetic of training and serving (chapter "What large models cost").

Training compute, memory per parameter, parallelism (ZeRO sharding, tensor and pipeline parallelism), serving
(FLOPs per token, the key/value cache, the roofline) and scaling laws, each as one short function whose
docstring gives the formula:

- :func:`training_flops`: :math:`C \approx 6 N D` (Kaplan et al., 2020), and :func:`gpt_matmul_flops_per_token`,
  the exact count of the matrix products of :class:`course_lib.gpt.GPT` that it approximates;
- :func:`training_days`: :math:`C / (n \cdot F_{\text{peak}} \cdot u)` in days;
- :func:`bytes_per_parameter`, :func:`training_memory_bytes`: 16 bytes per parameter with mixed-precision Adam
  (Rajbhandari et al., 2020), and :func:`zero_memory_per_device` for the three ZeRO stages;
- :func:`ring_all_reduce_bytes`, :func:`tensor_parallel_mlp` (Megatron's column- then row-parallel MLP, Shoeybi
  et al., 2019), :func:`pipeline_bubble` and :func:`pipeline_schedule` (GPipe, Huang et al., 2019);
- :func:`inference_flops_per_token` (:math:`\approx 2N`), :func:`kv_cache_bytes`
  (:math:`2 \cdot L \cdot B \cdot T \cdot d` numbers), :func:`decoding_step_seconds`, :func:`roofline`,
  :func:`cost_per_million_tokens`;
- :func:`scaling_law_loss`, :func:`fit_scaling_law`, :func:`compute_optimal`: the parametric law
  :math:`L(N, D) = E + A/N^\alpha + B/D^\beta` of Hoffmann et al. (2022) and its compute-optimal split;
- :func:`measure_matmul_flops`, :func:`measure_bandwidth`: this machine's roofs.

Sizes may be given as Python or NumPy numbers (``175e9`` is fine for a parameter count).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable

import numpy as np

from ._validation import _describe, check_choice, check_int, check_positive

__all__ = [
    "HOFFMANN_2022",
    "bytes_per_parameter",
    "compute_optimal",
    "cost_per_million_tokens",
    "decoding_step_seconds",
    "fit_scaling_law",
    "gpt_matmul_flops_per_token",
    "inference_flops_per_token",
    "kv_cache_bytes",
    "measure_bandwidth",
    "measure_matmul_flops",
    "pipeline_bubble",
    "pipeline_schedule",
    "ring_all_reduce_bytes",
    "roofline",
    "scaling_law_loss",
    "tensor_parallel_mlp",
    "training_days",
    "training_flops",
    "training_memory_bytes",
    "zero_memory_per_device",
]

#: The parametric fit of Hoffmann et al. (2022), "approach 3" (their equation 10 and section 3.3):
#: :math:`L(N, D) = E + A/N^\alpha + B/D^\beta` with N parameters and D training tokens.
HOFFMANN_2022 = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


def _count(value, name: str, *, allow_zero: bool = False) -> float:
    """A positive (or non-negative) finite real number, such as a parameter or token count, as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number; got "
                        f"{_describe(value)}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} finite number; got "
                         f"{value!r}")
    return float(value)


def _fraction(value, name: str) -> float:
    """A number in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1]; got {_describe(value)}")
    if not (0 < value <= 1):
        raise ValueError(f"{name} must be in (0, 1]; got {value!r}")
    return float(value)


# ------------------------------------------------------------------------------------------ training compute
def training_flops(n_params, n_tokens) -> float:
    r"""Training compute :math:`C \approx 6 N D` FLOPs for :math:`N` parameters and :math:`D` training tokens.

    Per parameter and token: 2 FLOPs in the forward pass (a multiply and an add in a matrix product) and 4 in
    the backward pass (the gradient of the weight and that of the layer's input, 2 each) (Kaplan et al., 2020).
    It leaves out the attention scores (see :func:`gpt_matmul_flops_per_token`), the elementwise operations and
    the optimizer's update.
    """
    return 6.0 * _count(n_params, "n_params") * _count(n_tokens, "n_tokens")


def gpt_matmul_flops_per_token(vocab_size: int, d_model: int, n_layers: int, context: int, *,
                               training: bool = True) -> float:
    r"""FLOPs of the matrix products of :class:`course_lib.gpt.GPT` per token, for sequences of ``context`` tokens.

    Forward, per token: :math:`2(12 L d^2 + dV)` for the products with the weights (:math:`W_q, W_k, W_v, W_o`,
    :math:`W_1, W_2` in each of the :math:`L` blocks, and the output head), plus :math:`4 L t d` for the attention
    scores :math:`QK^\top` and the weighted values :math:`PV` over all :math:`t \times t` pairs (the course's GPT
    computes the full square and masks it). The backward pass computes two products of the same size for each
    (the gradients of both factors), so training costs three times the forward pass:

    .. math:: 6\,(12 L d^2 + d V) + 12\, L\, t\, d .

    The embeddings are table look-ups (no FLOPs); biases, layer norms, GELU and softmax are elementwise and not
    counted. ``training=False`` gives the forward pass alone.
    """
    V = check_int(vocab_size, "vocab_size")
    d = check_int(d_model, "d_model")
    L = check_int(n_layers, "n_layers")
    t = check_int(context, "context")
    forward = 2.0 * (12 * L * d * d + d * V) + 4.0 * L * t * d
    return 3.0 * forward if training else forward


def training_days(flops, n_devices: int, peak_flops_per_device, utilization) -> float:
    r"""Wall-clock days of a run of ``flops`` FLOPs on ``n_devices`` devices: :math:`C / (n\, F\, u) / 86400`,
    with :math:`F` the peak FLOP/s of one device and :math:`u \in (0, 1]` the fraction of it sustained (the
    model FLOPs utilisation)."""
    C = _count(flops, "flops")
    n = check_int(n_devices, "n_devices")
    F = _count(peak_flops_per_device, "peak_flops_per_device")
    u = _fraction(utilization, "utilization")
    return C / (n * F * u) / 86_400.0


# ------------------------------------------------------------------------------------------------- memory
_OPTIMIZER_STATE = {"sgd": (), "momentum": ("velocity",), "adam": ("first moment", "second moment")}


def bytes_per_parameter(optimizer: str = "adam", precision: str = "mixed") -> dict[str, int]:
    r"""Bytes kept for every parameter during training, item by item (activations not included).

    ``precision="mixed"`` (mixed precision, Micikevicius et al., 2018): 16-bit weights (2) and gradients (2), a
    float32 master copy of the weights (4) and float32 optimizer state (4 per value). ``precision="float32"``:
    weights (4), gradients (4) and the optimizer state (4 per value), no master copy. The optimizer state is
    nothing for ``"sgd"``, a velocity for ``"momentum"`` and two moments for ``"adam"``. Mixed-precision Adam:
    :math:`2 + 2 + 4 + 4 + 4 = 16` bytes (Rajbhandari et al., 2020, section 3.1, with :math:`K = 12`).

    Returns a dict ``{item: bytes}``; its values sum to the bytes per parameter.
    """
    states = _OPTIMIZER_STATE[check_choice(optimizer, "optimizer", list(_OPTIMIZER_STATE))]
    check_choice(precision, "precision", ["mixed", "float32"])
    if precision == "mixed":
        items = {"weights (16-bit)": 2, "gradients (16-bit)": 2, "master weights (float32)": 4}
    else:
        items = {"weights (float32)": 4, "gradients (float32)": 4}
    items.update({f"{s} (float32)": 4 for s in states})
    return items


def training_memory_bytes(n_params, optimizer: str = "adam", precision: str = "mixed") -> float:
    r"""Memory of the training state, :math:`N \times` :func:`bytes_per_parameter` (16 N bytes for
    mixed-precision Adam); the activations come on top."""
    return _count(n_params, "n_params") * sum(bytes_per_parameter(optimizer, precision).values())


def zero_memory_per_device(n_params, n_devices: int, stage: int, optimizer: str = "adam",
                           precision: str = "mixed") -> float:
    r"""Training-state bytes per device with data parallelism over :math:`N_d` devices and ZeRO stage
    ``stage`` (Rajbhandari et al., 2020, figure 1). With :math:`w`, :math:`g` and :math:`K` the bytes per
    parameter of the (16-bit) weights, the gradients and the optimizer's state (master weights and moments), for
    :math:`\Psi` parameters:

    - stage 0 (plain data parallelism, every device holds everything): :math:`(w + g + K)\Psi`;
    - stage 1 (optimizer state sharded): :math:`(w + g)\Psi + K\Psi/N_d`;
    - stage 2 (and gradients): :math:`w\Psi + (g + K)\Psi/N_d`;
    - stage 3 (and weights): :math:`(w + g + K)\Psi/N_d`.

    For mixed-precision Adam :math:`w = g = 2`, :math:`K = 12`.
    """
    psi = _count(n_params, "n_params")
    n = check_int(n_devices, "n_devices")
    if isinstance(stage, bool) or not isinstance(stage, numbers.Integral) or stage not in (0, 1, 2, 3):
        raise ValueError(f"stage must be 0, 1, 2 or 3 (the ZeRO stage; 0 = no sharding); got {stage!r}")
    items = list(bytes_per_parameter(optimizer, precision).values())
    w, g, K = items[0], items[1], sum(items[2:])
    per_param = [w + g + K, w + g + K / n, w + (g + K) / n, (w + g + K) / n][int(stage)]
    return psi * per_param


# ---------------------------------------------------------------------------------------------- parallelism
def ring_all_reduce_bytes(n_bytes, n_devices: int) -> float:
    r"""Bytes that each device sends (and receives) in a ring all-reduce of an array of ``n_bytes`` bytes over
    :math:`K` devices: :math:`2 (K - 1)/K \cdot` ``n_bytes`` (a reduce-scatter, then an all-gather, each passing
    :math:`K - 1` chunks of ``n_bytes / K`` around the ring). Nearly twice the array, whatever :math:`K`."""
    size = _count(n_bytes, "n_bytes", allow_zero=True)
    K = check_int(n_devices, "n_devices")
    return 2.0 * (K - 1) / K * size


def _gelu(z: np.ndarray) -> np.ndarray:
    from .layers import gelu_forward

    return gelu_forward(z)[0]


def tensor_parallel_mlp(X, W1, b1, W2, b2, n_devices: int,
                        activation: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    r"""The MLP :math:`Y = \phi(X W_1 + b_1) W_2 + b_2` computed as Megatron splits it over :math:`K` devices
    (Shoeybi et al., 2019): :math:`W_1` by columns ("column-parallel"), :math:`W_2` by rows ("row-parallel").

    Device :math:`k` holds the columns :math:`W_1^{(k)}` of :math:`W_1` (with the matching part of :math:`b_1`)
    and the same rows :math:`W_2^{(k)}` of :math:`W_2`, and computes the partial output
    :math:`Y^{(k)} = \phi(X W_1^{(k)} + b_1^{(k)})\, W_2^{(k)}` without talking to the others, because the
    activation :math:`\phi` is elementwise. An all-reduce then sums the partial outputs, and :math:`b_2` is added
    once: :math:`Y = \sum_k Y^{(k)} + b_2`, the unsplit result up to rounding. One all-reduce of the output
    (:math:`m \times d` numbers) in the forward pass, one of the input's gradient in the backward pass.

    Parameters
    ----------
    X : (m, d) array
    W1 : (d, h) array, b1 : (h,) array, W2 : (h, d_out) array, b2 : (d_out,) array
    n_devices : int
        :math:`K`, which must divide the hidden width :math:`h`.
    activation : callable or None
        :math:`\phi`, elementwise; None is the GELU of :func:`course_lib.layers.gelu_forward` (tanh form).

    Returns
    -------
    (m, d_out) array: the sum of the :math:`K` partial outputs plus :math:`b_2`.
    """
    X, W1, b1, W2, b2 = (np.asarray(a) for a in (X, W1, b1, W2, b2))
    for name, arr, ndim in (("X", X, 2), ("W1", W1, 2), ("b1", b1, 1), ("W2", W2, 2), ("b2", b2, 1)):
        if arr.ndim != ndim or arr.dtype.kind not in "iuf":
            raise ValueError(f"{name} must be a {ndim}-D numeric array; got {_describe(arr)}")
    if W1.shape[0] != X.shape[1]:
        raise ValueError(f"W1 must have X.shape[1] = {X.shape[1]} rows; got W1 of shape {W1.shape}")
    h = W1.shape[1]
    if b1.shape != (h,) or W2.shape[0] != h:
        raise ValueError(f"b1 must have shape ({h},) and W2 {h} rows (the hidden width of W1); got b1 of shape "
                         f"{b1.shape} and W2 of shape {W2.shape}")
    if b2.shape != (W2.shape[1],):
        raise ValueError(f"b2 must have shape ({W2.shape[1]},) (the columns of W2); got {b2.shape}")
    K = check_int(n_devices, "n_devices")
    if h % K:
        raise ValueError(f"n_devices must divide the hidden width {h} of W1 (each device gets h / n_devices "
                         f"columns of W1 and rows of W2); got n_devices = {K}")
    phi = _gelu if activation is None else activation
    cols = np.split(np.arange(h), K)
    partial = [phi(X @ W1[:, c] + b1[c]) @ W2[c, :] for c in cols]  # on device k, no communication
    return sum(partial) + b2  # the all-reduce (a sum over the devices), then the bias once


def pipeline_bubble(n_stages: int, n_microbatches: int) -> float:
    r"""Fraction of the time a device of a GPipe pipeline is idle: :math:`(p - 1)/(m + p - 1)` for :math:`p`
    stages and :math:`m` micro-batches per step (Huang et al., 2019).

    Each of the :math:`m + p - 1` time slots of the forward pass (and likewise of the backward pass) keeps every
    stage busy except while the pipeline fills and drains: each stage waits :math:`p - 1` slots. Relative to the
    useful time (:math:`m` slots) the bubble is :math:`(p - 1)/m` (Narayanan et al., 2021)."""
    p = check_int(n_stages, "n_stages")
    m = check_int(n_microbatches, "n_microbatches")
    return (p - 1) / (m + p - 1)


def pipeline_schedule(n_stages: int, n_microbatches: int) -> np.ndarray:
    r"""The GPipe schedule of one training step, as an int array of shape (p, 2(m + p - 1)): row :math:`s` is
    stage :math:`s`, column a time slot; :math:`k + 1` is the forward pass of micro-batch :math:`k`,
    :math:`-(k + 1)` its backward pass, 0 an idle slot (the bubble). All forward passes first, then all backward
    passes in reverse order of the stages; every pass takes one slot (the backward pass really takes about twice
    the forward pass, which changes the slots' lengths, not the bubble's share)."""
    p = check_int(n_stages, "n_stages")
    m = check_int(n_microbatches, "n_microbatches")
    slots = m + p - 1
    schedule = np.zeros((p, 2 * slots), dtype=np.int64)
    for s in range(p):
        for k in range(m):
            schedule[s, s + k] = k + 1                                # forward: stage s gets micro-batch k at s + k
            schedule[s, slots + (p - 1 - s) + k] = -(k + 1)           # backward: the last stage starts
    return schedule


# ------------------------------------------------------------------------------------------------- serving
def inference_flops_per_token(n_params, n_layers: int = 0, context: int = 0, d_model: int = 0) -> float:
    r"""FLOPs to generate one token with a key/value cache: :math:`2N` (one multiply-add per weight of the
    matrix products), plus :math:`4 L t d` when ``n_layers``, ``context`` (:math:`t`, the positions in the cache)
    and ``d_model`` are given: the new query's scores against the :math:`t` cached keys and the weighted sum of
    the :math:`t` cached values, :math:`2td` each per layer."""
    N = _count(n_params, "n_params")
    L = check_int(n_layers, "n_layers", minimum=0)
    t = check_int(context, "context", minimum=0)
    d = check_int(d_model, "d_model", minimum=0)
    if t and not (L and d):
        raise ValueError(f"with context = {t}, give n_layers and d_model too (the attention costs 4 L t d); got "
                         f"n_layers = {L}, d_model = {d}")
    return 2.0 * N + 4.0 * L * t * d


def kv_cache_bytes(n_layers: int, batch_size: int, context: int, d_model: int, bytes_per_number=2) -> float:
    r"""Bytes of a key/value cache: :math:`2 \cdot L \cdot B \cdot T \cdot d \cdot b`: a key and a value of
    :math:`d` numbers (all heads together) for each of the :math:`T` positions of each of the :math:`B`
    sequences, in each of the :math:`L` layers, :math:`b` bytes each (2 in 16-bit, 4 in float32). The course's
    :class:`course_lib.gpt.KVCache` holds exactly this: two arrays of shape (L, B, H, T, d/H)."""
    L = check_int(n_layers, "n_layers")
    B = check_int(batch_size, "batch_size")
    T = check_int(context, "context")
    d = check_int(d_model, "d_model")
    b = _count(bytes_per_number, "bytes_per_number")
    return 2.0 * L * B * T * d * b


def roofline(intensity, peak_flops, bandwidth):
    r"""Attainable FLOP/s of a computation of arithmetic intensity :math:`I` (FLOPs per byte moved) under the
    roofline model (Williams et al., 2009): :math:`\min(F_{\text{peak}},\ I \cdot \beta)` with :math:`\beta` the
    memory bandwidth in bytes/s. Below the ridge point :math:`I = F_{\text{peak}}/\beta` the computation is
    memory-bound, above it compute-bound. ``intensity`` may be an array."""
    peak = _count(peak_flops, "peak_flops")
    bw = _count(bandwidth, "bandwidth")
    I = np.asarray(intensity, dtype=np.float64)
    if I.dtype.kind != "f" or not np.all(np.isfinite(I)) or np.any(I < 0):
        raise ValueError(f"intensity must hold non-negative finite numbers (FLOPs per byte); got {_describe(intensity)}")
    out = np.minimum(peak, I * bw)
    return float(out) if out.ndim == 0 else out


def decoding_step_seconds(n_params, batch_size: int, peak_flops, bandwidth, *, bytes_per_param=2,
                          kv_bytes_read=0.0) -> float:
    r"""Roofline lower bound on the time of one decoding step that generates a token for each of :math:`B`
    sequences: :math:`\max\bigl(2 N B / F_{\text{peak}},\ (b N + M_{kv}) / \beta\bigr)`. The weights
    (:math:`bN` bytes) are read once per step whatever :math:`B`, the key/value cache (``kv_bytes_read``, all
    sequences together) once as well, and every weight does :math:`2B` FLOPs. While the second term is the larger,
    the step is memory-bound and a larger batch costs (almost) nothing."""
    N = _count(n_params, "n_params")
    B = check_int(batch_size, "batch_size")
    peak = _count(peak_flops, "peak_flops")
    bw = _count(bandwidth, "bandwidth")
    b = _count(bytes_per_param, "bytes_per_param")
    kv = _count(kv_bytes_read, "kv_bytes_read", allow_zero=True)
    return max(2.0 * N * B / peak, (b * N + kv) / bw)


def cost_per_million_tokens(price_per_hour, tokens_per_second) -> float:
    r"""Dollars (or any currency) per million tokens for hardware rented at ``price_per_hour`` that produces
    ``tokens_per_second``: :math:`10^6 \cdot p / (3600 \cdot r)`."""
    p = _count(price_per_hour, "price_per_hour")
    r = _count(tokens_per_second, "tokens_per_second")
    return 1e6 * p / (3600.0 * r)


# --------------------------------------------------------------------------------------------- scaling laws
def scaling_law_loss(n_params, n_tokens, E, A, B, alpha, beta):
    r""":math:`L(N, D) = E + A/N^\alpha + B/D^\beta` (Hoffmann et al., 2022): an irreducible loss :math:`E`, a
    term for the finite model and one for the finite data. ``n_params`` and ``n_tokens`` may be arrays
    (broadcast together)."""
    N = np.asarray(n_params, dtype=np.float64)
    D = np.asarray(n_tokens, dtype=np.float64)
    for name, arr in (("n_params", N), ("n_tokens", D)):
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError(f"{name} must hold positive finite numbers; got {_describe(arr)}")
    out = E + A / N**alpha + B / D**beta
    return float(out) if np.ndim(out) == 0 else out


def fit_scaling_law(n_params, n_tokens, losses, *, huber_delta: float | None = None) -> dict[str, float]:
    r"""Fit :math:`L(N, D) = E + A/N^\alpha + B/D^\beta` to measured losses: minimise the squared residuals of
    :math:`\log \hat L(N_i, D_i) - \log L_i` (or, with ``huber_delta``, their Huber loss with that threshold, as
    Hoffmann et al. (2022, section 3.3) do with :math:`\delta = 10^{-3}`), with :math:`E = e^{e}`,
    :math:`A = e^{a}`, :math:`B = e^{b}` so that they stay positive, from a few starting points (the best
    result is kept; scipy's ``least_squares`` within bounds).

    Five parameters need many more than five points spread over both :math:`N` and :math:`D`; with a small grid
    the exponents are poorly determined.

    Returns ``{"E", "A", "B", "alpha", "beta", "rmse"}``, ``rmse`` the root mean square of the log residuals.
    """
    from scipy.optimize import least_squares

    N, D, Lo = (np.asarray(a, dtype=np.float64).ravel() for a in (n_params, n_tokens, losses))
    if not (len(N) == len(D) == len(Lo)):
        raise ValueError(f"n_params, n_tokens and losses must have the same length; got {len(N)}, {len(D)} and "
                         f"{len(Lo)}")
    if len(N) < 5:
        raise ValueError(f"fitting five parameters needs at least 5 points; got {len(N)}")
    for name, arr in (("n_params", N), ("n_tokens", D), ("losses", Lo)):
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError(f"{name} must hold positive finite numbers; got {_describe(arr)}")
    if huber_delta is not None:
        huber_delta = check_positive(huber_delta, "huber_delta")
    logN, logD, logL = np.log(N), np.log(D), np.log(Lo)

    def residuals(p):
        e, a, b, alpha, beta = p
        pred = np.logaddexp(np.logaddexp(e, a - alpha * logN), b - beta * logD)  # log(E + A/N^a + B/D^b)
        return pred - logL

    best = None
    low, high = [-5.0, -10.0, -10.0, 0.0, 0.0], [math.log(float(Lo.min())), 30.0, 30.0, 2.5, 2.5]
    for alpha0 in (0.25, 0.75):
        for beta0 in (0.25, 0.75):
            for e0 in (math.log(0.7 * float(Lo.min())),):
                start = [e0, math.log(float(Lo.max())) + alpha0 * float(logN.mean()),
                         math.log(float(Lo.max())) + beta0 * float(logD.mean()), alpha0, beta0]
                start = list(np.clip(start, np.add(low, 1e-9), np.subtract(high, 1e-9)))
                kwargs = {"loss": "huber", "f_scale": huber_delta} if huber_delta is not None else {}
                r = least_squares(residuals, start, bounds=(low, high), **kwargs)
                if best is None or r.cost < best.cost:
                    best = r
    e, a, b, alpha, beta = (float(x) for x in best.x)
    rmse = float(np.sqrt(np.mean(residuals(best.x) ** 2)))
    return {"E": math.exp(e), "A": math.exp(a), "B": math.exp(b), "alpha": alpha, "beta": beta, "rmse": rmse}


def compute_optimal(flops, A, B, alpha, beta) -> tuple[float, float]:
    r"""The parameters and tokens that minimise :math:`L(N, D) = E + A/N^\alpha + B/D^\beta` for a compute budget
    :math:`C = 6ND` (Hoffmann et al., 2022, equation 4):

    .. math::
        N_{opt} = G \left(\frac{C}{6}\right)^{\beta/(\alpha+\beta)}, \quad
        D_{opt} = \frac{C}{6 N_{opt}}, \quad
        G = \left(\frac{\alpha A}{\beta B}\right)^{1/(\alpha+\beta)} .

    (Setting the derivative of :math:`A N^{-\alpha} + B (C/6N)^{-\beta}` with respect to :math:`N` to zero gives
    :math:`\alpha A N^{-\alpha} = \beta B D^{-\beta}`.) ``flops`` may be an array. Returns ``(N_opt, D_opt)``;
    their ratio :math:`D_{opt}/N_{opt}` is the number of tokens per parameter.
    """
    C = np.asarray(flops, dtype=np.float64)
    if not np.all(np.isfinite(C)) or np.any(C <= 0):
        raise ValueError(f"flops must be positive finite numbers; got {_describe(flops)}")
    A, B, alpha, beta = (check_positive(v, n) for v, n in ((A, "A"), (B, "B"), (alpha, "alpha"), (beta, "beta")))
    G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    N = G * (C / 6.0) ** (beta / (alpha + beta))
    D = C / (6.0 * N)
    if N.ndim == 0:
        return float(N), float(D)
    return N, D


# ---------------------------------------------------------------------------------------------- measuring
def measure_matmul_flops(n: int = 1024, repeats: int = 5) -> float:
    r"""FLOP/s of a float32 (n, n) @ (n, n) product on this machine, the best of ``repeats`` (:math:`2n^3` FLOPs
    each), with the BLAS threads as configured (limit them with threadpoolctl to measure one core)."""
    n = check_int(n, "n")
    repeats = check_int(repeats, "repeats")
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n), dtype=np.float32)
    B = rng.standard_normal((n, n), dtype=np.float32)
    C = np.empty((n, n), dtype=np.float32)
    np.matmul(A, B, out=C)  # warm-up
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def measure_bandwidth(n_bytes: int = 2**25, repeats: int = 5) -> float:
    r"""Memory bandwidth in bytes/s measured by copying a float32 array of ``n_bytes`` bytes into another (the
    best of ``repeats``): :math:`2 \cdot` ``n_bytes`` (read and written) divided by the time. Choose ``n_bytes``
    like the data the computation reads (an array that fits a cache of the processor measures that cache)."""
    n_bytes = check_int(n_bytes, "n_bytes", minimum=4)
    repeats = check_int(repeats, "repeats")
    a = np.ones(n_bytes // 4, dtype=np.float32)
    b = np.empty_like(a)
    np.copyto(b, a)  # warm-up: first touch of b
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * a.nbytes / best
