"""Speed and memory of the default engine against the peers, in one table (issue 9).

Usage, from the repository root::

    python -m benchmarks.speed                      # full sizes (several minutes)
    python -m benchmarks.speed --quick              # reduced sizes (seconds)
    python -m benchmarks.speed --cases rosenbrock jacobian
    python -m benchmarks.speed --profile jacobian   # cProfile of finitediff's row

Every row is one method on one case, run in its own process (forked from a
server that imported the libraries once), so its peak memory is its own:
the peak resident set of that whole process (``ru_maxrss``), interpreter,
libraries and the case's inputs included. Each process runs with its
address space capped (``--memory-cap``, 6 GiB), so that a runaway
allocation fails with MemoryError instead of exhausting the machine.

Per row: the time of one call (the best of up to fifty calls while one takes
under a second and they have taken under two, 0.1 s and 0.2 s with
``--quick``: a call of a millisecond is timed as many times as it takes to
see past a forked process's first page faults; and the best over
``--rounds`` interleaved rounds of the case's rows) and the part of it
spent inside f, the calls of f and the points f was evaluated at (rows of
a batch; single values for elementwise f), points per element or input
component, the error
``max|df − exact| / max|exact|`` against the analytic answer, the share of
entries within their reported error and the share reported successful
(methods that report them), and ``× fd``: the time over finitediff's in the
same case, from the same run. Below each case, its target and whether the
run met it.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import math
import multiprocessing
import os
import pstats
import resource
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy
import scipy.sparse
from scipy.differentiate import derivative as scipy_derivative
from scipy.differentiate import hessian as scipy_hessian
from scipy.optimize import rosen, rosen_der
from scipy.optimize._numdiff import approx_derivative

import finitediff

FD = "finitediff default"
SCIPY_3 = "scipy approx_derivative 3-point"  # its default method
MIB = 1024 * 1024


class Counted:
    """f with a count of its calls, of the points it was evaluated at, and its time.

    A point is ``point_size`` values of the argument: 1 for an elementwise
    f, d for f of d inputs (whichever axis holds them).
    """

    def __init__(self, f: Callable, point_size: int = 1):
        self.f, self.point_size = f, point_size
        self.calls = self.points = 0
        self.seconds = 0.0  # spent inside f

    def __call__(self, x, *args):
        self.calls += 1
        self.points += np.size(x) // self.point_size
        start = time.perf_counter()
        try:
            return self.f(x, *args)
        finally:
            self.seconds += time.perf_counter() - start


def _numdifftools():
    import numdifftools  # a peer (bench extra), needed only for its rows

    return numdifftools


def _versions() -> str:
    try:
        numdifftools = f"numdifftools {_numdifftools().__version__}"
    except ImportError:
        numdifftools = "numdifftools not installed"
    return f"numpy {np.__version__}, scipy {scipy.__version__}, {numdifftools}"


def _read_array(result) -> tuple:
    return np.asarray(result), None, None


@dataclass
class Trial:
    """One method on one case: the call to time and how to read its result."""

    call: Callable[[], object]
    counted: Counted
    exact: Callable[[], np.ndarray]            # computed after the measured call
    read: Callable[[object], tuple] = _read_array  # result -> (df, error, success); None: none
    elements: int = 1                               # elements or input components
    point: np.ndarray | None = None                 # where the derivative is taken


def _read_result(result) -> tuple:
    """finitediff's DerivativeResult or a scipy.differentiate result object."""
    df = result.ddf if hasattr(result, "ddf") else result.df  # scipy's hessian: ddf
    return np.asarray(df), np.asarray(result.error), np.asarray(result.success)


def scored(df, error, success, exact) -> dict:
    """Error against the exact answer, share within the reported error, share successful."""
    df, exact = np.asarray(df, dtype=float), np.asarray(exact, dtype=float)
    gap = np.abs(df - exact)
    top = float(np.max(np.abs(exact)))
    return {
        "error": float(np.max(gap)) / top if np.all(np.isfinite(gap)) else math.inf,
        "within": None if error is None else float(np.mean(gap <= error)),
        "success": None if success is None else float(np.mean(success)),
    }


# ---------------------------------------------------------------- the cases


def _wavy(x):
    return np.exp(np.sin(x)) * x**2


def _wavy_derivative(x):
    return np.exp(np.sin(x)) * (np.cos(x) * x**2 + 2 * x)


def build_derivative(size: int, method: str) -> Trial:
    x = np.random.default_rng(0).uniform(-3, 3, size)
    counted = Counted(_wavy)
    call = {FD: lambda: finitediff.derivative(counted, x),
            "scipy.differentiate.derivative": lambda: scipy_derivative(counted, x)}[method]
    return Trial(call, counted, lambda: _wavy_derivative(x), _read_result, size, x)


