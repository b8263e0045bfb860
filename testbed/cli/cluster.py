"""``testbed cluster``: the shipped clusters (``list``) and co-simulated PVM runs (``run``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from testbed.cluster.migrate import parse_fault, parse_migration
from testbed.cluster.run import PVM_PROGRAMS, ClusterResult, run_program
from testbed.cluster.topology import cluster, cluster_names
from testbed.profiles import network_names


def register(sub: Any) -> None:
    """Add the ``cluster`` command group to the ``testbed`` parser."""
    p = sub.add_parser("cluster", help="the co-simulated SNOW clusters (docs/cluster.md)",
                       description="Clusters of emulated hosts on shared Ethernet segments.")
    commands = p.add_subparsers(dest="cluster_command", metavar="SUBCOMMAND", required=True)
    listing = commands.add_parser("list", help="show the shipped clusters: hosts, machines, networks")
    listing.add_argument("--json", action="store_true", help="print one JSON object per cluster, in a list")
    listing.set_defaults(func=list_clusters)

    run = commands.add_parser(
        "run", help="co-simulate a PVM program on a cluster and check it against its reference",
        description="Run a PVM program with every task on its own emulated host of the cluster, all "
        "on one simulated clock and one shared network (docs/cluster.md).")
    run.add_argument("program", help=f"{', '.join(PVM_PROGRAMS)}, or a PVM C file (its tasks beside it)")
    run.add_argument("--cluster", default="snow18", help="cluster name (default snow18; see `cluster list`)")
    run.add_argument("--tasks", type=int, default=4, metavar="N", help="worker tasks (default 4)")
    run.add_argument("--size", default="small", metavar="S",
                     help="small (default), paper1, paper2 or the program's size arguments")
    run.add_argument("--net", default=None, metavar="NET",
                     help=f"put every segment on this network: {', '.join(network_names())}")
    run.add_argument("--path", action="append", default=[], type=Path, metavar="DIR",
                     help="more directories to find spawned tasks' NAME.c in (repeatable)")
    run.add_argument("--trace", type=Path, default=None, metavar="FILE",
                     help="write Chrome trace-event JSON to FILE and a Gantt chart beside it (.png)")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.add_argument("--migrate", action="append", default=[], metavar="TASK:HOST@WHEN",
                     help="migrate task TASK (index in start order, 0 the first) to HOST at simulated second "
                     "WHEN or at its #K-th poll-point passage (repeatable; docs/mppvm.md)")
    run.add_argument("--migratable", action="store_true",
                     help="run the MpPVM builds of the tasks even with no --migrate (what migratability costs)")
    run.add_argument("--fail", action="append", default=[], metavar="TASK:KIND",
                     help="make TASK's next migration fail: refuse (a damaged stream), link (cut during the "
                     "transfer) or destination (a fault while restoring); the task stays at its source")
    run.set_defaults(func=run_on_cluster)

    study = commands.add_parser("study", help="run a scalability grid (experiments/scalability.toml)",
                                description="Cross networks, sizes and worker counts for one PVM program; "
                                "write the rows as CSV and a figure of time and speed-up.")
    study.add_argument("file", type=Path, help="the study's TOML file")
    study.add_argument("--quick", action="store_true", help="the [quick] lists: test sizes")
    study.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                       help="directory for NAME.csv and figures/NAME.png (default results)")
    study.set_defaults(func=run_scalability)

    compare = commands.add_parser("mppvm", help="PVM against MpPVM execution time (experiments/mppvm.toml)",
                                  description="Plain PVM, the migratable build with no migration, and with "
                                  "migrations during the run; rows as CSV and a figure (docs/mppvm.md).")
    compare.add_argument("file", type=Path, help="the experiment's TOML file")
    compare.add_argument("--quick", action="store_true", help="the [quick] lists: test sizes")
    compare.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                         help="directory for NAME.csv and figures/NAME.png (default results)")
    compare.set_defaults(func=run_mppvm_comparison)


def list_clusters(args: argparse.Namespace) -> int:
    rows = []
    for name in cluster_names():
        c = cluster(name)
        machines = Counter(h.machine for h in c.hosts)
        rows.append({
            "cluster": c.name,
            "description": c.description,
            "hosts": [h.name for h in c.hosts],
            "machines": dict(machines),
            "segments": c.segments,
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        machines = ", ".join(f"{n} x {m}" for m, n in row["machines"].items())
        networks = ", ".join(f"{s}: {n}" for s, n in row["segments"].items())
        print(f"{row['cluster']:<12} {len(row['hosts']):>3} hosts ({machines}; {networks})")
        print(f"{'':<12} {row['description']}")
    return 0


def run_on_cluster(args: argparse.Namespace) -> int:
    """Exit 0 when the output matched its reference (or there is none), 1 when it did not."""
    c = cluster(args.cluster)
    if args.net is not None:
        c = c.with_network(args.net)
    migrations = [parse_migration(m) for m in args.migrate]
    faults: dict[int, list[str]] = {}
    for text in args.fail:
        index, kind = parse_fault(text)
        faults.setdefault(index, []).append(kind)
    result = run_program(args.program, c, tasks=args.tasks, size=args.size, path=args.path,
                         migratable=args.migratable or bool(faults), migrations=migrations, faults=faults)
    if args.trace is not None:
        from testbed.cluster.trace import write_trace

        write_trace(result, args.trace)
    if result.errors:
        sys.stderr.write(result.errors)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_result(result)
    return 1 if result.verified is False or result.ledger_problems else 0


def _print_result(r: ClusterResult) -> None:
    print(r.output, end="" if r.output.endswith("\n") or not r.output else "\n")
    print(f"{r.program} on {r.cluster} ({r.network}), {r.tasks} spawned tasks on {len(r.hosts_used)} hosts: "
          f"{r.execution_s:.6f} s simulated, {r.messages} messages, {r.message_bytes:,} bytes")
    print(f"  {'host':<8} {'machine':<8} {'tasks':>5} {'compute s':>11} {'comm s':>11} {'idle s':>11} "
          f"{'msgs':>6} {'bytes':>11}")
    for h in r.hosts:
        print(f"  {h.host:<8} {h.machine:<8} {h.tasks:>5} {h.compute_s:>11.6f} {h.communication_s:>11.6f} "
              f"{h.idle_s:>11.6f} {h.messages:>6} {h.message_bytes:>11,}")
    for m in r.migrations:
        what = (f"scan {m['scan_s']:.4f} s, tx {m['tx_s']:.4f} s, restore {m['restore_s']:.4f} s, "
                f"{m['stream_bytes']:,} B, {m['messages_moved']} messages moved" if m["ok"] else f"FAILED: {m['error']}")
        print(f"migration: task {m['task']} {m['src_host']} -> {m['dst_host']} requested at {m['at_s']:.4f} s: {what}")
    if r.migratable:
        ledger = r.ledger
        state = "exactly once, in per-sender order" if not r.ledger_problems else "; ".join(r.ledger_problems[:3])
        print(f"ledger: {ledger['sent']} sent, {ledger['delivered']} delivered, {ledger['forwarded']} forwarded: {state}")
    verdict = {True: "yes", False: "NO", None: "no reference"}[r.verified]
    print(f"output identical to the reference: {verdict}  "
          f"({r.instructions:,} guest instructions in {r.wall_s:.2f} s of host time)")


def run_scalability(args: argparse.Namespace) -> int:
    from testbed.cluster.study import load_study, plot, run_study, write_rows

    study = load_study(args.file, args.quick)

    def progress(row: dict[str, Any]) -> None:
        print(f"{row['network']:>8} {row['size']:>7} {row['workers']:>3} workers: {row['execution_s']:9.4f} s, "
              f"speed-up {row['speedup']:5.2f}, verified {row['verified']}", flush=True)

    rows = run_study(study, progress)
    csv_path = args.out / f"{study.name}.csv"
    png = args.out / "figures" / f"{study.name}.png"
    write_rows(rows, csv_path)
    plot(rows, png)
    print(f"wrote {csv_path} and {png}")
    return 0 if all(r["verified"] for r in rows) else 1


def run_mppvm_comparison(args: argparse.Namespace) -> int:
    from testbed.cluster.mppvm_study import load_comparison, plot, run_comparison, write_rows

    comparison = load_comparison(args.file, args.quick)

    def progress(row: dict[str, Any]) -> None:
        print(f"{row['program']:>10} {row['size']:>7} {row['variant']:>8}: {row['execution_s']:9.4f} s "
              f"({row['vs_pvm']:.3f} x PVM), scan {row['scan_s']:.4f} tx {row['tx_s']:.4f} "
              f"restore {row['restore_s']:.4f} s, verified {row['verified']}", flush=True)

    rows = run_comparison(comparison, progress)
    csv_path = args.out / f"{comparison.name}.csv"
    png = args.out / "figures" / f"{comparison.name}.png"
    write_rows(rows, csv_path)
    plot(rows, png)
    print(f"wrote {csv_path} and {png}")
    return 0 if all(r["verified"] and r["ledger_clean"] for r in rows) else 1


def print_cluster_bench(as_json: bool) -> int:
    """``testbed bench --cluster`` (registered in testbed/cli/bench.py)."""
    from testbed.cluster.bench import bench_cluster

    b = bench_cluster()
    if as_json:
        print(json.dumps(b))
        return 0
    net = b["network"]
    print(f"{b['program']}: {b['instructions']:,} guest instructions in {b['cluster_s']:.2f} s "
          f"= {b['cluster_ips'] / 1e6:.1f} M/s aggregate")
    print(f"{b['single_program']}: {b['single_instructions']:,} in {b['single_s']:.2f} s "
          f"= {b['single_ips'] / 1e6:.1f} M/s")
    print(f"ratio {b['ratio']:.2f} (target >= 0.5)")
    print(f"network model, {net['flows']} concurrent {net['bytes_per_flow']:,} B flows on one 10 Mb/s segment: "
          f"{net['events']:,} events in {net['wall_s']:.2f} s = {net['events_per_s'] / 1e3:.0f} k events/s "
          f"({net['simulated_s']:.2f} s simulated)")
    return 0
