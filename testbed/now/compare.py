"""The comparison: every policy side by side across owner activity levels and seeds.

The file (``experiments/now.toml``) gives the grid; ``[quick]`` replaces any of its keys
for a fast run of the same shape. One row per (busy, seed, policy) NOW period goes to
``results/NAME.csv``, the means over seeds per (busy, policy) to ``NAME_summary.csv``; the
figure to ``results/figures/NAME.png``; the timeline of the first period of each policy to
``results/figures/NAME_timeline_POLICY.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testbed.cluster.cosim import SLICE_INSTRUCTIONS
from testbed.cluster.topology import cluster
from testbed.errors import ConfigError
from testbed.gridfile import read_grid, write_csv
from testbed.now.figures import comparison, timeline
from testbed.now.policies import POLICIES, migration_available
from testbed.now.run import JobSpec, NowConfig, NowResult, run_now

COLUMNS = ("policy", "host_choice", "cluster", "busy", "seed", "hours", "work_scale", "concurrent",
           "owner_busy_fraction", "jobs_started", "jobs_completed", "jobs_verified", "mean_job_s", "restarts",
           "lost_compute_s",
           "owner_interference_cpu_s", "owner_slowdown", "migrations", "migrations_failed", "bytes_moved",
           "mean_migration_s",
           "harvested_share", "guest_instructions", "simulated_s", "wall_s", "sim_to_wall",
           "cpu_s", "sim_to_cpu")


@dataclass(frozen=True)
class Comparison:
    name: str
    cluster: str
    hours: float
    busy: tuple[float, ...]
    seeds: tuple[int, ...]
    policies: tuple[str, ...]
    host_choice: str
    jobs: tuple[JobSpec, ...]
    concurrent: int
    work_scale: float
    model: str
    slice_instructions: int


def load_comparison(path: Path, quick: bool = False) -> Comparison:
    data, grid = read_grid(path, "experiment", quick)
    try:
        c = Comparison(
            str(data["experiment"]["name"]), str(grid["cluster"]), float(grid["hours"]),
            tuple(float(b) for b in grid["busy"]), tuple(int(s) for s in grid["seeds"]),
            tuple(map(str, grid["policies"])), str(grid.get("host_choice", "idlest")),
            tuple(JobSpec.parse(str(j)) for j in grid["jobs"]), int(grid["concurrent"]),
            float(grid["work_scale"]), str(grid.get("model", "mutka91")),
            int(grid.get("slice_instructions", SLICE_INSTRUCTIONS)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"experiment {path}: [experiment] name and [grid] cluster, hours, busy, seeds, "
                          f"policies, jobs, concurrent and work_scale are required ({exc})") from None
    unknown = [p for p in c.policies if p not in POLICIES]
    if unknown:
        raise ConfigError(f"experiment {path}: unknown policy {unknown[0]!r}; valid: {', '.join(POLICIES)}")
    return c


def run_comparison(c: Comparison, out: Path, progress: Callable[[dict[str, Any]], None] | None = None,
                   ) -> list[dict[str, Any]]:
    """Run the grid, write the CSV and figures under ``out``; the rows."""
    policies = [p for p in c.policies if p != "migrate" or migration_available()]
    base = cluster(c.cluster)
    rows: list[dict[str, Any]] = []
    first: dict[str, NowResult] = {}
    for busy in c.busy:
        for seed in c.seeds:
            for policy in policies:
                r = run_now(NowConfig(base, policy, c.host_choice, busy, c.hours, seed, c.model, None, c.jobs,
                                      c.concurrent, c.work_scale, c.slice_instructions))
                rows.append({k: r.metrics[k] for k in COLUMNS})
                first.setdefault(policy, r)
                if progress is not None:
                    progress(rows[-1])
    write_rows(rows, out / f"{c.name}.csv")
    write_summary(rows, out / f"{c.name}_summary.csv")
    comparison(rows, out / "figures" / f"{c.name}.png")
    for policy, r in first.items():
        timeline(r, out / "figures" / f"{c.name}_timeline_{policy}.png")
    return rows


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    write_csv(rows, path, COLUMNS, lambda v: f"{v:.6g}" if isinstance(v, float) else v)


SUMMARISED = ("jobs_completed", "jobs_verified", "mean_job_s", "restarts", "owner_interference_cpu_s",
              "owner_slowdown", "migrations", "bytes_moved", "mean_migration_s", "harvested_share", "sim_to_cpu")


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (busy, policy), in the grid's order: the mean over seeds of each measure."""
    groups: dict[tuple[float, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((float(r["busy"]), str(r["policy"])), []).append(r)
    out = []
    for (busy, policy), mine in groups.items():
        row: dict[str, Any] = {"busy": busy, "policy": policy, "seeds": len(mine)}
        for key in SUMMARISED:
            values = [float(r[key]) for r in mine if r.get(key) not in (None, "")]
            row[key] = sum(values) / len(values) if values else None
        out.append(row)
    return out


def write_summary(rows: list[dict[str, Any]], path: Path) -> None:
    write_csv(summarise(rows), path, ("busy", "policy", "seeds", *SUMMARISED),
              lambda v: f"{v:.4g}" if isinstance(v, float) else v)
