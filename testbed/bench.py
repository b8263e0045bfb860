"""Speed benchmarks of the emulator (``testbed bench``), reported as ratios measured in one
run: machine noise affects both sides of a ratio alike."""

from __future__ import annotations

import time
from typing import Any

from testbed.build import build_program
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.programs import program

BENCH_PROGRAM = "linpack"
BENCH_SIZE = 100


def bench_guest(isa: str, size: int = BENCH_SIZE, repeats: int = 3) -> dict[str, Any]:
    """Guest instructions per host second on linpack, unpriced (no hooks at all) and fully
    priced (every block counted natively, then priced per instruction class)."""
    p = program(BENCH_PROGRAM)
    build = build_program(p.name, [p.source], isa)
    machine = resolve(isa)
    argv = p.argv(size)
    best_priced = best_raw = float("inf")
    instructions = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        g = Guest(build.path, machine, argv)
        result = g.run()
        assert result is not None
        best_priced = min(best_priced, time.perf_counter() - t0)  # load + run + pricing
        instructions = result.instructions
        t0 = time.perf_counter()
        Guest(build.path, machine, argv, counting=False).run()
        best_raw = min(best_raw, time.perf_counter() - t0)
    raw_ips = instructions / best_raw
    priced_ips = instructions / best_priced
    return {
        "isa": isa, "program": f"{BENCH_PROGRAM} n={size}", "instructions": instructions,
        "unpriced_s": best_raw, "priced_s": best_priced,
        "unpriced_ips": raw_ips, "priced_ips": priced_ips, "ratio": priced_ips / raw_ips,
    }
