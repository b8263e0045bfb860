"""``testbed calibrate``: fit the machine profiles' memory-access costs against the
published linpack rows (testbed/calibrate.py explains the fit)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit load/store cycles per machine against the published linpack rows (about 2 minutes)",
        description="Migrate linpack n=200 and n=1000 (DECstation -> SPARCstation 20) and n=1000 (Ultra 5 -> "
        "Ultra 5) with the classic runtime, and fit each machine's load/store cycles to the published scan, "
        "restore and collect times. Prints the fit; --write records it in the machine profiles.",
    )
    p.add_argument("--write", action="store_true", help="write the fitted values into testbed/profiles/machines")
    p.set_defaults(func=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from testbed.calibrate import fit, measure, report, write_profiles

    results = fit(measure())
    print(report(results))
    if args.write:
        write_profiles(results)
        print("written to the machine profiles (cpu.cycles.load and cpu.cycles.store)")
    return 0
