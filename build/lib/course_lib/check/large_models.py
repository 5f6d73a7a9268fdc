r"""Checks for the exercises of chapter "What a large model is" (book/01-large-models.md).

- :func:`widest_hidden_layer`: ``widest(budget, n_in, n_out, n_hidden)``, the largest width of ``n_hidden`` equal
  hidden layers for which the network's parameter count :math:`P = \sum_{l=1}^{L} (n_{l-1} + 1)\, n_l` stays
  within ``budget``.
- :func:`training_flops`: ``training_flops(n_params, n_tokens)``, the training-compute estimate
  :math:`C \approx 6 P D` (Kaplan et al., 2020).
- :func:`training_days`: ``training_days(flops, flops_per_second)``, how many days a computation of ``flops``
  floating-point operations takes at a sustained ``flops_per_second``.
"""

from __future__ import annotations

import math

from ._core import CheckFailed, exercise_check, expect_close, expect_equal

__all__ = ["widest_hidden_layer", "training_flops", "training_days"]

SECONDS_PER_DAY = 24 * 60 * 60


def _as_number(what: str, got) -> float:
    """``got`` as a float, or CheckFailed saying that a number was expected."""
    if isinstance(got, (bool, str, bytes)) or got is None:
        raise CheckFailed(f"{what} should be a number; got {type(got).__name__} {got!r}. Return the number "
                          "itself, not a printed or formatted version of it.")
    try:
        return float(got)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be a number; got {type(got).__name__} {got!r}.") from None


def _params(h: int, n_in: int, n_out: int, n_hidden: int, biases: bool = True, links: int | None = None) -> int:
    """Parameters of an MLP with ``n_hidden`` hidden layers of ``h`` units; ``links`` hidden-to-hidden matrices
    (``n_hidden - 1`` in a correct count; another value models a typical mistake), without biases if asked."""
    links = n_hidden - 1 if links is None else links
    b = 1 if biases else 0
    return (n_in + b) * h + links * (h + b) * h + (h + b) * n_out


def _widest(budget: int, n_in: int, n_out: int, n_hidden: int, **kwargs) -> int:
    """Largest h >= 1 with _params(h, ...) <= budget, 0 if none: bisection (the count grows with h)."""
    if _params(1, n_in, n_out, n_hidden, **kwargs) > budget:
        return 0
    lo, hi = 1, 2
    while _params(hi, n_in, n_out, n_hidden, **kwargs) <= budget:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # invariant: params(lo) <= budget < params(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _params(mid, n_in, n_out, n_hidden, **kwargs) <= budget else (lo, mid)
    return lo


# (budget, n_in, n_out, n_hidden): the chapter's two MNIST networks exactly at and just below their counts, a
# budget too small for even one unit (the edge case), and larger budgets where the quadratic term dominates.
_BUDGETS = (
    (203_530, 784, 10, 1),
    (669_706, 784, 10, 2),
    (669_705, 784, 10, 2),
    (100, 784, 10, 1),
    (10_000_000, 784, 10, 4),
    (175_000_000, 512, 512, 8),
)


@exercise_check("ex-lm-widest", "Exercise: the widest network within a parameter budget")
def widest_hidden_layer(student_fn):
    r"""Check ``widest(budget, n_in, n_out, n_hidden)`` against a bisection on the parameter count
    :math:`P(h) = (n_{in} + 1) h + (k - 1)(h + 1) h + (h + 1) n_{out}` (the tests compare this count with
    ``course_lib.MLP(...).n_params``)."""
    for budget, n_in, n_out, n_hidden in _BUDGETS:
        expected = _widest(budget, n_in, n_out, n_hidden)
        what = f"widest({budget:,}, {n_in}, {n_out}, {n_hidden})"
        value = _as_number(what, student_fn(budget, n_in, n_out, n_hidden))
        if value == expected:
            continue
        value = int(value) if value.is_integer() else value
        if expected == 0:
            hint = ("Even one unit per hidden layer needs "
                    f"{_params(1, n_in, n_out, n_hidden):,} parameters, more than the budget: return 0.")
        elif value == _widest(budget, n_in, n_out, n_hidden, biases=False):
            hint = "Count the biases too: each layer l has (n_{l-1} + 1) n_l parameters."
        elif value == _widest(budget, n_in, n_out, n_hidden, links=n_hidden):
            hint = (f"{n_hidden} hidden layers are joined by {n_hidden - 1} hidden-to-hidden weight matrices, "
                    f"not {n_hidden}.")
        elif n_hidden > 1 and value == _widest(budget, n_in, n_out, n_hidden, links=0):
            hint = "With several hidden layers, count the (h + 1) h parameters between each consecutive pair."
        elif value == expected + 1:
            hint = (f"A width of {expected + 1} needs {_params(expected + 1, n_in, n_out, n_hidden):,} parameters, "
                    "more than the budget: return the last width that fits, not the first that does not.")
        else:
            hint = ("The count P(h) = (n_in + 1) h + (n_hidden - 1)(h + 1) h + (h + 1) n_out grows with h: find "
                    "the largest integer h with P(h) <= budget.")
        expect_equal(what, value, expected, hint=hint)


