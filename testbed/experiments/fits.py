"""The fits behind the findings and the figures: least-squares lines against the migrated
bytes, a program's scaling series, and the collection cost per block against the block
count with its trend per doubling (as ``testbed bench --collection`` reports it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from testbed.experiments.tables import SIDE_BY_SIDE, verified


def line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line y = a + b x: (slope b, intercept a, R^2)."""
    slope, intercept = np.polyfit(x, y, 1)
    pred = intercept + slope * x
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    return float(slope), float(intercept), r2


def growth_exponent(x: np.ndarray, y: np.ndarray) -> float:
    """The slope of log y against log x: 1 for linear growth, above 1 for faster."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def scaling_series(rows: pd.DataFrame, program_name: str) -> pd.DataFrame:
    """One program's verified scaling points, by migrated bytes."""
    ok = verified(rows)
    if ok.empty:
        return ok
    sel = ok[ok["program"] == program_name].copy()
    sel = sel.drop_duplicates(subset=["size_value"]).sort_values("tx_bytes")
    return sel


COLLECTION_POINT_COLUMNS = ("runtime", "keys", "blocks", "tx_bytes", "scan_instructions",
                            "restore_instructions", "scan_per_block", "restore_per_block")


def collection_points(rows: pd.DataFrame) -> pd.DataFrame:
    """The per-block cost of each verified (runtime, bitonic size): scan and restore
    instructions over blocks, by runtime and block count (one row per emulation: the rows
    of other networks and modes repeat it)."""
    ok = verified(rows)
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

