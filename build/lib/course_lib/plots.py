r"""Figures of the course, drawn with matplotlib.

Every function draws on the Axes passed as ``ax`` or, without one, on a new figure (``plt.subplots``), and
returns what it drew on so that the caller can add titles or save the figure. Nothing here calls
``plt.show()``: a notebook shows the figure by itself, a script calls ``plt.show()`` or ``fig.savefig``.

- :func:`plot_history`: learning curves (chapter "Training in practice").
- :func:`plot_decision_boundary`: the regions a 2-D classifier assigns to each class (chapters "Neurons and the
  forward pass", "Overfitting and regularization").
- :func:`plot_confusion_matrix`, :func:`plot_roc`: chapter "Evaluating a classifier".
- :func:`plot_activations`: chapter "Neurons and the forward pass".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import activations
from ._validation import _describe, check_array, check_consistent_length, check_int

__all__ = [
    "plot_history",
    "plot_decision_boundary",
    "plot_confusion_matrix",
    "plot_roc",
    "plot_activations",
]


def _new_axes(ncols: int = 1, figsize=None):
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False)
    return axes[0] if ncols > 1 else axes[0, 0]


# ---------------------------------------------------------------------------------------------- history
def _history_dict(history) -> Mapping[str, Sequence[float]]:
    h = getattr(history, "history", history)
    if not isinstance(h, Mapping):
        raise TypeError(
            "history must be the History returned by course_lib.fit (or Keras' model.fit), or its dict "
            f"history.history; got {_describe(history)}"
        )
    return h


def plot_history(history, metrics: str | Sequence[str] | None = None, ax=None):
    r"""Learning curves: a metric per epoch on the training set and, if recorded, on the validation set.

    Parameters
    ----------
    history : History or dict
        The object returned by :func:`course_lib.training.fit` (or Keras' ``model.fit``), or its ``history``
        dict with lists such as ``"loss"``, ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"``.
    metrics : str, sequence of str, or None
        What to plot, one panel each. ``None`` means ``("loss", "accuracy")``, keeping those recorded.
        A single name (a ``str``) draws one panel.
    ax : Axes, sequence of Axes, or None
        Where to draw: one Axes per metric (a single Axes when ``metrics`` is a ``str``). ``None`` creates a
        figure with one panel per metric, side by side.

    Returns
    -------
    Axes if ``metrics`` is a ``str``, else a 1-D array of Axes, one per metric.

    Each panel has the curve ``"train"`` (``history[metric]``) and, when ``history["val_" + metric]`` exists,
    the curve ``"validation"``, against the epochs :math:`1, 2, \dots`. A gap that widens between the two is
    the signature of overfitting (chapter "Overfitting and regularization").
    """
    h = _history_dict(history)
    single = isinstance(metrics, str)
    if metrics is None:
        names = [m for m in ("loss", "accuracy") if m in h]
        if not names:
            raise ValueError(f"history has neither 'loss' nor 'accuracy'; its keys are {sorted(h)}")
    else:
        names = [metrics] if single else list(metrics)
        if not names:
            raise ValueError("metrics must name at least one metric; got an empty sequence")
        for name in names:
            if name not in h:
                raise ValueError(f"metrics: history has no {name!r}; its keys are {sorted(h)}")
    for name in names:
        if len(h[name]) == 0:
            raise ValueError(f"history[{name!r}] is empty: no epoch was recorded")

    if ax is None:
        axes = np.atleast_1d(_new_axes(len(names), figsize=(5 * len(names), 3.5)))
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if axes.ndim != 1 or len(axes) != len(names):
            raise ValueError(
                f"ax must hold one Axes per metric ({len(names)}: {names}); got {axes.size} Axes"
            )
    for a, name in zip(axes, names):
        train = np.asarray(h[name], dtype=float)
        epochs = np.arange(1, len(train) + 1)
        a.plot(epochs, train, marker="o" if len(train) < 30 else None, markersize=3, label="train")
        val = h.get("val_" + name)
        if val is not None and len(val) > 0:
            val = np.asarray(val, dtype=float)
            a.plot(np.arange(1, len(val) + 1), val, marker="o" if len(val) < 30 else None, markersize=3,
                   label="validation")
        a.set_xlabel("epoch")
        a.set_ylabel(name)
        a.set_title(name)
        a.legend()
        a.grid(True, alpha=0.3)
    return axes[0] if single else axes


# ---------------------------------------------------------------------------------------------- decision boundary
def plot_decision_boundary(model, X, y, ax=None, resolution: int = 200, margin: float = 0.1, alpha: float = 0.3):
    r"""Colour the plane by the class ``model`` predicts and overlay the samples ``(X, y)``.

    The plane is covered by a ``resolution`` x ``resolution`` grid spanning the range of ``X`` widened by
    ``margin`` times that range on every side; ``model.predict`` is called **once** on all grid points (an
    array of shape (resolution², 2)), then the predicted classes are drawn with ``contourf``. The boundary
    between two colours is the decision boundary, e.g. :math:`\sigma(z) = 0.5` for a sigmoid output.

    Parameters
    ----------
    model : object with ``predict``
        A fitted classifier on 2 features: :class:`course_lib.MLP` (softmax or one sigmoid unit),
        :class:`course_lib.MLPClassifier`, or any scikit-learn classifier. ``predict`` returns labels of shape (m,).
    X : array of shape (m, 2)
    y : array of shape (m,)
        The samples' labels, in the same set as what ``predict`` returns (integers, or the estimator's
        ``classes_``).
    ax : Axes or None
    resolution : int >= 2
        Grid points per axis.
    margin : float >= 0
        Padding around the data, as a fraction of its range.
    alpha : float
        Opacity of the coloured regions.

    Returns
    -------
    Axes, with one filled contour set (the regions) and one scatter per class (labelled with the class).
    """
    X = check_array(X, "X", dtype=np.float64)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 features (columns) to draw the plane; got an array of shape {X.shape}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels of shape (n_samples,); got shape {y.shape}")
    check_consistent_length(X, y)
    resolution = check_int(resolution, "resolution", minimum=2)
    if not hasattr(model, "predict"):
        raise TypeError(f"model must have a predict method (a fitted classifier); got {_describe(model)}")

    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - margin * span, hi + margin * span
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    pred = np.asarray(model.predict(grid))
    if pred.shape != (len(grid),):
        raise ValueError(
            f"model.predict must return one label per sample, shape ({len(grid)},); got shape {pred.shape}. "
            "plot_decision_boundary needs a classifier with a single output."
        )
    classes = np.unique(np.concatenate([np.unique(y), np.unique(pred)]))
    K = len(classes)
    Z = np.searchsorted(classes, pred).reshape(xx.shape)

    import matplotlib
    from matplotlib.colors import ListedColormap

    base = matplotlib.colormaps["tab10"].colors if K <= 10 else matplotlib.colormaps["viridis"](np.linspace(0, 1, K))
    cmap = ListedColormap(list(base[:K]))
    if ax is None:
        ax = _new_axes()
    ax.contourf(xx, yy, Z, levels=np.arange(K + 1) - 0.5, cmap=cmap, alpha=alpha)
    for i, c in enumerate(classes):
        mask = y == c
        if mask.any():
            ax.scatter(X[mask, 0], X[mask, 1], color=cmap(i), edgecolors="k", linewidths=0.5, s=20, label=str(c))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(title="class", loc="best", fontsize="small")
    return ax


# ---------------------------------------------------------------------------------------------- evaluation
def plot_confusion_matrix(cm, labels: Sequence | None = None, ax=None, normalize: bool = False, cmap: str = "Blues"):
    r"""Show a confusion matrix as an image with every cell annotated.

    Parameters
    ----------
    cm : array of shape (K, K)
        ``cm[i, j]`` = number of samples of true class ``i`` predicted as class ``j`` (the layout of
        :func:`course_lib.metrics.confusion_matrix` and :func:`sklearn.metrics.confusion_matrix`): rows are true
        classes, columns predictions, the diagonal the correct predictions.
    labels : sequence of K names, or None
        Tick labels; default ``0 .. K-1``.
    ax : Axes or None
    normalize : bool
        Divide each row by its sum, so a cell shows :math:`P(\text{predicted } j \mid \text{true } i)` and the
        diagonal the recall of each class (rows with no samples stay 0). Annotations then have two decimals.
    cmap : str
        Colour map of the image.

    Returns
    -------
    Axes, with the image and :math:`K^2` text annotations (counts, or proportions when ``normalize``).
    """
    cm = check_array(cm, "cm", dtype=None)
    if cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix; got an array of shape {cm.shape}")
    if (cm < 0).any():
        raise ValueError("cm must hold non-negative counts; got negative entries")
    K = cm.shape[0]
    if labels is None:
        labels = [str(k) for k in range(K)]
    else:
        labels = [str(lab) for lab in labels]
        if len(labels) != K:
            raise ValueError(f"labels must have one name per class ({K}); got {len(labels)}")
    if normalize:
        totals = cm.sum(axis=1, keepdims=True).astype(float)
        values = np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)
        texts = [[f"{v:.2f}" for v in row] for row in values]
    else:
        values = cm
        integral = cm.dtype.kind in "iub" or bool(np.all(cm == np.round(cm)))
        texts = [[f"{int(v)}" if integral else f"{v:.2f}" for v in row] for row in cm]

    if ax is None:
        ax = _new_axes()
    image = ax.imshow(values, cmap=cmap, interpolation="nearest", vmin=0)
    vmax = float(values.max()) if values.size else 0.0
    for i in range(K):
        for j in range(K):
            dark = vmax > 0 and values[i, j] > vmax / 2
            ax.text(j, i, texts[i][j], ha="center", va="center", color="white" if dark else "black")
    ax.set_xticks(range(K), labels)
    ax.set_yticks(range(K), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_roc(fpr, tpr, auc: float | None = None, ax=None, label: str | None = None):
    r"""Plot a ROC curve: true positive rate :math:`TPR = TP/(TP+FN)` against false positive rate
    :math:`FPR = FP/(FP+TN)` as the decision threshold goes down, with the diagonal of a random classifier.

    Parameters
    ----------
    fpr, tpr : arrays of shape (n,)
        The points of the curve, as returned by :func:`course_lib.metrics.roc_curve` or
        :func:`sklearn.metrics.roc_curve`; values in [0, 1], ``fpr`` non-decreasing.
    auc : float or None
        Area under the curve, shown in the legend if given.
    ax : Axes or None
    label : str or None
        Name of the classifier in the legend (default ``"ROC"``).

    Returns
    -------
    Axes, with two lines: the curve and the dashed chance line from (0, 0) to (1, 1).
    """
    fpr = check_array(fpr, "fpr", ndim=1, dtype=np.float64)
    tpr = check_array(tpr, "tpr", ndim=1, dtype=np.float64)
    check_consistent_length(fpr, tpr, ("fpr", "tpr"))
    for name, v in (("fpr", fpr), ("tpr", tpr)):
        if v.min() < 0 or v.max() > 1:
            raise ValueError(f"{name} must hold rates in [0, 1]; got values from {v.min()!r} to {v.max()!r}")
    if np.any(np.diff(fpr) < 0):
        raise ValueError("fpr must be non-decreasing (sorted by decreasing threshold); got a decreasing step")
    text = label or "ROC"
    if auc is not None:
        text += f" (AUC = {float(auc):.3f})"
    if ax is None:
        ax = _new_axes()
    ax.plot(fpr, tpr, label=text)
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", label="chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (recall)")
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    return ax


# ---------------------------------------------------------------------------------------------- activations
def plot_activations(ax=None, z=None, names: Sequence[str] = ("sigmoid", "tanh", "relu")):
    r"""Draw activation functions :math:`g(z)` (solid) and their derivatives :math:`g'(z)` (dashed, same colour).

    Uses :data:`course_lib.activations.HIDDEN_ACTIVATIONS`: :math:`\sigma(z)` with
    :math:`\sigma' = \sigma(1-\sigma)` (at most 1/4, hence vanishing gradients in deep sigmoid nets),
    :math:`\tanh` with :math:`\tanh' = 1 - \tanh^2`, ReLU with derivative 0 or 1.

    Parameters
    ----------
    ax : Axes or None
    z : 1-D array or None
        Points at which to evaluate; default 401 points in [-5, 5].
    names : sequence of str
        Activations to draw, among ``"sigmoid"``, ``"tanh"``, ``"relu"``.

    Returns
    -------
    Axes, with ``2 * len(names)`` lines labelled ``name`` and ``name'``.
    """
    z = np.linspace(-5.0, 5.0, 401) if z is None else check_array(z, "z", ndim=1, dtype=np.float64)
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name not in activations.HIDDEN_ACTIVATIONS:
            raise ValueError(f"names must be among {list(activations.HIDDEN_ACTIVATIONS)}; got {name!r}")
    if ax is None:
        ax = _new_axes()
    for name in names:
        g, g_prime = activations.HIDDEN_ACTIVATIONS[name]
        (line,) = ax.plot(z, g(z), label=name)
        ax.plot(z, g_prime(z), linestyle="--", color=line.get_color(), label=f"{name}'")
    ax.set_xlabel("$z$")
    ax.set_ylabel("$g(z)$, $g'(z)$")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return ax
