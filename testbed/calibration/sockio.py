"""Network-mode calibration: the classic runtime's item-by-item socket calls
(testbed/migration/sockio.py) against the published Table 1 bitonic rows.

Table 1's bitonic rows (Ultra 5 -> Ultra 5, 100 Mb/s, 8,192 keys) are the only released
network rows whose stream is made of many small items: linpack's arrays are one item
each, so its rows fix the CPU and the per-byte costs and leave the per-item ones free.
With the load/store cycles of the CPU fit (:mod:`.cpu`) and the transfer model's bulk Tx,
each of the three rows leaves one unknown, solved exactly:

- ultra5 ``sock.write_item``, the cycles of one write() of an item, from collect;
- ultra5 ``sock.read_item``, the cycles of one read() of an item, from restore;
- ultra5 ``sock.send_item``, the extra protocol cycles a small write costs the transfer,
  from tx.

The three are therefore fitted, not predicted. No other machine has a released row that
shows a per-item cost, and their profiles keep none (docs/runtimes.md, "Socket I/O").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from testbed.calibration import Fitted, RowFit
from testbed.calibration.cpu import AT, COMMAND, seconds
from testbed.calibration.cpu import Measured as CpuMeasured
from testbed.calibration.cpu import Target as CpuTarget
from testbed.emu.isa import CLASSES
from testbed.emu.machines import resolve
from testbed.errors import ConfigError
from testbed.experiments import records
from testbed.net import simulate_transfer
from testbed.reference import load

MACHINE = "ultra5"
PROGRAM, SIZE, PROBLEM = "bitonic", "8192", "8192 keys"
NETWORK = "100mbps"
# (the profile's parameter, the Table 1 phase it is fitted to, what it stands for)
PARAMETERS = (
    ("sock.write_item", "collect", "one write() of an encoded item on the source's TCP socket"),
    ("sock.send_item", "tx", "the protocol work a small write adds to the transfer"),
    ("sock.read_item", "restore", "one read() of an encoded item on the destination's socket"),
)


@dataclass(frozen=True)
class Measured:
    """The emulated homogeneous bitonic migration: its CPU phases and what it encoded."""

    scan: CpuMeasured
    restore: CpuMeasured
    tx_bytes: int
    items: int


def _target(phase: str) -> CpuTarget:
    return CpuTarget("homog", PROGRAM, PROBLEM, SIZE, MACHINE, MACHINE, NETWORK, phase, MACHINE)


def measure(runtime: str = "classic", jobs: int | None = None) -> Measured:
    """One emulated migration of bitonic 8,192 keys, Ultra 5 -> Ultra 5, at the
    reproduction's migration point."""
    from testbed.experiments.config import Run
    from testbed.experiments.runner import execute, group_runs

    run = Run(PROGRAM, SIZE, MACHINE, MACHINE, NETWORK, "network", AT, runtime, roundtrip=False)
    outcomes = [o for batch in execute(group_runs([run]), jobs=jobs) for o in batch]
    record = outcomes[0].record
    why = outcomes[0].error if record is None else records.failure(record)
    if why is not None:
        raise ConfigError(f"calibration: the migration of {PROGRAM} {SIZE} {MACHINE} -> {MACHINE} failed: {why}")
    values = records.fields(record)

    def phase(name: str, side: str) -> CpuMeasured:
        target = _target(name)
        counts = records.instruction_counts(record, side, CLASSES)
        return CpuMeasured(target, np.array(counts, dtype=float),
                           load().row(target.row).seconds, int(values["tx_bytes"]))

    return Measured(phase("collect", "scan"), phase("restore", "restore"), int(values["tx_bytes"]),
                    int(values["items"]))


def fit(m: Measured, cpu_fitted: list[Fitted]) -> list[Fitted]:
    """The three per-item values, given the CPU fit's load/store cycles."""
    memory = next(f.value for f in cpu_fitted if f.machine == MACHINE)
    ultra5 = resolve(MACHINE)
    clock = ultra5.profile.get("cpu.clock", "Hz")
    if m.items <= 0:
        raise ConfigError("calibration: the classic collection reported no items (is the runtime classic?)")
    base = {"collect": seconds(m.scan, memory), "restore": seconds(m.restore, memory),
            "tx": simulate_transfer(m.tx_bytes, MACHINE, MACHINE, network=NETWORK).tx_s}
    results = []
    for path, phase, meaning in PARAMETERS:
        key = f"homog,{PROGRAM},{PROBLEM},network,{phase}"
        published = load().row(key).seconds
        current = ultra5.profile.get(path, "cycles")
        before = base[phase] + m.items * current / clock
        value = (published - base[phase]) * clock / m.items
        if value <= 0:
            raise ConfigError(f"calibration: {key} leaves no time for the socket calls "
                              f"({base[phase]:.4f} s without them, {published:.4f} s published)")
        results.append(Fitted(MACHINE, (path,), value, "cycles", current,
                              (RowFit(key, published, before, published),),
                              f"exact, {m.items:,} items of the classic collection", COMMAND, meaning))
    return results
