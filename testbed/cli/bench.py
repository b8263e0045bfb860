"""``testbed bench``: emulator speed, unpriced against fully priced, as a ratio."""

from __future__ import annotations

import argparse
import json

from testbed.build import RUNTIMES
from testbed.cli.args import positive_int
from testbed.emu.isa import ISAS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="measure emulator speed: guest instructions per host second, unpriced and priced",
        description="Guest instructions per host second on linpack for each registered ISA, with no hooks "
        "(unpriced) and with every block counted and priced, and their ratio (target >= 0.5). "
        "Ratios are measured within one run, so machine noise largely cancels.",
    )
    p.add_argument("--size", type=positive_int, default=200, help="linpack order n (default 200)")
    p.add_argument("--isa", action="append", choices=list(ISAS),
                   help="only this ISA (repeatable; default every registered one)")
    p.add_argument("--repeats", type=positive_int, default=3, help="best of this many runs (default 3)")
    p.add_argument("--collection", action="store_true",
                   help="also measure collection cost per block for bitonic, 2,048 to 65,536 keys")
    p.add_argument("--runtime", default="modern", choices=RUNTIMES,
                   help="runtime design for --collection (default modern)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.add_argument("--cluster", action="store_true",
                   help="instead: a 16-task co-simulation's aggregate speed against one bare guest's")
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    if args.cluster:
        from testbed.cli.cluster import print_cluster_bench

        return print_cluster_bench(args.json)
    from testbed.bench import bench_collection, bench_guest

    rows = [bench_guest(isa, args.size, args.repeats) for isa in (args.isa or list(ISAS))]
    collection = bench_collection(runtime=args.runtime) if args.collection else None
    if args.json:
        print(json.dumps({"guest": rows, "collection": collection}))
        return 0
    print(f"{'isa':7} {'program':14} {'instructions':>13} {'unpriced MIPS':>14} {'priced MIPS':>12} {'ratio':>6}")
    for r in rows:
        print(f"{r['isa']:7} {r['program']:14} {r['instructions']:>13,} {r['unpriced_ips'] / 1e6:>14.1f} "
              f"{r['priced_ips'] / 1e6:>12.1f} {r['ratio']:>6.2f}")
    if collection:
        print(f"\n{'keys':>6} {'blocks':>7} {'scan/block':>11} {'restore/block':>14} {'bytes/key':>10}")
        for c in collection["rows"]:
            print(f"{c['keys']:>6} {c['blocks']:>7} {c['scan_per_block']:>11.1f} {c['restore_per_block']:>14.1f} "
                  f"{c['bytes_per_key']:>10.2f}")
        print(f"{collection['runtime']} runtime: scan instructions per block vary by at most "
              f"{100 * collection['scan_per_block_spread']:.1f}% from their mean (linear target: 15%); "
              f"slope {collection['scan_per_block_slope_per_log2']:.1f} instructions per block per doubling")
        for f in collection["flat"]:
            print(f"linpack {f['src']}->{f['dst']}: {f['scan_per_byte']:.2f} scan and {f['restore_per_byte']:.2f} "
                  f"restore instructions per stream byte ({f['tx_bytes']:,} bytes)")
    return 0
