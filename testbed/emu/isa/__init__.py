"""One small class per guest ISA: registers, calling convention, hypercall trap, CPU set-up,
instruction classes for the cost model, and disassembly for fault reports.

Everything architecture-specific that the emulator needs lives here (the way Qiling
separates arch from loader and OS); guest.py is written against the ``Isa`` interface.

A new ISA is one module here with one ``Isa`` subclass, and one entry in ``ISAS`` below.
"""

from __future__ import annotations

from testbed.emu.isa.aarch64 import Aarch64
from testbed.emu.isa.base import CLASS_INDEX, CLASSES, CapstoneClassified, Isa
from testbed.emu.isa.mips import Mips, MipsEl
from testbed.emu.isa.mips64 import Mips64
from testbed.emu.isa.ppc32 import Ppc32
from testbed.emu.isa.riscv64 import Riscv64
from testbed.emu.isa.sparc import Sparc32
from testbed.emu.isa.x86_64 import X86_64
from testbed.errors import unknown_name

__all__ = ["Aarch64", "CLASSES", "CLASS_INDEX", "ISAS", "CapstoneClassified", "Isa", "Mips", "Mips64", "MipsEl",
           "Ppc32", "Riscv64", "Sparc32", "X86_64", "isa"]

ISAS: dict[str, Isa] = {i.name: i for i in (MipsEl(), Mips(), Sparc32(), Ppc32(), Aarch64(), Riscv64(), X86_64(),
                                            Mips64())}


def isa(name: str) -> Isa:
    if name not in ISAS:
        raise unknown_name("ISA", name, list(ISAS))
    return ISAS[name]
