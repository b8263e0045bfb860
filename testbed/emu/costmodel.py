"""The timing model: executed blocks priced per instruction class from a machine profile.

The native block counter (native/blockcount.c) counts how often each translation block
ran. Each distinct block is classified once (ISA.classify: capstone for MIPS, opcode
fields for SPARC) into instruction counts per class; cycles = sum over blocks of
executions x (class counts . cycles per class). Seconds = cycles / clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from testbed.emu.isa import CLASSES, Isa
from testbed.profiles import Profile


@dataclass
class Tally:
    """Executed instructions per class for some stretch of execution."""

    by_class: np.ndarray = field(default_factory=lambda: np.zeros(len(CLASSES), dtype=np.int64))
    outside: int = 0  # instructions outside the classified text (priced as alu)

    @property
    def instructions(self) -> int:
        return int(self.by_class.sum()) + self.outside

    def cycles(self, profile: Profile) -> float:
        return float(self.by_class @ cycle_vector(profile)) + self.outside * profile.get("cpu.cycles.alu", "cycles")

    def seconds(self, profile: Profile) -> float:
        return self.cycles(profile) / profile.get("cpu.clock", "Hz")

    def as_dict(self) -> dict[str, int]:
        return {name: int(n) for name, n in zip(CLASSES, self.by_class, strict=True)}


def cycle_vector(profile: Profile) -> np.ndarray:
    return np.array([profile.get(f"cpu.cycles.{c}", "cycles") for c in CLASSES], dtype=np.float64)


class BlockClassifier:
    """Classifies each distinct (address, size) block once per loaded program."""

    def __init__(self, isa: Isa, read_code) -> None:
        self._isa = isa
        self._read_code = read_code  # (address, size) -> bytes
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def classes(self, address: int, size: int) -> np.ndarray:
        key = (address, size)
        vec = self._cache.get(key)
        if vec is None:
            vec = np.array(self._isa.classify(self._read_code(address, size), address), dtype=np.int64)
            self._cache[key] = vec
        return vec

    def tally(self, blocks: list[tuple[int, int, int]], outside: int = 0) -> Tally:
        """Tally from (address, size, executions) triples."""
        t = Tally(outside=outside)
        for address, size, count in blocks:
            if count:
                t.by_class += self.classes(address, size) * count
        return t
