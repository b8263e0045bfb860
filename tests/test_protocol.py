"""The guest<->host protocol has exactly one definition: guests/runtime/include/mig_protocol.h.

These tests parse that header (as testbed.protocol does) and then search the whole tree
for a second definition of any of its constants: a C `#define`, an enum member, or a
Python assignment of the same name, and the stream's magic number written out anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from testbed import protocol

ROOT = protocol.PROTOCOL_HEADER.parents[3]  # the checkout that holds the header
SOURCES = [
    p
    for d in ("guests", "testbed", "tests", "benchmarks", "scripts")
    for p in (ROOT / d).rglob("*")
    if p.suffix in {".c", ".h", ".py", ".sh"} and "build" not in p.relative_to(ROOT).parts
]
HEADER = protocol.PROTOCOL_HEADER


def _texts() -> dict[Path, str]:
    return {p: p.read_text(errors="replace") for p in SOURCES if p != HEADER and p != Path(__file__)}


def test_the_header_defines_every_family() -> None:
    assert {h.name for h in protocol.Hypercall} >= {"EXIT", "WRITE", "MIG_START", "MIG_STREAM"}
    assert len(protocol.Event) >= 6 and len(protocol.ErrorCode) >= 10
    assert {t.name for t in protocol.Tag} == {"NULL", "REF", "NEW"}
    assert protocol.HEADER.size == protocol.HEADER_SIZE
    assert protocol.HEADER_FIELD_NAMES[0] == "magic"
    # every value distinct within its family: a copy-paste slip in C would alias two codes
    for family in (protocol.Hypercall, protocol.Event, protocol.ErrorCode, protocol.Tag,
                   protocol.ValueKind, protocol.Segment, protocol.IsaCode):
        assert len({m.value for m in family}) == len(list(family)), family.__name__


def test_no_second_definition_of_any_protocol_constant() -> None:
    names = sorted(protocol.DEFINES)
    c_define = re.compile(r"^\s*#\s*define\s+(?:RT_|MIG_)?(" + "|".join(names) + r")\s+\S", re.MULTILINE)
    # NAME = 1, NAME: int = 1, and tuple assignments such as A, NAME, B = 1, 2, 3
    py_assign = re.compile(r"^\s*(?:\w+\s*,\s*)*(?:RT_|MIG_)?(" + "|".join(names)
                           + r")(?:\s*,\s*\w+)*\s*(?::[^=]+)?=\s*[-\d(]", re.MULTILINE)
    enum_member = re.compile(r"\b(?:RT_|MIG_)?(" + "|".join(names) + r")\s*=\s*\d", re.MULTILINE)
    found = []
    for path, text in _texts().items():
        patterns = (c_define, enum_member) if path.suffix in {".c", ".h"} else (py_assign,)
        for pattern in patterns:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {m.group(1)}")
    assert not found, "protocol constants defined outside mig_protocol.h:\n" + "\n".join(found)


def test_the_magic_number_is_written_once() -> None:
    magic = re.compile(r"0x0*4d53521a", re.IGNORECASE)
    found = [str(p.relative_to(ROOT)) for p, text in _texts().items() if magic.search(text.replace("_", ""))]
    assert not found, f"the stream magic is spelled out in {found}; use STREAM_MAGIC"


def test_hypercall_numbers_are_not_spelled_out_in_host_dispatch() -> None:
    """The host registers handlers by `Hypercall` member, never by a bare number."""
    numbers = "|".join(str(h.value) for h in protocol.Hypercall)
    bare = re.compile(r"(?:handlers|register\w*)\s*[\[(]\s*(" + numbers + r")\b")
    found = [f"{p.relative_to(ROOT)}" for p, text in _texts().items() if p.suffix == ".py" and bare.search(text)]
    assert not found, f"hypercall handlers registered by number in {found}"
