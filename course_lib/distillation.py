r"""Knowledge distillation: train a student model on a teacher's softened output distribution (Hinton et al.,
2015; chapter "Adapting a large model cheaply").

With teacher logits :math:`v` and student logits :math:`z` over :math:`V` classes (here: next tokens) and a
temperature :math:`\tau`, the soft targets are :math:`p = \operatorname{softmax}(v/\tau)` and the student's
softened prediction :math:`q = \operatorname{softmax}(z/\tau)`. The distillation loss of one position is

.. math::
    \ell_{KD} = \tau^2\, \mathrm{KL}(p \,\|\, q) = \tau^2 \sum_j p_j (\ln p_j - \ln q_j), \qquad
    \frac{\partial \ell_{KD}}{\partial z_j} = \tau\,(q_j - p_j),

since :math:`\partial(-\sum_i p_i \ln q_i)/\partial z_j = (q_j - p_j)/\tau` and :math:`\sum_i p_i \ln p_i` does
not depend on :math:`z`. Without the factor :math:`\tau^2` the gradient would shrink like :math:`1/\tau^2` for a
large temperature (:math:`q_j - p_j \approx (z_j - v_j)/(V\tau)` when the logits have zero mean), which is why
Hinton et al. multiply the soft loss by :math:`\tau^2`. The training loss mixes it with the ordinary
cross-entropy on the data,

.. math:: \mathcal L = \alpha\, \mathrm{CE}(z, y) + (1 - \alpha)\, \tau^2\, \mathrm{KL}(p \,\|\, q),

averaged over all positions. :func:`distillation_loss_and_grads` computes it and its gradients for a
:class:`course_lib.gpt.GPT` student from the GPT's own forward and backward passes.
"""

from __future__ import annotations

import numpy as np

from ._validation import _describe, check_fraction, check_positive
from .gpt import GPT, _blas_threads

__all__ = ["soft_targets", "distillation_loss", "distillation_loss_and_grads"]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def soft_targets(teacher_logits, temperature: float = 1.0, dtype="float32") -> np.ndarray:
    r"""The teacher's softened distribution :math:`p = \operatorname{softmax}(v/\tau)` over the last axis."""
    tau = check_positive(temperature, "temperature")
    v = np.asarray(teacher_logits, dtype=np.float64)
    if v.ndim < 1 or v.size == 0:
        raise ValueError(f"teacher_logits must be a non-empty array (..., V); got {_describe(teacher_logits)}")
    return np.exp(_log_softmax(v / tau)).astype(dtype)


def _check_probs(p, shape: tuple, name: str = "teacher_probs") -> np.ndarray:
    p = np.asarray(p)
    if p.dtype.kind != "f":
        raise TypeError(f"{name} must be a float array of probabilities; got {_describe(p)}")
    if p.shape != shape:
        raise ValueError(f"{name} must have the shape of the student's logits, {shape}; got {p.shape}")
    if (p < 0).any() or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-3):
        raise ValueError(f"{name} must hold probability distributions over the last axis (entries >= 0, each row "
                         "summing to 1); use soft_targets(teacher_logits, temperature)")
    return p


def distillation_loss(student_logits, teacher_probs, temperature: float = 1.0) -> tuple[float, np.ndarray]:
    r"""Mean over positions of :math:`\tau^2\,\mathrm{KL}(p\,\|\,\operatorname{softmax}(z/\tau))` and its gradient
    with respect to the student's logits, :math:`\tau\,(q - p)/N` for :math:`N` positions.

    Parameters
    ----------
    student_logits : float array (..., V), :math:`z`
    teacher_probs : float array of the same shape, :math:`p` (the soft targets, :func:`soft_targets`)
    temperature : float > 0, :math:`\tau` (the same that made ``teacher_probs``)

    Returns
    -------
    loss : float
    dz : array of ``student_logits``' shape and dtype
    """
    tau = check_positive(temperature, "temperature")
    z = np.asarray(student_logits)
    if z.dtype.kind != "f":
        raise TypeError(f"student_logits must be a float array; got {_describe(student_logits)}")
    p = _check_probs(teacher_probs, z.shape).astype(np.float64)
    log_q = _log_softmax(z.astype(np.float64) / tau)
    N = z.size // z.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    kl = (plogp - p * log_q).sum(axis=-1)
    loss = float(tau**2 * kl.mean())
    dz = (tau / N) * (np.exp(log_q) - p)
    return loss, dz.astype(z.dtype)


def distillation_loss_and_grads(student, X, Y, teacher_probs, temperature: float = 1.0, alpha: float = 0.0
                                ) -> tuple[float, list[np.ndarray]]:
    r"""Loss :math:`\alpha\,\mathrm{CE} + (1-\alpha)\,\tau^2\,\mathrm{KL}(p\,\|\,q)` of a GPT ``student`` and its
    gradients, in ``student.get_weights()`` order.

    Parameters
    ----------
    student : course_lib.gpt.GPT
    X, Y : int arrays (m, t): inputs and next tokens (Y is used only when ``alpha > 0``)
    teacher_probs : float array (m, t, V): the teacher's soft targets at ``temperature`` for the same inputs
    temperature : float > 0
    alpha : float in [0, 1], the weight of the cross-entropy on the data (0: soft targets only)
    """
    if not isinstance(student, GPT):
        raise TypeError(f"student must be a course_lib.gpt.GPT; got {_describe(student)}")
    alpha = check_fraction(alpha, "alpha", closed_high=True)
    X, Y = student._check_X_y(X, Y)
    return _loss_and_grads(student, X, Y, teacher_probs, temperature, alpha)


@_blas_threads  # BLAS limited to student.blas_threads threads, as in the GPT's own methods (see there)
def _loss_and_grads(student, X, Y, teacher_probs, temperature, alpha):
    logits, caches = student.forward_with_cache(X)  # (m, t, V)
    loss, dz = distillation_loss(logits, teacher_probs, temperature)
    loss *= 1.0 - alpha
    dz *= logits.dtype.type(1.0 - alpha)
    if alpha > 0:
        ce, delta = student._xent_and_delta(logits.reshape(-1, student.vocab_size).copy(), Y.reshape(-1))
        loss += alpha * ce
        dz += logits.dtype.type(alpha) * delta.reshape(dz.shape)
    grads = student.backward(dz.reshape(-1, student.vocab_size), caches, X)
    return float(loss), grads
