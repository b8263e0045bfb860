"""A host-side walk of a migration stream, driven by the program's portable type table.

The guest runtime is what restores streams; this walker exists to look inside them:
counting blocks per segment and pointer kinds for reports and tests, listing every
structural field (tags, ids, counts, ordinals, kinds, locators) and every span of
primitive data for the damaged-stream campaign, and locating the bytes of an item so
that tests can forge well-formed but wrong streams (a block id that does not exist, an
offset outside its block, a type that does not match).

Every number of the format (segments, tags, value kinds, the end marker, the header's
layout) comes from ``testbed.protocol``, which reads the one C definition.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from testbed.errors import StreamError
from testbed.mcl.ctype import STREAM_SIZE
from testbed.protocol import (
    HEADER,
    HEADER_FIELDS,
    HEADER_SIZE,
    STREAM_END_MARKER,
    STREAM_MAGIC,
    STREAM_TRAILER_SIZE,
    XDR,
    Segment,
    Tag,
    ValueKind,
    header_slice,
)

PRIM_SIZE = STREAM_SIZE  # bytes of each primitive in the stream (longs: 8 on every ISA)
# The classic runtime's XDR encoding (header flag XDR.FLAG): every leaf at least one 4-byte unit.
XDR_PRIM_SIZE = {name: max(size, 4) for name, size in PRIM_SIZE.items()}
# Bytes of the scalar value kinds in a frame record (pointers and objects have their own layout).
VALUE_SIZE = {ValueKind.I32: 4, ValueKind.U32: 4, ValueKind.I64: 8, ValueKind.F64: 8, ValueKind.F32: 4,
              ValueKind.FUNC: 4}  # a function pointer: 1 + its index in the function table
SEGMENTS = {seg.value: seg.name.lower() for seg in Segment}
TAG_NAMES = {tag.value: tag.name.lower() for tag in Tag}


@dataclass
class Pointer:
    """One pointer in the stream: where its bytes are and what it says."""

    tag: str  # null | ref | new
    at: int  # offset of the tag byte
    block: int | None = None  # logical id of the target block
    ordinal: int | None = None
    ordinal_span: tuple[int, int] | None = None
    id_span: tuple[int, int] | None = None
    type_span: tuple[int, int] | None = None
    declared: int = -1  # declared pointee type, -1 when unknown
    parent: int | None = None  # block whose contents hold this pointer (None: a frame or a global root)


@dataclass
class Block:
    id: int
    segment: str
    type: int
    count: int
    locator: int | None


@dataclass(frozen=True)
class Field:
    """One structural item's bytes: what it is (``tag``, ``block_id``, ``ordinal``,
    ``segment``, ``type``, ``count``, ``locator``, ``function``, ``site``, ``nvalues``,
    ``kind``, ``obj_type``, ``obj_count``, ``end``, or ``header.<field>``), where and its value."""

    name: str
    start: int
    end: int
    value: int


@dataclass
class StreamMap:
    header: dict[str, int] = field(default_factory=dict)
    frames: list[tuple[int, int, int]] = field(default_factory=list)  # (function, site, values)
    blocks: list[Block] = field(default_factory=list)
    pointers: list[Pointer] = field(default_factory=list)
    ancestors_referenced: int = 0  # references to a block still being written: cycles
    frames_bytes: int = 0  # the frame records, with the blocks first reached from them
    live_bytes: int = 0  # the frame records alone: live variables, pointers as references
    # With walk(detail=True): every structural field, and the spans of primitive data.
    fields: list[Field] = field(default_factory=list)
    data_spans: list[tuple[int, int]] = field(default_factory=list)

    def count(self, tag: str) -> int:
        return sum(1 for p in self.pointers if p.tag == tag)

    def segments(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.blocks:
            out[b.segment] = out.get(b.segment, 0) + 1
        return out


class _Reader:
    """The modern encoding: one-byte tags and kinds, varints, primitives in their own size."""

    prim_size = PRIM_SIZE
    untyped_width = 1  # encoded bytes of one untyped byte

    def __init__(self, data: bytes, types: list[dict], detail: bool) -> None:
        self.data = data
        self.pos = HEADER_SIZE
        self.end = len(data) - STREAM_TRAILER_SIZE
        self.types = types
        self.detail = detail
        self.map = StreamMap()
        self.open: list[int] = []  # blocks being written (depth-first)
        self._flat: dict[int, int | None] = {}
        self.outer_block_bytes = 0

    def byte(self, name: str = "") -> int:
        if self.pos >= self.end:
            raise StreamError("stream ends in the middle of an item")
        b = self.data[self.pos]
        self.pos += 1
        if name and self.detail:
            self.map.fields.append(Field(name, self.pos - 1, self.pos, b))
        return b

    def varint(self, name: str = "") -> tuple[int, tuple[int, int]]:
        start, v, shift = self.pos, 0, 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if name and self.detail:
                    self.map.fields.append(Field(name, start, self.pos, v))
                return v, (start, self.pos)

    def at_end_marker(self) -> bool:
        return self.data[self.pos] == STREAM_END_MARKER

    def skip(self, n: int) -> None:
        """Step over ``n`` bytes of primitive data."""
        if self.pos + n > self.end:
            raise StreamError("stream ends in the middle of a value")
        if self.detail and n:
            spans = self.map.data_spans
            if spans and spans[-1][1] == self.pos:  # adjacent data: one span
                spans[-1] = (spans[-1][0], self.pos + n)
            else:
                spans.append((self.pos, self.pos + n))
        self.pos += n

    def flat_size(self, type_id: int) -> int | None:
        """Encoded bytes of one object of a pointer-free type (None if it holds pointers)."""
        if type_id in self._flat:
            return self._flat[type_id]
        t = self.types[type_id]
        if t["kind"] == "prim":
            size = self.prim_size[t["prim"]]
        elif t["kind"] == "func":  # its index in the function table, 4 bytes
            size = 4
        elif t["kind"] == "ptr":
            size = None
        elif t["kind"] == "array":
            inner = self.flat_size(t["target"])
            size = None if inner is None else inner * t["count"]
        else:
            sizes = [self.flat_size(f) for f in t["fields"]]
            size = None if None in sizes else sum(sizes)
        self._flat[type_id] = size
        return size

    def obj(self, type_id: int, n: int) -> None:
        """Walk ``n`` objects of a type, and every block first reached from them."""
        self._walk([("obj", type_id, n)])

    def pointer(self, declared: int = -1) -> None:
        """Walk one pointer, and the block it introduces if it is seen the first time."""
        self._walk([("ptr", declared)])

    def _walk(self, work: list[tuple]) -> None:
        """An explicit work stack, not recursion: a linked list of a million nodes is a
        million blocks deep."""
        while work:
            task = work.pop()
            if task[0] == "obj":
                _, t_id, count = task
                if t_id < 0:
                    self.skip(count * self.untyped_width)
                    continue
                if not 0 <= t_id < len(self.types):
                    raise StreamError(f"type id {t_id} is not in the program's type table (before byte {self.pos})")
                flat = self.flat_size(t_id)
                if flat is not None:  # a flat block is skipped in one step
                    self.skip(flat * count)
                    continue
                if count > 1:
                    work.append(("obj", t_id, count - 1))
                t = self.types[t_id]
                if t["kind"] == "ptr":
                    work.append(("ptr", t["target"]))
                elif t["kind"] == "array":
                    work.append(("obj", t["target"], t["count"]))
                else:
                    work.extend(("obj", f, 1) for f in reversed(t["fields"]))
            elif task[0] == "ptr":
                block = self._pointer_head(task[1])
                if block is not None and block.segment != "rodata":  # read-only contents never travel
                    work.append(("close", block.id, self.pos))
                    work.append(("obj", block.type, block.count))
            else:  # close a block: all its contents are read
                self.open.pop()
                if not self.open:
                    self.outer_block_bytes += self.pos - task[2]

    def _pointer_head(self, declared: int) -> Block | None:
        """Read one pointer; for a block seen the first time, its header (the block is then
        open, and its contents come next). Returns that block, or None."""
        at = self.pos
        tag = self.byte("tag")
        parent = self.open[-1] if self.open else None
        if tag == Tag.NULL:
            self.map.pointers.append(Pointer("null", at, declared=declared, parent=parent))
            return None
        if tag == Tag.REF:
            block, id_span = self.varint("block_id")
            self._reference(at, block, id_span, declared, parent)
            return None
        if tag != Tag.NEW:
            raise StreamError(f"unknown pointer tag {tag} at byte {at}")
        seg, _ = self.varint("segment")
        type_plus, type_span = self.varint("type")
        return self._new_block(at, seg, type_plus, type_span, declared, parent)

    def _reference(self, at: int, block: int, id_span: tuple[int, int], declared: int, parent: int | None) -> None:
        ordinal, ord_span = self.varint("ordinal")
        if block in self.open:
            self.map.ancestors_referenced += 1
        self.map.pointers.append(Pointer("ref", at, block, ordinal, ord_span, id_span, declared=declared,
                                         parent=parent))

    def _new_block(self, at: int, seg: int, type_plus: int, type_span: tuple[int, int], declared: int,
                   parent: int | None) -> Block:
        """The rest of a new block's header, after its segment and type."""
        count, _ = self.varint("count")
        locator = self.varint("locator")[0] if seg != Segment.HEAP else None
        ordinal, ord_span = self.varint("ordinal")
        block = Block(len(self.map.blocks), SEGMENTS.get(seg, f"?{seg}"), type_plus - 1, count, locator)
        self.map.blocks.append(block)
        self.map.pointers.append(Pointer("new", at, block.id, ordinal, ord_span, type_span=type_span,
                                         declared=declared, parent=parent))
        if seg != Segment.RODATA:  # read-only contents never travel: nothing to open
            self.open.append(block.id)
        return block