def _rosen_rows(points):  # finitediff: points on the last axis; rosen sums along the first
    return rosen(np.asarray(points).T)


def _gradient_trial(x, method: str) -> Trial:
    d = x.size
    counted = Counted(_rosen_rows, d)
    calls = {
        FD: lambda: finitediff.gradient(counted, x),
        SCIPY_3: lambda: approx_derivative(counted, x, method="3-point"),
        "numdifftools.Gradient": lambda: _numdifftools().Gradient(counted)(x),
    }
    return Trial(calls[method], counted, lambda: rosen_der(x),
                 _read_result if method == FD else _read_array, d, x)


def build_rosenbrock(size: int, method: str) -> Trial:
    return _gradient_trial(np.random.default_rng(1).uniform(-2, 2, size), method)


def build_wide_gradient(size: int, method: str) -> Trial:
    return _gradient_trial(np.random.default_rng(4).uniform(-2, 2, size), method)


def build_loop(size: int, method: str) -> Trial:
    x = np.random.default_rng(5).uniform(-2, 2, size)
    counted = Counted(rosen, size)
    call = {FD: lambda: finitediff.gradient(counted, x, vectorized=False),
            SCIPY_3: lambda: approx_derivative(counted, x, method="3-point")}[method]
    return Trial(call, counted, lambda: rosen_der(x),
                 _read_result if method == FD else _read_array, size, x)


def build_jacobian(size: int, method: str) -> Trial:
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((size, size)) / math.sqrt(size)
    x = rng.uniform(-2, 2, size)
    counted = Counted(lambda points: np.sin(points) @ matrix.T, size)  # A @ sin(x), batched
    calls = {
        FD: lambda: finitediff.jacobian(counted, x),
        SCIPY_3: lambda: approx_derivative(counted, x, method="3-point"),
    }
    return Trial(calls[method], counted, lambda: matrix * np.cos(x),
                 _read_result if method == FD else _read_array, size, x)


def _log_bowl(size: int):
    """x, centre, and the Hessian of log(1 + |x − centre|²) at x."""
    rng = np.random.default_rng(size)
    x, centre = rng.uniform(-1, 1, size), rng.uniform(-1, 1, size)

    def exact():
        u = x - centre
        s = 1 + u @ u
        return 2 * np.eye(size) / s - 4 * np.outer(u, u) / s**2

    return x, centre, exact


def build_hessian(size: int, method: str) -> Trial:
    x, centre, exact = _log_bowl(size)

    def last_axis(points):  # finitediff and numdifftools: components on the last axis
        return np.log1p(np.sum((points - centre) ** 2, axis=-1))

    def first_axis(points):  # scipy.differentiate: components on the first axis
        c = centre.reshape((-1,) + (1,) * (np.ndim(points) - 1))
        return np.log1p(np.sum((points - c) ** 2, axis=0))

    counted = Counted(first_axis if method.startswith("scipy") else last_axis, size)
    calls = {
        FD: lambda: finitediff.hessian(counted, x),
        "numdifftools.Hessian": lambda: _numdifftools().Hessian(counted)(x),
        "scipy.differentiate.hessian": lambda: scipy_hessian(counted, x),
    }
    read = _read_array if method == "numdifftools.Hessian" else _read_result
    return Trial(calls[method], counted, exact, read, size, x)


def _tridiagonal(x):
    y = x**3
    y[..., 1:] += np.sin(x[..., :-1])
    y[..., :-1] += x[..., 1:] ** 2
    return y


def build_sparse(size: int, method: str) -> Trial:
    x = np.linspace(0.1, 2.0, size)
    pattern = scipy.sparse.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(size, size)).tocsr()
    rows, cols = pattern.nonzero()
    counted = Counted(_tridiagonal, size)
    call = {FD: lambda: finitediff.jacobian(counted, x, sparsity=pattern),
            SCIPY_3: lambda: approx_derivative(counted, x, method="3-point",
                                               sparsity=pattern)}[method]

    def exact():  # the non-zero entries, in the pattern's order
        return np.select([rows == cols, rows == cols + 1], [3 * x[cols] ** 2, np.cos(x[cols])],
                         2 * x[cols])

    def on_pattern(matrix):
        if scipy.sparse.issparse(matrix):
            return np.asarray(matrix.tocsr()[rows, cols]).ravel()
        return np.asarray(matrix)[rows, cols]

    def read(result):
        if method == FD:
            success = result.success  # one flag for the whole matrix, or per entry
            return (on_pattern(result.df), on_pattern(result.error),
                    success if np.ndim(success) == 0 else on_pattern(success) != 0)
        return on_pattern(result), None, None

    return Trial(call, counted, exact, read, size, x)


