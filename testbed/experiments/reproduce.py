"""Reproduce the original papers' tables and figures, and check their qualitative findings.

Five experiments (the same grids as ``experiments/hetero.toml``, ``homog.toml``,
``scaling.toml``, ``runtimes.toml`` and ``collection.toml``; a test keeps them equal) run as
one pool, so an emulation shared between them (linpack n=1000 on Ultra 5 is a row of Table 1
and a point of a figure; the heterogeneous table's classic runs are half of the runtime
comparison) is done once, and each emulation is re-priced for the modes and networks that
share it:

- the heterogeneous table: DECstation 5000/120 -> SPARCstation 20, 10 Mb/s, network and
  file mode, with the difference (file - network) and speed-up (file / network) rows;
- Table 1: Ultra 5 -> Ultra 5, 100 Mb/s, network mode: collect, tx, restore;
- figures: collection and restoration time against migrated bytes (linpack, bitonic),
  network against file migrate time per program;
- the classic against the modern runtime on the heterogeneous table's six workloads, and
  the collection cost per block against the block count (bitonic, 2,048 to 65,536 keys).

The published numbers come from the original system, so the tables compared with them, the
scaling figures and their findings use the **classic** runtime by default (``runtime``
chooses); the runtime comparison and the per-block figure always run both.

Every cell is shown next to the published value where a reference row exists (matched
on table, program, problem, mode, phase), with the relative error. The findings are
checked on the numbers, PASS or FAIL, whatever they turn out to be: the point of a
testbed is to find out.

The table, finding and figure functions take plain DataFrames of tidy rows, so they can
be exercised on synthetic rows without emulating anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from testbed import PACKAGE_DIR
from testbed.experiments.config import RUNTIMES, Experiment, Grid
from testbed.experiments.runner import SweepResult, sweep_many
from testbed.programs import PROGRAMS

REFERENCE = PACKAGE_DIR / "reference" / "measurements.csv"
HETERO_PROGRAMS = ("linpack", "bitonic", "test_pointer")
HOMOG_PROGRAMS = ("linpack", "bitonic")
# The reproduction's sizes: the papers' two sizes, and --quick stand-ins of the same shape.
QUICK_HETERO_SIZES = {"linpack": ("50", "100"), "bitonic": ("256", "1024"),
                      "test_pointer": ("200", "1000")}
QUICK_HOMOG_SIZES = {"linpack": ("100",), "bitonic": ("1024",)}
SCALING_SIZES = {"linpack": ("400", "600", "800", "1000"),
                 "bitonic": ("2048", "4096", "8192", "16384", "32768")}
QUICK_SCALING_SIZES = {"linpack": ("50", "100", "150", "200"),
                       "bitonic": ("256", "512", "1024", "2048")}
# Record fields of each published phase.
HETERO_PHASES = {
    "network": (("scan", "scan_s"), ("tx", "tx_s"), ("restore", "restore_s"),
                ("migrate", "migrate_s")),
    "file": (("scan_write", "scan_write_s"), ("rcp", "rcp_s"),
             ("read_restore", "read_restore_s"), ("migrate", "migrate_s")),
}
HOMOG_PHASES = (("collect", "scan_s"), ("tx", "tx_s"), ("restore", "restore_s"),
                ("migrate", "migrate_s"))
TABLE_COLUMNS = ("table", "runtime", "program", "problem", "size", "tx_bytes", "mode", "phase",
                 "testbed_s", "published_s", "rel_error", "derived")
LINEAR_R2 = 0.99  # the linpack finding's threshold
# Where the programs migrate: halfway through, when every program holds its full data
# (passage 1 comes before bitonic has built its tree or linpack has its matrix).
AT = "50%"
# The published rows were measured on the original system: its runtime design is compared
# with them unless told otherwise.
REFERENCE_RUNTIME = "classic"
# The collection cost per block: bitonic (one heap block per tree node) from 2,048 to 65,536
# keys, as ``testbed bench --collection`` (a test keeps them equal), on the heterogeneous pair.
COLLECTION_KEYS = ("2048", "4096", "8192", "16384", "32768", "65536")
QUICK_COLLECTION_KEYS = ("256", "512", "1024", "2048")
HETERO_PAIR = ("dec5000", "ss20")
# The per-block finding: the classic runtime's binary search makes a block's collection
# dearer as blocks double (measured about +40 instructions per doubling); the modern one
# keeps it flat.
CLASSIC_SLOPE_MIN = 10.0  # scan instructions per block, per doubling of the blocks
MODERN_SPREAD_MAX = 0.15  # largest |per-block cost - mean| / mean
# The runtime comparison: (quantity, the row's mode, its column).
RUNTIME_QUANTITIES = (("scan_s", "network", "scan_s"), ("restore_s", "network", "restore_s"),
                      ("tx_bytes", "network", "tx_bytes"),
                      ("migrate_s network", "network", "migrate_s"),
                      ("migrate_s file", "file", "migrate_s"))
SIDE_BY_SIDE = ("classic", "modern")  # the comparison's order: the original design first
RUNTIME_COLUMNS = ("table", "program", "problem", "size", "quantity", "classic", "modern",
                   "ratio")


def _sizes(programs: Sequence[str], sizes: dict[str, tuple[str, ...]] | tuple[str, ...],
           ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((p, sizes[p] if isinstance(sizes, dict) else sizes) for p in programs)


def _check_runtime(runtime: str) -> str:
    from testbed.errors import ConfigError

    if runtime not in RUNTIMES:
        raise ConfigError(f"unknown runtime {runtime!r}; valid: {', '.join(RUNTIMES)}")
    return runtime


def _roundtrip(runtime: str) -> bool:
    """Whether the reproduction checks the round trip: not on the classic runtime, whose
    collection right after a restore is quadratic in the blocks (bitonic 8,192 keys: about
    100 s instead of under 1; test_pointer large: hours). The check changes no priced phase;
    ``testbed check --runtime classic`` checks the round trip at the test sizes."""
    return runtime != "classic"


def experiments(quick: bool = False, runtime: str = REFERENCE_RUNTIME,
                ) -> tuple[Experiment, Experiment, Experiment]:
    """The reproduction's three grids compared with the papers (hetero, homog, scaling), full
    or --quick, on one runtime (the original design's by default)."""
    _check_runtime(runtime)

    def grid(programs: Sequence[str], sizes: Any, pair: tuple[str, str], network: str,
             modes: tuple[str, ...]) -> Grid:
        return Grid(tuple(programs), _sizes(programs, sizes), (pair,), (network,), modes, (AT,),
                    (runtime,), _roundtrip(runtime))

    source = "testbed.experiments.reproduce"
    hetero = Experiment(
        "hetero",
        (grid(HETERO_PROGRAMS, ("paper1", "paper2"), HETERO_PAIR, "10mbps",
              ("network", "file")),),
        "DECstation 5000/120 -> SPARCstation 20, 10 Mb/s, network and file mode", source,
        (grid(HETERO_PROGRAMS, QUICK_HETERO_SIZES, HETERO_PAIR, "10mbps",
              ("network", "file")),))
    homog = Experiment(
        "homog",
        (grid(HOMOG_PROGRAMS, ("paper2",), ("ultra5", "ultra5"), "100mbps", ("network",)),),
        "Ultra 5 -> Ultra 5, 100 Mb/s, network mode: linpack n=1000, bitonic 8192 keys", source,
        (grid(HOMOG_PROGRAMS, QUICK_HOMOG_SIZES, ("ultra5", "ultra5"), "100mbps", ("network",)),))
    scaling = Experiment(
        "scaling",
        (grid(HOMOG_PROGRAMS, SCALING_SIZES, ("ultra5", "ultra5"), "100mbps", ("network",)),),
        "collection and restoration against migrated bytes, Ultra 5 -> Ultra 5", source,
        (grid(HOMOG_PROGRAMS, QUICK_SCALING_SIZES, ("ultra5", "ultra5"), "100mbps",
              ("network",)),))
    out = (hetero, homog, scaling)
    return tuple(e.quick() for e in out) if quick else out  # type: ignore[return-value]


def runtime_experiments(quick: bool = False) -> tuple[Experiment, Experiment]:
    """The two runtime designs side by side, full or --quick: ``runtimes``, the heterogeneous
    table's six workloads (network and file mode), and ``collection``, bitonic from 2,048 to
    65,536 keys. One block per runtime: the classic one checks no round trip (see
    ``_roundtrip``)."""
    def grids(programs: Sequence[str], sizes: Any, modes: tuple[str, ...]) -> tuple[Grid, ...]:
        return tuple(Grid(tuple(programs), _sizes(programs, sizes), (HETERO_PAIR,), ("10mbps",),
                          modes, (AT,), (runtime,), _roundtrip(runtime))
                     for runtime in SIDE_BY_SIDE)

    source = "testbed.experiments.reproduce"
    runtimes = Experiment(
        "runtimes", grids(HETERO_PROGRAMS, ("paper1", "paper2"), ("network", "file")),
        "classic against modern runtime: DECstation 5000/120 -> SPARCstation 20, 10 Mb/s",
        source, grids(HETERO_PROGRAMS, QUICK_HETERO_SIZES, ("network", "file")))
    collection = Experiment(
        "collection", grids(("bitonic",), COLLECTION_KEYS, ("network",)),
        "collection cost per block against blocks: bitonic 2,048 to 65,536 keys, both runtimes",
        source, grids(("bitonic",), QUICK_COLLECTION_KEYS, ("network",)))
    out = (runtimes, collection)
    return tuple(e.quick() for e in out) if quick else out  # type: ignore[return-value]


def all_experiments(quick: bool = False, runtime: str = REFERENCE_RUNTIME,
                    ) -> tuple[Experiment, ...]:
    """Every grid of the reproduction: hetero, homog, scaling, runtimes, collection."""
    return (*experiments(quick, runtime), *runtime_experiments(quick))


def problem_label(program_name: str, n: int) -> str:
    """The reference rows' name of a problem: ``n=200``, ``2048 keys``, and for
    test_pointer ``small``/``large`` at the papers' two sizes (by value: the testbed's
    own ``small`` size is a different, tiny one)."""
    if program_name in ("linpack", "matmul"):
        return f"n={n}"
    if program_name == "bitonic":
        return f"{n} keys"
    if program_name == "test_pointer":
        sizes = PROGRAMS["test_pointer"].sizes
        return {sizes["paper1"]: "small", sizes["paper2"]: "large"}.get(n, f"{n} nodes")
    return str(n)


def load_reference(path: Path = REFERENCE) -> pd.DataFrame:
    return pd.read_csv(path)


def _published(reference: pd.DataFrame) -> dict[tuple[str, str, str, str, str], float]:
    return {(r.table, r.program, r.problem, r.mode, r.phase): float(r.seconds)
            for r in reference.itertuples()}


def _ok(rows: pd.DataFrame) -> pd.DataFrame:
    """Only runs that migrated and verified count as measurements."""
    if rows.empty:
        return rows
    good = rows["verified"].fillna(False).astype(bool) & ~rows["failed"].fillna(True).astype(bool)
    return rows[good]


def _cells(rows: pd.DataFrame) -> dict[tuple[str, int, str], pd.Series]:
    """The verified row of each (program, size, mode)."""
    return {(r["program"], int(r["size_value"]), r["mode"]): r for _, r in _ok(rows).iterrows()}


def runtime_of(rows: pd.DataFrame) -> str:
    """The runtime the rows were measured on ("classic+modern" if mixed, "" if unknown)."""
    if rows.empty or "runtime" not in rows.columns:
        return ""
    return "+".join(sorted(str(v) for v in rows["runtime"].dropna().unique()))


def _entry(table: str, program_name: str, n: int, mode: str, phase: str, value: float | None,
           published: dict[tuple[str, str, str, str, str], float], tx_bytes: Any,
           derived: bool = False, published_value: float | None = None,
           runtime: str = "") -> dict[str, Any]:
    problem = problem_label(program_name, n)
    pub = published_value if derived else published.get((table, program_name, problem, mode, phase))
    value = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    err = (value - pub) / pub if value is not None and pub not in (None, 0) else None
    return {"table": table, "runtime": runtime, "program": program_name, "problem": problem,
            "size": n, "tx_bytes": tx_bytes, "mode": mode, "phase": phase, "testbed_s": value,
            "published_s": pub, "rel_error": err, "derived": derived}


def _order(rows: pd.DataFrame, programs: Sequence[str]) -> list[tuple[str, int]]:
    keys = {(r["program"], int(r["size_value"])) for _, r in rows.iterrows()}
    rank = {p: i for i, p in enumerate(programs)}
    return sorted(keys, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))


