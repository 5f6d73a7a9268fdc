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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_fraction, check_positive

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam"]


class Optimizer:
    """Base class of the optimizers: the ``step(params, grads)`` protocol and the per-parameter state.

    Subclasses define :meth:`_n_buffers` (how many arrays of a parameter's shape each slot needs: state plus
    scratch space) and :meth:`_update` (the update of one parameter array, in place). The state is created by the
    first :meth:`step`; :attr:`t` counts the steps taken. :meth:`reset` forgets the state, so that the same
    optimizer can start over (for example on a new model).
    """

    def __init__(self) -> None:
        self.t = 0
        self._slots: list[tuple[np.ndarray, ...]] | None = None
        self._shapes: list[tuple[int, ...]] | None = None
        self._dtypes: list[np.dtype] | None = None

    # ------------------------------------------------------------------ protocol
    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        r"""Apply one update :math:`\theta \leftarrow \theta - \dots` to every array of ``params``, in place.

        Parameters
        ----------
        params : list of ndarray
            The parameters ``[W1, b1, W2, b2, ...]``; floating-point arrays, updated in place.
        grads : list of ndarray
            Their gradients, same length and shapes. Not modified.

        Raises
        ------
        ValueError
            If ``params`` and ``grads`` differ in length or shapes, or if they do not match the shapes the
            optimizer's state was created for on its first step.
        TypeError
            If a parameter is not a floating-point NumPy array.
        """
        if self._slots is None:
            self._build(params, grads)
        else:
            self._check(params, grads)
        self.t += 1
        for i, (theta, g) in enumerate(zip(params, grads)):
            # Keras casts the gradient to the variable's dtype; no copy when it already has it
            self._update(theta, np.asarray(g, dtype=theta.dtype), self._slots[i])

    def reset(self) -> None:
        """Forget the state (moments, velocities, step count); the next :meth:`step` creates it anew."""
        self.t = 0
        self._slots = None
        self._shapes = None
        self._dtypes = None

    # ------------------------------------------------------------------ for subclasses
    def _n_buffers(self) -> int:
        """Number of arrays of the parameter's shape per slot (state and scratch)."""
        raise NotImplementedError

    def _update(self, theta: np.ndarray, g: np.ndarray, slot: tuple[np.ndarray, ...]) -> None:
        """Update one parameter array ``theta`` in place from its gradient ``g`` and its ``slot`` buffers."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    def _build(self, params, grads) -> None:
        self._check_pair(params, grads)
        for i, theta in enumerate(params):
            if not isinstance(theta, np.ndarray) or theta.dtype.kind != "f":
                what = f"dtype {theta.dtype}" if isinstance(theta, np.ndarray) else type(theta).__name__
                raise TypeError(f"params[{i}] must be a floating-point NumPy array (updated in place); got {what}")
        self._shapes = [theta.shape for theta in params]
        self._dtypes = [theta.dtype for theta in params]
        # zero state, like Keras' optimizer variables; the scratch buffers are overwritten before every use
        self._slots = [
            tuple(np.zeros_like(theta, order="C") for _ in range(self._n_buffers())) for theta in params
        ]

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
    lr : float
        Learning rate :math:`\eta > 0`.
    momentum : float
        Momentum :math:`\mu \in [0, 1)`; 0 gives plain gradient descent.
    nesterov : bool
        Use Nesterov momentum (only makes a difference when ``momentum > 0``).
    """

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False):
        super().__init__()
        self.lr = check_positive(lr, "lr")
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
        lr = dt(self.lr)
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
        return f"SGD(lr={self.lr!r}, momentum={self.momentum!r}, nesterov={self.nesterov!r})"


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
    lr : float
        Learning rate :math:`\eta > 0`.
    rho : float
        Decay rate :math:`\rho \in [0, 1)` of the moving average.
    eps : float
        :math:`\epsilon > 0`, keeps the denominator away from zero.
    """

    def __init__(self, lr: float, rho: float = 0.9, eps: float = 1e-7):
        super().__init__()
        self.lr = check_positive(lr, "lr")
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
        tmp *= dt(self.lr)
        theta -= tmp  # theta -= eta g / sqrt(s + eps)

    def __repr__(self) -> str:
        return f"RMSprop(lr={self.lr!r}, rho={self.rho!r}, eps={self.eps!r})"


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
    lr : float
        Learning rate :math:`\eta > 0`.
    beta1, beta2 : float
        Decay rates :math:`\beta_1, \beta_2 \in [0, 1)` of the first and second moment estimates.
    eps : float
        :math:`\hat\epsilon > 0`, keeps the denominator away from zero.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7):
        super().__init__()
        self.lr = check_positive(lr, "lr")
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
        return dt(self.lr) * np.sqrt(one - dt(self.beta2) ** t) / (one - dt(self.beta1) ** t)

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
        return f"Adam(lr={self.lr!r}, beta1={self.beta1!r}, beta2={self.beta2!r}, eps={self.eps!r})"
