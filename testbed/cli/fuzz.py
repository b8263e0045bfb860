"""``testbed fuzz``: the damaged-stream campaign (testbed/fuzz)."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fuzz",
        help="deliver thousands of damaged, forged and swapped streams to destinations; count what gets through",
        description="Mutate valid streams of every program (small), both directions and both runtimes, in "
        "classes (raw flips, CRC-recomputed flips anywhere and in structure only, field edits, overwrites, "
        "truncation, insertion, header edits, swapped streams of another migration), deliver each to a "
        "pre-initialised destination and classify the outcome. Seeded and reproducible. Exits 1 if any "
        "structural mutation escaped or was refused late.",
    )
    p.add_argument("--quick", action="store_true", help="about 1,000 mutations instead of at least 10,000")
    p.add_argument("--seed", type=int, default=1, help="campaign seed (default 1)")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (default: one per core; one with --quick)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    p.set_defaults(func=run_fuzz)


def run_fuzz(args: argparse.Namespace) -> int:
    from testbed.errors import ConfigError
    from testbed.fuzz.campaign import campaign, format_table

    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, not {args.jobs}")
    interactive = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if interactive:
            print(f"\r{done}/{total} chunks", end="", file=sys.stderr, flush=True)

    summary = campaign(args.quick, args.seed, args.jobs, progress).summary()
    if interactive:
        print(file=sys.stderr)
    print(json.dumps(summary) if args.json else format_table(summary))
    return 1 if summary["escapes"] or summary["late_refusals"] else 0
