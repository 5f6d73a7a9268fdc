r"""Gradient-based optimizers (chapter "Optimization").

Every optimizer implements one small protocol, in the style of the CS231n ``optim.py``::

    optimizer.step(params, grads)

``params`` is the model's list of parameter arrays ``[W1, b1, W2, b2, ...]`` (``model.params``) and ``grads`` the
gradients :math:`\partial L/\partial \theta` in the same order (from ``model.loss_and_grads``). ``step`` updates
each array of ``params`` **in place**, so the model sees the new weights without any copying. The optimizer's
state (velocities, moments, the step count :math:`t`) is created on the first call, one slot per position of the
list, and later calls must pass arrays of the same shapes.

Notation: :math:`\theta` a parameter array, :math:`g = \partial L/\partial\theta` its gradient on the current
mini-batch, :math:`\eta` the learning rate, :math:`t = 1, 2, \dots` the step count. All operations are
elementwise.

The updates follow the Keras 3 optimizers (``keras.optimizers.SGD``, ``RMSprop``, ``Adam``), formula by formula,
computing in the dtype of the parameters with the scalar coefficients rounded to it as Keras does, so that the
same hyperparameters give the same weights as Keras up to a few units in the last place (often exactly the same).
In float64, Keras rounds the learning rate, and Adam's betas, to float32 first; course_lib does not. The updates
are in-place ufuncs on preallocated buffers: no temporary arrays are allocated per step, and float32 parameters
stay float32.

What training a large model adds (chapter "A GPT from scratch"), in every optimizer as in Keras:

- ``lr`` may be a learning-rate schedule (:mod:`course_lib.schedules`, or any callable ``step -> lr``), evaluated
  at the step count before the update, :math:`\eta_t = \text{schedule}(t - 1)`, as Keras evaluates its schedule
  at ``optimizer.iterations``;
- ``global_clipnorm``: gradient clipping by the global norm (:func:`clip_by_global_norm`); the norm of every
  step's gradients, before clipping, is kept in ``optimizer.last_grad_norm`` for plotting;
- :class:`AdamW`: Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

Within a step the order is Keras's (``BaseOptimizer._backend_apply_gradients`` in
``keras/src/optimizers/base_optimizer.py``, Keras 3.15.1): clip the gradients, decay the weights, then update.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from ._validation import _describe, check_fraction, check_positive

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "clip_by_global_norm", "global_norm", "decay_mask_ndim2"]

#: A learning rate: a positive number, or a schedule called with the step count (from 0) that returns one.
LearningRate = float | Callable[[int], float]


def _check_lr(lr, name: str = "lr"):
    """A positive float, or a callable schedule (kept as it is; its values are checked at every step)."""
    if callable(lr) and not isinstance(lr, (numbers.Number, np.generic)):
        return lr
    return check_positive(lr, name)


def _check_clipnorm(global_clipnorm) -> float | None:
    return None if global_clipnorm is None else check_positive(global_clipnorm, "global_clipnorm")


def _sum_squares(g: np.ndarray) -> float:
    r""":math:`\sum g^2` of one array, in one pass with no temporary (a BLAS dot product of the array with itself)."""
    flat = g.reshape(-1)  # a view for contiguous arrays
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.dot(flat, flat))
    if not math.isfinite(total) and np.isfinite(flat).all():  # overflow in float32 or float16: redo in float64
        flat = flat.astype(np.float64)
        total = float(np.dot(flat, flat))
    return total


def global_norm(grads: Sequence[np.ndarray]) -> float:
    r"""The global L2 norm :math:`\lVert g \rVert = \sqrt{\sum_i \sum g_i^2}` of a list of arrays, as a float.

    The sum of squares of each array is accumulated in its dtype (like Keras), the sum over arrays in float64.
    """
    return math.sqrt(sum(_sum_squares(np.asarray(g)) for g in grads))


def clip_by_global_norm(grads: Sequence[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    r"""Scale a list of gradients jointly so that their global L2 norm is at most ``max_norm``.

    With :math:`\lVert g \rVert = \sqrt{\sum_i \sum g_i^2}` the norm of all arrays together and :math:`c` =
    ``max_norm``:

    .. math::
        g_i \leftarrow g_i \cdot \frac{c}{\max(\lVert g \rVert, c)},

    so the direction of the whole gradient is kept and only its length is capped (chapter "A GPT from scratch";
    Pascanu et al., 2013). The semantics of the function ``clip_by_global_norm`` in
    ``keras/src/optimizers/base_optimizer.py`` (Keras 3.15.1), which an optimizer created with
    ``global_clipnorm=c`` applies before every update; as there, a non-finite norm (a NaN or infinite gradient)
    makes every clipped gradient NaN. Keras also multiplies by :math:`c \cdot (1/c)` (1 up to rounding) when
    :math:`\lVert g \rVert \le c`; here the gradients are then returned unchanged.

    Parameters
    ----------
    grads : list of ndarray
        The gradients, arrays of any shapes (floating point; integer arrays are converted to float64). Not
        modified.
    max_norm : float
        :math:`c > 0`.

    Returns
    -------
    clipped : list of ndarray
        New arrays, each of the shape and floating dtype of its input, with global norm
        :math:`\min(\lVert g \rVert, c)`.
    norm : float
        :math:`\lVert g \rVert`, the global norm **before** clipping (the quantity worth plotting during training).

    Raises
    ------
    TypeError
        If ``grads`` is not a list of numeric arrays, or ``max_norm`` is not a number.
    ValueError
        If ``grads`` is empty or ``max_norm <= 0``.
    """
    max_norm = check_positive(max_norm, "max_norm")
    if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
        raise TypeError(f"grads must be a list of gradient arrays; got {_describe(grads)}")
    if len(grads) == 0:
        raise ValueError("grads must hold at least one gradient array; got an empty list")
    arrays = []
    for i, g in enumerate(grads):
        arr = np.asarray(g)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"grads[{i}] must be a numeric array; got {_describe(g)}")
        arrays.append(arr if arr.dtype.kind == "f" else arr.astype(np.float64))
    norm = global_norm(arrays)
    if not _needs_clipping(norm, max_norm):
        return [arr.copy() for arr in arrays], norm
    return [arr * _clip_scale(norm, max_norm, arr.dtype) for arr in arrays], norm


def _needs_clipping(norm: float, max_norm: float) -> bool:
    """Whether the gradients must be scaled: a norm above ``max_norm``, or a non-finite one (made NaN, as Keras)."""
    return not norm <= max_norm


def _clip_scale(norm: float, max_norm: float, dtype) -> np.floating:
    r"""The factor :math:`c \cdot (1/\lVert g\rVert)` in ``dtype``, rounded as Keras computes it (NaN for a
    non-finite norm)."""
    dt = np.dtype(dtype).type
    if not math.isfinite(norm):
        return dt(math.nan)
    return dt(max_norm) * (dt(1.0) / dt(norm))


def decay_mask_ndim2(params: Sequence[np.ndarray]) -> list[bool]:
    """Which parameter arrays to decay in GPT-style training: ``True`` for arrays with ``ndim >= 2``.

    Weight matrices and embedding tables (2-D) are decayed; biases and LayerNorm's gain and shift (1-D) are not,
    as in GPT-2/nanoGPT's ``configure_optimizers``. Note the sense: ``True`` means *decay*, while
    :class:`AdamW`'s ``exclude_from_weight_decay`` (Keras's sense) takes ``True`` for *do not decay*; pass
    ``exclude_from_weight_decay=[not d for d in decay_mask_ndim2(params)]``, or the equivalent callable
    ``lambda i, p: p.ndim < 2``.

    Parameters
    ----------
    params : list of ndarray
        The model's parameters in their usual order (``model.params`` or ``model.get_weights()``).

    Returns
    -------
    list of bool
        One flag per array.
    """
    return [np.ndim(p) >= 2 for p in params]


class Optimizer:
    """Base class of the optimizers: the ``step(params, grads)`` protocol and the per-parameter state.

    Subclasses define :meth:`_n_buffers` (how many arrays of a parameter's shape each slot needs: state plus
    scratch space, the **last** one scratch) and :meth:`_update` (the update of one parameter array, in place,
    with the learning rate :attr:`_lr_t` of the current step). The state is created by the first :meth:`step`;
    :attr:`t` counts the steps taken. :meth:`reset` forgets the state, so that the same optimizer can start over
    (for example on a new model).

    After each step, :attr:`last_lr` holds the learning rate it used and :attr:`last_grad_norm` the global L2
    norm of its gradients before any clipping (``None`` before the first step).

    Parameters
    ----------
    global_clipnorm : float or None
        If given, clip the gradients jointly to this global L2 norm before every update
        (:func:`clip_by_global_norm`; Keras's ``global_clipnorm``).
    """

    #: Decoupled weight decay :math:`\lambda` (only :class:`AdamW` sets it; ``None`` for no decay).
    weight_decay: float | None = None

    def __init__(self, global_clipnorm: float | None = None) -> None:
        self.global_clipnorm = _check_clipnorm(global_clipnorm)
        self.t = 0
        self.last_lr: float | None = None
        self.last_grad_norm: float | None = None
        self._lr_t = 0.0
        self._slots: list[tuple[np.ndarray, ...]] | None = None
        self._clip_bufs: list[np.ndarray] | None = None
        self._decay: list[bool] | None = None
        self._shapes: list[tuple[int, ...]] | None = None
        self._dtypes: list[np.dtype] | None = None

    # ------------------------------------------------------------------ protocol
    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        r"""Apply one update :math:`\theta \leftarrow \theta - \dots` to every array of ``params``, in place.

        In Keras's order: (1) the learning rate :math:`\eta_t` of this step (a schedule is evaluated at the
        number of steps taken so far, :math:`t - 1`, counted from 0); (2) the global norm of ``grads``, kept in
        :attr:`last_grad_norm`, and clipping if ``global_clipnorm`` is set (into preallocated buffers: ``grads``
        themselves are never modified); (3) weight decay, for :class:`AdamW`; (4) the update.

        Parameters
        ----------
        params : list of ndarray
            The parameters ``[W1, b1, W2, b2, ...]``; floating-point arrays, updated in place.
        grads : list of ndarray
            Their gradients, same length and shapes. Not modified.

        Raises
        ------
        ValueError
            If ``params`` and ``grads`` differ in length or shapes, if they do not match the shapes the
            optimizer's state was created for on its first step, or if a learning-rate schedule returns a
            negative or non-finite value. A rejected call changes nothing.
        TypeError
            If a parameter is not a floating-point NumPy array.
        """
        lr_t = self._current_lr()  # first: a bad schedule value leaves the optimizer as it was
        if self._slots is None:
            self._build(params, grads)
        else:
            self._check(params, grads)
        # Keras casts the gradient to the variable's dtype; no copy when it already has it
        grads = [np.asarray(g, dtype=theta.dtype) for theta, g in zip(params, grads)]
        norm = global_norm(grads)
        clip = self.global_clipnorm is not None and _needs_clipping(norm, self.global_clipnorm)
        if clip and self._clip_bufs is None:  # global_clipnorm set after the first step
            self._clip_bufs = [np.zeros_like(theta, order="C") for theta in params]
        self.last_lr, self.last_grad_norm, self._lr_t = lr_t, norm, lr_t
        self.t += 1
        wd = self.weight_decay
        for i, (theta, g) in enumerate(zip(params, grads)):
            slot = self._slots[i]
            if clip:
                g = np.multiply(g, _clip_scale(norm, self.global_clipnorm, theta.dtype), out=self._clip_bufs[i])
            if wd and self._decay[i]:
                # Keras (backend/tensorflow/optimizer.py, _apply_weight_decay): variable -= variable * wd * lr
                dt = theta.dtype.type
                tmp = slot[-1]  # scratch: overwritten by the update below
                np.multiply(theta, dt(wd), out=tmp)
                tmp *= dt(lr_t)
                theta -= tmp
            self._update(theta, g, slot)

    def reset(self) -> None:
        """Forget the state (moments, velocities, step count); the next :meth:`step` creates it anew."""
        self.t = 0
        self.last_lr = None
        self.last_grad_norm = None
        self._slots = None
        self._clip_bufs = None
        self._decay = None
        self._shapes = None
        self._dtypes = None

    def learning_rate(self, step: int | None = None) -> float:
        """The learning rate at ``step`` (counted from 0; default: the step about to be taken, :attr:`t`)."""
        if step is None:
            step = self.t
        return float(self.lr(step)) if callable(self.lr) else self.lr

    # ------------------------------------------------------------------ for subclasses
    def _n_buffers(self) -> int:
        """Number of arrays of the parameter's shape per slot (state and scratch; the last one is scratch)."""
        raise NotImplementedError

    def _update(self, theta: np.ndarray, g: np.ndarray, slot: tuple[np.ndarray, ...]) -> None:
        """Update one parameter array ``theta`` in place from its gradient ``g`` and its ``slot`` buffers."""
        raise NotImplementedError

    def _decay_mask(self, params) -> list[bool] | None:
        """Which arrays get weight decay; ``None``: none (only :class:`AdamW` decays)."""
        return None

    def _repr_extra(self) -> str:
        return "" if self.global_clipnorm is None else f", global_clipnorm={self.global_clipnorm!r}"

    # ------------------------------------------------------------------ state
    def _current_lr(self) -> float:
        r""":math:`\eta_t`: the constant rate, or the schedule at the number of steps taken so far (checked)."""
        lr = self.lr
        if not callable(lr):
            return lr
        try:
            value = float(lr(self.t))
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"the learning-rate schedule lr={lr!r} must return a number for step {self.t}; calling it "
                f"failed: {exc}"
            ) from exc
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(
                f"the learning-rate schedule lr={lr!r} must return a finite number >= 0; got {value!r} at step "
                f"{self.t}"
            )
        return value

    def _build(self, params, grads) -> None:
        self._check_pair(params, grads)
        for i, theta in enumerate(params):
            if not isinstance(theta, np.ndarray) or theta.dtype.kind != "f":
                what = f"dtype {theta.dtype}" if isinstance(theta, np.ndarray) else type(theta).__name__
                raise TypeError(f"params[{i}] must be a floating-point NumPy array (updated in place); got {what}")
        decay = self._decay_mask(params)  # may raise: before any state exists
        self._decay = decay
        self._shapes = [theta.shape for theta in params]
        self._dtypes = [theta.dtype for theta in params]
        # zero state, like Keras' optimizer variables; the scratch buffers are overwritten before every use
        self._slots = [
            tuple(np.zeros_like(theta, order="C") for _ in range(self._n_buffers())) for theta in params
        ]
        if self.global_clipnorm is not None:
            self._clip_bufs = [np.zeros_like(theta, order="C") for theta in params]

    def _check(self, params, grads) -> None:
        self._check_pair(params, grads)
        shapes, dtypes = self._shapes, self._dtypes
        if len(params) != len(shapes) or any(
            np.shape(p) != s or getattr(p, "dtype", None) != d for p, s, d in zip(params, shapes, dtypes)
        ):
            raise ValueError(
                f"{type(self).__name__} state was created on its first step for {len(shapes)} parameter arrays "
                f"of shapes {shapes} and dtypes {sorted(set(map(str, dtypes)))}; got {len(params)} arrays of "
                f"shapes {[np.shape(p) for p in params]} and dtypes "
                f"{sorted(set(str(getattr(p, 'dtype', type(p).__name__)) for p in params))}. "
                "Use a new optimizer (or call reset()) for a different model."
            )

    @staticmethod
    def _check_pair(params, grads) -> None:
        if len(params) != len(grads):
            raise ValueError(
                f"params and grads must have the same length; got {len(params)} parameter arrays and "
                f"{len(grads)} gradients"
            )
        for i, (p, g) in enumerate(zip(params, grads)):
            if np.shape(p) != np.shape(g):
                raise ValueError(
                    f"grads[{i}] must have the shape of params[{i}], {np.shape(p)}; got shape {np.shape(g)}"
                )


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (chapter "Optimization").

    Plain (``momentum=0``): :math:`\theta \leftarrow \theta - \eta\, g`.

    With momentum :math:`\mu` and velocity :math:`v` (zero at the start):

    .. math::
        v \leftarrow \mu v - \eta\, g, \qquad \theta \leftarrow \theta + v,

    and with Nesterov momentum (``nesterov=True``), the "look-ahead" form used by Keras:

    .. math::
        v \leftarrow \mu v - \eta\, g, \qquad \theta \leftarrow \theta + \mu v - \eta\, g.

    These are the update rules of ``keras.optimizers.SGD(learning_rate, momentum, nesterov)``.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule ``step -> lr`` (:mod:`course_lib.schedules`).
    momentum : float
        Momentum :math:`\mu \in [0, 1)`; 0 gives plain gradient descent.
    nesterov : bool
        Use Nesterov momentum (only makes a difference when ``momentum > 0``).
    global_clipnorm : float or None
        Clip the gradients to this global L2 norm before each update (see :class:`Optimizer`).
    """

    def __init__(
        self, lr: LearningRate, momentum: float = 0.0, nesterov: bool = False, *, global_clipnorm: float | None = None
    ):
        super().__init__(global_clipnorm)
        self.lr = _check_lr(lr)
        self.momentum = check_fraction(momentum, "momentum")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False; got {nesterov!r} ({type(nesterov).__name__})")
        self.nesterov = bool(nesterov)

    def _n_buffers(self) -> int:
        # plain: one scratch; momentum: velocity + scratch; Nesterov: velocity + two scratch
        if self.momentum == 0.0:
            return 1
        return 3 if self.nesterov else 2

    def _update(self, theta, g, slot) -> None:
        dt = theta.dtype.type
        lr = dt(self._lr_t)
        if self.momentum == 0.0:
            (step,) = slot
            np.multiply(g, lr, out=step)
            np.subtract(theta, step, out=theta)
            return
        mu = dt(self.momentum)
        v, lr_g = slot[0], slot[1]
        np.multiply(g, lr, out=lr_g)  # eta g
        np.multiply(v, mu, out=v)
        np.subtract(v, lr_g, out=v)  # v = mu v - eta g
        if self.nesterov:
            step = slot[2]
            np.multiply(v, mu, out=step)
            np.subtract(step, lr_g, out=step)  # mu v - eta g
            np.add(theta, step, out=theta)
        else:
            np.add(theta, v, out=theta)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr!r}, momentum={self.momentum!r}, nesterov={self.nesterov!r}{self._repr_extra()})"


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012; chapter "Optimization"): divide the gradient by a running root mean square.

    With :math:`s` the moving average of the squared gradient (zero at the start) and decay :math:`\rho`:

    .. math::
        s \leftarrow \rho\, s + (1 - \rho)\, g^2, \qquad
        \theta \leftarrow \theta - \frac{\eta\, g}{\sqrt{s + \epsilon}}.

    As in ``keras.optimizers.RMSprop`` (``centered=False``, ``momentum=0``), :math:`\epsilon` is added **inside**
    the square root; other texts write :math:`\sqrt{s} + \epsilon`. The difference only matters while :math:`s`
    is of the order of :math:`\epsilon`.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule ``step -> lr`` (:mod:`course_lib.schedules`).
    rho : float
        Decay rate :math:`\rho \in [0, 1)` of the moving average.
    eps : float
        :math:`\epsilon > 0`, keeps the denominator away from zero.
    global_clipnorm : float or None
        Clip the gradients to this global L2 norm before each update (see :class:`Optimizer`).
    """

    def __init__(self, lr: LearningRate, rho: float = 0.9, eps: float = 1e-7, *, global_clipnorm: float | None = None):
        super().__init__(global_clipnorm)
        self.lr = _check_lr(lr)
        self.rho = check_fraction(rho, "rho")
        self.eps = check_positive(eps, "eps")

    def _n_buffers(self) -> int:
        return 2  # s, and one scratch array

    def _update(self, theta, g, slot) -> None:
        dt = theta.dtype.type
        s, tmp = slot
        np.square(g, out=tmp)
        tmp *= dt(1.0 - self.rho)
        s *= dt(self.rho)
        s += tmp  # s = rho s + (1 - rho) g^2
        np.add(s, dt(self.eps), out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= dt(self._lr_t)
        theta -= tmp  # theta -= eta g / sqrt(s + eps)

    def __repr__(self) -> str:
        return f"RMSprop(lr={self.lr!r}, rho={self.rho!r}, eps={self.eps!r}{self._repr_extra()})"


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015; chapter "Optimization"): momentum plus RMSprop, with bias correction.

    The paper's form (Algorithm 1), with :math:`m, v` zero at the start and :math:`t = 1, 2, \dots`:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \\
        \hat m = \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
        \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.

    This class computes, like ``keras.optimizers.Adam``, the equivalent form given in the paper just before its
    Section 2.1, which folds the bias correction into the learning rate:

    .. math::
        \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
        \theta \leftarrow \theta - \alpha_t\, \frac{m}{\sqrt{v} + \hat\epsilon}.

    Here :math:`\epsilon` is the paper's "epsilon hat" :math:`\hat\epsilon`, added to :math:`\sqrt{v}` rather
    than to :math:`\sqrt{\hat v}`; the two forms agree when :math:`\hat\epsilon = \epsilon \sqrt{1 - \beta_2^t}`,
    so they differ only while :math:`\sqrt{v}` is of the order of :math:`\epsilon`.

    Implementation note: to save two of the twelve passes over the weights that each step makes, the state holds
    :math:`m' = m/(1 - \beta_1)` and :math:`v' = v/(1 - \beta_2)`, updated as :math:`m' \leftarrow \beta_1 m' + g`
    and :math:`v' \leftarrow \beta_2 v' + g^2`, and the step is the same
    :math:`\alpha_t\, m/(\sqrt v + \hat\epsilon) = \alpha_t'\, m'/(\sqrt{v'} + \hat\epsilon')` with
    :math:`\alpha_t' = \alpha_t (1 - \beta_1)/\sqrt{1 - \beta_2}` and
    :math:`\hat\epsilon' = \hat\epsilon/\sqrt{1 - \beta_2}`. The results agree with Keras' to within a few units
    in the last place. :meth:`moments` returns :math:`m` and :math:`v` themselves.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule ``step -> lr`` (:mod:`course_lib.schedules`).
    beta1, beta2 : float
        Decay rates :math:`\beta_1, \beta_2 \in [0, 1)` of the first and second moment estimates.
    eps : float
        :math:`\hat\epsilon > 0`, keeps the denominator away from zero.
    global_clipnorm : float or None
        Clip the gradients to this global L2 norm before each update (see :class:`Optimizer`).
    """

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-7,
        *,
        global_clipnorm: float | None = None,
    ):
        super().__init__(global_clipnorm)
        self.lr = _check_lr(lr)
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps")

    def moments(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The current moment estimates :math:`(m, v)` (before bias correction), one pair per parameter array, as
        new arrays; an empty list before the first step."""
        if self._slots is None:
            return []
        return [(m * (1.0 - self.beta1), v * (1.0 - self.beta2)) for m, v, _ in self._slots]

    def _n_buffers(self) -> int:
        return 3  # m' and v' (see the class docstring), and one scratch array

    def _alpha(self, dt):
        """:math:`\\alpha_t` in the parameters' precision, computed as Keras does (betas rounded to ``dt``)."""
        t = dt(self.t)
        one = dt(1.0)
        return dt(self._lr_t) * np.sqrt(one - dt(self.beta2) ** t) / (one - dt(self.beta1) ** t)

    def _update(self, theta, g, slot) -> None:
        # Ten in-place passes over five arrays of the parameter's size: this runs on every weight once per
        # mini-batch, so it is a sizeable part of the training time.
        dt = theta.dtype.type
        m, v, tmp = slot
        root_c2 = np.sqrt(1.0 - self.beta2)
        m *= dt(self.beta1)
        m += g  # m' = beta1 m' + g
        np.square(g, out=tmp)
        v *= dt(self.beta2)
        v += tmp  # v' = beta2 v' + g^2
        np.sqrt(v, out=tmp)
        tmp += dt(self.eps / root_c2)
        np.divide(m, tmp, out=tmp)
        tmp *= dt(float(self._alpha(dt)) * (1.0 - self.beta1) / root_c2)
        theta -= tmp  # theta -= alpha_t' m' / (sqrt(v') + eps')

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(lr={self.lr!r}, beta1={self.beta1!r}, beta2={self.beta2!r}, eps={self.eps!r}"
            f"{self._repr_extra()})"
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019; chapter "A GPT from scratch").

    L2 regularization adds :math:`\lambda\theta` to the gradient, and Adam then divides it by :math:`\sqrt{\hat v}`:
    weights with large gradients are barely regularized. AdamW instead shrinks the weights directly, apart from
    the adaptive step ("decoupled"). Each step, with :math:`\eta_t` the learning rate of the step (a constant or
    a schedule's value) and :math:`\lambda` = ``weight_decay``:

    .. math::
        \theta \leftarrow \theta - \theta\,\lambda\,\eta_t, \qquad
        \text{then the Adam update of } \theta \text{ with } g \text{ (see } \texttt{Adam}\text{)}.

    This is ``keras.optimizers.AdamW`` step for step: ``keras/src/optimizers/adamw.py`` is ``Adam`` with
    ``weight_decay`` set, and the decay is ``_apply_weight_decay`` in ``keras/src/optimizers/base_optimizer.py``
    (in TensorFlow's backend ``keras/src/backend/tensorflow/optimizer.py``: ``variable.assign_sub(variable * wd *
    lr)``), run after gradient clipping and before the Adam update (Keras 3.15.1). As in Keras and PyTorch,
    :math:`\lambda` is multiplied by the learning rate, so a schedule scales the decay too (the paper's
    :math:`\eta_t \lambda`). With zero gradients a step multiplies the weights by :math:`1 - \eta_t\lambda`.
    Defaults are Keras's (``weight_decay=0.004``); GPT-2-style training (nanoGPT) uses ``weight_decay=0.1`` with
    ``beta2=0.95``.

    By default every parameter array is decayed (Keras's default). GPT training usually decays only the weight
    matrices and embeddings, not biases and LayerNorm parameters; exclude those with
    ``exclude_from_weight_decay=lambda i, p: p.ndim < 2`` (or a mask, see :func:`decay_mask_ndim2`).

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule ``step -> lr`` (:mod:`course_lib.schedules`).
    beta1, beta2 : float
        Decay rates :math:`\beta_1, \beta_2 \in [0, 1)` of the moment estimates.
    eps : float
        :math:`\hat\epsilon > 0`.
    weight_decay : float
        :math:`\lambda \ge 0`; 0 gives Adam.
    exclude_from_weight_decay : list of bool, callable or None
        Which parameter arrays **not** to decay (Keras's sense; Keras takes the variables themselves,
        ``optimizer.exclude_from_weight_decay(var_list=...)``): a list with one flag per parameter array,
        ``True`` to exclude, or a function ``(index, array) -> bool`` called once per array on the first step.
        ``None`` decays all.
    global_clipnorm : float or None
        Clip the gradients to this global L2 norm before each update (see :class:`Optimizer`).

    Raises
    ------
    ValueError
        On the first :meth:`step`, if a list ``exclude_from_weight_decay`` does not have one flag per parameter
        array.
    """

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-7,
        weight_decay: float = 0.004,
        *,
        exclude_from_weight_decay: Sequence[bool] | Callable[[int, np.ndarray], bool] | None = None,
        global_clipnorm: float | None = None,
    ):
        super().__init__(lr, beta1, beta2, eps, global_clipnorm=global_clipnorm)
        self.weight_decay = check_fraction(weight_decay, "weight_decay", low=0.0, high=math.inf)
        excl = exclude_from_weight_decay
        if excl is not None and not callable(excl):
            if isinstance(excl, (str, bytes)) or not isinstance(excl, (Sequence, np.ndarray)) or np.ndim(excl) != 1:
                raise TypeError(
                    "exclude_from_weight_decay must be a list of booleans (one per parameter array, True = no "
                    f"decay), a function (index, array) -> bool, or None; got {_describe(excl)}"
                )
            flags = list(excl)
            for i, f in enumerate(flags):
                if not isinstance(f, (bool, np.bool_)):
                    raise TypeError(
                        f"exclude_from_weight_decay[{i}] must be True or False; got {_describe(f)}"
                    )
            excl = [bool(f) for f in flags]
        self.exclude_from_weight_decay = excl

    def _decay_mask(self, params) -> list[bool]:
        excl = self.exclude_from_weight_decay
        if excl is None:
            return [True] * len(params)
        if callable(excl):
            flags = []
            for i, p in enumerate(params):
                f = excl(i, p)
                if not isinstance(f, (bool, np.bool_)):
                    raise TypeError(
                        f"exclude_from_weight_decay({i}, params[{i}]) must return True or False; got {_describe(f)}"
                    )
                flags.append(not f)
            return flags
        if len(excl) != len(params):
            raise ValueError(
                f"exclude_from_weight_decay must have one flag per parameter array, {len(params)}; got "
                f"{len(excl)} flags"
            )
        return [not f for f in excl]

    def decayed(self) -> list[bool] | None:
        """Which parameter arrays are decayed (one flag each), fixed on the first step; ``None`` before it."""
        return None if self._decay is None else list(self._decay)

    def _repr_extra(self) -> str:
        extra = f", weight_decay={self.weight_decay!r}"
        if self.exclude_from_weight_decay is not None:
            extra += f", exclude_from_weight_decay={self.exclude_from_weight_decay!r}"
        return extra + super()._repr_extra()
