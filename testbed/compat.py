"""Whether a program can migrate between two machines, said before anything runs.

Each ISA's data model (byte order, the widths of ``long`` and of a pointer, the format of
``long double``) is read from its own compiler's predefined macros, so an ISA joins by
being registered with a toolchain target; the program's side is the precompiler's
analysis (``testbed.mcl.compat``).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from testbed.build.preprocess import parse_program
from testbed.build.toolchain import target
from testbed.emu.machines import Machine, resolve
from testbed.errors import ToolchainError
from testbed.mcl.compat import Finding, Widths, analyse

# __LDBL_MANT_DIG__ -> what a long double is on that ISA
LONG_DOUBLE_FORMATS = {53: "64-bit IEEE double", 64: "80-bit x87 extended", 106: "128-bit IBM double-double",
                       113: "128-bit IEEE quad"}


@dataclass(frozen=True)
class DataModel:
    """What an ISA's compiler says about its data: the part of a migration that depends
    on the pair of machines rather than on the program."""

    isa: str
    big_endian: bool
    long_bits: int
    pointer_bits: int
    long_double: str

    @property
    def name(self) -> str:
        return {(32, 32): "ILP32", (64, 64): "LP64"}.get((self.long_bits, self.pointer_bits),
                                                         f"L{self.long_bits}P{self.pointer_bits}")

    @property
    def byte_order(self) -> str:
        return "big-endian" if self.big_endian else "little-endian"

    @property
    def widths(self) -> Widths:
        return Widths(self.long_bits, self.pointer_bits)


@cache
def data_model(isa: str) -> DataModel:
    """The data model of a registered ISA, from ``gcc -dM -E`` with the target's flags."""
    t = target(isa)
    cmd = [t.require(), *t.cflags, "-dM", "-E", "-x", "c", os.devnull]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"cannot ask the {isa} compiler {t.compiler!r} for its data model: {exc}") from None
    macros = dict(line.split(" ", 2)[1:] for line in out.splitlines() if line.count(" ") >= 2)
    try:
        mant = int(macros["__LDBL_MANT_DIG__"])
        return DataModel(
            isa=isa,
            big_endian=macros["__BYTE_ORDER__"] == "__ORDER_BIG_ENDIAN__",
            long_bits=8 * int(macros["__SIZEOF_LONG__"]),
            pointer_bits=8 * int(macros["__SIZEOF_POINTER__"]),
            long_double=LONG_DOUBLE_FORMATS.get(mant, f"{8 * int(macros['__SIZEOF_LONG_DOUBLE__'])}-bit "
                                                      f"with {mant} mantissa bits"),
        )
    except (KeyError, ValueError) as exc:
        raise ToolchainError(f"the {isa} compiler {t.compiler!r} does not define {exc} "
                             "(a GCC-compatible compiler is needed)") from None


@dataclass
class Report:
    """The compatibility of one program between two machines: ``compatible`` unless a
    finding is an error."""

    program: str
    source: Path
    src: Machine
    dst: Machine
    src_model: DataModel
    dst_model: DataModel
    findings: list[Finding] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning", "note")}

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program, "source": str(self.source), "compatible": self.compatible,
            "src": {"machine": self.src.name, **asdict(self.src_model), "data_model": self.src_model.name},
            "dst": {"machine": self.dst.name, **asdict(self.dst_model), "data_model": self.dst_model.name},
            "counts": self.counts(),
            "findings": [asdict(f) for f in self.findings],
        }


def compat(program: str, source: Path, src: str, dst: str) -> Report:
    """The report for migrating ``program`` (its C file ``source``) from machine ``src``
    to machine ``dst`` (ISA or machine names)."""
    src_machine, dst_machine = resolve(src), resolve(dst)
    src_model, dst_model = data_model(src_machine.isa.name), data_model(dst_machine.isa.name)
    findings = analyse(parse_program(source), str(source), src_model.widths, dst_model.widths)
    report = Report(program, source, src_machine, dst_machine, src_model, dst_model)
    report.findings = [*pair_findings(str(source), src_model, dst_model, findings), *findings]
    return report


def pair_findings(where: str, src: DataModel, dst: DataModel, program: list[Finding]) -> list[Finding]:
    """What the pair of machines changes for every program: byte order, word size, and
    long double formats where the program has one."""
    out = []
    if src.big_endian != dst.big_endian:
        out.append(Finding("note", "byte-order", where,
                           f"byte order changes ({src.isa} {src.byte_order} -> {dst.isa} {dst.byte_order}): every "
                           "value travels in the stream's big-endian order and is stored in the destination's; "
                           "nothing to do"))
    else:
        out.append(Finding("note", "byte-order", where, f"same byte order ({src.byte_order})"))
    if (src.long_bits, src.pointer_bits) == (dst.long_bits, dst.pointer_bits):
        out.append(Finding("note", "word-size", where, f"same data model ({src.name})"))
    else:
        narrows = src.long_bits > dst.long_bits or src.pointer_bits > dst.pointer_bits
        out.append(Finding(
            "note", "word-size", where,
            f"word size changes ({src.isa} {src.name} -> {dst.isa} {dst.name}): pointers travel as block and "
            "element, never as addresses; long, size_t and the other word-sized integers travel in 64 bits"
            + (" and narrow on the destination, which refuses a value that does not fit (see the value findings)"
               if narrows else ", and every value fits the wider destination")))
    if any(f.kind == "no-portable-form" for f in program):
        same = "the same format" if src.long_double == dst.long_double else "different formats"
        out.append(Finding("note", "no-portable-form", where,
                           f"long double is {src.long_double} on {src.isa} and {dst.long_double} on {dst.isa} "
                           f"({same}); the stream has no form for it either way"))
    return out
