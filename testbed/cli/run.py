"""``testbed run``: migrate a program between two machines mid-computation."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import TYPE_CHECKING

from testbed.build import RUNTIMES
from testbed.cli import progress
from testbed.cli.args import (
    machine,
    migratable_program,
    non_negative_float,
    output_file,
    positive_int,
)
from testbed.emu.machines import names as machine_names
from testbed.limits import DEFAULT_BUDGET, EXPERIMENT_BUDGET, default_budget
from testbed.mcl.precompiler import DEFAULT_MAX_COST
from testbed.programs import PROGRAMS, SIZE_NAMES

if TYPE_CHECKING:  # the migration stack is imported only when a command runs
    from testbed.migration.record import MigrationRecord

DIFF_LINES = 40  # of a mismatch's unified diff shown after the NO line


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="migrate a program from one machine to another mid-computation and verify it",
        description="Run PROGRAM on the source machine up to a poll-point, collect its state inside "
        "the guest, move the stream, restore it inside the pre-initialised destination guest, "
        "finish there, and check the output is bit-identical to an unmigrated run.",
    )
    p.add_argument("program", metavar="PROGRAM", type=migratable_program,
                   help=f"one of {', '.join(sorted(PROGRAMS))}, or a path to a plain C program (UTF-8)")
    p.add_argument("--src", default="mipsel", metavar="MACHINE", type=machine,
                   help=f"source ISA or machine ({', '.join(machine_names())}; default mipsel)")
    p.add_argument("--dst", default="sparc", metavar="MACHINE", type=machine,
                   help="destination ISA or machine (default sparc)")
    p.add_argument("--size", default="paper1",
                   help=f"problem size: {', '.join(SIZE_NAMES)} or a positive integer (default paper1)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", default=None, metavar="K|P%",
                      help="migrate at the K-th dynamic poll-point passage, or at P%% of the passages of an "
                           "unmigrated run (default 50%%)")
    when.add_argument("--at-time", type=non_negative_float, default=None, metavar="T",
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
    p.add_argument("--budget", type=positive_int, default=None, metavar="N",
                   help=f"instruction budget of each guest before it is stopped (default {EXPERIMENT_BUDGET:,} for a registered "
                        f"program at a named size, {DEFAULT_BUDGET:,} otherwise: a C file of yours may never end)")
    p.add_argument("--max-cost", type=positive_int, default=DEFAULT_MAX_COST, metavar="N",
                   help="the precompiler's bound on estimated instructions between poll-points: lower it "
                        f"for more poll-points (default {DEFAULT_MAX_COST:,})")
    p.add_argument("--show-output", action="store_true",
                   help="print what the migrated program printed (before the report)")
    p.add_argument("--save-stream", metavar="FILE", default=None, type=output_file,
                   help="save the collected stream to FILE (and its request to FILE.json) for testbed stream")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_migration)


def run_migration(args: argparse.Namespace) -> int:
    from testbed.migration.run import MigrationSpec, migrate_with_output

    spec = MigrationSpec(program=args.program, size=args.size, src=args.src, dst=args.dst,
                         at=args.at if args.at is not None else "50%", at_time=args.at_time,
                         network=args.network, mode=args.mode, roundtrip=args.roundtrip,
                         loss=args.loss, fail_at=args.fail_at, background=args.background, seed=args.seed,
                         runtime=args.runtime, budget=args.budget or default_budget(args.program, args.size), max_cost=args.max_cost,
                         save_stream=str(args.save_stream) if args.save_stream else None)
    migrated = migrate_with_output(spec, on_phase=progress.phase)
    record = migrated.record
    if args.show_output:
        sys.stdout.write(migrated.output)
        sys.stdout.flush()
    if args.json:
        print(json.dumps(record.to_dict()))
    else:
        print(format_record(record))
        if not record.verified:
            print(output_diff(migrated.expected, migrated.output, record.src))
    return 0 if record.verified and not record.failed else 1


def output_diff(expected: str, actual: str, src: str, limit: int = DIFF_LINES) -> str:
    """The first ``limit`` lines of the unified diff of the reference and the migrated output."""
    lines = list(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                      fromfile=f"unmigrated run on {src}", tofile="migrated run"))
    if not lines:  # same text: the output matched, the exit status did not
        return "the output is identical; the migrated program did not exit with status 0"
    shown = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                    for line in lines[:limit])
    more = len(lines) - limit
    return shown.rstrip("\n") + (f"\n... {more} more diff line(s)" if more > 0 else "")


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
    elif price.scan_write_s is not None:  # the classic runtime's socket calls (migration/sockio.py)
        phases = [("scan+write", price.scan_write_s, f"{r.scan.instructions:,}"),
                  ("tx", price.tx_s, f"({price.network} TCP)"),
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


