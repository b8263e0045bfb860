"""The seed's execution-time comparison, PVM against MpPVM (experiments/mppvm.toml).

For each program: the plain PVM build, the migratable (MpPVM) build with no migration
(what migratability costs), and the migratable build with 1, 2, 4 ... migrations during
the run. Migration k (from 1) moves worker k to a host of the other ISA at
k / (N + 1) of the unmigrated run's time; worker k's target is the first host of the
other ISA that no task started on, or else one a previous migration vacated. Every row
is a verified run with a clean delivery ledger; the migration cost is broken down into
Scan, Tx (the stream shares the Ethernet with the job's own traffic) and Restore.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testbed.cluster.migrate import MigrationRequest
from testbed.cluster.run import ClusterResult, run_program
from testbed.cluster.topology import Cluster, cluster
from testbed.errors import ConfigError
from testbed.gridfile import read_grid, write_csv

COLUMNS = ("program", "size", "workers", "variant", "migrations", "ok_migrations", "execution_s",
           "vs_pvm", "scan_s", "tx_s", "restore_s", "stream_bytes", "messages_moved", "delay_to_others_s",
           "messages", "verified", "ledger_clean", "wall_s")


@dataclass(frozen=True)
class Comparison:
    name: str
    cluster: str
    workers: int
    programs: dict[str, str]  # program -> size
    migrations: tuple[int, ...]


def load_comparison(path: Path, quick: bool = False) -> Comparison:
    data, grid = read_grid(path, "experiment", quick)
    try:
        c = Comparison(str(data["experiment"]["name"]), str(grid["cluster"]), int(grid["workers"]),
                       {str(k): str(v) for k, v in dict(grid["programs"]).items()},
                       tuple(int(n) for n in grid["migrations"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"experiment {path}: [experiment] name and [grid] cluster, workers, programs "
                          f"(program = size) and migrations are required ({exc})") from None
    if not 1 <= c.workers <= 64 or any(n < 0 or n > c.workers for n in c.migrations):
        raise ConfigError(f"experiment {path}: workers must be 1..64 and each migration count 0..workers")
    return c


def plan(result: ClusterResult, hosts: Cluster, count: int) -> list[MigrationRequest]:
    """``count`` migrations of workers 1..count to hosts of the other ISA, spread in time."""
    started = dict(result.task_hosts)  # tid -> host, in start order (dicts keep insertion order)
    where = list(started.values())
    isa = {h.name: h.isa for h in hosts.hosts}
    free = [h.name for h in hosts.hosts if h.name not in where]
    requests = []
    for k in range(1, count + 1):
        here = where[k]
        target = next((h for h in free if isa[h] != isa[here]), None)
        if target is None:
            raise ConfigError(f"no host of another ISA than {here}'s for migration {k}: use a larger cluster")
        free.remove(target)
        free.append(here)  # vacated once this migration is done: a later one may go there
        requests.append(MigrationRequest(k, target, at_s=result.execution_s * k / (count + 1)))
    return requests


def _row(c: Comparison, program: str, size: str, variant: str, r: ClusterResult, pvm_s: float) -> dict[str, Any]:
    ok = [m for m in r.migrations if m["ok"]]
    return {
        "program": program, "size": size, "workers": c.workers, "variant": variant,
        "migrations": len(r.migrations), "ok_migrations": len(ok), "execution_s": r.execution_s,
        "vs_pvm": r.execution_s / pvm_s, **{k: sum(m[k] for m in ok) for k in
                                             ("scan_s", "tx_s", "restore_s", "stream_bytes", "messages_moved",
                                              "delay_to_others_s")},
        "messages": r.messages, "verified": r.verified, "ledger_clean": not r.ledger_problems,
        "wall_s": round(r.wall_s, 3),
    }


def run_comparison(c: Comparison, progress: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    hosts = cluster(c.cluster)
    rows: list[dict[str, Any]] = []
    for program, size in c.programs.items():
        pvm = run_program(program, hosts, tasks=c.workers, size=size)
        rows.append(_row(c, program, size, "pvm", pvm, pvm.execution_s))
        unmigrated = run_program(program, hosts, tasks=c.workers, size=size, migratable=True)
        for n in c.migrations:
            if n == 0:
                r, variant = unmigrated, "mppvm"
            else:
                r = run_program(program, hosts, tasks=c.workers, size=size, migrations=plan(unmigrated, hosts, n))
                variant = f"mppvm+{n}"
            rows.append(_row(c, program, size, variant, r, pvm.execution_s))
        for row in rows[-1 - len(c.migrations):]:
            if progress is not None:
                progress(row)
    return rows


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    write_csv(rows, path, COLUMNS)


def plot(rows: list[dict[str, Any]], png: Path) -> None:
    """Left: execution time per variant and program; right: the migrations' Scan/Tx/Restore."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    programs = list(dict.fromkeys(r["program"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(programs)
    for i, program in enumerate(programs):
        mine = {r["variant"]: r for r in rows if r["program"] == program}
        xs = [v + i * width for v in range(len(variants))]
        left.bar(xs, [mine[v]["execution_s"] if v in mine else 0 for v in variants], width,
                 label=f"{program} ({mine[variants[0]]['size']})")
        moved = [v for v in variants if v.startswith("mppvm+") and v in mine]
        bottom = [0.0] * len(moved)
        for phase, shade in (("scan_s", 0.9), ("tx_s", 0.6), ("restore_s", 0.3)):
            values = [mine[v][phase] for v in moved]
            right.bar([variants.index(v) + i * width for v in moved], values, width, bottom=bottom,
                      color=str(shade), edgecolor=f"C{i}", label=f"{program}: {phase[:-2]}")
            bottom = [b + x for b, x in zip(bottom, values, strict=True)]
    for ax in (left, right):
        ax.set_xticks([v + 0.4 - width / 2 for v in range(len(variants))], variants)
        ax.legend(fontsize="x-small")
    left.set_ylabel("simulated execution time (s)")
    right.set_ylabel("migration cost, summed over the run's migrations (s)")
    fig.suptitle(f"PVM against MpPVM on {rows[0]['workers']} workers of snow18 (shared 10 Mb/s Ethernet)")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)
