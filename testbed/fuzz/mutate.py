"""Mutations of a valid migration stream, by class, each reproducible from its seed.

A mutation knows its *scope*: ``data`` when every byte it touched is a primitive data
value (an int, a double, an array element: nothing a validator could check, since any
bit pattern is a valid value) and ``structure`` otherwise (tags, ids, counts, ordinals,
kinds, locators, header fields, the length, or a whole foreign stream). Only structure
must be refused; a data mutation may legitimately be accepted. One structural edit is a
no-op by construction (scope ``noop``): the source-ISA field relabelled with another known
ISA, which the destination cannot check and does not use.
"""

from __future__ import annotations

import bisect
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from testbed.migration.decode import Field, StreamMap, encode_varint, is_xdr, seal_with_length
from testbed.protocol import (
    HEADER_FIELDS,
    HEADER_SIZE,
    ISA_NAMES,
    STREAM_TRAILER_SIZE,
    header_slice,
)

# The classes, in the order the table lists them; SWAPS are whole foreign streams.
CLASSES = ("raw_flip", "crc_flip", "struct_flip", "field_edit", "overwrite", "truncate", "insert", "header",
           "swap")
SWAPS = ("other_program", "other_size", "other_point", "other_runtime")
DATA, STRUCTURE, NOOP = "data", "structure", "noop"
# Fields held in one byte (not varints): a tag, a value kind, the end marker.
BYTE_FIELDS = ("tag", "kind", "end")


@dataclass(frozen=True)
class Mutation:
    cls: str
    description: str  # enough to redo it by hand: what was changed, where
    scope: str  # DATA or STRUCTURE
    stream: bytes


@dataclass
class Anatomy:
    """What a base stream is made of, for choosing where to mutate."""

    stream: bytes
    fields: list[Field]  # structural fields, header included
    data_spans: list[tuple[int, int]]  # primitive data: any value is valid

    @classmethod
    def of(cls, stream: bytes, layout: StreamMap) -> Anatomy:
        return cls(stream, layout.fields, layout.data_spans)

    def is_data(self, start: int, end: int) -> bool:
        """Whether bytes [start, end) lie inside one span of primitive data."""
        starts = [s for s, _ in self.data_spans]
        i = bisect.bisect_right(starts, start) - 1
        return i >= 0 and end <= self.data_spans[i][1]

    def field_at(self, pos: int) -> Field | None:
        for f in self.fields:  # only used for descriptions, on one position
            if f.start <= pos < f.end:
                return f
        return None

    def structural_bytes(self) -> list[int]:
        return [p for f in self.fields for p in range(f.start, f.end)]


def _seal_crc(body: bytes | bytearray) -> bytes:
    """A fresh CRC only: every header field stays as the mutation left it."""
    return bytes(body) + struct.pack(">I", zlib.crc32(bytes(body)))


def _describe(a: Anatomy, pos: int) -> str:
    f = a.field_at(pos)
    return f"{f.name} at {f.start}" if f is not None else ("data" if a.is_data(pos, pos + 1) else "byte")


def _flip(rng: random.Random, a: Anatomy, positions: list[int], reseal_crc: bool, cls: str) -> Mutation:
    body = bytearray(a.stream if not reseal_crc else a.stream[:-STREAM_TRAILER_SIZE])
    notes = []
    for pos in positions:
        bit = rng.randrange(8)
        body[pos] ^= 1 << bit
        notes.append(f"byte {pos} ({_describe(a, pos)}) bit {bit}")
    scope = DATA if all(a.is_data(p, p + 1) for p in positions) and reseal_crc else STRUCTURE
    isa = header_slice("isa")
    if reseal_crc and all(isa.start <= p < isa.stop for p in positions) and _relabelled(a.stream, body):
        scope = NOOP
    return Mutation(cls, "flip " + ", ".join(notes), scope, _seal_crc(body) if reseal_crc else bytes(body))


def _relabelled(old: bytes | bytearray, new: bytes | bytearray) -> bool:
    """Whether the source-ISA field now names another known ISA."""
    isa = header_slice("isa")
    code = int.from_bytes(new[isa], "big")
    return code in ISA_NAMES and code != int.from_bytes(old[isa], "big")


def raw_flip(rng: random.Random, a: Anatomy) -> Mutation:
    """Damage in transit: bits flipped anywhere, the CRC left alone (it must catch them)."""
    positions = rng.sample(range(len(a.stream)), rng.randint(1, 3))
    return _flip(rng, a, positions, reseal_crc=False, cls="raw_flip")


def crc_flip(rng: random.Random, a: Anatomy) -> Mutation:
    """A bit flipped anywhere before the trailer, with the CRC recomputed."""
    return _flip(rng, a, [rng.randrange(len(a.stream) - STREAM_TRAILER_SIZE)], reseal_crc=True, cls="crc_flip")


def struct_flip(rng: random.Random, a: Anatomy) -> Mutation:
    """A bit flipped in a structural byte (tag, id, count, ordinal, kind, locator, header)."""
    return _flip(rng, a, [rng.choice(a.structural_bytes())], reseal_crc=True, cls="struct_flip")


def _field_values(rng: random.Random, a: Anatomy, f: Field) -> int:
    """A plausible wrong value for a field: off by one, zero, a value the same kind of
    field has elsewhere in the stream, or a large one."""
    same = [g.value for g in a.fields if g.name == f.name and g.value != f.value]
    choices: list[Callable[[], int]] = [lambda: f.value + 1, lambda: max(f.value - 1, 0), lambda: 0,
                                        lambda: rng.choice([2, 3, 7, 100, 1 << 20, (1 << 31) - 1])]
    if same:
        choices += [lambda: rng.choice(same)] * 2
    for _ in range(8):
        v = rng.choice(choices)()
        if v != f.value:
            return v
    return f.value + 1


