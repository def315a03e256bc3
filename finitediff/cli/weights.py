"""``finitediff weights --n N --accuracy P``: exact stencil weights and their error term."""

from __future__ import annotations

import argparse

from ..stencil import Stencil
from . import arguments
from .output import emit_json, table

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "run"]

EXAMPLES = """\
examples:
  finitediff weights --n 2 --accuracy 4
  finitediff weights --n 1 --accuracy 2 --forward
  finitediff weights --n 1 --offsets -1/2,1/2
  finitediff weights --n 3 --offsets -2,-1,0,1,2 --json
"""


SUMMARY = "exact finite-difference weights of a stencil"
DESCRIPTION = """\
The exact rational weights w_j of f^(n)(x) ~ h^-n sum_j w_j f(x + o_j h), the
accuracy p and the error coefficient C of the leading error C f^(n+p)(x) h^p
(Fornberg's algorithm in rational arithmetic).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's own options (:mod:`finitediff.cli.main` adds ``--json``)."""
    parser.add_argument("--n", type=arguments.order, default=1, metavar="N",
                        help="derivative order (default 1)")
    parser.add_argument("--accuracy", type=arguments.positive_int, metavar="P",
                        help="truncation order (default 2 central, 1 one-sided)")
    family = parser.add_mutually_exclusive_group()
    family.add_argument("--offsets", type=arguments.offsets, metavar="O,O,...",
                        help="the points in steps, e.g. -1,0,1 or -1/2,1/2 (instead of a family)")
    family.add_argument("--forward", action="store_true", help="one-sided, 0, 1, 2, ...")
    family.add_argument("--backward", action="store_true", help="one-sided, ..., -2, -1, 0")


def stencil_of(args) -> Stencil:
    n = args.n
    if args.offsets is not None:
        if args.accuracy is not None:
            raise ValueError("--accuracy cannot be combined with --offsets: the offsets fix "
                             "the accuracy")
        return Stencil(args.offsets, n)
    if args.forward:
        return Stencil.forward(n, args.accuracy or 1)
    if args.backward:
        return Stencil.backward(n, args.accuracy or 1)
    return Stencil.central(n, args.accuracy or 2)


def run(args) -> int:
    stencil = stencil_of(args)
    if args.json:
        emit_json({"n": stencil.n, "offsets": list(stencil.offsets),
                   "weights": list(stencil.exact_weights), "accuracy": stencil.accuracy,
                   "error_coefficient": stencil.error_coefficient,
                   "weight_sum": stencil.weight_sum})
        return 0
    rows = [(str(o), str(w), f"{float(w):.17g}")
            for o, w in zip(stencil.offsets, stencil.exact_weights)]
    print(f"f^({stencil.n})(x) ~ h^-{stencil.n} * sum_j w_j f(x + o_j h)")
    print(table(("offset o_j", "weight w_j", "as float64"), rows))
    if stencil.accuracy == float("inf"):
        print("exact for every f (order 0 read off at a node)")
    else:
        p = stencil.accuracy
        print(f"accuracy {p}: error ~ C f^({stencil.n + p})(x) h^{p}, "
              f"C = {stencil.error_coefficient} = {float(stencil.error_coefficient):.6g}")
    print(f"sum |w_j| = {stencil.weight_sum:.6g} (round-off ~ eps |f| sum|w_j| / h^{stencil.n})")
    return 0
