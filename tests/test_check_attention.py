"""The exercise checks of chapter "Attention" (course_lib/check/attention.py).

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
    assert check.REGISTRY["ex-attention-causal"] is check.causal_attention_weights
    assert check.REGISTRY["ex-attention-scaled-scores"] is check.scaled_scores
    assert check.REGISTRY["ex-attention-sinusoidal"] is check.sinusoidal_positions


# ---------------------------------------------------------------------------------------- causal weights
def make_causal(k=0, upper=False, axis=-1, fill=-np.inf, mask="before", subtract_max=True, in_place=False):
    """Causal attention weights, right by default; each option introduces one typical mistake.

    k: np.tril's diagonal offset (k=-1 masks the diagonal); upper: keep the upper triangle; axis: the softmax's
    axis; fill: what masked scores become; mask: "before" the softmax, "after" it (no renormalisation),
    "renormalise" (after it, then rows rescaled), or "none"; subtract_max: the stable softmax.
    """

    def weights(scores):
        T = scores.shape[-1]
        keep = np.triu(np.ones((T, T), dtype=bool)) if upper else np.tril(np.ones((T, T), dtype=bool), k=k)
        if in_place:
            scores[..., ~keep] = fill
            S = scores
        else:
            S = np.where(keep, scores, fill) if mask == "before" else scores
        if subtract_max:
            S = S - S.max(axis=axis, keepdims=True)
        E = np.exp(S)
        A = E / E.sum(axis=axis, keepdims=True)
        if mask == "after":
            A = A * keep
        elif mask == "renormalise":
            A = A * keep
            A = A / A.sum(axis=-1, keepdims=True)
        return A

    return weights


def causal_with_a_loop(scores):
    out = np.zeros_like(scores)
    T = scores.shape[-1]
    for i in range(T):
        row = scores[..., i, : i + 1]
        e = np.exp(row - row.max(axis=-1, keepdims=True))
        out[..., i, : i + 1] = e / e.sum(axis=-1, keepdims=True)
    return out


@pytest.mark.parametrize(
    "right",
    [make_causal(), make_causal(fill=-1e9), make_causal(fill=-1e30), causal_with_a_loop],
    ids=["minus-inf", "minus-1e9", "minus-1e30", "loop"],
)
def test_causal_attention_weights_accepts_correct_versions(right, capsys):
    with np.errstate(all="ignore"):
        check.causal_attention_weights(right)
    assert "✓ Exercise: causal attention weights: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (make_causal(upper=True), "You kept the upper triangle"),
        (make_causal(mask="none"), "There is no mask"),
        (make_causal(k=-1), "You masked the diagonal too"),
        (make_causal(k=-1, fill=-1e9), "You masked the diagonal too"),
        (make_causal(axis=-2), "the softmax went over the wrong axis"),
        (make_causal(axis=0), "the softmax went over the wrong axis"),
        (make_causal(mask="after"), "AFTER the softmax"),
        (make_causal(mask="renormalise"), "Mask the future BEFORE the softmax"),
        (make_causal(subtract_max=False), "subtract each row's maximum"),
        (make_causal(in_place=True), "changed the scores array"),
        (lambda S: make_causal()(S) + 1e-3, "is not right"),
        (lambda S: make_causal()(S)[..., :-1], "should have shape"),
        (lambda S: None, "returned None"),
    ],
)
def test_causal_attention_weights_names_the_mistake(wrong, message):
    with np.errstate(all="ignore"), pytest.raises(CheckFailed, match=message):
        check.causal_attention_weights(wrong)


def test_causal_attention_weights_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.causal_attention_weights(stub)


# ---------------------------------------------------------------------------------------- scaled scores
def scores_by(scale):
    return lambda Q, K: Q @ np.swapaxes(K, -1, -2) / scale(Q, K)


@pytest.mark.parametrize(
    "right",
    [
        scores_by(lambda Q, K: np.sqrt(Q.shape[-1])),
        lambda Q, K: np.einsum("...td,...sd->...ts", Q, K) / np.sqrt(K.shape[-1]),
        lambda Q, K: (Q / Q.shape[-1] ** 0.5) @ np.moveaxis(K, -1, -2),
    ],
)
def test_scaled_scores_accepts_correct_versions(right, capsys):
    check.scaled_scores(right)
    assert "✓ Exercise: scaled dot-product scores: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (scores_by(lambda Q, K: 1.0), "You did not scale the scores"),
        (scores_by(lambda Q, K: Q.shape[-1]), "You divided by d_k"),
        (scores_by(lambda Q, K: 1 / np.sqrt(Q.shape[-1])), "You multiplied by √d_k"),
        (scores_by(lambda Q, K: np.sqrt(Q.shape[-2])), r"You divided by √T"),
        (scores_by(lambda Q, K: np.sqrt(K.shape[-2])), r"You divided by √S"),
        (scores_by(lambda Q, K: np.sqrt(Q.shape[1] * Q.shape[-1]) if Q.ndim == 4 else np.sqrt(Q.shape[-1])),
         "√d_model"),
        (lambda Q, K: Q @ K.T / np.sqrt(Q.shape[-1]), "transpose only the last two"),
        (lambda Q, K: np.swapaxes(Q, -1, -2) @ Q / np.sqrt(Q.shape[-1]), "should have shape"),
        (lambda Q, K: "scores", "should return an array of numbers"),
    ],
)
def test_scaled_scores_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.scaled_scores(wrong)


def test_scaled_scores_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.scaled_scores(stub)


# ---------------------------------------------------------------------------------- sinusoidal positions
def make_positions(start=0, exponent="2i/d", halves=False, swap=False, per_column=False):
    def positions(T, d):
        t = np.arange(start, start + T)[:, None]
        if per_column:
            angle = t / 10000 ** (np.arange(d)[None, :] / d)
            out = np.sin(angle)
            out[:, 1::2] = np.cos(angle[:, 1::2])
            return out
        i = np.arange(d // 2)[None, :]
        angle = t / 10000 ** ((2 * i if exponent == "2i/d" else i) / d)
        a, b = (np.cos(angle), np.sin(angle)) if swap else (np.sin(angle), np.cos(angle))
        if halves:
            return np.concatenate([a, b], axis=1)
        out = np.zeros((T, d))
        out[:, 0::2], out[:, 1::2] = a, b
        return out

    return positions


def positions_with_a_loop(T, d):
    P = [[0.0] * d for _ in range(T)]
    for t in range(T):
        for i in range(d // 2):
            w = 1 / 10000 ** (2 * i / d)
            P[t][2 * i], P[t][2 * i + 1] = np.sin(t * w), np.cos(t * w)
    return P  # a list of lists is fine


@pytest.mark.parametrize("right", [make_positions(), positions_with_a_loop])
def test_sinusoidal_positions_accepts_correct_versions(right, capsys):
    check.sinusoidal_positions(right)
    assert "✓ Exercise: sinusoidal position encodings: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (make_positions(halves=True), "all the sines first"),
        (make_positions(swap=True), "sin and cos are swapped"),
        (make_positions(start=1), "Positions start at t = 0"),
        (make_positions(per_column=True), "share ONE frequency"),
        (make_positions(exponent="i/d"), "The exponent is 2i/d"),
        (lambda T, d: make_positions()(T, d).T, "should have shape"),
        (lambda T, d: make_positions()(T, d) * 1.01, "is not right"),
    ],
)
def test_sinusoidal_positions_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.sinusoidal_positions(wrong)


def test_sinusoidal_positions_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.sinusoidal_positions(stub)