HARD_POINT = 1e-3


def build_hard(size: int, method: str) -> Trial:
    x = np.linspace(1.0, 2.0, size)
    if method.endswith("one hard"):
        x[size // 2] = HARD_POINT  # log at 1e-3: a step scale 1000× smaller than its neighbours'
    counted = Counted(np.log)
    if method.startswith("finitediff"):
        call = lambda: finitediff.derivative(counted, x)  # noqa: E731
    else:
        call = lambda: scipy_derivative(counted, x)  # noqa: E731
    return Trial(call, counted, lambda: 1 / x, _read_result, size, x)


# ------------------------------------------------------------ the targets


@dataclass
class Measured:
    """What a row measured (``failure`` says why it has no numbers)."""

    seconds: float = math.nan
    in_f: float = math.nan
    calls: int = 0
    points: int = 0
    per: float = math.nan
    error: float = math.nan
    within: float | None = None
    success: float | None = None
    peak: float = math.nan
    baseline: float = math.nan
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure


def _verdict(met: bool, detail: str) -> tuple[bool, str]:
    return met, detail


def judge_derivative(rows, size):
    fd, peer = rows[FD], rows["scipy.differentiate.derivative"]
    if not (fd.ok and peer.ok):
        return _verdict(False, fd.failure or peer.failure)
    ratio = fd.seconds / peer.seconds
    return _verdict(ratio <= 2 and fd.error <= peer.error,
                    f"time {ratio:.2f}× scipy's, error {fd.error:.1e} against {peer.error:.1e}")


def judge_rosenbrock(rows, size):
    fd = rows[FD]
    if not fd.ok:
        return _verdict(False, fd.failure)
    limit = 6 * size + 25
    return _verdict(fd.points <= limit and fd.within == 1 and fd.error <= 1e-10,
                    f"{fd.points} points (limit {limit}), within {fd.within:.2%}, "
                    f"error {fd.error:.1e}")


def judge_jacobian(rows, size):
    fd = rows[FD]
    if not fd.ok:
        return _verdict(False, fd.failure)
    return _verdict(fd.seconds < 5 and fd.peak < 400,
                    f"{fd.seconds:.2f} s, peak {fd.peak:.0f} MiB")


def judge_wide_gradient(rows, size):
    fd = rows[FD]
    if not fd.ok:
        return _verdict(False, fd.failure)
    return _verdict(fd.peak < 2048, f"completed, peak {fd.peak:.0f} MiB")


def judge_loop(rows, size):
    fd = rows[FD]
    if not fd.ok:
        return _verdict(False, fd.failure)
    limit = 6 * size + 25
    return _verdict(fd.calls <= limit, f"{fd.calls} calls (limit {limit})")


def judge_hessian(rows, size):
    fd = rows[FD]
    peers = {name: row for name, row in rows.items() if name != FD}
    failed = [row.failure for row in (fd, *peers.values()) if not row.ok]
    if failed:
        return _verdict(False, failed[0])
    speedups = {name: row.seconds / fd.seconds for name, row in peers.items()}
    return _verdict(min(speedups.values()) >= 10, ", ".join(
        f"{speedup:.1f}× faster than {name}" for name, speedup in speedups.items()))


def judge_sparse(rows, size):
    return None, "none in issue 9 (a comparison)"


HARD_EXTRA = 1000


def judge_hard(rows, size):
    easy, hard = rows["finitediff, all easy"], rows["finitediff, one hard"]
    if not (easy.ok and hard.ok):
        return _verdict(False, easy.failure or hard.failure)
    extra = hard.points - easy.points
    return _verdict(extra <= HARD_EXTRA, f"{extra} extra points, time "
                    f"{hard.seconds / easy.seconds:.2f}× all-easy")


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    size: int
    quick: int
    methods: tuple[str, ...]
    build: Callable[[int, str], Trial]
    target: str
    judge: Callable
    reference: str = FD
    timeout: float = field(default=600.0)


CASES = {case.key: case for case in [
    Case("derivative", "elementwise derivative of exp(sin x)·x², {size} points",
         10**6, 300, (FD, "scipy.differentiate.derivative"), build_derivative,
         "time ≤ 2× scipy.differentiate's at equal or better error", judge_derivative),
    Case("rosenbrock", "Rosenbrock gradient, d = {size}", 1000, 100,
         (FD, SCIPY_3, "numdifftools.Gradient"), build_rosenbrock,
         "points ≤ 6·d + 25, every entry within its error, error ≤ 1e-10", judge_rosenbrock),
    Case("jacobian", "dense Jacobian of A @ sin(x), {size}×{size}", 2000, 200,
         (FD, SCIPY_3), build_jacobian, "under 5 s and 400 MiB peak", judge_jacobian),
    Case("wide", "Rosenbrock gradient, d = {size}", 10_000, 1000, (FD, SCIPY_3),
         build_wide_gradient, "completes within 2 GiB peak", judge_wide_gradient),
    Case("loop", "gradient with vectorized=False (Rosenbrock), d = {size}", 16, 16,
         (FD, SCIPY_3), build_loop, "calls ≤ 6·d + 25", judge_loop),
    Case("hessian10", "Hessian of log(1 + |x − c|²), d = {size}", 10, 5,
         (FD, "numdifftools.Hessian", "scipy.differentiate.hessian"), build_hessian,
         "≥ 10× faster than each peer", judge_hessian),
    Case("hessian50", "Hessian of log(1 + |x − c|²), d = {size}", 50, 10,
         (FD, "numdifftools.Hessian", "scipy.differentiate.hessian"), build_hessian,
         "≥ 10× faster than each peer", judge_hessian),
    Case("sparse", "tridiagonal Jacobian (sparsity given), n = {size}", 10_000, 300,
         (FD, SCIPY_3), build_sparse, "–", judge_sparse),
    Case("hard", "log at {size} points in [1, 2]; one of them moved to 1e-3", 10**5, 300,
         ("finitediff, all easy", "finitediff, one hard", "scipy.differentiate, all easy",
          "scipy.differentiate, one hard"), build_hard,
         f"the hard element alone is retried: ≤ {HARD_EXTRA} points more than all-easy",
         judge_hard, reference="finitediff, all easy"),
]}


# ------------------------------------------------------------ measurement


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MIB  # KiB on Linux


def _timed(trial: Trial) -> tuple:
    """One call: its result, its time, and the part of it spent inside f."""
    inside = trial.counted.seconds
    start = time.perf_counter()
    result = trial.call()
    return result, time.perf_counter() - start, trial.counted.seconds - inside


def measure(trial: Trial, *, repeat_under: float = 1.0, repeats: int = 50) -> Measured:
    """Time, count and score one trial in this process (peak: this process's so far).

    Counts and scores are the first call's; the time (with its part in f) the
    best call's of up to ``repeats`` while calls take under ``repeat_under``.
    """
    baseline = _peak_mib()
    result, best, in_f = _timed(trial)
    peak = _peak_mib()
    calls, points = trial.counted.calls, trial.counted.points
    spent = best
    for _ in range(repeats - 1):
        if best >= repeat_under or spent >= 2 * repeat_under:
            break
        _, seconds, inside = _timed(trial)
        spent += seconds
        if seconds < best:
            best, in_f = seconds, inside
    score = scored(*trial.read(result), trial.exact())
    return Measured(best, in_f, calls, points, points / trial.elements, peak=peak,
                    baseline=baseline, **score)


def _child(key: str, method: str, size: int, cap: int, repeat_under: float, conn) -> None:
    if cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    warnings.simplefilter("ignore")  # the peers warn about steps and conditioning
    try:
        measured = measure(CASES[key].build(size, method), repeat_under=repeat_under)
    except BaseException as exc:  # noqa: BLE001 - MemoryError included: it is the finding
        measured = Measured(failure=f"{type(exc).__name__}: {str(exc)[:120]}")
    conn.send(measured)
    conn.close()


def run_row(context, key: str, method: str, size: int, *, timeout: float, cap: int,
            repeat_under: float = 1.0) -> Measured:
    """One row in a fresh process forked from the server; its failure if it fails."""
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(key, method, size, cap, repeat_under, send))
    process.start()
    send.close()
    try:
        if receive.poll(timeout):
            return receive.recv()
        return Measured(failure=f"timeout: no result after {timeout:.0f} s")
    except EOFError:
        return Measured(failure="the process died (killed for memory?)")
    finally:
        if process.is_alive():
            process.kill()
        process.join()


