"""Migration streams as files: saved by ``testbed run --save-stream``, read by ``testbed
stream show`` and restored by ``testbed stream restore``.

A saved stream is two files: ``FILE`` holds the stream's bytes exactly as they travelled
(docs/stream-format.md), and ``FILE.json`` the request it belongs to (program, size,
source ISA, passage, runtime) and what the source printed before migrating, so that a
restore can be pre-initialised for that migration and its answer verified. A stream
without its description can still be shown and restored: the program is found by the
stream's Type-Information fingerprint, and the size must then be given.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from testbed.build.migratable import migratable_source, site_table, type_table
from testbed.emu.machines import resolve
from testbed.errors import ConfigError, GuestFault, StreamError
from testbed.migration.decode import StreamMap, read_header_fields, walk
from testbed.migration.run import MigrationSpec, binding, reference_output, resolve_at, start_guest
from testbed.programs import PROGRAMS
from testbed.protocol import ISA_NAMES, STREAM_MAGIC, Event


@dataclass(frozen=True)
class SavedRequest:
    """The migration a saved stream belongs to."""

    program: str
    size: str
    src: str
    at: int
    runtime: str
    source_output: str  # what the source printed before the stream was collected
    binding: int  # the migration's binding: a destination restoring it is bound to it


def description_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def save(path: str | Path, stream: bytes, request: SavedRequest) -> None:
    """Write the stream and its description next to it."""
    target = Path(path)
    try:
        target.write_bytes(stream)
        description_path(target).write_text(json.dumps(asdict(request), indent=1) + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot save the stream to {target}: {exc.strerror}; choose a writable path") from None


def load(path: str | Path) -> tuple[bytes, SavedRequest | None]:
    """The stream's bytes and, if its description is next to it, the request."""
    source = Path(path)
    try:
        stream = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the stream file {source}: {exc.strerror}") from None
    described = description_path(source)
    if not described.is_file():
        return stream, None
    try:
        request = SavedRequest(**json.loads(described.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"{described} does not describe a saved migration ({exc}); delete it or fix it") from None
    return stream, request


def fingerprint_of(name: str) -> int:
    return int(json.loads(migratable_source(name).with_suffix(".ti.json").read_text())["fingerprint"])


def identify(stream: bytes, named: str | None = None) -> str:
    """The program a stream belongs to: ``named`` if given (checked), else the registered
    program whose Type-Information fingerprint the stream carries."""
    header = read_header_fields(stream)
    if header["magic"] != STREAM_MAGIC:
        raise StreamError(f"bad magic {header['magic']:#010x}: not a migration stream")
    candidates = [named] if named else sorted(PROGRAMS)
    for name in candidates:
        if fingerprint_of(name) == header["fingerprint"]:
            return name
    if named:
        raise StreamError(f"the stream's fingerprint {header['fingerprint']:#010x} is not {named}'s "
                          f"({fingerprint_of(named):#010x}): it belongs to another program or build")
    raise StreamError(f"no registered program has the stream's fingerprint {header['fingerprint']:#010x}: "
                      "name its program with --program (a registered name or a C file)")


def _leaves(types: list[dict], type_id: int) -> int:
    return types[type_id]["leaves"] if 0 <= type_id < len(types) else 1


def describe(stream: bytes, name: str) -> dict[str, Any]:
    """Everything ``testbed stream show`` prints: header, frames, blocks, pointers."""
    layout: StreamMap = walk(stream, type_table(name), detail=True)
    types = type_table(name)
    sites = site_table(name)
    header = dict(layout.header)
    header["isa_name"] = ISA_NAMES.get(header["isa"], f"unknown({header['isa']})")
    frames = []
    for function, site, values in layout.frames:
        info = sites.get(f"{function}:{site}", {})
        frames.append({"function": function, "site": site, "values": values,
                       "function_name": info.get("function"), "kind": info.get("kind"),
                       "where": info.get("where", "?").rsplit("/", 1)[-1], "live": info.get("live")})
    blocks = [{"id": b.id, "segment": b.segment, "type": b.type,
               "type_name": types[b.type]["name"] if 0 <= b.type < len(types) else "bytes",
               "count": b.count, "locator": b.locator} for b in layout.blocks]
    by_target: dict[str, int] = {}
    for p in layout.pointers:
        if p.block is not None and p.block < len(layout.blocks):
            segment = layout.blocks[p.block].segment
            by_target[segment] = by_target.get(segment, 0) + 1
    data_bytes = sum(end - start for start, end in layout.data_spans)
    return {
        "program": name, "bytes": len(stream), "header": header, "frames": frames, "blocks": blocks,
        "segments": layout.segments(),
        "pointers": {"null": layout.count("null"), "ref": layout.count("ref"), "new": layout.count("new"),
                     "inside_element": sum(1 for p in layout.pointers if p.ordinal and p.block is not None
                                           and p.ordinal % _leaves(types, layout.blocks[p.block].type)),
                     "by_target_segment": by_target,
                     "cycles": layout.ancestors_referenced},
        "live_bytes": layout.live_bytes, "data_bytes": data_bytes, "structure_fields": len(layout.fields),
    }


def collect(request: MigrationSpec) -> tuple[int, bytes, str]:
    """Run the source of ``request`` up to its migration point and collect: (K, the stream,
    what the source printed). Nothing is delivered anywhere."""
    k = resolve_at(request)
    machine = resolve(request.src)
    guest, port = start_guest(request, machine, request.budget)
    port.bind(binding(request))
    port.start_normally()
    port.request_at(k)
    if guest.run() is not None:
        raise GuestFault(f"{request.program} ({request.size}) on {machine.name} finished before poll-point "
                         f"passage {k}: choose a smaller --at")
    return k, port.streams[-1], guest.stdout.decode()


def restore(stream: bytes, dst: str, name: str, size: str, runtime: str = "modern",
            request: SavedRequest | None = None) -> dict[str, Any]:
    """Feed a saved stream to a pre-initialised destination and run it to the end. The
    destination validates it like any other (a refusal raises StreamError); with the
    request, the answer is checked against an unmigrated run's."""
    machine = resolve(dst)
    spec = MigrationSpec(name, size, runtime=runtime)
    guest, port = start_guest(spec, machine, spec.budget)
    # pre-initialised for the described migration; a bare stream names its own
    port.bind(request.binding if request is not None else read_header_fields(stream)["binding"])
    port.deliver(stream)
    result = guest.run()
    if result is None:
        raise GuestFault(f"the destination ({machine.name}) paused instead of finishing")
    restore_phase = port.tally(Event.RESTORE_BEGIN, Event.RESTORE_END)
    verified = None
    if request is not None:
        verified = (result.exit_code == 0
                    and request.source_output + result.stdout
                    == reference_output(name, size, resolve(request.src).name, runtime))
    return {"program": name, "size": size, "runtime": runtime, "dst": machine.isa.name,
            "dst_machine": machine.name, "tx_bytes": len(stream), "exit_code": result.exit_code,
            "output": result.stdout, "restore_instructions": restore_phase.instructions,
            "restore_s": restore_phase.seconds(machine.profile), "dst_instructions": result.instructions,
            "verified": verified}
