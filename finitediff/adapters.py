"""Adapters for callables of other array libraries, registered by module name.

An adapter turns an object of another library (a Keras model, a TF function)
into a batched float64 numpy callable. It is registered with the top-level
module names its objects' classes come from and the import path of a
``bind(f, point_shape)`` function; the path is imported only when such an
object is differentiated, so ``import finitediff`` loads numpy and scipy only.

>>> from finitediff.adapters import adapter_for
>>> import numpy as np
>>> adapter_for(np.sin) is None
True
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Adapter", "adapter_for", "module_roots", "register_adapter"]


@dataclass(frozen=True)
class Adapter:
    """Objects whose classes come from ``roots`` are bound by ``loader`` ("module:function")."""

    roots: frozenset
    loader: str
    own_prefix: str = ""

    def matches(self, f: Any) -> bool:
        roots = module_roots(type(f))
        own = bool(self.own_prefix) and type(f).__module__.startswith(self.own_prefix)
        return bool(roots & self.roots) or own

    def bind(self, f: Any, point_shape: tuple) -> Callable:
        module, name = self.loader.split(":")
        return getattr(importlib.import_module(module), name)(f, point_shape)


@functools.lru_cache(maxsize=256)
def module_roots(cls: type) -> frozenset:
    """The top-level modules of ``cls`` and of its bases (read once per class)."""
    return frozenset(base.__module__.split(".")[0] for base in cls.__mro__)


_ADAPTERS: list[Adapter] = []


def register_adapter(roots, loader: str, *, own_prefix: str = "") -> Adapter:
    """Register an adapter: objects of the modules ``roots`` are bound by the
    function at ``loader`` ("package.module:function"), imported on first use."""
    adapter = Adapter(frozenset(roots), loader, own_prefix)
    _ADAPTERS.append(adapter)
    return adapter


def adapter_for(f: Any) -> Adapter | None:
    """The adapter registered for ``f`` (the latest that matches), or None."""
    for adapter in reversed(_ADAPTERS):
        if adapter.matches(f):
            return adapter
    return None


# Keras models, TF functions and finitediff's own TF adapters
register_adapter({"keras", "tensorflow", "tf_keras"}, "finitediff.tf.model:bind",
                 own_prefix="finitediff.tf.")