class _XdrReader(_Reader):
    """The classic runtime's XDR encoding (docs/stream-format.md, "The classic encoding"):
    every tag, kind and structural number one big-endian 4-byte unit, narrow primitives
    widened to one, a pointer one discriminated unit (XDR_PTR_*)."""

    prim_size = XDR_PRIM_SIZE
    untyped_width = 4

    def unit(self, name: str = "") -> tuple[int, tuple[int, int]]:
        if self.pos + 4 > self.end:
            raise StreamError("stream ends in the middle of an item")
        start = self.pos
        value = int.from_bytes(self.data[start : start + 4], "big")
        self.pos += 4
        if name and self.detail:
            self.map.fields.append(Field(name, start, self.pos, value))
        return value, (start, self.pos)

    def byte(self, name: str = "") -> int:
        return self.unit(name)[0]

    def at_end_marker(self) -> bool:
        return self.data[self.pos : self.pos + 4] == STREAM_END_MARKER.to_bytes(4, "big")

    def varint(self, name: str = "") -> tuple[int, tuple[int, int]]:
        return self.unit(name)

    def _pointer_head(self, declared: int) -> Block | None:
        at = self.pos
        parent = self.open[-1] if self.open else None
        word, span = self.unit("pointer")
        if word == XDR.PTR_NULL:
            self.map.pointers.append(Pointer("null", at, declared=declared, parent=parent))
            return None
        if not word & XDR.PTR_NEW:
            self._reference(at, word, span, declared, parent)
            return None
        seg = (word >> XDR.PTR_SEG_SHIFT) & XDR.PTR_SEG_MASK
        return self._new_block(at, seg, word & XDR.PTR_TYPE_MASK, span, declared, parent)


