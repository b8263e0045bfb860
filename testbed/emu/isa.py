"""One small class per guest ISA: registers, calling convention, hypercall trap, CPU set-up,
instruction classes for the cost model, and disassembly for fault reports.

Everything architecture-specific that the emulator needs lives here (the way Qiling
separates arch from loader and OS); guest.py is written against the ``Isa`` interface.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from functools import cache

import capstone
import numpy as np
import unicorn
from unicorn import mips_const as M
from unicorn import ppc_const as P
from unicorn import sparc_const as S

from testbed.errors import unknown_name

# Instruction classes of the cost model; machine profiles give cycles for each.
CLASSES = ("alu", "branch", "load", "store", "mul", "div", "fadd", "fmul", "fdiv", "fother", "trap")
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}


@cache
def _capstone(arch: int, mode: int) -> capstone.Cs:
    return capstone.Cs(arch, mode)


class Isa(ABC):
    """The host's view of one guest instruction-set architecture."""

    name: str
    big_endian: bool
    elf_machine: str  # e_machine of its executables, as pyelftools names it
    # unicorn 2.1.4's translator crashes on long straight-line blocks (workarounds.py)
    long_block_crash: bool = False
    uc_arch: int
    uc_mode: int
    pc: int
    sp: int
    link: int  # return-address register
    args: tuple[int, ...]  # argument registers, in order
    hypercall_intno: int

    def new_uc(self) -> unicorn.Uc:
        uc = unicorn.Uc(self.uc_arch, self.uc_mode)
        self.setup_cpu(uc)
        return uc

    def setup_cpu(self, uc: unicorn.Uc) -> None:  # noqa: B027 - optional hook
        """ISA-specific CPU state before the first instruction (FPU enable, mode bits)."""

    @abstractmethod
    def hypercall_args(self, uc: unicorn.Uc) -> tuple[int, int, int, int]:
        """(number, a0, a1, a2) of the hypercall that trapped."""

    @abstractmethod
    def hypercall_return(self, uc: unicorn.Uc, value: int) -> None:
        """Deliver the result and leave the CPU ready to resume after the trap."""

    def initial_sp(self, top: int) -> int:
        """Stack pointer for entry at a function, given the first free byte above."""
        return (top - 64) & ~0xF

    def set_link(self, uc: unicorn.Uc, sentinel: int) -> None:
        """Make a return from the entry function land on ``sentinel``."""
        uc.reg_write(self.link, sentinel)

    def word(self, value: int) -> bytes:
        return struct.pack(">I" if self.big_endian else "<I", value & 0xFFFFFFFF)

    def unpack_word(self, data: bytes) -> int:
        return struct.unpack(">I" if self.big_endian else "<I", data)[0]

    def words(self, code: bytes) -> np.ndarray:
        return np.frombuffer(code[: len(code) & ~3], dtype=">u4" if self.big_endian else "<u4")

    @abstractmethod
    def control_transfers(self, words: np.ndarray) -> np.ndarray:
        """True for each instruction word that ends a translation block: jumps, calls and
        branches (a delay slot follows them) and traps."""

    def delay_slots(self, code: bytes) -> np.ndarray:
        """True for each instruction that follows a control transfer: emulation restarted
        there with emu_start(pc) would lose the pending branch (and, on SPARC, its NPC)."""
        words = self.words(code)
        out = np.zeros(len(words), dtype=bool)
        out[1:] = self.control_transfers(words)[:-1]
        return out

    @abstractmethod
    def classify(self, code: bytes, address: int) -> tuple[int, ...]:
        """Instruction count per class (indexed like CLASSES) of a block of code."""

    @abstractmethod
    def disassemble(self, code: bytes, address: int) -> str:
        """One instruction as text, for fault reports."""

    @abstractmethod
    def describe_trap(self, intno: int) -> str:
        """What an unexpected trap number means on this ISA."""

    # Alignment traps: trap number -> the access that raises it (True store, False load,
    # None either). Unicorn 2.1.4 leaves the PC stale on these (MIPS: where it was last
    # synchronised, often just after the last hypercall; SPARC: past the instruction).
    alignment_traps: dict[int, bool | None] = {}

    def memory_access(self, uc: unicorn.Uc, word: int) -> tuple[int, bool, int] | None:
        """(width, is_store, effective address) if ``word`` is a load or store that can
        trap on alignment, computed from the current registers; None otherwise."""
        return None

    def locate_trap(self, uc: unicorn.Uc, intno: int, block: bytes, block_address: int) -> int | None:
        """The instruction that raised alignment trap ``intno`` (None: not one, or not
        found; the PC is used then). ``block`` is the block that started last. The
        registers are exact at the trap: every instruction before the faulting one has
        completed. So it is the first load or store of that block, delay slot included,
        whose effective address is misaligned for its width."""
        if intno not in self.alignment_traps:
            return None
        want_store = self.alignment_traps[intno]
        for i, (word,) in enumerate(struct.iter_unpack(">I" if self.big_endian else "<I", block[: len(block) & ~3])):
            access = self.memory_access(uc, word)
            if access is None or (want_store is not None and access[1] != want_store):
                continue
            width, _, address = access
            if address % width:
                return block_address + 4 * i
        return None


