"""The reproduction's figures: collection and restoration against migrated bytes (with
their fitted lines), network against file migrate time, and the collection cost per block
of the two runtimes. Each ``plot_*`` draws on a given Axes (a notebook's) or a new one;
``write_figures`` draws the PNGs on bare Figures, with no pyplot state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from testbed.experiments.fits import collection_points, line_fit, per_block_trend, scaling_series
from testbed.experiments.tables import (
    HETERO_PROGRAMS,
    SIDE_BY_SIDE,
    problem_label,
    runtime_of,
    verified_cells,
    workload_order,
)


def plot_collect_restore(scaling_rows: pd.DataFrame, program_name: str, ax: Any = None) -> Any:
    """Collection (scan) and restoration time against migrated bytes, with fitted lines."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    s = scaling_series(scaling_rows, program_name)
    if s.empty:
        ax.set_title(f"{program_name}: no verified runs")
        return ax
    mb = s["tx_bytes"].to_numpy(float) / 1e6
    for label, column, marker, size in (("collection", "scan_s", "o", 8),
                                        ("restoration", "restore_s", "s", 5)):
        y = s[column].to_numpy(float)
        ax.plot(mb, y, marker, markersize=size, markerfacecolor="none", label=label)
        if len(s) >= 2:
            slope, intercept, r2 = line_fit(mb, y)
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
    cells = verified_cells(hetero_rows)
    keys = workload_order(hetero_rows, HETERO_PROGRAMS)
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
