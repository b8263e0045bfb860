"""Model parameters of the network and file-transfer models, read from the TOML profiles.

The simulation code never holds a literal timing constant: everything it uses is read here
from ``testbed/profiles/networks/<name>.toml`` (link, framing, CSMA/CD, TCP) and from the
``[netstack]``, ``[disk]`` and ``[rcp]`` tables of ``testbed/profiles/machines/<name>.toml``,
converted to base units (seconds, bytes, bit/s). The dataclasses are frozen so a calibration
run can derive a variant with :func:`dataclasses.replace` without touching the files.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.errors import ConfigError, unknown_name
from testbed.profiles import Profile, machine, machine_names, network, network_names


@dataclass(frozen=True)
class LinkParams:
    """One network: Ethernet framing and access method plus the TCP settings of its hosts.

    TCP settings live with the network because each network profile describes one measured
    set-up (10 Mb/s: Ultrix sender, Solaris 2.5 receiver; 100 Mb/s: Solaris Ultra 5s).
    """

    name: str
    bit_rate: float  # bit/s
    full_duplex: bool
    preamble: int  # B, preamble + start-of-frame delimiter
    mac_header: int  # B
    fcs: int  # B
    ifg: int  # B of inter-frame gap
    min_frame: int  # B, MAC header + payload + FCS
    propagation: float  # s
    slot_time: float  # s
    jam: int  # B
    backoff_limit: int
    attempt_limit: int
    ip_header: int  # B
    tcp_header: int  # B
    mss: int  # B
    recv_window: int  # B, receiver socket buffer = largest advertised window
    send_buffer: int  # B, sender socket buffer
    ack_every: int  # full segments per ACK
    delack_timeout: float  # s
    initial_cwnd: int  # segments
    rto_min: float  # s
    rto_max: float  # s
    max_retransmits: int
    connect_rto: float  # s
    connect_timeout: float  # s
    dupack_threshold: int
    bg_stations: int
    bg_small_frame: int  # B, MAC header + payload + FCS
    bg_large_frame: int  # B
    bg_small_fraction: float

    @property
    def byte_time(self) -> float:
        """Seconds to put one byte on the wire."""
        return 8.0 / self.bit_rate

    def frame_wire_bytes(self, payload: int) -> int:
        """Bytes a TCP segment with ``payload`` data bytes occupies on the wire, without the gap.

        Padding to the 64-byte minimum frame matters: a pure ACK is 58 bytes before padding.
        """
        frame = self.mac_header + self.ip_header + self.tcp_header + payload + self.fcs
        return self.preamble + max(frame, self.min_frame)

    def ideal_goodput(self) -> float:
        """Analytic TCP goodput in B/s on an otherwise idle link with zero host cost.

        Half duplex: ``ack_every`` full data frames and one minimum ACK frame share the wire.
        Full duplex: ACKs travel on the other direction, so only data frames count.
        """
        data = self.frame_wire_bytes(self.mss) + self.ifg
        if self.full_duplex:
            return self.mss / data * self.bit_rate / 8.0
        ack = self.frame_wire_bytes(0) + self.ifg
        n = self.ack_every
        return n * self.mss / (n * data + ack) * self.bit_rate / 8.0


@dataclass(frozen=True)
class DiskParams:
    """One host's disk and file system, as used for a sequentially written or read file."""

    avg_seek: float  # s
    rev_time: float  # s per revolution
    transfer_rate: float  # B/s media rate
    block_size: int  # B, file-system block = unit of one disk request
    fs_per_block: float  # s of host CPU per block (buffer-cache work and the block copy)
    rotdelay: float  # s, rotational gap between consecutive blocks of a file
    write_behind: int  # B of a file's dirty or in-flight blocks before write() blocks
    file_cache: int  # B of file data that stays cached for a re-read


@dataclass(frozen=True)
class HostParams:
    """One machine's protocol-stack costs, disk and rcp session cost."""

    name: str
    description: str
    per_packet: float  # s of CPU per packet sent or received (socket, TCP, IP, driver, interrupt)
    per_byte: float  # s of CPU per payload byte sent or received (copies, checksum)
    disk: DiskParams
    rcp_setup: float  # s, remote-shell session set-up when this host is the rcp destination


def _int(profile: Profile, path: str, unit: str) -> int:
    value = profile.get(path, unit)
    if value != int(value) or value < 0:
        raise ConfigError(f"{profile.kind} profile {profile.name!r}: {path} must be a whole number >= 0")
    return int(value)