def hetero_table(rows: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """The heterogeneous table, long form: per program and problem, the four phases of
    each mode, then the difference (file - network migrate) and the speed-up (file /
    network) as in the original, whose published values come from the published totals."""
    published = _published(reference)
    cells = _cells(rows)
    runtime = runtime_of(rows)
    out = []
    for prog, n in _order(rows, HETERO_PROGRAMS):
        totals: dict[str, float | None] = {}
        for mode, phases in HETERO_PHASES.items():
            r = cells.get((prog, n, mode))
            tx = None if r is None else int(r["tx_bytes"])
            for phase, column in phases:
                value = None if r is None else r.get(column)
                out.append(_entry("hetero", prog, n, mode, phase, value, published, tx,
                                  runtime=runtime))
            totals[mode] = out[-1]["testbed_s"]
        problem = problem_label(prog, n)
        pub_net = published.get(("hetero", prog, problem, "network", "migrate"))
        pub_file = published.get(("hetero", prog, problem, "file", "migrate"))
        net, fil = totals.get("network"), totals.get("file")
        both = net is not None and fil is not None
        pub_both = pub_net is not None and pub_file is not None
        tx = out[-1]["tx_bytes"]
        out.append(_entry("hetero", prog, n, "file-network", "difference",
                          fil - net if both else None, published, tx, derived=True,
                          published_value=pub_file - pub_net if pub_both else None,
                          runtime=runtime))
        out.append(_entry("hetero", prog, n, "file/network", "speed-up",
                          fil / net if both and net else None, published, tx, derived=True,
                          published_value=pub_file / pub_net if pub_both else None,
                          runtime=runtime))
    return pd.DataFrame(out, columns=list(TABLE_COLUMNS))


def homog_table(rows: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Table 1, long form: collect (the testbed's scan), tx, restore and their total."""
    published = _published(reference)
    cells = _cells(rows)
    runtime = runtime_of(rows)
    out = []
    for prog, n in _order(rows, HOMOG_PROGRAMS):
        r = cells.get((prog, n, "network"))
        tx = None if r is None else int(r["tx_bytes"])
        for phase, column in HOMOG_PHASES:
            value = None if r is None else r.get(column)
            out.append(_entry("homog", prog, n, "network", phase, value, published, tx,
                              runtime=runtime))
    return pd.DataFrame(out, columns=list(TABLE_COLUMNS))


def runtime_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The classic against the modern runtime, long form: per workload (program, problem)
    and quantity (scan_s, restore_s, tx_bytes, the migrate time in network and in file
    mode), the two runtimes' values and their ratio classic / modern. A value whose run did
    not verify is left empty, and so is its ratio."""
    ok = _ok(rows)
    cells: dict[tuple[str, int, str, str], pd.Series] = {}
    if not ok.empty:
        cells = {(r["program"], int(r["size_value"]), r["mode"], r["runtime"]): r
                 for _, r in ok.iterrows()}
    out = []
    for prog, n in _order(rows, HETERO_PROGRAMS):
        for quantity, mode, column in RUNTIME_QUANTITIES:
            values: dict[str, float | None] = {}
            for runtime in SIDE_BY_SIDE:
                r = cells.get((prog, n, mode, runtime))
                if r is None and mode == "network" and column != "migrate_s":
                    r = cells.get((prog, n, "file", runtime))  # the same emulation's value
                v = None if r is None else r.get(column)
                values[runtime] = None if v is None or pd.isna(v) else float(v)
            classic, modern = values["classic"], values["modern"]
            ratio = classic / modern if classic is not None and modern else None
            out.append({"table": "runtimes", "program": prog, "problem": problem_label(prog, n),
                        "size": n, "quantity": quantity, "classic": classic, "modern": modern,
                        "ratio": ratio})
    return pd.DataFrame(out, columns=list(RUNTIME_COLUMNS))


def display_runtime_table(table: pd.DataFrame) -> pd.DataFrame:
    """The runtime comparison formatted for reading: seconds to 4 decimals, bytes with
    thousands separators, the ratio to 3 digits."""
    def value(v: Any, quantity: str) -> str:
        if v is None or pd.isna(v):
            return "-"
        return f"{int(v):,}" if quantity == "tx_bytes" else f"{v:.4f}"

    return pd.DataFrame({
        "program": table["program"], "problem": table["problem"], "quantity": table["quantity"],
        "classic": [value(v, q) for v, q in zip(table["classic"], table["quantity"], strict=True)],
        "modern": [value(v, q) for v, q in zip(table["modern"], table["quantity"], strict=True)],
        "classic/modern": table["ratio"].map(lambda v: "-" if pd.isna(v) else f"{v:.3f}"),
    })


@dataclass(frozen=True)
class ErrorSummary:
    """Relative errors against the published rows (derived rows excluded: they repeat
    the totals they are computed from)."""

    count: int
    median: float | None
    worst: float | None
    worst_cell: str | None

    def text(self) -> str:
        if not self.count:
            return ("no published row matched (the --quick sizes are not the papers'); run the "
                    "full reproduction to compare")
        return (f"|relative error| over {self.count} published cells: median {self.median:.1%}, "
                f"worst {self.worst:.1%} ({self.worst_cell})")


def error_summary(tables: Sequence[pd.DataFrame]) -> ErrorSummary:
    frame = pd.concat([t for t in tables if not t.empty], ignore_index=True) if any(
        not t.empty for t in tables) else pd.DataFrame(columns=list(TABLE_COLUMNS))
    if frame.empty:
        return ErrorSummary(0, None, None, None)
    frame = frame[~frame["derived"].astype(bool) & frame["rel_error"].notna()]
    if frame.empty:
        return ErrorSummary(0, None, None, None)
    errs = frame["rel_error"].astype(float).abs()
    worst = frame.loc[errs.idxmax()]
    cell = (f"{worst['table']} {worst['program']} {worst['problem']} {worst['mode']} "
            f"{worst['phase']}: {worst['testbed_s']:.3f} s vs {worst['published_s']:.3f} s")
    return ErrorSummary(len(frame), float(errs.median()), float(errs.max()), cell)


@dataclass(frozen=True)
class Finding:
    """One qualitative claim of the papers, checked on the testbed's numbers."""

    claim: str
    passed: bool
    detail: str

    def text(self) -> str:
        return f"[{'PASS' if self.passed else 'FAIL'}] {self.claim}: {self.detail}"


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line y = a + b x: (slope b, intercept a, R^2)."""
    slope, intercept = np.polyfit(x, y, 1)
    pred = intercept + slope * x
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    return float(slope), float(intercept), r2


def _series(rows: pd.DataFrame, program_name: str) -> pd.DataFrame:
    """One program's verified scaling points, by migrated bytes."""
    ok = _ok(rows)
    if ok.empty:
        return ok
    sel = ok[ok["program"] == program_name].copy()
    sel = sel.drop_duplicates(subset=["size_value"]).sort_values("tx_bytes")
    return sel


def _on(rows: pd.DataFrame) -> str:
    """" (classic runtime)": what a claim was checked on, when the rows say."""
    runtime = runtime_of(rows)
    return f" ({runtime} runtime)" if runtime else ""


def finding_network_faster(hetero_rows: pd.DataFrame) -> Finding:
    """Checked on every problem whose two modes verified; a problem without them is named,
    and a program with none at all fails the claim (it could not be checked)."""
    claim = "network mode migrates faster than file mode for every program" + _on(hetero_rows)
    cells = _cells(hetero_rows)
    pairs, missing = [], []
    order = _order(hetero_rows, HETERO_PROGRAMS)
    for prog, n in order:
        net, fil = cells.get((prog, n, "network")), cells.get((prog, n, "file"))
        if net is None or fil is None:
            missing.append(f"{prog} {problem_label(prog, n)}")
            continue
        pairs.append((prog, n, float(net["migrate_s"]), float(fil["migrate_s"])))
    if not pairs:
        return Finding(claim, False, "no verified runs")
    unchecked = {p for p, _ in order} - {p for p, *_ in pairs}
    passed = all(net < fil for _, _, net, fil in pairs) and not unchecked
    detail = "; ".join(f"{p} {problem_label(p, n)}: network {net:.3f} s, file {fil:.3f} s "
                       f"(x{fil / net:.1f})" for p, n, net, fil in pairs)
    if missing:
        detail += f"; not measured (a run failed to verify): {', '.join(missing)}"
    return Finding(claim, passed, detail)


def finding_linpack_linear(scaling_rows: pd.DataFrame) -> Finding:
    claim = (f"linpack collection and restoration are linear in the data (R^2 > {LINEAR_R2})"
             + _on(scaling_rows))
    s = _series(scaling_rows, "linpack")
    if s.empty or s["tx_bytes"].nunique() < 3:
        return Finding(claim, False, "needs at least 3 sizes with different stream sizes, has "
                       f"{0 if s.empty else s['tx_bytes'].nunique()}")
    x = s["tx_bytes"].to_numpy(float)
    parts, passed = [], True
    for label, column in (("collection", "scan_s"), ("restoration", "restore_s")):
        slope, intercept, r2 = _fit(x, s[column].to_numpy(float))
        passed &= r2 > LINEAR_R2
        parts.append(f"{label} R^2 = {r2:.5f}, {slope * 1e6:.4f} s/MB + {intercept:.4f} s")
    sizes = ", ".join(str(v) for v in s["size_value"])
    return Finding(claim, passed, f"n = {sizes}: " + "; ".join(parts))


def finding_bitonic_collection(scaling_rows: pd.DataFrame) -> Finding:
    """Collection grows faster than restoration: its growth exponent against the bytes
    migrated (log-log slope) is the larger, and so the scan/restore ratio rises from the
    smallest size to the largest. This is a claim about growth rates (n log n against n),
    not about which phase costs more per byte; the absolute slopes are reported too."""
    claim = "bitonic collection grows faster than its restoration" + _on(scaling_rows)
    s = _series(scaling_rows, "bitonic")
    if s.empty or s["tx_bytes"].nunique() < 2:
        return Finding(claim, False, "needs at least 2 sizes with different stream sizes, has "
                       f"{0 if s.empty else s['tx_bytes'].nunique()}")
    x = s["tx_bytes"].to_numpy(float)
    scan, restore = s["scan_s"].to_numpy(float), s["restore_s"].to_numpy(float)
    scan_slope = _fit(x, scan)[0]
    restore_slope = _fit(x, restore)[0]
    ratio = scan / restore
    exp_scan = float(np.polyfit(np.log(x), np.log(scan), 1)[0])
    exp_restore = float(np.polyfit(np.log(x), np.log(restore), 1)[0])
    passed = exp_scan > exp_restore and ratio[-1] > ratio[0]
    ratios = ", ".join(f"{int(k)} keys {r:.3f}" for k, r in zip(s["size_value"], ratio, strict=True))
    detail = (f"slope collection {scan_slope * 1e6:.4f} s/MB vs restoration "
              f"{restore_slope * 1e6:.4f} s/MB; scan/restore ratio {ratios}; "
              f"growth exponent (log-log) collection {exp_scan:.3f}, restoration {exp_restore:.3f}")
    return Finding(claim, passed, detail)


COLLECTION_POINT_COLUMNS = ("runtime", "keys", "blocks", "tx_bytes", "scan_instructions",
                            "restore_instructions", "scan_per_block", "restore_per_block")


def collection_points(rows: pd.DataFrame) -> pd.DataFrame:
    """The per-block cost of each verified (runtime, bitonic size): scan and restore
    instructions over blocks, by runtime and block count (one row per emulation: the rows
    of other networks and modes repeat it)."""
    ok = _ok(rows)
    if not ok.empty:
        ok = ok[ok["program"] == "bitonic"]
    if ok.empty:
        return pd.DataFrame(columns=list(COLLECTION_POINT_COLUMNS))
    ok = ok.drop_duplicates(subset=["runtime", "size_value"])
    out = pd.DataFrame({
        "runtime": ok["runtime"].astype(str), "keys": ok["size_value"].astype(int),
        "blocks": ok["blocks"].astype(int), "tx_bytes": ok["tx_bytes"].astype(int),
        "scan_instructions": ok["scan_instructions"].astype(int),
        "restore_instructions": ok["restore_instructions"].astype(int)})
    out["scan_per_block"] = out["scan_instructions"] / out["blocks"]
    out["restore_per_block"] = out["restore_instructions"] / out["blocks"]
    rank = {r: i for i, r in enumerate(SIDE_BY_SIDE)}
    return out.sort_values(["runtime", "blocks"], key=lambda c: c.map(rank) if c.name == "runtime"
                           else c).reset_index(drop=True)


@dataclass(frozen=True)
class PerBlockTrend:
    """One runtime's collection cost per block against the block count: the least-squares
    slope against log2(blocks) (instructions per doubling) and the spread, the largest
    |value - mean| / mean, as ``testbed bench --collection`` reports them."""

    runtime: str
    blocks: tuple[int, ...]
    per_block: tuple[float, ...]
    slope_per_log2: float
    spread: float

    def text(self) -> str:
        return (f"{self.runtime}: {self.per_block[0]:,.0f} -> {self.per_block[-1]:,.0f} scan "
                f"instructions per block from {self.blocks[0]:,} to {self.blocks[-1]:,} blocks, "
                f"slope {self.slope_per_log2:+.1f} per doubling, spread {self.spread:.1%}")


def per_block_trend(points: pd.DataFrame, runtime: str) -> PerBlockTrend | None:
    """The trend of one runtime's points; None with fewer than 2 block counts."""
    sel = points[points["runtime"] == runtime].sort_values("blocks")
    if sel["blocks"].nunique() < 2:
        return None
    y = sel["scan_per_block"].to_numpy(float)
    x = np.log2(sel["blocks"].to_numpy(float))
    slope = float(np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2))
    spread = float(np.max(np.abs(y - y.mean())) / y.mean())
    return PerBlockTrend(runtime, tuple(int(b) for b in sel["blocks"]), tuple(float(v) for v in y),
                         slope, spread)


def finding_collection_per_block(collection_rows: pd.DataFrame) -> Finding:
    """The classic runtime's collection cost per block grows with log2 of the blocks (its
    binary search of the sorted table: PASS needs a slope above CLASSIC_SLOPE_MIN
    instructions per doubling); the modern one's stays flat (spread within
    MODERN_SPREAD_MAX)."""
    claim = ("collection cost per block grows with log2(blocks) on the classic runtime "
             f"(slope > {CLASSIC_SLOPE_MIN:g} instructions per doubling) and stays flat on the "
             f"modern one (within +-{MODERN_SPREAD_MAX:.0%})")
    points = collection_points(collection_rows)
    trends = {r: per_block_trend(points, r) for r in SIDE_BY_SIDE}
    missing = [r for r, t in trends.items() if t is None]
    if missing:
        return Finding(claim, False, "needs at least 2 verified block counts per runtime; "
                       f"too few for {', '.join(missing)}")
    classic, modern = trends["classic"], trends["modern"]
    assert classic is not None and modern is not None
    passed = classic.slope_per_log2 > CLASSIC_SLOPE_MIN and modern.spread <= MODERN_SPREAD_MAX
    detail = f"bitonic {classic.text()}; {modern.text()}"
    return Finding(claim, passed, detail)


def findings(hetero_rows: pd.DataFrame, scaling_rows: pd.DataFrame,
             collection_rows: pd.DataFrame | None = None) -> list[Finding]:
    """The papers' findings; with ``collection_rows`` (both runtimes) also the per-block
    collection cost of the two runtime designs."""
    out = [finding_network_faster(hetero_rows), finding_linpack_linear(scaling_rows),
           finding_bitonic_collection(scaling_rows)]
    if collection_rows is not None:
        out.append(finding_collection_per_block(collection_rows))
    return out


def plot_collect_restore(scaling_rows: pd.DataFrame, program_name: str, ax: Any = None) -> Any:
    """Collection (scan) and restoration time against migrated bytes, with fitted lines."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    s = _series(scaling_rows, program_name)
    if s.empty:
        ax.set_title(f"{program_name}: no verified runs")
        return ax
    mb = s["tx_bytes"].to_numpy(float) / 1e6
    for label, column, marker, size in (("collection", "scan_s", "o", 8),
                                        ("restoration", "restore_s", "s", 5)):
        y = s[column].to_numpy(float)
        ax.plot(mb, y, marker, markersize=size, markerfacecolor="none", label=label)
        if len(s) >= 2:
            slope, intercept, r2 = _fit(mb, y)
            xs = np.linspace(0, mb.max() * 1.05, 50)
            ax.plot(xs, intercept + slope * xs, "--", linewidth=0.8,
                    label=f"{label} fit ({slope:.3f} s/MB, R$^2$={r2:.4f})")
    for (_, r), x in zip(s.iterrows(), mb, strict=True):
        ax.annotate(problem_label(program_name, int(r["size_value"])), (x, r["scan_s"]),
                    textcoords="offset points", xytext=(3, 4), fontsize=7)
    pair = f"{s['src'].iloc[0]} -> {s['dst'].iloc[0]}"
    runtime = runtime_of(s)
    ax.set(xlabel="migrated bytes (MB)", ylabel="seconds (simulated)",
           title=f"{program_name}: collection and restoration ({pair}"
           + (f", {runtime} runtime)" if runtime else ")"))
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    return ax


def plot_network_vs_file(hetero_rows: pd.DataFrame, ax: Any = None) -> Any:
    """Migrate time of each program and problem in the two modes (log scale: file mode
    is dominated by rcp's fixed cost)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    cells = _cells(hetero_rows)
    keys = _order(hetero_rows, HETERO_PROGRAMS)
    labels = [f"{p}\n{problem_label(p, n)}" for p, n in keys]
    xs = np.arange(len(keys))
    for offset, mode in ((-0.2, "network"), (0.2, "file")):
        values = [float(cells[(p, n, mode)]["migrate_s"]) if (p, n, mode) in cells else np.nan
                  for p, n in keys]
        ax.bar(xs + offset, values, width=0.4, label=f"{mode} mode")
    ax.set_xticks(xs, labels, fontsize=7)
    ax.set_yscale("log")
    runtime = runtime_of(hetero_rows)
    ax.set(ylabel="migrate time (simulated s)",
           title="network vs file mode, dec5000 -> ss20, 10 Mb/s"
           + (f", {runtime} runtime" if runtime else ""))
    ax.legend()
    return ax


def plot_collection_per_block(collection_rows: pd.DataFrame, ax: Any = None) -> Any:
    """Collection (and, dotted, restoration) instructions per block against the block
    count, log2 axis, one line per runtime, each labelled with its slope per doubling."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    points = collection_points(collection_rows)
    if points.empty:
        ax.set_title("collection cost per block: no verified runs")
        return ax
    colours = {"classic": "tab:red", "modern": "tab:blue"}
    for runtime in [r for r in SIDE_BY_SIDE if r in set(points["runtime"])]:
        sel = points[points["runtime"] == runtime]
        trend = per_block_trend(points, runtime)
        note = "" if trend is None else (f" ({trend.slope_per_log2:+.1f}/doubling, spread "
                                         f"{trend.spread:.1%})")
        colour = colours.get(runtime)
        ax.plot(sel["blocks"], sel["scan_per_block"], "o-", color=colour,
                label=f"{runtime}: collection{note}")
        ax.plot(sel["blocks"], sel["restore_per_block"], "s:", color=colour, markersize=4,
                markerfacecolor="none", label=f"{runtime}: restoration")
    first = collection_rows.iloc[0]
    ax.set_xscale("log", base=2)
    ax.set(xlabel="blocks in the stream (log2)", ylabel="guest instructions per block",
           title=f"bitonic: collection cost per block ({first['src']} -> {first['dst']})")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    return ax


def write_figures(hetero_rows: pd.DataFrame, scaling_rows: pd.DataFrame, directory: Path,
                  collection_rows: pd.DataFrame | None = None) -> list[Path]:
    """The PNGs, drawn on bare Figure objects: no pyplot state, so writing them neither
    needs a display nor changes a notebook's backend. ``collection_per_block.png`` only
    with ``collection_rows``."""
    from matplotlib.figure import Figure

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    figures: list[tuple[str, Any]] = [
        ("linpack_collect_restore.png", lambda ax: plot_collect_restore(scaling_rows, "linpack", ax)),
        ("bitonic_collect_restore.png", lambda ax: plot_collect_restore(scaling_rows, "bitonic", ax)),
        ("network_vs_file.png", lambda ax: plot_network_vs_file(hetero_rows, ax)),
    ]
    if collection_rows is not None:
        figures.append(("collection_per_block.png",
                        lambda ax: plot_collection_per_block(collection_rows, ax)))
    for name, draw in figures:
        fig = Figure(figsize=(7, 4.5))
        draw(fig.subplots())
        fig.tight_layout()
        path = directory / name
        fig.savefig(path, dpi=120)
        paths.append(path)
    return paths


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table (pandas' own needs tabulate, which the testbed does not use)."""
    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table formatted for reading: seconds to 3-4 digits, errors in per cent."""
    def secs(v: Any, phase: str) -> str:
        if v is None or pd.isna(v):
            return "-"
        return f"x{v:.2f}" if phase == "speed-up" else f"{v:.4f}"

    out = pd.DataFrame({
        "program": table["program"], "problem": table["problem"],
        "bytes": table["tx_bytes"].map(lambda v: "-" if pd.isna(v) else f"{int(v):,}"),
        "mode": table["mode"], "phase": table["phase"],
        "testbed": [secs(v, p) for v, p in zip(table["testbed_s"], table["phase"], strict=True)],
        "published": [secs(v, p) for v, p in zip(table["published_s"], table["phase"], strict=True)],
        "rel. error": table["rel_error"].map(lambda v: "" if pd.isna(v) else f"{v:+.1%}"),
    })
    return out


@dataclass
class Report:
    """What a reproduction produced. ``tables`` are the ones compared with the published
    rows (on ``runtime``); ``runtime_table`` and ``collection`` compare the two runtimes."""

    tables: dict[str, pd.DataFrame]
    findings: list[Finding]
    errors: ErrorSummary
    errors_by_table: dict[str, ErrorSummary]
    figures: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    wall_s: float | None = None
    revision: str = "unknown"
    quick: bool = False
    failed_runs: int = 0
    runtime: str = ""
    runtime_table: pd.DataFrame | None = None
    collection: pd.DataFrame | None = None  # collection_points of both runtimes

    def _kind(self) -> str:
        return "quick" if self.quick else "full"

    def findings_markdown(self) -> str:
        on = f", compared with the papers on the {self.runtime} runtime" if self.runtime else ""
        lines = [f"# Findings ({self._kind()} reproduction, revision {self.revision}{on})", ""]
        lines += [f"- **{'PASS' if f.passed else 'FAIL'}** {f.claim}: {f.detail}"
                  for f in self.findings]
        lines += ["", "## Relative error against the published rows", "",
                  f"- all tables: {self.errors.text()}"]
        lines += [f"- {name}: {e.text()}" for name, e in self.errors_by_table.items()]
        lines += ["", "Errors and findings are reported as measured; the machine profiles "
                  "(testbed/profiles/) say which parameters are calibrated and against what."]
        return "\n".join(lines) + "\n"

    def tables_markdown(self) -> str:
        titles = {
            "hetero": "Heterogeneous migration: DECstation 5000/120 -> SPARCstation 20, "
                      "10 Mb/s Ethernet",
            "homog": "Table 1: Ultra 5 -> Ultra 5, 100 Mb/s Ethernet, network mode",
        }
        on = f" Measured on the **{self.runtime}** runtime." if self.runtime else ""
        lines = [f"# Reproduced tables ({self._kind()}, revision {self.revision})", "",
                 "Simulated seconds. `published` is the reference row (testbed/reference/"
                 "measurements.csv) of the same table, program, problem, mode and phase; "
                 "`rel. error` = (testbed - published) / published. Difference and speed-up "
                 "compare the two modes' migrate times; their published values are derived "
                 f"from the published totals.{on}", ""]
        for name, table in self.tables.items():
            lines += [f"## {titles.get(name, name)}", "", markdown_table(display_table(table)),
                      "", f"{self.errors_by_table[name].text()}", ""]
        if self.runtime_table is not None:
            lines += ["## Classic against modern runtime: DECstation 5000/120 -> "
                      "SPARCstation 20, 10 Mb/s", "",
                      "The heterogeneous table's workloads on the original system's runtime "
                      "design (classic: sorted lookup table searched by binary search, first-fit "
                      "allocator, one write() per encoded item in file mode) and on the "
                      "improved one (modern). Simulated seconds and stream bytes; the ratio is "
                      "classic / modern.", "",
                      markdown_table(display_runtime_table(self.runtime_table)), ""]
        if self.collection is not None and not self.collection.empty:
            view = pd.DataFrame({
                "runtime": self.collection["runtime"],
                "keys": self.collection["keys"].map(lambda v: f"{v:,}"),
                "blocks": self.collection["blocks"].map(lambda v: f"{v:,}"),
                "scan instr./block": self.collection["scan_per_block"].map(lambda v: f"{v:,.1f}"),
                "restore instr./block": self.collection["restore_per_block"].map(
                    lambda v: f"{v:,.1f}"),
            })
            lines += ["## Collection cost per block (bitonic, DECstation 5000/120 -> "
                      "SPARCstation 20)", "",
                      "Guest instructions of the collection (scan) and of the restoration per "
                      "block of the stream; figures/collection_per_block.png plots them.", "",
                      markdown_table(view), ""]
        return "\n".join(lines)


def build_report(hetero_rows: pd.DataFrame, homog_rows: pd.DataFrame,
                 scaling_rows: pd.DataFrame, out: Path | None = None, quick: bool = False,
                 revision: str = "unknown", reference: pd.DataFrame | None = None,
                 runtimes_rows: pd.DataFrame | None = None,
                 collection_rows: pd.DataFrame | None = None) -> Report:
    """Tables, error statistics, findings and (with ``out``) the files: table_*.csv,
    tables.md, findings.md and figures/*.png. With ``runtimes_rows`` also the classic
    against modern table (table_runtimes.csv), with ``collection_rows`` the per-block figure
    and finding."""
    reference = load_reference() if reference is None else reference
    tables = {"hetero": hetero_table(hetero_rows, reference),
              "homog": homog_table(homog_rows, reference)}
    report = Report(tables, findings(hetero_rows, scaling_rows, collection_rows),
                    error_summary(list(tables.values())),
                    {k: error_summary([t]) for k, t in tables.items()},
                    revision=revision, quick=quick, runtime=runtime_of(hetero_rows),
                    runtime_table=None if runtimes_rows is None else runtime_table(runtimes_rows),
                    collection=None if collection_rows is None
                    else collection_points(collection_rows))
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            path = out / f"table_{name}.csv"
            table.to_csv(path, index=False)
            report.files.append(path)
        if report.runtime_table is not None:
            path = out / "table_runtimes.csv"
            report.runtime_table.to_csv(path, index=False)
            report.files.append(path)
        (out / "tables.md").write_text(report.tables_markdown())
        (out / "findings.md").write_text(report.findings_markdown())
        report.files += [out / "tables.md", out / "findings.md"]
        report.figures = write_figures(hetero_rows, scaling_rows, out / "figures",
                                       collection_rows)
    return report


def default_out(quick: bool) -> Path:
    """results/ for the full reproduction; results/quick/ for --quick, so a quick check
    never overwrites the full tables."""
    return Path("results") / "quick" if quick else Path("results")


def reproduce(out: Path | None = None, quick: bool = False, jobs: int | None = None,
              progress: bool | None = None, runtime: str = REFERENCE_RUNTIME) -> Report:
    """Run the five grids as one pool and build the report into ``out``: the tables and
    findings compared with the papers on ``runtime`` (the original design's by default),
    the runtime comparison and the per-block figure on both."""
    import time

    start = time.perf_counter()
    out = default_out(quick) if out is None else Path(out)
    grids = all_experiments(quick, runtime)
    hetero, homog, scaling, runtimes, collection = grids
    results: dict[str, SweepResult] = sweep_many(list(grids), out, jobs=jobs, progress=progress)
    first = next(iter(results.values()))
    report = build_report(results[hetero.name].rows, results[homog.name].rows,
                          results[scaling.name].rows, out=out, quick=quick,
                          revision=first.revision, runtimes_rows=results[runtimes.name].rows,
                          collection_rows=results[collection.name].rows)
    report.runtime = runtime
    report.failed_runs = sum(len(r.failures) for r in results.values())
    report.files = [r.path for r in results.values()] + report.files
    report.wall_s = time.perf_counter() - start
    return report
