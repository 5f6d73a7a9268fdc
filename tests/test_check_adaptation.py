"""The exercise checks of chapter "Adapting a large model cheaply" (course_lib/check/adaptation.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed
from course_lib.distillation import distillation_loss, soft_targets
from course_lib.quantization import quantize_int8


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-ad-lora-grads"] is check.lora_grads
    assert check.REGISTRY["ex-ad-per-channel"] is check.quantize_per_channel
    assert check.REGISTRY["ex-ad-kd-grad"] is check.kd_grad


@pytest.mark.parametrize("fn", [check.lora_grads, check.quantize_per_channel, check.kd_grad])
def test_a_stub_is_not_done_yet(fn):
    with pytest.raises(CheckFailed, match="not done yet"):
        fn(stub)


# ------------------------------------------------------------------------------------------------ lora_grads
def lora_right(G, A, B, alpha):
    s = alpha / A.shape[1]
    return s * G @ B.T, s * A.T @ G


def lora_by_einsum(G, A, B, alpha):
    s = alpha / A.shape[1]
    return s * np.einsum("io,ro->ir", G, B), s * np.einsum("ir,io->ro", A, G)


@pytest.mark.parametrize("right", [lora_right, lora_by_einsum])
def test_lora_grads_accepts_correct_versions(right, capsys):
    check.lora_grads(right)
    assert "✓ Exercise: the gradients of a LoRA adapter: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda G, A, B, alpha: (G @ B.T, A.T @ G), "left out the scale"),
        (lambda G, A, B, alpha: (alpha * G @ B.T, alpha * A.T @ G), "scaled by alpha"),
        (lambda G, A, B, alpha: lora_right(G, A, B, alpha)[::-1], r"\(dB, dA\)"),
        (lambda G, A, B, alpha: (lora_right(G, A, B, alpha)[0], A.T @ G), "dA is right"),
        (lambda G, A, B, alpha: (G @ B.T * 0, lora_right(G, A, B, alpha)[1]), "dB is right"),
        (lambda G, A, B, alpha: None, "should return a pair"),
    ],
)
def test_lora_grads_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        check.lora_grads(wrong)


# --------------------------------------------------------------------------------------- quantize_per_channel
def per_channel_right(W):
    scale = np.abs(W).max(axis=0) / 127
    return np.clip(np.round(W / scale), -127, 127).astype(np.int8), scale


def per_channel_course_lib(W):
    q, scale = quantize_int8(W, axis=0)
    return q, scale.reshape(-1)


@pytest.mark.parametrize("right", [per_channel_right, per_channel_course_lib])
def test_per_channel_accepts_correct_versions(right, capsys):
    check.quantize_per_channel(right)
    assert "✓ Exercise: per-channel int8 quantization: correct." in capsys.readouterr().out


def per_row(W):
    scale = np.abs(W).max(axis=1) / 127
    return np.round(W / scale[:, None]).astype(np.int8), scale


def per_tensor(W):
    scale = np.abs(W).max() / 127
    return np.round(W / scale).astype(np.int8), scale


def scale_255(W):
    scale = np.abs(W).max(axis=0) / 255
    return np.round(W / scale).astype(np.int8), scale


def truncated(W):
    scale = np.abs(W).max(axis=0) / 127
    return (W / scale).astype(np.int8), scale


def no_int8(W):
    scale = np.abs(W).max(axis=0) / 127
    return np.round(W / scale), scale


def in_place(W):
    scale = np.abs(W).max(axis=0) / 127
    W /= scale
    return np.round(W).astype(np.int8), scale


@pytest.mark.parametrize(
    "wrong, words",
    [(per_row, "per ROW"), (per_tensor, "whole matrix"), (scale_255, "127"), (truncated, "round first"),
     (no_int8, "np.int8"), (in_place, "changed the matrix")],
)
def test_per_channel_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        check.quantize_per_channel(wrong)


# -------------------------------------------------------------------------------------------------- kd_grad
def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def kd_right(z, v, tau):
    return tau * (softmax(z / tau) - softmax(v / tau)) / len(z)


def kd_course_lib(z, v, tau):
    return distillation_loss(np.asarray(z, dtype=float), soft_targets(v, tau, dtype="float64"), tau)[1]


@pytest.mark.parametrize("right", [kd_right, kd_course_lib])
def test_kd_grad_accepts_correct_versions(right, capsys):
    check.kd_grad(right)
    assert "✓ Exercise: the gradient of the distillation loss: correct." in capsys.readouterr().out


def kd_overflows(z, v, tau):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z / tau)
        return tau * (e / e.sum(axis=-1, keepdims=True) - softmax(v / tau)) / len(z)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda z, v, tau: (softmax(z / tau) - softmax(v / tau)) / (tau * len(z)), "tau\\^2"),
        (lambda z, v, tau: tau * (softmax(v / tau) - softmax(z / tau)) / len(z), "sign"),
        (lambda z, v, tau: tau * (softmax(z / tau) - softmax(v / tau)), "mean over the N rows"),
        (lambda z, v, tau: tau * (softmax(z) - softmax(v / tau)) / len(z), "same temperature"),
        (lambda z, v, tau: tau * (softmax(z / tau) - softmax(v)) / len(z), "teacher's soft targets"),
        (kd_overflows, "NaN or inf"),
        (lambda z, v, tau: kd_right(z, v, tau)[:, :-1], "shape"),
    ],
)
def test_kd_grad_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        check.kd_grad(wrong)