def _positive(profile: Profile, path: str, unit: str) -> float:
    value = profile.get(path, unit)
    if not value > 0:
        raise ConfigError(f"{profile.kind} profile {profile.name!r}: {path} must be > 0")
    return value


def load_link(name: str) -> LinkParams:
    """The network ``name`` (``10mbps``, ``100mbps``); ConfigError if unknown or malformed."""
    if not isinstance(name, str) or name not in network_names():
        raise unknown_name("network", str(name), network_names())
    p = network(name)
    duplex = p.text("network.duplex")
    if duplex not in ("half", "full"):
        raise ConfigError(f"network profile {name!r}: network.duplex must be 'half' or 'full', not {duplex!r}")
    link = LinkParams(
        name=name,
        bit_rate=_positive(p, "ethernet.bit_rate", "bit/s"),
        full_duplex=duplex == "full",
        preamble=_int(p, "ethernet.preamble", "B"),
        mac_header=_int(p, "ethernet.header", "B"),
        fcs=_int(p, "ethernet.fcs", "B"),
        ifg=_int(p, "ethernet.ifg", "B"),
        min_frame=_int(p, "ethernet.min_frame", "B"),
        propagation=p.get("ethernet.propagation", "s"),
        slot_time=_positive(p, "csma.slot_time", "s"),
        jam=_int(p, "csma.jam", "B"),
        backoff_limit=_int(p, "csma.backoff_limit", "count"),
        attempt_limit=_int(p, "csma.attempt_limit", "count"),
        ip_header=_int(p, "ip.header", "B"),
        tcp_header=_int(p, "tcp.header", "B"),
        mss=_int(p, "tcp.mss", "B"),
        recv_window=_int(p, "tcp.recv_window", "B"),
        send_buffer=_int(p, "tcp.send_buffer", "B"),
        ack_every=_int(p, "tcp.ack_every", "count"),
        delack_timeout=_positive(p, "tcp.delack_timeout", "s"),
        initial_cwnd=_int(p, "tcp.initial_cwnd", "count"),
        rto_min=_positive(p, "tcp.rto_min", "s"),
        rto_max=_positive(p, "tcp.rto_max", "s"),
        max_retransmits=_int(p, "tcp.max_retransmits", "count"),
        connect_rto=_positive(p, "tcp.connect_rto", "s"),
        connect_timeout=_positive(p, "tcp.connect_timeout", "s"),
        dupack_threshold=_int(p, "tcp.dupack_threshold", "count"),
        bg_stations=_int(p, "background.stations", "count"),
        bg_small_frame=_int(p, "background.small_frame", "B"),
        bg_large_frame=_int(p, "background.large_frame", "B"),
        bg_small_fraction=p.get("background.small_fraction", "1"),
    )
    if link.mss <= 0 or link.ack_every < 1 or link.initial_cwnd < 1 or link.attempt_limit < 1:
        raise ConfigError(f"network profile {name!r}: mss, ack_every, initial_cwnd and attempt_limit must be >= 1")
    if link.recv_window < link.mss or link.send_buffer < link.mss:
        raise ConfigError(f"network profile {name!r}: windows must hold at least one MSS")
    if link.bg_stations < 1 or not 0.0 <= link.bg_small_fraction <= 1.0:
        raise ConfigError(f"network profile {name!r}: background needs >= 1 station and a fraction in [0, 1]")
    return link


def load_host(name: str) -> HostParams:
    """The machine ``name`` (``dec5000``, ``ss20``, ``ultra5``); ConfigError if unknown or malformed."""
    if not isinstance(name, str) or name not in machine_names():
        raise unknown_name("machine", str(name), machine_names())
    p = machine(name)
    rpm = _positive(p, "disk.rpm", "rpm")
    disk = DiskParams(
        avg_seek=p.get("disk.avg_seek", "s"),
        rev_time=60.0 / rpm,
        transfer_rate=_positive(p, "disk.transfer_rate", "B/s"),
        block_size=_int(p, "disk.block_size", "B"),
        fs_per_block=p.get("disk.fs_per_block", "s"),
        rotdelay=p.get("disk.rotdelay", "s"),
        write_behind=_int(p, "disk.write_behind", "B"),
        file_cache=_int(p, "disk.file_cache", "B"),
    )
    if disk.block_size <= 0:
        raise ConfigError(f"machine profile {name!r}: disk.block_size must be > 0")
    return HostParams(
        name=name,
        description=p.text("machine.description") if p.has("machine.description") else name,
        per_packet=p.get("netstack.per_packet", "s"),
        per_byte=p.get("netstack.per_byte", "s/B"),
        disk=disk,
        rcp_setup=p.get("rcp.session_setup", "s"),
    )
