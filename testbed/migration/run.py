"""One heterogeneous migration, end to end: the service behind ``testbed run``.

1. The destination guest is started first and waits in its start-up hypercall
   (pre-initialised: loaded and waiting before the request, so process start-up is not
   migration time).
2. The source runs until the K-th dynamic poll-point passage, where the scheduler's
   request is honoured: the frames unwind, main collects; the stream is handed over.
3. The transfer model prices Tx. If the link fails, the source resumes from its own
   stream and runs to completion: nothing is lost.
4. The destination restores inside the guest and, for the round-trip check, collects
   again at once: the stream must equal the one received. It resumes and finishes. The
   source stays paused until then: if anything fails at the destination (a refused
   stream, a fault after acceptance, its budget, an error on the host side), the source
   resumes from its own stream instead, and the record's failure names the phase.
5. Source output + destination output must equal the reference: the plain program's
   unmigrated run emulated on the source machine (a native host run is a cross-check).

Scan is priced from the instructions the source executed between the start of unwinding
and the end of collection; Restore from those the destination executed between the
start of decoding and the innermost frame's resumption.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache

from testbed.build import build_program, runtime_flags
from testbed.build.migratable import build_migratable, site_table, type_table
from testbed.build.native import passages, run_native
from testbed.emu.costmodel import Tally
from testbed.emu.guest import Guest, RunResult
from testbed.emu.machines import Machine, resolve
from testbed.errors import (
    NO_POLL_POINT,
    ConfigError,
    GuestFault,
    StreamError,
    TestbedError,
    output_tail,
)
from testbed.limits import EXPERIMENT_BUDGET
from testbed.mcl.precompiler import DEFAULT_MAX_COST
from testbed.migration.decode import walk
from testbed.migration.host import MigrationPort
from testbed.migration.record import CpuPhase, Failure, MigrationRecord, Pricing, StreamFacts
from testbed.migration.stream import canonical_body, read_header
from testbed.migration.transfer import Transfer, transfer, write_calls
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
    budget: int = EXPERIMENT_BUDGET
    loss: float = 0.0  # frame loss probability on the link
    fail_at: float | None = None  # simulated second at which the link is cut
    background: float = 0.0  # offered load of other hosts on a shared medium
    seed: int = 0  # seeds the link's random choices (loss, backoff, background traffic)
    runtime: str = "modern"  # the runtime design: modern (default) or classic (the original's)
    dst_budget: int | None = None  # the destination's instruction budget (None: ``budget``)
    max_cost: int = DEFAULT_MAX_COST  # the precompiler's bound on estimated instructions between poll-points
    # Fault injection: what the link does to the stream in transit (None: nothing), and a
    # hook given the destination's port once it has its stream (e.g. to add event handlers).
    tamper: Callable[[bytes], bytes] | None = field(default=None, compare=False)
    destination_hook: Callable[[MigrationPort], None] | None = field(default=None, compare=False)
    save_stream: str | None = None  # write the collected stream (and its request, FILE.json) here


def _last_words(output: str) -> str:
    """What a failed run printed last, for its error message."""
    return f"; its output ends: {output_tail(output)}" if output.strip() else "; it printed nothing"


def _requested_share(at: int | str) -> float | None:
    """The share of ``--at P%`` as a fraction, or None for a passage count K; a malformed
    or out-of-range request is refused before anything runs."""
    if isinstance(at, str) and at.endswith("%"):
        try:
            share = float(at[:-1])
        except ValueError:
            raise ConfigError(f"--at {at!r}: expected K or P% (e.g. 50%)") from None
        if not 0 < share <= 100:
            raise ConfigError(f"--at {at}: the share must be in (0, 100]")
        return share / 100
    try:
        k = int(at)
    except ValueError:
        raise ConfigError(f"--at {at!r}: expected a passage count K or a share P% (e.g. 50%)") from None
    if k < 1:
        raise ConfigError(f"--at must be a poll-point passage count of at least 1, not {k}")
    return None


def resolve_at(spec: MigrationSpec) -> int:
    """The passage count K the request is for."""
    share = _requested_share(spec.at)
    if share is None:
        return int(spec.at)
    return max(1, math.ceil(share * passages(spec.program, spec.size, spec.max_cost)))


@cache
def reference_output(name: str, size: str, machine_name: str, runtime: str = "modern",
                     budget: int = EXPERIMENT_BUDGET) -> str:
    """What every migration from ``machine_name`` must print: the plain (unannotated)
    program run unmigrated, emulated on that machine with the same runtime's allocator (a
    native host run differs wherever the output depends on the data model, e.g. on
    sizeof(long))."""
    p = program(name)
    machine = resolve(machine_name)
    build = build_program(p.name, [p.source], machine.isa.name, extra_flags=runtime_flags(runtime))
    sized = f" ({size})" if p.path is None else ""  # a C file takes no size
    run = f"the unmigrated reference run of {name}{sized} on {machine.name}"
    try:
        result = Guest(build.path, machine, p.argv(size), budget=budget).run()
    except GuestFault as fault:  # the program's own crash: its PC, and what it printed first
        error = type(fault)(f"{run} crashed: {fault}{_last_words(fault.output)}")
        error.output = fault.output
        raise error from None
    if result is None or result.exit_code != 0:
        ended = "paused" if result is None else f"exited with status {result.exit_code}"
        raise GuestFault(f"{run} {ended}{_last_words(result.stdout if result else '')} "
                         "(fix the program or choose another size)")
    return result.stdout


def binding(spec: MigrationSpec) -> int:
    """The migration's binding: a digest of its request (docs/stream-format.md, Binding),
    never 0 (no migration named). The same request gives the same process, bit for bit."""
    # machines by their resolved names: `--src mipsel` and `--src dec5000` are one request
    src, dst = resolve(spec.src).name, resolve(spec.dst).name
    request = f"{spec.program}|{spec.size}|{src}|{dst}|{spec.at}|{spec.at_time}|{spec.runtime}"
    return zlib.crc32(request.encode()) or 1


def reference_for(spec: MigrationSpec) -> str:
    """The reference output a migration of ``spec`` must print (computed once per process)."""
    return reference_output(spec.program, spec.size, resolve(spec.src).name, spec.runtime, spec.budget)


@cache
def native_output(name: str, size: str) -> str | None:
    """Output of the plain program built for the host and run natively (a fast cross-check
    of the reference), or None if that run failed."""
    p = program(name)
    try:
        proc = run_native(build_program(p.name, [p.source], "host").path, p.argv(size)[1:],
                          f"the native run of {name} ({size})")
    except GuestFault:  # crashed or timed out
        return None
    return proc.stdout if proc.returncode == 0 else None


def start_guest(spec: MigrationSpec, machine: Machine, budget: int) -> tuple[Guest, MigrationPort]:
    """The migratable build of the spec's program started on ``machine`` and paused at
    start-up, asking whether it restores: a pre-initialised destination, or a source to
    answer with ``port.start_normally()``."""
    build = build_migratable(spec.program, machine.isa.name, spec.runtime, spec.max_cost)
    guest = Guest(build.path, machine, program(spec.program).argv(spec.size), budget=budget)
    port = MigrationPort(guest, sites=site_table(spec.program, spec.max_cost))
    if guest.run() is not None or port.waiting != "start":
        raise GuestFault(f"{spec.program} on {machine.name} did not ask for a stream at start-up: "
                         "is it built with the migration runtime?")
    return guest, port


@dataclass(frozen=True)
class Migrated:
    """A migration's record with the outputs it was verified by."""

    record: MigrationRecord
    output: str  # what the migrated process printed (on the source, then on the destination)
    expected: str  # what the unmigrated reference run printed


