"""The NOW scheduler: watches the owners, places tasks on idle hosts, applies a policy.

One co-simulation (``CoSim``) holds every job of the period: a job is a PVM program whose
first task the scheduler starts on an idle host; the tasks it spawns are placed by the
scheduler too (``IdlePlacement`` replaces the cluster's round-robin). Each host's owner
is a SimPy process that arrives and leaves at the times of its ``Activity``; on arrival
the host's CPU share for guests drops to the model's ``guest_share`` (a guest still there
runs that much slower) and the policy is told; on departure the share is restored and
the policy is told again.

``work_scale`` prices every guest instruction as that many: the emulated program stands
for a job with that much more computation and the same messages (docs/now.md says why:
emulating an hour of 18 busy 1990s hosts instruction by instruction takes many hours).
A host a task is being migrated away from prices at the real rate until the migration
ends: reaching the poll-point and collecting are migration work, not the job's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simpy

from testbed.cluster import pvm3
from testbed.cluster.cosim import CoSim, Task
from testbed.cluster.programs import PVM_ARCH
from testbed.cluster.topology import Cluster, ClusterHost
from testbed.errors import ConfigError
from testbed.now.owners import OwnerModel, Owners
from testbed.now.policies import Policy


def task_output(task: Task) -> str:
    """All a task printed, on every host it ran on (a migrated task's guest is its last one)."""
    return str(getattr(task, "output", None) or task.guest.output)


@dataclass(eq=False)
class Job:
    index: int
    program: str
    size: str
    argv: list[str]
    source: Path
    arrived: float
    root: Task | None = None
    attempts: int = 0
    finished: float | None = None
    output: str = ""
    exit_code: int | None = None
    killed: bool = False  # the current attempt was killed by the restart policy

    @property
    def job_s(self) -> float | None:
        return None if self.finished is None else self.finished - self.arrived


@dataclass
class Scheduler:
    cosim: CoSim
    owners: Owners
    model: OwnerModel
    policy: Policy
    work_scale: float = 1.0
    jobs: list[Job] = field(default_factory=list)
    migrations: list[dict[str, Any]] = field(default_factory=list)
    owner_events: list[tuple[float, str, str]] = field(default_factory=list)  # (time, host, "arrive"/"leave")
    _job_of_tid: dict[int, Job] = field(default_factory=dict)
    _moving: set[int] = field(default_factory=set)
    suspended: dict[int, tuple[str, float]] = field(default_factory=dict)  # tid -> (host, since)
    killed: set[int] = field(default_factory=set)  # tids of attempts the restart policy threw away
    _leaving: dict[str, int] = field(default_factory=dict)  # host -> migrations away from it in progress

    def __post_init__(self) -> None:
        if not self.work_scale >= 1.0:
            raise ConfigError(f"--work-scale must be at least 1, not {self.work_scale}")
        self.cluster: Cluster = self.cosim.cluster
        self.env: simpy.Environment = self.cosim.sim.env
        self.cosim.placement = IdlePlacement(self)  # type: ignore[assignment]
        for host in self.cluster.hosts:
            self._set_share(host.name)
            self.env.process(self._owner(host.name))

    # ---------------------------------------------------------------- state

    @property
    def now(self) -> float:
        return self.env.now

    def owner_busy(self, host: str) -> bool:
        return self.owners.activity[host].busy_at(self.now)

    def idle_since(self, host: str) -> float:
        return self.owners.activity[host].idle_since(self.now)

    def guests_on(self, host: str) -> list[Task]:
        return [t for t in self.cosim.tasks.values() if not t.done and t.host.name == host]

    def idle_hosts(self, exclude: str = "") -> list[ClusterHost]:
        return [h for h in self.cluster.hosts if h.name != exclude and not self.owner_busy(h.name)]

    def job_of(self, task: Task) -> Job | None:
        tid = task.tid
        while tid not in self._job_of_tid:
            parent = self.cosim.tasks[tid].parent
            if parent == pvm3.NO_PARENT or parent not in self.cosim.tasks:
                return None
            tid = parent
        job = self._job_of_tid[tid]
        self._job_of_tid[task.tid] = job
        return job

    def live_tasks(self, job: Job) -> list[Task]:
        return [t for t in self.cosim.tasks.values() if not t.done and self.job_of(t) is job]

    def moving(self, task: Task) -> bool:
        return task.tid in self._moving

    def suspend(self, task: Task) -> None:
        if task.tid not in self.suspended:
            self.suspended[task.tid] = (task.host.name, self.now)
            self.cosim.suspend(task.tid)

    def resume(self, task: Task) -> None:
        if self.suspended.pop(task.tid, None) is not None:
            self.cosim.resume(task.tid)

    # ---------------------------------------------------------------- owners

    def _set_share(self, host: str) -> None:
        share = self.model.guest_share if self.owner_busy(host) else 1.0
        # A task being migrated away runs to its poll-point and collects its state at the
        # real instruction rate: the work scale stands for more computation, not for
        # poll-points K times further apart or a K times dearer collection.
        scale = 1.0 if self._leaving.get(host) else self.work_scale
        self.cosim.cpu_share[host] = share / scale

    def _owner(self, host: str) -> Generator[simpy.Event, Any, None]:
        for start, end in self.owners.activity[host].periods:
            if start > self.now:
                yield self.env.timeout(start - self.now)
            self.owner_events.append((self.now, host, "arrive"))
            self._set_share(host)
            self.policy.owner_arrived(self, host)
            yield self.env.timeout(max(end - self.now, 0.0))
            self.owner_events.append((self.now, host, "leave"))
            self._set_share(host)
            self.policy.owner_left(self, host)

    # ---------------------------------------------------------------- jobs

    def run_job(self, job: Job, on_done: Callable[[Job], None]) -> Generator[simpy.Event, Any, None]:
        """Run ``job`` to its end, again from the start each time the restart policy kills it."""
        self.jobs.append(job)
        while True:
            job.attempts += 1
            job.killed = False
            host = self.cosim.placement.choose(0, "")
            job.root = self.cosim.start(job.source, job.argv, host)
            self._job_of_tid[job.root.tid] = job
            yield job.root.process
            if not job.killed:
                break
        job.finished = self.now
        job.output = task_output(job.root)
        job.exit_code = job.root.exit_code
        for task in self.live_tasks(job):  # workers still finishing after the master's last line
            self.cosim.kill(task.tid)
        on_done(job)

    def restart(self, job: Job) -> None:
        job.killed = True
        for task in self.live_tasks(job):
            self._moving.discard(task.tid)
            self.suspended.pop(task.tid, None)
            self.killed.add(task.tid)
            self.cosim.kill(task.tid)

    # ---------------------------------------------------------------- migration

    def migrate(self, task: Task, host: str) -> None:
        """Ask the co-simulation to move ``task`` to ``host``; the record is kept when done."""
        self._moving.add(task.tid)
        source = task.host.name
        self._leaving[source] = self._leaving.get(source, 0) + 1
        self._set_share(source)
        event = self.cosim.request_migration(task.index, host)  # type: ignore[attr-defined]
        self.env.process(self._await_migration(task, source, event))

    def _await_migration(self, task: Task, source: str, event: simpy.Event) -> Generator[simpy.Event, Any, None]:
        record = yield event
        self._moving.discard(task.tid)
        self._leaving[source] -= 1
        self._set_share(source)
        self.migrations.append(dict(record) if isinstance(record, dict) else dict(vars(record)))


class IdlePlacement:
    """Where new tasks go: an idle host with the fewest guests (the policy's host choice),
    else, when every owner is at work, the host with the fewest guests."""

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched

    def first(self) -> ClusterHost:
        return self.choose(0, "")

    def choose(self, flag: int, where: str) -> ClusterHost:
        s = self.sched
        hosts = list(s.cluster.hosts)
        if flag & pvm3.TASK_HOST and where:
            return s.cluster.host(where)
        if flag & pvm3.TASK_ARCH and where:
            hosts = [h for h in hosts if PVM_ARCH.get(h.isa) == where] or hosts
        idle = [h for h in hosts if not s.owner_busy(h.name)]
        best = s.policy.choice.best(s, None, idle)
        if best is None:
            best = min(hosts, key=lambda h: (len(s.guests_on(h.name)), s.cluster.index(h.name)))
            # The task exists once this returns: tell the policy at the same instant (a
            # suspending policy stops it before its second slice).
            s.env.timeout(0).callbacks.append(lambda _: [s.policy.placed(s, t) for t in s.guests_on(best.name)])
        return best
