"""Mpd: the PVM daemons of a cluster, one per host, over the shared network.

Each host's daemon knows which host every task id lives on (the tid encodes it, as in
real PVM: ``(host index + 1) << 18 | n``), keeps a mailbox per local task, and delivers
messages between one pair of tasks in the order they were sent: every message carries a
per-pair sequence number and an arrival that overtook an earlier one (possible only when a
pair switches routes) waits for it.

Routes (docs/cluster.md):

* default: task -> local pvmd -> remote pvmd -> task. Each pvmd hop costs the host's
  ``[pvmd]`` per-message and per-byte cycles on its CPU; the daemons exchange UDP
  datagrams of at most ``fragment`` bytes, each acknowledged by a small datagram.
* direct (``PvmRouteDirect``): one TCP connection per ordered task pair, opened on first
  use, no daemon hops.
* same host: the local pvmd only (two hops on the one CPU), no wire.

Everything that is state of a task (its mailbox, its pair sequence numbers) is kept per
tid in plain objects, so that a migration can move it (MpPVM, docs/mppvm.md): a task
keeps its tid; each daemon has a location table (tid -> host it believes the task is
on, the tid's own host until told otherwise); a message that reaches a host its task has
left is forwarded to where that host sent it, and the sender's daemon is told the new
location (lazy update). Per-pair sequence numbers keep every pair in order whatever route
each message took; the ledger (``ledger.py``) records every send and every delivery.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

from testbed.cluster.ledger import Ledger
from testbed.cluster.network import ClusterNet
from testbed.cluster.topology import Cluster
from testbed.errors import ConfigError, TestbedError
from testbed.net.engine import Sim
from testbed.net.tcp import TcpConnection

ANY = -1  # PVM's wildcard for a source tid or a tag
TID_HOST_SHIFT = 18  # pvm3 TIDHOST field starts at bit 18 (tids 0x40001, 0x80001, ...)
ROUTE_DEFAULT, ROUTE_DIRECT = "default", "direct"


@dataclass
class Message:
    src: int
    dst: int
    tag: int
    body: bytes
    seq: int  # per (src, dst) pair, from 0
    sent_at: float
    arrived_at: float = 0.0

    def matches(self, src: int, tag: int) -> bool:
        return (src == ANY or self.src == src) and (tag == ANY or self.tag == tag)


@dataclass
class Mailbox:
    """One task's arrived messages (oldest first) and the receive it is blocked in, if any."""

    tid: int
    host: str
    queue: deque[Message] = field(default_factory=deque)
    waiting: tuple[int, int, simpy.Event] | None = None  # (src, tag, event)
    held: dict[tuple[int, int], Message] = field(default_factory=dict)  # (src, seq) ahead of turn
    next_seq_in: dict[int, int] = field(default_factory=dict)  # src -> next expected seq
    next_seq_out: dict[int, int] = field(default_factory=dict)  # dst -> next seq to send
    alive: bool = True
    forwarded: int = 0  # messages that reached a host this task had left, sent on


@dataclass
class Traffic:
    messages: int = 0
    message_bytes: int = 0


