"""Experiments: grids of migration runs written as files, run in parallel with one
emulation per emulation key, recorded as tidy rows with their provenance; and the
reproduction of the original papers' tables and figures from them.

- ``config``: the experiment file format (TOML) and config hashes.
- ``runner``: grouping, the process pool (or dask), tidy rows, the results CSVs.
- ``reproduce``: the reproduction's five grids (read from ``experiments/*.toml``) run as
  one pool; ``tables`` (the heterogeneous table, Table 1 and the runtime comparison beside
  the published rows), ``fits``, ``findings`` (the papers' claims, checked), ``plots`` and
  ``report`` (the files written) build what it reports.
"""

from __future__ import annotations

from testbed.experiments.config import Experiment, Grid, Run, load_experiment, parse_experiment
from testbed.experiments.runner import SweepResult, append_rows, group_runs, sweep, sweep_many

__all__ = ["Experiment", "Grid", "Run", "SweepResult", "append_rows", "group_runs",
           "load_experiment", "parse_experiment", "sweep", "sweep_many"]
