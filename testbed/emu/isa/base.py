"""The ISA interface every guest implements, and the capstone-classified base."""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cache

import capstone
import numpy as np
import unicorn

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
    # Instructions start at multiples of this (4 on the fixed-width ISAs, 1 on x86-64):
    # the block counter keeps one slot per possible start.
    insn_align: int = 4
    max_insn_bytes: int = 4  # what a fault report reads to disassemble one instruction
    # unicorn 2.1.4's translator crashes on long straight-line blocks (workarounds.py)
    long_block_crash: bool = False
    uc_arch: int
    uc_mode: int
    pc: int
    sp: int
    link: int  # return-address register
    args: tuple[int, ...]  # argument registers, in order
    hypercall_intno: int
    # The data model: bytes in a pointer and a ``long`` (4 on ILP32, 8 on LP64). Every
    # guest address stays below 2 GiB (profiles/common/guest64.toml), so a pointer always
    # fits the 32-bit hypercall protocol; only its size in guest memory differs.
    word_size: int = 4

    @property
    def data_model(self) -> str:
        return "LP64" if self.word_size == 8 else "ILP32"

    @property
    def elf_class(self) -> int:
        """ELFCLASS32 or ELFCLASS64 of its executables (mips and mips64 share EM_MIPS)."""
        return 8 * self.word_size

    def new_uc(self) -> unicorn.Uc:
        uc = unicorn.Uc(self.uc_arch, self.uc_mode)
        self.setup_cpu(uc)
        return uc

    def setup_cpu(self, uc: unicorn.Uc) -> None:  # noqa: B027 - optional hook
        """ISA-specific CPU state before the first instruction (FPU enable, mode bits)."""

    def hook_traps(self, uc: unicorn.Uc, on_trap: Callable[[unicorn.Uc, int, object], None]) -> None:
        """Route every trap to ``on_trap(uc, intno, user)``; a hypercall arrives as
        ``hypercall_intno``. Most ISAs report both through UC_HOOK_INTR."""
        uc.hook_add(unicorn.UC_HOOK_INTR, on_trap)

    hypercall_number: int  # the register holding the hypercall's number
    hypercall_result: int  # the register its result is delivered in

    def hypercall_args(self, uc: unicorn.Uc) -> tuple[int, int, int, int]:
        """(number, a0, a1, a2) of the hypercall that trapped: the number register and
        the first three argument registers."""
        number, a0, a1, a2 = (self.hypercall_arg(uc.reg_read(r)) for r in (self.hypercall_number, *self.args[:3]))
        return number, a0, a1, a2

    def hypercall_return(self, uc: unicorn.Uc, value: int) -> None:
        """Deliver the result and leave the CPU ready to resume after the trap."""
        uc.reg_write(self.hypercall_result, self.hypercall_value(value))

    def initial_sp(self, top: int) -> int:
        """Stack pointer for entry at a function, given the first free byte above."""
        return (top - 64) & ~0xF

    def set_link(self, uc: unicorn.Uc, sentinel: int) -> None:
        """Make a return from the entry function land on ``sentinel``."""
        uc.reg_write(self.link, sentinel)

    def hypercall_arg(self, register: int) -> int:
        """A hypercall argument as the 32-bit protocol defines it: a 64-bit guest passes
        ``long``s, whose low 32 bits are what a 32-bit guest would pass (an int
        sign-extended, or an address below 2 GiB)."""
        return register & 0xFFFFFFFF

    def hypercall_value(self, value: int) -> int:
        """The register value that delivers a hypercall result: its 32-bit two's complement,
        sign-extended to 64 bits on LP64 (``rt_hypercall`` returns a ``long``), so that -1
        reads as -1 on every guest."""
        value &= 0xFFFFFFFF
        if self.word_size == 8 and value & 0x8000_0000:
            value |= 0xFFFFFFFF_00000000
        return value

    def pointer(self, value: int) -> bytes:
        """A pointer as this guest stores it in memory (``word_size`` bytes)."""
        return value.to_bytes(self.word_size, "big" if self.big_endian else "little")

    def unpack_pointer(self, data: bytes) -> int:
        return int.from_bytes(data[: self.word_size], "big" if self.big_endian else "little")

    def instruction_starts(self, code: bytes) -> np.ndarray | None:
        """For a variable-length ISA: element i counts the instructions starting before
        byte i of ``code`` (len(code) + 1 elements), so the counter counts a block's
        instructions exactly. None where every instruction is ``insn_align`` bytes."""
        return None

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
            if self.traps_at(address, width):
                return block_address + 4 * i
        return None

    def traps_at(self, address: int, width: int) -> bool:
        """Whether an access of ``width`` bytes at ``address`` raises an alignment trap."""
        return address % width != 0


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
        while at < end:  # capstone stops at a word it cannot decode: price it, go on
            for insn in self._cs().disasm(code[at:end], address + at):
                counts[CLASS_INDEX[self._class_of(insn.mnemonic)]] += 1
                at += insn.size
            if at < end:
                counts[CLASS_INDEX[self._class_of_undecodable(self.unpack_word(code[at:at + 4]))]] += 1
                at += 4
        return tuple(counts)

    def _class_of_undecodable(self, word: int) -> str:
        """The class of an instruction word capstone cannot decode (alu unless the ISA
        knows better from its bit fields)."""
        return "alu"

    def disassemble(self, code: bytes, address: int) -> str:
        for insn in self._cs().disasm(code[:4], address):
            return f"{insn.mnemonic} {insn.op_str}".strip()
        return f".word {self.unpack_word(code[:4]):#010x}"
