"""Co-simulation: every PVM task a guest on its own Unicorn instance, all in one SimPy clock.

Each task's SimPy process runs its guest for at most one slice of instructions, or until
the guest makes a PVM call that involves time (send, receive, probe, spawn, kill, exit),
whichever comes first. What the slice executed is priced by the host's cost model and
queued on the host's CPU (together with the protocol work of its stack and pvmd), so the
guest reaches the call at the simulated time its host needed; the call is then performed
at that time. A receive blocks the process until Mpd delivers a matching message.

Calls that only read state (mytid, parent, config, gethostname, message info and body)
are answered inside the trap. A task can be stopped between any two slices: that is the
seam where a later migration request or an owner's return reaches it.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simpy

from testbed.cluster import pvm3, pvmargs
from testbed.cluster.groups import Groups
from testbed.cluster.migratable import build_migratable_task, task_sites
from testbed.cluster.migrate import MigrationRequest, Migrator
from testbed.cluster.mpd import ANY, ROUTE_DEFAULT, ROUTE_DIRECT, Message, Mpd
from testbed.cluster.programs import PVM_ARCH, Placement, build_task, find_task
from testbed.cluster.topology import Cluster, ClusterHost
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.errors import ConfigError, GuestFault, TestbedError
from testbed.limits import EXPERIMENT_BUDGET
from testbed.migration.host import MigrationPort
from testbed.net.engine import Sim
from testbed.protocol import DEFINES, Hypercall

PVM_RECV_POLL = DEFINES["PVM_RECV_POLL"]

SLICE_INSTRUCTIONS = 200_000  # at most ~10-20 ms of a 1990s host: the lateness bound of an event
_TIMED = (Hypercall.PVM_SEND, Hypercall.PVM_MCAST, Hypercall.PVM_RECV, Hypercall.PVM_TRECV,
          Hypercall.PVM_NRECV, Hypercall.PVM_PROBE, Hypercall.PVM_SPAWN, Hypercall.PVM_KILL,
          Hypercall.PVM_EXIT, Hypercall.PVM_BARRIER)


def _signed(word: int) -> int:
    """An int hypercall argument (a register's low 32 bits, ``Isa.hypercall_arg``)."""
    return pvmargs.signed(word, 4)


@dataclass
class Span:
    """One stretch of a task's timeline, for traces: compute, send, or wait."""

    tid: int
    host: str
    kind: str
    start: float
    end: float
    detail: str = ""


@dataclass
class Task:
    tid: int
    parent: int
    name: str
    host: ClusterHost
    guest: Guest
    source: Path
    request: tuple[int, int, int, int] | None = None  # a timed PVM call awaiting the process
    matched: Message | None = None  # received, body not yet fetched
    described: Message | None = None  # what HC_PVM_MSGINFO describes (matched or probed)
    route: str = ROUTE_DEFAULT
    waiting_for: str = ""
    done: bool = False
    exit_code: int | None = None
    stderr: bytearray = field(default_factory=bytearray)
    compute_s: float = 0.0
    process: Any = None
    hold: simpy.Event | None = None  # set while suspended (suspend/resume): the process waits on it
    index: int = 0  # in start order
    argv: tuple[str, ...] = ()
    port: MigrationPort | None = None  # a migratable build's migration hypercalls
    output_prefix: str = ""  # what the task printed on hosts it has left
    pollable_wait: bool = False  # blocked in pvm_recv: a migration request may end the wait
    migration: simpy.Event | None = None  # a migration of this task is in progress
    collected: simpy.Event | None = None  # a migration waits for this task's stream
    decision: simpy.Event | None = None  # the task waits for its migration's outcome

    @property
    def output(self) -> str:
        return self.output_prefix + self.guest.output


class CoSim:
    """One cluster run: the Sim, the daemons, the tasks and their timelines."""

    def __init__(self, cluster: Cluster, *, path: Sequence[Path] = (), seed: int = 0,
                 slice_instructions: int = SLICE_INSTRUCTIONS, budget: int = EXPERIMENT_BUDGET,
                 migratable: bool = False) -> None:
        self.cluster = cluster
        self.sim = Sim(seed)
        self.mpd = Mpd(self.sim, cluster)
        self.placement = Placement(cluster)
        self.path = tuple(path)
        self.slice = slice_instructions
        self.budget = budget
        self.tasks: dict[int, Task] = {}
        self.spans: list[Span] = []
        self._elves: dict[tuple[Path, str], Path] = {}
        self._last_span: dict[int, Span] = {}
        self._classifiers: dict[Path, Any] = {}
        self.groups = Groups(self.sim.env)
        # host -> fraction of its CPU a guest gets (an owner at work, a scaled job); absent = 1
        self.cpu_share: dict[str, float] = {}
        self.migratable = migratable  # tasks are MpPVM builds: they can migrate (docs/mppvm.md)
        self.order: list[int] = []  # tids in start order
        self.migrator = Migrator(self)
        self.host_compute: dict[str, float] = {}  # guest computation per host (tasks move)
        self.finished_s = 0.0  # when the last task ended (timers left behind may run later)

    # ---------------------------------------------------------------- migration (MpPVM)

    def schedule(self, request: MigrationRequest) -> simpy.Event:
        """A migration at a simulated time or poll-point passage (before or during the run)."""
        return self.migrator.schedule(request)

    def request_migration(self, task_index: int, host: str) -> simpy.Event:
        """Migrate task ``task_index`` (start order) to ``host`` now, while the run goes on;
        the event's value is the migration's record (a dict, docs/mppvm.md)."""
        task = self.task_at(task_index)
        if task is None:
            raise ConfigError(f"no task {task_index}: {len(self.order)} have started (0 is the first)")
        self.cluster.host(host)
        done = self.sim.env.event()
        self.sim.env.process(self.migrator.migrate(task, host, done))
        return done

    def task_at(self, index: int) -> Task | None:
        return self.tasks[self.order[index]] if 0 <= index < len(self.order) else None

    def cpu(self, host: str) -> Any:
        return self.mpd.net.hosts[host].cpu

    def preinitialise(self, task: Task, host: ClusterHost, faulty: bool = False) -> tuple[Guest, MigrationPort]:
        """The task's migratable build for ``host``, loaded and waiting at start-up for a
        stream (``faulty``: its budget ends before the restore can, for failure tests)."""
        guest, port = self._waiting_guest(task, host, self.budget)
        if faulty:  # the same start-up (deterministic), then 2,000 instructions of budget
            guest, port = self._waiting_guest(task, host, guest.instructions + 2_000)
        return guest, port

    def _waiting_guest(self, task: Task, host: ClusterHost, budget: int) -> tuple[Guest, MigrationPort]:
        elf = build_migratable_task(task.source, host.isa)
        guest = Guest(elf, resolve(host.machine), list(task.argv), budget=budget)
        guest.meter.classifier = self._classifiers.setdefault(elf, guest.meter.classifier)
        port = MigrationPort(guest, sites=task_sites(task.source))
        self._install(task, guest)
        if guest.run() is not None or port.waiting != "start":
            raise TestbedError(f"the migratable build of {task.name} for {host.name} did not wait for a stream")
        return guest, port

    def moved(self, task: Task, host: ClusterHost, guest: Guest, port: MigrationPort) -> None:
        """Commit: the task's guest is now the restored one on ``host``."""
        task.output_prefix += task.guest.output
        task.guest, task.port, task.host = guest, port, host

    # ---------------------------------------------------------------- running

    def run(self, source: Path, argv: list[str]) -> Task:
        """Start ``source`` as the first task on the first host; run until all are done."""
        first = self.start(source, argv, self.placement.first())
        self.sim.env.run()
        self.migrator.pending_at_end()
        stuck = [t for t in self.tasks.values() if not t.done]
        if stuck:
            waits = "; ".join(f"t{t.tid:x} ({t.name} on {t.host.name}) waits in {t.waiting_for or 'a PVM call'}"
                              for t in stuck)
            raise TestbedError(f"deadlock at {self.sim.now:.6f} s: every remaining task is blocked: {waits}")
        return first

    @property
    def now(self) -> float:
        return self.sim.now

    def _elf(self, source: Path, isa: str) -> Path:
        key = (source, isa)
        if key not in self._elves:
            self._elves[key] = build_task(source, isa)
        return self._elves[key]

    def start(self, source: Path, argv: list[str], host: ClusterHost) -> Task:
        """Start ``source`` as a new top-level task (no parent) on ``host``, without running
        the clock: several jobs can share one co-simulation (testbed/now)."""
        return self._start(Path(source).resolve(), argv, host, pvm3.NO_PARENT)

    def suspend(self, tid: int) -> None:
        """Stop task ``tid`` before its next slice, until :meth:`resume` (Condor's vacate)."""
        task = self.tasks[tid]
        if task.hold is None and not task.done:
            task.hold = self.sim.env.event()

    def resume(self, tid: int) -> None:
        hold, self.tasks[tid].hold = self.tasks[tid].hold, None
        if hold is not None:
            hold.succeed()

    def kill(self, tid: int) -> int:
        """End task ``tid`` now, whatever it is doing (``pvm_kill`` from outside the job)."""
        return self._kill(None, tid)

    def _start(self, source: Path, argv: list[str], host: ClusterHost, parent: int) -> Task:
        machine = resolve(host.machine)
        elf = build_migratable_task(source, host.isa) if self.migratable else self._elf(source, host.isa)
        guest = Guest(elf, machine, argv, budget=self.budget)
        # Tasks of one ELF share its block classifications (the text is the same in each).
        guest.meter.classifier = self._classifiers.setdefault(elf, guest.meter.classifier)
        tid = self.mpd.new_tid(host.name)
        task = Task(tid, parent, source.stem, host, guest, source, index=len(self.order), argv=tuple(argv))
        if self.migratable:
            task.port = MigrationPort(guest, sites=task_sites(source))
            if guest.run() is not None or task.port.waiting != "start":
                raise TestbedError(f"the migratable build of {task.name} did not ask for a stream at start-up")
            task.port.start_normally()
        self._install(task)
        self.tasks[tid] = task
        self.order.append(tid)
        task.process = self.sim.env.process(self._life(task))
        if self.migratable:
            self.migrator.started(task)
        return task

    def _life(self, task: Task) -> Generator[simpy.Event, Any, None]:
        try:
            yield from self._slices(task)
        except simpy.Interrupt:  # pvm_kill: the task is gone, whatever it was doing
            return

    def _slices(self, task: Task) -> Generator[simpy.Event, Any, None]:
        guest = task.guest
        cpu = self.cpu(task.host.name)
        mark = guest.snapshot()
        while True:
            if task.hold is not None:
                held = self.sim.now
                yield task.hold
                self._span(task, "suspended", held, self.sim.now)
            if guest is not task.guest:  # migrated: the restored guest on its new host goes on
                guest, cpu = task.guest, self.cpu(task.host.name)
                mark = guest.snapshot()
            try:
                result = guest.run(pause_at=guest.instructions + self.slice)
            except TestbedError as exc:
                raise type(exc)(f"task t{task.tid:x} ({task.name} on {task.host.name}): {exc}") from None
            now_mark = guest.snapshot()
            seconds = guest.tally(mark, now_mark).seconds(guest.profile)
            mark = now_mark
            if seconds > 0.0:
                start = max(self.sim.now, cpu.free_at)
                yield cpu.job(seconds / self.cpu_share.get(task.host.name, 1.0))
                task.compute_s += seconds
                self.host_compute[task.host.name] = self.host_compute.get(task.host.name, 0.0) + seconds
                self._span(task, "compute", start, self.sim.now)
            if result is not None:
                task.exit_code = result.exit_code
                break
            if task.port is not None and task.port.waiting == "stream":  # collected at a poll-point
                yield from self._stopped(task)
                continue
            if task.request is not None:
                request, task.request = task.request, None
                try:
                    value = yield from self._timed_call(task, *request)
                except GuestFault as exc:  # its arguments point outside the guest's memory
                    raise GuestFault(f"task t{task.tid:x} ({task.name} on {task.host.name}): {exc}") from None
                guest.set_return(value & 0xFFFFFFFF)
                if task.done:
                    return
        task.done = True
        self.finished_s = max(self.finished_s, self.sim.now)
        self.mpd.exited(task.tid)
        if task.collected is not None:  # a requested migration's poll-point never came
            task.collected.succeed(None)

    def _stopped(self, task: Task) -> Generator[simpy.Event, Any, None]:
        """The task has collected its stream: it waits while its migration goes on."""
        assert task.port is not None
        if task.collected is None:  # nobody asked (a stale request): go on at once
            task.port.decide(resume=True)
            return
        task.decision = self.sim.env.event()
        task.waiting_for = "its migration"
        task.collected.succeed(task.port.streams[-1])
        yield task.decision
        task.decision = None
        task.waiting_for = ""

    # ---------------------------------------------------------------- hypercalls

    def _install(self, task: Task, guest: Guest | None = None) -> None:
        """Register the PVM hypercalls on ``guest`` (the task's, or a destination being
        restored: a rewinding frame may re-evaluate pvm_parent() or pvm_mytid())."""
        table = (guest or task.guest).hypercalls
        del table[Hypercall.WRITE]
        table.register(Hypercall.WRITE, lambda g, fd, buf, n: self._write(task, g, fd, buf, n))
        immediate = {
            Hypercall.PVM_MYTID: lambda g, a, b, c: task.tid,
            Hypercall.PVM_PARENT: lambda g, a, b, c: task.parent,
            Hypercall.PVM_CONFIG: lambda g, a, b, c: self._config(g, a, b, c),
            Hypercall.PVM_HOSTNAME: lambda g, a, b, c: self._put_string(g, task.host.name, a, b),
            Hypercall.PVM_MSGINFO: lambda g, a, b, c: self._msginfo(task, g, a),
            Hypercall.PVM_FETCH: lambda g, a, b, c: self._fetch(task, g, a, b),
            Hypercall.PVM_SETOPT: lambda g, a, b, c: self._setopt(task, a, b),
            Hypercall.PVM_GROUP: lambda g, a, b, c: self.groups.call(a, self._string(g, b), task.tid, _signed(c)),
        }
        for number, fn in immediate.items():
            table.register(number, fn)
        for number in _TIMED:
            table.register(number, lambda g, a, b, c, n=int(number): self._defer(task, g, n, a, b, c))

    def _defer(self, task: Task, guest: Guest, number: int, a: int, b: int, c: int) -> int:
        task.request = (number, a, b, c)
        guest.pause()
        return 0

    def _write(self, task: Task, guest: Guest, fd: int, buf: int, length: int) -> int:
        data = pvmargs.read_bytes(guest, buf, min(length, 1 << 20), "write buffer")
        (task.stderr if fd == 2 else guest.stdout).extend(data)
        return length

    def _put_string(self, guest: Guest, text: str, buf: int, capacity: int) -> int:
        data = text.encode()[: max(capacity - 1, 0)]
        pvmargs.write_bytes(guest, buf, data + b"\0", "host name buffer")
        return len(data)

    def _config(self, guest: Guest, index: int, buf: int, capacity: int) -> int:
        hosts = self.cluster.hosts
        if index < len(hosts):
            h = hosts[index]
            entry = f"{h.name}\0{PVM_ARCH[h.isa]}\0".encode()
            pvmargs.write_bytes(guest, buf, entry[:capacity], "pvm_config buffer")
        return len(hosts)

    def _msginfo(self, task: Task, guest: Guest, block: int) -> int:
        msg = task.described
        pvmargs.MSGINFO.write(guest, block, length=len(msg.body) if msg else 0,
                              source=msg.src if msg else 0, tag=msg.tag if msg else 0)
        return 0

    def _fetch(self, task: Task, guest: Guest, buf: int, capacity: int) -> int:
        msg, task.matched = task.matched, None
        if msg is None:
            return 0
        body = msg.body[:capacity]
        pvmargs.write_bytes(guest, buf, body, "receive buffer")
        return len(body)

    def _setopt(self, task: Task, what: int, value: int) -> int:
        if what == pvm3.ROUTE:
            task.route = ROUTE_DIRECT if value == pvm3.ROUTE_DIRECT else ROUTE_DEFAULT
        return 0

    # ---------------------------------------------------------------- timed calls

    def _timed_call(self, task: Task, number: int, a: int, b: int, c: int) -> Generator[simpy.Event, Any, int]:
        g = task.guest
        if number in (Hypercall.PVM_SEND, Hypercall.PVM_MCAST):
            call = "pvm_send" if number == Hypercall.PVM_SEND else "pvm_mcast"
            block = (pvmargs.SEND if number == Hypercall.PVM_SEND else pvmargs.MCAST).read(g, a)
            body = pvmargs.read_bytes(g, block["body"], block["length"], f"{call} body") if block["length"] > 0 else b""
            if number == Hypercall.PVM_SEND:
                targets = [block["tid"]]
            else:
                targets = pvmargs.read_tids(g, block["tids"], max(block["ntask"], 0), "pvm_mcast tids array")
            return (yield from self._send(task, targets, block["tag"], body))
        if number in (Hypercall.PVM_RECV, Hypercall.PVM_TRECV):
            timeout = c / 1e6 if number == Hypercall.PVM_TRECV and _signed(c) >= 0 else None
            pollable = number == Hypercall.PVM_RECV and task.port is not None
            return (yield from self._recv(task, _signed(a), _signed(b), timeout, pollable))
        if number == Hypercall.PVM_NRECV:
            msg = self.mpd.take(task.tid, _signed(a), _signed(b))
            task.matched = task.described = msg
            return 1 if msg else 0
        if number == Hypercall.PVM_PROBE:
            msg = self.mpd.probe(task.tid, _signed(a), _signed(b))
            task.described = msg
            return 1 if msg else 0
        if number == Hypercall.PVM_SPAWN:
            return self._spawn(task, a)
        if number == Hypercall.PVM_KILL:
            return self._kill(task, _signed(a))
        if number == Hypercall.PVM_BARRIER:
            group, count = self._string(g, a), _signed(b)
            event = self.groups.barrier(group, task.tid, count)
            if isinstance(event, int):
                return event
            start = self.sim.now
            task.waiting_for = f"pvm_barrier({group!r}, {count})"
            yield event
            task.waiting_for = ""
            if self.sim.now > start:
                self._span(task, "wait", start, self.sim.now, f"barrier {group}")
            return 0
        # PVM_EXIT: the task leaves PVM; the program itself runs on to its end
        return 0

    def _send(self, task: Task, targets: list[int], tag: int, body: bytes) -> Generator[simpy.Event, Any, int]:
        start = self.sim.now
        for dst in targets:
            if dst not in self.tasks or not self.mpd.boxes[dst].alive:
                if dst not in self.tasks:
                    return pvm3.NO_TASK
                continue  # real PVM drops messages to a task that has exited
            yield self.mpd.send(task.tid, dst, tag, body, task.route)
        self._span(task, "send", start, self.sim.now, f"{len(body)} B tag {tag} to {len(targets)}")
        return 0

    def _recv(self, task: Task, src: int, tag: int, timeout: float | None,
              pollable: bool = False) -> Generator[simpy.Event, Any, int]:
        start = self.sim.now
        task.waiting_for = (f"pvm_recv(tid={'-1' if src == ANY else f't{src:x}'}, tag={tag})"
                            if timeout is None else f"pvm_trecv(tid={src}, tag={tag}, {timeout:g} s)")
        event = self.mpd.recv(task.tid, src, tag)
        if timeout is not None and not event.triggered:
            yield event | self.sim.env.timeout(timeout)
            if not event.triggered:
                self.mpd.cancel(task.tid)
                task.waiting_for = ""
                self._span(task, "wait", start, self.sim.now, "timed out")
                return 0
        task.pollable_wait = pollable
        msg = yield event
        task.pollable_wait = False
        task.waiting_for = ""
        if msg is None:  # a migration request ended the wait (Migrator._wake)
            if self.sim.now > start:
                self._span(task, "wait", start, self.sim.now, "until a migration request")
            return PVM_RECV_POLL
        task.matched = task.described = msg
        if self.sim.now > start:
            self._span(task, "wait", start, self.sim.now, f"tag {msg.tag} from t{msg.src:x}")
        return 1

    def _spawn(self, task: Task, block: int) -> int:
        g = task.guest
        spawn = pvmargs.SPAWN.read(g, block)
        name = self._string(g, spawn["name"])
        where = self._string(g, spawn["where"]) if spawn["where"] else ""
        argv = pvmargs.read_pointers(g, spawn["argv"], 4096, "pvm_spawn argv array") if spawn["argv"] else []
        args = [name, *(self._string(g, p) for p in argv)]
        flag, ntask, tids_p = spawn["flag"], spawn["ntask"], spawn["tids"]
        source = find_task(name, task.source, self.path)
        if source is None:
            dirs = ", ".join(str(d) for d in (task.source.parent, *self.path))
            raise ConfigError(f"task t{task.tid:x} ({task.name} on {task.host.name}) spawned unknown task "
                              f"{name!r}: no {name}.c in {dirs} (put it there or add its directory with --path)")
        if ntask < 1 or ntask > 4096:
            return pvm3.BAD_PARAM
        for i in range(ntask):
            child = self._start(source, args, self.placement.choose(flag, where), task.tid)
            if tids_p:
                pvmargs.write_tid(g, tids_p, i, child.tid, "pvm_spawn tids array")
        return ntask

    def _kill(self, task: Task | None, tid: int) -> int:
        victim = self.tasks.get(tid)
        if victim is None or victim.done:
            return pvm3.NO_TASK
        victim.done = True
        self.mpd.cancel(tid)
        self.mpd.exited(tid)
        if victim.process is not None and victim.process.is_alive and victim is not task:
            victim.process.interrupt("killed")
        return 0

    @staticmethod
    def _string(g: Guest, address: int, limit: int = 4096) -> str:
        data = b""
        while b"\0" not in data and len(data) < limit:
            at = address + len(data)  # never across a page end (argv ends at the stack top)
            data += pvmargs.read_bytes(g, at, 64 - at % 64, "string argument")
        return data.split(b"\0", 1)[0].decode("utf-8", errors="replace")

    def _span(self, task: Task, kind: str, start: float, end: float, detail: str = "") -> None:
        last = self._last_span.get(task.tid)
        if kind == "compute" and last is not None and last.kind == "compute" and abs(last.end - start) < 1e-12:
            last.end = end  # consecutive slices are one stretch of computing
            return
        span = Span(task.tid, task.host.name, kind, start, end, detail)
        self.spans.append(span)
        self._last_span[task.tid] = span
