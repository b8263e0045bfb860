"""The scalability study: a grid of cluster runs from a TOML file, rows to CSV, one figure.

The file (``experiments/scalability.toml``) names one PVM program and cluster and the
networks, sizes and worker counts to cross; ``[quick]`` replaces any of those lists for a
fast run of the same shape. Each row is one verified run; speed-up is T(1 worker) / T(N)
for the same size and network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testbed.cluster.run import run_program
from testbed.cluster.topology import cluster
from testbed.errors import ConfigError
from testbed.gridfile import read_grid, write_csv

COLUMNS = ("program", "cluster", "network", "size", "workers", "hosts", "execution_s", "speedup",
           "messages", "message_bytes", "instructions", "verified", "wall_s")


@dataclass(frozen=True)
class Study:
    name: str
    program: str
    cluster: str
    networks: tuple[str, ...]
    sizes: tuple[str, ...]
    workers: tuple[int, ...]


def load_study(path: Path, quick: bool = False) -> Study:
    data, grid = read_grid(path, "study", quick)
    try:
        study = Study(str(data["experiment"]["name"]), str(grid["program"]), str(grid["cluster"]),
                      tuple(map(str, grid["networks"])), tuple(map(str, grid["sizes"])),
                      tuple(int(w) for w in grid["workers"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"study {path}: [experiment] name and [grid] program, cluster, networks, sizes "
                          f"and workers are required ({exc})") from None
    if not all(1 <= w <= 64 for w in study.workers) or not study.networks or not study.sizes:
        raise ConfigError(f"study {path}: workers must be 1..64 and no list may be empty")
    return study


def run_study(study: Study, progress: Any = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    base = cluster(study.cluster)
    for network in study.networks:
        c = base.with_network(network)
        for size in study.sizes:
            one_worker = float("nan")  # the speed-up baseline; NaN when 1 is not in the grid
            for workers in sorted(study.workers):
                r = run_program(study.program, c, tasks=workers, size=size)
                if workers == 1:
                    one_worker = r.execution_s
                rows.append({
                    "program": study.program, "cluster": study.cluster, "network": network, "size": size,
                    "workers": workers, "hosts": len(r.hosts_used), "execution_s": r.execution_s,
                    "speedup": one_worker / r.execution_s, "messages": r.messages,
                    "message_bytes": r.message_bytes, "instructions": r.instructions,
                    "verified": r.verified, "wall_s": round(r.wall_s, 3),
                })
                if progress is not None:
                    progress(rows[-1])
    return rows


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    write_csv(rows, path, COLUMNS)


def plot(rows: list[dict[str, Any]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    series = sorted({(r["network"], r["size"]) for r in rows})
    for network, size in series:
        mine = sorted((r for r in rows if r["network"] == network and r["size"] == size), key=lambda r: r["workers"])
        w = [r["workers"] for r in mine]
        style = "-o" if network == "10mbps" else "--s"
        left.plot(w, [r["execution_s"] for r in mine], style, label=f"{size}, {network}")
        right.plot(w, [r["speedup"] for r in mine], style, label=f"{size}, {network}")
    top = max(r["workers"] for r in rows)
    right.plot([1, top], [1, top], ":", color="gray", label="linear")
    for ax, what in ((left, "simulated execution time (s)"), (right, "speed-up over 1 worker")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("workers")
        ax.set_ylabel(what)
        ax.legend(fontsize="small")
    left.set_yscale("log")
    fig.suptitle(f"{rows[0]['program']} on {rows[0]['cluster']}")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)
