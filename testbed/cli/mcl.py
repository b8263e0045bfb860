"""``testbed mcl``: the precompiler on its own: report the poll-points or write the
migratable C."""

from __future__ import annotations

import argparse
from pathlib import Path

from testbed.mcl.precompiler import DEFAULT_MAX_COST


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mcl",
        help="precompile a plain C program: list its poll-points and live variables, or write migratable C",
        description="Run the MCL precompiler on FILE (a C file, or the name of a guest program): "
        "place poll-points, compute the live variables at each, and make it migratable.",
    )
    p.add_argument("file", metavar="FILE", help="a C source file or a program name (linpack, bitonic, ...)")
    p.add_argument("--report", action="store_true", help="list each poll-point and call site with its live variables")
    p.add_argument("-o", "--output", metavar="OUT.c", help="write the migratable C translation unit here")
    p.add_argument("--max-cost", type=int, default=DEFAULT_MAX_COST,
                   help=f"estimated instructions allowed between poll-points (default {DEFAULT_MAX_COST:,})")
    p.set_defaults(func=run_mcl)


def run_mcl(args: argparse.Namespace) -> int:
    from testbed.build.migratable import generate
    from testbed.errors import ConfigError
    from testbed.programs import PROGRAMS

    source = PROGRAMS[args.file].source if args.file in PROGRAMS else Path(args.file)
    if not source.is_file():
        raise ConfigError(f"{args.file}: no such C file or program (programs: {', '.join(sorted(PROGRAMS))})")
    g = generate(source, program_key=str(source), max_cost=args.max_cost)
    if args.output:
        Path(args.output).write_text(g.unit)
        print(f"wrote {args.output}: {len(g.plan.sites)} sites in {len(g.plan.functions)} migratable functions, "
              f"{len(g.ti.types)} types")
    if args.report or not args.output:
        for fn in g.plan.functions.values():
            blocks = ", ".join(v.name for v in fn.blocks)
            print(f"{fn.name} (function {fn.fid}){'; stack blocks: ' + blocks if blocks else ''}")
            for site in fn.sites:
                kind = f"poll-point ({site.reason})" if site.kind == "poll" else f"call of {site.reason}"
                location = site.coord.rsplit("/", 1)[-1]
                print(f"  {location:22} site {site.id:<3} {kind:28} live: {', '.join(site.live) or '-'}")
    return 0