def is_xdr(stream: bytes) -> bool:
    """Whether a stream is in the classic runtime's XDR encoding (its header's flags say)."""
    return len(stream) >= HEADER_SIZE and read_header_fields(stream)["flags"] == XDR.FLAG


def read_header_fields(stream: bytes) -> dict[str, int]:
    """The header's fields by name (magic, version, flags, isa, fingerprint, payload,
    frames, blocks, binding, as mig_protocol.h lays them out); no checks."""
    if len(stream) < HEADER_SIZE + STREAM_TRAILER_SIZE:
        raise StreamError(f"stream of {len(stream)} bytes is shorter than a header and a trailer")
    return dict(zip((f[0] for f in HEADER_FIELDS), HEADER.unpack_from(stream), strict=True))


def walk(stream: bytes, types: list[dict], nglobals: int | None = None, detail: bool = False) -> StreamMap:
    """Map every frame, block and pointer of ``stream``. ``nglobals`` is the number of
    global roots after the frames (all remaining pointers up to the end marker if None).
    ``detail`` also lists every structural field and every span of primitive data."""
    header = read_header_fields(stream)
    if header["magic"] != STREAM_MAGIC:
        raise StreamError(f"bad magic {header['magic']:#010x}: not a migration stream")
    if zlib.crc32(stream[:-STREAM_TRAILER_SIZE]) != struct.unpack_from(">I", stream, len(stream) - 4)[0]:
        raise StreamError("CRC-32 mismatch: the stream was damaged")
    r = (_XdrReader if header["flags"] == XDR.FLAG else _Reader)(stream, types, detail)
    r.map.header = header
    if detail:
        r.map.fields.extend(Field(f"header.{name}", offset, offset + size, header[name])
                            for name, offset, size in HEADER_FIELDS)
    for _ in range(header["frames"]):
        function, _ = r.varint("function")
        site, _ = r.varint("site")
        n, _ = r.varint("nvalues")
        r.map.frames.append((function, site, n))
        for _ in range(n):
            kind = r.byte("kind")
            if kind in VALUE_SIZE:
                r.skip(VALUE_SIZE[kind])
            elif kind == ValueKind.PTR:
                r.pointer()
            elif kind == ValueKind.OBJ:
                type_plus, _ = r.varint("obj_type")
                count, _ = r.varint("obj_count")
                r.obj(type_plus - 1, count)
            else:
                raise StreamError(f"unknown value kind {kind} at byte {r.pos - 1}")
    r.map.frames_bytes = r.pos - HEADER_SIZE
    r.map.live_bytes = r.map.frames_bytes - r.outer_block_bytes
    roots = 0
    while r.pos < r.end and not r.at_end_marker() and (nglobals is None or roots < nglobals):
        r.pointer()
        roots += 1
    if r.byte("end") != STREAM_END_MARKER or r.pos != r.end:
        raise StreamError("no end marker where the stream should end")
    return r.map


def encode_number(stream: bytes, value: int) -> bytes:
    """A structural number as ``stream``'s encoding writes it: a varint, or an XDR unit."""
    return value.to_bytes(4, "big") if is_xdr(stream) else encode_varint(value)


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def seal_with_length(body: bytearray | bytes) -> bytes:
    """A stream body (header and payload, no trailer) with its payload length made
    consistent and a fresh CRC appended: well formed on the outside, whatever it says."""
    body = bytearray(body)
    payload = header_slice("payload")
    body[payload] = struct.pack(">I", len(body) - HEADER_SIZE)
    return bytes(body) + struct.pack(">I", zlib.crc32(bytes(body)))


def replace_span(stream: bytes, span: tuple[int, int], new: bytes) -> bytes:
    """The stream with bytes [span) replaced, its payload length and CRC made consistent:
    a forged stream that is well formed on the outside."""
    return seal_with_length(stream[: span[0]] + new + stream[span[1] : -STREAM_TRAILER_SIZE])
