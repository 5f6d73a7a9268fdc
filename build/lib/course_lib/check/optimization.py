r"""Checks for the exercises of chapter "Optimization" (``book/05-optimization.md``).

- :func:`adam_step`: one Adam update in the form of Kingma and Ba's Algorithm 1, checked against
  :class:`course_lib.optimizers.Adam` over several steps.
- :func:`sgd_momentum_step`: one update of gradient descent with momentum (the Keras convention
  :math:`v \leftarrow \mu v - \eta g`, :math:`\theta \leftarrow \theta + v`), checked against
  :class:`course_lib.optimizers.SGD`.

Each check runs the course's optimizer on a fixed sequence of gradients, hands the student's function the same
inputs at every step, and compares what comes back; when something differs it tries the usual mistakes to give a
specific hint.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..optimizers import SGD, Adam
from ._core import CheckFailed, exercise_check, expect_shape, is_close

__all__ = ["adam_step", "sgd_momentum_step"]


def _unpack(out, n: int, names: str, title: str) -> list[np.ndarray]:
    """The student's return value as ``n`` float64 arrays; CheckFailed if it is not a tuple of ``n`` arrays."""
    if not isinstance(out, (tuple, list)) or len(out) != n:
        got = f"a {type(out).__name__} of length {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
        raise CheckFailed(f"{title}: the function should return a tuple {names}; got {got}.")
    arrays = []
    for name, value in zip(names.strip("()").split(", "), out):
        try:
            arrays.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            raise CheckFailed(
                f"{title}: {name} should be an array of numbers; got {type(value).__name__}."
            ) from None
    return arrays


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return is_close(a, b, rtol=1e-6, atol=1e-10)


def _fmt(x: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=6, edgeitems=2):
        return np.array2string(np.asarray(x), separator=", ")


# --------------------------------------------------------------------------------------------------- Adam
def _adam_problems():
    """(shape, hyperparameters, gradients) triples: a matrix with default-like betas, a vector with other betas
    (so that hard-coded defaults fail), and a first step where some gradients are exactly zero (so that a missing
    epsilon gives 0/0)."""
    rng = np.random.default_rng(5)
    problems = []
    shape = (3, 4)
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    grads = [rng.normal(size=shape) * s for s in (1.0, 0.5, 2.0, 1.0, 0.2)]
    problems.append((rng.normal(size=shape), hyper, grads))
    shape = (5,)
    hyper = dict(lr=0.1, beta1=0.5, beta2=0.9, eps=1e-6)
    grads = [rng.normal(size=shape) for _ in range(4)]
    problems.append((rng.normal(size=shape), hyper, grads))
    g0 = rng.normal(size=(2, 3))
    g0[0, 1] = g0[1, 2] = 0.0
    hyper = dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)
    problems.append((rng.normal(size=(2, 3)), hyper, [g0, rng.normal(size=(2, 3))]))
    return problems


def _adam_hint(theta, g, m, v, t, h, got_theta, exp_theta, exp_m, exp_v) -> str:
    """Guess the mistake behind a wrong theta (m and v are right)."""
    lr, b1, b2, eps = h["lr"], h["beta1"], h["beta2"], h["eps"]
    if not np.all(np.isfinite(got_theta)):
        return ("Your theta contains NaN or inf. Is eps in the denominator, sqrt(v_hat) + eps? (Some gradients "
                "in this test are exactly 0, so m = v = 0 there.) Does the bias correction use 1 - beta^t with "
                "the step count t you were given (t starts at 1)?")
    guesses = {
        "You forgot the bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) before the update.":
            theta - lr * exp_m / (np.sqrt(exp_v) + eps),
        "Only m is bias-corrected: v_hat = v / (1 - beta2**t) is missing.":
            theta - lr * exp_m / (1 - b1**t) / (np.sqrt(exp_v) + eps),
        "Only v is bias-corrected: m_hat = m / (1 - beta1**t) is missing.":
            theta - lr * exp_m / (np.sqrt(exp_v / (1 - b2**t)) + eps),
        "Epsilon is missing from the denominator: divide by sqrt(v_hat) + eps.":
            theta - lr * (exp_m / (1 - b1**t)) / np.sqrt(exp_v / (1 - b2**t)),
        "The step has the wrong sign: Adam moves against the gradient, theta - lr * m_hat / (sqrt(v_hat) + eps).":
            2 * theta - exp_theta,
        "The square root is missing: divide by sqrt(v_hat) + eps, not by v_hat + eps.":
            theta - lr * (exp_m / (1 - b1**t)) / (exp_v / (1 - b2**t) + eps),
        "The bias correction uses t - 1 or t + 1 instead of t: with t = 1 on the first step, 1 - beta**t.":
            theta - lr * (exp_m / (1 - b1 ** (t + 1))) / (np.sqrt(exp_v / (1 - b2 ** (t + 1))) + eps),
        "You used the moments from before this step: update m and v first, then use the new ones in the step.":
            theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps),
    }
    for hint, candidate in guesses.items():
        if np.all(np.isfinite(candidate)) and _close(got_theta, candidate):
            return hint
    return ("Check the update theta - lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m_t / (1 - beta1**t) and "
            "v_hat = v_t / (1 - beta2**t) computed from the NEW moments.")


