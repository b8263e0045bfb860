"""``testbed run``: migrate a program between two machines mid-computation."""

from __future__ import annotations

import argparse
import json

from testbed.emu.machines import names as machine_names
from testbed.programs import PROGRAMS, SIZE_NAMES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="migrate a program from one machine to another mid-computation and verify it",
        description="Run PROGRAM on the source machine up to a poll-point, collect its state inside "
        "the guest, move the stream, restore it inside the pre-initialised destination guest, "
        "finish there, and check the output is bit-identical to an unmigrated run.",
    )
    p.add_argument("program", metavar="PROGRAM", choices=sorted(PROGRAMS),
                   help=f"one of {', '.join(sorted(PROGRAMS))}")
    p.add_argument("--src", default="mipsel", metavar="MACHINE",
                   help=f"source ISA or machine ({', '.join(machine_names())}; default mipsel)")
    p.add_argument("--dst", default="sparc", metavar="MACHINE",
                   help="destination ISA or machine (default sparc)")
    p.add_argument("--size", default="paper1",
                   help=f"problem size: {', '.join(SIZE_NAMES)} or a positive integer (default paper1)")
    p.add_argument("--at", type=int, default=1, metavar="K",
                   help="migrate at the K-th dynamic poll-point passage (default 1)")
    p.add_argument("--network", default="10mbps", help="10mbps or 100mbps (default 10mbps)")
    p.add_argument("--mode", default="network", choices=("network", "file"),
                   help="network: TCP into the waiting process; file: disk, rcp, disk")
    p.add_argument("--no-roundtrip", dest="roundtrip", action="store_false",
                   help="skip the round-trip check (collect again right after restoring)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_migration)


def run_migration(args: argparse.Namespace) -> int:
    from testbed.migration.run import MigrationSpec, migrate

    spec = MigrationSpec(program=args.program, size=args.size, src=args.src, dst=args.dst, at=args.at,
                         network=args.network, mode=args.mode, roundtrip=args.roundtrip)
    record = migrate(spec)
    if args.json:
        print(json.dumps(record))
    else:
        print(format_record(record))
    return 0 if record["verified"] and not record["failed"] else 1


def format_record(r: dict) -> str:
    lines = [
        f"{r['program']} ({r['size']}): {r['src_machine']} ({r['src']}) -> {r['dst_machine']} ({r['dst']}), "
        f"migrated at poll-point passage {r['at']}",
        f"stream: {r['tx_bytes']:,} bytes, {r['blocks']:,} blocks, {r['frames']} frame(s)",
    ]
    if r["failed"]:
        lines.append(f"MIGRATION FAILED: {r['failure']}; the source continued and "
                     f"{'finished correctly' if r['verified'] else 'did NOT finish correctly'}")
        return "\n".join(lines)
    lines += [
        f"  {'phase':8} {'seconds':>10} {'instructions':>14}",
        f"  {'scan':8} {r['scan_s']:>10.4f} {r['scan_instructions']:>14,}",
        f"  {'tx':8} {r['tx_s']:>10.4f} {'(' + r['tx_model'] + ')':>14}",
        f"  {'restore':8} {r['restore_s']:>10.4f} {r['restore_instructions']:>14,}",
        f"  {'migrate':8} {r['migrate_s']:>10.4f}",
        f"output bit-identical to an unmigrated run: {'yes' if r['verified'] else 'NO'}; "
        f"round trip identical: {r['roundtrip_identical']}",
    ]
    return "\n".join(lines)


