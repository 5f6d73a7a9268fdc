r"""Metrics for a classifier (chapter "Evaluating a classifier").

Notation: ``m`` samples, ``K`` classes. For one class taken as *positive* (binary problems: ``pos_label``),
every sample falls in one cell of the confusion matrix:

- **TP** (true positive): true class positive, predicted positive;
- **FP** (false positive): true class negative, predicted positive;
- **TN** (true negative): true class negative, predicted negative;
- **FN** (false negative): true class positive, predicted negative.

From these counts:

- accuracy :math:`= (TP + TN) / (TP + TN + FP + FN)`, the fraction of correct predictions;
- precision :math:`P = TP / (TP + FP)`: of the samples *predicted* positive, the fraction that are positive.
  The denominator is the number of positive **predictions**. (Some of our source notes write
  :math:`TP / (TP + FN)` for precision; that is recall, not precision.)
- recall :math:`R = TP / (TP + FN)`: of the samples that *are* positive, the fraction predicted positive
  (also called sensitivity or true positive rate);
- F1 :math:`= 2PR / (P + R) = 2\,TP / (2\,TP + FP + FN)`, the harmonic mean of precision and recall.

All results equal those of :mod:`sklearn.metrics` called with the same arguments (the tests check this), with
three deliberate differences:

1. ``zero_division`` defaults to ``0.0`` and we never warn. scikit-learn's default ``"warn"`` returns the same
   0.0 but emits an ``UndefinedMetricWarning``; ``"warn"`` is not accepted here.
2. :func:`roc_curve` and :func:`roc_auc` raise ``ValueError`` when ``y_true`` holds only one class, where recent
   scikit-learn versions warn and return NaN.
3. Labels are integers (class ids such as ``0 .. K-1``, or any integers such as ``-1/1``), not strings.

Inputs are validated once, at the top of each public function, with :mod:`course_lib._validation`; the
computations are vectorised (a :func:`numpy.bincount` confusion matrix, a sort for the ROC curve).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import _describe, check_array, check_choice, check_consistent_length, check_labels

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision",
    "recall",
    "f1",
    "roc_curve",
    "roc_auc",
    "perplexity",
]

AVERAGES = ("binary", "macro", "micro", "weighted")


# --------------------------------------------------------------------------------------------------------------
# validation helpers (private)
# --------------------------------------------------------------------------------------------------------------


def _check_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Return ``y_true`` and ``y_pred`` as int64 label arrays of shape (m,), m >= 1, of the same length."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred")
    check_consistent_length(y_true, y_pred, ("y_true", "y_pred"))
    return y_true, y_pred


def _check_zero_division(zero_division) -> float:
    """Return ``zero_division`` as a float after checking it is 0, 1 or NaN (as in scikit-learn >= 1.3)."""
    expected = "zero_division must be 0.0, 1.0 or np.nan"
    if isinstance(zero_division, bool) or not isinstance(zero_division, numbers.Real):
        raise TypeError(f"{expected}; got {_describe(zero_division)}")
    if not (np.isnan(zero_division) or zero_division in (0, 1)):
        raise ValueError(f"{expected}; got {zero_division!r}")
    return float(zero_division)


def _check_int_label(value, name: str) -> int:
    """Return ``value`` as an int after checking it is an integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer class label; got {_describe(value)}")
    return int(value)


# --------------------------------------------------------------------------------------------------------------
# accuracy and the confusion matrix
# --------------------------------------------------------------------------------------------------------------


def accuracy(y_true, y_pred) -> float:
    r"""Accuracy, the fraction of samples whose predicted label equals the true one:
    :math:`\frac{1}{m}\sum_i [\hat y_i = y_i]`; for two classes :math:`(TP + TN) / (TP + TN + FP + FN)`.

    Parameters
    ----------
    y_true, y_pred : integer arrays of shape (m,)
        True and predicted class labels.

    Returns
    -------
    float in [0, 1]. Equals ``sklearn.metrics.accuracy_score(y_true, y_pred)``.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _label_indices(y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Index of each entry of ``y`` in ``labels`` (unique, any order), or -1 where it is not in ``labels``."""
    sorter = np.argsort(labels, kind="stable")
    sorted_labels = labels[sorter]
    pos = np.clip(np.searchsorted(sorted_labels, y), 0, len(labels) - 1)
    return np.where(sorted_labels[pos] == y, sorter[pos], -1)