def best_of(first: Measured, again: Measured) -> Measured:
    """The first round's counts and scores, the faster round's time (and its part in
    f), the higher peak."""
    if not again.ok:
        return again
    faster = again if again.seconds < first.seconds else first
    return dataclasses.replace(first, seconds=faster.seconds, in_f=faster.in_f,
                               peak=max(first.peak, again.peak))


# ------------------------------------------------------------ the table


HEADER = (f"{'case / method':<48} {'time s':>8} {'× fd':>7} {'in f s':>7} {'calls':>7} "
          f"{'points':>9} "
          f"{'/ elem':>7} {'max err':>8} {'within':>7} {'success':>7} {'peak MiB':>8}")


def _share(value) -> str:
    """A share, never rounded up to 100%."""
    if value is None:
        return "–"
    return "100%" if value == 1 else f"{math.floor(value * 1e5) / 1e3:.3f}%"


def format_row(method: str, row: Measured, reference: Measured) -> str:
    if not row.ok:
        return f"  {method:<46} {row.failure}"
    ratio = row.seconds / reference.seconds if reference.ok else math.nan
    return (f"  {method:<46} {row.seconds:>8.3f} {ratio:>7.2f} {row.in_f:>7.3f} {row.calls:>7} "
            f"{row.points:>9} "
            f"{row.per:>7.1f} {row.error:>8.1e} {_share(row.within):>7} "
            f"{_share(row.success):>7} {row.peak:>8.0f}")


