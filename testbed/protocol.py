"""The guest<->host protocol and the stream's framing, read from their one definition.

``guests/runtime/include/mig_protocol.h`` defines every hypercall number, migration event,
error code, pointer tag, value kind, segment, ISA code and the stream header's layout.
This module parses that header once, at import, so the host never keeps a copy of its
own: a constant changed in C is changed here too, and ``tests/test_protocol.py`` checks
that no other definition exists anywhere in the tree.
"""

from __future__ import annotations

import re
import struct
from enum import IntEnum
from pathlib import Path

PROTOCOL_HEADER = Path(__file__).resolve().parent.parent / "guests" / "runtime" / "include" / "mig_protocol.h"

_DEFINE = re.compile(r"^#define\s+([A-Z][A-Z0-9_]*)\s+(0[xX][0-9a-fA-F]+|\d+)\b", re.MULTILINE)


def _read_defines(path: Path) -> dict[str, int]:
    try:
        text = path.read_text()
    except OSError as e:  # the project tree is incomplete: nothing can work without it
        raise RuntimeError(f"cannot read the protocol definition {path}: {e.strerror}") from None
    return {name: int(value, 0) for name, value in _DEFINE.findall(text)}


DEFINES: dict[str, int] = _read_defines(PROTOCOL_HEADER)


def _enum(name: str, prefix: str) -> type[IntEnum]:
    members = {k[len(prefix):]: v for k, v in DEFINES.items() if k.startswith(prefix)}
    if not members:
        raise RuntimeError(f"{PROTOCOL_HEADER} defines no {prefix}* constants")
    return IntEnum(name, members)  # type: ignore[return-value]


Hypercall = _enum("Hypercall", "HC_")
Event = _enum("Event", "EV_")
ErrorCode = _enum("ErrorCode", "ERR_")
Tag = _enum("Tag", "TAG_")
ValueKind = _enum("ValueKind", "VAL_")
Segment = _enum("Segment", "SEG_")
IsaCode = _enum("IsaCode", "ISA_")

STREAM_MAGIC = DEFINES["STREAM_MAGIC"]
STREAM_VERSION = DEFINES["STREAM_VERSION"]
STREAM_END_MARKER = DEFINES["STREAM_END_MARKER"]
STREAM_TRAILER_SIZE = DEFINES["STREAM_TRAILER_SIZE"]
HEADER_SIZE = DEFINES["HDR_SIZE"]


class XDR:
    """The classic runtime's XDR encoding: its header flag and its pointer unit (XDR_PTR_*)."""

    FLAG = DEFINES["STREAM_FLAG_XDR"]
    PTR_NULL = DEFINES["XDR_PTR_NULL"]
    PTR_NEW = DEFINES["XDR_PTR_NEW"]
    PTR_SEG_SHIFT = DEFINES["XDR_PTR_SEG_SHIFT"]
    PTR_SEG_MASK = DEFINES["XDR_PTR_SEG_MASK"]
    PTR_TYPE_MASK = DEFINES["XDR_PTR_TYPE_MASK"]

_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _header_fields() -> list[tuple[str, int, int]]:
    """(field, offset, size) of the stream header, in offset order."""
    fields = []
    for key, offset in DEFINES.items():
        if key.startswith("HDR_") and key.endswith("_OFFSET"):
            name = key[4:-7].lower()
            fields.append((name, offset, DEFINES[f"HDR_{name.upper()}_SIZE"]))
    fields.sort(key=lambda f: f[1])
    at = 0
    for name, offset, size in fields:  # the header is packed: a gap would be a typo in C
        if offset != at or size not in _FORMATS:
            raise RuntimeError(f"{PROTOCOL_HEADER}: header field {name} at {offset} (size {size}) leaves a gap")
        at += size
    if at != HEADER_SIZE:
        raise RuntimeError(f"{PROTOCOL_HEADER}: header fields cover {at} bytes, HDR_SIZE says {HEADER_SIZE}")
    return fields


HEADER_FIELDS: list[tuple[str, int, int]] = _header_fields()
HEADER_FIELD_NAMES: tuple[str, ...] = tuple(f[0] for f in HEADER_FIELDS)
# The header as one big-endian struct, in field order (magic, version, flags, isa, ...).
HEADER = struct.Struct(">" + "".join(_FORMATS[size] for _, _, size in HEADER_FIELDS))


def header_slice(name: str) -> slice:
    """Byte range of one header field, e.g. ``header_slice("isa")``."""
    for field, offset, size in HEADER_FIELDS:
        if field == name:
            return slice(offset, offset + size)
    raise KeyError(name)


# ISA_X86_64 is the ISA the command line calls x86-64 (C names cannot hold a hyphen)
ISA_NAMES: dict[int, str] = {code.value: code.name.lower().replace("_", "-") for code in IsaCode}

# What each refusal code means, for messages; the codes themselves come from C.
ERROR_TEXT: dict[int, str] = {
    ErrorCode.MAGIC: "bad magic",
    ErrorCode.VERSION: "unsupported version",
    ErrorCode.FINGERPRINT: "fingerprint mismatch",
    ErrorCode.TRUNCATED: "truncated",
    ErrorCode.CRC: "CRC mismatch",
    ErrorCode.BLOCK_ID: "block id out of range",
    ErrorCode.OFFSET: "element offset out of range",
    ErrorCode.TYPE: "type mismatch",
    ErrorCode.FORMAT: "malformed",
    ErrorCode.COLLECT: "collection failed",
    ErrorCode.BINDING: "another migration's stream",
    ErrorCode.RANGE: "value out of range",
}