@exercise_check("ex-opt-adam-step", "Exercise: one Adam step")
def adam_step(student_fn: Callable) -> None:
    r"""Check ``student_fn(theta, g, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``, one step of Adam:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \eta\, \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}.

    The reference is :class:`course_lib.optimizers.Adam`, which places its epsilon as :math:`\hat\epsilon` (see
    its docstring); setting :math:`\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}` at every step makes it compute
    exactly the formula above.
    """
    title = "Exercise: one Adam step"
    for theta0, h, grads in _adam_problems():
        ref = theta0.copy()
        opt = Adam(h["lr"], h["beta1"], h["beta2"], h["eps"])
        m = np.zeros_like(theta0)
        v = np.zeros_like(theta0)
        for t, g in enumerate(grads, start=1):
            theta_before = ref.copy()
            opt.eps = h["eps"] * np.sqrt(1.0 - h["beta2"] ** t)  # epsilon-hat equivalent to the paper's epsilon
            opt.step([ref], [g])
            (exp_m, exp_v), = opt.moments()
            out = student_fn(theta_before.copy(), g.copy(), m.copy(), v.copy(), t,
                             h["lr"], h["beta1"], h["beta2"], h["eps"])
            got_theta, got_m, got_v = _unpack(out, 3, "(theta, m, v)", title)
            where = f"at step t={t} (shape {theta0.shape}, lr={h['lr']}, beta1={h['beta1']}, beta2={h['beta2']})"
            for name, got in (("theta", got_theta), ("m", got_m), ("v", got_v)):
                expect_shape(f"{title}: the returned {name}", got, theta0.shape,
                             "Adam works elementwise: theta, m and v all have the shape of theta.")
            if not _close(got_m, exp_m):
                hint = "m_t = beta1 * m_{t-1} + (1 - beta1) * g_t (the moving average of the gradient)."
                if t == 1 and _close(got_m, g):
                    hint = ("At t=1, m_1 = (1 - beta1) * g_1, not g_1: either the factor (1 - beta1) is missing, "
                            "or you returned the bias-corrected m_hat (the state keeps the raw average m_t).")
                elif _close(got_m, exp_m / (1 - h["beta1"] ** t)):
                    hint = ("Return m_t itself, not the bias-corrected m_hat: the correction is used for the step "
                            "only, the state keeps the raw average.")
                raise CheckFailed(f"{title}: m is wrong {where}: expected {_fmt(exp_m)}, got {_fmt(got_m)}. {hint}")
            if not _close(got_v, exp_v):
                hint = "v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2 (the moving average of the SQUARED gradient)."
                if _close(got_v, h["beta2"] * v + (1 - h["beta2"]) * g):
                    hint = "v must average the squared gradient g**2, not g."
                elif _close(got_v, exp_v / (1 - h["beta2"] ** t)):
                    hint = ("Return v_t itself, not the bias-corrected v_hat: the correction is used for the step "
                            "only, the state keeps the raw average.")
                raise CheckFailed(f"{title}: v is wrong {where}: expected {_fmt(exp_v)}, got {_fmt(got_v)}. {hint}")
            if not _close(got_theta, ref):
                hint = _adam_hint(theta_before, g, m, v, t, h, got_theta, ref, exp_m, exp_v)
                raise CheckFailed(
                    f"{title}: theta is wrong {where}: expected {_fmt(ref)}, got {_fmt(got_theta)}. {hint}"
                )
            m, v = exp_m, exp_v


