"""``finitediff check MODEL.keras --at INPUT.npy``: the derivative checker on a saved model."""

from __future__ import annotations

import argparse
import os
import zipfile

import numpy as np

from ..check import check_derivatives
from ..extras import require_extra
from . import arguments
from .output import emit_json

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "load_input", "load_model", "run"]

EXAMPLES = """\
examples:
  finitediff check model.keras --at x.npy
  finitediff check model.keras --at x.npy --orders 1,2 --json
  finitediff check big_model.keras --at x.npy --mode directional --seed 0

exit status: 0 the check passed, 1 it failed, 2 bad input (a missing or unreadable file).
Models load with Keras' safe_mode: a model holding Python code (a Lambda layer) is
refused unless --unsafe is given, which runs that code: use it only for files you trust.
"""


SUMMARY = "check a saved Keras model's autodiff derivatives"
DESCRIPTION = """\
Compare a saved Keras model's TensorFlow autodiff derivatives at a point with
finite differences, each entry judged by a tolerance from the
finite-difference error bound (finitediff.check_derivatives). Needs the tf
extra.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's own options (:mod:`finitediff.cli.main` adds ``--json``)."""
    parser.add_argument("model", help="a saved Keras model (.keras)")
    parser.add_argument("--at", required=True, metavar="INPUT.npy",
                        help="the point: one input of the model, saved with numpy.save")
    parser.add_argument("--orders", type=arguments.check_orders, default=(1,), metavar="1,2",
                        help="1: the gradient (Jacobian), 2: the Hessian (default 1)")
    parser.add_argument("--mode", choices=("full", "directional"), default="full",
                        help="every entry, or random directions with bisection (default full)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the directions (default 0)")
    parser.add_argument("--directions", type=arguments.positive_int, default=2, metavar="K",
                        help="random directions in directional mode (default 2)")
    parser.add_argument("--unsafe", action="store_true",
                        help="allow unsafe deserialization (runs Python code stored in the "
                        "file): only for files you trust")


def _existing_file(path: str, what: str) -> str:
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    if not os.path.isfile(path):
        raise IsADirectoryError(f"{what} {path!r} is not a file")
    return path


def load_input(path: str) -> np.ndarray:
    """A real array from a .npy file (no pickled objects)."""
    _existing_file(path, "--at: the input file")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"--at: {path!r} is not a readable .npy array: {exc}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise ValueError(f"--at: {path!r} must hold an array of real numbers")
    return array.astype(np.float64)


def load_model(path: str, *, unsafe: bool = False):
    """A Keras model, loaded with ``safe_mode`` unless ``unsafe``."""
    _existing_file(path, "the model file")
    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        raise ValueError(f"the model file {path!r} is not a .keras archive (a zip file): it is "
                         "corrupt or of another format")
    require_extra("tf", "finitediff check")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=not unsafe)
    except Exception as exc:  # Keras raises many types for a bad file
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "safe_mode" in str(exc) and not unsafe:
            raise ValueError(f"the model {path!r} holds Python code (such as a Lambda layer) "
                             "that loading would run; pass --unsafe only if you trust the "
                             "file") from None
        raise ValueError(f"could not load a Keras model from {path!r}: {text}") from None


def run(args) -> int:
    x = load_input(args.at)
    model = load_model(args.model, unsafe=args.unsafe)
    report = check_derivatives(model, x, orders=args.orders, mode=args.mode, seed=args.seed,
                               directions=args.directions)
    if args.json:
        emit_json({"model": args.model, "at": args.at, **report.to_dict()})
    else:
        print(report)
    return 0 if report.passed else 1
