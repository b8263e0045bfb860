"""``testbed reproduce``: regenerate the original papers' tables and figures, compare the
two runtime designs and check the findings."""

from __future__ import annotations

import argparse
from pathlib import Path

from testbed.experiments.config import RUNTIMES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reproduce",
        help="regenerate the heterogeneous table, Table 1, the figures and the classic-vs-modern "
        "runtime comparison; check the findings",
        description="Run the reproduction's grids (experiments/hetero.toml, homog.toml, "
        "scaling.toml, runtimes.toml, collection.toml) as one process pool, one emulation per "
        "distinct migration, and write the tables (CSV and tables.md) with the published values "
        "and relative errors, the classic against modern runtime table, the figures "
        "(figures/*.png) and the checked findings (findings.md) into DIR. The published values "
        "come from the original system, so they are compared with the classic runtime unless "
        "--runtime says otherwise. Exits 1 if a run failed to verify; a FAILed finding is a "
        "result, not an error.",
    )
    p.add_argument("--quick", action="store_true",
                   help="small stand-in sizes (no published row matches them): a minute or so")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output directory (default results/, or results/quick/ with --quick)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes (default: every core)")
    p.add_argument("--runtime", choices=RUNTIMES, default="classic",
                   help="the runtime of the tables, figures and findings compared with the "
                   "papers (default classic, the original design); the runtime comparison always "
                   "runs both")
    p.set_defaults(func=run_reproduce)


def run_reproduce(args: argparse.Namespace) -> int:
    from testbed.experiments.reproduce import reproduce
    from testbed.experiments.tables import display_runtime_table, display_table, markdown_table

    report = reproduce(out=args.out, quick=args.quick, jobs=args.jobs, runtime=args.runtime)
    for name, table in report.tables.items():
        print(f"\n{name} ({report.runtime} runtime):")
        print(markdown_table(display_table(table)))
        print(report.errors_by_table[name].text())
    if report.runtime_table is not None:
        print("\nclassic against modern runtime:")
        print(markdown_table(display_runtime_table(report.runtime_table)))
    print("\nfindings:")
    for finding in report.findings:
        print(f"  {finding.text()}")
    print(f"\nerror against the published rows: {report.errors.text()}")
    out = report.files[0].parent if report.files else Path(".")
    print(f"{'quick' if args.quick else 'full'} reproduction in {report.wall_s:.1f} s wall, "
          f"revision {report.revision}; {report.failed_runs} failed run(s); "
          f"written to {out}/ (tables.md, findings.md, figures/)")
    return 1 if report.failed_runs else 0