def field_edit(rng: random.Random, a: Anatomy) -> Mutation:
    """One structural field of the payload given another plausible value, the payload
    length and CRC made consistent: well formed on the outside, wrong inside."""
    f = rng.choice([g for g in a.fields if not g.name.startswith("header.")])
    value = _field_values(rng, a, f)
    if is_xdr(a.stream):  # the classic encoding: every field one 4-byte unit
        new = (value & 0xFFFFFFFF).to_bytes(4, "big")
    elif f.name in BYTE_FIELDS:
        value &= 0xFF
        new = bytes([value if value != f.value else (f.value + 1) & 0xFF])
    else:
        new = encode_varint(value)
    stream = seal_with_length(a.stream[: f.start] + new + a.stream[f.end : -STREAM_TRAILER_SIZE])
    shown = new[0] if f.name in BYTE_FIELDS and len(new) == 1 else value
    return Mutation("field_edit", f"{f.name} at {f.start}: {f.value} -> {shown}",
                    STRUCTURE, stream)


def overwrite(rng: random.Random, a: Anatomy) -> Mutation:
    """A run of 1-8 payload bytes overwritten (random, zeros or 0xFF), the CRC recomputed."""
    end_payload = len(a.stream) - STREAM_TRAILER_SIZE
    n = rng.randint(1, 8)
    start = rng.randrange(HEADER_SIZE, end_payload - 1)
    stop = min(start + n, end_payload)
    fill = rng.choice(("random", "zeros", "ones"))
    new = (bytes(rng.randrange(256) for _ in range(stop - start)) if fill == "random"
           else (b"\0" if fill == "zeros" else b"\xff") * (stop - start))
    body = a.stream[:start] + new + a.stream[stop:end_payload]
    scope = DATA if a.is_data(start, stop) else STRUCTURE
    return Mutation("overwrite", f"bytes {start}..{stop} ({_describe(a, start)}) := {fill}", scope, _seal_crc(body))


def truncate(rng: random.Random, a: Anatomy) -> Mutation:
    """The payload cut short, or a range of it removed, with length and CRC fixed."""
    end_payload = len(a.stream) - STREAM_TRAILER_SIZE
    start = rng.randrange(HEADER_SIZE, end_payload)
    if rng.random() < 0.5:
        return Mutation("truncate", f"payload cut at byte {start}", STRUCTURE,
                        seal_with_length(a.stream[:start]))
    stop = min(start + rng.randint(1, 16), end_payload)
    return Mutation("truncate", f"bytes {start}..{stop} removed", STRUCTURE,
                    seal_with_length(a.stream[:start] + a.stream[stop:end_payload]))


def insert(rng: random.Random, a: Anatomy) -> Mutation:
    """1-16 bytes inserted into the payload (random, or a copy of nearby bytes), with
    length and CRC fixed."""
    end_payload = len(a.stream) - STREAM_TRAILER_SIZE
    at = rng.randrange(HEADER_SIZE, end_payload + 1)
    n = rng.randint(1, 16)
    if rng.random() < 0.5 or at - HEADER_SIZE < n:
        new, what = bytes(rng.randrange(256) for _ in range(n)), "random"
    else:
        new, what = a.stream[at - n : at], "repeated"
    return Mutation("insert", f"{n} {what} bytes inserted at {at}", STRUCTURE,
                    seal_with_length(a.stream[:at] + new + a.stream[at:end_payload]))


def header(rng: random.Random, a: Anatomy) -> Mutation:
    """One header field edited (off by one, zero, all ones, random), the CRC recomputed."""
    name, offset, size = rng.choice(HEADER_FIELDS)
    fmt = {2: ">H", 4: ">I"}[size]
    (old,) = struct.unpack_from(fmt, a.stream, offset)
    top = (1 << (8 * size)) - 1
    for _ in range(8):
        new = rng.choice((old + 1, old - 1, 0, top, rng.randrange(top + 1), old ^ (1 << rng.randrange(8 * size))))
        new &= top
        if new != old:
            break
    body = bytearray(a.stream[:-STREAM_TRAILER_SIZE])
    body[offset : offset + size] = struct.pack(fmt, new)
    scope = NOOP if name == "isa" and _relabelled(a.stream, body) else STRUCTURE
    return Mutation("header", f"header {name}: {old:#x} -> {new:#x}", scope, _seal_crc(body))


GENERATORS: dict[str, Callable[[random.Random, Anatomy], Mutation]] = {
    "raw_flip": raw_flip, "crc_flip": crc_flip, "struct_flip": struct_flip, "field_edit": field_edit,
    "overwrite": overwrite, "truncate": truncate, "insert": insert, "header": header,
}


def mutation(cls: str, a: Anatomy, seed: int, key: str, index: int) -> Mutation:
    """The ``index``-th mutation of class ``cls`` of the base stream ``key``: the same
    (seed, key, class, index) always gives the same bytes, however the work is split."""
    rng = random.Random(f"{seed}:{key}:{cls}:{index}")
    return GENERATORS[cls](rng, a)


def swapped(kind: str, stream: bytes, origin: str) -> Mutation:
    """A valid stream of another migration delivered instead of this one's."""
    return Mutation("swap", f"{kind}: the stream of {origin}", STRUCTURE, stream)
