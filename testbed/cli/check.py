"""``testbed check`` and ``testbed overhead``: regression checks of migration, and the cost
of being migratable."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from testbed.build import RUNTIMES
from testbed.cli import progress
from testbed.cli.args import output_dir, positive_int
from testbed.emu.isa import ISAS
from testbed.programs import PROGRAMS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="migrate every program between pairs of ISAs at a spread of poll-points; non-zero on any mismatch",
        description="Regression check: every program (small size) over ordered pairs of the registered ISAs "
        f"({', '.join(ISAS)}) at a spread of K: every pair (the same ISA twice included) at 8 points, or with "
        "--quick a spanning subset (every ISA as source and destination, every change of word size and byte "
        "order) at 3. Each migration must verify and its round trip must be identical. Each runs in a child "
        "process of its own: a crash or an error fails that migration and the check goes on.",
    )
    p.add_argument("--quick", action="store_true", help="the spanning pairs at 3 migration points each")
    p.add_argument("--pairs", default=None, metavar="all|spanning|SRC:DST,...",
                   help="which ordered pairs of ISAs (default: all, or spanning with --quick)")
    p.add_argument("--points", type=positive_int, default=None,
                   help="migration points per pair and program (default 8, or 3 with --quick)")
    p.add_argument("--matrix", type=output_dir, nargs="?", const=Path("results"), default=None, metavar="DIR",
                   help="also write DIR/matrix.csv and DIR/figures/matrix.png, verified and migrate time per "
                        "pair (DIR default results)")
    p.add_argument("--program", action="append", choices=sorted(PROGRAMS), help="only these programs")
    p.add_argument("--jobs", type=positive_int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--runtime", default="modern", choices=RUNTIMES, help="runtime design (default modern)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_check)

    o = sub.add_parser(
        "overhead",
        help="instructions of each migratable program (no migration) over the plain one",
        description="The cost of being migratable: poll-points, call-site checks and MSR bookkeeping, as the "
        "ratio of executed instructions with and without the precompiler's transformation.",
    )
    o.add_argument("--size", default="paper1", help="problem size (default paper1)")
    o.add_argument("--isa", default="mipsel", choices=list(ISAS))
    o.add_argument("--program", action="append", choices=sorted(PROGRAMS), help="only these programs")
    o.add_argument("--runtime", default="modern", choices=RUNTIMES, help="runtime design (default modern)")
    o.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    o.set_defaults(func=run_overhead)


def run_check(args: argparse.Namespace) -> int:
    from testbed.migration.check import check, parse_pairs, registered_isas

    pairs = parse_pairs(args.pairs) if args.pairs else None
    done: list[dict] = []

    def case_done(row: dict) -> None:
        done.append(row)
        progress.phase(f"{len(done)} migrations done, {sum(not r['ok'] for r in done)} failed")

    progress.phase("counting poll-point passages and running the references")
    rows = check(args.quick, args.jobs, args.program, case_done, args.runtime, pairs, args.points)
    failed = [r for r in rows if not r["ok"]]
    written = []
    if args.matrix is not None:
        from testbed.experiments.matrix import write_matrix

        written = write_matrix(rows, registered_isas(), args.matrix)
    if args.json:
        print(json.dumps({"cases": len(rows), "pairs": len({(r["src"], r["dst"]) for r in rows}), "failed": failed,
                          "written": [str(p) for p in written]}))
    else:
        programs = sorted({r["program"] for r in rows})
        for name in programs:
            mine = [r for r in rows if r["program"] == name]
            ks = len({r["at"] for r in mine})
            frames = max((r["call_frames"] or 0) for r in mine)
            pairs_run = len({(r["src"], r["dst"]) for r in mine})
            print(f"{name:13} {len(mine):4} migrations, {pairs_run:3} pairs, {ks:3} distinct K, up to {frames} "
                  f"call frames: {'all verified' if all(r['ok'] for r in mine) else 'FAILURES'}")
        for path in written:
            print(f"wrote {path}")
        if failed:
            print(f"\n{len(failed)} of {len(rows)} migrations failed:")
            print(f"  {'program':13} {'src':7} {'dst':7} {'K':>7}  error")
            for r in failed:
                print(f"  {r['program']:13} {r['src']:7} {r['dst']:7} {r['at']:>7}  {r['error']}")
    return 1 if failed else 0


def run_overhead(args: argparse.Namespace) -> int:
    from testbed.migration.check import overhead

    rows = [overhead(name, args.size, args.isa, args.runtime) for name in (args.program or sorted(PROGRAMS))]
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'program':13} {'plain':>13} {'migratable':>13} {'overhead':>9} {'poll passages':>14}")
    for r in rows:
        print(f"{r['program']:13} {r['plain_instructions']:>13,} {r['migratable_instructions']:>13,} "
              f"{100 * r['overhead']:>8.2f}% {r['passages']:>14,}")
    return 0
