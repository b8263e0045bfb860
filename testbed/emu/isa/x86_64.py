"""x86-64 (System V, LP64), ``syscall`` hypercalls.

The one variable-length ISA: instructions start at any byte, so the block counter keeps a
slot per byte and counts a block's instructions from a prefix table of instruction starts
(``instruction_starts``); there are no delay slots. The return address lives on the
stack, so the sentinel is pushed rather than put in a link register.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import capstone
import numpy as np
import unicorn
from capstone import x86_const as CX
from unicorn import x86_const as X

from testbed.emu.isa.base import CLASS_INDEX, CLASSES, CapstoneClassified

MASK64 = (1 << 64) - 1


class X86_64(CapstoneClassified):  # noqa: N801 - the ISA's own name
    """Little-endian x86-64, System V calling convention, SSE2 doubles."""

    name = "x86-64"
    big_endian = False
    elf_machine = "EM_X86_64"
    word_size = 8
    insn_align = 1
    uc_arch = unicorn.UC_ARCH_X86
    uc_mode = unicorn.UC_MODE_64
    pc = X.UC_X86_REG_RIP
    sp = X.UC_X86_REG_RSP
    args = (X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX, X.UC_X86_REG_RCX)
    hypercall_number = X.UC_X86_REG_RAX
    hypercall_result = X.UC_X86_REG_RAX
    # `syscall` reaches UC_HOOK_INSN, never UC_HOOK_INTR: it is reported to the guest's
    # trap handler under this number, past the 256 interrupt vectors so no real trap has it.
    hypercall_intno = 256
    max_insn_bytes = 15

    def hook_traps(self, uc: unicorn.Uc, on_trap: Callable[[unicorn.Uc, int, object], None]) -> None:
        uc.hook_add(unicorn.UC_HOOK_INTR, on_trap)
        uc.hook_add(unicorn.UC_HOOK_INSN, lambda u, user: on_trap(u, self.hypercall_intno, user),
                    None, 1, 0, X.UC_X86_INS_SYSCALL)

    def initial_sp(self, top: int) -> int:
        # at a function's entry %rsp + 8 is 16-byte aligned (a call has pushed 8 bytes)
        return ((top - 64) & ~0xF) - 8

    def set_link(self, uc: unicorn.Uc, sentinel: int) -> None:
        uc.mem_write(uc.reg_read(X.UC_X86_REG_RSP), sentinel.to_bytes(8, "little"))

    # ---- decoding: everything goes through capstone, which decodes all of x86-64 ----

    def _cs(self) -> capstone.Cs:
        return _detailed()

    def instruction_starts(self, code: bytes) -> np.ndarray:
        starts = np.zeros(len(code) + 1, dtype=np.uint32)
        marks = np.zeros(len(code), dtype=np.uint32)
        at = 0
        while at < len(code):  # a linear sweep; gcc's text holds no data (jump tables are in .rodata)
            for _, size, _, _ in self._cs().disasm_lite(code[at:], at):
                marks[at] = 1
                at += size
            if at < len(code):  # undecodable: one byte, one "instruction"
                marks[at] = 1
                at += 1
        np.cumsum(marks, out=starts[1:])
        return starts

    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        raise TypeError("x86-64 instructions are not words; its blocks come from capstone")

    def delay_slots(self, code: bytes) -> np.ndarray:
        return np.zeros(len(code), dtype=bool)  # one counter slot per byte; no delay slots

    _BRANCH_GROUPS = frozenset({CX.X86_GRP_JUMP, CX.X86_GRP_CALL, CX.X86_GRP_RET, CX.X86_GRP_IRET})
    _TRAPS = frozenset("syscall int int1 int3 into ud0 ud1 ud2 hlt".split())
    _FADD = frozenset("addsd subsd addss subss addpd subpd addps subps".split())
    _FMUL = frozenset("mulsd mulss mulpd mulps".split())
    _FDIV = frozenset("divsd divss divpd divps sqrtsd sqrtss sqrtpd sqrtps".split())
    # read their memory operand even when it is the first (destination-position) one
    _READ_ONLY = frozenset("cmp test bt ucomisd ucomiss comisd comiss".split())

    def _class_of(self, mnemonic: str) -> str:
        """The class of an instruction with no memory operand, from its mnemonic alone."""
        m = mnemonic
        if m in self._TRAPS:
            return "trap"
        if m in ("div", "idiv"):
            return "div"
        if m in ("mul", "imul", "mulx"):
            return "mul"
        if m in self._FADD:
            return "fadd"
        if m in self._FMUL:
            return "fmul"
        if m in self._FDIV:
            return "fdiv"
        return "alu"

    def _class_of_insn(self, insn: capstone.CsInsn) -> str:
        if self._BRANCH_GROUPS.intersection(insn.groups):
            return "branch"
        cls = self._class_of(insn.mnemonic)
        if cls != "alu":
            return cls
        m = insn.mnemonic
        operands = insn.operands
        memory = [i for i, op in enumerate(operands) if op.type == CX.X86_OP_MEM]
        if memory and m not in ("lea", "nop") and not m.startswith("prefetch"):
            if m == "push" or (memory[0] == 0 and m not in self._READ_ONLY and len(operands) > 1):
                return "store"
            return "load"
        if m == "pop":
            return "load"
        if m == "push":
            return "store"
        if any(op.type == CX.X86_OP_REG and insn.reg_name(op.reg).startswith("xmm") for op in operands):
            return "fother"  # SSE moves, compares, conversions, bitwise fabs/fneg
        return "alu"

    def classify(self, code: bytes, address: int) -> tuple[int, ...]:
        counts = [0] * len(CLASSES)
        at = 0
        while at < len(code):
            for insn in self._cs().disasm(code[at:], address + at):
                counts[CLASS_INDEX[self._class_of_insn(insn)]] += 1
                at += insn.size
            if at < len(code):  # undecodable byte: priced as alu, as instruction_starts counts it
                counts[CLASS_INDEX["alu"]] += 1
                at += 1
        return tuple(counts)

    def disassemble(self, code: bytes, address: int) -> str:
        for insn in self._cs().disasm(code[:15], address, 1):
            return f"{insn.mnemonic} {insn.op_str}".strip()
        return f".byte {code[0]:#04x}" if code else "<nothing>"

    def describe_trap(self, intno: int) -> str:
        names = {
            0: "divide error (division by zero or quotient overflow)", 1: "debug exception",
            3: "breakpoint (int3)", 4: "overflow (into)", 5: "bound range exceeded",
            6: "invalid opcode", 7: "device not available (FPU)", 8: "double fault",
            13: "general protection fault (a misaligned SSE access or a non-canonical address)",
            14: "page fault", 16: "x87 floating-point error", 17: "alignment check",
            19: "SIMD floating-point exception",
        }
        return names.get(intno, f"exception {intno}")


@cache
def _detailed() -> capstone.Cs:
    """A capstone decoder with operand details (the classes need memory operands)."""
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    cs.detail = True
    return cs
