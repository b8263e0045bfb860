"""MIPS I, both byte orders: o32 calling convention, ``syscall`` hypercalls."""

from __future__ import annotations

import capstone
import numpy as np
import unicorn
from unicorn import mips_const as M

from testbed.emu.isa.base import CapstoneClassified, _capstone


class MipsEl(CapstoneClassified):
    """Little-endian MIPS I (R3000), o32 calling convention, ``syscall`` hypercalls."""

    name = "mipsel"
    big_endian = False
    elf_machine = "EM_MIPS"
    uc_arch = unicorn.UC_ARCH_MIPS
    uc_mode = unicorn.UC_MODE_MIPS32 | unicorn.UC_MODE_LITTLE_ENDIAN
    cs_mode = capstone.CS_MODE_MIPS32 | capstone.CS_MODE_LITTLE_ENDIAN
    long_block_crash = True  # testbed/emu/workarounds.py
    pc = M.UC_MIPS_REG_PC
    sp = M.UC_MIPS_REG_SP
    link = M.UC_MIPS_REG_RA
    args = (M.UC_MIPS_REG_A0, M.UC_MIPS_REG_A1, M.UC_MIPS_REG_A2, M.UC_MIPS_REG_A3)
    hypercall_number = M.UC_MIPS_REG_V0
    hypercall_result = M.UC_MIPS_REG_V0
    hypercall_intno = 17  # EXCP_SYSCALL; the PC is already past the syscall

    _LOADS = frozenset("lb lbu lh lhu lw lwl lwr lwc1 ldc1 ll".split())
    _STORES = frozenset("sb sh sw swl swr swc1 sdc1 sc".split())
    _TRAPS = frozenset("syscall break teq tne tge tgeu tlt tltu teqi tnei tgei tgeiu tlti tltiu".split())

    def _cs(self) -> capstone.Cs:
        return _capstone(capstone.CS_ARCH_MIPS, self.cs_mode)

    def _class_of(self, mnemonic: str) -> str:
        m = mnemonic
        if m in self._LOADS:
            return "load"
        if m in self._STORES:
            return "store"
        if m in self._TRAPS:
            return "trap"
        if m in ("mult", "multu"):
            return "mul"
        if m in ("div", "divu"):
            return "div"
        if m[0] in "bj" and m not in ("break",):
            return "branch"
        if m.endswith((".d", ".s", ".w")) or m in ("mfc1", "mtc1", "cfc1", "ctc1"):
            base = m.split(".")[0]
            if base in ("add", "sub"):
                return "fadd"
            if base == "mul":
                return "fmul"
            if base in ("div", "sqrt"):
                return "fdiv"
            return "fother"
        return "alu"

    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        op = words >> 26
        funct = words & 0x3F
        branch_ops = np.isin(op, (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x14, 0x15, 0x16, 0x17))
        special = (op == 0) & np.isin(funct, (0x08, 0x09, 0x0C, 0x0D))  # jr, jalr, syscall, break
        cop1_branch = (op == 0x11) & (((words >> 21) & 0x1F) == 0x08)  # bc1f/bc1t
        return branch_ops | special | cop1_branch


    # Loads and stores of MIPS I by major opcode: access width in bytes (lwl/lwr/swl/swr,
    # which never trap on alignment, are left out).
    _ACCESS_WIDTH = {0x20: 1, 0x21: 2, 0x23: 4, 0x24: 1, 0x25: 2, 0x31: 4, 0x35: 8,
                     0x28: 1, 0x29: 2, 0x2B: 4, 0x39: 4, 0x3D: 8}
    _STORE_OPS = frozenset({0x28, 0x29, 0x2B, 0x39, 0x3D})
    alignment_traps = {12: False, 13: True}  # AdEL (load), AdES (store)
    address_mask = 0xFFFFFFFF

    def memory_access(self, uc: unicorn.Uc, word: int) -> tuple[int, bool, int] | None:
        op = word >> 26
        width = self._ACCESS_WIDTH.get(op)
        if width is None:
            return None
        base = uc.reg_read(M.UC_MIPS_REG_0 + ((word >> 21) & 0x1F))
        offset = (word & 0xFFFF) - ((word & 0x8000) << 1)
        return width, op in self._STORE_OPS, (base + offset) & self.address_mask

    def describe_trap(self, intno: int) -> str:
        names = {
            2: "TLB load miss", 3: "TLB store miss", 10: "bus error", 12: "address error on load (unaligned or kernel-segment address)",
            13: "address error on store (unaligned or kernel-segment address)", 18: "break instruction",
            20: "reserved (illegal) instruction", 21: "coprocessor unusable",
            22: "integer overflow", 23: "trap instruction (division by zero check)",
        }
        return names.get(intno, f"exception {intno}")


class Mips(MipsEl):
    """Big-endian MIPS I as the SGI machines ran it (o32, IRIX's byte order): the same
    instruction set, registers and hypercall as mipsel; only the byte order differs."""

    name = "mips"
    big_endian = True
    uc_mode = unicorn.UC_MODE_MIPS32 | unicorn.UC_MODE_BIG_ENDIAN
    cs_mode = capstone.CS_MODE_MIPS32 | capstone.CS_MODE_BIG_ENDIAN
