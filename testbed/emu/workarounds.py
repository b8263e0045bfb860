"""Work-arounds for unicorn 2.1.4 defects that would otherwise kill the Python process.

MIPS: long straight-line blocks crash the translator (SIGSEGV in ``emu_start``).
    For each instruction it translates without a code hook, unicorn's
    ``mips_tr_translate_insn`` emits a ``tcg_gen_addi_i32`` whose ``tcg_const_i32``
    temporary is apparently never freed (the crash comes while allocating one); a
    translation block holds at most TCG_MAX_TEMPS (512) temporaries, part of them the
    CPU's globals. A block of more than 375 instructions (fewer with the testbed's hooks:
    a 1,276-byte, 319-instruction unrolled SHA-256 block crashed) overruns the array; gdb shows the crash in ``tcg_emit_op_mipsel`` under
    ``tcg_const_i32`` / ``mips_tr_translate_insn`` (issue #2134's 2.1.4 trace: ``temp_load``).
    Measured on bare unicorn with straight-line ``nop``/``addiu``/mixed runs: 375
    instructions run, 376 crash, with or without a block hook; a code hook on one address
    does not help, a code hook covering the whole run does (tests/test_emulator.py).
    Work-around: every straight-line run longer than LONG_RUN instructions gets a code
    hook over its whole range whose callback is an empty C function
    (``ucnative.add_empty_code_hook``). It costs one native call per instruction in those
    runs only; translation is unchanged elsewhere, so block counts and prices are too.
"""

from __future__ import annotations

import numpy as np
import unicorn

from testbed.emu import ucnative
from testbed.emu.isa import Isa

# Runs longer than this get the code hook; the crash needs ~300 instructions or more.
LONG_RUN = 128


def long_runs(isa: Isa, code: bytes, base: int, limit: int = LONG_RUN) -> list[tuple[int, int]]:
    """(first, last) addresses of the straight-line runs longer than ``limit``.

    A block can start anywhere (a branch target) but never extends past the next control
    transfer and its delay slot, so covering each run whole covers every block in it."""
    words = isa.words(code)
    ends = np.flatnonzero(isa.control_transfers(words))
    # A run starts after a control transfer's delay slot and ends with the next delay slot.
    starts = np.concatenate(([0], ends + 2))
    stops = np.concatenate((ends + 1, [len(words) - 1]))
    long = (stops - starts + 1) > limit
    return [(base + 4 * int(s), base + 4 * int(e)) for s, e in zip(starts[long], stops[long], strict=True)]


def protect_translator(uc: unicorn.Uc, isa: Isa, code: bytes, base: int) -> list[tuple[int, int]]:
    """Install the work-around needed by ``isa`` for the executable ``code`` at ``base``;
    returns the ranges it covered (empty on ISAs that need nothing)."""
    if not isa.long_block_crash:
        return []
    runs = long_runs(isa, code, base)
    for first, last in runs:
        ucnative.add_empty_code_hook(uc, first, last)
    return runs
