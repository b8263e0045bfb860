"""64-bit big-endian MIPS IV (R10000), n64 ABI, ``syscall`` hypercalls.

The same trap, registers and delay slots as 32-bit MIPS (mips.py); what differs is the
register width, the 64-bit loads and stores, MIPS IV's indexed FPU accesses, and the FPU
mode: n64 uses 32 64-bit FPRs (Status.FR = 1), where o32 pairs 32-bit ones.
"""

from __future__ import annotations

import capstone
import unicorn
from unicorn import mips_const as M

from testbed.emu.isa.mips import Mips

MASK64 = (1 << 64) - 1


class Mips64(Mips):
    """Big-endian MIPS IV as the R10000 runs it (SGI Octane, IRIX 6.5: n64)."""

    name = "mips64"
    word_size = 8
    uc_mode = unicorn.UC_MODE_MIPS64 | unicorn.UC_MODE_BIG_ENDIAN
    cs_mode = capstone.CS_MODE_MIPS64 | capstone.CS_MODE_BIG_ENDIAN
    # Unicorn has no R10000; the 5KEf is a MIPS64 (a superset of MIPS IV) with an FPU.
    cpu_model = M.UC_CPU_MIPS64_5KEF
    address_mask = MASK64

    STATUS_FR = 1 << 26  # 64-bit FPRs; the CPU starts with FR = 0 (o32's paired registers)

    _LOADS = Mips._LOADS | frozenset("ld lwu ldl ldr lld ldxc1 lwxc1 luxc1".split())
    _STORES = Mips._STORES | frozenset("sd sdl sdr scd sdxc1 swxc1 suxc1".split())
    _MUL = frozenset("mult multu dmult dmultu mul".split())
    _DIV = frozenset("div divu ddiv ddivu".split())

    # n64 loads and stores by major opcode, added to MIPS I's (ldl/ldr/sdl/sdr never trap).
    _ACCESS_WIDTH = {**Mips._ACCESS_WIDTH, 0x27: 4, 0x30: 4, 0x34: 8, 0x37: 8, 0x38: 4, 0x3C: 8, 0x3F: 8}
    _STORE_OPS = Mips._STORE_OPS | frozenset({0x38, 0x3C, 0x3F})
    # COP1X (major opcode 0x13) indexed accesses, base + index register: funct -> width, store
    _INDEXED = {0x00: (4, False), 0x01: (8, False), 0x08: (4, True), 0x09: (8, True)}

    def new_uc(self) -> unicorn.Uc:
        uc = unicorn.Uc(self.uc_arch, self.uc_mode, self.cpu_model)
        self.setup_cpu(uc)
        return uc

    def setup_cpu(self, uc: unicorn.Uc) -> None:
        status = uc.reg_read(M.UC_MIPS_REG_CP0_STATUS)
        uc.reg_write(M.UC_MIPS_REG_CP0_STATUS, status | self.STATUS_FR)

    def _class_of(self, mnemonic: str) -> str:
        if mnemonic in self._MUL:
            return "mul"
        if mnemonic in self._DIV:
            return "div"
        if mnemonic in self._MULTIPLY_ADD:
            return "fmul"
        return super()._class_of(mnemonic)

    # MIPS IV's four-operand multiply-adds round the product (unfused, as on the R10000,
    # and as unicorn computes them): gcc emits them even with -ffp-contract=off.
    _MULTIPLY_ADD = frozenset("madd.d madd.s msub.d msub.s nmadd.d nmadd.s nmsub.d nmsub.s".split())

    def _class_of_undecodable(self, word: int) -> str:
        # capstone 5 decodes MIPS IV's c.cond.fmt only with condition code 0: the others
        # (cop1, fmt s/d, funct 0x30-0x3f) are floating-point compares
        if word >> 26 == 0x11 and (word >> 21) & 0x1F in (0x10, 0x11) and (word & 0x30) == 0x30:
            return "fother"
        return "alu"

    def traps_at(self, address: int, width: int) -> bool:
        # The CPU runs with Status.KX = 0 (32-bit compatibility addressing: -msym32 code
        # has only sign-extended 32-bit addresses), so an address beyond them raises the
        # same address error as a misaligned one. (Unicorn's virtual-TLB mode, which
        # would map 64-bit addresses, broke every run: its first fetch faulted.)
        return address % width != 0 or (address >> 31) not in (0, (1 << 33) - 1)

    def describe_trap(self, intno: int) -> str:
        if intno in self.alignment_traps:
            access = "store" if self.alignment_traps[intno] else "load"
            return f"address error on {access} (unaligned, or outside the 32-bit address space of -msym32 code)"
        return super().describe_trap(intno)

    def memory_access(self, uc: unicorn.Uc, word: int) -> tuple[int, bool, int] | None:
        op = word >> 26
        if op == 0x13:
            access = self._INDEXED.get(word & 0x3F)
            if access is None:
                return None
            base = uc.reg_read(M.UC_MIPS_REG_0 + ((word >> 21) & 0x1F))
            index = uc.reg_read(M.UC_MIPS_REG_0 + ((word >> 16) & 0x1F))
            return access[0], access[1], (base + index) & MASK64
        return super().memory_access(uc, word)
