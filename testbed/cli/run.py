"""``testbed run``: migrate a program between two machines mid-computation."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from testbed.build import RUNTIMES
from testbed.emu.machines import names as machine_names
from testbed.limits import DEFAULT_BUDGET
from testbed.programs import PROGRAMS, SIZE_NAMES

if TYPE_CHECKING:  # the migration stack is imported only when a command runs
    from testbed.migration.record import MigrationRecord


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="migrate a program from one machine to another mid-computation and verify it",
        description="Run PROGRAM on the source machine up to a poll-point, collect its state inside "
        "the guest, move the stream, restore it inside the pre-initialised destination guest, "
        "finish there, and check the output is bit-identical to an unmigrated run.",
    )
    p.add_argument("program", metavar="PROGRAM",
                   help=f"one of {', '.join(sorted(PROGRAMS))}, or a path to a plain C program")
    p.add_argument("--src", default="mipsel", metavar="MACHINE",
                   help=f"source ISA or machine ({', '.join(machine_names())}; default mipsel)")
    p.add_argument("--dst", default="sparc", metavar="MACHINE",
                   help="destination ISA or machine (default sparc)")
    p.add_argument("--size", default="paper1",
                   help=f"problem size: {', '.join(SIZE_NAMES)} or a positive integer (default paper1)")
    p.add_argument("--at", default="50%", metavar="K|P%",
                   help="migrate at the K-th dynamic poll-point passage, or at P%% of the passages of an "
                        "unmigrated run (default 50%%)")
    p.add_argument("--at-time", type=float, default=None, metavar="T",
                   help="migrate at the first poll-point passage after simulated second T on the source")
    p.add_argument("--network", default="10mbps", help="10mbps or 100mbps (default 10mbps)")
    p.add_argument("--mode", default="network", choices=("network", "file"),
                   help="network: TCP into the waiting process; file: disk, rcp, disk")
    p.add_argument("--loss", type=float, default=0.0, metavar="P", help="frame loss probability (default 0)")
    p.add_argument("--fail-at", type=float, default=None, metavar="T",
                   help="cut the link at simulated second T of the transfer: the source must carry on")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the link's random choices (loss, backoff, background traffic; default 0): "
                        "the same seed gives the same run")
    p.add_argument("--background", type=float, default=0.0, metavar="LOAD",
                   help="offered load of other hosts on the shared 10 Mb/s medium (0..1)")
    p.add_argument("--runtime", default="modern", choices=RUNTIMES,
                   help="runtime design: modern (default) or classic (the original's: sorted table, "
                        "first-fit allocator, one write() per item in file mode)")
    p.add_argument("--no-roundtrip", dest="roundtrip", action="store_false",
                   help="skip the round-trip check (collect again right after restoring)")
    p.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                   help=f"instruction budget of each guest before it is stopped (default {DEFAULT_BUDGET:,})")
    p.add_argument("--save-stream", metavar="FILE", default=None,
                   help="save the collected stream to FILE (and its request to FILE.json) for testbed stream")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_migration)


def run_migration(args: argparse.Namespace) -> int:
    from testbed.migration.run import MigrationSpec, migrate

    spec = MigrationSpec(program=args.program, size=args.size, src=args.src, dst=args.dst, at=args.at,
                         at_time=args.at_time,
                         network=args.network, mode=args.mode, roundtrip=args.roundtrip,
                         loss=args.loss, fail_at=args.fail_at, background=args.background, seed=args.seed,
                         runtime=args.runtime, budget=args.budget, save_stream=args.save_stream)
    record = migrate(spec)
    if args.json:
        print(json.dumps(record.to_dict()))
    else:
        print(format_record(record))
    return 0 if record.verified and not record.failed else 1


def format_record(r: MigrationRecord) -> str:
    s, price = r.stream, r.pricing
    lines = [
        f"{r.program} ({r.size}, {r.runtime} runtime): {r.src} ({r.src_isa}) -> {r.dst} ({r.dst_isa}), "
        f"migrated at poll-point passage {r.at} ({r.poll_point} in {r.poll_function})",
        f"stream: {s.tx_bytes:,} bytes, {s.blocks:,} blocks, {s.call_frames} call frame(s), "
        f"{s.live_bytes:,} bytes of live variables",
    ]
    if r.failure is not None or r.restore is None or price.migrate_s is None:
        failure = f"at {r.failure.phase}: {r.failure.error}" if r.failure else "the destination did not restore"
        lines.append(f"MIGRATION FAILED {failure}; the source continued and "
                     f"{'finished correctly' if r.verified else 'did NOT finish correctly'}")
        return "\n".join(lines)
    if price.mode == "file":
        phases = [("scan+write", price.scan_write_s, f"{r.scan.instructions:,}"),
                  ("rcp", price.rcp_s, ""),
                  ("read+restore", price.read_restore_s, f"{r.restore.instructions:,}")]
    else:
        phases = [("scan", r.scan.seconds, f"{r.scan.instructions:,}"),
                  ("tx", price.tx_s, f"({price.network} TCP)"),
                  ("restore", r.restore.seconds, f"{r.restore.instructions:,}")]
    lines += [f"  {'phase':12} {'seconds':>10} {'instructions':>14}"]
    lines += [f"  {name:12} {sec or 0.0:>10.4f} {extra:>14}" for name, sec, extra in phases]
    lines += [
        f"  {'migrate':12} {price.migrate_s:>10.4f}",
        f"output bit-identical to an unmigrated run on {r.src}: {'yes' if r.verified else 'NO'}; "
        f"round trip identical: {r.roundtrip_identical}; a native host run agrees: "
        f"{'yes' if r.native_agrees else 'no'}",
    ]
    return "\n".join(lines)


