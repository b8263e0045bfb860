"""Local disk and file system: what writing, reading and copying a file costs below write()/read().

One disk request per file-system block. A request's service time is positioning plus the
block's transfer at the media rate:

* the first block of a file, or any block that does not follow the previous request on
  the disk: average seek plus half a revolution;
* the next block of the same file: the file system laid it out ``rotdelay`` after the
  previous one (4.3BSD FFS rotational layout; 0 for contiguous clustering). If the request
  arrives within that gap the disk waits for the rest of it; if it arrives later, the block
  has passed under the head and the expected wait is half a revolution.

So a queue of write-behind requests streams (one ``rotdelay`` per block), while a process
that reads a block, then does something else, then reads the next (rcp) loses about half a
revolution per block. No file-system read-ahead and no drive cache are modelled.

Each block also costs ``fs_per_block`` of host CPU: buffer-cache work and copying the block
between the caller's buffer and the cache (charged in proportion for a partial block).

Writes go through the buffer cache with write-behind: each full block is queued to the
disk at once (BSD ``bawrite``), and write() blocks only when ``write_behind`` bytes of the
file are still dirty or in flight. A file written on a host and read back there is served
from the cache, with no disk access, if it fits in ``file_cache`` (a sequential pass over a
larger file under LRU evicts every block before it is re-read, so all of it misses).

The guest program separately pays its own CPU cost for its write() and read() calls
(instructions, traps); this module is only what the kernel and the device add.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from testbed.net.engine import Host, Sim
from testbed.net.params import DiskParams


class Disk:
    """One disk drive: a FIFO server whose service time follows the rotational layout."""

    def __init__(self, sim: Sim, params: DiskParams) -> None:
        self.sim = sim
        self.p = params
        self.free_at = 0.0
        self.last: tuple[str, int] | None = None
        self.busy_time = 0.0
        self.requests = 0

    def request(self, file_id: str, block: int, nbytes: int) -> simpy.Event:
        """Read or write ``nbytes`` of block ``block`` of ``file_id``; fires when done."""
        now = self.sim.env.now
        p = self.p
        if self.last == (file_id, block - 1):
            gap = now - self.free_at if now > self.free_at else 0.0
            wait = p.rotdelay - gap if gap <= p.rotdelay else p.rev_time / 2.0
        else:
            wait = p.avg_seek + p.rev_time / 2.0
        start = self.free_at if self.free_at > now else now
        service = wait + nbytes / p.transfer_rate
        self.free_at = start + service
        self.busy_time += service
        self.requests += 1
        self.last = (file_id, block)
        ev = self.sim.event()
        self.sim.at(self.free_at - now, ev.succeed)
        return ev


class FileWriter:
    """Sequential writes of one file through the buffer cache, with write-behind."""

    def __init__(self, sim: Sim, host: Host, disk: Disk, file_id: str) -> None:
        self.sim = sim
        self.host = host
        self.disk = disk
        self.p = disk.p
        self.file_id = file_id
        self.limit = max(1, self.p.write_behind // self.p.block_size)
        self.inflight = 0
        self.block = 0
        self.partial = 0  # bytes in the current, not yet full, block
        self._space: simpy.Event | None = None

    def write(self, nbytes: int) -> Generator[simpy.Event, Any, None]:
        """A SimPy sub-process: copy ``nbytes`` into the cache, queueing full blocks."""
        bs = self.p.block_size
        while nbytes > 0:
            n = min(bs - self.partial, nbytes)
            yield self.host.cpu.job(self.p.fs_per_block * n / bs)
            self.partial += n
            nbytes -= n
            if self.partial == bs:
                yield from self._queue_block(bs)

    def close(self) -> Generator[simpy.Event, Any, None]:
        """Queue the last partial block; close() does not wait for the disk (no fsync)."""
        if self.partial:
            yield from self._queue_block(self.partial)

    def _queue_block(self, nbytes: int) -> Generator[simpy.Event, Any, None]:
        while self.inflight >= self.limit:
            self._space = self.sim.event()
            yield self._space
        self.inflight += 1
        self.disk.request(self.file_id, self.block, nbytes).callbacks.append(self._flushed)
        self.block += 1
        self.partial = 0

    def _flushed(self, _ev: simpy.Event) -> None:
        self.inflight -= 1
        if self._space is not None and not self._space.triggered:
            self._space.succeed()
            self._space = None


def read_blocks(host: Host, disk: Disk, file_id: str, first_block: int, nbytes: int,
                cached: bool) -> Generator[simpy.Event, Any, None]:
    """A SimPy sub-process: read ``nbytes`` from ``first_block`` on, block by block."""
    p = disk.p
    bs = p.block_size
    block = first_block
    while nbytes > 0:
        n = min(bs, nbytes)
        if not cached:
            yield disk.request(file_id, block, n)
        yield host.cpu.job(p.fs_per_block * n / bs)
        nbytes -= n
        block += 1


def fits_in_cache(params: DiskParams, nbytes: int) -> bool:
    """Whether a file just written on a host is still entirely cached there."""
    return nbytes <= params.file_cache
