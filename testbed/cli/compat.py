"""``testbed compat``: whether a program can migrate between two machines, and why not,
before anything runs."""

from __future__ import annotations

import argparse
import json

from testbed.cli.args import machine, migratable_program


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compat",
        help="say before running whether PROGRAM can migrate from one machine to another, and why not",
        description="Static compatibility of a migration: the constructs the MCL refuses, types without a "
        "portable form (long double), word-sized values (long, size_t, ...) that may not fit a narrower "
        "destination (found by the precompiler where it can tell, otherwise a run-time check the runtime "
        "performs), and the byte-order and word-size change of the pair. One finding a line, with file:line. "
        "Exit status 0: compatible (warnings and notes allowed); 1: not compatible.",
    )
    p.add_argument("program", metavar="PROGRAM", type=migratable_program,
                   help="a registered program (linpack, bitonic, ...) or a path to a .c file")
    p.add_argument("--src", required=True, type=machine, metavar="MACHINE", help="source ISA or machine")
    p.add_argument("--dst", required=True, type=machine, metavar="MACHINE", help="destination ISA or machine")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the lines")
    p.set_defaults(func=run_compat)


def run_compat(args: argparse.Namespace) -> int:
    from testbed.cli.mcl import source_of
    from testbed.compat import compat

    report = compat(args.program, source_of(args.program), args.src, args.dst)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        s, d = report.src_model, report.dst_model
        print(f"{report.program}: {report.src.name} ({s.isa}, {s.name}, {s.byte_order}) -> "
              f"{report.dst.name} ({d.isa}, {d.name}, {d.byte_order})")
        for f in report.findings:
            print(f.line())
        c = report.counts()
        verdict = "compatible" if report.compatible else "NOT compatible"
        print(f"{verdict}: {c['error']} errors, {c['warning']} warnings, {c['note']} notes")
    return 0 if report.compatible else 1
