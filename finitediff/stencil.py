"""Finite-difference weights (Fornberg's algorithm) and the frozen ``Stencil``.

A stencil of derivative order ``n`` on offsets ``o_j`` approximates

    f^(n)(x) ≈ h^-n · Σ_j w_j f(x + o_j h).

Expanding f in a Taylor series, the stencil reproduces the ``m``-th term with
the *moment* ``M_m = Σ_j w_j o_j^m / m!``; the weights make ``M_m = δ_mn`` for
``m < len(offsets)``. The first non-zero moment above ``n``, at ``m = n + p``,
sets the accuracy ``p`` and the error coefficient ``C = M_{n+p}``:

    error ≈ C · f^(n+p)(x) · h^p.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from functools import cached_property

import numpy as np

from .errors import check_argument, check_nonnegative_int, check_positive_int

__all__ = ["fornberg_weights", "optimal_step", "Stencil"]


def _fornberg_table(offsets: Sequence, n: int, x0):
    """Weights table ``c[k][j]`` for orders k = 0..n in the arithmetic of the inputs.

    Fornberg, "Generation of finite difference formulas on arbitrarily spaced
    grids", Math. Comp. 51 (1988): each new node updates the weights of the
    previous ones by one recurrence, so the table costs O(n · N²).
    """
    count = len(offsets)
    zero = x0 - x0
    c = [[zero] * count for _ in range(n + 1)]
    c[0][0] = zero + 1
    c1 = zero + 1
    c4 = offsets[0] - x0
    for i in range(1, count):
        top = min(i, n)
        c2 = zero + 1
        c5 = c4
        c4 = offsets[i] - x0
        for j in range(i):
            c3 = offsets[i] - offsets[j]
            c2 = c2 * c3
            if j == i - 1:
                for k in range(top, 0, -1):
                    c[k][i] = c1 * (k * c[k - 1][i - 1] - c5 * c[k][i - 1]) / c2
                c[0][i] = -c1 * c5 * c[0][i - 1] / c2
            for k in range(top, 0, -1):
                c[k][j] = (c4 * c[k][j] - k * c[k - 1][j]) / c3
            c[0][j] = c4 * c[0][j] / c3
        c1 = c2
    return c


def _check_offsets(offsets: Iterable) -> tuple:
    try:
        values = tuple(offsets)
    except TypeError:
        raise TypeError(f"`offsets` must be a sequence of real numbers, got {offsets!r}") from None
    check_argument(len(values) >= 1, "`offsets` must hold at least one value")
    for value in values:
        check_argument(
            isinstance(value, (int, float, Fraction, np.integer, np.floating))
            and not isinstance(value, bool)
            and math.isfinite(value),
            f"`offsets` must hold finite real numbers, got {value!r}",
            error=ValueError if isinstance(value, (int, float, Fraction, np.number)) else TypeError,
        )
    check_argument(
        len(set(values)) == len(values),
        f"`offsets` must be distinct, got {values}",
    )
    return values


def _check_order_and_offsets(n, offsets) -> tuple[int, tuple]:
    n = check_nonnegative_int("n", n)
    values = _check_offsets(offsets)
    check_argument(
        len(values) >= n + 1,
        f"`offsets` must hold at least n + 1 = {n + 1} points for derivative order n={n}, "
        f"got {len(values)}",
    )
    return n, values


def fornberg_weights(offsets, n: int, x0: float = 0.0, *, exact: bool = False) -> np.ndarray:
    """Finite-difference weights of every derivative order ``0..n``.

    Parameters
    ----------
    offsets : sequence of real
        Distinct grid points (any reals, not necessarily equispaced or sorted).
    n : int
        Highest derivative order; needs ``len(offsets) >= n + 1``.
    x0 : float, optional
        Where the derivatives are approximated (default 0).
    exact : bool, optional
        If True, compute in rational arithmetic and return an object array of
        ``fractions.Fraction``; floats are converted exactly.

    Returns
    -------
    ndarray, shape ``(n + 1, len(offsets))``
        Row ``k`` holds the weights of the ``k``-th derivative.

    Examples
    --------
    >>> from finitediff import fornberg_weights
    >>> fornberg_weights([-1, 0, 1], 2, exact=True)[2]
    array([Fraction(1, 1), Fraction(-2, 1), Fraction(1, 1)], dtype=object)
    """
    n, values = _check_order_and_offsets(n, offsets)
    check_argument(math.isfinite(x0), f"`x0` must be finite, got {x0!r}")
    if exact:
        table = _fornberg_table([Fraction(v) for v in values], n, Fraction(x0))
        return np.array(table, dtype=object)
    table = _fornberg_table([float(v) for v in values], n, float(x0))
    return np.array(table, dtype=np.float64)


def _moment(offsets, weights, m: int) -> Fraction:
    return sum((w * o**m for o, w in zip(offsets, weights)), Fraction(0)) / math.factorial(m)


class Stencil:
    """A frozen finite-difference stencil: offsets, derivative order, exact weights.

    ``Stencil(offsets, n)`` approximates ``f^(n)(x) ≈ h^-n Σ w_j f(x + o_j h)``.
    Instances are immutable and hashable; equal offsets and order compare equal.

    Examples
    --------
    >>> from finitediff import Stencil
    >>> s = Stencil.central(2)
    >>> s
    Stencil(offsets=(-1, 0, 1), n=2, weights=(1, -2, 1), accuracy=2)
    >>> s.error_coefficient
    Fraction(1, 12)
    """

    def __init__(self, offsets, n: int):
        n, values = _check_order_and_offsets(n, offsets)
        # Keep integers as integers so the repr and exact weights stay clean.
        normalized = tuple(
            int(v) if float(v).is_integer() else (v if isinstance(v, Fraction) else float(v))
            for v in values
        )
        object.__setattr__(self, "_offsets", normalized)
        object.__setattr__(self, "_n", n)

    # -- constructors -------------------------------------------------------
    @classmethod
    def central(cls, n: int, accuracy: int = 2) -> Stencil:
        """Symmetric stencil of even ``accuracy`` on ``-r..r``."""
        n = check_nonnegative_int("n", n)
        accuracy = check_positive_int("accuracy", accuracy)
        check_argument(
            accuracy % 2 == 0,
            f"`accuracy` of a central stencil must be even, got {accuracy}",
        )
        radius = max(0, (n + 1) // 2 - 1 + accuracy // 2)
        return cls(range(-radius, radius + 1), n)

    @classmethod
    def forward(cls, n: int, accuracy: int = 1) -> Stencil:
        """One-sided stencil on ``0, 1, …, n + accuracy - 1``."""
        n = check_nonnegative_int("n", n)
        accuracy = check_positive_int("accuracy", accuracy)
        return cls(range(n + accuracy), n)

    @classmethod
    def backward(cls, n: int, accuracy: int = 1) -> Stencil:
        """One-sided stencil on ``-(n + accuracy - 1), …, 0``."""
        n = check_nonnegative_int("n", n)
        accuracy = check_positive_int("accuracy", accuracy)
        return cls(range(-(n + accuracy - 1), 1), n)

    # -- values ---------------------------------------------------------------
    @property
    def offsets(self) -> tuple:
        return self._offsets

    @property
    def n(self) -> int:
        return self._n

    @cached_property
    def exact_weights(self) -> tuple[Fraction, ...]:
        return tuple(fornberg_weights(self._offsets, self._n, exact=True)[self._n])

    @cached_property
    def weights(self) -> np.ndarray:
        weights = np.array([float(w) for w in self.exact_weights], dtype=np.float64)
        weights.flags.writeable = False
        return weights

    @cached_property
    def _truncation(self) -> tuple[int | float, Fraction]:
        offsets = [Fraction(o) for o in self._offsets]
        weights = self.exact_weights
        if self.support == (0,):
            # Order 0 read off at a node: f(x) itself, exact for every f.
            return math.inf, Fraction(0)
        # The first non-zero moment beyond n exists within a few orders of the
        # point count; the bound only guards against an endless loop.
        for m in range(self._n + 1, len(offsets) + self._n + 3):
            moment = _moment(offsets, weights, m)
            if moment != 0:
                return m - self._n, moment
        raise AssertionError("no non-zero truncation moment found")  # pragma: no cover

    @property
    def accuracy(self) -> int | float:
        """Order ``p`` of the truncation error ``O(h^p)`` (``inf`` if exact)."""
        return self._truncation[0]

    @property
    def error_coefficient(self) -> Fraction:
        """``C`` in ``error ≈ C · f^(n+p)(x) · h^p``."""
        return self._truncation[1]

    @property
    def size(self) -> int:
        return len(self._offsets)

    # -- the error model ------------------------------------------------------
    @cached_property
    def weight_sum(self) -> float:
        """``Σ|w_j|``: how much the stencil amplifies the rounding of f's values."""
        return float(sum(abs(w) for w in self.exact_weights))

    def roundoff_error(self, step, *, f_scale=1.0, dtype=np.float64):
        """``ε·|f|·Σ|w_j| / h^n``: round-off of the estimate at step ``h``.

        ``f_scale`` is the size of f's values near x and ``ε`` the machine
        epsilon of ``dtype``, the precision f is computed in.
        """
        epsilon = float(np.finfo(dtype).eps)
        return epsilon * np.abs(f_scale) * self.weight_sum / np.abs(step) ** self._n

    def truncation_error(self, step, *, derivative_scale=1.0):
        """``|C|·|f^(n+p)|·h^p``: the leading truncation error at step ``h``.

        ``derivative_scale`` is the size of ``f^(n+p)`` near x; zero for a
        stencil that is exact (order 0 read off at a node).
        """
        if math.isinf(self.accuracy):
            return np.zeros(np.shape(step))
        coefficient = abs(float(self.error_coefficient))
        return coefficient * np.abs(derivative_scale) * np.abs(step) ** self.accuracy

    def error(self, step, *, f_scale=1.0, derivative_scale=1.0, dtype=np.float64):
        """Predicted error at step ``h``: round-off plus truncation.

        ``E(h) = ε·|f|·Σ|w_j| / h^n + |C|·|f^(n+p)|·h^p``, the model every
        step choice in finitediff minimises.

        Examples
        --------
        >>> from finitediff import Stencil
        >>> s = Stencil.central(1)
        >>> h = s.optimal_step()
        >>> bool(s.error(h) <= s.error(2 * h) and s.error(h) <= s.error(h / 2))
        True
        """
        return (self.roundoff_error(step, f_scale=f_scale, dtype=dtype)
                + self.truncation_error(step, derivative_scale=derivative_scale))

    def optimal_step(self, *, f_scale=1.0, derivative_scale=1.0, dtype=np.float64) -> float:
        """The step minimising :meth:`error`.

        ``dE/dh = 0`` gives ``h* = (n·ε·|f|·Σ|w| / (p·|C|·|f^(n+p)|))^(1/(n+p))``
        (with n taken as 1 for order 0). With the default scales of 1 this is
        the step for a unit-scale function; multiply by the length over which
        f changes (``max(|x|, 1)`` when nothing better is known).
        """
        if math.isinf(self.accuracy) or derivative_scale == 0:
            return 1.0  # nothing to balance: any step gives the same answer
        epsilon = float(np.finfo(dtype).eps)
        n = max(self._n, 1)
        p = self.accuracy
        coefficient = abs(float(self.error_coefficient))
        ratio = (n * epsilon * abs(f_scale) * self.weight_sum
                 / (p * coefficient * abs(derivative_scale)))
        return float(ratio ** (1.0 / (n + p)))

    @cached_property
    def support(self) -> tuple:
        """Offsets with non-zero weight (the points f is evaluated at)."""
        return tuple(o for o, w in zip(self._offsets, self.exact_weights) if w != 0)

    @cached_property
    def support_weights(self) -> np.ndarray:
        weights = np.array([float(w) for w in self.exact_weights if w != 0], dtype=np.float64)
        weights.flags.writeable = False
        return weights

    # -- value semantics ----------------------------------------------------
    def __setattr__(self, name, value):
        raise AttributeError("Stencil is immutable")

    def __eq__(self, other):
        if not isinstance(other, Stencil):
            return NotImplemented
        return self._n == other._n and self._offsets == other._offsets

    def __hash__(self):
        return hash((Stencil, self._offsets, self._n))

    def __reduce__(self):
        return (Stencil, (self._offsets, self._n))

    def __repr__(self):
        def show(value):
            return str(value) if isinstance(value, (int, Fraction)) else repr(value)

        offsets = ", ".join(show(o) for o in self._offsets)
        weights = ", ".join(str(w) for w in self.exact_weights)
        comma = "," if len(self._offsets) == 1 else ""
        return (
            f"Stencil(offsets=({offsets}{comma}), n={self._n}, "
            f"weights=({weights}{comma}), accuracy={self.accuracy})"
        )


def optimal_step(stencil: Stencil, dtype=np.float64) -> float:
    """Theory-optimal step for ``stencil`` on a unit-scale function in ``dtype``.

    The same as ``stencil.optimal_step(dtype=dtype)``; see
    :meth:`Stencil.error` for the error model.

    Examples
    --------
    >>> from finitediff import Stencil, optimal_step
    >>> round(optimal_step(Stencil.central(1)), 8)
    8.73e-06
    """
    return stencil.optimal_step(dtype=dtype)
