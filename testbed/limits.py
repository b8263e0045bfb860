"""Run limits: what stops a guest that never ends, on the emulator and natively.

Emulated guests stop at an instruction budget (deterministic: the same run always stops
at the same instruction). Measured on this 2-core host with six users: the emulator
executes about 90 M instructions/s on mipsel and 47 M/s on sparc for a tight loop (the
worst case: one block-hook call per 3-4 instructions), so the default budget of 1.5 G
instructions stops a never-ending program after about 17 s (mipsel) or 32 s (sparc) of
emulation, within a minute with the build. Long runs raise it: ``--budget``; the
experiments (paper2 linpack executes 3.6 G instructions on its source) use
``EXPERIMENT_BUDGET``.

Native (host) runs stop at a wall-clock timeout, with the stack the guests have and a cap
on address space, set in the child by resource limits.
"""

from __future__ import annotations

DEFAULT_BUDGET = 1_500_000_000  # emulated instructions per guest: `testbed exec` and `testbed run`
EXPERIMENT_BUDGET = 50_000_000_000  # library default: experiment runs of the paper sizes



def default_budget(program_name: str, size: str | int | None) -> int:
    """The budget ``testbed exec``/``testbed run`` use when none is given. A registered
    program at one of its named sizes is known to finish (paper2 linpack executes 3.6 G
    instructions), so it gets EXPERIMENT_BUDGET; anything else (a C file of the user's, an
    integer size) may never end, so it gets DEFAULT_BUDGET and stops within a minute."""
    from testbed.programs import PROGRAMS, SIZE_NAMES

    named = size is None or (isinstance(size, str) and size in SIZE_NAMES)
    return EXPERIMENT_BUDGET if program_name in PROGRAMS and named else DEFAULT_BUDGET


NATIVE_TIMEOUT_S = 30.0  # wall seconds; the largest registered run (paper2 linpack) takes ~1 s
NATIVE_STACK_BYTES = 64 << 20  # as the guests (testbed/emu/guest.py STACK_SIZE)
NATIVE_MEMORY_BYTES = 4 << 30  # address space: the host runtime maps a 1 GiB heap
