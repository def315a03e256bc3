"""Differentiating with respect to a model's variables: ``wrt="weights"`` or variables.

:func:`select_variables` reads what ``wrt`` designates (the trainable
variables, one variable or a list of them), checks that they are float and
distinct, and gives each a unique key and its part of the flat vector.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ..errors import check_argument
from .layout import Part, parts
from .structure import wrt_list

__all__ = ["is_variable", "select_variables", "wants_variables"]


def is_variable(value) -> bool:
    return isinstance(value, (tf.Variable, keras.Variable))


def wants_variables(wrt) -> bool:
    """Whether ``wrt`` designates variables: ``"weights"``, a variable or a list of them."""
    return (isinstance(wrt, str) and wrt == "weights") or is_variable(wrt) or (
        isinstance(wrt, (list, tuple)) and any(is_variable(v) for v in wrt))


def _variable_key(variable) -> str:
    path = getattr(variable, "path", None)
    return path if isinstance(path, str) else variable.name.split(":")[0]


def select_variables(model, wrt) -> tuple[list, tuple[Part, ...], bool]:
    """The variables ``wrt`` designates ("weights": the trainable ones), their parts, the level."""
    if isinstance(wrt, str):
        variables = list(getattr(model, "trainable_variables", None) or [])
        check_argument(bool(variables), f"wrt='weights': the model has no trainable variables "
                       f"(got {type(model).__name__}); pass a list of variables as `wrt`")
        level = True
    else:
        level = not is_variable(wrt)
        variables = wrt_list(wrt) if level else [wrt]
        check_argument(all(is_variable(v) for v in variables),
                       "`wrt` must be input names or positions, 'weights' or variables, not a "
                       f"mix, got {wrt!r}", error=TypeError)
    for variable in variables:
        dtype = tf.as_dtype(variable.dtype)
        check_argument(dtype.is_floating, f"`wrt` holds the variable {_variable_key(variable)!r}"
                       f" of dtype {dtype.name}: only float variables can be differentiated")
    check_argument(len({id(v) for v in variables}) == len(variables),
                   "`wrt` names a variable twice")
    keys = _unique([_variable_key(v) for v in variables])
    return variables, parts(zip(keys, (tuple(v.shape) for v in variables))), level


def _unique(keys: list[str]) -> list[str]:
    """Keys made unique by a suffix (two tf.Variables may share a name)."""
    seen: dict[str, int] = {}
    result = []
    for key in keys:
        count = seen.get(key, 0)
        seen[key] = count + 1
        result.append(key if count == 0 else f"{key}_{count}")
    return result
