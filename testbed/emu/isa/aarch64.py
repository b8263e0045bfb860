"""64-bit ARM (AArch64, little-endian, LP64), ``svc`` hypercalls."""

from __future__ import annotations

import capstone
import numpy as np
import unicorn
from unicorn import arm64_const as A

from testbed.emu.isa.base import CapstoneClassified, _capstone


class Aarch64(CapstoneClassified):
    """AArch64 (ARMv8-A, as the Cortex-A72 runs it), AAPCS64, LP64, ``svc #0`` with the
    number in x8 (the Linux convention). No delay slots; the FPU needs no set-up under
    Unicorn 2.1.4 (DESIGN.md 8)."""

    name = "aarch64"
    big_endian = False
    word_size = 8
    elf_machine = "EM_AARCH64"
    uc_arch = unicorn.UC_ARCH_ARM64
    uc_mode = unicorn.UC_MODE_ARM
    pc = A.UC_ARM64_REG_PC
    sp = A.UC_ARM64_REG_SP
    link = A.UC_ARM64_REG_LR
    args = (A.UC_ARM64_REG_X0, A.UC_ARM64_REG_X1, A.UC_ARM64_REG_X2, A.UC_ARM64_REG_X3)
    hypercall_number = A.UC_ARM64_REG_X8
    hypercall_result = A.UC_ARM64_REG_X0
    hypercall_intno = 2  # EXCP_SWI; the PC is already past the svc, its immediate not passed

    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        # Encodings from the Arm ARM (C4.1, "Branches, exception generating and system
        # instructions"): B/BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET, SVC/HVC/BRK.
        return (((words & 0x7C000000) == 0x14000000) | ((words & 0xFF000010) == 0x54000000)
                | ((words & 0x7E000000) == 0x34000000) | ((words & 0x7E000000) == 0x36000000)
                | ((words & 0xFE000000) == 0xD6000000) | ((words & 0xFF000000) == 0xD4000000))

    def delay_slots(self, code: bytes) -> np.ndarray:
        return np.zeros(len(code) // 4, dtype=bool)  # AArch64 has none

    def _cs(self) -> capstone.Cs:
        return _capstone(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)

    _MUL = frozenset("mul madd msub mneg smull umull smulh umulh smaddl umaddl smsubl umsubl smnegl umnegl".split())
    _DIV = frozenset(("sdiv", "udiv"))
    _BRANCH = frozenset("b bl br blr ret cbz cbnz tbz tbnz".split())
    _TRAP = frozenset(("svc", "hvc", "smc", "brk", "hlt"))
    _FADD = frozenset(("fadd", "fsub"))
    _FMUL = frozenset(("fmul", "fnmul"))
    _FDIV = frozenset(("fdiv", "fsqrt"))

    def _class_of(self, mnemonic: str) -> str:
        m = mnemonic
        if m.startswith(("ld", "ldr", "ldp")) or m == "prfm":
            return "load"
        if m.startswith(("st", "stp")):
            return "store"
        if m in self._BRANCH or m.startswith("b."):
            return "branch"
        if m in self._MUL:
            return "mul"
        if m in self._DIV:
            return "div"
        if m in self._TRAP:
            return "trap"
        if m in self._FADD:
            return "fadd"
        if m in self._FMUL:
            return "fmul"
        if m in self._FDIV:
            return "fdiv"
        if m[0] == "f" or m in ("scvtf", "ucvtf"):
            return "fother"
        return "alu"

    def describe_trap(self, intno: int) -> str:
        # QEMU's target/arm EXCP_* numbers, as Unicorn reports them
        names = {
            1: "undefined instruction", 3: "instruction abort (jump to an unmapped or protected address)",
            4: "data abort (unmapped, protected or misaligned address)", 7: "breakpoint (brk)",
            8: "exception return", 11: "hypervisor call", 13: "secure monitor call",
        }
        return names.get(intno, f"exception {intno}")