# -------------------------------------------------------------------------------------------- momentum
def _momentum_problems():
    """(shape, lr, momentum, gradients): a matrix, a vector with another momentum, and momentum 0 (plain
    gradient descent, the edge case)."""
    rng = np.random.default_rng(7)
    return [
        (rng.normal(size=(3, 2)), 0.1, 0.9, [rng.normal(size=(3, 2)) for _ in range(4)]),
        (rng.normal(size=(4,)), 0.05, 0.5, [rng.normal(size=(4,)) for _ in range(4)]),
        (rng.normal(size=(2, 2)), 0.2, 0.0, [rng.normal(size=(2, 2)) for _ in range(3)]),
    ]


@exercise_check("ex-opt-momentum-step", "Exercise: one step of gradient descent with momentum")
def sgd_momentum_step(student_fn: Callable) -> None:
    r"""Check ``student_fn(theta, g, v, lr, momentum) -> (theta, v)``, one step of momentum in the convention of
    Keras and course_lib: :math:`v \leftarrow \mu v - \eta g`, :math:`\theta \leftarrow \theta + v`.

    The reference is :class:`course_lib.optimizers.SGD` with ``momentum``; its velocity after a step is the change
    of the parameters, :math:`v = \theta_{\text{new}} - \theta_{\text{old}}`.
    """
    title = "Exercise: one step of gradient descent with momentum"
    for theta0, lr, mu, grads in _momentum_problems():
        ref = theta0.copy()
        opt = SGD(lr, momentum=mu)
        v = np.zeros_like(theta0)
        for t, g in enumerate(grads, start=1):
            theta_before = ref.copy()
            opt.step([ref], [g])
            exp_v = ref - theta_before
            out = student_fn(theta_before.copy(), g.copy(), v.copy(), lr, mu)
            got_theta, got_v = _unpack(out, 2, "(theta, v)", title)
            where = f"at step {t} (shape {theta0.shape}, lr={lr}, momentum={mu})"
            for name, got in (("theta", got_theta), ("v", got_v)):
                expect_shape(f"{title}: the returned {name}", got, theta0.shape,
                             "The update works elementwise: theta and v have the shape of theta.")
            if not _close(got_v, exp_v):
                hint = "v_new = momentum * v - lr * g."
                if _close(got_v, -exp_v):
                    hint = ("Your v has the opposite sign. In this chapter (and in Keras) the velocity points "
                            "downhill: v_new = momentum * v - lr * g, then theta_new = theta + v_new.")
                elif _close(got_v, -lr * g):
                    hint = "The old velocity is not carried over: v_new = momentum * v - lr * g, not just -lr * g."
                elif _close(got_v, mu * v - g):
                    hint = "The learning rate is missing: v_new = momentum * v - lr * g."
                raise CheckFailed(f"{title}: v is wrong {where}: expected {_fmt(exp_v)}, got {_fmt(got_v)}. {hint}")
            if not _close(got_theta, ref):
                hint = "theta_new = theta + v_new, with the NEW velocity."
                if _close(got_theta, theta_before - exp_v):
                    hint = ("theta moved uphill: with v_new = momentum * v - lr * g the update is "
                            "theta + v_new (v already carries the minus sign).")
                elif _close(got_theta, theta_before + v):
                    hint = "You used the old velocity: compute v_new first, then theta_new = theta + v_new."
                raise CheckFailed(
                    f"{title}: theta is wrong {where}: expected {_fmt(ref)}, got {_fmt(got_theta)}. {hint}"
                )
            v = exp_v
