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

from testbed.cluster import pvm3
from testbed.cluster.groups import Groups
from testbed.cluster.mpd import ANY, ROUTE_DEFAULT, ROUTE_DIRECT, Message, Mpd
from testbed.cluster.programs import PVM_ARCH, Placement, build_task, find_task
from testbed.cluster.topology import Cluster, ClusterHost
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.errors import ConfigError, TestbedError
from testbed.limits import EXPERIMENT_BUDGET
from testbed.net.engine import Sim
from testbed.protocol import Hypercall

SLICE_INSTRUCTIONS = 200_000  # at most ~10-20 ms of a 1990s host: the lateness bound of an event
_TIMED = (Hypercall.PVM_SEND, Hypercall.PVM_MCAST, Hypercall.PVM_RECV, Hypercall.PVM_TRECV,
          Hypercall.PVM_NRECV, Hypercall.PVM_PROBE, Hypercall.PVM_SPAWN, Hypercall.PVM_KILL,
          Hypercall.PVM_EXIT, Hypercall.PVM_BARRIER)


def _signed(word: int) -> int:
    return word - (1 << 32) if word & 0x8000_0000 else word


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


class CoSim:
    """One cluster run: the Sim, the daemons, the tasks and their timelines."""

    def __init__(self, cluster: Cluster, *, path: Sequence[Path] = (), seed: int = 0,
                 slice_instructions: int = SLICE_INSTRUCTIONS, budget: int = EXPERIMENT_BUDGET) -> None:
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

    # ---------------------------------------------------------------- running

    def run(self, source: Path, argv: list[str]) -> Task:
        """Start ``source`` as the first task on the first host; run until all are done."""
        first = self._start(Path(source).resolve(), argv, self.placement.first(), pvm3.NO_PARENT)
        self.sim.env.run()
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

    def _start(self, source: Path, argv: list[str], host: ClusterHost, parent: int) -> Task:
        machine = resolve(host.machine)
        elf = self._elf(source, host.isa)
        guest = Guest(elf, machine, argv, budget=self.budget)
        # Tasks of one ELF share its block classifications (the text is the same in each).
        guest.meter.classifier = self._classifiers.setdefault(elf, guest.meter.classifier)
        tid = self.mpd.new_tid(host.name)
        task = Task(tid, parent, source.stem, host, guest, source)
        self._install(task)
        self.tasks[tid] = task
        task.process = self.sim.env.process(self._life(task))
        return task

    def _life(self, task: Task) -> Generator[simpy.Event, Any, None]:
        try:
            yield from self._slices(task)
        except simpy.Interrupt:  # pvm_kill: the task is gone, whatever it was doing
            return

    def _slices(self, task: Task) -> Generator[simpy.Event, Any, None]:
        guest = task.guest
        cpu = self.mpd.net.hosts[task.host.name].cpu
        mark = guest.snapshot()
        while True:
            try:
                result = guest.run(pause_at=guest.instructions + self.slice)
            except TestbedError as exc:
                raise type(exc)(f"task t{task.tid:x} ({task.name} on {task.host.name}): {exc}") from None
            now_mark = guest.snapshot()
            seconds = guest.tally(mark, now_mark).seconds(guest.profile)
            mark = now_mark
            if seconds > 0.0:
                start = max(self.sim.now, cpu.free_at)
                yield cpu.job(seconds)
                task.compute_s += seconds
                self._span(task, "compute", start, self.sim.now)
            if result is not None:
                task.exit_code = result.exit_code
                break
            if task.request is not None:
                request, task.request = task.request, None
                value = yield from self._timed_call(task, *request)
                guest.set_return(value & 0xFFFFFFFF)
                if task.done:
                    return
        task.done = True
        self.mpd.exited(task.tid)

    # ---------------------------------------------------------------- hypercalls

    def _install(self, task: Task) -> None:
        table = task.guest.hypercalls
        del table[Hypercall.WRITE]
        table.register(Hypercall.WRITE, lambda g, fd, buf, n: self._write(task, fd, buf, n))
        immediate = {
            Hypercall.PVM_MYTID: lambda a, b, c: task.tid,
            Hypercall.PVM_PARENT: lambda a, b, c: task.parent,
            Hypercall.PVM_CONFIG: lambda a, b, c: self._config(task, a, b, c),
            Hypercall.PVM_HOSTNAME: lambda a, b, c: self._put_string(task, task.host.name, a, b),
            Hypercall.PVM_MSGINFO: lambda a, b, c: self._msginfo(task, a),
            Hypercall.PVM_FETCH: lambda a, b, c: self._fetch(task, a, b),
            Hypercall.PVM_SETOPT: lambda a, b, c: self._setopt(task, a, b),
            Hypercall.PVM_GROUP: lambda a, b, c: self.groups.call(a, self._string(task.guest, b), task.tid, _signed(c)),
        }
        for number, fn in immediate.items():
            table.register(number, lambda g, a, b, c, fn=fn: fn(a, b, c))
        for number in _TIMED:
            table.register(number, lambda g, a, b, c, n=int(number): self._defer(task, n, a, b, c))

    def _defer(self, task: Task, number: int, a: int, b: int, c: int) -> int:
        task.request = (number, a, b, c)
        task.guest.pause()
        return 0

    def _write(self, task: Task, fd: int, buf: int, length: int) -> int:
        data = task.guest.read(buf, min(length, 1 << 20))
        (task.stderr if fd == 2 else task.guest.stdout).extend(data)
        return length

    def _put_string(self, task: Task, text: str, buf: int, capacity: int) -> int:
        data = text.encode()[: max(capacity - 1, 0)]
        task.guest.write(buf, data + b"\0")
        return len(data)

    def _config(self, task: Task, index: int, buf: int, capacity: int) -> int:
        hosts = self.cluster.hosts
        if index < len(hosts):
            h = hosts[index]
            entry = f"{h.name}\0{PVM_ARCH[h.isa]}\0".encode()
            task.guest.write(buf, entry[:capacity])
        return len(hosts)

    def _msginfo(self, task: Task, block: int) -> int:
        msg = task.described
        g = task.guest
        for i, value in enumerate((len(msg.body), msg.src, msg.tag) if msg else (0, 0, 0)):
            g.write_word(block + 4 * i, value & 0xFFFFFFFF)
        return 0

    def _fetch(self, task: Task, buf: int, capacity: int) -> int:
        msg, task.matched = task.matched, None
        if msg is None:
            return 0
        body = msg.body[:capacity]
        task.guest.write(buf, body)
        return len(body)

    def _setopt(self, task: Task, what: int, value: int) -> int:
        if what == pvm3.ROUTE:
            task.route = ROUTE_DIRECT if value == pvm3.ROUTE_DIRECT else ROUTE_DEFAULT
        return 0

    # ---------------------------------------------------------------- timed calls

    def _timed_call(self, task: Task, number: int, a: int, b: int, c: int) -> Generator[simpy.Event, Any, int]:
        g = task.guest
        if number in (Hypercall.PVM_SEND, Hypercall.PVM_MCAST):
            words = [g.read_word(a + 4 * i) for i in range(5 if number == Hypercall.PVM_MCAST else 4)]
            body = g.read(words[0], words[1]) if words[1] else b""
            if number == Hypercall.PVM_SEND:
                targets, tag = [_signed(words[2])], _signed(words[3])
            else:
                targets = [_signed(g.read_word(words[2] + 4 * i)) for i in range(words[3])]
                tag = _signed(words[4])
            return (yield from self._send(task, targets, tag, body))
        if number in (Hypercall.PVM_RECV, Hypercall.PVM_TRECV):
            timeout = c / 1e6 if number == Hypercall.PVM_TRECV and _signed(c) >= 0 else None
            return (yield from self._recv(task, _signed(a), _signed(b), timeout))
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

    def _recv(self, task: Task, src: int, tag: int, timeout: float | None) -> Generator[simpy.Event, Any, int]:
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
        msg = yield event
        task.waiting_for = ""
        task.matched = task.described = msg
        if self.sim.now > start:
            self._span(task, "wait", start, self.sim.now, f"tag {msg.tag} from t{msg.src:x}")
        return 1

    def _spawn(self, task: Task, block: int) -> int:
        g = task.guest
        name_p, argv_p, flag, where_p, ntask, tids_p = (g.read_word(block + 4 * i) for i in range(6))
        name = self._string(g, name_p)
        where = self._string(g, where_p) if where_p else ""
        args = [name]
        while argv_p:
            p = g.read_word(argv_p + 4 * (len(args) - 1))
            if not p:
                break
            args.append(self._string(g, p))
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
                g.write_word(tids_p + 4 * i, child.tid)
        return ntask

    def _kill(self, task: Task, tid: int) -> int:
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
            at = address + len(data)
            data += g.read(at, 64 - at % 64)  # never across a page end (argv ends at the stack top)
        return data.split(b"\0", 1)[0].decode("utf-8", errors="replace")

    def _span(self, task: Task, kind: str, start: float, end: float, detail: str = "") -> None:
        last = self._last_span.get(task.tid)
        if kind == "compute" and last is not None and last.kind == "compute" and abs(last.end - start) < 1e-12:
            last.end = end  # consecutive slices are one stretch of computing
            return
        span = Span(task.tid, task.host.name, kind, start, end, detail)
        self.spans.append(span)
        self._last_span[task.tid] = span
