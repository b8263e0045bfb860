"""The migration stream's envelope, read on the host (docs/stream-format.md).

The guest runtime writes and checks streams itself; the host only reads the header for
reports, and normalises the one field that legitimately differs in a round trip (the
source ISA) when comparing a re-collected stream with the one received.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from testbed.errors import StreamError

MAGIC = 0x4D53521A
HEADER = struct.Struct(">IHHIIIIII")  # magic, version, flags, isa, fingerprint, payload, frames, blocks, reserved
ISA_CODES = {1: "mipsel", 2: "sparc", 3: "host"}
ISA_FIELD = slice(8, 12)


@dataclass(frozen=True)
class Header:
    version: int
    source_isa: str
    fingerprint: int
    payload_bytes: int
    frames: int
    blocks: int
    crc: int


def read_header(stream: bytes) -> Header:
    if len(stream) < HEADER.size + 4:
        raise StreamError(f"stream of {len(stream)} bytes is shorter than a header and a trailer")
    magic, version, _flags, isa, fingerprint, payload, frames, blocks, _ = HEADER.unpack_from(stream)
    if magic != MAGIC:
        raise StreamError(f"bad magic {magic:#010x}: not a migration stream")
    (crc,) = struct.unpack_from(">I", stream, len(stream) - 4)
    if zlib.crc32(stream[:-4]) != crc:
        raise StreamError("CRC-32 mismatch: the stream was damaged")
    return Header(version, ISA_CODES.get(isa, f"unknown({isa})"), fingerprint, payload, frames, blocks, crc)


def canonical_body(stream: bytes) -> bytes:
    """The stream without the source-ISA field and the CRC that covers it: what must be
    byte-identical when a destination collects again right after restoring."""
    return stream[: ISA_FIELD.start] + stream[ISA_FIELD.stop : -4]


def with_source_isa(stream: bytes, isa_code: int) -> bytes:
    """The same stream stamped with another source ISA (and a matching CRC); for tests."""
    body = stream[: ISA_FIELD.start] + struct.pack(">I", isa_code) + stream[ISA_FIELD.stop : -4]
    return body + struct.pack(">I", zlib.crc32(body))


def reseal(body: bytes) -> bytes:
    """Append a fresh CRC to a stream body: used by tests that forge well-formed but wrong
    streams (the guest must refuse them for reasons other than damage)."""
    return body + struct.pack(">I", zlib.crc32(body))
