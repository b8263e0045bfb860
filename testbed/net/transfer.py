"""One simulated transfer from a source to a destination machine: network mode or file mode.

``network``: a TCP connection is opened and the whole stream is sent; ``tx_s`` runs from the
first SYN to the receiving application having the last byte.

``file``: the source writes the stream to its local disk (``write_s``), ``rcp`` copies the
file to the destination (``rcp_s``: TCP connection, remote-shell session set-up, then the
copy: source disk -> source CPU -> wire -> destination CPU -> destination disk, block by
block), and the destination reads it back (``read_s``). ``tx_s`` is their sum. Simulated time
starts at the first write; ``fail_at`` is measured from there.

A failed link is never silent: TCP retransmits with backoff until it gives up, and the
result says ``failed`` with the reason and how many bytes got through.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

import simpy

from testbed.errors import ConfigError
from testbed.net.disk import Disk, FileWriter, fits_in_cache, read_blocks
from testbed.net.engine import Host, Sim
from testbed.net.ethernet import Faults, Medium, Nic, background_stations
from testbed.net.params import HostParams, LinkParams, load_host, load_link
from testbed.net.tcp import TcpConnection

MODES = ("network", "file")
MAX_BYTES = 256 * 1024 * 1024  # far above any migration stream; bounds host time


@dataclass(frozen=True)
class TransferResult:
    """The outcome of one simulated transfer. Times are simulated seconds.

    ``tx_s`` is the transfer time in network mode and write + rcp + read in file mode
    (``write_s``, ``rcp_s``, ``read_s`` are None in network mode, and the phases not reached
    are None after a failure). ``goodput_bps`` is payload bits per second over ``tx_s``
    (network) or ``rcp_s`` (file). ``frames`` counts every frame the two hosts put on the
    wire, lost and retransmitted ones included; ``events`` counts simulation events.
    """

    mode: str
    src: str
    dst: str
    network: str
    nbytes: int
    tx_s: float
    write_s: float | None
    rcp_s: float | None
    read_s: float | None
    frames: int
    goodput_bps: float
    events: int
    failed: bool
    reason: str | None
    delivered: int
    retransmits: int
    timeouts: int
    lost_frames: int
    collisions: int
    background_frames: int
    background: float
    loss: float
    fail_at: float | None
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


def simulate_transfer(nbytes: int, src: str, dst: str, network: str = "10mbps",
                      mode: str = "network", background: float = 0.0, loss: float = 0.0,
                      fail_at: float | None = None, seed: int = 0) -> TransferResult:
    """Simulate sending ``nbytes`` from machine ``src`` to machine ``dst``.

    Machines and networks are profile names (``dec5000``, ``ss20``, ``ultra5``; ``10mbps``,
    ``100mbps``). ``background`` is other hosts' offered load as a fraction of the bit rate,
    ``loss`` the probability that a frame of ours is dropped, ``fail_at`` the simulated time
    at which the link is cut. Bad input raises ConfigError; the same arguments and seed
    always give the same result.
    """
    check_arguments(nbytes, mode, background, loss, fail_at, seed)
    link = load_link(network)
    return run_transfer(nbytes, load_host(src), load_host(dst), link, mode=mode,
                        background=background, loss=loss, fail_at=fail_at, seed=seed)


def check_arguments(nbytes: Any, mode: Any, background: Any, loss: Any, fail_at: Any,
                    seed: Any) -> None:
    """ConfigError with one readable message for any argument out of range."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int):
        raise ConfigError(f"bytes must be a whole number, not {nbytes!r}")
    if nbytes < 0:
        raise ConfigError(f"bytes must be >= 0, not {nbytes}")
    if nbytes > MAX_BYTES:
        raise ConfigError(f"bytes must be at most {MAX_BYTES} (256 MiB), not {nbytes}")
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
    if not _number(background) or not 0.0 <= background < 1.0:
        raise ConfigError(f"background load must be a fraction in [0, 1), not {background!r}")
    if not _number(loss) or not 0.0 <= loss < 1.0:
        raise ConfigError(f"loss must be a probability in [0, 1), not {loss!r}")
    if fail_at is not None and (not _number(fail_at) or fail_at < 0.0):
        raise ConfigError(f"fail-at must be a time in seconds >= 0, not {fail_at!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be a whole number, not {seed!r}")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class _Run:
    """The simulated set-up of one transfer: two hosts, their link, faults and background."""

    def __init__(self, src: HostParams, dst: HostParams, link: LinkParams, background: float,
                 loss: float, fail_at: float | None, seed: int, ideal: bool) -> None:
        self.sim = sim = Sim(seed)
        self.link = link
        self.src_p, self.dst_p = src, dst
        self.faults = Faults(sim, loss, fail_at)
        self.a = Host(sim, src.name, 0.0 if ideal else src.per_packet, 0.0 if ideal else src.per_byte)
        self.b = Host(sim, dst.name, 0.0 if ideal else dst.per_packet, 0.0 if ideal else dst.per_byte)
        if link.full_duplex:
            self.media = [Medium(sim, link, self.faults, False), Medium(sim, link, self.faults, False)]
            self.a.nic, self.b.nic = Nic(self.media[0]), Nic(self.media[1])
        else:
            medium = Medium(sim, link, self.faults, collisions=not ideal)
            self.media = [medium]
            self.a.nic, self.b.nic = Nic(medium), Nic(medium)
        self.bg = [st for m in self.media
                   for st in background_stations(sim, m, link, background, self.faults)]
        self.disk_a = Disk(sim, src.disk)
        self.disk_b = Disk(sim, dst.disk)
        self.conns: list[TcpConnection] = []
        self.write_s: float | None = None
        self.rcp_s: float | None = None
        self.read_s: float | None = None
        self.reason: str | None = None
        self.delivered = 0

    def connection(self, immediate_reader: bool) -> tuple[TcpConnection, simpy.Event]:
        """A new connection a -> b and an event that fires with the reason if it fails."""
        failed = self.sim.event()

        def on_fail(reason: str) -> None:
            if not failed.triggered:
                failed.succeed(reason)

        conn = TcpConnection(self.sim, self.link, self.a, self.b, on_fail, immediate_reader)
        self.conns.append(conn)
        return conn, failed

    # ------------------------------------------------------------------ network mode

    def network_mode(self, nbytes: int) -> Generator[simpy.Event, Any, None]:
        conn, failed = self.connection(immediate_reader=True)
        done = self.sim.event()

        def on_data(total: int) -> None:
            if total >= nbytes and not done.triggered:
                conn.finish()
                done.succeed()

        conn.on_data = on_data
        yield conn.connect() | failed
        if failed.triggered:
            self.reason = str(failed.value)
            return
        if nbytes == 0:
            conn.finish()
            return
        conn.write(nbytes)
        conn.close()
        yield done | failed
        self.delivered = conn.rcv_nxt
        if not done.triggered:
            self.reason = str(failed.value)

    # ------------------------------------------------------------------ file mode

    def file_mode(self, nbytes: int) -> Generator[simpy.Event, Any, None]:
        env = self.sim.env
        writer = FileWriter(self.sim, self.a, self.disk_a, "stream@src")
        yield from writer.write(nbytes)
        yield from writer.close()
        self.write_s = env.now

        t = env.now
        yield from self.rcp(nbytes)
        self.rcp_s = env.now - t
        if self.reason is not None:
            return

        t = env.now
        cached = fits_in_cache(self.dst_p.disk, nbytes)
        yield from read_blocks(self.b, self.disk_b, "stream@dst", 0, nbytes, cached)
        self.read_s = env.now - t

    def rcp(self, nbytes: int) -> Generator[simpy.Event, Any, None]:
        """rcp: connect to the remote shell, session set-up, then a block-by-block copy."""
        conn, failed = self.connection(immediate_reader=False)
        yield conn.connect() | failed
        if failed.triggered:
            self.reason = f"rcp: {failed.value}"
            return
        yield self.sim.env.timeout(self.dst_p.rcp_setup)
        sink = self.sim.env.process(self._rcp_sink(conn, nbytes))
        self.sim.env.process(self._rcp_source(conn, nbytes))
        yield sink | failed
        self.delivered = conn.rcv_nxt
        conn.finish()
        if not sink.triggered:
            self.reason = f"rcp: {failed.value}"

    def _rcp_source(self, conn: TcpConnection, nbytes: int) -> Generator[simpy.Event, Any, None]:
        """The source reads its file in file-system blocks and writes each to the socket."""
        cached = fits_in_cache(self.src_p.disk, nbytes)
        bs = self.src_p.disk.block_size
        offset = block = 0
        while offset < nbytes:
            n = min(bs, nbytes - offset)
            yield from read_blocks(self.a, self.disk_a, "stream@src", block, n, cached)
            yield conn.write(n)
            offset += n
            block += 1
        conn.close()

    def _rcp_sink(self, conn: TcpConnection, nbytes: int) -> Generator[simpy.Event, Any, None]:
        """The sink fills a block-sized buffer from the socket, then writes it to its file."""
        writer = FileWriter(self.sim, self.b, self.disk_b, "stream@dst")
        bs = self.dst_p.disk.block_size
        remaining = nbytes
        while remaining > 0:
            n = want = min(bs, remaining)
            while want > 0:  # read() returns what is there; rcp loops until its buffer is full
                want -= yield conn.recv(want)
            yield from writer.write(n)
            remaining -= n
        yield from writer.close()

    # ------------------------------------------------------------------ result

    def frames(self) -> int:
        return self.a.nic.frames + self.b.nic.frames