def migrate(spec: MigrationSpec) -> MigrationRecord:
    """Run one migration; returns its record (``testbed run --json`` prints ``to_dict()``)."""
    return migrate_with_output(spec).record


def _quiet(_phase: str) -> None:
    pass


def migrate_with_output(spec: MigrationSpec, on_phase: Callable[[str], None] = _quiet) -> Migrated:
    """Run one migration; its record and outputs. ``on_phase`` hears what it does next (for
    a progress line)."""
    src_m, dst_m = resolve(spec.src), resolve(spec.dst)
    _requested_share(spec.at)  # a malformed --at is refused before anything runs
    on_phase("precompiling")
    sites = site_table(spec.program, spec.max_cost)
    if not any(site["kind"] == "poll" for site in sites.values()):
        raise ConfigError(f"{spec.program}: {NO_POLL_POINT}")
    # The plain program first: its own crash or complaint is named as such (with its PC or
    # its last words), not as a failure of the migratable build.
    on_phase(f"unmigrated reference run on {src_m.name}")
    expected = reference_for(spec)
    on_phase("counting poll-point passages")
    at = resolve_at(spec)

    dst, dst_port = start_guest(spec, dst_m, spec.dst_budget or spec.budget)  # pre-initialised, waiting
    src, src_port = start_guest(spec, src_m, spec.budget)
    dst_port.bind(binding(spec))  # the destination accepts only this migration's stream
    src_port.bind(binding(spec))
    src_port.start_normally()
    if spec.at_time is not None:
        on_phase(f"source on {src_m.name} up to simulated second {spec.at_time}")
        src_port.count_passages()
        at = _run_until_time(spec, src, src_port)
    else:
        src_port.request_at(at)
    on_phase(f"source on {src_m.name} up to poll-point passage {at:,}")
    finished = src.run()
    if finished is not None:
        passed = src_port.passages()
        if passed == 0:
            raise ConfigError(f"{spec.program} ({spec.size}) finished without passing any of its poll-points: "
                              "place `#pragma mcl poll` in a loop that runs, or lower --max-cost")
        raise ConfigError(f"{spec.program} ({spec.size}) finished after {passed:,} poll-point passages, "
                          f"before passage {at:,}: choose a smaller --at")
    stream = src_port.streams[-1]
    if spec.save_stream:
        from testbed.migration.streamfile import SavedRequest, save  # it uses this module

        save(spec.save_stream, stream, SavedRequest(spec.program, spec.size, src_m.isa.name, at, spec.runtime,
                                                    src.stdout.decode(), binding(spec)))
    header = read_header(stream)
    layout = walk(stream, type_table(spec.program, spec.max_cost))
    function, site = layout.frames[-1][:2]  # the innermost frame is the migration point
    where = sites.get(f"{function}:{site}", {})
    scan = _cpu_phase(src_port.tally(Event.UNWIND_BEGIN, Event.COLLECT_END), src_m)
    calls = write_calls(src_m, len(stream), spec.runtime)
    items = src_port.items() if spec.runtime == "classic" else 0

    on_phase(f"moving {len(stream):,} bytes ({spec.network}, {spec.mode} mode)")
    moved: Transfer = transfer(len(stream), src_m, dst_m, spec.network, spec.mode, runtime=spec.runtime,
                               items=items, loss=spec.loss, fail_at=spec.fail_at, background=spec.background,
                               seed=spec.seed)
    base = MigrationRecord(
        program=spec.program, size=spec.size, runtime=spec.runtime,
        src=src_m.name, dst=dst_m.name, src_isa=src_m.isa.name, dst_isa=dst_m.isa.name, at=at,
        at_request=f"t={spec.at_time}s" if spec.at_time is not None else str(spec.at),
        poll_point=where.get("where", "?").rsplit("/", 1)[-1], poll_function=where.get("function"),
        stream=StreamFacts(len(stream), header.blocks, header.frames, layout.live_bytes, calls, items),
        scan=scan, pricing=_pricing(scan.seconds, None, moved, spec.network, spec.mode, spec.loss, spec.seed),
        restore=None,
        verified=False, roundtrip_identical=None, completed_on="source",
        native_agrees=native_output(spec.program, spec.size) == expected,
    )
    if moved.failed:
        on_phase(f"the transfer failed: the source finishes on {src_m.name}")
        return _source_continues(base, src, src_port, expected, Failure("transfer", f"transfer failed: {moved.reason}"))

    # The source stays paused until the destination has finished: whatever fails there
    # (a refused stream, a fault after acceptance, its budget, an error on the host side),
    # the source resumes from its own state and finishes.
    on_phase(f"restoring and finishing on {dst_m.name}")
    try:
        outcome, roundtrip_identical = _run_destination(spec, dst, dst_port, stream)
    except Exception as exc:  # noqa: BLE001 - no failure at the destination may lose the process
        failure = Failure(_destination_stage(dst_port, spec.roundtrip), _describe(exc, dst_m))
        on_phase(f"the destination failed: the source finishes on {src_m.name}")
        return _source_continues(replace(base, restore=_restore_phase(dst_port, dst_m),
                                         dst_instructions=dst.instructions),
                                 src, src_port, expected, failure)

    src_port.decide(resume=False)
    src_result = src.run()
    if src_result is None or src_result.exit_code != 0:
        raise GuestFault("the source did not exit cleanly after migrating")
    restore = _restore_phase(dst_port, dst_m)
    assert restore is not None  # the destination finished, so it restored
    output = src.stdout.decode(errors="replace") + dst.stdout.decode(errors="replace")
    record = replace(
        base, restore=restore,
        pricing=_pricing(scan.seconds, restore.seconds, moved, spec.network, spec.mode, spec.loss, spec.seed),
        verified=output == expected and outcome.exit_code == 0,
        roundtrip_identical=roundtrip_identical, completed_on="destination",
        src_instructions=src_result.instructions, dst_instructions=outcome.instructions,
    )
    return Migrated(record, output, expected)


