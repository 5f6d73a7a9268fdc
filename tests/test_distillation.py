"""Knowledge distillation (course_lib/distillation.py): soft targets, the tau^2 KL loss and its gradients."""

import numpy as np
import pytest

from course_lib.distillation import distillation_loss, distillation_loss_and_grads, soft_targets
from course_lib.gpt import GPT
from course_lib.gradcheck import numerical_gradient, relative_error


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_soft_targets_are_a_softmax_at_temperature():
    v = np.array([[2.0, 1.0, -1.0], [900.0, 899.0, 0.0]])
    np.testing.assert_allclose(soft_targets(v, 1.0), softmax(v), rtol=1e-6)
    p4 = soft_targets(v, 4.0, dtype="float64")
    np.testing.assert_allclose(p4, softmax(v / 4), rtol=1e-12)
    assert p4[0].max() < softmax(v)[0].max()  # a higher temperature flattens the distribution


@pytest.mark.parametrize("tau", [0.5, 1.0, 3.0])
def test_loss_is_tau_squared_kl_and_gradient_matches_finite_differences(tau):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 3, 7))
    p = soft_targets(rng.normal(size=(2, 3, 7)) * 2, tau, dtype="float64")
    loss, dz = distillation_loss(z, p, tau)
    q = softmax(z / tau)
    kl = np.sum(p * (np.log(p) - np.log(q)), axis=-1).mean()
    assert loss == pytest.approx(tau**2 * kl, rel=1e-12)
    assert relative_error(dz, numerical_gradient(lambda: distillation_loss(z, p, tau)[0], z)) < 1e-8
    np.testing.assert_allclose(dz, tau * (q - p) / 6, rtol=1e-10)


def test_loss_is_zero_when_the_student_matches_the_teacher():
    v = np.random.default_rng(1).normal(size=(4, 5))
    loss, dz = distillation_loss(v.copy(), soft_targets(v, 2.0, dtype="float64"), 2.0)
    assert abs(loss) < 1e-12 and np.abs(dz).max() < 1e-12


def test_tau_squared_keeps_the_gradient_scale_at_high_temperature():
    """Hinton et al.: the soft gradients scale as 1/tau^2, hence the factor tau^2 (for zero-mean logits)."""
    rng = np.random.default_rng(2)
    v = rng.normal(size=(50, 10)); v -= v.mean(axis=-1, keepdims=True)
    z = rng.normal(size=(50, 10)); z -= z.mean(axis=-1, keepdims=True)
    norms = [np.linalg.norm(distillation_loss(z, soft_targets(v, t, dtype="float64"), t)[1]) for t in (5, 20, 80)]
    assert max(norms) / min(norms) < 1.1  # about constant with the factor tau^2 ...
    limit = (z - v) / 10 / 50  # ... and close to (z - v) / (V N) for large tau
    got = distillation_loss(z, soft_targets(v, 80.0, dtype="float64"), 80.0)[1]
    assert relative_error(got, limit) < 0.02


def tiny_student():
    model = GPT(vocab_size=7, context_length=5, d_model=8, n_heads=2, n_layers=1, seed=1, dtype="float64")
    rng = np.random.default_rng(3)
    model.set_weights([w + rng.normal(0, 0.1, size=w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_gpt_distillation_gradients_match_finite_differences(alpha):
    student = tiny_student()
    rng = np.random.default_rng(4)
    X, Y = rng.integers(0, 7, size=(3, 5)), rng.integers(0, 7, size=(3, 5))
    p = soft_targets(rng.normal(size=(3, 5, 7)) * 2, 2.0, dtype="float64")

    def f():
        z = student.forward(X)
        return (1 - alpha) * distillation_loss(z, p, 2.0)[0] + alpha * student.loss(X, Y)

    loss, grads = distillation_loss_and_grads(student, X, Y, p, temperature=2.0, alpha=alpha)
    assert loss == pytest.approx(f(), rel=1e-12)
    for name, w, g in zip(student.param_names, student.params, grads):
        g_num = numerical_gradient(f, w, eps=1e-5)
        # the key bias bk has a zero gradient (the softmax cancels it): compare it in absolute terms
        assert relative_error(g, g_num) < 1e-7 or np.linalg.norm(g - g_num) < 1e-9, name


def test_alpha_one_is_the_ordinary_loss():
    student = tiny_student()
    rng = np.random.default_rng(5)
    X, Y = rng.integers(0, 7, size=(2, 5)), rng.integers(0, 7, size=(2, 5))
    p = soft_targets(rng.normal(size=(2, 5, 7)), 1.0, dtype="float64")
    loss, grads = distillation_loss_and_grads(student, X, Y, p, alpha=1.0)
    loss_ce, grads_ce = student.loss_and_grads(X, Y)
    assert loss == pytest.approx(loss_ce, rel=1e-12)
    for g, h in zip(grads, grads_ce):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: distillation_loss(np.zeros((2, 3)), np.full((2, 4), 0.25)), ValueError, "shape of the student"),
        (lambda: distillation_loss(np.zeros((2, 3)), np.full((2, 3), 0.5)), ValueError, "probability"),
        (lambda: distillation_loss(np.zeros((2, 3)), np.full((2, 3), 1 / 3), temperature=0), ValueError,
         "temperature"),
        (lambda: distillation_loss(np.zeros((2, 3), dtype=int), np.full((2, 3), 1 / 3)), TypeError, "float"),
        (lambda: distillation_loss_and_grads("gpt", [[0]], [[0]], np.ones((1, 1, 7))), TypeError, "student"),
        (lambda: distillation_loss_and_grads(tiny_student(), [[0]], [[0]], np.ones((1, 1, 7)) / 7, alpha=1.5),
         ValueError, "alpha"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()
