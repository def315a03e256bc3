"""Running the command line in-process, and reading its JSON strictly."""

from __future__ import annotations

import json

from finitediff.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``main(argv)``: the exit status, stdout and stderr."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _refuse(constant: str):
    raise AssertionError(f"the JSON holds {constant}, which strict JSON does not allow")


def strict_json(text: str):
    """Parse ``text`` as one JSON value; NaN and Infinity are refused."""
    return json.loads(text, parse_constant=_refuse)


def assert_usage_error(status: int, out: str, err: str, *fragments: str) -> None:
    """Exit 2, nothing on stdout, one message on stderr naming every fragment, no traceback."""
    assert status == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("finitediff: error:") or "error:" in err.splitlines()[-1], err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
