"""``testbed sweep``: run an experiment file's grid in parallel and record tidy rows."""

from __future__ import annotations

import argparse
from pathlib import Path

from testbed.cli.args import output_dir
from testbed.experiments.config import RUNTIMES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run an experiment file's grid of migrations in parallel; append tidy rows to a CSV",
        description="Expand the grid of FILE (programs x sizes x machine pairs x networks x modes "
        "x migration points x runtimes), emulate each distinct migration once in a process pool and "
        "re-price it for every network and mode that shares it, and append one row per run to "
        "OUT/<experiment>.csv (a run measured again on the same git revision replaces its row). "
        "Exits 1 if any run failed to migrate and verify.",
    )
    p.add_argument("file", metavar="FILE", type=Path, help="experiment file (experiments/*.toml)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on the dask.distributed scheduler at ADDRESS instead of local cores")
    p.add_argument("--out", type=output_dir, default=Path("results"), metavar="DIR",
                   help="directory of the results CSVs (default results/)")
    p.add_argument("--quick", action="store_true",
                   help="the file's [quick] grid (small sizes), written to OUT/<experiment>-quick.csv")
    p.add_argument("--runtime", action="append", choices=RUNTIMES, default=None, dest="runtimes",
                   help="run every block of the grid with this migration runtime instead of the "
                   "file's runtimes axis (repeat for several: --runtime classic --runtime modern)")
    p.add_argument("--dry-run", action="store_true",
                   help="list the runs with their config hashes and emulation count; run nothing")
    p.set_defaults(func=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    from testbed.experiments.config import load_experiment
    from testbed.experiments.runner import group_runs, summary_table, sweep

    experiment = load_experiment(args.file)
    if args.runtimes:
        experiment = experiment.with_runtimes(args.runtimes)
    if args.quick:
        experiment = experiment.quick()
    runs = experiment.runs()
    groups = group_runs(runs)
    if args.dry_run:
        for run in runs:
            print(f"{run.config_hash}  {run.program} {run.size} {run.src}->{run.dst} "
                  f"{run.network} {run.mode} at={run.at} runtime={run.runtime}"
                  + ("" if run.roundtrip else " (no round-trip check)"))
        print(f"{experiment.name}: {len(runs)} runs, {len(groups)} emulations")
        return 0
    print(f"{experiment.name}: {len(runs)} runs from {len(groups)} emulations")
    result = sweep(experiment, args.out, jobs=args.jobs, dask=args.dask)
    print(summary_table(result.rows))
    bad = result.failures
    print(f"{len(result.rows)} runs, {result.emulations} emulations, {len(bad)} failed, "
          f"{result.wall_s:.1f} s wall; revision {result.revision}; rows -> {result.path}")
    for _, row in bad.iterrows():
        print(f"FAILED {row['config_hash']} {row['program']} {row['size']} {row['src']}->"
              f"{row['dst']} {row['network']} {row['mode']}: "
              f"{row.get('failure') or 'output differs from the unmigrated run'}")
    return 1 if len(bad) else 0
