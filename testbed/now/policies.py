"""What the scheduler does with a guest task when its host's owner returns, behind one interface.

* ``migrate`` (MpPVM): move the task to an idle host of either ISA (the destination is
  pre-initialised by the migration protocol); which idle host is itself a policy
  (``HostChoice``: the idlest, the fastest, same ISA first). A task that found no idle
  host stays and shares the CPU; when an owner leaves, a stranded task moves there.
* ``suspend`` (Condor's vacate without a checkpoint server): stop the task between
  slices until its owner leaves. The rest of its job waits for it.
* ``restart``: kill the task's whole job (a PVM job cannot lose one task and go on) and
  start it over from the beginning on idle hosts.
* ``ignore``: let the task run beside the owner, each getting a share of the CPU.

Every policy gets the same three calls from the scheduler: an owner arrived at a host, an
owner left a host, a new task was placed (possibly on a busy host, when none was idle).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from testbed.cluster.cosim import CoSim, Task
from testbed.cluster.topology import ClusterHost
from testbed.errors import ConfigError, unknown_name

if TYPE_CHECKING:
    from testbed.now.scheduler import Scheduler


MIGRATION_MISSING = "the migrate policy needs CoSim.request_migration (issue 13, branch mppvm), not in this build"


def migration_available() -> bool:
    """Task migration inside a running job (issue 13, ``CoSim.request_migration``) is built in."""
    return hasattr(CoSim, "request_migration")


class HostChoice(ABC):
    """Ranks idle candidate hosts for a task; the scheduler takes the first."""

    name: str

    def best(self, sched: Scheduler, task: Task | None, candidates: list[ClusterHost]) -> ClusterHost | None:
        if not candidates:
            return None
        return min(candidates, key=lambda h: (len(sched.guests_on(h.name)), *self.preference(sched, task, h),
                                              sched.cluster.index(h.name)))

    @abstractmethod
    def preference(self, sched: Scheduler, task: Task | None, host: ClusterHost) -> tuple[float, ...]:
        """Smaller is better, after the fewest guests already there."""


class Idlest(HostChoice):
    """The host whose owner has been away longest (likely to stay away: decreasing hazard)."""

    name = "idlest"

    def preference(self, sched: Scheduler, task: Task | None, host: ClusterHost) -> tuple[float, ...]:
        return (sched.idle_since(host.name),)


class Fastest(HostChoice):
    """The host with the fastest clock, then the idlest."""

    name = "fastest"

    def preference(self, sched: Scheduler, task: Task | None, host: ClusterHost) -> tuple[float, ...]:
        return (-host.clock_hz, sched.idle_since(host.name))


class SameIsaFirst(HostChoice):
    """A host of the task's own ISA if one is idle (no conversion on restore), then the idlest."""

    name = "same-isa"

    def preference(self, sched: Scheduler, task: Task | None, host: ClusterHost) -> tuple[float, ...]:
        other = task is not None and host.isa != task.host.isa
        return (float(other), sched.idle_since(host.name))


HOST_CHOICES: dict[str, type[HostChoice]] = {c.name: c for c in (Idlest, Fastest, SameIsaFirst)}


class Policy(ABC):
    name: str

    def __init__(self, choice: HostChoice | None = None) -> None:
        self.choice = choice or Idlest()

    @abstractmethod
    def owner_arrived(self, sched: Scheduler, host: str) -> None: ...

    def owner_left(self, sched: Scheduler, host: str) -> None:  # noqa: B027 - most policies need nothing
        pass

    def placed(self, sched: Scheduler, task: Task) -> None:  # noqa: B027
        pass


class Ignore(Policy):
    name = "ignore"

    def owner_arrived(self, sched: Scheduler, host: str) -> None:
        pass  # the scheduler has already lowered the host's CPU share: the two run side by side


class Suspend(Policy):
    name = "suspend"

    def owner_arrived(self, sched: Scheduler, host: str) -> None:
        for task in sched.guests_on(host):
            sched.suspend(task)

    def owner_left(self, sched: Scheduler, host: str) -> None:
        for task in sched.guests_on(host):
            sched.resume(task)

    def placed(self, sched: Scheduler, task: Task) -> None:
        if sched.owner_busy(task.host.name):
            sched.suspend(task)


class Restart(Policy):
    name = "restart"

    def owner_arrived(self, sched: Scheduler, host: str) -> None:
        jobs = {job.index: job for job in map(sched.job_of, sched.guests_on(host)) if job is not None}
        for job in jobs.values():  # in task order, not by object identity: deterministic
            sched.restart(job)


class Migrate(Policy):
    name = "migrate"

    def owner_arrived(self, sched: Scheduler, host: str) -> None:
        for task in sched.guests_on(host):
            self._move(sched, task)

    def owner_left(self, sched: Scheduler, host: str) -> None:
        """A task left behind on a busy host (no idle host then) moves to the one just freed."""
        for other in sched.cluster.hosts:
            if other.name != host and sched.owner_busy(other.name):
                for task in sched.guests_on(other.name):
                    if self._move(sched, task):
                        return

    def _move(self, sched: Scheduler, task: Task) -> bool:
        if sched.moving(task):
            return False
        dst = self.choice.best(sched, task, sched.idle_hosts(exclude=task.host.name))
        if dst is None:
            return False
        sched.migrate(task, dst.name)
        return True


POLICIES: dict[str, type[Policy]] = {p.name: p for p in (Migrate, Suspend, Restart, Ignore)}


def make_policy(name: str, host_choice: str = "idlest") -> Policy:
    if name not in POLICIES:
        raise unknown_name("policy", name, list(POLICIES))
    if host_choice not in HOST_CHOICES:
        raise unknown_name("host choice", host_choice, list(HOST_CHOICES))
    if name == "migrate" and not migration_available():
        raise ConfigError(MIGRATION_MISSING)
    return POLICIES[name](HOST_CHOICES[host_choice]())
