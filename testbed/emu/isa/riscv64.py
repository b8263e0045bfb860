"""64-bit RISC-V (RV64G, LP64D), ``ecall`` hypercalls."""

from __future__ import annotations

import capstone
import numpy as np
import unicorn
from unicorn import riscv_const as R

from testbed.emu.isa.base import CapstoneClassified, _capstone

MASK64 = (1 << 64) - 1


class Riscv64(CapstoneClassified):
    """Little-endian RV64G as the SiFive U74 runs it (LP64D: doubles in f registers).
    Built without the compressed extension, so every instruction is one 32-bit word.
    No delay slots."""

    name = "riscv64"
    big_endian = False
    elf_machine = "EM_RISCV"
    word_size = 8
    uc_arch = unicorn.UC_ARCH_RISCV
    uc_mode = unicorn.UC_MODE_RISCV64
    pc = R.UC_RISCV_REG_PC
    sp = R.UC_RISCV_REG_SP
    link = R.UC_RISCV_REG_RA
    args = (R.UC_RISCV_REG_A0, R.UC_RISCV_REG_A1, R.UC_RISCV_REG_A2, R.UC_RISCV_REG_A3)
    hypercall_number = R.UC_RISCV_REG_A7
    hypercall_result = R.UC_RISCV_REG_A0
    hypercall_intno = 8  # environment call from U-mode; the PC is already past the ecall

    # mstatus.FS (bits 13-14) is 0, "off", at reset: the first floating-point
    # instruction would be illegal. 3 is "dirty", the state a running FPU is in.
    MSTATUS_FS = 3 << 13

    def setup_cpu(self, uc: unicorn.Uc) -> None:
        uc.reg_write(R.UC_RISCV_REG_MSTATUS, uc.reg_read(R.UC_RISCV_REG_MSTATUS) | self.MSTATUS_FS)

    # major opcodes (bits 0-6) that end a block: BRANCH, JALR, JAL, SYSTEM (ecall, ebreak)
    _TRANSFER_OPCODES = (0x63, 0x67, 0x6F, 0x73)

    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        return np.isin(words & 0x7F, self._TRANSFER_OPCODES)

    def delay_slots(self, code: bytes) -> np.ndarray:
        return np.zeros(len(code) // 4, dtype=bool)  # RISC-V has none

    def _cs(self) -> capstone.Cs:
        return _capstone(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64)

    _LOADS = frozenset("lb lbu lh lhu lw lwu ld flw fld lr.w lr.d".split())
    _STORES = frozenset("sb sh sw sd fsw fsd sc.w sc.d".split())
    _MUL = frozenset("mul mulh mulhu mulhsu mulw".split())
    _DIV = frozenset("div divu rem remu divw divuw remw remuw".split())
    _BRANCHES = frozenset("beq bne blt bge bltu bgeu beqz bnez blez bgez bltz bgtz bgt ble bgtu bleu "
                          "jal jalr j jr ret call tail".split())

    def _class_of(self, mnemonic: str) -> str:
        m = mnemonic
        if m in self._LOADS:
            return "load"
        if m in self._STORES:
            return "store"
        if m in self._MUL:
            return "mul"
        if m in self._DIV:
            return "div"
        if m in self._BRANCHES:
            return "branch"
        if m in ("ecall", "ebreak"):
            return "trap"
        if m[0] == "f":
            base = m.split(".")[0]
            if base in ("fadd", "fsub"):
                return "fadd"
            if base == "fmul":
                return "fmul"
            if base in ("fdiv", "fsqrt"):
                return "fdiv"
            return "fother"  # moves, compares, conversions, sign injection (fabs, fneg)
        return "alu"

    # Loads (opcode 0x03, 0x07 for the FPU) and stores (0x23, 0x27): width from funct3.
    _LOAD_WIDTH = {0: 1, 1: 2, 2: 4, 3: 8, 4: 1, 5: 2, 6: 4}
    _FP_WIDTH = {2: 4, 3: 8}
    # Unicorn (QEMU) does misaligned scalar accesses in hardware, as the U74 does through
    # its M-mode trap handler: only these would reach the host.
    alignment_traps = {4: False, 6: True}  # load / store (or AMO) address misaligned

    def memory_access(self, uc: unicorn.Uc, word: int) -> tuple[int, bool, int] | None:
        opcode, funct3 = word & 0x7F, (word >> 12) & 0x7
        if opcode in (0x03, 0x07):
            width = (self._LOAD_WIDTH if opcode == 0x03 else self._FP_WIDTH).get(funct3)
            offset = word >> 20
            store = False
        elif opcode in (0x23, 0x27):
            width = (self._LOAD_WIDTH if opcode == 0x23 else self._FP_WIDTH).get(funct3)
            offset = ((word >> 25) << 5) | ((word >> 7) & 0x1F)
            store = True
        else:
            return None
        if width is None:
            return None
        offset -= (offset & 0x800) << 1  # sign-extend the 12-bit immediate
        base = uc.reg_read(R.UC_RISCV_REG_X0 + ((word >> 15) & 0x1F))
        return width, store, (base + offset) & MASK64

    def describe_trap(self, intno: int) -> str:
        names = {
            0: "instruction address misaligned", 1: "instruction access fault",
            2: "illegal instruction", 3: "breakpoint (ebreak)",
            4: "load address misaligned", 5: "load access fault",
            6: "store address misaligned", 7: "store access fault",
            9: "environment call from S-mode", 11: "environment call from M-mode",
            12: "instruction page fault", 13: "load page fault", 15: "store page fault",
        }
        return names.get(intno, f"exception {intno}")