def _run_destination(spec: MigrationSpec, dst: Guest, port: MigrationPort,
                     stream: bytes) -> tuple[RunResult, bool | None]:
    """Deliver the stream, restore, check the round trip (collect again at once: the same
    stream must come out) and run to the end; the destination's result."""
    delivered = spec.tamper(stream) if spec.tamper else stream
    port.deliver(delivered)
    if spec.destination_hook:
        spec.destination_hook(port)
    roundtrip_identical = None
    if spec.roundtrip:
        port.on_event[Event.RESTORE_END] = MigrationPort.request_next_poll
        if dst.run() is not None or port.waiting != "stream":
            raise GuestFault("the destination did not collect again for the round-trip check")
        del port.on_event[Event.RESTORE_END]
        roundtrip_identical = canonical_body(port.streams[-1]) == canonical_body(delivered)
        port.cancel_request()
        port.decide(resume=True)
    outcome = dst.run()
    if outcome is None:
        raise GuestFault("the destination paused unexpectedly instead of finishing")
    return outcome, roundtrip_identical


def _destination_stage(port: MigrationPort, roundtrip: bool) -> str:
    """Where the destination was when it failed: restore, roundtrip or destination (running
    on after it had resumed)."""
    if not any(event == Event.RESTORE_END for event, _ in port.events):
        return "restore"
    if roundtrip and not port.streams:
        return "roundtrip"
    return "destination"


