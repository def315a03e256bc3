"""derivative, gradient, jacobian and hessian of Keras models, per output and per input.

The public functions hand a Keras model or TF callable here (through
:mod:`finitediff.structured`) when ``x`` is a dict or a list of arrays, when
the model declares several inputs or outputs, or when ``wrt=`` or
``training=True`` is given. Each builds the flat function of
:mod:`finitediff.tf.flat`, calls the public function itself on it, and
arranges the flat result (``df``, ``error``, ``step``, ``success``,
``status``) per output and per input:

- ``jacobian``: ``df[out][inp]`` of shape ``output_shape + input_shape``;
- ``gradient``: the same for outputs that are scalars: shape ``input_shape``;
- ``hessian``: ``df[out][inp_i][inp_j]`` of shape
  ``output_shape + shape_i + shape_j``, one Hessian per output value (points
  shared by them are evaluated once); ``step`` is ``step[out][inp]``;
- ``derivative``: the ``n``-th derivative along each differentiated
  component separately, ``df[out][inp]`` of shape ``output_shape +
  input_shape`` (n = 1: the Jacobian; for a scalar input ``t``, ``∂ⁿu/∂tⁿ``).

``nfev`` counts the points the model was evaluated at.
"""

from __future__ import annotations

import numpy as np

from .. import derivative, hessian, jacobian
from ..errors import check_argument
from ..result import DerivativeResult
from .flat import FlatModel, flat_model
from .structure import needs_structure

__all__ = ["call_structured", "needs_structure"]


def _check_options(options: dict) -> None:
    check_argument(options.pop("args", ()) == (), "`args` cannot be passed to a Keras model "
                   "or TF function; close over them instead", error=TypeError)
    check_argument(options.get("sparsity") is None, "`sparsity` is not available per output "
                   "and input (a model with several inputs or outputs, or `wrt=`)")
    options.pop("sparsity", None)
    check_argument(options.get("method") != "complex", "method='complex' needs f to carry "
                   "complex numbers through; a Keras model takes real inputs")


def call_structured(name: str, f, x, *, wrt=None, training: bool = False,
                    **options) -> DerivativeResult:
    """The public function ``name`` of ``f`` at ``x``, per output and per input."""
    _check_options(options)
    flat = flat_model(f, x, wrt=wrt, training=training)
    return _CALLS[name](flat, options)


def _jacobian(flat: FlatModel, options: dict) -> DerivativeResult:
    return flat.restructure(jacobian(flat.function, flat.x, **options))


def _gradient(flat: FlatModel, options: dict) -> DerivativeResult:
    for part in flat.layout.outputs:
        name = "the output" if part.key is None else f"output {part.key!r}"
        check_argument(part.size == 1, f"`f` must return a scalar for gradient, got {name} of "
                       f"shape {part.shape} per sample; use jacobian")
    return flat.restructure(jacobian(flat.function, flat.x, **options))


def _hessian(flat: FlatModel, options: dict) -> DerivativeResult:
    # The Hessians of all outputs at once: every output along the same lines and points.
    result = hessian(flat.function, flat.x, **options)
    return flat.restructure(result, ("out", "in", "in"))


def _componentwise(flat: FlatModel):
    """An elementwise function on ``(D, M)``: entry ``(j, m)`` is output m with only x_j moved.

    The engine's elementwise ``derivative`` then gives the derivative of every
    output along every component. Points that coincide (the same component
    moved to the same value for every output, or x itself) are evaluated once.
    """
    x = flat.x
    outputs = flat.layout.output_size

    def function(points, index):
        # ``index`` holds the flat positions (d·M + m) of the elements in ``points``:
        # x's shape (D, M) while every element is evaluated, (k,) for a subset.
        points = np.asarray(points, dtype=np.float64)
        index = np.asarray(index)
        single = points.ndim == index.ndim
        points = points[None] if single else points
        index = np.broadcast_to(index, points.shape)
        component, output = index // outputs, index % outputs
        moved = points != x[component]
        keys = np.stack([np.where(moved, component, -1).ravel().astype(np.float64),
                         np.where(moved, points, 0.0).ravel()], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        samples = np.repeat(x[None], len(unique), axis=0)
        rows = np.nonzero(unique[:, 0] >= 0)[0]
        samples[rows, unique[rows, 0].astype(np.int64)] = unique[rows, 1]
        values = flat.function(samples)
        result = values[np.ravel(inverse), output.ravel()].reshape(points.shape)
        return result[0] if single else result

    function.dtype = flat.function.dtype
    return function


def _derivative(flat: FlatModel, options: dict) -> DerivativeResult:
    point = np.repeat(flat.x[:, None], flat.layout.output_size, axis=1)
    index = np.arange(point.size).reshape(point.shape)
    result = derivative(_componentwise(flat), point, args=(index,),
                        **options)  # fields are (D, M)
    transposed = {name: np.asarray(getattr(result, name)).T
                  for name in ("df", "error", "step", "success", "status")}
    return flat.restructure(DerivativeResult(nfev=result.nfev, message=result.message,
                                             **transposed))


_CALLS = {"derivative": _derivative, "gradient": _gradient, "jacobian": _jacobian,
          "hessian": _hessian}
