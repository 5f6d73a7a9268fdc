"""The exercise checks of chapter "What a large model is" (course_lib/check/large_models.py).

For each check: the correct solution passes and prints its success line; typical mistakes raise CheckFailed
with a message that names the mistake; an untouched stub gets the "not done yet" message.
"""

import pytest

from course_lib import check
from course_lib.check import CheckFailed, REGISTRY


# ---------------------------------------------------------------------------------------------- widest
def count(h, n_in, n_out, n_hidden):
    return (n_in + 1) * h + (n_hidden - 1) * (h + 1) * h + (h + 1) * n_out


def widest(budget, n_in, n_out, n_hidden):
    h = 0
    while count(h + 1, n_in, n_out, n_hidden) <= budget:
        h += 1
    return h


def test_the_reference_count_agrees_with_course_lib():
    from course_lib import MLP
    from course_lib.check.large_models import _BUDGETS, _params, _widest

    for budget, n_in, n_out, n_hidden in _BUDGETS:
        h = _widest(budget, n_in, n_out, n_hidden)
        assert h == widest(budget, n_in, n_out, n_hidden)
        if h:
            assert _params(h, n_in, n_out, n_hidden) <= budget < _params(h + 1, n_in, n_out, n_hidden)
            if h <= 600:  # small enough to allocate
                assert MLP([n_in] + [h] * n_hidden + [n_out], output="identity").n_params == _params(
                    h, n_in, n_out, n_hidden)


def test_widest_accepts_a_loop(capsys):
    check.widest_hidden_layer(widest)
    assert "✓ Exercise: the widest network within a parameter budget: correct." in capsys.readouterr().out


def test_widest_accepts_numpy_integers_and_a_bisection():
    import numpy as np

    def bisection(budget, n_in, n_out, n_hidden):
        lo, hi = 0, 10**7
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if count(mid, n_in, n_out, n_hidden) <= budget else (lo, mid)
        return np.int64(lo)

    check.widest_hidden_layer(bisection)


def no_biases(budget, n_in, n_out, n_hidden):
    h = 0
    while n_in * (h + 1) + (n_hidden - 1) * (h + 1) ** 2 + (h + 1) * n_out <= budget:
        h += 1
    return h


def one_link_too_many(budget, n_in, n_out, n_hidden):  # n_hidden hidden-to-hidden matrices instead of n_hidden - 1
    h = 0
    while count(h + 1, n_in, n_out, n_hidden + 1) <= budget:
        h += 1
    return h


@pytest.mark.parametrize(
    "wrong, says",
    [
        (lambda *args: widest(*args) + 1, "first that does not"),  # the first width over the budget
        (no_biases, "Count the biases"),
        (one_link_too_many, "hidden-to-hidden weight matrices"),
        (lambda b, i, o, k: widest(b, i, o, 1), "count the \\(h \\+ 1\\) h parameters"),  # hidden links ignored
        (lambda b, i, o, k: max(widest(b, i, o, k), 1), "return 0"),  # never returns 0
        (lambda b, i, o, k: (b / (k * 1.0)) ** 0.5, "largest integer h"),
    ],
)
def test_widest_names_typical_mistakes(wrong, says):
    with pytest.raises(CheckFailed, match=says) as info:
        check.widest_hidden_layer(wrong)
    assert "expected" in str(info.value)


def test_widest_rejects_a_non_number():
    for returned in ("256", None):
        with pytest.raises(CheckFailed, match="should be a number"):
            check.widest_hidden_layer(lambda *args, r=returned: r)


# ---------------------------------------------------------------------------------------------- training_flops
def test_training_flops_accepts_6PD(capsys):
    check.training_flops(lambda n_params, n_tokens: 6 * n_params * n_tokens)
    assert "✓ Exercise: estimating training compute: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, says",
    [
        (lambda p, d: 2 * p * d, "forward pass alone"),
        (lambda p, d: p * d, "That is P D"),
        (lambda p, d: 3 * p * d, "multiply-add is 2"),
        (lambda p, d: 6 * p + d, "6 \\* n_params \\* n_tokens"),
    ],
)
def test_training_flops_names_typical_mistakes(wrong, says):
    with pytest.raises(CheckFailed, match=says):
        check.training_flops(wrong)


# ---------------------------------------------------------------------------------------------- training_days
def test_training_days_accepts_the_conversion(capsys):
    check.training_days(lambda flops, rate: flops / rate / 86400)
    assert "✓ Exercise: days of training at a given throughput: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, says",
    [
        (lambda c, r: c / r, "time in seconds"),
        (lambda c, r: c / r / 3600, "time in hours"),
        (lambda c, r: c / r / 86400 / 365, "time in years"),
        (lambda c, r: r / c / 86400, "Divide the work by the rate"),
    ],
)
def test_training_days_names_typical_mistakes(wrong, says):
    with pytest.raises(CheckFailed, match=says):
        check.training_days(wrong)


# ---------------------------------------------------------------------------------------------- all checks
CHECKS = [check.widest_hidden_layer, check.training_flops, check.training_days]


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.__name__)
def test_an_untouched_stub_is_not_done_yet(chk):
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not done yet"):
        chk(stub)


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.__name__)
def test_a_crash_in_the_student_code_is_reported_briefly(chk):
    def crashes(*args):
        return 1 / 0

    with pytest.raises(CheckFailed, match="ZeroDivisionError"):
        chk(crashes)


def test_the_checks_are_registered_under_the_chapter_labels():
    assert REGISTRY["ex-lm-widest"] is check.widest_hidden_layer
    assert REGISTRY["ex-lm-training-flops"] is check.training_flops
    assert REGISTRY["ex-lm-training-days"] is check.training_days
