"""The ELF loader: a freestanding guest executable's segments, symbols and sections.

``load_elf`` reads the file once; ``Image.map_into`` maps and fills its segments in a
Unicorn instance. Symbols answer ``where(pc)`` for fault reports.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import unicorn
from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from testbed.emu.isa import Isa
from testbed.errors import GuestFault

PAGE = 0x1000


@dataclass(frozen=True)
class Segment:
    vaddr: int
    data: bytes
    memsz: int
    executable: bool


@dataclass
class Image:
    """What the loader found in one guest executable."""

    path: Path
    entry: int
    segments: list[Segment]
    text_lo: int  # executable range, for block counting
    text_hi: int
    image_lo: int  # page-aligned extent of every loaded segment
    image_end: int
    symbol_addresses: dict[str, int] = field(default_factory=dict)
    symbol_sizes: dict[str, int] = field(default_factory=dict)
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    functions: list[tuple[int, int, str]] = field(default_factory=list)  # sorted (address, size, name)

    def map_into(self, uc: unicorn.Uc) -> None:
        ranges = [(s.vaddr & ~(PAGE - 1), (s.vaddr + s.memsz + PAGE - 1) & ~(PAGE - 1)) for s in self.segments]
        for lo, hi in _merge(ranges):
            uc.mem_map(lo, hi - lo, unicorn.UC_PROT_ALL)
        for s in self.segments:
            uc.mem_write(s.vaddr, s.data)

    def text(self) -> bytes:
        """The executable bytes [text_lo, text_hi), zero-filled where no segment has data."""
        out = bytearray(self.text_hi - self.text_lo)
        for s in self.segments:
            if s.executable:
                at = s.vaddr - self.text_lo
                out[at:at + len(s.data)] = s.data
        return bytes(out)

    def function_at(self, pc: int) -> str | None:
        """``name+0xoffset`` of the function containing ``pc``, or None."""
        i = bisect.bisect_right(self.functions, (pc, float("inf"), "")) - 1
        if i >= 0:
            address, size, name = self.functions[i]
            if pc < address + max(size, 4):
                return f"{name}+{pc - address:#x}"
        return None


def load_elf(path: Path, isa: Isa) -> Image:
    """Read ``path``; GuestFault (one line) if it is not an executable for ``isa``."""
    try:
        with open(path, "rb") as f:
            return _read(ELFFile(f), Path(path), isa)
    except (OSError, ELFError) as exc:
        raise GuestFault(f"cannot load {path}: {exc}") from None


def _read(elf: ELFFile, path: Path, isa: Isa) -> Image:
    machine = "EM_SPARC" if elf.header.e_machine == "EM_SPARC32PLUS" else elf.header.e_machine
    if machine != isa.elf_machine or elf.little_endian == isa.big_endian or elf.elfclass != isa.elf_class:
        order = "little" if elf.little_endian else "big"
        raise GuestFault(f"{path} is a {elf.elfclass}-bit {order}-endian {machine} executable, not for {isa.name}")
    segments = [
        Segment(seg["p_vaddr"], seg.data(), seg["p_memsz"], bool(seg["p_flags"] & P_FLAGS.PF_X))
        for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"
    ]
    executable = [s for s in segments if s.executable]
    if not executable:
        raise GuestFault(f"{path} has no executable segment")
    image = Image(
        path=path, entry=elf.header.e_entry, segments=segments,
        text_lo=min(s.vaddr for s in executable), text_hi=max(s.vaddr + s.memsz for s in executable),
        image_lo=min(s.vaddr for s in segments) & ~(PAGE - 1),
        image_end=max((s.vaddr + s.memsz + PAGE - 1) & ~(PAGE - 1) for s in segments),
    )
    symtab = elf.get_section_by_name(".symtab")
    if isinstance(symtab, SymbolTableSection):
        for sym in symtab.iter_symbols():
            kind = sym["st_info"]["type"]
            if sym.name and kind in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                image.symbol_addresses.setdefault(sym.name, sym["st_value"])
                image.symbol_sizes.setdefault(sym.name, sym["st_size"])
                if kind == "STT_FUNC":
                    image.functions.append((sym["st_value"], sym["st_size"], sym.name))
    image.functions.sort()
    image.sections = {s.name: (s["sh_addr"], s["sh_size"]) for s in elf.iter_sections() if s["sh_addr"]}
    return image


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
