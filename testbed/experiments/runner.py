"""Run an experiment's grid: one emulation per emulation key, re-priced for the rest.

Emulating a migration is expensive (a linpack n=1000 run is about a minute of guest
execution) while pricing it for another network or mode is milliseconds: the stream,
Scan, Restore and the verification do not depend on how the stream travels. So the runs
are grouped by their emulation key (program, size, src, dst, at, runtime), each group is
emulated once by ``migrate()`` for its first (network, mode) and ``reprice()``d for the
others (``reprice`` prices the file by the record's runtime, so file mode is priced right for
either runtime). Groups go to worker processes (or a dask cluster), largest first, so the
long emulations do not end up last on one core; a worker process that crashes fails its
own group's runs only (``workers.IsolatedPool``).

Every run becomes one tidy row: its parameters, config hash, the git revision and
package versions, a timestamp and every metric of the record. Rows are appended to
``<out>/<experiment>.csv``; a (config hash, git revision) pair is kept once, the newest
measurement winning.
"""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from testbed.errors import ConfigError, TestbedError
from testbed.experiments import records
from testbed.experiments.config import Experiment, Run, canonical_hash, keep
from testbed.experiments.provenance import git_revision, timestamp, versions
from testbed.experiments.workers import IsolatedPool, WorkerDied

KEY_COLUMNS = ("config_hash", "git_revision")
# Read back as text whatever their content: a hex hash of digits must not become a number.
TEXT_COLUMNS = ("experiment", "config_hash", "emulation_hash", "git_revision", "size", "at",
                "runtime", "testbed_version", "unicorn_version", "capstone_version",
                "simpy_version", "timestamp", "failure")
# Progress is reported through this hook (a tqdm bar's update, or a test's counter).
ProgressHook = Callable[[int], Any]


@dataclass(frozen=True)
class EmulationGroup:
    """Runs that share one emulated migration: the first is emulated, the rest re-priced."""

    runs: tuple[Run, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return self.runs[0].emulation_key

    @property
    def emulation_hash(self) -> str:
        program, size, src, dst, at, runtime = self.key
        return canonical_hash({"program": program, "size": size, "src": src, "dst": dst,
                               "at": at, "runtime": runtime})

    @property
    def roundtrip(self) -> bool:
        """Check the round trip if any run of the group asks for it."""
        return any(r.roundtrip for r in self.runs)

    def cost(self) -> float:
        """A rough wall-time estimate in seconds, to start the long emulations first. The
        guest finishing the computation dominates: LU is cubic in n. The classic runtime's
        collection right after a restore (the round-trip check) is quadratic in the blocks:
        bitonic 8,192 keys takes about 100 s with it, under 1 s without."""
        run = self.runs[0]
        n = run.size_value
        per_program = {
            "linpack": 6e-8 * n**3, "matmul": 6e-8 * n**3,
            "bitonic": 6e-6 * n * math.log2(max(n, 2)), "test_pointer": 1.5e-4 * n,
        }
        cost = 0.5 + per_program.get(run.program, 1e-4 * n)
        if run.runtime == "classic" and self.roundtrip and run.program in ("bitonic", "test_pointer"):
            cost += 1.5e-6 * n * n
        return cost


@dataclass(frozen=True)
class Outcome:
    """What one run of a group produced: a record, or the error that prevented it."""

    run: Run
    record: dict[str, Any] | None  # records.fields() of the migration record
    error: str | None
    repriced: bool
    emulation_wall_s: float
    finished: str


@dataclass
class SweepResult:
    """The rows one sweep produced for one experiment and where they were written."""

    experiment: Experiment
    path: Path
    rows: pd.DataFrame
    emulations: int
    wall_s: float
    revision: str
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> pd.DataFrame:
        """Rows whose run did not migrate and verify (a failed transfer counts: the source
        finished the job, not the destination)."""
        if self.rows.empty:
            return self.rows
        bad = ~self.rows["verified"].fillna(False).astype(bool)
        bad |= self.rows["failed"].fillna(True).astype(bool)
        return self.rows[bad]


def group_runs(runs: Iterable[Run]) -> list[EmulationGroup]:
    """Runs grouped by emulation key, in order of first appearance; duplicates dropped."""
    groups: dict[tuple[Any, ...], dict[str, Run]] = {}
    for run in runs:
        keep(groups.setdefault(run.emulation_key, {}), run)
    return [EmulationGroup(tuple(g.values())) for g in groups.values()]


def emulate(group: EmulationGroup) -> list[Outcome]:
    """Worker: emulate the group's first run, re-price it for the others. Errors become
    outcomes (a sweep reports a failed run, it does not stop at it)."""
    from testbed.migration import run as migration

    first = group.runs[0]
    start = time.perf_counter()
    try:
        spec = migration.MigrationSpec(program=first.program, size=first.size, src=first.src,
                                       dst=first.dst, at=first.at, network=first.network,
                                       mode=first.mode, runtime=first.runtime,
                                       roundtrip=group.roundtrip)
        raw = migration.migrate(spec)
    except Exception as exc:  # noqa: BLE001 - every failure is reported in the row
        wall = time.perf_counter() - start
        error = _describe(exc)
        return [Outcome(run, None, error, run is not first, wall, timestamp())
                for run in group.runs]
    wall = time.perf_counter() - start
    outcomes = [Outcome(first, records.fields(raw), None, False, wall, timestamp())]
    failure = records.failure(raw)
    for run in group.runs[1:]:
        try:
            if failure is not None:
                raise ConfigError(f"not re-priced: the emulated migration failed ({failure})")
            priced = migration.reprice(raw, run.network, run.mode)
            outcomes.append(Outcome(run, records.fields(priced), None, True, wall, timestamp()))
        except Exception as exc:  # noqa: BLE001
            outcomes.append(Outcome(run, None, _describe(exc), True, wall, timestamp()))
    return outcomes


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TestbedError):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}{where}: {exc}"


