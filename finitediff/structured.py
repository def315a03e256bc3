"""Where the public functions hand Keras models with structure to ``finitediff.tf``.

``derivative``, ``gradient``, ``jacobian`` and ``hessian`` ask
:func:`is_structured` first: a Keras model or TF callable with several inputs
or outputs, ``x`` given as a dict or a list of arrays, or ``wrt=`` /
``training=True``, goes to :func:`structured_call`, which returns results
per output and per input (:mod:`finitediff.tf.calls`). Anything else takes
the array path. For numpy callables only class names are read, so
TensorFlow is never imported for them.
"""

from __future__ import annotations

from typing import Any

from .adapters import module_roots
from .result import DerivativeResult

__all__ = ["is_structured", "structured_call"]


def _from_tensorflow(f: Any) -> bool:
    """A Keras model or layer, a ``tf.function`` or a ``tf.Module`` (not a finitediff adapter)."""
    return bool(module_roots(type(f)) & {"keras", "tensorflow", "tf_keras"})


def is_structured(f, x, wrt=None, training: bool = False) -> bool:
    """Whether ``f`` at ``x`` needs results per output and per input."""
    if not _from_tensorflow(f):
        if wrt is not None or training is not False:
            raise TypeError("`wrt` and `training` apply to Keras models and TF functions "
                            f"(tf.function) passed as f, got {type(f).__name__}")
        if isinstance(x, dict):
            raise TypeError("`x` is a dict: only Keras models and TF functions (tf.function) "
                            f"take inputs by name, got f of type {type(f).__name__}")
        return False
    from .tf.structure import needs_structure  # TensorFlow is loaded already for such f

    return needs_structure(f, x, wrt, training)


def structured_call(name: str, f, x, **options) -> DerivativeResult:
    """Run the public function ``name`` on a Keras model per output and per input."""
    from .tf.calls import call_structured

    return call_structured(name, f, x, **options)