def _describe(exc: Exception, machine: Machine) -> str:
    """One line: what failed on the destination."""
    if isinstance(exc, StreamError):
        return f"the destination ({machine.name}) refused the stream: {exc}"
    if isinstance(exc, TestbedError):
        return f"the destination ({machine.name}) failed: {exc}"
    return f"the host side of the destination ({machine.name}) raised {type(exc).__name__}: {exc}"


def _restore_phase(port: MigrationPort, machine: Machine) -> CpuPhase | None:
    """The destination's Restore, if it got that far."""
    try:
        return _cpu_phase(port.tally(Event.RESTORE_BEGIN, Event.RESTORE_END), machine)
    except GuestFault:
        return None


def _cpu_phase(tally: Tally, machine: Machine) -> CpuPhase:
    return CpuPhase(tally.instructions, tally.seconds(machine.profile), tally.as_dict())


def _source_continues(record: MigrationRecord, src: Guest, port: MigrationPort, expected: str,
                      failure: Failure) -> Migrated:
    """Nothing is lost: the source restores itself from its own stream and finishes."""
    port.cancel_request()
    port.decide(resume=True)
    result = src.run()
    if result is None:
        raise GuestFault("the source paused again instead of finishing")
    record = replace(record, failure=failure, verified=result.stdout == expected and result.exit_code == 0,
                     completed_on="source", src_instructions=result.instructions)
    return Migrated(record, result.stdout, expected)


def _pricing(scan_s: float, restore_s: float | None, moved: Transfer, network: str, mode: str,
             loss: float = 0.0, seed: int = 0) -> Pricing:
    """Tx and the phase totals of one (network, mode), from the CPU phases and the transfer;
    no totals for a migration that did not complete (``restore_s`` None) or whose transfer
    failed."""
    price = Pricing(network, mode, moved.model, moved.seconds, moved.eth_frames, loss=loss, seed=seed)
    if restore_s is None or moved.failed:
        return price
    if moved.write_s is None:  # network mode, modern runtime: the CPU phases and the transfer
        return replace(price, migrate_s=scan_s + moved.seconds + restore_s)
    # file mode, and the classic runtime's item-by-item socket calls in network mode: the
    # source's writes join its collection, the destination's reads its restoration
    scan_write_s = scan_s + moved.write_s
    read_restore_s = (moved.read_s or 0.0) + restore_s
    if mode != "file":
        return replace(price, scan_write_s=scan_write_s, read_restore_s=read_restore_s,
                       migrate_s=scan_write_s + moved.seconds + read_restore_s)
    rcp_s = moved.rcp_s or 0.0
    return replace(price, scan_write_s=scan_write_s, rcp_s=rcp_s, read_restore_s=read_restore_s,
                   migrate_s=scan_write_s + rcp_s + read_restore_s)


def reprice(record: MigrationRecord, network: str, mode: str) -> MigrationRecord:
    """The same emulated migration moved over another network or by another mode: Scan,
    Restore, the stream and the verification are the transfer's inputs, not its outputs,
    so one emulation serves every (network, mode) pair (a sweep's reuse)."""
    if record.failed or record.restore is None:
        raise ConfigError("a migration that did not complete on its destination cannot be re-priced")
    moved = transfer(record.stream.tx_bytes, resolve(record.src), resolve(record.dst),
                     network, mode, runtime=record.runtime, items=record.stream.items)
    priced = replace(record, pricing=_pricing(record.scan.seconds, record.restore.seconds, moved, network, mode))
    if moved.failed:
        return replace(priced, failure=Failure("transfer", f"transfer failed: {moved.reason}"))
    return priced


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
