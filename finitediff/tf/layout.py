"""The flat layout of a call: where each input, output or variable sits in one flat vector.

The estimators differentiate a function ``F: R^D → R^M`` of stacked points.
A :class:`Part` is one input, output or variable: its key, its shape in the
results and its slice of the flat vector. A :class:`Layout` holds the
differentiated parts (the D coordinates) and the outputs (the M values), and
turns flat results back into ``df[out][inp]`` with shape
``output_shape + input_shape``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Layout", "Part", "parts"]


@dataclass(frozen=True)
class Part:
    """An input, output or variable: its key, its shape in results, its place in the flat vector.

    It holds the values ``flat[start:start + size]``, ``size`` being the product of ``shape``.
    """

    key: object
    shape: tuple
    start: int

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)


def parts(keys_and_shapes) -> tuple[Part, ...]:
    """Consecutive parts of a flat vector, in the order given."""
    result, start = [], 0
    for key, shape in keys_and_shapes:
        part = Part(key, tuple(int(s) for s in shape), start)
        result.append(part)
        start = part.stop
    return tuple(result)


@dataclass(frozen=True)
class Layout:
    """The differentiated parts (D flat values) and the outputs (M flat values).

    ``input_level`` / ``output_level`` say whether results are keyed by
    input / output (False: a single part, and no dict at that level).
    """

    inputs: tuple[Part, ...]
    outputs: tuple[Part, ...]
    input_level: bool
    output_level: bool

    @property
    def input_size(self) -> int:
        return self.inputs[-1].stop

    @property
    def output_size(self) -> int:
        return self.outputs[-1].stop

    def arrange(self, array, axes: tuple[str, ...]):
        """Leading flat axes (``"out"``: M, ``"in"``: D) as nested dicts of shaped blocks.

        ``arrange(J, ("out", "in"))`` of an ``(M, D)`` Jacobian gives
        ``df[out][inp]`` of shape ``output_shape + input_shape``; a Hessian
        ``(M, D, D)`` with ``("out", "in", "in")`` gives
        ``df[out][inp_i][inp_j]``.
        """
        array = np.asarray(array)

        def nest(level: int, chosen: tuple[Part, ...]):
            if level == len(axes):
                block = array[tuple(part.slice for part in chosen)]
                block = block.reshape(sum((part.shape for part in chosen), ()))
                return block[()] if block.ndim == 0 else block
            output = axes[level] == "out"
            candidates = self.outputs if output else self.inputs
            if not (self.output_level if output else self.input_level):
                return nest(level + 1, chosen + candidates[:1])
            return {part.key: nest(level + 1, chosen + (part,)) for part in candidates}

        return nest(0, ())