def format_target(case: Case, rows: dict, size: int) -> str:
    met, detail = case.judge(rows, size)
    if met is None:
        return f"  target: {detail}"
    return f"  target: {case.target}: {'MET' if met else 'NOT MET'} ({detail})"


def _context():
    context = multiprocessing.get_context("forkserver")
    # the libraries, not this module: a row process runs the parent's main
    # module afresh (as __mp_main__) and would warn if it were loaded already
    context.set_forkserver_preload(["numpy", "scipy.optimize", "scipy.differentiate",
                                    "scipy.sparse", "finitediff", "numdifftools"])
    return context


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (seconds)")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a row may take (default 600; 60 with --quick)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds per case, the best time kept "
                        "(default 3; 1 with --quick)")
    parser.add_argument("--memory-cap", type=float, default=6.0,
                        help="address space of each row's process in GiB (0: none)")
    parser.add_argument("--profile", choices=list(CASES),
                        help="run finitediff's row of one case under cProfile instead")
    args = parser.parse_args(argv)
    cap = int(args.memory_cap * 1024 * MIB)
    if args.profile:
        if cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        case = CASES[args.profile]
        return profile(case, case.quick if args.quick else case.size)
    timeout = args.timeout or (60.0 if args.quick else 600.0)
    rounds = args.rounds or (1 if args.quick else 3)
    context = _context()
    print(f"{_versions()}, {os.cpu_count()} CPUs{', --quick sizes' if args.quick else ''}, "
          f"best of {rounds} interleaved round(s)")
    print(HEADER)
    baselines = []
    for key in args.cases:
        case = CASES[key]
        size = case.quick if args.quick else case.size
        print(case.title.format(size=size), flush=True)
        rows = {}
        for _ in range(rounds):  # interleaved: a busy moment of the machine hits all methods
            for method in case.methods:
                if method in rows and not rows[method].ok:
                    continue
                row = run_row(context, key, method, size, timeout=timeout, cap=cap,
                              repeat_under=0.1 if args.quick else 1.0)
                rows[method] = best_of(rows[method], row) if method in rows else row
        for method, row in rows.items():
            baselines += [row.baseline] if row.ok else []
            print(format_row(method, row, rows[case.reference]), flush=True)
        print(format_target(case, rows, size), flush=True)
    if baselines:
        print(f"peak MiB: the whole process, {min(baselines):.0f}–{max(baselines):.0f} MiB of "
              "it interpreter, libraries and the case's inputs before the call")
    print("× fd: time / finitediff's time in the case; in f: the part of the time spent "
          "inside f;\nmax err: max|df − exact| / max|exact|; "
          "(inf: some df not finite);\nwithin: entries with |df − exact| <= reported error; "
          "/ elem: points per element or input component")
    return 0


def profile(case: Case, size: int, top: int = 25) -> int:
    """finitediff's row of `case` under cProfile: the functions that take the time.

    The profiled call is the second one, as the table's times are the best of
    repeats: caches (stencil weights) are warm.
    """
    trial = case.build(size, case.reference)
    trial.call()
    trial.counted.calls = trial.counted.points = 0
    profiler = cProfile.Profile()
    profiler.enable()
    trial.call()
    profiler.disable()
    print(f"{case.title.format(size=size)}: {trial.counted.calls} calls, "
          f"{trial.counted.points} points")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return 0


if __name__ == "__main__":
    # Run the module under its importable name, so that the row processes
    # find its functions as benchmarks.speed.* and not as __main__.*.
    from benchmarks.speed import main as _main

    sys.exit(_main())
