"""The papers' qualitative findings, checked on the testbed's numbers: PASS or FAIL,
whatever they turn out to be (the point of a testbed is to find out).

- network mode migrates faster than file mode, for every program;
- linpack's collection and restoration are linear in the data;
- bitonic's collection grows faster than its restoration;
- the collection cost per block grows with log2(blocks) on the classic runtime and stays
  flat on the modern one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from testbed.experiments.fits import (
    collection_points,
    growth_exponent,
    line_fit,
    per_block_trend,
    scaling_series,
)
from testbed.experiments.tables import (
    HETERO_PROGRAMS,
    SIDE_BY_SIDE,
    problem_label,
    runtime_of,
    verified_cells,
    workload_order,
)

LINEAR_R2 = 0.99  # the linpack finding's threshold
# The per-block finding: the classic runtime's binary search makes a block's collection
# dearer as blocks double (measured about +40 instructions per doubling); the modern one
# keeps it flat.
CLASSIC_SLOPE_MIN = 10.0  # scan instructions per block, per doubling of the blocks
MODERN_SPREAD_MAX = 0.15  # largest |per-block cost - mean| / mean


@dataclass(frozen=True)
class Finding:
    """One qualitative claim of the papers, checked on the testbed's numbers."""

    claim: str
    passed: bool
    detail: str

    def text(self) -> str:
        return f"[{'PASS' if self.passed else 'FAIL'}] {self.claim}: {self.detail}"


def _on(rows: pd.DataFrame) -> str:
    """" (classic runtime)": what a claim was checked on, when the rows say."""
    runtime = runtime_of(rows)
    return f" ({runtime} runtime)" if runtime else ""


def finding_network_faster(hetero_rows: pd.DataFrame) -> Finding:
    """Checked on every problem whose two modes verified; a problem without them is named,
    and a program with none at all fails the claim (it could not be checked)."""
    claim = "network mode migrates faster than file mode for every program" + _on(hetero_rows)
    cells = verified_cells(hetero_rows)
    pairs, missing = [], []
    order = workload_order(hetero_rows, HETERO_PROGRAMS)
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
    s = scaling_series(scaling_rows, "linpack")
    if s.empty or s["tx_bytes"].nunique() < 3:
        return Finding(claim, False, "needs at least 3 sizes with different stream sizes, has "
                       f"{0 if s.empty else s['tx_bytes'].nunique()}")
    x = s["tx_bytes"].to_numpy(float)
    parts, passed = [], True
    for label, column in (("collection", "scan_s"), ("restoration", "restore_s")):
        slope, intercept, r2 = line_fit(x, s[column].to_numpy(float))
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
    s = scaling_series(scaling_rows, "bitonic")
    if s.empty or s["tx_bytes"].nunique() < 2:
        return Finding(claim, False, "needs at least 2 sizes with different stream sizes, has "
                       f"{0 if s.empty else s['tx_bytes'].nunique()}")
    x = s["tx_bytes"].to_numpy(float)
    scan, restore = s["scan_s"].to_numpy(float), s["restore_s"].to_numpy(float)
    scan_slope = line_fit(x, scan)[0]
    restore_slope = line_fit(x, restore)[0]
    ratio = scan / restore
    exp_scan = growth_exponent(x, scan)
    exp_restore = growth_exponent(x, restore)
    passed = exp_scan > exp_restore and ratio[-1] > ratio[0]
    ratios = ", ".join(f"{int(k)} keys {r:.3f}" for k, r in zip(s["size_value"], ratio, strict=True))
    detail = (f"slope collection {scan_slope * 1e6:.4f} s/MB vs restoration "
              f"{restore_slope * 1e6:.4f} s/MB; scan/restore ratio {ratios}; "
              f"growth exponent (log-log) collection {exp_scan:.3f}, restoration {exp_restore:.3f}")
    return Finding(claim, passed, detail)


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