def _bincount_matrix(i_true: np.ndarray, i_pred: np.ndarray, n: int) -> np.ndarray:
    """(n, n) int64 counts of the index pairs ``(i_true, i_pred)``; pairs with a -1 are ignored."""
    keep = (i_true >= 0) & (i_pred >= 0)
    flat = np.bincount(n * i_true[keep] + i_pred[keep], minlength=n * n)
    return flat.reshape(n, n).astype(np.int64, copy=False)


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    r"""Confusion matrix :math:`C` of shape (K, K): :math:`C_{jk}` is the number of samples of **true** class
    ``labels[j]`` that were **predicted** as class ``labels[k]`` (rows = true class, columns = predicted class,
    as in scikit-learn).

    For two classes ``labels = [0, 1]`` (1 positive) this is ``[[TN, FP], [FN, TP]]``. The diagonal holds the
    correct predictions, so ``accuracy = trace(C) / C.sum()``.

    Parameters
    ----------
    y_true, y_pred : integer arrays of shape (m,)
        True and predicted class labels.
    labels : integer array of shape (K,), optional
        The classes, in the order of the rows and columns. Default: the sorted union of the labels found in
        ``y_true`` and ``y_pred``. Samples whose true or predicted label is not in ``labels`` are not counted.
        At least one of ``labels`` must occur in ``y_true``.

    Returns
    -------
    C : int64 array of shape (K, K). Equals ``sklearn.metrics.confusion_matrix(y_true, y_pred, labels=labels)``.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    else:
        labels = check_labels(labels, "labels")
        uniq, counts = np.unique(labels, return_counts=True)
        if (counts > 1).any():
            raise ValueError(f"labels must not repeat a label; got {uniq[counts > 1].tolist()} more than once")
        if not np.isin(labels, y_true).any():
            raise ValueError(
                f"at least one of labels must occur in y_true; got labels {labels.tolist()} and y_true "
                f"holding only {np.unique(y_true).tolist()}"
            )
    return _bincount_matrix(_label_indices(y_true, labels), _label_indices(y_pred, labels), len(labels))


# --------------------------------------------------------------------------------------------------------------
# precision, recall, F1
# --------------------------------------------------------------------------------------------------------------


def _class_counts(y_true, y_pred, average: str, pos_label) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the inputs and return ``(TP, TP + FP, TP + FN)``, each of shape (n,), as float64.

    ``n = 1`` for ``average="binary"`` (the class ``pos_label``) and for ``"micro"`` (counts summed over the
    classes); otherwise ``n = K``, one entry per class of the sorted union of ``y_true`` and ``y_pred``.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    check_choice(average, "average", AVERAGES)
    pos_label = _check_int_label(pos_label, "pos_label")
    labels, inverse = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    if average == "binary":
        if len(labels) > 2:
            raise ValueError(
                f"average='binary' needs at most 2 distinct labels in y_true and y_pred; got {len(labels)}: "
                f"{labels.tolist()}. For more classes choose average from {list(AVERAGES[1:])}"
            )
        if len(labels) == 2 and pos_label not in labels:
            raise ValueError(f"pos_label must be one of the labels {labels.tolist()}; got pos_label={pos_label}")
        is_true = y_true == pos_label
        is_pred = y_pred == pos_label
        tp = np.count_nonzero(is_true & is_pred)
        counts = np.array([tp]), np.array([np.count_nonzero(is_pred)]), np.array([np.count_nonzero(is_true)])
    else:
        m = len(y_true)
        C = _bincount_matrix(inverse[:m], inverse[m:], len(labels))
        counts = np.diag(C), C.sum(axis=0), C.sum(axis=1)  # TP, TP + FP (column), TP + FN (row)
        if average == "micro":
            counts = tuple(np.array([c.sum()]) for c in counts)
    return tuple(c.astype(np.float64) for c in counts)


def _divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    """``numerator / denominator`` entry-wise, with ``zero_division`` where the denominator is 0."""
    zero = denominator == 0
    out = numerator / np.where(zero, 1.0, denominator)
    out[zero] = zero_division
    return out


def _average(scores: np.ndarray, support: np.ndarray, average: str) -> float:
    """Average per-class ``scores`` over the classes, ignoring NaN entries as scikit-learn does.

    ``"weighted"`` weights each class by its support :math:`TP + FN` (its number of true samples); if the
    remaining weights are all 0 the plain mean is taken. NaN if every entry is NaN.
    """
    keep = ~np.isnan(scores)
    if not keep.any():
        return float("nan")
    scores, support = scores[keep], support[keep]
    if average == "weighted" and support.sum() > 0:
        return float(np.average(scores, weights=support))
    return float(np.mean(scores))


def precision(y_true, y_pred, average: str = "binary", pos_label: int = 1, zero_division: float = 0.0) -> float:
    r"""Precision :math:`P = TP / (TP + FP)`: of the samples **predicted** positive, the fraction that really
    are positive. The denominator counts the positive *predictions*, :math:`TP + FP`; it is not
    :math:`TP + FN` (that would be recall).

    Parameters
    ----------
    y_true, y_pred : integer arrays of shape (m,)
        True and predicted class labels.
    average : "binary", "macro", "micro" or "weighted"; default "binary"
        ``"binary"``: the score of class ``pos_label`` alone; y_true and y_pred together may hold at most two
        distinct labels. For K classes each class k in turn is the positive one (one-vs-rest), giving
        :math:`TP_k, FP_k, FN_k`; then ``"macro"`` is the unweighted mean of the K per-class scores,
        ``"weighted"`` their mean weighted by the support :math:`TP_k + FN_k` (number of true samples of class
        k), and ``"micro"`` the score of the summed counts :math:`\sum_k TP_k / \sum_k (TP_k + FP_k)` (for
        single-label data, micro precision = micro recall = micro F1 = accuracy). The classes are the sorted
        union of the labels in ``y_true`` and ``y_pred``.
    pos_label : int, default 1
        The positive class for ``average="binary"``; ignored otherwise. When two labels occur it must be one of
        them; when only one label occurs it may be absent (every sample is then a negative).
    zero_division : 0.0, 1.0 or np.nan, default 0.0
        The value returned when the denominator is 0, here when no sample is predicted positive
        (:math:`TP + FP = 0`). Same meaning as in scikit-learn, whose default ``"warn"`` returns 0.0 with an
        ``UndefinedMetricWarning``; ours returns 0.0 silently. In the averages, NaN per-class scores are left
        out of the mean (as in scikit-learn); the result is NaN if all are NaN.

    Returns
    -------
    float. Equals ``sklearn.metrics.precision_score`` called with the same arguments.
    """
    zero_division = _check_zero_division(zero_division)
    tp, predicted, support = _class_counts(y_true, y_pred, average, pos_label)
    return _average(_divide(tp, predicted, zero_division), support, average)


def recall(y_true, y_pred, average: str = "binary", pos_label: int = 1, zero_division: float = 0.0) -> float:
    r"""Recall :math:`R = TP / (TP + FN)`: of the samples that **are** positive, the fraction predicted
    positive (also called sensitivity or true positive rate). The denominator counts the positive samples of
    the data, :math:`TP + FN`.

    Parameters
    ----------
    y_true, y_pred : integer arrays of shape (m,)
        True and predicted class labels.
    average, pos_label
        As in :func:`precision`; micro recall is :math:`\sum_k TP_k / \sum_k (TP_k + FN_k)`.
    zero_division : 0.0, 1.0 or np.nan, default 0.0
        The value returned when the denominator is 0, here when no sample is positive (:math:`TP + FN = 0`).
        As in :func:`precision` (and scikit-learn, but silent by default).

    Returns
    -------
    float. Equals ``sklearn.metrics.recall_score`` called with the same arguments.
    """
    zero_division = _check_zero_division(zero_division)
    tp, _, support = _class_counts(y_true, y_pred, average, pos_label)
    return _average(_divide(tp, support, zero_division), support, average)


def f1(y_true, y_pred, average: str = "binary", pos_label: int = 1, zero_division: float = 0.0) -> float:
    r"""F1 score, the harmonic mean of precision and recall,
    :math:`F_1 = \frac{2PR}{P + R} = \frac{2\,TP}{2\,TP + FP + FN}`.

    Computed from the counts (right-hand form), as scikit-learn does. So ``zero_division`` applies only when
    :math:`TP + FP + FN = 0`, that is when no sample is positive, neither in truth nor in prediction. When
    :math:`TP = 0` but :math:`FP + FN > 0` (so :math:`P + R = 0`, or one of P and R is 0/0) the score is 0.0,
    whatever ``zero_division`` is: for example, with no positive predictions but some positive samples F1 is 0
    even with ``zero_division=1.0``, which makes ``precision`` return 1.

    Parameters
    ----------
    y_true, y_pred : integer arrays of shape (m,)
        True and predicted class labels.
    average, pos_label
        As in :func:`precision`; ``"macro"`` averages the per-class F1 scores (it is not the F1 of the macro
        precision and macro recall), ``"micro"`` is :math:`2\sum_k TP_k / \sum_k (2TP_k + FP_k + FN_k)`.
    zero_division : 0.0, 1.0 or np.nan, default 0.0
        The value returned when :math:`TP + FP + FN = 0`. As in :func:`precision` (and scikit-learn, but silent
        by default).

    Returns
    -------
    float. Equals ``sklearn.metrics.f1_score`` called with the same arguments.
    """
    zero_division = _check_zero_division(zero_division)
    tp, predicted, support = _class_counts(y_true, y_pred, average, pos_label)
    # 2 TP + FP + FN = (TP + FP) + (TP + FN)
    return _average(_divide(2.0 * tp, predicted + support, zero_division), support, average)


# --------------------------------------------------------------------------------------------------------------
# ROC curve and its area
# --------------------------------------------------------------------------------------------------------------


def _check_binary_scores(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    """Return ``y_true`` (int64, values 0 and 1, both present) and ``scores`` (finite float64), shape (m,)."""
    y_true = check_labels(y_true, "y_true")
    scores = check_array(scores, "scores", ndim=1, dtype=np.float64)
    check_consistent_length(y_true, scores, ("y_true", "scores"))
    present = np.unique(y_true)
    if not np.isin(present, (0, 1)).all():
        raise ValueError(
            f"y_true must hold binary labels 0 (negative) and 1 (positive); got labels {present.tolist()}"
        )
    if len(present) < 2:
        raise ValueError(
            f"y_true must contain both classes 0 and 1 for a ROC curve; got only class {int(present[0])}. "
            "The false (or true) positive rate is 0/0 then."
        )
    return y_true, scores


def roc_curve(y_true, scores, *, drop_intermediate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Receiver operating characteristic (ROC) curve of a binary classifier.

    Predicting "positive" when ``scores >= t``, for each threshold :math:`t` the curve has the point

    .. math:: \mathrm{FPR}(t) = \frac{FP(t)}{FP(t) + TN(t)}, \qquad \mathrm{TPR}(t) = \frac{TP(t)}{TP(t) + FN(t)}

    (TPR is the recall). The thresholds are the distinct scores in decreasing order, preceded by
    :math:`+\infty` so that the curve starts at (0, 0); it ends at (1, 1). All counts come from one sort of the
    scores and a cumulative sum, with tied scores forming a single point.

    Parameters
    ----------
    y_true : integer array of shape (m,)
        True labels, 0 (negative) or 1 (positive); both must occur.
    scores : float array of shape (m,)
        Scores, higher meaning "more likely positive" (probabilities or logits), finite.
    drop_intermediate : bool, default True
        Drop the points that lie on a straight segment between their neighbours (they do not change the plot or
        the area), exactly as scikit-learn does. ``False`` keeps one point per distinct score.

    Returns
    -------
    fpr, tpr : float64 arrays of shape (n,), non-decreasing, from 0 to 1.
    thresholds : float64 array of shape (n,), decreasing; ``thresholds[0] = inf``.

    Equal (same points, same thresholds) to ``sklearn.metrics.roc_curve(y_true, scores,
    drop_intermediate=drop_intermediate)``.
    """
    y_true, scores = _check_binary_scores(y_true, scores)
    if not isinstance(drop_intermediate, (bool, np.bool_)):
        raise TypeError(f"drop_intermediate must be True or False; got {_describe(drop_intermediate)}")

    order = np.argsort(scores, kind="stable")[::-1]  # decreasing scores
    scores = scores[order]
    # last index of each run of equal scores: the predictions change only there
    idx = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(y_true[order], dtype=np.float64)[idx]  # TP(t) for t = scores[idx]
    fps = 1.0 + idx - tps  # FP(t) = (number predicted positive) - TP(t)
    thresholds = scores[idx]

    if drop_intermediate and len(fps) > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]

    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc(y_true, scores) -> float:
    r"""Area under the ROC curve (AUC), by the trapezoidal rule on the points of :func:`roc_curve`:
    :math:`\mathrm{AUC} = \sum_j (\mathrm{FPR}_{j+1} - \mathrm{FPR}_j)\,(\mathrm{TPR}_{j+1} + \mathrm{TPR}_j)/2`.

    Equivalently, the probability that a random positive sample scores higher than a random negative one, ties
    counting one half: :math:`\frac{1}{n_+ n_-}\sum_{i: y_i = 1}\sum_{j: y_j = 0}
    \big([s_i > s_j] + \tfrac12 [s_i = s_j]\big)`. 1 is a perfect ranking, 0.5 a random one.

    Parameters
    ----------
    y_true : integer array of shape (m,)
        True labels, 0 or 1; both must occur.
    scores : float array of shape (m,)
        Scores, higher meaning "more likely positive", finite.

    Returns
    -------
    float in [0, 1]. Equals ``sklearn.metrics.roc_auc_score(y_true, scores)``.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float((np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0).sum())


# --------------------------------------------------------------------------------------------------------------
# language models
# --------------------------------------------------------------------------------------------------------------


def perplexity(mean_nll) -> float:
    r"""Perplexity of a language model from its mean next-token negative log-likelihood (chapter "Tokens and
    embeddings").

    With :math:`N` predicted tokens and :math:`\bar\ell = -\frac{1}{N}\sum_{t} \ln p(x_{t+1} \mid x_{\le t})`
    (the mean cross-entropy, in nats),

    .. math:: \mathrm{PPL} = e^{\bar\ell} = \Bigl(\prod_t p(x_{t+1} \mid x_{\le t})\Bigr)^{-1/N},

    the inverse geometric mean of the probabilities given to the true next tokens: a model that spreads its
    probability uniformly over :math:`K` tokens has perplexity :math:`K` ("as uncertain as a fair
    :math:`K`-sided die"). A uniform model over a vocabulary of :math:`V` tokens has :math:`\bar\ell = \ln V`
    and perplexity :math:`V`. Perplexities of models with different tokenizers are not comparable (they count
    different tokens).

    Parameters
    ----------
    mean_nll : float >= 0
        Mean negative log-likelihood in nats (natural logarithm), as returned by
        :meth:`course_lib.bigram.BigramModel.nll` or a model's loss. Not in bits: for bits use ``2 ** mean_nll``.

    Returns
    -------
    float >= 1 (``inf`` if ``exp`` overflows, for ``mean_nll`` above about 709).
    """
    if isinstance(mean_nll, np.ndarray) and mean_nll.ndim == 0:
        mean_nll = mean_nll.item()
    if isinstance(mean_nll, bool) or not isinstance(mean_nll, numbers.Real):
        raise TypeError(f"mean_nll must be a number >= 0 (a mean negative log-likelihood in nats); got {_describe(mean_nll)}")
    if not np.isfinite(mean_nll) or mean_nll < 0:
        raise ValueError(f"mean_nll must be a finite number >= 0 (a mean negative log-likelihood in nats); got {mean_nll!r}")
    with np.errstate(over="ignore"):
        return float(np.exp(np.float64(mean_nll)))