Work = Callable[[EmulationGroup], list[Outcome]]


def execute(groups: Sequence[EmulationGroup], jobs: int | None = None, dask: str | None = None,
            work: Work = emulate) -> Iterator[list[Outcome]]:
    """Run ``work`` (the emulation) on the groups, largest first; yield each group's
    outcomes as it completes.

    ``jobs=1`` runs in this process (debuggers and tests see every call); otherwise
    ``jobs`` worker processes (default: every core), or the dask cluster at ``dask`` when
    given. A worker process that dies (a SIGSEGV in the emulator, an ``os._exit``) fails its
    group's runs, and only those: the sweep goes on with a fresh worker."""
    order = sorted(groups, key=lambda g: g.cost(), reverse=True)
    if dask is not None:
        yield from _execute_dask(order, dask, work)
        return
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, not {jobs}")
    if jobs == 1:
        for group in order:
            yield work(group)
        return
    for group, result in IsolatedPool(work, jobs).map(order):
        if isinstance(result, WorkerDied):
            error = (f"the worker process {result.text()} while emulating this run's migration "
                     "(a crash of the emulator or the guest program); the other runs went on")
            yield [Outcome(run, None, error, False, 0.0, timestamp()) for run in group.runs]
        else:
            yield result


def _collect(future: Any, group: EmulationGroup) -> list[Outcome]:
    """A finished future's outcomes; a worker that died is reported on its runs."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - e.g. a worker killed by the OS
        error = f"the worker failed: {_describe(exc)}"
        return [Outcome(run, None, error, False, 0.0, timestamp()) for run in group.runs]


def _execute_dask(order: Sequence[EmulationGroup], address: str,
                  work: Work) -> Iterator[list[Outcome]]:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ConfigError("--dask needs dask.distributed, which is not installed: "
                          "install it with .venv/bin/pip install 'dask[distributed]' (and the "
                          "testbed on every worker), or leave out --dask to use local cores") from None
    try:
        client = Client(address)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the dask scheduler at {address}: {exc}") from None
    try:
        futures = client.map(work, list(order), pure=False)
        groups = {f.key: g for f, g in zip(futures, order, strict=True)}
        for future in dask_completed(futures):
            yield _collect(future, groups[future.key])
    finally:
        client.close()


def make_row(experiment: str, run: Run, outcome: Outcome, emulation_hash: str,
             revision: str) -> dict[str, Any]:
    """One tidy row: parameters, names, provenance, then every metric of the record."""
    row: dict[str, Any] = {"experiment": experiment, "config_hash": run.config_hash,
                           "emulation_hash": emulation_hash, **run.params(),
                           "git_revision": revision, **versions(), "timestamp": outcome.finished,
                           "repriced": outcome.repriced,
                           "emulation_wall_s": round(outcome.emulation_wall_s, 3)}
    if outcome.record is None:
        row.update(failed=True, failure=outcome.error, verified=False)
        return row
    row.update(records.row_metrics(outcome.record))
    return row


def read_results(path: Path) -> pd.DataFrame:
    """A results CSV with its text columns kept as text."""
    header = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS if c in header})


def append_rows(path: Path, rows: Sequence[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Add rows to a results CSV (created if missing). A (config hash, git revision) pair is
    kept once: a re-run on the same revision replaces its earlier row instead of adding a
    second one. The file is replaced atomically, so an interrupted sweep leaves it whole."""
    new = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if path.is_file() and path.stat().st_size > 0:
        old = read_results(path)
        frames = [f for f in (old, new) if not f.empty]
        combined = pd.concat(frames, ignore_index=True) if frames else old
    else:
        combined = new
    if not combined.empty:
        combined = combined.drop_duplicates(subset=list(KEY_COLUMNS), keep="last")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    combined.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return combined


