"""The progress bar of a sweep: one tick per chunk, shown only for sweeps that take a while.

The chunks themselves run through :mod:`finitediff.workers` (here, in local
processes, in an executor, through a map or on a Dask cluster).
"""

from __future__ import annotations

__all__ = ["PROGRESS_DELAY", "progress_bar"]

#: A progress bar appears only when a sweep takes longer than this (seconds).
PROGRESS_DELAY = 1.0


def progress_bar(total: int, progress: bool | None):
    """A tqdm bar over ``total`` chunks, or None. ``progress=None`` shows one only for
    sweeps of several chunks that take more than ``PROGRESS_DELAY`` seconds."""
    if progress is False or (progress is None and total <= 1):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install tqdm") from None
        return None
    return tqdm(total=total, unit="chunk", desc="sweep",
                delay=PROGRESS_DELAY if progress is None else 0.0)
