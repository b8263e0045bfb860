"""``testbed exec``: run a guest program to completion on one machine."""

from __future__ import annotations

import argparse
import json
import sys

from testbed.build import RUNTIMES
from testbed.cli import progress
from testbed.cli.args import positive_int, target
from testbed.emu.machines import names as machine_names
from testbed.limits import DEFAULT_BUDGET, EXPERIMENT_BUDGET, default_budget
from testbed.programs import PROGRAMS, SIZE_NAMES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "exec",
        help="run a guest program to completion on one machine and print its output",
        description="Build PROGRAM for the target and run it to completion: natively (host) or on "
        "an emulated machine, reporting instructions and simulated time.",
    )
    p.add_argument("program", metavar="PROGRAM",
                   help=f"one of {', '.join(sorted(PROGRAMS))}, or a path to a .c file")
    p.add_argument("--arch", "--machine", dest="arch", default="mipsel", metavar="TARGET", type=target,
                   help=f"host, an ISA or a machine: host, {', '.join(machine_names())} (default mipsel)")
    p.add_argument("--size", default=None,
                   help=f"problem size: {', '.join(SIZE_NAMES)} or a positive integer (default small)")
    p.add_argument("--budget", type=positive_int, default=None,
                   help=f"instruction budget before the guest is stopped (default {EXPERIMENT_BUDGET:,} for a registered "
                        f"program at a named size, {DEFAULT_BUDGET:,} otherwise: a C file of yours may never end)")
    p.add_argument("--runtime", default="modern", choices=RUNTIMES,
                   help="runtime design whose allocator the program uses (default modern)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_exec)


def run_exec(args: argparse.Namespace) -> int:
    from testbed.errors import GuestFault
    from testbed.execute import Workload, execute

    progress.phase(f"running {args.program} on {args.arch}")
    try:
        record = execute(Workload.resolve(args.program, args.size), args.arch, budget=args.budget or default_budget(args.program, args.size),
                         runtime=args.runtime)
    except GuestFault as fault:
        sys.stdout.write(fault.output)  # what the guest printed before it crashed
        sys.stdout.flush()
        raise
    if args.json:
        print(json.dumps(record))
    else:
        sys.stdout.write(record["output"])
        if record["instructions"] is not None:
            print(
                f"-- {record['program']} on {record['machine']} ({record['arch']}): "
                f"{record['instructions']:,} instructions, {record['seconds']:.6f} s simulated, "
                f"{record['wall_s']:.2f} s wall, exit {record['exit_code']}",
                file=sys.stderr,
            )
    return 0 if record["exit_code"] == 0 else 1
