"""Tx: moving the stream from the source to the destination, priced by the SimPy network
and file-transfer model (testbed/net).

In file mode the guest also pays for its write() and read() calls: the modern runtime
writes the stream in one buffered write, the classic one with one write() per encoded
item, as the original did; the destination reads it in one read. Each call is priced from
the machine profile's [os] table (a system call plus a copy per byte). The disk, the file
system below the call and rcp are the network model's.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.emu.machines import Machine
from testbed.net import simulate_transfer


@dataclass(frozen=True)
class Transfer:
    seconds: float  # network: the TCP transfer; file: write + rcp + read
    model: str
    failed: bool = False
    reason: str | None = None
    write_s: float | None = None  # file mode: the source's write() and its disk
    rcp_s: float | None = None
    read_s: float | None = None  # file mode: the destination's read() and its disk
    eth_frames: int = 0  # Ethernet frames both hosts put on the link


def syscall_seconds(machine: Machine, nbytes: int, calls: int = 1) -> float:
    """CPU time of ``calls`` read()/write() system calls moving ``nbytes`` in all."""
    p = machine.profile
    return calls * p.get("os.syscall", "s") + nbytes * p.get("os.copy_per_byte", "s/B")


def transfer(nbytes: int, src: Machine, dst: Machine, network: str, mode: str, write_calls: int = 1,
             loss: float = 0.0, fail_at: float | None = None, background: float = 0.0,
             seed: int = 0) -> Transfer:
    """``seed`` seeds every random choice of the link (loss, backoff, background traffic):
    the same arguments and seed give the same transfer."""
    r = simulate_transfer(nbytes, src.name, dst.name, network=network, mode=mode,
                          background=background, loss=loss, fail_at=fail_at, seed=seed)
    if mode == "file":
        write_s = (r.write_s or 0.0) + syscall_seconds(src, nbytes, calls=write_calls)
        read_s = (r.read_s or 0.0) + syscall_seconds(dst, nbytes)
        return Transfer(write_s + (r.rcp_s or 0.0) + read_s, "simpy", r.failed, r.reason,
                        write_s, r.rcp_s, read_s, r.frames)
    return Transfer(r.tx_s, "simpy", r.failed, r.reason, eth_frames=r.frames)
