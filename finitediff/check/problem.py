"""What is checked: f as a flat function, the reference, names of the entries.

:func:`make_problem` reads the user's arguments once: a Keras model or TF
callable gets TensorFlow autodiff as its reference (TensorFlow is imported
here and only here, for TF objects); a numpy callable gets its ``grad=`` /
``hess=`` callables. Finite differences of a TF object go through
:func:`finitediff.tf.black_box`, in float32 too, so that a float32 model is
reported as such instead of refused.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import check_argument
from .function import FlatFunction, is_tensorflow_object
from .reference import CallableReference
from .report import Finding, FindingKind

__all__ = ["Problem", "make_problem", "tensorflow_function"]


@dataclass
class Problem:
    """f and x flattened, the reference, and the findings made while reading them."""

    x: np.ndarray
    point_shape: tuple
    out_shape: tuple
    function: FlatFunction
    reference: object
    value: np.ndarray
    tensorflow: bool
    findings: list = field(default_factory=list)
    #: options of every engine call: where f is evaluated (``workers``, ``progress``)
    run: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.x.size

    @property
    def outputs(self) -> int:
        return self.value.size

    def gradient_function(self) -> FlatFunction | None:
        """The gradient under test as a flat function (the base of order-2 estimates)."""
        gradient = self.reference.gradient_function()
        if gradient is None:
            return None
        if isinstance(gradient, FlatFunction):
            return gradient
        return FlatFunction(gradient, (self.size,), vectorized=True)

    # -- names -------------------------------------------------------------
    def input_name(self, j: int) -> str:
        if self.point_shape == ():
            return "x"
        return f"x[{','.join(map(str, np.unravel_index(j, self.point_shape)))}]"

    def output_name(self, i: int) -> str:
        if self.out_shape in ((), (1,)):
            return "f"
        return f"f[{','.join(map(str, np.unravel_index(i, self.out_shape)))}]"

    def label(self, order: int, row: int, col: int) -> str:
        if order == 1:
            return f"d{self.output_name(row)}/d{self.input_name(col)}"
        return f"d2f/d{self.input_name(row)}d{self.input_name(col)}"


def tensorflow_function(f, x: np.ndarray) -> tuple[FlatFunction, np.ndarray]:
    """A Keras model or TF callable as a flat function (float32 accepted), and f(x)."""
    from ..tf import black_box  # TensorFlow, for TF objects only

    with warnings.catch_warnings():  # float32 is reported as a finding instead
        warnings.simplefilter("ignore")
        function = FlatFunction(black_box(f, allow_float32=True, jit_compile=False), x.shape)
        value = function.value(x.reshape(-1))  # the first call runs the precision guard
    return function, value


def make_problem(f, x: np.ndarray, *, grad, hess, wrt, vectorized: bool) -> Problem:
    """The problem for :func:`~finitediff.check_derivatives` (arguments already validated)."""
    point_shape = x.shape
    flat = x.reshape(-1)
    tensorflow = is_tensorflow_object(f)
    if not tensorflow:
        function = FlatFunction(f, point_shape, vectorized=vectorized)
        value = function.value(flat)
        tensorflow = bool(function.returned_tensorflow)
    if tensorflow:
        function, value = tensorflow_function(f, x)
    check_argument(np.all(np.isfinite(value)), f"`f` must be finite at x, got {value!r}")
    out_shape = function.out_shape
    if grad is not None or hess is not None:
        reference = CallableReference(grad, hess, point_shape, value.size)
    else:
        check_argument(
            tensorflow,
            "`grad` is required: f is a numpy callable, so the derivatives to check must be "
            "given as grad= (order 1) and hess= (order 2); without them only a Keras model or "
            "TF function can be checked (against TensorFlow autodiff)", error=TypeError)
        from ..tf.reference import AutodiffReference

        reference = AutodiffReference(f, point_shape, wrt=wrt)
        # the reference's precision finding is confirmed against f's resolution; the
        # black box's own guard can mistake a large constant in f for rounded inputs
        function.known_dtype = reference.dtype
    problem = Problem(flat, point_shape, out_shape, function, reference, value, tensorflow)
    problem.findings += _precision_findings(f, reference)
    return problem


def _precision_findings(f, reference) -> list[Finding]:
    reasons = reference.precision_findings()
    if not reasons:
        return []
    if type(f).__name__ in ("Sequential", "Functional", "Model") or hasattr(f, "get_weights"):
        fix = ("check finitediff.as_float64(model), a float64 copy with the same weights, or "
               "build the model after keras.config.set_dtype_policy('float64') with "
               "keras.Input(..., dtype='float64')")
    else:
        fix = "compute in tf.float64 throughout (no casts to float32, float64 constants)"
    return [Finding(FindingKind.PRECISION,
                    f"f computes below float64: {'; '.join(reasons)}. Finite differences "
                    "resolve float32 derivatives to a few digits at best, so small bugs go "
                    f"unseen; {fix}")]