def sweep_many(experiments: Sequence[Experiment], out: Path, jobs: int | None = None,
               dask: str | None = None, progress: bool | None = None,
               on_progress: ProgressHook | None = None,
               work: Work = emulate) -> dict[str, SweepResult]:
    """Run several experiments as one pool: a run or an emulation they share is done once
    (e.g. linpack n=1000 on Ultra 5 is both Table 1 and a point of a figure). ``work``
    emulates one group (tests put a failing one in its place)."""
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise ConfigError(f"two experiments share a name: {', '.join(names)}")
    start = time.perf_counter()
    revision = git_revision()
    groups = group_runs(run for e in experiments for run in e.runs())
    members = {e.name: {r.config_hash: r for r in e.runs()} for e in experiments}
    rows: dict[str, list[dict[str, Any]]] = {e.name: [] for e in experiments}
    paths = {e.name: Path(out) / f"{e.name}.csv" for e in experiments}
    total = sum(len(g.runs) for g in groups)

    bar = None
    if progress is None:
        progress = sys.stderr.isatty()
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="run", file=sys.stderr, desc="migrations")
    emulation_hash = {g.key: g.emulation_hash for g in groups}
    try:
        for outcomes in execute(groups, jobs=jobs, dask=dask, work=work):
            for experiment in experiments:
                fresh = [make_row(experiment.name, members[experiment.name][o.run.config_hash], o,
                                  emulation_hash[o.run.emulation_key], revision)
                         for o in outcomes if o.run.config_hash in members[experiment.name]]
                if fresh:
                    rows[experiment.name].extend(fresh)
                    append_rows(paths[experiment.name], fresh)
            if bar is not None:
                bar.update(len(outcomes))
            if on_progress is not None:
                on_progress(len(outcomes))
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - start
    results = {}
    for e in experiments:
        order = {h: i for i, h in enumerate(members[e.name])}
        frame = pd.DataFrame(rows[e.name])
        if not frame.empty:
            frame = frame.sort_values("config_hash", key=lambda s: s.map(order)).reset_index(drop=True)
        used = {r.emulation_key for r in e.runs()}
        results[e.name] = SweepResult(e, paths[e.name], frame, len(used), wall, revision)
    return results


def sweep(experiment: Experiment, out: Path, jobs: int | None = None, dask: str | None = None,
          progress: bool | None = None) -> SweepResult:
    """Run one experiment's grid and append its rows to ``<out>/<name>.csv``."""
    return sweep_many([experiment], out, jobs=jobs, dask=dask, progress=progress)[experiment.name]


SUMMARY_COLUMNS = ("program", "size", "src", "dst", "network", "mode", "at", "runtime", "tx_bytes",
                   "scan_s", "tx_s", "restore_s", "migrate_s", "verified")


def summary_table(rows: pd.DataFrame) -> str:
    """The end-of-sweep table: one line per run, the phases in seconds."""
    if rows.empty:
        return "(no runs)"
    cols = [c for c in SUMMARY_COLUMNS if c in rows.columns]
    view = rows[cols].copy()
    for c in ("scan_s", "tx_s", "restore_s", "migrate_s"):
        if c in view:
            view[c] = view[c].map(lambda v: "-" if pd.isna(v) else f"{v:.4f}")
    if "tx_bytes" in view:
        view["tx_bytes"] = view["tx_bytes"].map(lambda v: "-" if pd.isna(v) else f"{int(v):,}")
    ok = rows["verified"].fillna(False).astype(bool) & ~rows["failed"].fillna(True).astype(bool)
    view["verified"] = ok.map({True: "yes", False: "NO"})
    return view.to_string(index=False)