class Mpd:
    """All daemons of one cluster run (they share the one network)."""

    def __init__(self, sim: Sim, cluster: Cluster, net: ClusterNet | None = None) -> None:
        self.sim = sim
        self.cluster = cluster
        self.net = net or ClusterNet(sim, cluster)
        self.boxes: dict[int, Mailbox] = {}
        self._next_local = [0] * len(cluster.hosts)
        self._tcp: dict[tuple[int, int], _Channel] = {}
        self.traffic: dict[str, Traffic] = {h.name: Traffic() for h in cluster.hosts}
        self.on_delivery: Callable[[Message], None] | None = None  # for traces
        self.ledger = Ledger()
        # host -> tid -> the host that daemon believes the task is on (absent: the tid's own)
        self.location: dict[str, dict[int, str]] = {h.name: {} for h in cluster.hosts}

    # ---------------------------------------------------------------- tasks

    def new_tid(self, host: str) -> int:
        index = self.cluster.index(host)
        self._next_local[index] += 1
        tid = (index + 1) << TID_HOST_SHIFT | self._next_local[index]
        self.boxes[tid] = Mailbox(tid, host)
        return tid

    def host_of(self, tid: int) -> str | None:
        box = self.boxes.get(tid)
        return box.host if box else None

    def exited(self, tid: int) -> None:
        self.boxes[tid].alive = False

    def home(self, tid: int) -> str:
        """The host a tid was created on (its TIDHOST field)."""
        return self.cluster.hosts[(tid >> TID_HOST_SHIFT) - 1].name

    def believed(self, at: str, tid: int) -> str:
        """Where the daemon on host ``at`` would send a message for ``tid``."""
        return self.location[at].get(tid, self.home(tid))

    def move(self, tid: int, host: str) -> None:
        """The task now runs on ``host``: its old daemon forwards what still reaches it
        there, the new one delivers; nobody else is told yet (they learn on first forward)."""
        box = self.boxes[tid]
        self.location[box.host][tid] = host
        self.location[host][tid] = host
        box.host = host

    # ---------------------------------------------------------------- sending

    def send(self, src: int, dst: int, tag: int, body: bytes, route: str = ROUTE_DEFAULT) -> simpy.Event:
        """Send; the event fires when the sending task may go on (its local part is done)."""
        box = self.boxes.get(dst)
        if box is None:
            raise ConfigError(f"pvm_send to t{dst:x}: no such task")
        sender = self.boxes[src]
        seq = sender.next_seq_out.get(dst, 0)
        sender.next_seq_out[dst] = seq + 1
        msg = Message(src, dst, tag, bytes(body), seq, self.sim.now)
        self.ledger.sent(msg)
        t = self.traffic[sender.host]
        t.messages += 1
        t.message_bytes += len(body)
        a, b = sender.host, self.believed(sender.host, dst)
        pvmd = self.cluster.pvmd
        size = len(body) + pvmd.header_bytes
        if route == ROUTE_DIRECT and a != b:
            self._channel(src, dst, a, b).send(msg, size)
            done = self.sim.event()
            done.succeed()
            return done
        cpu_a = self.net.hosts[a].cpu
        hop_a = pvmd.hop_seconds(self.cluster.host(a).clock_hz, size)
        if a == b:  # task -> pvmd -> task on one CPU
            local = cpu_a.job(hop_a)
            cpu_a.run(hop_a, self._land, msg, a)
            return local
        local = cpu_a.job(hop_a)
        local.callbacks.append(lambda _ev: self._daemon_to_daemon(msg, size, a, b))
        return local

    def _daemon_to_daemon(self, msg: Message, size: int, a: str, b: str) -> None:
        pvmd = self.cluster.pvmd
        packets = [min(pvmd.fragment_bytes, size - off) for off in range(0, size, pvmd.fragment_bytes)] or [0]
        left = [len(packets)]
        net = self.net

        def packet_in() -> None:
            net.send_datagram(b, a, 16, _ignore)  # the receiving pvmd's acknowledgement
            left[0] -= 1
            if left[0] == 0:
                hop_b = pvmd.hop_seconds(self.cluster.host(b).clock_hz, size)
                net.hosts[b].cpu.run(hop_b, self._land, msg, b)

        for n in packets:
            net.send_datagram(a, b, n, packet_in)

    def _channel(self, src: int, dst: int, a: str, b: str) -> _Channel:
        key = (src, dst, a, b)  # a task that moved opens new connections from where it is now
        if key not in self._tcp:
            self._tcp[key] = _Channel(self, self.net.tcp(a, b, self._tcp_failed), b)
        return self._tcp[key]

    @staticmethod
    def _tcp_failed(reason: str) -> None:
        raise TestbedError(f"a direct-route TCP connection failed: {reason}")

    # ---------------------------------------------------------------- arriving

    def _land(self, msg: Message, at: str) -> None:
        """A message reached the daemon on host ``at``: delivered if its task is there,
        else forwarded (MpPVM) to where this daemon sent the task, and the sender's daemon
        is told that location with a small datagram (it updates its table on arrival)."""
        box = self.boxes[msg.dst]
        if box.host == at:
            self._arrive(msg)
            return
        nxt = self.location[at][msg.dst]
        box.forwarded += 1
        self.ledger.forwarded(msg, at, nxt)
        pvmd = self.cluster.pvmd
        size = len(msg.body) + pvmd.header_bytes
        cpu = self.net.hosts[at].cpu
        cpu.run(pvmd.hop_seconds(self.cluster.host(at).clock_hz, size), self._daemon_to_daemon, msg, size, at, nxt)
        origin = self.boxes[msg.src].host
        if origin != at and self.location[origin].get(msg.dst) != nxt:
            self.net.send_datagram(at, origin, 16, lambda: self._learn(origin, msg.dst, nxt))

    def _learn(self, host: str, tid: int, where: str) -> None:
        if self.boxes[tid].host == where or host == where:
            self.location[host][tid] = where

    def _arrive(self, msg: Message) -> None:
        box = self.boxes[msg.dst]
        expected = box.next_seq_in.get(msg.src, 0)
        if msg.seq != expected:
            box.held[(msg.src, msg.seq)] = msg
            return
        while True:
            msg.arrived_at = self.sim.now
            box.next_seq_in[msg.src] = msg.seq + 1
            box.queue.append(msg)
            self.ledger.delivered(msg, box.host)
            if self.on_delivery is not None:
                self.on_delivery(msg)
            nxt = box.held.pop((msg.src, msg.seq + 1), None)
            if nxt is None:
                break
            msg = nxt
        if box.waiting is not None:
            src, tag, event = box.waiting
            found = self.take(box.tid, src, tag)
            if found is not None:
                box.waiting = None
                event.succeed(found)

    # ---------------------------------------------------------------- receiving

    def probe(self, tid: int, src: int, tag: int) -> Message | None:
        """The oldest arrived message matching (src, tag), left in the mailbox."""
        for msg in self.boxes[tid].queue:
            if msg.matches(src, tag):
                return msg
        return None

    def take(self, tid: int, src: int, tag: int) -> Message | None:
        """The oldest arrived message matching (src, tag), removed: pvm_nrecv."""
        queue = self.boxes[tid].queue
        for i, msg in enumerate(queue):
            if msg.matches(src, tag):
                del queue[i]
                return msg
        return None

    def recv(self, tid: int, src: int, tag: int) -> simpy.Event:
        """An event that fires with the matching message once it has arrived: pvm_recv."""
        event = self.sim.event()
        found = self.take(tid, src, tag)
        if found is not None:
            event.succeed(found)
        else:
            self.boxes[tid].waiting = (src, tag, event)
        return event

    def cancel(self, tid: int) -> None:
        """The blocked receive of ``tid`` is given up (pvm_trecv timed out)."""
        self.boxes[tid].waiting = None

    def blocked(self) -> dict[int, tuple[int, int]]:
        """tid -> (src, tag) of every task blocked in a receive (for deadlock reports)."""
        return {tid: (w[0], w[1]) for tid, box in self.boxes.items() if (w := box.waiting) is not None}


class _Channel:
    """The direct route of one ordered task pair: a TCP connection, message boundaries
    kept as cumulative stream offsets."""

    def __init__(self, mpd: Mpd, conn: TcpConnection, at: str) -> None:
        self.mpd = mpd
        self.conn = conn
        self.at = at  # the receiving host
        self.pending: deque[tuple[int, Message]] = deque()  # (end offset, message)
        self.offset = 0
        self.connected = False
        conn.on_data = self._data
        conn.connect().callbacks.append(self._established)

    def send(self, msg: Message, size: int) -> None:
        self.offset += size
        self.pending.append((self.offset, msg))
        if self.connected:
            self.conn.write(size)
        # before set-up completes the bytes are written in _established

    def _established(self, _ev: simpy.Event) -> None:
        self.connected = True
        # PVM sets TCP_NODELAY on direct sockets: every message is pushed at once, which is
        # the model's rule for a closed connection's tail (no Nagle hold-back).
        self.conn.closed = True
        if self.offset:
            self.conn.write(self.offset)

    def _data(self, total: int) -> None:
        while self.pending and self.pending[0][0] <= total:
            self.mpd._land(self.pending.popleft()[1], self.at)


def _ignore() -> None:
    return None
