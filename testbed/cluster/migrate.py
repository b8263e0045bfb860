"""MpPVM: migrating one task of a running PVM job to another host, of either ISA.

The scheduler interface (docs/mppvm.md):

* ``MigrationRequest(task, host, at_s=None, at_passage=None)``: task is the index in
  start order (0 the first task); given to ``run_program(..., migrations=[...])`` or
  ``CoSim.schedule()`` before the run: at a simulated time, or at the task's K-th
  poll-point passage.
* ``CoSim.request_migration(task_index, host) -> simpy.Event`` while the run goes on; the
  event's value is the migration's record (``MigrationRecord.to_dict()``) as it is when the
  task runs again; ``forwarded``, ``messages_moved``, ``delay_to_others_s`` and
  ``verified`` are final only in the run's records (``ClusterResult.migrations``).

One migration, in simulated time (docs/mppvm.md has the sequence diagram):

1. The destination is pre-initialised: the task's migratable build for the target ISA
   is loaded and waits at start-up for a stream (not migration time).
2. The source is asked to stop at its next poll-point; if it is blocked in ``pvm_recv``
   its wait ends with ``PVM_RECV_POLL`` so that it passes the poll-point in pvm_recv at
   once. It unwinds and collects (Scan, priced on its CPU like any computation); its
   daemon keeps queueing what arrives for it.
3. The stream crosses the cluster's network on a TCP connection (Tx), sharing the
   Ethernet with the job's own traffic.
4. The destination validates and restores (Restore, on its CPU). Only then is the move
   committed: Mpd's location of the task changes, the messages queued at the old host
   follow on the same connection, and the source copy exits. If anything failed before
   (a refused stream, a cut link, a fault at the destination), the source resumes from
   its own stream and nothing has moved.
5. Messages still on their way to the old host are forwarded by its daemon on arrival;
   their senders' daemons learn the new location from the first forward (Mpd._land).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import simpy

from testbed.cluster import pvmargs
from testbed.emu.costmodel import Tally
from testbed.emu.guest import Guest
from testbed.errors import ConfigError, StreamError, TestbedError
from testbed.migration.host import MigrationPort
from testbed.protocol import Event

if TYPE_CHECKING:
    from testbed.cluster.cosim import CoSim, Task

FAULTS = ("refuse", "link", "destination")  # injectable failures (tests, CLI --fail)


@dataclass(frozen=True)
class MigrationRequest:
    """Migrate task ``task`` (index in start order) to ``host``, at simulated second
    ``at_s`` or at the task's ``at_passage``-th poll-point passage (exactly one of them)."""

    task: int
    host: str
    at_s: float | None = None
    at_passage: int | None = None

    def __post_init__(self) -> None:
        if (self.at_s is None) == (self.at_passage is None):
            raise ConfigError(f"migration of task {self.task} to {self.host}: give a time or a passage, not "
                              f"{'both' if self.at_s is not None else 'neither'}")
        if self.task < 0:
            raise ConfigError(f"migration task index {self.task}: must be 0 or more (0 is the first task)")
        if self.at_s is not None and self.at_s < 0:
            raise ConfigError(f"migration of task {self.task} at {self.at_s} s: a time must be >= 0")
        if self.at_passage is not None and self.at_passage < 1:
            raise ConfigError(f"migration of task {self.task} at #{self.at_passage}: passages count from 1")


def parse_migration(text: str) -> MigrationRequest:
    """``TASK:HOST@WHEN`` (the CLI's --migrate): WHEN a simulated second, or ``#K``."""
    task, sep, rest = text.partition(":")
    host, at, when = rest.partition("@")
    if not sep or not at or not task.strip().isdigit() or not host or not when:
        raise ConfigError(f"--migrate {text!r}: expected TASK:HOST@WHEN, e.g. 1:dec3@0.5 or 0:ipc2@#4 "
                          "(TASK the index in start order, WHEN seconds or #K for the K-th poll-point passage)")
    try:
        if when.startswith("#"):
            return MigrationRequest(int(task), host, at_passage=int(when[1:]))
        return MigrationRequest(int(task), host, at_s=float(when))
    except ValueError:
        raise ConfigError(f"--migrate {text!r}: WHEN {when!r} is neither seconds nor #K") from None


