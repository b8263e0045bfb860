"""Wall time the default instruction budget gives a never-ending guest before it is stopped.

Run ``python benchmarks/bench_limits.py``. Target: ``testbed exec``/``testbed run`` of a
program that never ends stop within 60 s of wall time with default settings. The
emulator's speed on the worst case (a tight loop: one block-hook call per few
instructions) is measured on both 32-bit ISAs over a slice of the budget and extrapolated
to the whole default budget, within this one run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from testbed.errors import BudgetExhausted
from testbed.execute import Workload, execute
from testbed.limits import DEFAULT_BUDGET

NEVER_ENDS = Path(__file__).resolve().parent.parent / "tests" / "guests" / "never_ends.c"
SLICE = 60_000_000  # instructions measured per ISA
TARGET_S = 60.0


def bench_limits(slice_instructions: int = SLICE) -> dict[str, Any]:
    out: dict[str, Any] = {"default_budget": DEFAULT_BUDGET, "target_s": TARGET_S}
    for isa in ("mipsel", "sparc"):
        try:  # build and warm up outside the measurement
            execute(Workload.resolve(str(NEVER_ENDS)), isa, budget=1000)
        except BudgetExhausted:
            pass
        t0 = time.perf_counter()
        try:
            execute(Workload.resolve(str(NEVER_ENDS)), isa, budget=slice_instructions)
        except BudgetExhausted:
            pass
        per_instruction = (time.perf_counter() - t0) / slice_instructions
        out[isa] = {"instructions_per_s": 1 / per_instruction,
                    "default_budget_wall_s": DEFAULT_BUDGET * per_instruction}
    return out


def main() -> int:
    result = bench_limits()
    worst = 0.0
    for isa in ("mipsel", "sparc"):
        r = result[isa]
        worst = max(worst, r["default_budget_wall_s"])
        print(f"{isa:7s} {r['instructions_per_s'] / 1e6:6.1f} M instructions/s: the default budget of "
              f"{DEFAULT_BUDGET:,} stops a never-ending guest after {r['default_budget_wall_s']:.1f} s")
    ok = worst <= TARGET_S
    print(f"target: within {TARGET_S:.0f} s of wall time: {'met' if ok else 'MISSED'} (worst {worst:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
