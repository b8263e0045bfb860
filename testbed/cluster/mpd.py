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
tid in plain objects, so that a later migration can collect and move it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

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
        t = self.traffic[sender.host]
        t.messages += 1
        t.message_bytes += len(body)
        a, b = sender.host, box.host
        pvmd = self.cluster.pvmd
        size = len(body) + pvmd.header_bytes
        if route == ROUTE_DIRECT and a != b:
            self._channel(src, dst).send(msg, size)
            done = self.sim.event()
            done.succeed()
            return done
        cpu_a = self.net.hosts[a].cpu
        hop_a = pvmd.hop_seconds(self.cluster.host(a).clock_hz, size)
        if a == b:  # task -> pvmd -> task on one CPU
            local = cpu_a.job(hop_a)
            cpu_a.run(hop_a, self._arrive, msg)
            return local
        local = cpu_a.job(hop_a)
        local.callbacks.append(lambda _ev: self._daemon_to_daemon(msg, size))
        return local

    def _daemon_to_daemon(self, msg: Message, size: int) -> None:
        pvmd = self.cluster.pvmd
        a, b = self.boxes[msg.src].host, self.boxes[msg.dst].host
        packets = [min(pvmd.fragment_bytes, size - off) for off in range(0, size, pvmd.fragment_bytes)] or [0]
        left = [len(packets)]
        net = self.net

        def packet_in() -> None:
            net.send_datagram(b, a, 16, _ignore)  # the receiving pvmd's acknowledgement
            left[0] -= 1
            if left[0] == 0:
                hop_b = pvmd.hop_seconds(self.cluster.host(b).clock_hz, size)
                net.hosts[b].cpu.run(hop_b, self._arrive, msg)

        for n in packets:
            net.send_datagram(a, b, n, packet_in)

    def _channel(self, src: int, dst: int) -> _Channel:
        key = (src, dst)
        if key not in self._tcp:
            self._tcp[key] = _Channel(self, self.net.tcp(self.boxes[src].host, self.boxes[dst].host, self._tcp_failed))
        return self._tcp[key]

    @staticmethod
    def _tcp_failed(reason: str) -> None:
        raise TestbedError(f"a direct-route TCP connection failed: {reason}")

    # ---------------------------------------------------------------- arriving

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

    def __init__(self, mpd: Mpd, conn: TcpConnection) -> None:
        self.mpd = mpd
        self.conn = conn
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
            self.mpd._arrive(self.pending.popleft()[1])


def _ignore() -> None:
    return None
