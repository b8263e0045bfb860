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

import csv
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from testbed import PACKAGE_DIR
from testbed.emu.isa import CLASSES
from testbed.migration.run import MigrationSpec, migrate
from testbed.profiles import MACHINE_DIR, machine

REFERENCE = PACKAGE_DIR / "reference" / "measurements.csv"
MEMORY = ("load", "store")


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
        return f"{self.table},{self.program},{self.problem},network,{self.phase}"


TARGETS = (
    Target("hetero", "linpack", "n=200", "200", "dec5000", "ss20", "10mbps", "scan", "dec5000"),
    Target("hetero", "linpack", "n=1000", "1000", "dec5000", "ss20", "10mbps", "scan", "dec5000"),
    Target("hetero", "linpack", "n=200", "200", "dec5000", "ss20", "10mbps", "restore", "ss20"),
    Target("hetero", "linpack", "n=1000", "1000", "dec5000", "ss20", "10mbps", "restore", "ss20"),
    Target("homog", "linpack", "n=1000", "1000", "ultra5", "ultra5", "100mbps", "collect", "ultra5"),
    Target("homog", "linpack", "n=1000", "1000", "ultra5", "ultra5", "100mbps", "restore", "ultra5"),
)


def published(target: Target) -> float:
    with open(REFERENCE) as f:
        for row in csv.DictReader(f):
            if (row["table"], row["program"], row["problem"], row["mode"], row["phase"]) == (
                    target.table, target.program, target.problem, "network", target.phase):
                return float(row["seconds"])
    raise KeyError(target.row)


def measure(runtime: str = "classic") -> list[dict[str, Any]]:
    """Instruction counts per class of each target phase (one emulation per migration)."""
    runs: dict[tuple, dict] = {}
    out = []
    for t in TARGETS:
        key = (t.program, t.size, t.src, t.dst)
        if key not in runs:
            runs[key] = migrate(MigrationSpec(t.program, t.size, t.src, t.dst, network=t.network,
                                              roundtrip=False, runtime=runtime)).to_dict()
        r = runs[key]
        side = "scan" if t.phase in ("scan", "collect") else "restore"
        out.append({"target": t, "counts": np.array([r[f"{side}_n_{c}"] for c in CLASSES], dtype=float),
                    "published_s": published(t)})
    return out


def fit(measured: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per machine, the load/store cycles minimising the squared relative error."""
    results = {}
    for name in sorted({m["target"].machine for m in measured}):
        prof = machine(name)
        clock = prof.get("cpu.clock", "Hz")
        cycles = np.array([prof.get(f"cpu.cycles.{c}", "cycles") for c in CLASSES])
        mem = np.array([c in MEMORY for c in CLASSES], dtype=float)
        rows = [m for m in measured if m["target"].machine == name]
        # seconds = (fixed + m * memory_count) / clock, with fixed the other classes' cycles
        a = np.array([(r["counts"] * mem).sum() / clock / r["published_s"] for r in rows])
        b = np.array([(r["counts"] * (1 - mem) * cycles).sum() / clock / r["published_s"] for r in rows])
        m_fit = float(np.dot(a, 1 - b) / np.dot(a, a))  # least squares of a*m + b = 1
        before = [float((r["counts"] * cycles).sum() / clock) for r in rows]
        after = [float((b_i + a_i * m_fit) * r["published_s"]) for a_i, b_i, r in zip(a, b, rows, strict=True)]
        results[name] = {
            "memory_cycles": m_fit,
            "rows": [(r["target"].row, r["published_s"], x, y) for r, x, y in zip(rows, before, after, strict=True)],
        }
    return results


def write_profiles(results: dict[str, dict[str, Any]]) -> None:
    """Record the fitted values in the machine profiles, saying what they were fitted to."""
    for name, res in results.items():
        path = MACHINE_DIR / f"{name}.toml"
        text = path.read_text()
        rows = "; ".join(r[0] for r in res["rows"])
        for cls in MEMORY:
            source = (f"calibrated against {rows} (classic runtime; load and store fitted as one value by "
                      f"least squares on relative error, testbed/calibrate.py)")
            line = f'{cls:6} = {{ value = {res["memory_cycles"]:.3f}, unit = "cycles", source = "{source}" }}'
            text, n = re.subn(rf"^{cls}\s*=\s*\{{.*\}}$", line, text, count=1, flags=re.M)
            if n != 1:
                raise ValueError(f"{path}: no {cls} line to replace")
        path.write_text(text)
    machine.cache_clear()


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, res in results.items():
        lines.append(f"{name}: load/store = {res['memory_cycles']:.3f} cycles")
        for row, pub, before, after in res["rows"]:
            lines.append(f"  {row:42} published {pub:8.3f} s  before {before:8.3f} s ({before / pub - 1:+7.1%})"
                         f"  after {after:8.3f} s ({after / pub - 1:+7.1%})")
    return "\n".join(lines)
