"""``testbed mcl``: the precompiler on its own: report the poll-points or write the
migratable C."""

from __future__ import annotations

import argparse
from pathlib import Path

from testbed.cli.args import output_file, positive_int, utf8_source
from testbed.errors import NO_POLL_POINT
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
    p.add_argument("-o", "--output", metavar="OUT.c", type=output_file,
                   help="write the migratable C translation unit here")
    p.add_argument("--max-cost", type=positive_int, default=DEFAULT_MAX_COST,
                   help=f"estimated instructions allowed between poll-points (default {DEFAULT_MAX_COST:,})")
    p.set_defaults(func=run_mcl)


def source_of(name: str) -> Path:
    """The C file of a program name or a path; a file the precompiler cannot read is refused."""
    from testbed.errors import ConfigError
    from testbed.programs import PROGRAMS

    source = PROGRAMS[name].source if name in PROGRAMS else Path(name)
    if not source.is_file():
        raise ConfigError(f"{name}: no such C file or program (programs: {', '.join(sorted(PROGRAMS))})")
    try:
        utf8_source(source)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(str(exc)) from None
    return source


def run_mcl(args: argparse.Namespace) -> int:
    from testbed.build.migratable import generate

    source = source_of(args.file)
    g = generate(source, program_key=str(source), max_cost=args.max_cost)
    if args.output:
        args.output.write_text(g.unit)
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
    if not any(site.kind == "poll" for fn in g.plan.functions.values() for site in fn.sites):
        print(f"{source.name}: {NO_POLL_POINT}")
    return 0
