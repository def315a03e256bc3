"""The ``finitediff`` command: the parser, the dispatch, and the exit status.

Exit status: 0 success; 1 an estimate is not trustworthy or a check failed;
2 bad usage or bad input, with a message on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import sys

from . import check, derivative, example, sweep, weights

__all__ = ["COMMANDS", "main"]

#: The subcommands, each a module with ``SUMMARY``, ``DESCRIPTION``, ``EXAMPLES``,
#: ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = {"example": example, "derivative": derivative, "weights": weights, "sweep": sweep,
            "check": check}

EXAMPLES = """\
examples:
  finitediff                                       the built-in example, in full
  finitediff derivative "log(x + 2)" --at 1 --n 0-4
  finitediff weights --n 2 --accuracy 4
  finitediff sweep "log(x + 2)" --at 1 --n 2 --plot sweep.png
  finitediff check model.keras --at x.npy --orders 1,2

exit status: 0 success, 1 an estimate is not trustworthy or a check failed,
2 bad usage or bad input. `finitediff COMMAND --help` shows each command's options.
"""


def _version() -> str:
    from .. import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finitediff",
        description="Numerical differentiation by finite differences, with honest error "
        "estimates. Without a command, runs the built-in example (see `finitediff example "
        "--help`).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"finitediff {_version()}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        command = subparsers.add_parser(
            name, help=module.SUMMARY, description=module.DESCRIPTION, epilog=module.EXAMPLES,
            formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
        command.add_argument("--json", action="store_true", help="one JSON object on stdout")
        command.set_defaults(run=module.run)
    return parser


#: Options whose value may start with '-' (a negative number, offsets -1,0,1).
SIGNED_OPTIONS = ("--at", "--offsets", "--x", "--scale", "--seed")


def _with_command(argv: list[str]) -> list[str]:
    """No command (nothing, or options only): the example, with those options."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["example", *argv]
    return argv


def _protect_dashes(argv: list[str]) -> list[str]:
    """Keep values that start with '-' from being read as options.

    ``--at -1e-3`` and ``--offsets -1,0,1`` become ``--at=-1e-3``; an expression
    such as ``-x**2`` (a token with one leading '-': the only short option is
    -h) gets a leading space, which argparse reads as a positional argument and
    the expression parser ignores.
    """
    found: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            found += [token, *tokens]
            break
        if token in SIGNED_OPTIONS:
            value = next(tokens, None)
            found.append(token if value is None else f"{token}={value}")
        elif token.startswith("-") and not token.startswith("--") and token != "-h" \
                and len(token) > 1:
            found.append(" " + token)
        else:
            found.append(token)
    return found


def _fail(message: str) -> int:
    print(f"finitediff: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_protect_dashes(_with_command(argv)))
    except SystemExit as exit:  # argparse: --help, --version (0) and usage errors (2)
        return int(exit.code or 0)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("finitediff: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, ImportError, ArithmeticError, LookupError) as exc:
        return _fail(str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - never a traceback; name what failed
        return _fail(f"{type(exc).__name__}: {exc}")
