"""A NOW period: owners at their workstations, a stream of PVM jobs, one scheduling policy.

``run_now(NowConfig(...))`` co-simulates ``hours`` of one cluster: the owners' busy periods
(a model or a trace), ``concurrent`` job slots that each start the next job of the mix as
soon as the previous one ends, and the policy that decides what happens to a guest whose
owner returns. Every finished job's output is checked against its program's reference.

What is measured (``NowResult``, docs/now.md):

* ``owner_interference_cpu_s``: CPU-seconds guests took on hosts while their owners were
  at work (guest computing there, a migrating task's collection included, x the guest's share);
* ``owner_slowdown``: how much longer the owners' work took on average over all their busy
  time (1.0: not at all), from the time a guest computed beside them;
* ``harvested_share``: guest computing on hosts with absent owners / all such host-time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testbed.cluster.cosim import SLICE_INSTRUCTIONS, CoSim, Span
from testbed.cluster.run import PVM_PROGRAMS
from testbed.cluster.topology import Cluster
from testbed.errors import ConfigError
from testbed.now.owners import DEFAULT_MODEL, Owners, generate, owner_model, read_trace
from testbed.now.policies import make_policy
from testbed.now.scheduler import Job, Scheduler
from testbed.programs import PROGRAM_DIR


@dataclass(frozen=True)
class JobSpec:
    program: str
    size: str
    tasks: int

    @classmethod
    def parse(cls, text: str) -> JobSpec:
        """``PROGRAM:SIZE:TASKS`` (``pvm_matmul:paper1:4``, ``pvm_heat:2000,100:4``)."""
        parts = text.split(":")
        if len(parts) != 3 or parts[0] not in PVM_PROGRAMS or not parts[2].isdigit():
            raise ConfigError(f"job {text!r}: write PROGRAM:SIZE:TASKS with PROGRAM one of "
                              f"{', '.join(PVM_PROGRAMS)} (e.g. pvm_matmul:paper1:4)")
        spec = cls(parts[0], parts[1], int(parts[2]))
        PVM_PROGRAMS[spec.program].size_args(spec.size)  # an unknown size fails here
        if not 1 <= spec.tasks <= 64:
            raise ConfigError(f"job {text!r}: TASKS must be 1..64")
        return spec

    def argv(self) -> list[str]:
        return [self.program, *map(str, PVM_PROGRAMS[self.program].size_args(self.size)), str(self.tasks)]

    def __str__(self) -> str:
        return f"{self.program}:{self.size}:{self.tasks}"


DEFAULT_JOBS = (JobSpec("pvm_matmul", "paper1", 4), JobSpec("pvm_heat", "paper1", 4))


@dataclass(frozen=True)
class NowConfig:
    cluster: Cluster
    policy: str = "migrate"
    host_choice: str = "idlest"
    busy: float | None = 0.5
    hours: float = 1.0
    seed: int = 0
    model: str = DEFAULT_MODEL
    trace: Path | None = None  # an owner trace file instead of the model
    jobs: tuple[JobSpec, ...] = DEFAULT_JOBS
    concurrent: int = 2
    work_scale: float = 1.0
    slice_instructions: int = SLICE_INSTRUCTIONS


@dataclass
class NowResult:
    config: NowConfig
    owners: Owners
    jobs: list[dict[str, Any]]
    metrics: dict[str, Any]
    spans: list[Span] = field(default_factory=list)
    owner_events: list[tuple[float, str, str]] = field(default_factory=list)
    migration_records: list[dict[str, Any]] = field(default_factory=list)
    task_jobs: dict[int, int] = field(default_factory=dict)  # tid -> job index

    def to_dict(self) -> dict[str, Any]:
        return {**self.metrics, "jobs": self.jobs}


_REFERENCES: dict[tuple[str, tuple[int, ...], str], str] = {}


def reference(spec: JobSpec, cluster: Cluster) -> str:
    """The part of the output every run of ``spec`` must reproduce (computed once per process)."""
    program = PVM_PROGRAMS[spec.program]
    args = program.size_args(spec.size)
    key = (spec.program, args, cluster.name)
    if key not in _REFERENCES:
        assert program.reference is not None
        _REFERENCES[key] = program.reference(args, cluster)
    return _REFERENCES[key]


def run_now(cfg: NowConfig, progress: Callable[[Job], None] | None = None) -> NowResult:
    if not 0 < cfg.hours <= 48:
        raise ConfigError(f"--hours must be in (0, 48], not {cfg.hours}")
    if not 1_000 <= cfg.slice_instructions <= 10_000_000:
        raise ConfigError(f"--slice must be 1,000..10,000,000 instructions, not {cfg.slice_instructions:,}")
    if not 1 <= cfg.concurrent <= 16 or not cfg.jobs:
        raise ConfigError(f"--concurrent must be 1..16 and at least one job given, not {cfg.concurrent}")
    horizon = cfg.hours * 3600.0
    hosts = [h.name for h in cfg.cluster.hosts]
    model = owner_model(cfg.model)
    owners = (read_trace(cfg.trace, hosts, horizon) if cfg.trace is not None
              else generate(model, hosts, horizon, cfg.seed, cfg.busy))
    policy = make_policy(cfg.policy, cfg.host_choice)
    t0, cpu0 = time.perf_counter(), time.process_time()
    # Only the migrating policy runs MpPVM's migratable builds: the others pay no migratability.
    migratable: dict[str, Any] = {"migratable": True} if cfg.policy == "migrate" else {}
    cosim = CoSim(cfg.cluster, seed=cfg.seed, slice_instructions=cfg.slice_instructions, **migratable)
    sched = Scheduler(cosim, owners, model, policy, cfg.work_scale)
    counter = iter(range(1 << 30))

    def next_job(_done: Job | None = None) -> None:
        if _done is not None and progress is not None:
            progress(_done)
        index = next(counter)
        spec = cfg.jobs[index % len(cfg.jobs)]
        job = Job(index, spec.program, spec.size, spec.argv(), PROGRAM_DIR / f"{spec.program}.c", sched.now)
        sched.env.process(sched.run_job(job, next_job))

    for _ in range(cfg.concurrent):
        next_job()
    sched.env.run(until=horizon)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    specs = {str(s): s for s in cfg.jobs}
    jobs = [_job_row(j, cfg, specs) for j in sched.jobs]
    metrics = _metrics(cfg, sched, owners, jobs, cosim, wall, cpu)
    spans = list(cosim.spans)  # a task still suspended at the end: its stretch so far
    spans += [Span(tid, host, "suspended", since, horizon) for tid, (host, since) in sched.suspended.items()]
    task_jobs = {tid: job.index for tid, t in cosim.tasks.items() if (job := sched.job_of(t)) is not None}
    return NowResult(cfg, owners, jobs, metrics, spans, list(sched.owner_events), sched.migrations,
                     task_jobs)


def _job_row(job: Job, cfg: NowConfig, specs: dict[str, JobSpec]) -> dict[str, Any]:
    spec = next(s for s in specs.values() if s.program == job.program and s.size == job.size)
    verified = None
    if job.finished is not None:
        program = PVM_PROGRAMS[job.program]
        verified = job.exit_code == 0 and program.compared(job.output) == reference(spec, cfg.cluster)
    return {"job": job.index, "spec": str(spec), "arrived_s": job.arrived, "finished_s": job.finished,
            "job_s": job.job_s, "attempts": job.attempts, "verified": verified}


def _metrics(cfg: NowConfig, sched: Scheduler, owners: Owners, jobs: Sequence[dict[str, Any]],
             cosim: CoSim, wall: float, cpu: float) -> dict[str, Any]:
    horizon = owners.horizon
    shared = harvested = lost = 0.0
    for s in cosim.spans:
        if s.kind != "compute" or s.start >= horizon:
            continue
        end = min(s.end, horizon)
        busy = owners.activity[s.host].busy_seconds(s.start, end)
        shared += busy
        harvested += (end - s.start) - busy
        if s.tid in sched.killed:
            lost += end - s.start
    model = sched.model
    moves = [r for r in sched.migrations if r.get("ok", True)]
    owner_busy = owners.busy_seconds()
    idle_capacity = horizon * len(owners.activity) - owner_busy
    done = [j for j in jobs if j["finished_s"] is not None]
    instructions = sum(t.guest.instructions for t in cosim.tasks.values())
    return {
        "policy": cfg.policy, "host_choice": cfg.host_choice, "cluster": cfg.cluster.name,
        "owners": owners.origin, "busy": cfg.busy, "owner_busy_fraction": owners.busy_fraction(),
        "hours": cfg.hours, "seed": cfg.seed, "work_scale": cfg.work_scale, "concurrent": cfg.concurrent,
        "jobs_started": len(jobs), "jobs_completed": len(done),
        "jobs_verified": sum(1 for j in done if j["verified"]),
        "mean_job_s": sum(j["job_s"] for j in done) / len(done) if done else None,
        "restarts": sum(j["attempts"] - 1 for j in jobs),
        "lost_compute_s": lost,  # computing of attempts the restart policy killed (in harvested too)
        # a migrating task's collection runs in its slices: it is in the compute spans already
        "owner_interference_cpu_s": shared * model.guest_share,
        "owner_slowdown": 1.0 + (shared / owner_busy) * (model.owner_slowdown_while_shared() - 1.0)
        if owner_busy else 1.0,
        "guest_cpu_s_beside_owners": shared,
        "migrations": len(sched.migrations),
        "migrations_failed": sum(1 for r in sched.migrations if not r.get("ok", True)),
        "bytes_moved": sum(int(r.get("stream_bytes", 0)) for r in sched.migrations),
        # from the request (the owner's return) until the task runs on at its destination
        "mean_migration_s": sum(r["resumed_s"] - r["at_s"] for r in moves) / len(moves) if moves else None,
        "harvested_share": harvested / idle_capacity if idle_capacity > 0 else 0.0,
        "guest_instructions": instructions,
        # wall time depends on what else the machine runs; this process's CPU time less so
        "simulated_s": horizon, "wall_s": wall, "sim_to_wall": horizon / wall if wall > 0 else None,
        "cpu_s": cpu, "sim_to_cpu": horizon / cpu if cpu > 0 else None,
    }
