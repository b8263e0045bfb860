"""One cluster run of a PVM program, its per-host accounting and its check against a reference.

``run_program("pvm_matmul", cluster("snow18"), tasks=4, size="small")`` co-simulates the
program and returns a ``ClusterResult``. The references:

* ``pvm_matmul N W``: the serial ``matmul N`` (a native host build), its ``sum``,
  ``trace`` and ``weighted`` lines, which must be identical;
* ``pvm_heat N STEPS W``: the same program with ``W = 0`` (the master alone sweeps the
  whole rod, no PVM), emulated on the cluster's first host; the whole output must be
  identical;
* ``pvm_relay BLOCKS ITEMS W``: likewise its own ``W = 0`` mode (MpPVM's test of partly
  unpacked and partly packed buffers travelling in the stream);
* any other C file: no reference (``verified`` is None).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testbed.build import build_program
from testbed.build.native import run_native
from testbed.cluster.cosim import CoSim, Span
from testbed.cluster.migrate import MigrationRequest
from testbed.cluster.topology import Cluster
from testbed.errors import ConfigError
from testbed.programs import PROGRAM_DIR, SIZE_NAMES


@dataclass(frozen=True)
class PvmProgram:
    name: str
    sizes: dict[str, tuple[int, ...]]  # size name -> the size arguments
    size_meaning: str
    reference: Callable[[tuple[int, ...], Cluster], str] | None  # the lines that must match
    compared: Callable[[str], str]  # the part of the program's output compared

    def size_args(self, size: str | int) -> tuple[int, ...]:
        if isinstance(size, int) or str(size).replace(",", "").isdigit():
            args = tuple(int(x) for x in str(size).split(","))
            if len(args) == len(next(iter(self.sizes.values()))) and all(a > 0 for a in args):
                return args
        elif size in self.sizes:
            return self.sizes[str(size)]
        raise ConfigError(f"unknown size {size!r} for {self.name}; valid sizes: {', '.join(SIZE_NAMES)} "
                          f"or {self.size_meaning}")


def _checksum_lines(output: str) -> str:
    return "".join(line + "\n" for line in output.splitlines() if line.split(" =")[0] in ("sum", "trace", "weighted"))


def _matmul_reference(args: tuple[int, ...], _cluster: Cluster) -> str:
    build = build_program("matmul", [PROGRAM_DIR / "matmul.c"], "host")
    proc = run_native(build.path, [str(args[0])], "the serial reference matmul")
    return _checksum_lines(proc.stdout)


def _serial_reference(name: str) -> Callable[[tuple[int, ...], Cluster], str]:
    """The program's own serial mode (WORKERS = 0, no PVM) on the cluster's first host."""
    def reference(args: tuple[int, ...], cluster: Cluster) -> str:
        return CoSim(cluster).run(PROGRAM_DIR / f"{name}.c", [name, *map(str, args), "0"]).output
    return reference


PVM_PROGRAMS: dict[str, PvmProgram] = {
    p.name: p for p in (
        PvmProgram("pvm_matmul", {"small": (32,), "paper1": (128,), "paper2": (256,)},
                   "a positive matrix order N", _matmul_reference, _checksum_lines),
        PvmProgram("pvm_heat", {"small": (200, 50), "paper1": (10_000, 100), "paper2": (50_000, 200)},
                   "POINTS,STEPS (two positive integers)", _serial_reference("pvm_heat"), lambda out: out),
        PvmProgram("pvm_relay", {"small": (6, 24), "paper1": (32, 200), "paper2": (64, 1000)},
                   "BLOCKS,ITEMS (two positive integers)", _serial_reference("pvm_relay"), lambda out: out),
    )
}


@dataclass
class HostUse:
    host: str
    machine: str
    tasks: int
    compute_s: float
    communication_s: float
    idle_s: float
    messages: int
    message_bytes: int


@dataclass
class ClusterResult:
    program: str
    cluster: str
    network: str
    tasks: int
    hosts_used: list[str]
    execution_s: float
    messages: int
    message_bytes: int
    verified: bool | None
    output: str
    reference: str | None
    hosts: list[HostUse]
    instructions: int
    wall_s: float
    errors: str
    spans: list[Span] = field(default_factory=list)
    task_hosts: dict[int, str] = field(default_factory=dict)
    migratable: bool = False
    migrations: list[dict[str, Any]] = field(default_factory=list)  # MigrationRecord.to_dict() each
    ledger: dict[str, int] = field(default_factory=dict)  # sent, delivered, forwarded
    ledger_problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program, "cluster": self.cluster, "network": self.network,
            "tasks": self.tasks, "hosts_used": self.hosts_used, "execution_s": self.execution_s,
            "messages": self.messages, "message_bytes": self.message_bytes, "verified": self.verified,
            "output": self.output, "reference": self.reference, "instructions": self.instructions,
            "wall_s": self.wall_s, "errors": self.errors,
            "hosts": [vars(h) for h in self.hosts],
            **({"migratable": True, "migrations": self.migrations, "ledger": self.ledger,
                "ledger_problems": self.ledger_problems} if self.migratable else {}),
        }


def run_program(program: str, cluster: Cluster, *, tasks: int = 4, size: str | int = "small",
                path: Sequence[Path] = (), verify: bool = True, seed: int = 0, migratable: bool = False,
                migrations: Sequence[MigrationRequest] = (), faults: dict[int, list[str]] | None = None,
                ) -> ClusterResult:
    """Co-simulate ``program`` (a shipped PVM program or a C file) with ``tasks`` workers.

    ``migratable`` (implied by ``migrations``) runs the MpPVM builds of its tasks;
    ``migrations`` are the scheduler's requests (docs/mppvm.md); ``faults`` maps a task
    index to failures injected into its next migrations (``migrate.FAULTS``)."""
    known = PVM_PROGRAMS.get(program)
    if known is not None:
        source = PROGRAM_DIR / f"{program}.c"
        size_args = known.size_args(size)
        argv = [program, *map(str, size_args), str(tasks)]
    else:
        source = Path(program)
        if source.suffix != ".c" or not source.is_file():
            raise ConfigError(f"unknown PVM program {program!r}; valid: {', '.join(PVM_PROGRAMS)} or a C file")
        size_args = ()
        argv = [source.stem]
    if tasks < 1 or tasks > 64:
        raise ConfigError(f"--tasks must be 1..64, not {tasks}")
    t0 = time.perf_counter()
    sim = CoSim(cluster, path=path, seed=seed, migratable=migratable or bool(migrations))
    for request in migrations:
        sim.schedule(request)
    for index, kinds in (faults or {}).items():
        sim.migrator.faults[index] = list(kinds)
    first = sim.run(source, argv)
    wall = time.perf_counter() - t0
    output = first.output
    reference = verified = None
    if known is not None and verify and known.reference is not None:
        reference = known.reference(size_args, cluster)
        verified = known.compared(output) == reference and first.exit_code == 0
    problems = sim.mpd.ledger.problems()
    waits: dict[int, list[tuple[float, float]]] = {}
    for span in sim.spans:
        if span.kind == "wait":
            waits.setdefault(span.tid, []).append((span.start, span.end))
    sim.migrator.finalise(waits, None if verified is None else verified and not problems)
    result = _result(sim, source.stem, cluster, output, reference, verified, wall)
    result.migratable = sim.migratable
    result.migrations = [r.to_dict() for r in sim.migrator.records]
    result.ledger = sim.mpd.ledger.summary()
    result.ledger_problems = problems
    return result


def _result(sim: CoSim, program: str, cluster: Cluster, output: str, reference: str | None,
            verified: bool | None, wall: float) -> ClusterResult:
    end = sim.finished_s or sim.now
    compute = sim.host_compute
    count: dict[str, int] = {}
    for t in sim.tasks.values():  # where each task ended
        count[t.host.name] = count.get(t.host.name, 0) + 1
    hosts = []
    for h in cluster.hosts:
        if h.name not in count and h.name not in compute:
            continue  # never used (a host a task migrated away from still counts)
        busy = sim.mpd.net.hosts[h.name].cpu.busy_time
        traffic = sim.mpd.traffic[h.name]
        hosts.append(HostUse(h.name, h.machine, count.get(h.name, 0), compute.get(h.name, 0.0),
                             busy - compute.get(h.name, 0.0),
                             max(end - busy, 0.0), traffic.messages, traffic.message_bytes))
    errors = "".join(t.stderr.decode("utf-8", errors="replace") for t in sim.tasks.values())
    return ClusterResult(
        program=program, cluster=cluster.name, network=",".join(sorted(set(cluster.segments.values()))),
        tasks=len(sim.tasks) - 1, hosts_used=[h.host for h in hosts], execution_s=end,
        messages=sum(h.messages for h in hosts), message_bytes=sum(h.message_bytes for h in hosts),
        verified=verified, output=output, reference=reference, hosts=hosts,
        instructions=sum(t.guest.instructions for t in sim.tasks.values()), wall_s=wall, errors=errors,
        spans=sim.spans, task_hosts={t.tid: t.host.name for t in sim.tasks.values()},
    )
