"""File I/O of the classic runtime in file mode: the original system's stream through XDR
on a stdio stream, and the kernel's buffer cache below it (docs/runtimes.md, "File I/O").

The original wrote its stream with the XDR library of its time on a stdio stream
(``xdrstdio_create``): every XDR unit of four bytes is one ``fwrite()`` (``xdr_long``;
a double is two), stdio hands its buffer to the kernel with one ``write()`` each time it
fills, and the kernel copies the data into its buffer cache, which writes it behind to
the disk. While the cache has room a ``write()`` costs the call and the copy; once the
file's dirty blocks fill it, every further block waits for the disk: the writer then
goes at the rate of synchronous block writes. The published linpack rows show that knee:
25 times the data took 57 times as long to write (``testbed/reference``). The
destination reads the same way it was written: one ``fread()`` per unit out of stdio's
buffer, one ``read()`` per buffer; the file has just arrived by rcp and is in the page
cache, so the disk is not touched (the network model's file path decides that).

Each cost is a profile parameter: ``[stdio]`` (cycles per unit written and read, the
stdio buffer, the share of memory the buffer cache holds, the synchronous write rate),
``[os]`` (a system call, the copy per byte) and ``[memory].size``. The modern runtime
writes its stream in one ``write()`` and reads it in one ``read()``: only ``[os]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from testbed.emu.machines import Machine

XDR_UNIT = 4  # bytes of one XDR unit: one fwrite()/fread() of xdrstdio


@dataclass(frozen=True)
class FileCost:
    """What writing or reading one stream file costs the guest's process."""

    seconds: float
    units: int  # XDR units, one stdio call each
    calls: int  # write()/read() system calls: one per stdio buffer
    synchronous_bytes: int = 0  # bytes written after the buffer cache was full


def syscall_seconds(machine: Machine, nbytes: int, calls: int = 1) -> float:
    """CPU time of ``calls`` read()/write() system calls moving ``nbytes`` in all."""
    p = machine.profile
    return calls * p.get("os.syscall", "s") + nbytes * p.get("os.copy_per_byte", "s/B")


def buffer_cache_bytes(machine: Machine) -> float:
    """How much of a file the kernel's buffer cache takes before writes go synchronous."""
    p = machine.profile
    return p.get("stdio.cache_share", "1") * p.get("memory.size", "B")


def _units_and_calls(machine: Machine, nbytes: int) -> tuple[int, int]:
    buffer = machine.profile.get("stdio.buffer", "B")
    return math.ceil(nbytes / XDR_UNIT), max(1, math.ceil(nbytes / buffer))


def write_cost(machine: Machine, nbytes: int) -> FileCost:
    """The classic runtime writing an ``nbytes`` stream file on ``machine``."""
    p = machine.profile
    units, calls = _units_and_calls(machine, nbytes)
    synchronous = max(0, nbytes - math.floor(buffer_cache_bytes(machine)))
    seconds = (units * p.get("stdio.put_unit", "cycles") / p.get("cpu.clock", "Hz")
               + syscall_seconds(machine, nbytes, calls) + synchronous / p.get("stdio.sync_rate", "B/s"))
    return FileCost(seconds, units, calls, synchronous)


def read_cost(machine: Machine, nbytes: int) -> FileCost:
    """The classic runtime reading an ``nbytes`` stream file on ``machine`` (from the cache;
    a disk read, if the file is not cached, is the network model's)."""
    p = machine.profile
    units, calls = _units_and_calls(machine, nbytes)
    seconds = units * p.get("stdio.get_unit", "cycles") / p.get("cpu.clock", "Hz") + syscall_seconds(machine, nbytes, calls)
    return FileCost(seconds, units, calls)
