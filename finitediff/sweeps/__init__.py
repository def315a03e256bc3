"""Step-size sweeps: the error of finite-difference estimates against the step.

``finitediff.sweep`` (the function, :func:`finitediff.sweeps.experiment.sweep`)
runs the experiment and returns a :class:`SweepResult`. The modules, in the
order the data flows:

- ``methods``: the stencils and the complex step, with their error theory;
- ``grid``: the default steps;
- ``function``, ``run``, ``network``: how the points reach f (one call per
  chunk; Keras models through difference networks);
- ``reference``: the reference derivative and the theory's scales;
- ``progress``: the progress bar (the chunks run through :mod:`finitediff.workers`);
- ``checkpoint``: finished rows in SQLite;
- ``regions``, ``fit``: round-off and truncation arms, fitted next to theory;
- ``result``, ``plot``: records, CSV, the fit, the figure (matplotlib).

Importing this package loads numpy only; matplotlib, tqdm, sqlite3,
TensorFlow and Dask are imported by the parts that use them.
"""

from __future__ import annotations

from .experiment import sweep
from .fit import ArmFit, LineFit, MethodFit, SweepFit, fit_line
from .grid import default_steps
from .methods import SweepMethod
from .regions import REGIONS
from .result import Optimum, SweepRecord, SweepResult

__all__ = [
    "REGIONS",
    "ArmFit",
    "LineFit",
    "MethodFit",
    "Optimum",
    "SweepFit",
    "SweepMethod",
    "SweepRecord",
    "SweepResult",
    "default_steps",
    "fit_line",
    "sweep",
]
