"""Reproduce the original papers' tables and figures, and check their qualitative findings.

Five experiment files define the reproduction's grids (``experiments/hetero.toml``,
``homog.toml``, ``scaling.toml``, ``runtimes.toml`` and ``collection.toml``: the files are
the only definition, so ``testbed sweep experiments/<name>.toml`` gives exactly the rows the
tables are built from). They run as one pool, so an emulation shared between them (linpack
n=1000 on Ultra 5 is a row of Table 1 and a point of a figure; the heterogeneous table's
classic runs are half of the runtime comparison) is done once, and each emulation is
re-priced for the modes and networks that share it:

- the heterogeneous table: DECstation 5000/120 -> SPARCstation 20, 10 Mb/s, network and
  file mode, with the difference (file - network) and speed-up (file / network) rows;
- Table 1: Ultra 5 -> Ultra 5, 100 Mb/s, network mode: collect, tx, restore;
- figures: collection and restoration time against migrated bytes (linpack, bitonic),
  network against file migrate time per program;
- the classic against the modern runtime on the heterogeneous table's six workloads, and
  the collection cost per block against the block count (bitonic, 2,048 to 65,536 keys).

The published numbers come from the original system, so the grids compared with them
(hetero, homog, scaling) run on the **classic** runtime, as their files say; ``runtime``
runs them on another one instead. The runtime comparison and the per-block figure always
run both, as their files say.

The pieces: :mod:`.tables` (the tables beside the published rows), :mod:`.fits`,
:mod:`.findings`, :mod:`.plots` and :mod:`.report` (the files written); this module
loads the grids and runs them.
"""

from __future__ import annotations

import time
from pathlib import Path

from testbed import PROJECT_DIR
from testbed.errors import ConfigError
from testbed.experiments.config import RUNTIMES, Experiment, load_experiment
from testbed.experiments.report import Report, build_report
from testbed.experiments.runner import SweepResult, sweep_many

EXPERIMENTS_DIR = PROJECT_DIR / "experiments"
# The grids compared with the papers, then the two that set the runtimes side by side.
PAPER_GRIDS = ("hetero", "homog", "scaling")
RUNTIME_GRIDS = ("runtimes", "collection")
# The published rows were measured on the original system: its runtime design is compared
# with them unless told otherwise.
REFERENCE_RUNTIME = "classic"


def _check_runtime(runtime: str) -> str:
    if runtime not in RUNTIMES:
        raise ConfigError(f"unknown runtime {runtime!r}; valid: {', '.join(RUNTIMES)}")
    return runtime


def _roundtrip(runtime: str) -> bool:
    """Whether a paper grid run on ``runtime`` checks the round trip: not on the classic
    runtime, whose collection right after a restore is quadratic in the blocks (bitonic
    8,192 keys: about 100 s instead of under 1; test_pointer large: hours). The check
    changes no priced phase; ``testbed check --runtime classic`` checks the round trip at
    the test sizes."""
    return runtime != "classic"


def load_grid(name: str, quick: bool = False, directory: Path | None = None) -> Experiment:
    """One reproduction grid from its file ``directory/<name>.toml`` (default
    ``experiments/``), full or --quick."""
    experiment = load_experiment((directory or EXPERIMENTS_DIR) / f"{name}.toml")
    if experiment.name != name:
        raise ConfigError(f"{experiment.source}: [experiment] name is {experiment.name!r}; the "
                          f"reproduction reads its {name!r} grid from this file, so it must be "
                          f"{name!r}")
    return experiment.quick() if quick else experiment


def experiments(quick: bool = False, runtime: str = REFERENCE_RUNTIME,
                directory: Path | None = None) -> tuple[Experiment, ...]:
    """The grids compared with the papers (hetero, homog, scaling), full or --quick, on one
    runtime (the original design's by default, as the files say)."""
    _check_runtime(runtime)
    return tuple(load_grid(name, quick, directory).with_runtimes((runtime,), _roundtrip(runtime))
                 for name in PAPER_GRIDS)


def runtime_experiments(quick: bool = False,
                        directory: Path | None = None) -> tuple[Experiment, ...]:
    """The two runtime designs side by side, full or --quick: ``runtimes`` (the
    heterogeneous table's six workloads, network and file mode) and ``collection`` (bitonic
    from 2,048 to 65,536 keys), as their files define them."""
    return tuple(load_grid(name, quick, directory) for name in RUNTIME_GRIDS)


def all_experiments(quick: bool = False, runtime: str = REFERENCE_RUNTIME,
                    directory: Path | None = None) -> tuple[Experiment, ...]:
    """Every grid of the reproduction: hetero, homog, scaling, runtimes, collection."""
    return (*experiments(quick, runtime, directory), *runtime_experiments(quick, directory))


def default_out(quick: bool) -> Path:
    """results/ for the full reproduction; results/quick/ for --quick, so a quick check
    never overwrites the full tables."""
    return Path("results") / "quick" if quick else Path("results")


def reproduce(out: Path | None = None, quick: bool = False, jobs: int | None = None,
              progress: bool | None = None, runtime: str = REFERENCE_RUNTIME) -> Report:
    """Run the five grids as one pool and build the report into ``out``: the tables and
    findings compared with the papers on ``runtime`` (the original design's by default),
    the runtime comparison and the per-block figure on both."""
    start = time.perf_counter()
    out = default_out(quick) if out is None else Path(out)
    grids = all_experiments(quick, runtime)
    hetero, homog, scaling, runtimes, collection = grids
    results: dict[str, SweepResult] = sweep_many(list(grids), out, jobs=jobs, progress=progress)
    first = next(iter(results.values()))
    report = build_report(results[hetero.name].rows, results[homog.name].rows,
                          results[scaling.name].rows, out=out, quick=quick,
                          revision=first.revision, runtimes_rows=results[runtimes.name].rows,
                          collection_rows=results[collection.name].rows)
    report.runtime = runtime
    report.failed_runs = sum(len(r.failures) for r in results.values())
    report.files = [r.path for r in results.values()] + report.files
    report.wall_s = time.perf_counter() - start
    return report
