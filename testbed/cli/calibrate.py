"""``testbed calibrate``: fit the machine profiles' calibrated parameters against the
published reference rows (testbed/calibration explains the fits)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit the profiles' calibrated parameters to the published rows: load/store cycles, "
        "file and socket I/O (about 2 minutes), or with --network the network, disk and rcp parameters (seconds)",
        description="Without --network: migrate linpack n=200 and n=1000 (DECstation -> "
        "SPARCstation 20) and n=1000 (Ultra 5 -> Ultra 5) with the classic runtime, fit each "
        "machine's load/store cycles to the published scan, restore and collect times, and the "
        "classic runtime's file I/O (DEC fwrite() per unit and synchronous write rate, SS20 "
        "fread() per unit) to the published scan_write and read_restore times, and (one more "
        "migration: bitonic 8,192 keys, Ultra 5 -> Ultra 5) the classic runtime's per-item "
        "socket write, send and read cycles to Table 1's bitonic collect, tx and restore. With "
        "--network: fit the DEC and Ultra 5 per-byte protocol-stack costs to the published tx "
        "rows and the DEC disk rate and rcp session set-up to the rcp rows, on the transfer "
        "model alone. Prints every fitted parameter with the reference rows it was fitted to "
        "(published, model before and after); --write records the values, with a 'calibrated "
        "against ...' source, in testbed/profiles/machines/*.toml.",
    )
    p.add_argument("--network", action="store_true",
                   help="fit the network, disk and rcp parameters instead of the CPU ones")
    p.add_argument("--write", action="store_true",
                   help="write the fitted values into testbed/profiles/machines/*.toml")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes for the CPU calibration's migrations (default: every "
                   "core)")
    p.set_defaults(func=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from testbed.calibration import report, writer

    if args.network:
        from testbed.calibration import network

        fitted = network.fit()
    else:
        from testbed.calibration import cpu, fileio, sockio

        measured = cpu.measure(jobs=args.jobs)
        fitted = cpu.fit(measured)
        fitted += fileio.fit(measured, fitted)  # the classic file I/O, on the same emulations
        fitted += sockio.fit(sockio.measure(jobs=args.jobs), fitted)  # its socket calls: Table 1 bitonic
    print(report(fitted))
    if args.write:
        for line in writer.write(fitted):
            print(f"written: {line}")
    return 0
