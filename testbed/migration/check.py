"""Regression checks over every program, direction and a spread of migration points, and
the cost of being migratable (the precompiler's poll-points and bookkeeping)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from testbed.build import build_program, runtime_flags
from testbed.build.migratable import build_migratable
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.errors import TestbedError
from testbed.migration.host import MigrationPort
from testbed.migration.run import MigrationSpec, migrate, passages
from testbed.programs import PROGRAMS, program

DIRECTIONS = (("mipsel", "sparc"), ("sparc", "mipsel"), ("mipsel", "mipsel"), ("sparc", "sparc"))


@dataclass(frozen=True)
class Case:
    program: str
    size: str
    src: str
    dst: str
    at: int
    runtime: str = "modern"


def spread(total: int, count: int) -> list[int]:
    """``count`` passage numbers spread evenly over 1..total, first and last included."""
    if total <= count:
        return list(range(1, total + 1))
    return sorted({1 + round(i * (total - 1) / (count - 1)) for i in range(count)})


def cases(quick: bool, programs: list[str] | None = None, runtime: str = "modern") -> Iterator[Case]:
    size = "small"
    per_direction = 3 if quick else 20
    for name in programs or sorted(PROGRAMS):
        total = passages(name, size)
        for src, dst in DIRECTIONS:
            for k in spread(total, per_direction):
                yield Case(name, size, src, dst, k, runtime)


def run_case(case: Case) -> dict[str, Any]:
    try:
        r = migrate(MigrationSpec(case.program, case.size, case.src, case.dst, at=case.at, runtime=case.runtime))
        ok = bool(r.verified and r.roundtrip_identical and not r.failed)
        return {**case.__dict__, "ok": ok, "call_frames": r.stream.call_frames, "poll_point": r.poll_point,
                "error": None if ok else (r.failure.error if r.failure else "output or round trip differs")}
    except TestbedError as exc:
        return {**case.__dict__, "ok": False, "call_frames": None, "poll_point": None, "error": str(exc)}


def check(quick: bool, jobs: int | None = None, programs: list[str] | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None, runtime: str = "modern") -> list[dict[str, Any]]:
    """Migrate every case; returns one row per case (``ok`` says whether it verified)."""
    todo = list(cases(quick, programs, runtime))
    rows: list[dict[str, Any]] = []
    workers = jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for row in pool.map(run_case, todo):
            rows.append(row)
            if progress:
                progress(row)
    return rows


def overhead(name: str, size: str = "paper1", isa: str = "mipsel", runtime: str = "modern") -> dict[str, Any]:
    """Instructions of the migratable build (no migration requested) over the plain one,
    both with the same runtime's allocator."""
    p = program(name)
    machine = resolve(isa)
    plain_build = build_program(p.name, [p.source], isa, extra_flags=runtime_flags(runtime))
    plain = Guest(plain_build.path, machine, p.argv(size)).run()
    guest = Guest(build_migratable(name, isa, runtime).path, machine, p.argv(size))
    port = MigrationPort(guest)
    if guest.run() is not None:  # it waits in its start-up hypercall: a normal start
        raise TestbedError(f"the migratable build of {name} did not ask for a stream at start-up")
    port.start_normally()
    annotated = guest.run()  # no request armed: the cost a program pays while nobody migrates it
    assert plain is not None and annotated is not None
    if annotated.stdout != plain.stdout:
        raise TestbedError(f"the migratable build of {name} prints something else than the plain one")
    return {
        "program": name, "size": size, "isa": isa, "runtime": runtime,
        "plain_instructions": plain.instructions, "migratable_instructions": annotated.instructions,
        "overhead": annotated.instructions / plain.instructions - 1.0,
        "passages": passages(name, size),
    }
