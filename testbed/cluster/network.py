"""One network for all hosts of a cluster: shared segments every message crosses.

Each segment of the cluster file is one network profile (``testbed/net``):

* half duplex (10 Mb/s): one CSMA/CD ``Medium`` that every host on it shares, so
  concurrent transfers between different pairs contend for the same wire;
* full duplex (100 Mb/s, switched): each host has its own up-link and down-link channel
  (a store-and-forward switch between them), so only transfers into or out of the same
  host share a channel.

Hosts on different segments reach each other through a router at zero cost that sits on
both (store-and-forward: a frame crosses the first segment, then the second).

Two transports run on it: UDP-like datagrams (IP-fragmented into frames, no connection;
the pvmds' default route) and TCP connections (``testbed/net/tcp.py``, the direct route).
Both charge each host's per-packet and per-byte protocol-stack costs on its CPU
(``[netstack]`` of the machine profile), where they queue behind the host's other work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from testbed.cluster.topology import Cluster
from testbed.net.engine import Host, Sim
from testbed.net.ethernet import Faults, Medium, Nic
from testbed.net.params import LinkParams, load_host, load_link
from testbed.net.tcp import TcpConnection

UDP_HEADER = 8  # bytes, RFC 768: a protocol constant, not a model parameter


class _Segment:
    """One segment's media and the NICs attached to them."""

    def __init__(self, sim: Sim, link: LinkParams) -> None:
        self.sim = sim
        self.link = link
        self.faults = Faults(sim, 0.0, None)
        self.shared = None if link.full_duplex else Medium(sim, link, self.faults, collisions=True)
        self.up: dict[str, Nic] = {}
        self.down: dict[str, Nic] = {}

    def attach(self, station: str) -> None:
        if self.shared is not None:
            self.up[station] = Nic(self.shared)
        else:
            self.up[station] = Nic(Medium(self.sim, self.link, self.faults, collisions=False))
            self.down[station] = Nic(Medium(self.sim, self.link, self.faults, collisions=False))

    def hops(self, src: str, dst: str) -> list[Nic]:
        """The NICs a frame from ``src`` to ``dst`` (both on this segment) goes through."""
        return [self.up[src]] if self.shared is not None else [self.up[src], self.down[dst]]

    @property
    def media(self) -> list[Medium]:
        if self.shared is not None:
            return [self.shared]
        return [nic.medium for nic in (*self.up.values(), *self.down.values())]


class _Route:
    """A NIC look-alike bound to one destination: what TcpConnection's ``host.nic`` needs."""

    def __init__(self, hops: list[Nic]) -> None:
        self.hops = hops

    def send(self, wire: int, deliver: Callable[..., Any], *args: Any) -> None:
        self._hop(0, wire, deliver, args, True)

    def _hop(self, i: int, wire: int, deliver: Callable[..., Any], args: tuple[Any, ...], ok: bool) -> None:
        if not ok or i == len(self.hops):
            deliver(ok, *args)
            return
        self.hops[i].send(wire, lambda ok_, *_: self._hop(i + 1, wire, deliver, args, ok_))


class _Endpoint:
    """One host as one TCP connection sees it: the host's CPU and costs, a route to the peer."""

    def __init__(self, host: Host, route: _Route) -> None:
        self.name = host.name
        self.cpu = host.cpu
        self.per_packet = host.per_packet
        self.per_byte = host.per_byte
        self.nic = route


class ClusterNet:
    """The hosts' CPUs (protocol work) and the segments between them, in one Sim."""

    def __init__(self, sim: Sim, cluster: Cluster) -> None:
        self.sim = sim
        self.cluster = cluster
        self.segments = {name: _Segment(sim, load_link(network)) for name, network in cluster.segments.items()}
        self.hosts: dict[str, Host] = {}
        self.segment_of: dict[str, str] = {}
        for h in cluster.hosts:
            params = load_host(h.machine)
            self.hosts[h.name] = Host(sim, h.name, params.per_packet, params.per_byte)
            self.segment_of[h.name] = h.segment
            self.segments[h.segment].attach(h.name)
        if len(self.segments) > 1:
            for seg in self.segments.values():
                seg.attach(_ROUTER)
        self.frames = 0
        self.datagrams = 0

    def link(self, host: str) -> LinkParams:
        return self.segments[self.segment_of[host]].link

    def route(self, src: str, dst: str) -> _Route:
        a, b = self.segment_of[src], self.segment_of[dst]
        if a == b:
            return _Route(self.segments[a].hops(src, dst))
        return _Route(self.segments[a].hops(src, _ROUTER) + self.segments[b].hops(_ROUTER, dst))

    def media(self) -> list[Medium]:
        return [m for seg in self.segments.values() for m in seg.media]

    # ---------------------------------------------------------------- datagrams

    def send_datagram(self, src: str, dst: str, nbytes: int, delivered: Callable[[], None]) -> None:
        """A UDP datagram of ``nbytes`` from ``src`` to ``dst``: IP-fragmented into frames,
        each charged on both CPUs; ``delivered()`` runs when the last fragment is in.

        A fragment lost to excessive collisions is sent again (the pvmds acknowledge and
        retransmit their packets; the retry delay is not modelled)."""
        link = self.link(src)
        per_fragment = link.mss + link.tcp_header  # the IP payload an Ethernet MTU holds
        total = nbytes + UDP_HEADER
        sizes = [min(per_fragment, total - off) for off in range(0, total, per_fragment)]
        remaining = [len(sizes)]
        route = self.route(src, dst)
        sender, receiver = self.hosts[src], self.hosts[dst]
        self.datagrams += 1

        def arrived(ok: bool, size: int) -> None:
            if not ok:
                emit(size)
                return
            receiver.cpu.run(receiver.per_packet + receiver.per_byte * size, fragment_in)

        def fragment_in() -> None:
            remaining[0] -= 1
            if remaining[0] == 0:
                delivered()

        def emit(size: int) -> None:
            self.frames += 1
            wire = link.preamble + max(link.mac_header + link.ip_header + size + link.fcs, link.min_frame)
            route.send(wire, arrived, size)

        for size in sizes:
            sender.cpu.run(sender.per_packet + sender.per_byte * size, emit, size)

    # ---------------------------------------------------------------- TCP

    def tcp(self, src: str, dst: str, on_fail: Callable[[str], None]) -> TcpConnection:
        """A new TCP connection carrying data from ``src`` to ``dst``, not yet connected."""
        client = _Endpoint(self.hosts[src], self.route(src, dst))
        server = _Endpoint(self.hosts[dst], self.route(dst, src))
        return TcpConnection(self.sim, self.link(src), client, server, on_fail)  # type: ignore[arg-type]


_ROUTER = "(router)"
