"""SPARC V8 (32-bit, big-endian, -mflat), ``ta`` hypercalls."""

from __future__ import annotations

import struct

import capstone
import numpy as np
import unicorn
from unicorn import sparc_const as S

from testbed.emu.isa.base import CLASS_INDEX, CLASSES, Isa, _capstone


class Sparc32(Isa):
    """Big-endian 32-bit SPARC V8 with flat register windows (-mflat), ``ta 0x10``."""

    name = "sparc"
    big_endian = True
    elf_machine = "EM_SPARC"  # gcc -m32 on sparc64 may also write EM_SPARC32PLUS
    uc_arch = unicorn.UC_ARCH_SPARC
    uc_mode = unicorn.UC_MODE_SPARC32 | unicorn.UC_MODE_BIG_ENDIAN
    pc = S.UC_SPARC_REG_PC
    sp = S.UC_SPARC_REG_SP
    link = S.UC_SPARC_REG_O7
    args = (S.UC_SPARC_REG_O0, S.UC_SPARC_REG_O1, S.UC_SPARC_REG_O2, S.UC_SPARC_REG_O3)
    hypercall_number = S.UC_SPARC_REG_G1
    hypercall_result = S.UC_SPARC_REG_O0
    hypercall_intno = 0x80 + 0x10  # `ta N` reaches UC_HOOK_INTR as 0x80 + N

    # PSR: S (supervisor), PS, EF (FPU enable). The CPU starts in user mode with the FPU
    # off; reading PSR before writing it crashes the Python binding, so only write it.
    PSR_INIT = 0x10C0

    def setup_cpu(self, uc: unicorn.Uc) -> None:
        uc.reg_write(S.UC_SPARC_REG_PSR, self.PSR_INIT)

    def initial_sp(self, top: int) -> int:
        # 64-byte register save area + hidden struct pointer + 6 argument words, 8-aligned
        return (top - 128) & ~0x7

    def set_link(self, uc: unicorn.Uc, sentinel: int) -> None:
        uc.reg_write(self.link, sentinel - 8)  # retl returns to %o7 + 8

    def hypercall_return(self, uc: unicorn.Uc, value: int) -> None:
        super().hypercall_return(uc, value)
        # Unicorn leaves NPC stale after a `ta` hook, so the next instruction would run
        # twice; writing PC to itself resets NPC to PC + 4.
        uc.reg_write(self.pc, uc.reg_read(self.pc))

    # Loads and stores (op = 3) by op3: access width in bytes.
    _ACCESS_WIDTH = {0x00: 4, 0x01: 1, 0x02: 2, 0x03: 8, 0x04: 4, 0x05: 1, 0x06: 2, 0x07: 8,
                     0x09: 1, 0x0A: 2, 0x0D: 1, 0x0F: 4, 0x20: 4, 0x21: 4, 0x23: 8, 0x24: 4,
                     0x25: 4, 0x27: 8}
    _REGISTER_BANKS = (S.UC_SPARC_REG_G0, S.UC_SPARC_REG_O0, S.UC_SPARC_REG_L0, S.UC_SPARC_REG_I0)
    alignment_traps = {7: None}  # mem_address_not_aligned, loads and stores alike

    def _register(self, uc: unicorn.Uc, number: int) -> int:
        return 0 if number == 0 else uc.reg_read(self._REGISTER_BANKS[number >> 3] + (number & 7))

    def memory_access(self, uc: unicorn.Uc, word: int) -> tuple[int, bool, int] | None:
        op3 = (word >> 19) & 0x3F
        if word >> 30 != 3 or op3 not in self._ACCESS_WIDTH:
            return None
        base = self._register(uc, (word >> 14) & 0x1F)
        if word & 0x2000:
            offset = (word & 0x1FFF) - ((word & 0x1000) << 1)
        else:
            offset = self._register(uc, word & 0x1F)
        return self._ACCESS_WIDTH[op3], op3 in self._STORE_OP3, (base + offset) & 0xFFFFFFFF

    _MUL_OP3 = frozenset({0x0A, 0x0B, 0x1A, 0x1B, 0x24})
    _DIV_OP3 = frozenset({0x0E, 0x0F, 0x1E, 0x1F})
    _STORE_OP3 = frozenset({0x04, 0x05, 0x06, 0x07, 0x14, 0x15, 0x16, 0x17, 0x24, 0x25, 0x26, 0x27,
                            0x34, 0x35, 0x36, 0x37})
    _FADD_OPF = frozenset({0x41, 0x42, 0x43, 0x45, 0x46, 0x47})
    _FMUL_OPF = frozenset({0x49, 0x4A, 0x4B, 0x69, 0x6E})
    _FDIV_OPF = frozenset({0x4D, 0x4E, 0x4F, 0x29, 0x2A, 0x2B})

    def _class_of(self, w: int) -> str:
        # Capstone cannot decode several V8 instructions that -mflat emits (ldd/std, ...),
        # so classify from the op / op2 / op3 / opf bit fields of the V8 manual.
        op = w >> 30
        if op == 1:
            return "branch"  # call
        if op == 0:
            return "branch" if (w >> 22) & 7 in (2, 6, 7) else "alu"  # Bicc/FBfcc/CBccc; sethi
        op3 = (w >> 19) & 0x3F
        if op == 3:
            return "store" if op3 in self._STORE_OP3 else "load"
        if op3 in self._MUL_OP3:
            return "mul"
        if op3 in self._DIV_OP3:
            return "div"
        if op3 in (0x38, 0x39):
            return "branch"  # jmpl, rett
        if op3 == 0x3A:
            return "trap"  # ticc
        if op3 == 0x34:
            opf = (w >> 5) & 0x1FF
            if opf in self._FADD_OPF:
                return "fadd"
            if opf in self._FMUL_OPF:
                return "fmul"
            if opf in self._FDIV_OPF:
                return "fdiv"
            return "fother"
        if op3 == 0x35:
            return "fother"  # fcmp
        return "alu"

    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        op = words >> 30
        branches = (op == 0) & np.isin((words >> 22) & 7, (2, 6, 7))  # Bicc, FBfcc, CBccc
        jumps = (op == 2) & np.isin((words >> 19) & 0x3F, (0x38, 0x39, 0x3A))  # jmpl, rett, ticc
        return (op == 1) | branches | jumps  # op 1: call

    def classify(self, code: bytes, address: int) -> tuple[int, ...]:
        counts = [0] * len(CLASSES)
        for (w,) in struct.iter_unpack(">I", code[: len(code) & ~3]):
            counts[CLASS_INDEX[self._class_of(w)]] += 1
        return tuple(counts)

    def _cs(self) -> capstone.Cs:
        return _capstone(capstone.CS_ARCH_SPARC, capstone.CS_MODE_BIG_ENDIAN)

    def disassemble(self, code: bytes, address: int) -> str:
        for insn in self._cs().disasm(code[:4], address):
            return f"{insn.mnemonic} {insn.op_str}".strip()
        w = self.unpack_word(code[:4])
        return f".word {w:#010x} (op={w >> 30} op3={(w >> 19) & 0x3F:#x}; not decodable by capstone)"

    def describe_trap(self, intno: int) -> str:
        names = {
            1: "instruction access exception", 2: "illegal instruction", 3: "privileged instruction",
            4: "FPU disabled", 5: "register window overflow", 6: "register window underflow",
            7: "unaligned memory access", 8: "floating-point exception", 9: "data access exception",
            0x2A: "integer division by zero",
        }
        if intno >= 0x80:
            return f"software trap ta {intno - 0x80:#x}"
        return names.get(intno, f"trap type {intno:#x}")
