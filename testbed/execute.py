"""Run one guest program to completion on one target: the service behind ``testbed exec``.

A target is ``host`` (the native reference build), an ISA (its default machine) or a
machine profile name. The program is a registered guest program or a path to a C file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testbed.build import build_program, runtime_flags
from testbed.build.native import run_native
from testbed.emu.guest import Guest
from testbed.emu.machines import Machine, resolve
from testbed.emu.machines import names as machine_names
from testbed.errors import ConfigError, GuestFault
from testbed.limits import DEFAULT_BUDGET
from testbed.programs import program


@dataclass(frozen=True)
class Workload:
    """A program source plus the argv it runs with."""

    name: str
    sources: tuple[Path, ...]
    argv: tuple[str, ...]
    size: str

    @classmethod
    def resolve(cls, name: str, size: str | int | None = None) -> Workload:
        """A registered program with a size, or a C file (``size`` then is argv[1] if given)."""
        p = program(name)  # a registered program, or a C file that exists
        if p.path is not None:
            argv = (p.name,) + ((str(size),) if size is not None else ())
            return cls(p.name, (p.source,), argv, str(size) if size is not None else "")
        size = "small" if size is None else size
        return cls(p.name, (p.source,), tuple(p.argv(size)), str(size))


def execute(workload: Workload, target: str, budget: int = DEFAULT_BUDGET, runtime: str = "modern") -> dict[str, Any]:
    """Build and run; returns the record that ``testbed exec --json`` prints. ``runtime``
    selects the runtime design's allocator (the plain program has no migration code)."""
    flags = runtime_flags(runtime)
    record: dict[str, Any] = {"program": workload.name, "size": workload.size, "runtime": runtime}
    if target == "host":
        build = build_program(workload.name, list(workload.sources), "host", extra_flags=flags)
        t0 = time.perf_counter()
        proc = run_native(build.path, list(workload.argv[1:]), f"the host build of {workload.name}")
        wall = time.perf_counter() - t0
        if proc.returncode == 134:  # the runtime's panic status
            fault = GuestFault(f"host build of {workload.name} panicked: {proc.stderr.strip()}")
            fault.output = proc.stdout  # e.g. a failed assert's message, as a guest's fault shows it
            raise fault
        record.update(arch="host", machine="host", output=proc.stdout, exit_code=proc.returncode,
                      instructions=None, cycles=None, seconds=None, wall_s=wall)
        return record
    if target not in machine_names():
        raise ConfigError(f"unknown target {target!r}; valid: host, {', '.join(machine_names())}")
    machine: Machine = resolve(target)
    build = build_program(workload.name, list(workload.sources), machine.isa.name, extra_flags=flags)
    guest = Guest(build.path, machine, list(workload.argv), budget=budget)
    result = guest.run()
    assert result is not None  # plain programs never pause
    record.update(
        arch=machine.isa.name, machine=machine.name, output=result.stdout, exit_code=result.exit_code,
        instructions=result.instructions, cycles=result.cycles, seconds=result.seconds,
        wall_s=result.wall_s, by_class=result.tally.as_dict(),
    )
    return record
