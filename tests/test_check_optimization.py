"""The exercise checks of chapter "Optimization" (course_lib/check/optimization.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-opt-adam-step"] is check.adam_step
    assert check.REGISTRY["ex-opt-momentum-step"] is check.sgd_momentum_step


# ------------------------------------------------------------------------------------------------- adam_step
def adam_paper(theta, g, m, v, t, lr, beta1, beta2, eps):
    """Kingma and Ba's Algorithm 1."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_folded(theta, g, m, v, t, lr, beta1, beta2, eps):
    """The paper's efficient form, with the epsilon that makes it identical to Algorithm 1."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    alpha = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    return theta - alpha * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2**t)), m, v


def adam_in_place(theta, g, m, v, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * np.square(g)
    theta -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return [theta, m, v]  # a list is fine too


@pytest.mark.parametrize("right", [adam_paper, adam_folded, adam_in_place])
def test_adam_step_accepts_correct_versions(right, capsys):
    check.adam_step(right)
    assert "✓ Exercise: one Adam step: correct." in capsys.readouterr().out


def _variant(**changes):
    """adam_paper with one part replaced: keys m, v, m_hat, v_hat, step (functions of the local values)."""

    def fn(theta, g, m, v, t, lr, beta1, beta2, eps):
        m_new = changes.get("m", lambda: beta1 * m + (1 - beta1) * g)()
        v_new = changes.get("v", lambda: beta2 * v + (1 - beta2) * g**2)()
        env = dict(theta=theta, g=g, m=m_new, v=v_new, m_old=m, v_old=v, t=t, lr=lr, b1=beta1, b2=beta2, eps=eps)
        m_hat = changes["m_hat"](env) if "m_hat" in changes else m_new / (1 - beta1**t)
        v_hat = changes["v_hat"](env) if "v_hat" in changes else v_new / (1 - beta2**t)
        env.update(m_hat=m_hat, v_hat=v_hat)
        if "step" in changes:
            return changes["step"](env), m_new, v_new
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new

    return fn


def adam_v_of_g(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g  # not squared
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(np.abs(v) / (1 - beta2**t)) + eps), m, v


def adam_m_without_one_minus_beta1(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + g  # the factor (1 - beta1) is missing
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def adam_returns_corrected(theta, g, m, v, t, lr, beta1, beta2, eps):
    theta, m, v = adam_paper(theta, g, m, v, t, lr, beta1, beta2, eps)
    return theta, m / (1 - beta1**t), v


def adam_hardcoded_defaults(theta, g, m, v, t, lr, beta1, beta2, eps):
    return adam_paper(theta, g, m, v, t, 0.01, 0.9, 0.999, 1e-8)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (_variant(m_hat=lambda e: e["m"], v_hat=lambda e: e["v"]), "forgot the bias correction"),
        (_variant(v_hat=lambda e: e["v"]), "Only m is bias-corrected"),
        (_variant(m_hat=lambda e: e["m"]), "Only v is bias-corrected"),
        (_variant(step=lambda e: e["theta"] + e["lr"] * e["m_hat"] / (np.sqrt(e["v_hat"]) + e["eps"])),
         "wrong sign"),
        (_variant(step=lambda e: e["theta"] - e["lr"] * e["m_hat"] / (e["v_hat"] + e["eps"])),
         "square root is missing"),
        (_variant(m_hat=lambda e: e["m"] / (1 - e["b1"] ** (e["t"] - 1)),
                  v_hat=lambda e: e["v"] / (1 - e["b2"] ** (e["t"] - 1))), "NaN or inf"),
        (_variant(step=lambda e: e["theta"] - e["lr"] * e["m_hat"] / np.sqrt(e["v_hat"])),
         "Epsilon is missing|NaN or inf"),
        (_variant(m_hat=lambda e: e["m_old"] / (1 - e["b1"] ** e["t"]),
                  v_hat=lambda e: e["v_old"] / (1 - e["b2"] ** e["t"])), "NaN or inf|moments from before"),
        (adam_v_of_g, "squared gradient g\\*\\*2, not g"),
        (adam_m_without_one_minus_beta1, "(?s)m is wrong at step t=1.*factor \\(1 - beta1\\) is missing"),
        (adam_returns_corrected, "returned the bias-corrected m_hat|not the bias-corrected m_hat"),
        (adam_hardcoded_defaults, "is wrong at step t=1 \\(shape \\(5,\\), lr=0.1"),
        (lambda theta, g, m, v, t, lr, beta1, beta2, eps: adam_paper(theta, g, m, v, t, lr, beta1, beta2, eps)[0],
         "should return a tuple \\(theta, m, v\\)"),
        (lambda theta, g, m, v, t, lr, beta1, beta2, eps: (theta.T, m, v), "should have shape|is wrong"),
    ],
)
def test_adam_step_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        with np.errstate(divide="ignore", invalid="ignore"):
            check.adam_step(wrong)


def test_adam_step_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.adam_step(stub)


def test_adam_step_reports_a_crash_briefly():
    def crashes(theta, g, m, v, t, lr, beta1, beta2, eps):
        return theta @ g, m, v  # shapes (3, 4) @ (3, 4): ValueError

    with pytest.raises(CheckFailed, match="your code raised ValueError"):
        check.adam_step(crashes)


def test_adam_check_does_not_change_the_optimizer_defaults():
    """The check sets the reference optimizer's eps per step; a fresh Adam keeps Keras' default."""
    check.adam_step(adam_paper)
    from course_lib import Adam

    assert Adam().eps == 1e-7


# ---------------------------------------------------------------------------------------- sgd_momentum_step
def momentum_right(theta, g, v, lr, momentum):
    v = momentum * v - lr * g
    return theta + v, v


def momentum_in_place(theta, g, v, lr, momentum):
    v *= momentum
    v -= lr * g
    theta += v
    return theta, v


@pytest.mark.parametrize("right", [momentum_right, momentum_in_place])
def test_sgd_momentum_step_accepts_correct_versions(right, capsys):
    check.sgd_momentum_step(right)
    assert "✓ Exercise: one step of gradient descent with momentum: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda theta, g, v, lr, mu: (theta - (mu * v + lr * g), mu * v + lr * g), "opposite sign"),
        (lambda theta, g, v, lr, mu: (theta - lr * g, -lr * g), "old velocity is not carried over"),
        (lambda theta, g, v, lr, mu: (theta + mu * v - g, mu * v - g), "learning rate is missing"),
        (lambda theta, g, v, lr, mu: (theta - (mu * v - lr * g), mu * v - lr * g), "moved uphill"),
        (lambda theta, g, v, lr, mu: (theta + v, mu * v - lr * g), "used the old velocity"),
        (lambda theta, g, v, lr, mu: (theta + mu * v - lr * g, mu * v - lr * g)
         if mu == 0 else (theta + 0.5 * v - lr * g, 0.5 * v - lr * g), "v is wrong at step 2"),
        (lambda theta, g, v, lr, mu: theta + mu * v - lr * g, "should return a tuple \\(theta, v\\)"),
        (lambda theta, g, v, lr, mu: ((theta + mu * v - lr * g).ravel(), mu * v - lr * g), "should have shape"),
    ],
)
def test_sgd_momentum_step_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.sgd_momentum_step(wrong)


def test_sgd_momentum_step_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.sgd_momentum_step(stub)