def parse_fault(text: str) -> tuple[int, str]:
    """``TASK:KIND`` (the CLI's --fail): the task's next migration fails that way."""
    task, _sep, kind = text.partition(":")
    if not task.isdigit() or kind not in FAULTS:
        raise ConfigError(f"--fail {text!r}: expected TASK:KIND with KIND one of {', '.join(FAULTS)}")
    return int(task), kind


@dataclass
class MigrationRecord:
    """What one migration did (the JSON ``migrations`` entries)."""

    task: int
    tid: int
    src_host: str
    dst_host: str
    src_isa: str
    dst_isa: str
    at_s: float  # when it was requested
    ok: bool = False
    error: str = ""
    stopped_s: float = 0.0  # the task stopped at its poll-point (collection done)
    resumed_s: float = 0.0  # it runs on (at the destination, or again at the source)
    scan_s: float = 0.0
    tx_s: float = 0.0
    restore_s: float = 0.0
    stream_bytes: int = 0
    in_stream: int = 0  # received messages not yet unpacked, inside the task's buffers
    drained: int = 0  # queued at the old host when the move committed: they follow the stream
    forwarded: int = 0  # reached the old host afterwards and were forwarded
    messages_moved: int = 0
    delay_to_others_s: float = 0.0  # other tasks' waiting time while this one was stopped
    verified: bool | None = None  # the job's output equals the reference and the ledger is clean

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Migrator:
    """The migrations of one co-simulation: requests, the protocol, the records."""

    def __init__(self, cosim: CoSim) -> None:
        self.cosim = cosim
        self.records: list[MigrationRecord] = []
        self.faults: dict[int, list[str]] = {}  # task index -> failures for its next migrations
        self._by_passage: dict[int, list[tuple[int, str, simpy.Event]]] = {}

    @property
    def env(self) -> simpy.Environment:
        return self.cosim.sim.env

    # ---------------------------------------------------------------- requests

    def schedule(self, request: MigrationRequest) -> simpy.Event:
        """Arrange a request before or during the run; the event fires with its record."""
        self.cosim.cluster.host(request.host)  # an unknown host is refused now, by name
        done = self.env.event()
        if request.at_passage is not None:
            task = self.cosim.task_at(request.task)
            if task is None:
                self._by_passage.setdefault(request.task, []).append((request.at_passage, request.host, done))
            else:
                self._arm_passage(task, request.at_passage, request.host, done)
        else:
            self.env.process(self._at_time(request, done))
        return done

    def _at_time(self, request: MigrationRequest, done: simpy.Event) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(max((request.at_s or 0.0) - self.env.now, 0.0))
        task = self.cosim.task_at(request.task)
        if task is None:
            done.succeed(self._refused(request.task, None, request.host,
                                       f"no task {request.task} at {self.env.now:.6f} s "
                                       f"(only {len(self.cosim.order)} have started)").to_dict())
            return
        self.env.process(self.migrate(task, request.host, done))

    def started(self, task: Task) -> None:
        """A task started: arm the passage-count requests waiting for it."""
        for passage, host, done in self._by_passage.pop(task.index, []):
            self._arm_passage(task, passage, host, done)

    def _arm_passage(self, task: Task, passage: int, host: str, done: simpy.Event) -> None:
        self.env.process(self._armed(task, passage, host, done))

    def _armed(self, task: Task, passage: int, host: str, done: simpy.Event) -> Generator[simpy.Event, Any, None]:
        """Passages count from the task's start, or from the end of its previous migration."""
        while task.migration is not None or task.collected is not None:
            yield task.migration or task.collected
        if task.port is not None and not task.done:
            task.collected = self.env.event()
            task.port.request_at(passage)
        yield from self.migrate(task, host, done, armed=True)

    def pending_at_end(self) -> None:
        """The run is over: requests for tasks that never started fail."""
        for index, waiting in self._by_passage.items():
            for _passage, host, done in waiting:
                done.succeed(self._refused(index, None, host, f"task {index} never started").to_dict())
        self._by_passage.clear()

    # ---------------------------------------------------------------- one migration

    def migrate(self, task: Task, host_name: str, done: simpy.Event,
                armed: bool = False) -> Generator[simpy.Event, Any, None]:
        while not armed and (task.migration is not None or task.collected is not None):
            yield task.migration or task.collected  # one at a time per task: queue behind
        dst_host = self.cosim.cluster.host(host_name)
        record = MigrationRecord(task.index, task.tid, task.host.name, dst_host.name, task.host.isa, dst_host.isa,
                                 at_s=self.env.now)
        self.records.append(record)
        if task.done or task.port is None or dst_host.name == task.host.name:
            why = ("it has finished" if task.done else "it is not a migratable build" if task.port is None
                   else f"it already runs on {dst_host.name}")
            if armed and task.port is not None:
                task.port.cancel_request()
                task.collected = None
            record.error = f"task {task.index} (t{task.tid:x}) cannot migrate to {dst_host.name}: {why}"
            done.succeed(record.to_dict())
            return
        task.migration = self.env.event()
        fault = self.faults.get(task.index, [])
        fault_kind = fault.pop(0) if fault else None
        dst_guest, dst_port = self.cosim.preinitialise(task, dst_host, fault_kind == "destination")
        if not armed:
            task.collected = self.env.event()
            task.port.request_next_poll()
            self._wake(task)
        stream = yield task.collected
        task.collected = None
        if stream is None:
            record.error = f"task {task.index} (t{task.tid:x}) finished before reaching a poll-point"
            self._finish(task, record, done)
            return
        src_guest, src_port = task.guest, task.port
        record.stopped_s = self.env.now
        record.stream_bytes = len(stream)
        record.scan_s = _last(src_port, Event.UNWIND_BEGIN, Event.COLLECT_END).seconds(src_guest.profile)
        record.in_stream = held_messages(src_guest)
        t0 = self.env.now
        ok, reason = yield from self._transfer(task.host.name, dst_host.name, len(stream), fault_kind == "link")
        record.tx_s = self.env.now - t0
        if not ok:
            self._abort(task, record, done, f"the transfer to {dst_host.name} failed: {reason}")
            return
        delivered = _tampered(stream) if fault_kind == "refuse" else stream
        try:
            restore_s = self._restore(dst_guest, dst_port, delivered)
        except Exception as exc:  # noqa: BLE001 - no failure at the destination may lose the task
            kind = "refused the stream" if isinstance(exc, StreamError) else "failed"
            self._abort(task, record, done, f"the destination {dst_host.name} {kind}: {exc}")
            return
        yield self.cosim.cpu(dst_host.name).job(restore_s)
        record.restore_s = restore_s
        # commit: the task is now at the destination; what was queued for it follows
        box = self.cosim.mpd.boxes[task.tid]
        queued = sum(len(m.body) + self.cosim.cluster.pvmd.header_bytes for m in box.queue)
        record.drained = len(box.queue)
        source_host = task.host.name
        self.cosim.mpd.move(task.tid, dst_host.name)
        if queued:
            yield from self._transfer(source_host, dst_host.name, queued, False)
        src_port.decide(resume=False)  # the source copy exits
        src_guest.run()
        self.cosim.moved(task, dst_host, dst_guest, dst_port)
        record.ok = True
        self._finish(task, record, done)

    def _finish(self, task: Task, record: MigrationRecord, done: simpy.Event) -> None:
        record.resumed_s = self.env.now
        record.messages_moved = record.in_stream + record.drained
        event, task.migration = task.migration, None
        if task.decision is not None:
            task.decision.succeed()
        if event is not None:
            event.succeed()
        done.succeed(record.to_dict())

    def _abort(self, task: Task, record: MigrationRecord, done: simpy.Event, error: str) -> None:
        """Nothing moved: the source resumes from its own stream."""
        record.error = error
        task.port.cancel_request()
        task.port.decide(resume=True)
        self._finish(task, record, done)

    def _wake(self, task: Task) -> None:
        """A task blocked in pvm_recv is sent to its poll-point (HC_PVM_RECV answers POLL)."""
        box = self.cosim.mpd.boxes[task.tid]
        if task.pollable_wait and box.waiting is not None:
            event = box.waiting[2]
            box.waiting = None
            event.succeed(None)

    def _transfer(self, src: str, dst: str, nbytes: int, cut: bool) -> Generator[simpy.Event, Any, tuple[bool, str]]:
        """``nbytes`` over a new TCP connection on the cluster's network; (ok, why not)."""
        failure: list[str] = []
        arrived = self.env.event()
        conn = self.cosim.mpd.net.tcp(src, dst, lambda why: failure.append(why) or _fire(arrived))

        def data(total: int) -> None:
            if total >= nbytes:
                _fire(arrived)

        conn.on_data = data
        yield conn.connect() | arrived
        if failure:
            return False, failure[0]
        conn.closed = True  # push every byte at once (no Nagle hold-back at the end)
        conn.write(nbytes)
        if cut:  # the link goes down once a third of the stream is across
            watch = self.env.process(_cut_when(conn, nbytes // 3, arrived, failure))
            yield arrived
            if watch.is_alive:
                watch.interrupt()
        else:
            yield arrived
        conn.finish()
        return (False, failure[0]) if failure else (True, "")

    def _restore(self, guest: Guest, port: MigrationPort, stream: bytes) -> float:
        """Deliver, validate and restore at the destination (it pauses when restored);
        the seconds its CPU needed."""
        port.deliver(stream)
        port.on_event[Event.RESTORE_END] = lambda p: p.guest.pause()
        result = guest.run()
        del port.on_event[Event.RESTORE_END]
        if result is not None or not any(e == Event.RESTORE_END for e, _ in port.events):
            raise TestbedError("the destination ran to its end instead of restoring")
        return _last(port, Event.RESTORE_BEGIN, Event.RESTORE_END).seconds(guest.profile)

    def _refused(self, index: int, task: Task | None, host: str, error: str) -> MigrationRecord:
        record = MigrationRecord(index, task.tid if task else 0, task.host.name if task else "", host,
                                 task.host.isa if task else "", "", at_s=self.env.now, error=error)
        self.records.append(record)
        return record

    # ---------------------------------------------------------------- after the run

    def finalise(self, waits: dict[int, list[tuple[float, float]]], verified: bool | None) -> None:
        """Forwarded counts, the others' delay and the verdict, once the run is over."""
        forwards = self.cosim.mpd.ledger.forwards
        for r in self.records:
            if not r.ok:
                continue
            r.forwarded = sum(1 for _s, d, _q, at, _to in forwards if d == r.tid and at == r.src_host)
            r.messages_moved = r.in_stream + r.drained + r.forwarded
            r.delay_to_others_s = sum(max(0.0, min(end, r.resumed_s) - max(start, r.stopped_s))
                                      for tid, spans in waits.items() if tid != r.tid for start, end in spans)
            r.verified = verified


def held_messages(guest: Guest) -> int:
    """Received messages the task holds in its buffers, not yet fully unpacked."""
    base, size = guest.symbol("pvm_buffers"), pvmargs.BUFFER.size(guest)
    held = 0
    for i in range(pvmargs.BUFFERS):
        b = pvmargs.BUFFER.read(guest, base + i * size)
        held += bool(b["used"] and b["data"] and b["source"] and b["position"] < b["length"])
    return held


def _last(port: MigrationPort, begin: int, end: int) -> Tally:
    """The latest occurrence of a phase (a task that migrated before has older ones)."""
    return port.tally(begin, end, sum(1 for e, _ in port.events if e == end) - 1)


def _tampered(stream: bytes) -> bytes:
    """The stream with one byte of its body flipped: its checksum no longer matches."""
    middle = len(stream) // 2
    return stream[:middle] + bytes([stream[middle] ^ 0xFF]) + stream[middle + 1:]


def _fire(event: simpy.Event) -> None:
    if not event.triggered:
        event.succeed()


def _cut_when(conn: Any, nbytes: int, arrived: simpy.Event, failure: list[str]) -> Generator[simpy.Event, Any, None]:
    try:
        while conn.rcv_nxt < nbytes and not arrived.triggered:
            yield conn.sim.env.timeout(1e-4)
    except simpy.Interrupt:
        return
    if not arrived.triggered:
        failure.append(f"the link went down after {conn.rcv_nxt:,} of the stream's bytes")
        conn.finish()
        arrived.succeed()
