"""The exercise checks of chapter "Loss functions" (course_lib/check/loss_functions.py): a correct solution passes
and prints its success line; typical wrong solutions fail with a message that names the mistake; a stub that
still raises NotImplementedError gets "not done yet"."""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


# ------------------------------------------------------------------------------------------ bce_from_logits
def bce_correct(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def bce_naive(z, y):  # probabilities first, then logs: inf/nan for large |z|
    p = 1 / (1 + np.exp(-z))
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_bracketless(z, y):  # the source's formula: -y log p + (1 - y) log(1 - p), computed stably
    log_p = -np.logaddexp(0, -z)
    log_1mp = -np.logaddexp(0, z)
    return np.mean(-y * log_p + (1 - y) * log_1mp)


def bce_sum(z, y):
    return np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def bce_per_example(z, y):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def bce_clipped(z, y):  # Keras' from_logits=False path: finite, but capped at -log(1e-7)
    p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_wrong_sign_abs(z, y):  # log1p(exp(+|z|)) instead of exp(-|z|)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(np.abs(z))))


def bce_stub(z, y):
    raise NotImplementedError


def test_bce_correct_passes(capsys):
    check.bce_from_logits(bce_correct)
    assert "✓ Exercise: binary cross-entropy from logits: correct." in capsys.readouterr().out


def test_bce_keras_style_logaddexp_passes(capsys):
    check.bce_from_logits(lambda z, y: np.mean(np.logaddexp(0, z) - y * z))
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (bce_naive, "Never take the log of a probability"),
        (bce_bracketless, "BOTH terms"),
        (bce_sum, "summed"),
        (bce_per_example, "np.mean"),
        (bce_clipped, "clipped"),
        (bce_wrong_sign_abs, "is not right"),
    ],
)
def test_bce_wrong_fails_with_hint(wrong, words):
    with pytest.raises(CheckFailed, match="binary cross-entropy from logits") as info:
        check.bce_from_logits(wrong)
    assert words in info.value.message


def test_bce_naive_emits_no_runtime_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would escape to the student's stderr
        with pytest.raises(CheckFailed):
            check.bce_from_logits(bce_naive)


def test_bce_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.bce_from_logits(bce_stub)


def test_bce_student_cannot_modify_the_inputs():
    def mutating(z, y):
        z *= 0  # changes the check's copy, not its reference values
        return 0.0

    with pytest.raises(CheckFailed, match="is not right"):
        check.bce_from_logits(mutating)


# ------------------------------------------------------------------------------------- softmax_cross_entropy
def ce_correct(Z, y):
    c = Z.max(axis=1, keepdims=True)
    lse = c[:, 0] + np.log(np.exp(Z - c).sum(axis=1))
    return np.mean(lse - Z[np.arange(len(y)), y])


def ce_naive(Z, y):  # no max subtraction: exp overflows
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return -np.mean(np.log(P[np.arange(len(y)), y]))


def ce_log_of_stable_softmax(Z, y):  # stable softmax, then log: log(0) for a confident mistake
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    return -np.mean(np.log(P[np.arange(len(y)), y]))


def ce_sum(Z, y):
    c = Z.max(axis=1, keepdims=True)
    return np.sum(c[:, 0] + np.log(np.exp(Z - c).sum(axis=1)) - Z[np.arange(len(y)), y])


def ce_column_indexing(Z, y):  # Z[:, y] instead of Z[np.arange(m), y]
    c = Z.max(axis=1, keepdims=True)
    return np.mean(c[:, 0] + np.log(np.exp(Z - c).sum(axis=1)) - Z[:, y])


def ce_wrong_axis(Z, y):  # logsumexp over the examples
    c = Z.max(axis=0, keepdims=True)
    lse = c[0] + np.log(np.exp(Z - c).sum(axis=0))
    return np.mean(lse[y] - Z[np.arange(len(y)), y])


def ce_no_true_logit(Z, y):
    c = Z.max(axis=1, keepdims=True)
    return np.mean(c[:, 0] + np.log(np.exp(Z - c).sum(axis=1)))


def ce_stub(Z, y):
    raise NotImplementedError


def test_ce_correct_passes(capsys):
    check.softmax_cross_entropy(ce_correct)
    assert "✓ Exercise: softmax cross-entropy with logsumexp: correct." in capsys.readouterr().out


def test_ce_course_lib_passes(capsys):
    from course_lib import losses

    check.softmax_cross_entropy(losses.categorical_cross_entropy_from_logits)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (ce_naive, "row maximum"),
        (ce_log_of_stable_softmax, "without forming probabilities"),
        (ce_sum, "summed"),
        (ce_column_indexing, "np.arange(m), y"),
        (ce_wrong_axis, "axis=1"),
        (ce_no_true_logit, "true class"),
    ],
)
def test_ce_wrong_fails_with_hint(wrong, words):
    with pytest.raises(CheckFailed, match="softmax cross-entropy with logsumexp") as info:
        check.softmax_cross_entropy(wrong)
    assert words in info.value.message


def test_ce_crash_is_reported():
    def crashes(Z, y):
        return Z[y] @ Z  # wrong shapes: (m, K) @ (m, K) raises ValueError

    with pytest.raises(CheckFailed, match="raised ValueError"):
        check.softmax_cross_entropy(crashes)


def test_ce_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.softmax_cross_entropy(ce_stub)


def test_checks_are_registered():
    assert check.REGISTRY["ex-loss-bce-logits"] is check.bce_from_logits
    assert check.REGISTRY["ex-loss-softmax-ce"] is check.softmax_cross_entropy
