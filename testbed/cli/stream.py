"""``testbed stream show|restore``: look inside a saved migration stream, or restore it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from testbed.emu.machines import names as machine_names

SHOWN_BLOCKS = 20  # without --all, the first blocks only (a stream may hold a million)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stream",
        help="show a saved migration stream (like readelf), or restore it on a destination",
        description="Streams saved with `testbed run --save-stream FILE`: FILE holds the stream's bytes, "
        "FILE.json the migration they belong to.",
    )
    cmd = p.add_subparsers(dest="stream_command", metavar="ACTION", required=True)
    show = cmd.add_parser("show", help="header, frames, blocks and pointers of a stream file",
                          description="Walk a stream file with its program's Type-Information (found by the "
                          "stream's fingerprint, or named with --program) and list what it holds.")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--program", default=None, help="the program it belongs to (default: by fingerprint)")
    show.add_argument("--all", action="store_true", help=f"every block (default: the first {SHOWN_BLOCKS})")
    show.add_argument("--json", action="store_true", help="one JSON object instead of the listing")
    show.set_defaults(func=run_show)

    restore = cmd.add_parser("restore", help="feed a stream file to a pre-initialised destination and finish",
                             description="Pre-initialise a destination for the stream's program, deliver the "
                             "stream (validated like any other: a refusal is an error), run it to the end and, "
                             "when FILE.json is there, check the answer against an unmigrated run.")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--dst", required=True, metavar="MACHINE",
                         help=f"destination ISA or machine ({', '.join(machine_names())})")
    restore.add_argument("--program", default=None, help="program (default: FILE.json, else by fingerprint)")
    restore.add_argument("--size", default=None, help="problem size (default: FILE.json; required without it)")
    restore.add_argument("--runtime", default=None, choices=("modern", "classic"),
                         help="runtime design of the destination (default: FILE.json, else modern)")
    restore.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    restore.set_defaults(func=run_restore)


def run_show(args: argparse.Namespace) -> int:
    from testbed.migration.streamfile import describe, identify, load

    stream, request = load(args.file)
    name = identify(stream, args.program or (request.program if request else None))
    info = describe(stream, name)
    if args.json:
        print(json.dumps(info))
    else:
        print(format_listing(args.file, info, args.all))
    return 0


def format_listing(path: str, info: dict[str, Any], every_block: bool) -> str:
    h = info["header"]
    lines = [
        f"Stream file {path}: {info['bytes']:,} bytes, program {info['program']}",
        "Header:",
        f"  magic {h['magic']:#010x}  version {h['version']}  flags {h['flags']:#06x}  "
        f"source ISA {h['isa']} ({h['isa_name']})",
        f"  fingerprint {h['fingerprint']:#010x}  payload {h['payload']:,} bytes  frames {h['frames']}  "
        f"blocks {h['blocks']:,}  binding {h['binding']:#010x}",
        f"Frames ({len(info['frames'])}, outermost first):",
        f"  {'function':>8} {'site':>5} {'values':>6}  where",
    ]
    for f in info["frames"]:
        where = f"{f['function_name'] or '?'} at {f['where']} ({f['kind'] or '?'})"
        lines.append(f"  {f['function']:>8} {f['site']:>5} {f['values']:>6}  {where}")
    segments = ", ".join(f"{n:,} {seg}" for seg, n in sorted(info["segments"].items()))
    lines += [f"Blocks ({len(info['blocks']):,}: {segments or 'none'}):",
              f"  {'id':>7} {'segment':8} {'count':>8} {'locator':>8}  type"]
    shown = info["blocks"] if every_block else info["blocks"][:SHOWN_BLOCKS]
    for b in shown:
        locator = "-" if b["locator"] is None else str(b["locator"])
        lines.append(f"  {b['id']:>7} {b['segment']:8} {b['count']:>8,} {locator:>8}  {b['type_name']} ({b['type']})")
    if len(shown) < len(info["blocks"]):
        lines.append(f"  ... {len(info['blocks']) - len(shown):,} more (--all lists them)")
    p = info["pointers"]
    targets = ", ".join(f"{n:,} into {seg}" for seg, n in sorted(p["by_target_segment"].items()))
    lines += [
        f"Pointers: {p['null']:,} null, {p['ref']:,} references, {p['new']:,} first reaches ({targets}); "
        f"{p['inside_element']:,} inside an element, {p['cycles']:,} to a block still being written (cycles)",
        f"Bytes: {info['live_bytes']:,} of live variables, {info['data_bytes']:,} of primitive data, "
        f"{info['structure_fields']:,} structural fields",
    ]
    return "\n".join(lines)


def run_restore(args: argparse.Namespace) -> int:
    from testbed.errors import ConfigError
    from testbed.migration.streamfile import identify, load, restore

    stream, request = load(args.file)
    name = identify(stream, args.program or (request.program if request else None))
    size = args.size or (request.size if request else None)
    if size is None:
        raise ConfigError(f"{args.file} has no description ({args.file}.json) saying its problem size: "
                          "give it with --size")
    if request is not None and (request.program != name or request.size != size):
        request = None  # restored as another migration than the one described: nothing to verify against
    runtime = args.runtime or (request.runtime if request else "modern")
    record = restore(stream, args.dst, name, size, runtime, request)
    if args.json:
        print(json.dumps(record))
        return 0 if record["verified"] is not False else 1
    print(record["output"], end="")
    verdict = {True: "yes", False: "NO", None: "unknown (no FILE.json)"}[record["verified"]]
    print(f"restored {name} ({size}, {runtime}) on {record['dst_machine']}: {record['tx_bytes']:,} bytes, "
          f"restore {record['restore_instructions']:,} instructions ({record['restore_s']:.4f} s), "
          f"exit {record['exit_code']}; answer bit-identical to an unmigrated run: {verdict}")
    return 0 if record["verified"] is not False and record["exit_code"] == 0 else 1
