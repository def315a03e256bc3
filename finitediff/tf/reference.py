"""TensorFlow autodiff as the reference of the derivative checker.

Everything is reverse mode (``GradientTape``), the mode training uses:
``tf.autodiff.ForwardAccumulator`` differentiates the primal ops inside a
``tf.custom_gradient`` and ignores the custom gradient, so a forward-mode
JVP would not check the gradient a model trains with. A JVP is therefore
the gradient of ``(Jᵀv)·u`` with respect to v (reverse over reverse).

Points are flat, ``(P, d)``; values ``(P, m)``. A model with one input
feature acts elementwise, as for the estimators (:mod:`finitediff.tf.model`).
The model is assumed to treat batch rows independently (inference mode).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ..errors import check_argument
from .precision import find_low_precision

__all__ = ["AutodiffReference"]

#: Graph ops through which no gradient flows, and what to call them.
_BLOCKING = {
    "PyFunc": "tf.numpy_function / tf.py_function (no gradient)",
    "PyFuncStateless": "tf.numpy_function / tf.py_function (no gradient)",
    "EagerPyFunc": "tf.py_function (no gradient unless it is written in TF ops)",
    "StopGradient": "tf.stop_gradient",
    "PreventGradient": "tf.raw_ops.PreventGradient",
    "Round": "tf.round (zero gradient)",
    "Floor": "tf.floor (zero gradient)",
    "Ceil": "tf.math.ceil (zero gradient)",
    "Sign": "tf.sign (zero gradient)",
}


#: How :func:`find_low_precision` words its probe's finding.
_ROUNDED_INPUTS = "inputs are rounded below float64"
#: The probe's shifts (as in finitediff.tf.precision) and the ulps a change must exceed.
_TINY, _LARGE, _RESOLUTION_ULPS = 2.0**-30, 2.0**-8, 4.0


def _model_input_shape(model) -> tuple | None:
    if isinstance(model, keras.Model) and getattr(model, "inputs", None):
        shape = tuple(model.inputs[0].shape[1:])
        if all(isinstance(s, int) for s in shape):
            return shape
    return None


class AutodiffReference:
    """Derivatives of a Keras model or TF callable at flat points, by ``GradientTape``.

    Parameters
    ----------
    f : keras.Model or callable
        Maps a float64 batch ``(N, *S)`` to ``(N, *O)``.
    point_shape : tuple
        ``S``, the shape of x.
    wrt : None
        What to differentiate with respect to: the (single) input. Kept as a
        parameter for inputs of multi-input models and for weights.
    """

    name = "TensorFlow autodiff"

    def __init__(self, f, point_shape: tuple, *, wrt=None):
        check_argument(wrt is None, "`wrt` other than None is not supported yet")
        self.f = f
        self.point_shape = tuple(point_shape)
        self.size = int(np.prod(self.point_shape, dtype=np.int64))
        self.input_shape = _model_input_shape(f)
        self.elementwise = self.input_shape is not None and int(np.prod(self.input_shape)) == 1
        if self.input_shape is not None and not self.elementwise:
            check_argument(
                int(np.prod(self.input_shape)) == self.size,
                f"`x` must have the model's input shape {self.input_shape}, got shape "
                f"{self.point_shape}")
        self.low_precision = [
            reason for reason in find_low_precision(f, self.input_shape or self.point_shape)
            if not reason.startswith(_ROUNDED_INPUTS) or self._inputs_rounded()]
        self.dtype = np.dtype(np.float32 if self.low_precision else np.float64)
        self.epsilon = float(np.finfo(self.dtype).eps)

    def available(self, order: int) -> bool:
        return order in (1, 2)

    def _inputs_rounded(self) -> bool:
        """Confirm the precision probe: f(x + tiny) == f(x) where the change should show.

        The probe compares f at x and at x + 2^-30·x; a change of f smaller than
        the resolution of f's value (a large constant in f, 1e6 + mlp(x)) is lost
        in float64 too. The change expected from the tiny shift is the change
        over the large shift scaled down by 2^-22; only where it exceeds a few
        ulps of f does an unchanged f prove the inputs rounded.
        """
        shape = self.input_shape or self.point_shape
        base = np.full(shape, 0.5)
        points = np.stack([base, base + _TINY * np.abs(base), base + _LARGE * np.abs(base)])
        values = np.asarray(self._call(self._constant(points.reshape(3, -1))))
        if not np.all(np.isfinite(values)):
            return True  # inconclusive: keep the finding
        expected = np.abs(values[2] - values[0]) * (_TINY / _LARGE)
        resolution = _RESOLUTION_ULPS * np.spacing(np.abs(values[0]))
        return bool(np.any((values[1] == values[0]) & (expected > resolution)))

    # -- the function, flat ----------------------------------------------------
    def _call(self, points: tf.Tensor) -> tf.Tensor:
        count = tf.shape(points)[0]
        if self.elementwise:
            batch = tf.reshape(points, (-1,) + self.input_shape)
        else:
            batch = tf.reshape(points, (-1,) + (self.input_shape or self.point_shape))
        values = self.f(batch)
        if isinstance(values, (list, tuple)):
            check_argument(len(values) == 1, "the model must have a single output")
            values = values[0]
        return tf.reshape(tf.cast(values, tf.float64), (count, -1))

    @staticmethod
    def _constant(points) -> tf.Tensor:
        return tf.constant(np.asarray(points, dtype=np.float64))

    # -- derivatives ---------------------------------------------------------
    def jacobian(self, points) -> np.ndarray | None:
        """``(P, m, d)``; None when autodiff finds no path from x to f."""
        x = self._constant(points)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            values = self._call(x)
            total = tf.reduce_sum(values)
            rows = _row_outputs(values)
        if tape.gradient(total, x) is None:
            return None
        return _rows(tape, values, rows, x)

    def _gradient_tape(self, x: tf.Tensor):
        with tf.GradientTape() as tape:
            tape.watch(x)
            values = self._call(x)
            check_argument(values.shape[-1] in (None, 1), f"second derivatives need a scalar "
                           f"f, got {values.shape[-1]} values")
            total = tf.reduce_sum(values)
        return tape.gradient(total, x)

    def gradient(self, points) -> np.ndarray:
        """``(P, d)`` gradients of a scalar f (zeros where autodiff finds no path)."""
        x = self._constant(points)
        gradient = self._gradient_tape(x)
        return np.zeros(x.shape) if gradient is None else np.asarray(gradient)

    def hessian(self, points) -> np.ndarray:
        x = self._constant(points)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            gradient = self._gradient_tape(x)
            if gradient is None:
                gradient = tf.zeros_like(x)
            rows = _row_outputs(gradient)
        return _rows(tape, gradient, rows, x)

    def hessian_vjp(self, points, v) -> np.ndarray:
        """``vᵀH`` (``H = ∂g/∂x``, g the autodiff gradient) at each point, ``(P, d)``.

        The gradient of ``v·g`` by reverse mode: for ``v = e_i`` the i-th row
        of the Hessian as autodiff computes it, symmetric or not.
        """
        return self._gradient_of_product(points, v)

    def _gradient_of_product(self, points, vector) -> np.ndarray:
        """``∂(vector·g)/∂x`` at each point, ``(P, d)`` (zeros where autodiff finds no path)."""
        x = self._constant(points)
        weights = tf.constant(np.asarray(vector, dtype=np.float64))
        with tf.GradientTape() as tape:
            tape.watch(x)
            gradient = self._gradient_tape(x)
            total = None if gradient is None else tf.reduce_sum(gradient * weights)
        result = None if total is None else tape.gradient(total, x)
        return np.zeros(x.shape) if result is None else np.asarray(result)

    def vjp(self, points, v) -> np.ndarray | None:
        """``vᵀJ`` at each point, ``(P, d)``."""
        x = self._constant(points)
        weights = tf.constant(np.asarray(v, dtype=np.float64))
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(self._call(x) * weights)
        result = tape.gradient(total, x)
        return None if result is None else np.asarray(result)

    def jvp(self, points, u) -> np.ndarray | None:
        """``J·u`` at each point, ``(P, m)``: the gradient of ``(Jᵀv)·u`` with respect to v."""
        x = self._constant(points)
        direction = tf.constant(np.asarray(u, dtype=np.float64))
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                values = self._call(x)
            weights = tf.ones_like(values)
            outer.watch(weights)
            pulled = inner.gradient(values, x, output_gradients=weights)
            if pulled is None:
                return None
            total = tf.reduce_sum(pulled * direction)
        result = outer.gradient(total, weights)
        return np.zeros(values.shape) if result is None else np.asarray(result)

    def hvp(self, points, u) -> np.ndarray:
        """``H·u`` of a scalar f at each point, ``(P, d)``: the gradient of ``u·g``
        (``uᵀH``, which is ``H·u`` for the symmetric Hessian of a smooth f)."""
        return self._gradient_of_product(points, u)

    def gradient_function(self):
        """The autodiff gradient as a vectorized numpy function ``(N, d) -> (N, d)``."""
        return _GradientFunction(self)

    # -- diagnosis -------------------------------------------------------------
    def precision_findings(self) -> list[str]:
        return list(self.low_precision)

    def _with_gradient(self, points):
        values = self._call(points)
        return values, self._gradient_tape(points)

    def blocking_ops(self, order: int = 1) -> list[str]:
        """Ops that pass no gradient, described: in f's graph (nested functions included),
        and for ``order=2`` in the graph of its gradient too."""
        traced = self._call if order == 1 else self._with_gradient
        try:
            graph = tf.function(traced, autograph=False).get_concrete_function(
                tf.TensorSpec((None, self.size), tf.float64)).graph.as_graph_def()
        except Exception:  # a function that cannot be traced: nothing to say
            return []
        nodes = list(graph.node) + [node for function in graph.library.function
                                    for node in function.node_def]
        found = []
        for node in nodes:
            if node.op in _BLOCKING:
                found.append(f"{_BLOCKING[node.op]} (op {node.name!r})")
            elif node.op == "Cast" and tf.as_dtype(node.attr["DstT"].type).is_integer:
                found.append(f"a cast to {tf.as_dtype(node.attr['DstT'].type).name} "
                             f"(op {node.name!r})")
        return list(dict.fromkeys(found))


#: Up to this many outputs a Jacobian is built row by row (one backward pass
#: each) rather than by ``batch_jacobian``, whose vectorisation costs a trace.
ROW_BY_ROW = 64


def _row_outputs(values: tf.Tensor) -> list | None:
    """The columns ``values[:, i]``, sliced on the tape, when few enough to go one by one."""
    count = values.shape[-1]
    if count is not None and count <= ROW_BY_ROW:
        return [values[:, i] for i in range(count)]
    return None


def _rows(tape, values: tf.Tensor, rows: list | None, x: tf.Tensor) -> np.ndarray:
    """``∂values[p, i]/∂x[p, j]`` as ``(P, m, d)``; rows of samples are independent."""
    if rows is not None:
        gradients = [tape.gradient(row, x) for row in rows]
        gradients = [tf.zeros_like(x) if g is None else g for g in gradients]
        return np.stack([np.asarray(g) for g in gradients], axis=1)
    jacobian = tape.batch_jacobian(values, x)
    return np.zeros(values.shape + x.shape[1:]) if jacobian is None else np.asarray(jacobian)


class _GradientFunction:
    """The autodiff gradient of a scalar f, as the engine's vectorized callable."""

    def __init__(self, reference: AutodiffReference):
        self.reference = reference

    @property
    def dtype(self) -> np.dtype:
        return self.reference.dtype

    def __call__(self, points) -> np.ndarray:
        return self.reference.gradient(np.asarray(points, dtype=np.float64))
