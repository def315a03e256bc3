"""What an honest result is, checked entry by entry (shared by tests/test_trust_*.py).

A result is honest when every entry either has ``success`` True and an error
bound that holds, ``|df − exact| <= error``, or has ``success`` False with a
status from an allowed set and a message that says what happened. A
derivative that does not exist is given as ``exact = nan``, so a success
there can never pass.

The message must name each failure it reports, in any of these words
(case-insensitive), so that a reader learns what went wrong:

- KINK: "kink";
- NOT_DIFFERENTIABLE: "not differentiable", "jump", "singular", "diverge";
- UNRESOLVED: "unresolved", "converge", "narrower", "oscillat";
- INACCURATE: "inaccurate", "tolerance";
- NONFINITE: "not finite", "non-finite", "overflow".
"""

from __future__ import annotations

import numpy as np

from finitediff import Status

#: Words of which a message must hold one for each status it reports.
STATUS_WORDS = {
    Status.KINK: ("kink",),
    Status.NOT_DIFFERENTIABLE: ("not differentiable", "jump", "singular", "diverge"),
    Status.UNRESOLVED: ("unresolved", "converge", "narrower", "oscillat"),
    Status.INACCURATE: ("inaccurate", "tolerance"),
    Status.NONFINITE: ("not finite", "non-finite", "overflow"),
    Status.BUDGET: ("budget", "max_nfev"),
}

#: Every way a result may decline to give a derivative.
FAILURES = frozenset(STATUS_WORDS)


def entries(res) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``df, error, success, status`` of a result as arrays of one shape."""
    df = np.asarray(res.df)
    error = np.asarray(res.error, dtype=np.float64)
    success = np.broadcast_to(np.asarray(res.success, dtype=bool), df.shape)
    status = np.broadcast_to(np.asarray(res.status), df.shape)
    assert error.shape == df.shape, f"error has shape {error.shape}, df {df.shape}"
    return df, error, success, status


def assert_message_names(message: str, statuses) -> None:
    """The message has a word for every failing status in ``statuses``."""
    lowered = message.lower()
    for status in {int(s) for s in np.ravel(statuses)} - {int(Status.SUCCESS)}:
        words = STATUS_WORDS.get(Status(status), ())
        assert any(word in lowered for word in words), (
            f"status {Status(status).name} reported, but the message {message!r} says "
            f"none of {words}")


def assert_honest(res, exact, *, allowed=FAILURES, relative_error_below_one: bool = False):
    """Every entry is a success whose bound holds, or a failure from ``allowed``.

    With ``relative_error_below_one`` a success must also have ``error < |df|``
    (a result whose error exceeds it cannot claim any digit, so it is INACCURATE
    under any threshold).
    """
    df, error, success, status = entries(res)
    exact = np.broadcast_to(np.asarray(exact), df.shape)
    allowed = {int(s) for s in allowed}
    for index in np.ndindex(df.shape):
        where = f" at entry {index}" if df.ndim else ""
        if success[index]:
            assert status[index] == Status.SUCCESS, f"success with status {status[index]}{where}"
            true_error = abs(df[index] - exact[index])
            assert error[index] >= 0, f"negative error {error[index]!r}{where}"
            assert true_error <= error[index], (
                f"success=True{where} but |df - exact| = {true_error:.3g} > error = "
                f"{error[index]:.3g} (df = {df[index]!r}, exact = {exact[index]!r})")
            if relative_error_below_one:
                assert error[index] < abs(df[index]), (
                    f"success=True{where} with error {error[index]:.3g} >= |df| = "
                    f"{abs(df[index]):.3g}: no digit is right, it is INACCURATE")
        else:
            assert int(status[index]) in allowed, (
                f"status {Status(int(status[index])).name}{where} is not one of "
                f"{sorted(Status(s).name for s in allowed)}")
    assert_message_names(res.message, status[~success])


def assert_fails(res, allowed, index=...) -> None:
    """The entries at ``index`` (all by default) fail with a status from ``allowed``."""
    _, _, success, status = entries(res)
    assert not np.any(success[index]), f"success=True where the derivative does not exist: {res}"
    names = sorted(Status(s).name for s in allowed)
    for code in np.ravel(status[index]):
        assert int(code) in {int(s) for s in allowed}, (
            f"status {Status(int(code)).name}, expected one of {names}: {res.message!r}")
    assert_message_names(res.message, status[index])
