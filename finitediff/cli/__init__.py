"""The ``finitediff`` command line (see :mod:`finitediff.cli.main`)."""

from .main import main

__all__ = ["main"]
