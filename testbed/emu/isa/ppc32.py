"""32-bit big-endian PowerPC, ``sc`` hypercalls."""

from __future__ import annotations

import capstone
import numpy as np
import unicorn
from unicorn import ppc_const as P

from testbed.emu.isa.base import CapstoneClassified, _capstone


class Ppc32(CapstoneClassified):
    """Big-endian 32-bit PowerPC (604), System V ABI, ``sc`` hypercalls. No delay slots."""

    name = "ppc32"
    big_endian = True
    elf_machine = "EM_PPC"
    uc_arch = unicorn.UC_ARCH_PPC
    uc_mode = unicorn.UC_MODE_PPC32 | unicorn.UC_MODE_BIG_ENDIAN
    pc = P.UC_PPC_REG_PC
    sp = P.UC_PPC_REG_1
    link = P.UC_PPC_REG_LR
    args = (P.UC_PPC_REG_3, P.UC_PPC_REG_4, P.UC_PPC_REG_5, P.UC_PPC_REG_6)
    hypercall_number = P.UC_PPC_REG_0
    hypercall_result = P.UC_PPC_REG_3
    hypercall_intno = 8  # POWERPC_EXCP_SYSCALL

    MSR_FP = 0x2000  # the CPU starts with the FPU off: the first lfd would trap

    def setup_cpu(self, uc: unicorn.Uc) -> None:
        uc.reg_write(P.UC_PPC_REG_MSR, uc.reg_read(P.UC_PPC_REG_MSR) | self.MSR_FP)

    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        op = words >> 26
        xo = (words >> 1) & 0x3FF
        branch = np.isin(op, (16, 17, 18, 3))  # bc, sc, b, twi
        indirect = (op == 19) & np.isin(xo, (16, 528, 50))  # bclr, bcctr, rfi
        return branch | indirect | ((op == 31) & (xo == 4))  # tw

    def delay_slots(self, code: bytes) -> np.ndarray:
        return np.zeros(len(code) // 4, dtype=bool)  # PowerPC has none

    def _cs(self) -> capstone.Cs:
        return _capstone(capstone.CS_ARCH_PPC, capstone.CS_MODE_32 | capstone.CS_MODE_BIG_ENDIAN)

    _FADD = frozenset("fadd fadds fsub fsubs".split())
    _FMUL = frozenset("fmul fmuls".split())
    _FDIV = frozenset("fdiv fdivs fsqrt fsqrts".split())

    def _class_of(self, mnemonic: str) -> str:
        m = mnemonic.rstrip(".")  # the record forms (add.) set CR0; same cost
        if m.startswith(("st", "dcb")):
            return "store"
        if m[0] == "l" and m not in ("li", "lis"):
            return "load"
        if m.startswith("mul"):
            return "mul"
        if m.startswith("div"):
            return "div"
        if m in ("sc", "trap") or m.startswith("tw"):
            return "trap"
        if m[0] == "b":
            return "branch"
        if m in self._FADD:
            return "fadd"
        if m in self._FMUL:
            return "fmul"
        if m in self._FDIV:
            return "fdiv"
        if m[0] == "f" or m.startswith(("mffs", "mtfs")):
            return "fother"
        return "alu"


    def describe_trap(self, intno: int) -> str:
        names = {
            1: "machine check", 2: "data storage exception (unmapped or protected address)",
            3: "instruction storage exception", 5: "alignment exception",
            6: "program exception (illegal instruction or trap)", 7: "floating-point unavailable",
        }
        return names.get(intno, f"exception {intno}")
