"""The meter: prices the blocks counted between two snapshots with the machine profile.

Each distinct block is classified once (``BlockClassifier``: instruction counts per
class); a tally is the executions-weighted sum, priced in cycles and seconds by the
profile's ``[cpu]`` table (testbed/emu/costmodel.py).
"""

from __future__ import annotations

from collections.abc import Callable

from testbed.emu.costmodel import BlockClassifier, Tally
from testbed.emu.counter import BlockCounter, Snapshot
from testbed.emu.isa import Isa


class Meter:
    """Tallies of one guest's execution, from its block counter."""

    def __init__(self, counter: BlockCounter, isa: Isa, read_code: Callable[[int, int], bytes]) -> None:
        self.counter = counter
        self.classifier = BlockClassifier(isa, read_code)

    def snapshot(self) -> Snapshot:
        return self.counter.snapshot()

    def tally(self, since: Snapshot | None = None, until: Snapshot | None = None) -> Tally:
        """Instructions per class executed between two snapshots (default: start, now)."""
        end = until or self.counter.snapshot()
        outside = end.outside - (since.outside if since else 0)
        return self.classifier.tally(self.counter.blocks(since, end), outside)
