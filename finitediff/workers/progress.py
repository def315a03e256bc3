"""The progress bar of a call on workers: tqdm, imported only when a bar is shown."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["FEW_CHUNKS", "check_progress", "progress_bar"]

#: ``progress=None`` shows a bar (on a terminal) for calls with more chunks than this.
FEW_CHUNKS = 4


def check_progress(progress: Any) -> bool | None:
    """``None`` (a bar on a terminal, for many chunks), True or False; True needs tqdm."""
    if not (progress is None or isinstance(progress, (bool, np.bool_))):
        raise TypeError(f"`progress` must be None, True or False, got {progress!r}")
    if progress:
        _import_tqdm()
    return None if progress is None else bool(progress)


def _import_tqdm():
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError("progress=True needs tqdm: pip install 'finitediff[progress]'") from exc
    return tqdm


@contextlib.contextmanager
def progress_bar(progress: bool | None, sizes: Sequence[int]) -> Iterator[Callable]:
    """``advance(i)``: chunk ``i`` (of ``sizes[i]`` points) is done. A tqdm bar when asked,
    or (``progress=None``) on a terminal for more than :data:`FEW_CHUNKS` chunks."""
    show = progress if progress is not None else (len(sizes) > FEW_CHUNKS and _on_terminal())
    if not show:
        yield lambda index: None
        return
    try:
        tqdm = _import_tqdm()
    except ImportError:
        if progress:
            raise
        yield lambda index: None
        return
    with tqdm(total=sum(sizes), unit="point", desc="f", leave=False, file=sys.stderr) as bar:
        yield lambda index: bar.update(sizes[index])


def _on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