class CapstoneClassified(Isa):
    """An ISA whose instructions capstone decodes: classes from the mnemonics
    (``_class_of``), listings and fault reports from capstone (``_cs``)."""

    @abstractmethod
    def _cs(self) -> capstone.Cs: ...

    @abstractmethod
    def _class_of(self, mnemonic: str) -> str: ...

    def classify(self, code: bytes, address: int) -> tuple[int, ...]:
        counts = [0] * len(CLASSES)
        end = len(code) & ~3
        at = 0
        while at < end:  # capstone stops at a word it cannot decode: price it as alu, go on
            for insn in self._cs().disasm(code[at:end], address + at):
                counts[CLASS_INDEX[self._class_of(insn.mnemonic)]] += 1
                at += insn.size
            if at < end:
                counts[CLASS_INDEX["alu"]] += 1
                at += 4
        return tuple(counts)

    def disassemble(self, code: bytes, address: int) -> str:
        for insn in self._cs().disasm(code[:4], address):
            return f"{insn.mnemonic} {insn.op_str}".strip()
        return f".word {self.unpack_word(code[:4]):#010x}"


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
    hypercall_intno = 17  # EXCP_SYSCALL; the PC is already past the syscall

    _LOADS = frozenset("lb lbu lh lhu lw lwl lwr lwc1 ldc1 ll".split())
    _STORES = frozenset("sb sh sw swl swr swc1 sdc1 sc".split())
    _TRAPS = frozenset("syscall break teq tne tge tgeu tlt tltu teqi tnei tgei tgeiu tlti tltiu".split())

    def hypercall_args(self, uc: unicorn.Uc) -> tuple[int, int, int, int]:
        return (
            uc.reg_read(M.UC_MIPS_REG_V0),
            uc.reg_read(M.UC_MIPS_REG_A0),
            uc.reg_read(M.UC_MIPS_REG_A1),
            uc.reg_read(M.UC_MIPS_REG_A2),
        )

    def hypercall_return(self, uc: unicorn.Uc, value: int) -> None:
        uc.reg_write(M.UC_MIPS_REG_V0, value & 0xFFFFFFFF)

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

    def memory_access(self, uc: unicorn.Uc, word: int) -> tuple[int, bool, int] | None:
        op = word >> 26
        width = self._ACCESS_WIDTH.get(op)
        if width is None:
            return None
        base = uc.reg_read(M.UC_MIPS_REG_0 + ((word >> 21) & 0x1F))
        offset = (word & 0xFFFF) - ((word & 0x8000) << 1)
        return width, op in self._STORE_OPS, (base + offset) & 0xFFFFFFFF

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

    def hypercall_args(self, uc: unicorn.Uc) -> tuple[int, int, int, int]:
        return (
            uc.reg_read(S.UC_SPARC_REG_G1),
            uc.reg_read(S.UC_SPARC_REG_O0),
            uc.reg_read(S.UC_SPARC_REG_O1),
            uc.reg_read(S.UC_SPARC_REG_O2),
        )

    def hypercall_return(self, uc: unicorn.Uc, value: int) -> None:
        uc.reg_write(S.UC_SPARC_REG_O0, value & 0xFFFFFFFF)
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
    hypercall_intno = 8  # POWERPC_EXCP_SYSCALL

    MSR_FP = 0x2000  # the CPU starts with the FPU off: the first lfd would trap

    def setup_cpu(self, uc: unicorn.Uc) -> None:
        uc.reg_write(P.UC_PPC_REG_MSR, uc.reg_read(P.UC_PPC_REG_MSR) | self.MSR_FP)

    def hypercall_args(self, uc: unicorn.Uc) -> tuple[int, int, int, int]:
        return (
            uc.reg_read(P.UC_PPC_REG_0),
            uc.reg_read(P.UC_PPC_REG_3),
            uc.reg_read(P.UC_PPC_REG_4),
            uc.reg_read(P.UC_PPC_REG_5),
        )

    def hypercall_return(self, uc: unicorn.Uc, value: int) -> None:
        uc.reg_write(P.UC_PPC_REG_3, value & 0xFFFFFFFF)

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


ISAS: dict[str, Isa] = {i.name: i for i in (MipsEl(), Mips(), Sparc32(), Ppc32())}


def isa(name: str) -> Isa:
    if name not in ISAS:
        raise unknown_name("ISA", name, list(ISAS))
    return ISAS[name]
