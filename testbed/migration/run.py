"""One heterogeneous migration, end to end: the service behind ``testbed run``.

1. The destination guest is started first and waits in its start-up hypercall
   (pre-initialised: loaded and waiting before the request, so process start-up is not
   migration time).
2. The source runs until the K-th dynamic poll-point passage, where the scheduler's
   request is honoured: the frames unwind, main collects; the stream is handed over.
3. The transfer model prices Tx. If the link fails, the source resumes from its own
   stream and runs to completion: nothing is lost.
4. The destination restores inside the guest and, for the round-trip check, collects
   again at once: the stream must equal the one received. It resumes and finishes.
5. Source output + destination output must equal the unmigrated reference run's.

Scan is priced from the instructions the source executed between the start of unwinding
and the end of collection; Restore from those the destination executed between the
start of decoding and the innermost frame's resumption.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from testbed.build import build_program
from testbed.build.migratable import build_migratable, site_table, type_table
from testbed.emu.guest import DEFAULT_BUDGET, Guest
from testbed.emu.machines import Machine, resolve
from testbed.errors import ConfigError, GuestFault, StreamError
from testbed.execute import run_native
from testbed.migration.decode import walk
from testbed.migration.host import MigrationPort
from testbed.migration.stream import canonical_body, read_header
from testbed.migration.transfer import Transfer, transfer
from testbed.programs import program
from testbed.protocol import Event


@dataclass(frozen=True)
class MigrationSpec:
    """Everything that determines one migration run."""

    program: str
    size: str = "small"
    src: str = "mipsel"
    dst: str = "sparc"
    at: int | str = 1  # the K-th dynamic poll-point passage, or "P%" of the unmigrated run's
    at_time: float | None = None  # or: the first passage after this simulated second
    network: str = "10mbps"
    mode: str = "network"
    roundtrip: bool = True
    budget: int = DEFAULT_BUDGET
    loss: float = 0.0  # frame loss probability on the link
    fail_at: float | None = None  # simulated second at which the link is cut
    background: float = 0.0  # offered load of other hosts on a shared medium
    runtime: str = "modern"  # the runtime design: modern (default) or classic (the original's)
    # Fault injection: what the link does to the stream in transit (None: nothing).
    tamper: Callable[[bytes], bytes] | None = field(default=None, compare=False)
    save_stream: str | None = None  # write the collected stream (and its request, FILE.json) here


@cache
def passages(name: str, size: str) -> int:
    """Poll-point passages of an unmigrated run (a native build of the migratable program:
    same control flow as on the guests, far faster)."""
    p = program(name)
    build = build_migratable(name, "host")
    proc = run_native(build.path, p.argv(size)[1:], env={"TESTBED_REPORT_PASSAGES": "1"})
    for line in proc.stderr.splitlines():
        if line.startswith("mcl-passages "):
            return int(line.split()[1])
    raise GuestFault(f"the native run of {name} ({size}) did not report its poll-point passages "
                     f"(status {proc.returncode}): {proc.stderr.strip()[:200]}")


def resolve_at(spec: MigrationSpec) -> int:
    """The passage count K the request is for."""
    at = spec.at
    if isinstance(at, str) and at.endswith("%"):
        try:
            share = float(at[:-1])
        except ValueError:
            raise ConfigError(f"--at {at!r}: expected K or P% (e.g. 50%)") from None
        if not 0 < share <= 100:
            raise ConfigError(f"--at {at}: the share must be in (0, 100]")
        return max(1, math.ceil(share / 100 * passages(spec.program, spec.size)))
    try:
        k = int(at)
    except ValueError:
        raise ConfigError(f"--at {at!r}: expected a passage count K or a share P% (e.g. 50%)") from None
    if k < 1:
        raise ConfigError(f"--at must be a poll-point passage count of at least 1, not {k}")
    return k


@cache
def reference_output(name: str, size: str) -> str:
    """Output of the plain (unannotated) program built natively: what every run must print."""
    p = program(name)
    build = build_program(p.name, [p.source], "host")
    proc = run_native(build.path, p.argv(size)[1:])
    if proc.returncode != 0:
        raise GuestFault(f"the reference run of {name} (host) failed with status {proc.returncode}")
    return proc.stdout


def binding(spec: MigrationSpec) -> int:
    """The migration's binding: a digest of its request (docs/stream-format.md, Binding),
    never 0 (no migration named). The same request gives the same process, bit for bit."""
    request = f"{spec.program}|{spec.size}|{spec.src}|{spec.dst}|{spec.at}|{spec.at_time}|{spec.runtime}"
    return zlib.crc32(request.encode()) or 1


def _guest(spec: MigrationSpec, machine: Machine) -> tuple[Guest, MigrationPort]:
    build = build_migratable(spec.program, machine.isa.name, spec.runtime)
    guest = Guest(build.path, machine, program(spec.program).argv(spec.size), budget=spec.budget)
    port = MigrationPort(guest, sites=site_table(spec.program))
    if guest.run() is not None or port.waiting != "start":
        raise GuestFault(f"{spec.program} on {machine.name} did not ask for a stream at start-up: "
                         "is it built with the migration runtime?")
    return guest, port


def migrate(spec: MigrationSpec) -> dict[str, Any]:
    """Run one migration; returns the tidy record ``testbed run --json`` prints."""
    src_m, dst_m = resolve(spec.src), resolve(spec.dst)
    at = resolve_at(spec)
    expected = reference_output(spec.program, spec.size)

    dst, dst_port = _guest(spec, dst_m)  # pre-initialised, waiting for its stream
    src, src_port = _guest(spec, src_m)
    dst_port.bind(binding(spec))  # the destination accepts only this migration's stream
    src_port.bind(binding(spec))
    src_port.start_normally()
    if spec.at_time is not None:
        src_port.count_passages()
        at = _run_until_time(spec, src, src_port)
    else:
        src_port.request_at(at)
    finished = src.run()
    if finished is not None:
        raise ConfigError(
            f"{spec.program} ({spec.size}) finished after {src_port.passages()} poll-point passages, "
            f"before passage {at}: choose a smaller --at"
        )
    stream = src_port.streams[-1]
    if spec.save_stream:
        from testbed.migration.streamfile import SavedRequest, save  # it uses this module

        save(spec.save_stream, stream, SavedRequest(spec.program, spec.size, src_m.isa.name, at, spec.runtime,
                                                    src.stdout.decode(), binding(spec)))
    header = read_header(stream)
    layout = walk(stream, type_table(spec.program))
    function, site = layout.frames[-1][:2]  # the innermost frame is the migration point
    where = site_table(spec.program).get(f"{function}:{site}", {})
    scan = src_port.tally(Event.UNWIND_BEGIN, Event.COLLECT_END)
    # The classic runtime wrote its file item by item: one write() per encoded item.
    write_calls = src_port.items() if spec.runtime == "classic" else 1

    moved: Transfer = transfer(len(stream), src_m, dst_m, spec.network, spec.mode, write_calls=write_calls,
                               loss=spec.loss, fail_at=spec.fail_at, background=spec.background)
    record: dict[str, Any] = {
        "program": spec.program, "size": spec.size, "runtime": spec.runtime,
        "src": src_m.isa.name, "dst": dst_m.isa.name,
        "src_machine": src_m.name, "dst_machine": dst_m.name, "at": at, "at_request": f"t={spec.at_time}s" if spec.at_time is not None else str(spec.at),
        "network": spec.network, "mode": spec.mode, "tx_model": moved.model,
        "tx_bytes": len(stream), "blocks": header.blocks, "frames": header.frames,
        "poll_point": where.get("where", "?").rsplit("/", 1)[-1], "poll_function": where.get("function"),
        "live_bytes": layout.live_bytes, "write_calls": write_calls,
        "scan_instructions": scan.instructions, "scan_s": scan.seconds(src_m.profile),
        **{f"scan_n_{c}": n for c, n in scan.as_dict().items()},  # per instruction class, for calibration
        "tx_s": moved.seconds,
    }
    if moved.failed:
        return _source_continues(record, src, src_port, expected, f"transfer failed: {moved.reason}")

    # The source stays paused until the destination has accepted the stream: a refused
    # stream leaves it able to continue.
    delivered = spec.tamper(stream) if spec.tamper else stream
    dst_port.deliver(delivered)
    if spec.roundtrip:
        dst_port.on_event[Event.RESTORE_END] = MigrationPort.request_next_poll
    try:
        outcome = dst.run()
        roundtrip_identical = None
        if spec.roundtrip:
            if outcome is not None or dst_port.waiting != "stream":
                raise GuestFault("the destination did not collect again for the round-trip check")
            del dst_port.on_event[Event.RESTORE_END]
            roundtrip_identical = canonical_body(dst_port.streams[-1]) == canonical_body(delivered)
            dst_port.cancel_request()
            dst_port.decide(resume=True)
            outcome = dst.run()
    except StreamError as exc:
        return _source_continues(record, src, src_port, expected,
                                 f"the destination ({dst_m.name}) refused the stream: {exc}")
    if outcome is None:
        raise GuestFault(f"the destination ({dst_m.name}) paused unexpectedly instead of finishing")

    src_port.decide(resume=False)
    src_result = src.run()
    if src_result is None or src_result.exit_code != 0:
        raise GuestFault("the source did not exit cleanly after migrating")
    restore = dst_port.tally(Event.RESTORE_BEGIN, Event.RESTORE_END)
    restore_s = restore.seconds(dst_m.profile)
    output = src.stdout.decode() + dst.stdout.decode()
    record.update(_phases(record["scan_s"], restore_s, moved, spec.mode))
    record.update(
        failed=False, failure=None,
        restore_instructions=restore.instructions, restore_s=restore_s,
        **{f"restore_n_{c}": n for c, n in restore.as_dict().items()},
        verified=output == expected and outcome.exit_code == 0,
        roundtrip_identical=roundtrip_identical, completed_on="destination",
        src_instructions=src_result.instructions, dst_instructions=outcome.instructions,
    )
    return record


def _source_continues(record: dict[str, Any], src: Guest, port: MigrationPort, expected: str,
                      reason: str) -> dict[str, Any]:
    """Nothing is lost: the source restores itself from its own stream and finishes."""
    port.cancel_request()
    port.decide(resume=True)
    result = src.run()
    if result is None:
        raise GuestFault("the source paused again instead of finishing")
    record.update(failed=True, failure=reason, restore_instructions=None, restore_s=None,
                  migrate_s=None, verified=result.stdout == expected and result.exit_code == 0,
                  roundtrip_identical=None, completed_on="source")
    return record


def _phases(scan_s: float, restore_s: float, moved: Transfer, mode: str) -> dict[str, Any]:
    """Tx and the phase totals of one mode, from the CPU phases and the transfer."""
    out: dict[str, Any] = {"tx_s": moved.seconds, "tx_model": moved.model}
    if mode == "file":
        out.update(scan_write_s=scan_s + moved.write_s, rcp_s=moved.rcp_s, read_restore_s=moved.read_s + restore_s)
        out["migrate_s"] = out["scan_write_s"] + out["rcp_s"] + out["read_restore_s"]
    else:
        out["migrate_s"] = scan_s + moved.seconds + restore_s
    return out


def reprice(record: dict[str, Any], network: str, mode: str) -> dict[str, Any]:
    """The same emulated migration moved over another network or by another mode: Scan,
    Restore, the stream and the verification are the transfer's inputs, not its outputs,
    so one emulation serves every (network, mode) pair (a sweep's reuse)."""
    if record["failed"]:
        raise ConfigError("a migration whose transfer failed cannot be re-priced")
    moved = transfer(record["tx_bytes"], resolve(record["src_machine"]), resolve(record["dst_machine"]),
                     network, mode, write_calls=record.get("write_calls", 1))
    out = {k: v for k, v in record.items() if k not in ("scan_write_s", "rcp_s", "read_restore_s")}
    out.update(network=network, mode=mode, **_phases(record["scan_s"], record["restore_s"], moved, mode))
    if moved.failed:
        out.update(failed=True, failure=f"transfer failed: {moved.reason}", migrate_s=None)
    return out


def _run_until_time(spec: MigrationSpec, guest: Guest, port: MigrationPort) -> int:
    """Run the source until its simulated time reaches ``spec.at_time``, then request a
    migration at the next poll-point passage; returns that passage's number."""
    clock = guest.machine.clock_hz
    target = float(spec.at_time or 0.0)
    if target < 0:
        raise ConfigError(f"--at-time must be a simulated time in seconds >= 0, not {target}")
    while True:
        elapsed = guest.tally().seconds(guest.profile)
        if elapsed >= target:
            break
        executed = max(guest.instructions, 1)
        cycles_per_instruction = (guest.tally().cycles(guest.profile) / executed) if guest.instructions else 1.0
        step = max(10_000, int((target - elapsed) * clock / max(cycles_per_instruction, 0.1)))
        if guest.run(pause_at=guest.instructions + step) is not None:
            raise ConfigError(f"{spec.program} ({spec.size}) finished at {guest.tally().seconds(guest.profile):.4f} "
                              f"simulated seconds, before --at-time {target}")
        if not guest.limit_reached:
            raise GuestFault("the source paused unexpectedly before its migration time")
    passed = port.passages()
    port.request_next_poll()
    return passed + 1
