"""An expensive black box on workers: wall time serial, local processes, a Dask cluster.

Run from the repository root (needs dask.distributed, numdifftools):

    python -m benchmarks.workers [--sleep 0.05] [--inputs 16] [--workers 4]

The black box sleeps ``--sleep`` seconds per call (a stand-in for a
simulator) and returns ``Σ sin(x_i)·x_(i-1) + ½Σ x_i²`` (cyclic indices),
whose gradient ``cos(x_i)·x_(i-1) + sin(x_(i+1)) + x_i`` is exact. Part 1 is
finitediff's gradient with ``vectorized=False``, one call per point, in one
run: serial, ``workers=N`` (a process pool started inside the call),
a ``ThreadPoolExecutor(N)`` and a running Dask ``LocalCluster`` of N
single-threaded worker processes (started and warmed up before the timing).
Sleeping needs no core, so the ideal speed-up is N on any machine. Part 2
counts the calls each tool makes on the same box (the sleep off) and their
largest error against the exact gradient; scipy's ``approx_derivative``
also runs with its own ``workers=`` on N processes, sleeping.
"""

from __future__ import annotations

import argparse
import logging
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

import finitediff


class Simulator:
    """The black box: one point in, one number out, ``sleep`` seconds per call.

    An instance of a module-level class pickles with its ``sleep`` by reference
    to the class, so worker processes (forked or spawned) run the same box.
    """

    def __init__(self, sleep: float):
        self.sleep = sleep

    def __call__(self, x):
        if self.sleep:
            time.sleep(self.sleep)
        return float(np.sum(np.sin(x) * np.roll(x, 1)) + 0.5 * np.sum(x**2))


def exact_gradient(x):
    return np.cos(x) * np.roll(x, 1) + np.sin(np.roll(x, -1)) + x


class Counted:
    """Counts the points a tool evaluates (a vectorized call counts each point)."""

    def __init__(self):
        self.points = 0
        self.box = Simulator(0.0)

    def __call__(self, x):
        self.points += 1
        return self.box(x)

    def vectorized(self, xi):  # scipy.differentiate: points on the trailing axes
        flat = xi.reshape(xi.shape[0], -1)
        return np.array([self(flat[:, k]) for k in range(flat.shape[1])]).reshape(xi.shape[1:])


def wall_times(simulator, x, workers: int, cluster_client) -> list[tuple]:
    """finitediff's gradient on each backend: (label, nfev, seconds, identical to serial)."""
    rows, reference = [], None
    with ThreadPoolExecutor(workers) as threads:
        for label, target in [
            ("serial", None),
            (f"workers={workers} (local processes)", workers),
            (f"ThreadPoolExecutor({workers})", threads),
            (f"Dask LocalCluster, {workers} workers", cluster_client),
        ]:
            start = time.perf_counter()
            result = finitediff.gradient(simulator, x, vectorized=False, workers=target,
                                         progress=False)
            seconds = time.perf_counter() - start
            reference = reference or result
            same = all(np.array_equal(getattr(result, name), getattr(reference, name))
                       for name in ("df", "error", "nfev"))
            rows.append((label, result.nfev, seconds, same))
    return rows


def call_counts(x) -> list[tuple]:
    """(tool, points evaluated, max |error|, entries within their error estimate), sleep off."""
    import numdifftools as nd
    from scipy.optimize._numdiff import approx_derivative

    exact = exact_gradient(x)
    rows = []
    counted = Counted()
    result = finitediff.gradient(counted, x, vectorized=False)
    rows.append(("finitediff.gradient", counted.points, *_errors(result.df, result.error,
                                                                 exact)))
    for label, run in [
        ("numdifftools.Gradient", lambda c: _numdifftools(nd, c, x)),
        ("scipy approx_derivative 3-point",
         lambda c: (approx_derivative(c, x, method="3-point"), None)),
        ("scipy.differentiate.jacobian", lambda c: _scipy_differentiate(c, x)),
    ]:
        counted = Counted()
        df, estimate = run(counted)
        rows.append((label, counted.points, *_errors(df, estimate, exact)))
    return rows


def _errors(df, estimate, exact) -> tuple[float, str]:
    """The largest true error, and how many entries lie within their error estimate."""
    error = np.abs(np.ravel(df) - exact)
    if estimate is None:
        return error.max(), "no estimate"
    within = int(np.sum(error <= np.ravel(estimate)))
    return error.max(), f"{within}/{error.size}"


def _numdifftools(nd, counted, x):
    out = nd.Gradient(counted, full_output=True)(x)
    return out.estimate, out.error_estimate


def _scipy_differentiate(counted, x):
    import scipy.differentiate

    result = scipy.differentiate.jacobian(counted.vectorized, x)
    return result.df, result.error


def scipy_with_workers(simulator, x, workers: int) -> tuple:
    from scipy.optimize._numdiff import approx_derivative

    with ProcessPoolExecutor(workers) as pool:
        start = time.perf_counter()
        approx_derivative(simulator, x, method="3-point", workers=pool.map)
        parallel = time.perf_counter() - start
    start = time.perf_counter()
    approx_derivative(simulator, x, method="3-point")
    return time.perf_counter() - start, parallel


def start_cluster(workers: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster, set_as_default=False)
    finitediff.gradient(np.sin, np.zeros(()), workers=client)  # warm the workers up
    return cluster, client


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sleep", type=float, default=0.05, help="seconds per call")
    parser.add_argument("--inputs", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args(argv)
    simulator = Simulator(options.sleep)
    x = np.linspace(-1.5, 2.0, options.inputs)
    cluster, client = start_cluster(options.workers)
    try:
        rows = wall_times(simulator, x, options.workers, client)
    finally:
        client.close()
        cluster.close()
    print(f"finitediff.gradient, {options.inputs} inputs, vectorized=False, "
          f"{options.sleep * 1000:.0f} ms per call")
    print(f"{'where f runs':<36} {'calls':>6} {'seconds':>8} {'speed-up':>9} {'same df':>8}")
    for label, nfev, seconds, same in rows:
        print(f"{label:<36} {nfev:>6} {seconds:>8.2f} {rows[0][2] / seconds:>9.2f} "
              f"{'yes' if same else 'NO':>8}")
    serial, parallel = scipy_with_workers(simulator, x, options.workers)
    print(f"{'scipy approx_derivative, serial':<36} {'':>6} {serial:>8.2f}")
    print(f"{'scipy approx_derivative, workers=' + str(options.workers):<36} {'':>6} "
          f"{parallel:>8.2f} {serial / parallel:>9.2f}")
    print(f"\ncalls on the same box (sleep off); serial time at {options.sleep * 1000:.0f} ms "
          "per call")
    print(f"{'tool':<34} {'calls':>6} {'serial s':>9} {'max |error|':>12} "
          f"{'within est.':>12}")
    for label, calls, error, within in call_counts(x):
        print(f"{label:<34} {calls:>6} {calls * options.sleep:>9.1f} {error:>12.1e} "
              f"{within:>12}")


if __name__ == "__main__":
    main()
