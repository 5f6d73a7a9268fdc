r"""Learning-rate schedules (chapter "A GPT from scratch").

A schedule is a function of the step count :math:`s = 0, 1, 2, \dots` that returns the learning rate
:math:`\eta(s)` of the update made at that step. Every optimizer of :mod:`course_lib.optimizers` accepts one in
place of a constant ``lr``; it evaluates ``schedule(s)`` with :math:`s` the number of steps taken **before** the
current one (``optimizer.t`` before it is incremented), exactly as a Keras 3 optimizer evaluates its schedule at
``optimizer.iterations`` before incrementing it. The first update therefore uses :math:`\eta(0)`.

Both schedules here are callable on a Python or NumPy number (the result is a ``float``) and on an array of steps
(the result is a float64 array of the same shape), so that a schedule can be plotted in one call::

    lr = WarmupCosine(peak_lr=1e-3, warmup_steps=100, total_steps=2000)
    lr(0), lr(100), lr(np.arange(2000))

Training a transformer such as GPT usually warms the learning rate up linearly for the first few hundred steps
(the moment estimates of Adam are still noisy then) and lowers it along a cosine afterwards (Loshchilov and
Hutter, "SGDR", 2017; Radford et al., 2018, used a linear warm-up and cosine decay for GPT).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import _describe, check_fraction, check_int, check_positive

__all__ = ["LearningRateSchedule", "CosineDecay", "WarmupCosine"]


class LearningRateSchedule:
    """Base class: validate the step, evaluate :meth:`_value` vectorised, return a float or an array.

    Subclasses implement ``_value(s)`` for a float64 array ``s`` of valid (finite, non-negative) steps.
    """

    def __call__(self, step):
        """The learning rate at ``step`` (counted from 0): a float for a number, a float64 array for an array.

        Raises
        ------
        TypeError
            If ``step`` is not a real number or a numeric array (booleans are refused).
        ValueError
            If a step is negative, NaN or infinite.
        """
        if isinstance(step, numbers.Real) and not isinstance(step, (bool, np.bool_)):
            s = float(step)
            if not (math.isfinite(s) and s >= 0):
                raise ValueError(f"step must be a finite number >= 0 (counted from 0); got {step!r}")
            return float(self._value(np.float64(s)))
        try:
            arr = np.asarray(step)
        except Exception:  # ragged lists and the like
            arr = None
        if arr is None or arr.dtype.kind not in "iuf":
            raise TypeError(f"step must be a number or a numeric array of steps; got {_describe(step)}")
        s = arr.astype(np.float64)
        bad = ~(np.isfinite(s) & (s >= 0))
        if bad.any():
            raise ValueError(
                f"step must hold finite numbers >= 0 (counted from 0); got {int(bad.sum())} other values, for "
                f"example {s[bad].flat[0]!r}"
            )
        out = np.asarray(self._value(s), dtype=np.float64)
        return float(out) if out.ndim == 0 else out

    def _value(self, s: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class CosineDecay(LearningRateSchedule):
    r"""Cosine decay with an optional linear warm-up, value for value ``keras.optimizers.schedules.CosineDecay``.

    Without warm-up (``warmup_target=None``), with :math:`\eta_0` = ``initial_learning_rate``,
    :math:`D` = ``decay_steps`` and :math:`\alpha` = ``alpha``:

    .. math::
        \eta(s) = \eta_0 \Big[(1 - \alpha)\, \tfrac12\big(1 + \cos(\pi \min(s, D)/D)\big) + \alpha\Big],

    falling from :math:`\eta_0` at :math:`s = 0` to :math:`\alpha\eta_0` at :math:`s \ge D`.

    With warm-up to :math:`\eta_1` = ``warmup_target`` over :math:`W` = ``warmup_steps`` steps, and
    :math:`\bar s = \min(s, W + D)`:

    .. math::
        \eta(s) = \begin{cases}
            \eta_0 + (\eta_1 - \eta_0)\, \bar s / W & \bar s < W \quad\text{(linear warm-up)}, \\
            \eta_1 \Big[(1 - \alpha)\, \tfrac12\big(1 + \cos(\pi (\bar s - W)/D)\big) + \alpha\Big]
                & \text{otherwise (cosine decay to } \alpha\eta_1).
        \end{cases}

    These are the formulas, in the same order of operations, of ``CosineDecay.__call__`` in
    ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1). Keras computes in the dtype of
    ``initial_learning_rate`` (float32 for a Python float); this class computes in float64, so the two agree to
    float32 rounding (a relative difference of about :math:`10^{-7}`).

    Differences in what is accepted (Keras accepts these silently): negative steps, ``warmup_steps > 0`` without a
    ``warmup_target`` (Keras ignores the warm-up), ``alpha`` outside [0, 1] and a zero learning rate without warm-up
    raise errors here.

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\eta_0 \ge 0`: the rate at step 0 (the start of the warm-up when ``warmup_target`` is given, which
        may then be 0; otherwise the start of the decay, > 0).
    decay_steps : int
        :math:`D \ge 1`: the length of the cosine part in steps.
    alpha : float
        :math:`\alpha \in [0, 1]`: the final rate as a fraction of the rate at the start of the decay.
    warmup_target : float or None
        :math:`\eta_1 > 0`: the rate reached at the end of the warm-up; ``None`` for no warm-up.
    warmup_steps : int
        :math:`W \ge 0`: the length of the warm-up in steps (needs ``warmup_target``).
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        self.initial_learning_rate = check_fraction(
            initial_learning_rate, "initial_learning_rate", low=0.0, high=math.inf
        )
        self.decay_steps = check_int(decay_steps, "decay_steps", minimum=1)
        self.alpha = check_fraction(alpha, "alpha", closed_high=True)
        self.warmup_target = None if warmup_target is None else check_positive(warmup_target, "warmup_target")
        self.warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=0)
        if self.warmup_target is None:
            if self.warmup_steps > 0:
                raise ValueError(
                    f"warmup_steps={self.warmup_steps} needs a warmup_target (the rate to warm up to); got "
                    "warmup_target=None (Keras would silently skip the warm-up)"
                )
            if self.initial_learning_rate == 0.0:
                raise ValueError(
                    "initial_learning_rate must be > 0 without a warmup_target (the rate would be 0 at every "
                    "step); got 0.0"
                )

    def _cosine(self, s, peak):
        # Keras: completed_fraction = s / D; cosine = 0.5 (1 + cos(pi fraction)); peak ((1 - alpha) cosine + alpha)
        cosine_decayed = 0.5 * (1.0 + np.cos(np.pi * (s / self.decay_steps)))
        return peak * ((1.0 - self.alpha) * cosine_decayed + self.alpha)

    def _value(self, s):
        D, W = self.decay_steps, self.warmup_steps
        if self.warmup_target is None:
            return self._cosine(np.minimum(s, D), self.initial_learning_rate)
        s = np.minimum(s, D + W)
        eta0, eta1 = self.initial_learning_rate, self.warmup_target
        decay = self._cosine(np.maximum(s - W, 0.0), eta1)
        if W == 0:
            return decay
        warm = (eta1 - eta0) * (s / W) + eta0
        return np.where(s < W, warm, decay)

    def __repr__(self) -> str:
        return (
            f"CosineDecay(initial_learning_rate={self.initial_learning_rate!r}, decay_steps={self.decay_steps!r}, "
            f"alpha={self.alpha!r}, warmup_target={self.warmup_target!r}, warmup_steps={self.warmup_steps!r})"
        )


class WarmupCosine(LearningRateSchedule):
    r"""Linear warm-up from 0 to a peak, then cosine decay to a final rate: the schedule used to train GPT models.

    With :math:`\eta_{\max}` = ``peak_lr``, :math:`\eta_{\min}` = ``final_lr``, :math:`W` = ``warmup_steps`` and
    :math:`S` = ``total_steps`` (steps counted from 0):

    .. math::
        \eta(s) = \begin{cases}
            \eta_{\max}\, s / W & 0 \le s < W \quad\text{(linear warm-up)}, \\
            \eta_{\min} + (\eta_{\max} - \eta_{\min})\, \tfrac12\Big(1 + \cos\big(\pi\, \tfrac{s - W}{S - W}\big)\Big)
                & W \le s \le S \quad\text{(cosine decay)}, \\
            \eta_{\min} & s > S.
        \end{cases}

    When ``warmup_steps > 0`` the rate is 0 at step 0 (the first update moves no weight, but it fills Adam's
    moment estimates); it reaches :math:`\eta_{\max}` at step :math:`W` and :math:`\eta_{\min}` at step
    :math:`S`, so a run of ``total_steps`` updates (steps :math:`0, \dots, S - 1`) ends just above
    :math:`\eta_{\min}`. This is the shape of nanoGPT's ``get_lr`` (whose warm-up is offset by one step) and of
    GPT-3's training (Brown et al., 2020: warm-up, then cosine decay to 10 % of the peak, ``final_lr = 0.1 *
    peak_lr``). It equals ``CosineDecay(0.0, S - W, alpha=final_lr / peak_lr, warmup_target=peak_lr,
    warmup_steps=W)``, here and in Keras.

    Parameters
    ----------
    peak_lr : float
        :math:`\eta_{\max} > 0`, the rate at the end of the warm-up.
    warmup_steps : int
        :math:`W \ge 0`; 0 starts the cosine at the peak right away.
    total_steps : int
        :math:`S > W`, the step at which the rate reaches ``final_lr`` and stays.
    final_lr : float
        :math:`\eta_{\min} \in [0, \eta_{\max}]`.
    """

    def __init__(self, peak_lr: float, warmup_steps: int, total_steps: int, final_lr: float = 0.0):
        self.peak_lr = check_positive(peak_lr, "peak_lr")
        self.warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=0)
        self.total_steps = check_int(total_steps, "total_steps", minimum=1)
        if self.warmup_steps >= self.total_steps:
            raise ValueError(
                f"warmup_steps must be smaller than total_steps (the cosine part needs at least one step); got "
                f"warmup_steps={self.warmup_steps} and total_steps={self.total_steps}"
            )
        self.final_lr = check_fraction(final_lr, "final_lr", low=0.0, high=self.peak_lr, closed_high=True)

    def _value(self, s):
        W, S = self.warmup_steps, self.total_steps
        s = np.minimum(s, S)
        progress = np.maximum(s - W, 0.0) / (S - W)
        decay = self.final_lr + (self.peak_lr - self.final_lr) * (0.5 * (1.0 + np.cos(np.pi * progress)))
        if W == 0:
            return decay
        return np.where(s < W, self.peak_lr * (s / W), decay)

    def __repr__(self) -> str:
        return (
            f"WarmupCosine(peak_lr={self.peak_lr!r}, warmup_steps={self.warmup_steps!r}, "
            f"total_steps={self.total_steps!r}, final_lr={self.final_lr!r})"
        )
