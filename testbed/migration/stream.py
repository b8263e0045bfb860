"""The migration stream's envelope, read on the host (docs/stream-format.md).

The guest runtime writes and checks streams itself; the host only reads the header for
reports, and normalises the one field that legitimately differs in a round trip (the
source ISA) when comparing a re-collected stream with the one received.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from testbed.errors import StreamError
from testbed.protocol import (
    HEADER,
    HEADER_FIELD_NAMES,
    ISA_NAMES,
    STREAM_MAGIC,
    STREAM_TRAILER_SIZE,
    header_slice,
)

__all__ = ["HEADER", "Header", "canonical_body", "read_header", "reseal", "with_source_isa"]

ISA_FIELD = header_slice("isa")


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
    if len(stream) < HEADER.size + STREAM_TRAILER_SIZE:
        raise StreamError(f"stream of {len(stream)} bytes is shorter than a header and a trailer")
    fields = dict(zip(HEADER_FIELD_NAMES, HEADER.unpack_from(stream), strict=True))
    if fields["magic"] != STREAM_MAGIC:
        raise StreamError(f"bad magic {fields['magic']:#010x}: not a migration stream")
    crc = int.from_bytes(stream[-STREAM_TRAILER_SIZE:], "big")
    if zlib.crc32(stream[:-STREAM_TRAILER_SIZE]) != crc:
        raise StreamError("CRC-32 mismatch: the stream was damaged")
    isa = fields["isa"]
    return Header(fields["version"], ISA_NAMES.get(isa, f"unknown({isa})"), fields["fingerprint"],
                  fields["payload"], fields["frames"], fields["blocks"], crc)


def canonical_body(stream: bytes) -> bytes:
    """The stream without the source-ISA field and the CRC that covers it: what must be
    byte-identical when a destination collects again right after restoring."""
    return stream[: ISA_FIELD.start] + stream[ISA_FIELD.stop : -STREAM_TRAILER_SIZE]


def with_source_isa(stream: bytes, isa_code: int) -> bytes:
    """The same stream stamped with another source ISA (and a matching CRC); for tests."""
    width = ISA_FIELD.stop - ISA_FIELD.start
    body = stream[: ISA_FIELD.start] + isa_code.to_bytes(width, "big") + stream[ISA_FIELD.stop : -STREAM_TRAILER_SIZE]
    return reseal(body)


def reseal(body: bytes) -> bytes:
    """Append a fresh CRC to a stream body: used by tests that forge well-formed but wrong
    streams (the guest must refuse them for reasons other than damage)."""
    return body + zlib.crc32(body).to_bytes(STREAM_TRAILER_SIZE, "big")