@exercise_check("ex-lm-training-flops", "Exercise: estimating training compute")
def training_flops(student_fn):
    r"""Check ``training_flops(n_params, n_tokens)`` against :math:`6 P D`."""
    cases = [(175e9, 300e9), (203_530, 1_347 * 5), (110e6, 3.3e9), (61, 0)]  # the last: no data, no compute
    for n_params, n_tokens in cases:
        expected = 6.0 * n_params * n_tokens
        what = f"training_flops({n_params:g}, {n_tokens:g})"
        value = _as_number(what, student_fn(n_params, n_tokens))
        if expected and not math.isclose(value, expected, rel_tol=1e-9):
            ratio = value / expected
            if math.isclose(ratio, 1 / 3, rel_tol=1e-6):
                hint = ("That is 2 P D, the forward pass alone. Training also runs the backward pass, about "
                        "twice the forward cost: 2 + 4 = 6 FLOPs per parameter per token.")
            elif math.isclose(ratio, 1 / 6, rel_tol=1e-6):
                hint = ("That is P D. Each parameter costs about 6 FLOPs per token: a multiply and an add in the "
                        "forward pass (2), and twice that in the backward pass (4).")
            elif math.isclose(ratio, 1 / 2, rel_tol=1e-6):
                hint = ("That is 3 P D: a multiply-add is 2 floating-point operations, so the forward pass "
                        "costs 2 FLOPs per parameter per token and the backward pass 4.")
            else:
                hint = "Use C = 6 * n_params * n_tokens."
            expect_close(what, value, expected, hint=hint, rtol=1e-9, atol=0.0)
        expect_close(what, value, expected, hint="Use C = 6 * n_params * n_tokens.", rtol=1e-9, atol=0.0)


@exercise_check("ex-lm-training-days", "Exercise: days of training at a given throughput")
def training_days(student_fn):
    r"""Check ``training_days(flops, flops_per_second)`` against ``flops / flops_per_second / 86400``."""
    cases = [(3.15e23, 1e14), (3.15e23, 1024 * 1e14), (8.64e19, 1e15), (0.0, 1e9)]
    for flops, rate in cases:
        expected = flops / rate / SECONDS_PER_DAY
        what = f"training_days({flops:g}, {rate:g})"
        value = _as_number(what, student_fn(flops, rate))
        if expected and not math.isclose(value, expected, rel_tol=1e-9):
            ratio = value / expected
            units = {SECONDS_PER_DAY: "seconds", 24: "hours", 24 * 60: "minutes", 1 / 365: "years",
                     1 / 365.25: "years"}
            unit = next((name for factor, name in units.items() if math.isclose(ratio, factor, rel_tol=1e-6)), None)
            if unit:
                hint = f"That is the time in {unit}. A day has 24 * 60 * 60 = 86,400 seconds."
            else:
                hint = "Divide the work by the rate: seconds = flops / flops_per_second, then days = seconds / 86,400."
            expect_close(what, value, expected, hint=hint, rtol=1e-9, atol=0.0)
        expect_close(what, value, expected, hint="days = flops / flops_per_second / 86,400.", rtol=1e-9, atol=0.0)
