"""Tx: moving the stream from the source to the destination, priced by the SimPy network
and file-transfer model (testbed/net).

In file mode the guest also pays for its write() and read() calls: the modern runtime
writes the stream in one write() and reads it in one read(), priced from the machine
profile's [os] table (a system call plus a copy per byte); the classic runtime writes and
reads it as the original did, XDR unit by unit through stdio over the kernel's buffer
cache (testbed/migration/fileio.py). The disk below the modern runtime's write, the
destination's disk and rcp are the network model's. In network mode the classic runtime
hands the socket one item per call (testbed/migration/sockio.py): its writes and reads
are ``write_s`` and ``read_s`` there, its small sends' protocol work is part of Tx.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.emu.machines import Machine
from testbed.migration import fileio
from testbed.migration.fileio import syscall_seconds
from testbed.migration.sockio import socket_cost
from testbed.net import simulate_transfer

__all__ = ["Transfer", "syscall_seconds", "transfer", "write_calls"]


@dataclass(frozen=True)
class Transfer:
    seconds: float  # network: the TCP transfer; file: write + rcp + read
    model: str
    failed: bool = False
    reason: str | None = None
    write_s: float | None = None  # the source's write() calls (file mode: and its disk)
    rcp_s: float | None = None
    read_s: float | None = None  # the destination's read() calls (file mode: and its disk)
    eth_frames: int = 0  # Ethernet frames both hosts put on the link


def write_calls(src: Machine, nbytes: int, runtime: str) -> int:
    """The guest's calls that write the stream file: one write(), or (classic) one stdio
    fwrite() per XDR unit."""
    return fileio.write_cost(src, nbytes).units if runtime == "classic" else 1


def transfer(nbytes: int, src: Machine, dst: Machine, network: str, mode: str, runtime: str = "modern",
             items: int = 0, loss: float = 0.0, fail_at: float | None = None, background: float = 0.0,
             seed: int = 0) -> Transfer:
    """``items`` is what the classic runtime's collection encoded (its socket calls in
    network mode). ``seed`` seeds every random choice of the link (loss, backoff, background
    traffic): the same arguments and seed give the same transfer."""
    r = simulate_transfer(nbytes, src.name, dst.name, network=network, mode=mode,
                          background=background, loss=loss, fail_at=fail_at, seed=seed)
    if mode == "file" and runtime == "classic":
        # the buffer cache and the synchronous writes once it is full replace the network
        # model's write-behind; the destination's disk (if the file is not cached) stays
        write_s = fileio.write_cost(src, nbytes).seconds
        read_s = (r.read_s or 0.0) + fileio.read_cost(dst, nbytes).seconds
        return Transfer(write_s + (r.rcp_s or 0.0) + read_s, "simpy", r.failed, r.reason,
                        write_s, r.rcp_s, read_s, r.frames)
    if mode == "file":
        write_s = (r.write_s or 0.0) + syscall_seconds(src, nbytes)
        read_s = (r.read_s or 0.0) + syscall_seconds(dst, nbytes)
        return Transfer(write_s + (r.rcp_s or 0.0) + read_s, "simpy", r.failed, r.reason,
                        write_s, r.rcp_s, read_s, r.frames)
    if runtime == "classic":
        calls = socket_cost(src, dst, items)
        return Transfer(r.tx_s + calls.send_s, "simpy", r.failed, r.reason, calls.write_s,
                        read_s=calls.read_s, eth_frames=r.frames)
    return Transfer(r.tx_s, "simpy", r.failed, r.reason, eth_frames=r.frames)
