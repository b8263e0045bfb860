"""The published reference rows, read in one place and typed.

``measurements.csv`` holds one row per published cell (README.md in this directory says
what was measured on which hardware); ``workloads.csv`` what each program is and the size
of its migration stream in the original system. Every user goes through :func:`load`: the
reproduction's tables, the CPU and network calibrations, and the tests.

A row is named by its *key* ``table,program,problem,mode,phase`` (for example
``hetero,linpack,n=200,network,tx``), the name the profiles' ``calibrated against``
sources use. The papers' machine and network names are mapped to the testbed's profile
names, so a row can be priced by the models directly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from testbed.errors import ConfigError

REFERENCE_DIR = Path(__file__).resolve().parent
MEASUREMENTS = "measurements.csv"
WORKLOADS = "workloads.csv"
# The papers' names of the machines and networks, and the testbed's profiles of them.
MACHINES = {"DECstation 5000/120": "dec5000", "SPARCstation 20": "ss20", "Ultra 5": "ultra5"}
NETWORKS = {"10 Mb/s Ethernet": "10mbps", "100 Mb/s Ethernet": "100mbps"}
MEASUREMENT_COLUMNS = ("table", "program", "problem", "tx_bytes", "src_machine", "dst_machine",
                       "network", "mode", "phase", "seconds")
WORKLOAD_COLUMNS = ("program", "problem", "tx_bytes", "what it holds")

Cell = tuple[str, str, str, str, str]  # (table, program, problem, mode, phase)


@dataclass(frozen=True)
class Workload:
    """One program and problem of the papers, with its migration stream's size."""

    program: str
    problem: str  # "n=200", "2048 keys", "small"
    tx_bytes: int
    description: str


@dataclass(frozen=True)
class Measurement:
    """One published cell, with the testbed's names of its machines and network."""

    table: str  # "hetero" or "homog"
    program: str
    problem: str
    mode: str  # "network" or "file"
    phase: str  # "scan", "tx", "restore", "migrate", "collect", "scan_write", "rcp", ...
    tx_bytes: int  # the row's own, or its workload's when the row leaves it empty
    src: str  # machine profile names
    dst: str
    network: str  # network profile name
    seconds: float

    @property
    def cell(self) -> Cell:
        return (self.table, self.program, self.problem, self.mode, self.phase)

    @property
    def key(self) -> str:
        """``table,program,problem,mode,phase``: the row's name in profile sources."""
        return ",".join(self.cell)


@dataclass(frozen=True)
class Reference:
    """The published rows and workloads of one reference directory."""

    measurements: tuple[Measurement, ...]
    workloads: tuple[Workload, ...]
    directory: Path = REFERENCE_DIR

    def row(self, key: str) -> Measurement:
        """The row named ``key``; a ConfigError naming the file if there is none."""
        for m in self.measurements:
            if m.key == key:
                return m
        raise ConfigError(f"no reference row {key!r} in {self.directory / MEASUREMENTS} (a row "
                          "is named table,program,problem,mode,phase)")

    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.measurements)

    def seconds(self, table: str, program: str, problem: str, mode: str,
                phase: str) -> float | None:
        """The published seconds of one cell, None if the papers do not give it."""
        cell = (table, program, problem, mode, phase)
        return next((m.seconds for m in self.measurements if m.cell == cell), None)

    def published(self) -> dict[Cell, float]:
        """Every published cell's seconds."""
        return {m.cell: m.seconds for m in self.measurements}

    def problems(self) -> set[str]:
        """The papers' problem names (``n=1000``, ``8192 keys``, ``large``)."""
        return {w.problem for w in self.workloads}

    def workload_bytes(self, program: str) -> tuple[int, ...]:
        """The original stream sizes of one program's problems, in file order."""
        return tuple(w.tx_bytes for w in self.workloads if w.program == program)


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file whose header has ``columns``."""
    try:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise ConfigError(f"{path}: the header lacks the column(s) {', '.join(missing)}")
            return [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise ConfigError(f"reference file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"reference file {path} cannot be read: {exc.strerror}") from None


def _field(path: Path, line: int, row: dict[str, str], column: str,
           convert: type[int] | type[float] | dict[str, str]) -> int | float | str:
    text = (row.get(column) or "").strip()
    try:
        return convert[text] if isinstance(convert, dict) else convert(text)
    except (KeyError, ValueError):
        valid = f"; known: {', '.join(convert)}" if isinstance(convert, dict) else ""
        raise ConfigError(f"{path} line {line}: {column} {text!r} is not valid{valid}") from None


@cache
def load(directory: Path = REFERENCE_DIR) -> Reference:
    """Read and check the reference files of ``directory`` (once per directory)."""
    directory = Path(directory)
    workloads_path, measurements_path = directory / WORKLOADS, directory / MEASUREMENTS
    workloads = tuple(
        Workload(row["program"], row["problem"], int(_field(workloads_path, line, row,
                                                             "tx_bytes", int)),
                 row["what it holds"])
        for line, row in _rows(workloads_path, WORKLOAD_COLUMNS))
    sizes = {(w.program, w.problem): w.tx_bytes for w in workloads}
    measurements = []
    for line, row in _rows(measurements_path, MEASUREMENT_COLUMNS):
        if row["tx_bytes"].strip():
            nbytes = int(_field(measurements_path, line, row, "tx_bytes", int))
        elif (row["program"], row["problem"]) in sizes:
            nbytes = sizes[(row["program"], row["problem"])]
        else:
            raise ConfigError(f"{measurements_path} line {line}: no tx_bytes, and {WORKLOADS} has "
                              f"no {row['program']} {row['problem']} to take it from")
        measurements.append(Measurement(
            row["table"], row["program"], row["problem"], row["mode"], row["phase"], nbytes,
            str(_field(measurements_path, line, row, "src_machine", MACHINES)),
            str(_field(measurements_path, line, row, "dst_machine", MACHINES)),
            str(_field(measurements_path, line, row, "network", NETWORKS)),
            float(_field(measurements_path, line, row, "seconds", float))))
    keys = [m.key for m in measurements]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise ConfigError(f"{measurements_path}: more than one row for {', '.join(doubled)}")
    return Reference(tuple(measurements), workloads, directory)
