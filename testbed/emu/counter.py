"""The block counter: how often each translation block of the program text ran.

The counting itself is native C (native/blockcount.c, installed by ucnative). Counts live
in numpy arrays the C hook writes directly: one slot per possible block start in the
text, plus an overflow table for a start address seen again with another block size.
When that table fills, the C hook stops emulation before the block runs;
``drain_overflow`` moves the entries into a host dictionary and the run loop resumes, so
every block is priced and none is dropped. ``Snapshot`` freezes all counts for the meter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import unicorn

from testbed.emu import ucnative
from testbed.errors import GuestFault

UNLIMITED = 2**64 - 1
OVERFLOW_CAPACITY = 4096  # (address, size) pairs held in C before a drain


@dataclass
class Snapshot:
    """Block counts at one moment, to tally the execution between two moments."""

    counts: np.ndarray
    overflow: dict[tuple[int, int], int]
    outside: int
    instructions: int


class BlockCounter:
    """Counts blocks starting in [text_lo, text_hi); instructions anywhere; enforces a budget."""

    def __init__(self, text_lo: int, text_hi: int, no_stop: np.ndarray, *,
                 overflow_capacity: int = OVERFLOW_CAPACITY, slot_bytes: int = 4,
                 insn_starts: np.ndarray | None = None) -> None:
        """``no_stop[slot]`` is true where a block would start in a delay slot: emulation
        cannot stop (and resume) there, so a stop waits for the next block. A slot covers
        ``slot_bytes`` (a power of two: where instructions can start). ``insn_starts``
        (variable-length ISAs: Isa.instruction_starts of the text) makes the counted
        instructions exact rather than size / 4."""
        if overflow_capacity < 1 or overflow_capacity & (overflow_capacity - 1):
            raise ValueError("overflow_capacity must be a power of two")
        if slot_bytes < 1 or slot_bytes & (slot_bytes - 1):
            raise ValueError("slot_bytes must be a power of two")
        self.text_lo = text_lo
        self.slot_bytes = slot_bytes
        self.overflow_capacity = overflow_capacity
        slots = (text_hi - text_lo + slot_bytes - 1) // slot_bytes
        self.counts = np.zeros(slots, dtype=np.uint64)
        self.sizes = np.zeros(slots, dtype=np.uint32)
        self.no_stop = np.zeros(slots, dtype=np.uint8)
        self.no_stop[: min(slots, len(no_stop))] = no_stop[:slots]
        self._keys = np.zeros(overflow_capacity, dtype=np.uint64)
        self._key_counts = np.zeros(overflow_capacity, dtype=np.uint64)
        self.spilled: dict[tuple[int, int], int] = {}  # drained overflow entries
        self.drains = 0
        c = ucnative.CounterStruct()
        c.base = text_lo
        c.slots = slots
        c.counts = self.counts.ctypes.data
        c.sizes = self.sizes.ctypes.data
        c.no_stop = self.no_stop.ctypes.data
        c.budget = UNLIMITED
        c.emu_stop = ucnative.emu_stop_address()
        c.overflow_capacity = overflow_capacity
        c.overflow_key = self._keys.ctypes.data
        c.overflow_count = self._key_counts.ctypes.data
        c.slot_shift = slot_bytes.bit_length() - 1
        if insn_starts is not None:
            self._insn_starts = np.ascontiguousarray(insn_starts, dtype=np.uint32)  # kept alive for C
            c.insn_starts = self._insn_starts.ctypes.data
            c.insn_bytes = len(self._insn_starts) - 1
        self.native = c

    def install(self, uc: unicorn.Uc) -> None:
        ucnative.add_block_counter(uc, self.native)

    # ---- budget and stops ----

    def arm(self, limit: int) -> None:
        """Stop emulation once ``limit`` instructions have run in total."""
        self.native.budget = limit
        self.native.stopped = 0

    @property
    def budget_stop(self) -> bool:
        return bool(self.native.stopped)

    @property
    def overflow_stop(self) -> bool:
        return bool(self.native.overflow_full)

    @property
    def instructions(self) -> int:
        return int(self.native.instructions)

    @property
    def last_block(self) -> tuple[int, int]:
        """(address, size) of the block that started last."""
        return int(self.native.last_address), int(self.native.last_size)

    def drain_overflow(self) -> None:
        """Move the C overflow table (and its pending blocks) into ``spilled``; empty it."""
        c = self.native
        if c.lost:
            raise GuestFault(f"the block counter lost {c.lost} blocks in delay slots while its overflow table "
                             f"was full; raise overflow_capacity (OVERFLOW_CAPACITY in testbed/emu/counter.py)")
        self._add_native_table(self.spilled)
        self._keys[:] = 0
        self._key_counts[:] = 0
        c.overflow_used = 0
        c.pending_used = 0
        c.overflow_full = 0
        self.drains += 1

    def _add_native_table(self, into: dict[tuple[int, int], int]) -> None:
        """Add the C overflow table and pending blocks (keys ``address << 20 | size``) to ``into``."""
        used = self._keys != 0
        entries = [*zip(self._keys[used].tolist(), self._key_counts[used].tolist(), strict=True),
                   *((key, 1) for key in self.native.pending_key[: self.native.pending_used])]
        for key, count in entries:
            block = (int(key) >> 20, int(key) & 0xFFFFF)
            into[block] = into.get(block, 0) + int(count)

    def snapshot(self) -> Snapshot:
        overflow = dict(self.spilled)
        self._add_native_table(overflow)
        return Snapshot(self.counts.copy(), overflow, int(self.native.outside), self.instructions)

    def blocks(self, since: Snapshot | None, until: Snapshot) -> list[tuple[int, int, int]]:
        """(address, size, executions) of every block that ran between two snapshots."""
        counts = until.counts - since.counts if since else until.counts
        out = [
            (self.text_lo + self.slot_bytes * int(slot), int(self.sizes[slot]), int(counts[slot]))
            for slot in np.flatnonzero(counts)
        ]
        for block, n in until.overflow.items():
            out.append((block[0], block[1], n - (since.overflow.get(block, 0) if since else 0)))
        return out