def run_transfer(nbytes: int, src: HostParams, dst: HostParams, link: LinkParams,
                 mode: str = "network", background: float = 0.0, loss: float = 0.0,
                 fail_at: float | None = None, seed: int = 0, ideal: bool = False) -> TransferResult:
    """:func:`simulate_transfer` on already loaded parameters (calibration varies them).

    ``ideal`` removes every host cost and every collision between the two hosts: what is
    left is the wire, the framing, the window and the ACK policy, the set-up of the
    analytic goodput formula :meth:`LinkParams.ideal_goodput`.
    """
    check_arguments(nbytes, mode, background, loss, fail_at, seed)
    run = _Run(src, dst, link, background, loss, fail_at, seed, ideal)
    env = run.sim.env
    body = run.network_mode(nbytes) if mode == "network" else run.file_mode(nbytes)
    env.run(until=env.process(body))
    elapsed = env.now
    failed = run.reason is not None
    if mode == "network":
        delivered = nbytes if not failed else run.delivered
        span = elapsed
    else:
        delivered = nbytes if not failed else run.delivered
        span = run.rcp_s if run.rcp_s is not None else 0.0
    goodput = delivered * 8.0 / span if span > 0 else 0.0
    return TransferResult(
        mode=mode, src=src.name, dst=dst.name, network=link.name, nbytes=nbytes,
        tx_s=elapsed,
        write_s=run.write_s, rcp_s=run.rcp_s, read_s=run.read_s,
        frames=run.frames(), goodput_bps=goodput, events=env.steps,
        failed=failed, reason=run.reason, delivered=delivered,
        retransmits=sum(c.retransmitted_segments for c in run.conns),
        timeouts=sum(c.timeouts for c in run.conns),
        lost_frames=run.faults.lost_frames,
        collisions=sum(m.host_collisions for m in run.media),
        background_frames=sum(st.frames for st in run.bg),
        background=float(background), loss=float(loss),
        fail_at=None if fail_at is None else float(fail_at), seed=seed,
    )
