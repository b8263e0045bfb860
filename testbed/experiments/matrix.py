"""The any-to-any matrix: ``testbed check``'s rows summarised per ordered pair of ISAs
(how many migrations verified, and their simulated migrate time), as ``matrix.csv`` and
the figure ``figures/matrix.png`` (two heat maps, source ISA down, destination across)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MATRIX_COLUMNS = ("src", "dst", "programs", "migrations", "verified", "migrate_ms_median", "migrate_ms_max",
                  "tx_bytes_median")


def matrix_rows(rows: list[dict[str, Any]], isas: list[str]) -> pd.DataFrame:
    """One row per ordered pair that ``rows`` (check's) contains, in registry order of
    source then destination: migrations, how many verified, and the median and largest
    migrate time (ms, simulated) and median stream size of the verified ones."""
    frame = pd.DataFrame(rows)
    out = []
    for src in isas:
        for dst in isas:
            mine = frame[(frame["src"] == src) & (frame["dst"] == dst)] if len(frame) else frame
            if mine.empty:
                continue
            ok = mine[mine["ok"]]
            out.append({
                "src": src, "dst": dst, "programs": " ".join(sorted(set(mine["program"]))),
                "migrations": len(mine), "verified": int(mine["ok"].sum()),
                "migrate_ms_median": round(1e3 * float(ok["migrate_s"].median()), 3) if len(ok) else None,
                "migrate_ms_max": round(1e3 * float(ok["migrate_s"].max()), 3) if len(ok) else None,
                "tx_bytes_median": int(ok["tx_bytes"].median()) if len(ok) else None,
            })
    return pd.DataFrame(out, columns=list(MATRIX_COLUMNS))


def plot_matrix(matrix: pd.DataFrame, isas: list[str], fig: Any) -> None:
    """Two heat maps on ``fig``: verified/migrations per pair (green when all verified, red
    otherwise, blank when the pair did not run) and the median migrate time."""
    n = len(isas)
    index = {name: i for i, name in enumerate(isas)}
    share = np.full((n, n), np.nan)
    time_ms = np.full((n, n), np.nan)
    labels: dict[tuple[int, int], tuple[str, str]] = {}
    for r in matrix.itertuples():
        i, j = index[r.src], index[r.dst]
        share[i, j] = r.verified / r.migrations
        if r.migrate_ms_median is not None and not pd.isna(r.migrate_ms_median):
            time_ms[i, j] = r.migrate_ms_median
        labels[i, j] = (f"{r.verified}/{r.migrations}",
                        "" if np.isnan(time_ms[i, j]) else f"{time_ms[i, j]:.0f}")
    left, right = fig.subplots(1, 2)
    panels = ((left, share, "RdYlGn", (0.0, 1.0), 0, "verified migrations"),
              (right, time_ms, "viridis", (None, None), 1, "median migrate time (ms, simulated)"))
    for ax, data, cmap, (low, high), which, title in panels:
        image = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=low, vmax=high)
        ax.set_xticks(range(n), isas, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(n), isas, fontsize=8)
        ax.set(xlabel="destination", ylabel="source", title=title)
        for (i, j), text in labels.items():
            dark = not np.isnan(data[i, j]) and image.norm(data[i, j]) < (0.5 if which else 0.25)
            ax.text(j, i, text[which], ha="center", va="center", fontsize=6 if n > 6 else 8,
                    color="white" if dark else "black")
        fig.colorbar(image, ax=ax, shrink=0.75)
    programs = sorted({p for r in matrix.itertuples() for p in r.programs.split()})
    fig.suptitle(f"any-to-any migration: {', '.join(programs)} (small), {int(matrix['migrations'].sum())} "
                 "migrations", fontsize=10)


def write_matrix(rows: list[dict[str, Any]], isas: list[str], directory: Path) -> list[Path]:
    """``directory/matrix.csv`` and ``directory/figures/matrix.png`` from check's rows."""
    from matplotlib.figure import Figure

    matrix = matrix_rows(rows, isas)
    (directory / "figures").mkdir(parents=True, exist_ok=True)
    csv = directory / "matrix.csv"
    matrix.to_csv(csv, index=False)
    fig = Figure(figsize=(11, 5))
    plot_matrix(matrix, isas, fig)
    fig.tight_layout()
    png = directory / "figures" / "matrix.png"
    fig.savefig(png, dpi=120)
    return [csv, png]
