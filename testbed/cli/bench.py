"""``testbed bench``: emulator speed, unpriced against fully priced, as a ratio."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="measure emulator speed: guest instructions per host second, unpriced and priced",
        description="Guest instructions per host second on linpack for each ISA, with no hooks "
        "(unpriced) and with every block counted and priced, and their ratio (target >= 0.5). "
        "Ratios are measured within one run, so machine noise largely cancels.",
    )
    p.add_argument("--size", type=int, default=100, help="linpack order n (default 100)")
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from testbed.bench import bench_guest

    rows = [bench_guest(isa, args.size, args.repeats) for isa in ("mipsel", "sparc")]
    if args.json:
        print(json.dumps({"guest": rows}))
        return 0
    print(f"{'isa':7} {'program':14} {'instructions':>13} {'unpriced MIPS':>14} {'priced MIPS':>12} {'ratio':>6}")
    for r in rows:
        print(f"{r['isa']:7} {r['program']:14} {r['instructions']:>13,} {r['unpriced_ips'] / 1e6:>14.1f} "
              f"{r['priced_ips'] / 1e6:>12.1f} {r['ratio']:>6.2f}")
    return 0
