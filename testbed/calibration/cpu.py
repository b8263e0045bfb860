"""CPU calibration: fit the machine profiles' memory-access costs against the published
linpack rows (DECstation scan, SPARCstation 20 restore, Ultra 5 collect and restore).

linpack's collection and restoration are data movement: byte swapping, copying and the
CRC over megabytes of doubles. Their published times pin down what a load or a store
cost on each machine, caches and memory system included, which the data sheets do not
give. One parameter per machine is fitted (load and store cycles, set equal), by least
squares on relative errors, with the classic runtime (the design the rows measured).
Everything else the testbed reports with these values is a prediction: Table 1's
bitonic rows in particular are reported, not fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from testbed.calibration import Fitted, RowFit
from testbed.emu.isa import CLASSES
from testbed.errors import ConfigError
from testbed.experiments import records
from testbed.profiles import machine
from testbed.reference import load

MEMORY = ("load", "store")
# Where the programs migrate: as in the reproduction's grids (experiments/*.toml), halfway
# through, when linpack holds its full matrix.
AT = "50%"
PATHS = tuple(f"cpu.cycles.{c}" for c in MEMORY)
METHOD = "classic runtime; load and store fitted as one value by least squares on relative error"
COMMAND = "testbed calibrate"


@dataclass(frozen=True)
class Target:
    """One published CPU phase the fit uses."""

    table: str
    program: str
    problem: str
    size: str
    src: str
    dst: str
    network: str
    phase: str  # collect/scan (source CPU) or restore (destination CPU)
    machine: str  # whose parameters it constrains

    @property
    def row(self) -> str:
        """The reference row's key."""
        return f"{self.table},{self.program},{self.problem},network,{self.phase}"

    @property
    def side(self) -> str:
        """The record's phase: the source's scan, or the destination's restore."""
        return "scan" if self.phase in ("scan", "collect") else "restore"


TARGETS = (
    Target("hetero", "linpack", "n=200", "200", "dec5000", "ss20", "10mbps", "scan", "dec5000"),
    Target("hetero", "linpack", "n=1000", "1000", "dec5000", "ss20", "10mbps", "scan", "dec5000"),
    Target("hetero", "linpack", "n=200", "200", "dec5000", "ss20", "10mbps", "restore", "ss20"),
    Target("hetero", "linpack", "n=1000", "1000", "dec5000", "ss20", "10mbps", "restore", "ss20"),
    Target("homog", "linpack", "n=1000", "1000", "ultra5", "ultra5", "100mbps", "collect", "ultra5"),
    Target("homog", "linpack", "n=1000", "1000", "ultra5", "ultra5", "100mbps", "restore", "ultra5"),
)


@dataclass(frozen=True)
class Measured:
    """A target's instruction counts per class (CLASSES order) and its published time."""

    target: Target
    counts: np.ndarray
    published_s: float
    tx_bytes: int = 0  # the migration's stream (the file-mode fits price its file)


def published(target: Target) -> float:
    return load().row(target.row).seconds


def measure(runtime: str = "classic", jobs: int | None = None) -> list[Measured]:
    """Instruction counts per class of each target phase: one emulated migration per
    (program, size, pair), run by the sweep runner (in parallel, a crashed worker reported)
    at the reproduction's migration point, so the fit sees the migrations its tables show."""
    from testbed.experiments.config import Run
    from testbed.experiments.runner import execute, group_runs

    def run(t: Target) -> Run:
        return Run(t.program, t.size, t.src, t.dst, t.network, "network", AT, runtime,
                   roundtrip=False)

    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for outcomes in execute(group_runs(run(t) for t in TARGETS), jobs=jobs):
        for o in outcomes:
            why = o.error if o.record is None else records.failure(o.record)
            if why is not None:
                raise ConfigError(f"calibration: the migration of {o.run.program} "
                                  f"{o.run.size} {o.run.src} -> {o.run.dst} failed: {why}")
            found[o.run.emulation_key] = o.record
    return [Measured(t, np.array(records.instruction_counts(found[run(t).emulation_key], t.side,
                                                            CLASSES), dtype=float), published(t),
                     int(records.fields(found[run(t).emulation_key])["tx_bytes"]))
            for t in TARGETS]


def seconds(m: Measured, memory_cycles: float) -> float:
    """The measured phase's time on its machine with load and store at ``memory_cycles``."""
    prof = machine(m.target.machine)
    cycles = np.array([memory_cycles if c in MEMORY else prof.get(f"cpu.cycles.{c}", "cycles") for c in CLASSES])
    return float((m.counts * cycles).sum() / prof.get("cpu.clock", "Hz"))


def fit(measured: list[Measured]) -> list[Fitted]:
    """Per machine, the load/store cycles minimising the squared relative error."""
    results = []
    for name in sorted({m.target.machine for m in measured}):
        prof = machine(name)
        clock = prof.get("cpu.clock", "Hz")
        cycles = np.array([prof.get(f"cpu.cycles.{c}", "cycles") for c in CLASSES])
        mem = np.array([c in MEMORY for c in CLASSES], dtype=float)
        rows = [m for m in measured if m.target.machine == name]
        # seconds = (fixed + m * memory_count) / clock, with fixed the other classes' cycles
        a = np.array([(r.counts * mem).sum() / clock / r.published_s for r in rows])
        b = np.array([(r.counts * (1 - mem) * cycles).sum() / clock / r.published_s for r in rows])
        m_fit = float(np.dot(a, 1 - b) / np.dot(a, a))  # least squares of a*m + b = 1
        fits = tuple(
            RowFit(r.target.row, r.published_s, float((r.counts * cycles).sum() / clock),
                   float((b_i + a_i * m_fit) * r.published_s))
            for r, a_i, b_i in zip(rows, a, b, strict=True))
        current = prof.get(PATHS[0], "cycles")
        results.append(Fitted(name, PATHS, m_fit, "cycles", current, fits, METHOD, COMMAND))
    return results
