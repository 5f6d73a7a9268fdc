r"""A scikit-learn estimator around :class:`course_lib.MLP` and :func:`course_lib.fit` (chapter "Overfitting and
regularization").

:class:`MLPClassifier` follows the scikit-learn estimator contract (``fit`` / ``predict`` / ``predict_proba`` /
``score``, ``get_params`` / ``set_params``, no work in ``__init__``), so that the course's network can be tuned with
``GridSearchCV``, evaluated with ``cross_val_score`` and chained after a scaler in a ``Pipeline``, exactly like
:class:`sklearn.neural_network.MLPClassifier`. It passes scikit-learn's ``check_estimator`` (see
:data:`EXPECTED_FAILED_CHECKS` for the checks it does not, and why).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import _describe, check_choice, check_fraction, check_int, check_positive
from .activations import HIDDEN_ACTIVATIONS
from .model import MLP
from .optimizers import SGD, Adam, RMSprop
from .training import EarlyStopping, fit

__all__ = ["MLPClassifier", "EXPECTED_FAILED_CHECKS"]

OPTIMIZERS = ("sgd", "rmsprop", "adam")

#: scikit-learn ``check_estimator`` checks that MLPClassifier is expected to fail, as ``{check name: reason}``
#: (the form ``check_estimator(..., expected_failed_checks=...)`` and ``parametrize_with_checks`` take). Empty:
#: with scikit-learn 1.9 every check passes for the configurations in ``tests/test_estimator.py``. Two are
#: skipped by scikit-learn itself, depending on the environment, not by us: ``check_array_api_input`` (runs only
#: with the environment variable ``SCIPY_ARRAY_API=1``) and the pandas half of
#: ``check_classifier_data_not_an_array`` (runs only if pandas is installed).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


class _L2Penalty:
    r"""Wraps an optimizer and adds the gradient of the penalty :math:`\frac{\alpha}{2}\sum_l \lVert W^{[l]}\rVert^2`
    (weights only, not biases) to the gradients before each step: :math:`g_W \leftarrow g_W + \alpha W`."""

    def __init__(self, optimizer, alpha: float):
        self.optimizer = optimizer
        self.alpha = alpha

    def step(self, params, grads):
        grads = [g + self.alpha * p if i % 2 == 0 else g for i, (p, g) in enumerate(zip(params, grads))]
        self.optimizer.step(params, grads)

    def __repr__(self) -> str:
        return f"{self.optimizer!r} with L2 penalty alpha={self.alpha}"


class MLPClassifier(ClassifierMixin, BaseEstimator):
    r"""Multilayer perceptron classifier trained by mini-batch gradient descent, scikit-learn style.

    ``fit`` builds a :class:`course_lib.MLP` with layer sizes ``[n_features, *hidden_layer_sizes, n_out]`` and
    trains it with :func:`course_lib.fit`. Labels may be anything scikit-learn accepts as classes (strings,
    non-contiguous integers such as ``-1/1`` or ``3/7/9``); they are encoded as ``0 .. K-1`` in the order of
    :attr:`classes_`. A binary problem (:math:`K = 2`) gets **one sigmoid output unit** and the binary
    cross-entropy, :math:`P(y = \text{classes\_}[1] \mid x) = \sigma(z)`; a multiclass problem gets :math:`K`
    **softmax** units and the categorical cross-entropy.

    Parameter names follow scikit-learn's ``MLPClassifier`` where the concept is the same
    (``hidden_layer_sizes``, ``activation``, ``alpha``, ``batch_size``, ``early_stopping``,
    ``validation_fraction``, ``random_state``) and the course's ``fit`` / Keras where it is not (``epochs``
    rather than ``max_iter``, ``patience`` rather than ``n_iter_no_change``, ``learning_rate`` rather than
    ``learning_rate_init``).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Width of each hidden layer; ``()`` gives no hidden layer (softmax or logistic regression).
    activation : {"relu", "tanh", "sigmoid"}, default="relu"
        Hidden-layer activation :math:`g`.
    optimizer : {"adam", "sgd", "rmsprop"}, default="adam"
        :class:`course_lib.Adam`, :class:`course_lib.SGD` (with ``momentum``) or :class:`course_lib.RMSprop`.
    learning_rate : float, default=1e-3
        Step size :math:`\eta` of the optimizer.
    momentum : float in [0, 1), default=0.0
        Momentum of SGD (ignored by the other optimizers).
    alpha : float >= 0, default=0.0
        L2 penalty (weight decay): the loss minimised is :math:`L + \frac{\alpha}{2}\sum_l \lVert W^{[l]}\rVert_F^2`
        (biases are not penalised), which adds :math:`\alpha W` to each weight gradient. The same as Keras'
        ``kernel_regularizer=l2(alpha / 2)``. (scikit-learn's ``alpha`` divides the penalty by the batch size.)
        The recorded ``loss`` is the data loss :math:`L` without the penalty.
    batch_size : int, default=32
        Mini-batch size :math:`B` (a value larger than the training set gives full-batch gradient descent).
    epochs : int, default=50
        Passes over the training data (scikit-learn's ``max_iter`` for its stochastic solvers).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified when every class has at least 2
        samples), monitor the validation loss after each epoch, stop after ``patience`` epochs without
        improvement and restore the weights of the best epoch (:class:`course_lib.EarlyStopping`).
    validation_fraction : float in (0, 1), default=0.1
        Fraction held out for early stopping; unused otherwise.
    patience : int >= 0, default=5
        Epochs without improvement of the validation loss before stopping.
    init : {"auto", "he", "glorot"}, default="auto"
        Weight initialisation; "auto" is He for ReLU and Glorot for sigmoid and tanh.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, of the shuffling and of the validation split. An int :math:`s` gives
        ``MLP(..., seed=s)`` and ``fit(..., seed=s)``, so the result equals that of the course's functions
        called with the same seed; None draws fresh seeds at every ``fit``.
    dtype : {"float32", "float64"}, default="float32"
        Floating-point type of the weights during training. Predictions are always computed in float64 from
        the trained weights, so that they do not depend on how rows are grouped.
    verbose : bool, default=False
        Show the training progress bar.

    Attributes
    ----------
    model_ : MLP
        The trained network.
    classes_ : ndarray of shape (K,)
        The class labels, sorted; column ``k`` of :meth:`predict_proba` is the probability of ``classes_[k]``.
    n_features_in_ : int
        Number of input features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` in ``fit``, when it was a DataFrame with string column names.
    history_ : dict[str, list[float]]
        Per-epoch ``"loss"`` and ``"accuracy"`` on the training data (measured during each epoch) and, with
        early stopping, ``"val_loss"`` and ``"val_accuracy"`` on the held-out data. Plot it with
        :func:`course_lib.plots.plot_history`.
    loss_curve_ : list[float]
        ``history_["loss"]`` (the name scikit-learn uses).
    validation_scores_ : list[float] or None
        ``history_["val_accuracy"]`` with early stopping, else None (as in scikit-learn).
    n_iter_ : int
        Number of epochs run (fewer than ``epochs`` if early stopping stopped training).
    best_epoch_ : int or None
        With early stopping, the epoch (from 0) whose weights were kept; else None.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from course_lib.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.2, seed=0)
    >>> clf = make_pipeline(StandardScaler(), MLPClassifier((32,), learning_rate=0.01, epochs=100, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        momentum=0.0,
        alpha=0.0,
        batch_size=32,
        epochs=50,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
        init="auto",
        random_state=None,
        dtype="float32",
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.alpha = alpha
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.init = init
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose

    # ------------------------------------------------------------------ hyperparameters
    def _check_params(self) -> dict:
        """Validate the hyperparameters (at fit time, as scikit-learn requires); return them normalised."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
            raise TypeError(
                f"hidden_layer_sizes must be an int or a sequence of ints such as (100,) or (64, 32); "
                f"got {_describe(self.hidden_layer_sizes)}"
            )
        sizes = [check_int(n, f"hidden_layer_sizes[{i}]") for i, n in enumerate(sizes)]
        activation = check_choice(self.activation, "activation", HIDDEN_ACTIVATIONS)
        init = check_choice(self.init, "init", ("auto", "he", "glorot"))
        if init == "auto":
            init = "he" if activation == "relu" else "glorot"
        for name in ("early_stopping", "verbose"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; got {_describe(getattr(self, name))}")
        if self.alpha != 0:
            check_positive(self.alpha, "alpha")
        elif isinstance(self.alpha, bool) or not isinstance(self.alpha, numbers.Real):
            raise TypeError(f"alpha must be a number >= 0; got {_describe(self.alpha)}")
        random_state = self.random_state
        if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
            random_state = check_int(random_state, "random_state", minimum=0)
        return {
            "sizes": sizes,
            "activation": activation,
            "init": init,
            "optimizer": check_choice(self.optimizer, "optimizer", OPTIMIZERS),
            "learning_rate": check_positive(self.learning_rate, "learning_rate"),
            "momentum": check_fraction(self.momentum, "momentum"),
            "alpha": float(self.alpha),
            "batch_size": check_int(self.batch_size, "batch_size"),
            "epochs": check_int(self.epochs, "epochs"),
            "validation_fraction": check_fraction(self.validation_fraction, "validation_fraction", low=0.0),
            "patience": check_int(self.patience, "patience", minimum=0),
            "dtype": check_choice(_dtype_name(self.dtype), "dtype", ("float32", "float64")),
            "random_state": random_state,
        }

    def _make_optimizer(self, p: dict):
        if p["optimizer"] == "sgd":
            opt = SGD(p["learning_rate"], momentum=p["momentum"])
        elif p["optimizer"] == "rmsprop":
            opt = RMSprop(p["learning_rate"])
        else:
            opt = Adam(p["learning_rate"])
        return _L2Penalty(opt, p["alpha"]) if p["alpha"] > 0 else opt

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Build and train the network on ``X`` of shape (m, n) and labels ``y`` of shape (m,). Returns self.

        Raises ValueError for invalid hyperparameters (named in the message), for inputs scikit-learn rejects
        (NaN or infinite values, wrong shapes, continuous targets), and for ``y`` with a single class.
        """
        p = self._check_params()
        if p["validation_fraction"] == 0.0 and self.early_stopping:
            raise ValueError("validation_fraction must be in (0, 1) with early_stopping=True; got 0.0")
        X, y = validate_data(self, X, y, dtype=np.dtype(p["dtype"]))
        check_classification_targets(y)
        encoder = LabelEncoder()
        y_enc = encoder.fit_transform(y)
        classes = encoder.classes_
        K = len(classes)
        if K < 2:
            raise ValueError(
                f"y must contain at least 2 classes to train a classifier; got 1 class ({classes[0]!r}) "
                f"in {len(y)} sample{'s' if len(y) != 1 else ''}"
            )

        rs = p["random_state"]
        if isinstance(rs, int):
            model_seed = fit_seed = split_seed = rs
        else:
            model_seed, fit_seed, split_seed = (int(s) for s in check_random_state(rs).randint(0, 2**31 - 1, 3))

        binary = K == 2
        model = MLP(
            [X.shape[1], *p["sizes"], 1 if binary else K],
            activation=p["activation"],
            output="sigmoid" if binary else "softmax",
            init=p["init"],
            seed=model_seed,
            dtype=p["dtype"],
        )
        validation_data = None
        stopper = None
        X_train, y_train = X, y_enc
        if self.early_stopping:
            X_train, X_val, y_train, y_val = self._split(X, y_enc, K, p["validation_fraction"], split_seed)
            validation_data = (X_val, y_val)
            stopper = EarlyStopping(monitor="val_loss", patience=p["patience"], restore_best_weights=True)
        history = fit(
            model,
            X_train,
            y_train,
            self._make_optimizer(p),
            epochs=p["epochs"],
            batch_size=p["batch_size"],
            validation_data=validation_data,
            seed=fit_seed,
            early_stopping=stopper,
            progress=bool(self.verbose),
        )

        self.model_ = model
        self.classes_ = classes
        self.history_ = {key: list(values) for key, values in history.history.items()}
        self.loss_curve_ = list(self.history_["loss"])
        self.validation_scores_ = list(self.history_["val_accuracy"]) if self.early_stopping else None
        self.n_iter_ = len(history)
        self.best_epoch_ = history.best_epoch if self.early_stopping else None
        return self

    @staticmethod
    def _split(X, y, K: int, fraction: float, seed: int):
        m = len(y)
        n_val = int(np.ceil(fraction * m))
        if m < 2 or n_val >= m:
            raise ValueError(
                f"early_stopping needs a training and a validation part; with {m} samples and "
                f"validation_fraction={fraction} nothing would be left to train on"
            )
        stratify = y if (np.bincount(y, minlength=K).min() >= 2 and K <= n_val <= m - K) else None
        return train_test_split(X, y, test_size=n_val, random_state=seed, stratify=stratify)

    # ------------------------------------------------------------------ predict
    def predict_proba(self, X) -> np.ndarray:
        r"""Class probabilities, shape (m, K), columns in the order of :attr:`classes_`, rows summing to 1.

        Binary: :math:`[1 - \sigma(z),\ \sigma(z)]` from the single output unit; multiclass: the softmax. Computed
        in float64 (the weights are upcast), so each row depends only on that row of ``X``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        z, _ = self.model_.forward_with_cache(X)  # float64 input: the whole forward pass runs in float64
        P = self.model_.output_activation(z)
        if self.model_.output == "sigmoid":
            P = np.hstack([1.0 - P, P])
        return P

    def predict(self, X) -> np.ndarray:
        """The most probable class for each row of ``X`` (shape (m, n)), as labels from :attr:`classes_`,
        shape (m,). Equals ``classes_[argmax(predict_proba(X), axis=1)]`` (for two classes: class 1 iff
        :math:`\\sigma(z) > 0.5`)."""
        P = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(P, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        # multi_class (softmax output) and single-output targets are the ClassifierMixin defaults
        return tags


def _dtype_name(dtype) -> str:
    """``"float32"`` for ``"float32"``, ``np.float32`` or ``np.dtype("float32")``; other values unchanged."""
    if dtype is None:  # np.dtype(None) would be float64
        return dtype
    try:
        return np.dtype(dtype).name
    except TypeError:
        return dtype
