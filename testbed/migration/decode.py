"""A host-side walk of a migration stream, driven by the program's portable type table.

The guest runtime is what restores streams; this walker exists to look inside them:
counting blocks per segment and pointer kinds for reports and tests, and locating the
bytes of an item so that tests can forge well-formed but wrong streams (a block id that
does not exist, an offset outside its block, a type that does not match).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from testbed.errors import StreamError
from testbed.migration.stream import HEADER, read_header

PRIM_SIZE = {"I8": 1, "U8": 1, "I16": 2, "U16": 2, "I32": 4, "U32": 4, "I64": 8, "U64": 8, "F32": 4, "F64": 8}
VALUE_SIZE = {1: 4, 2: 4, 3: 8, 4: 8, 5: 4}
SEGMENTS = {1: "global", 2: "stack", 3: "heap"}


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


@dataclass
class StreamMap:
    frames: list[tuple[int, int, int]] = field(default_factory=list)  # (function, site, values)
    blocks: list[Block] = field(default_factory=list)
    pointers: list[Pointer] = field(default_factory=list)
    ancestors_referenced: int = 0  # references to a block still being written: cycles
    frames_bytes: int = 0  # the frame records, with the blocks first reached from them
    live_bytes: int = 0  # the frame records alone: live variables, pointers as references

    def count(self, tag: str) -> int:
        return sum(1 for p in self.pointers if p.tag == tag)

    def segments(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.blocks:
            out[b.segment] = out.get(b.segment, 0) + 1
        return out


class _Reader:
    def __init__(self, data: bytes, types: list[dict]) -> None:
        self.data = data
        self.pos = HEADER.size
        self.end = len(data) - 4
        self.types = types
        self.map = StreamMap()
        self.open: list[int] = []  # blocks being written (depth-first)
        self._flat: dict[int, int | None] = {}
        self.outer_block_bytes = 0

    def byte(self) -> int:
        if self.pos >= self.end:
            raise StreamError("stream ends in the middle of an item")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> tuple[int, tuple[int, int]]:
        start, v, shift = self.pos, 0, 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v, (start, self.pos)

    def skip(self, n: int) -> None:
        if self.pos + n > self.end:
            raise StreamError("stream ends in the middle of a value")
        self.pos += n

    def flat_size(self, type_id: int) -> int | None:
        """Encoded bytes of one object of a pointer-free type (None if it holds pointers)."""
        if type_id in self._flat:
            return self._flat[type_id]
        t = self.types[type_id]
        if t["kind"] == "prim":
            size = PRIM_SIZE[t["prim"]]
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
                    self.skip(count)
                    continue
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
                if block is not None:
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
        tag = self.byte()
        parent = self.open[-1] if self.open else None
        if tag == 0:
            self.map.pointers.append(Pointer("null", at, declared=declared, parent=parent))
            return None
        if tag == 1:
            block, id_span = self.varint()
            ordinal, ord_span = self.varint()
            if block in self.open:
                self.map.ancestors_referenced += 1
            self.map.pointers.append(Pointer("ref", at, block, ordinal, ord_span, id_span, declared=declared,
                                             parent=parent))
            return None
        if tag != 2:
            raise StreamError(f"unknown pointer tag {tag} at byte {at}")
        seg, _ = self.varint()
        type_plus, type_span = self.varint()
        count, _ = self.varint()
        locator = self.varint()[0] if seg != 3 else None
        ordinal, ord_span = self.varint()
        block = Block(len(self.map.blocks), SEGMENTS.get(seg, f"?{seg}"), type_plus - 1, count, locator)
        self.map.blocks.append(block)
        self.map.pointers.append(Pointer("new", at, block.id, ordinal, ord_span, type_span=type_span,
                                         declared=declared, parent=parent))
        self.open.append(block.id)
        return block


def walk(stream: bytes, types: list[dict], nglobals: int | None = None) -> StreamMap:
    """Map every frame, block and pointer of ``stream``. ``nglobals`` is the number of
    global roots after the frames (all remaining pointers up to the end marker if None)."""
    header = read_header(stream)
    r = _Reader(stream, types)
    for _ in range(header.frames):
        function, _ = r.varint()
        site, _ = r.varint()
        n, _ = r.varint()
        r.map.frames.append((function, site, n))
        for _ in range(n):
            kind = r.byte()
            if kind in VALUE_SIZE:
                r.skip(VALUE_SIZE[kind])
            elif kind == 6:
                r.pointer()
            elif kind == 7:
                type_plus, _ = r.varint()
                count, _ = r.varint()
                r.obj(type_plus - 1, count)
            else:
                raise StreamError(f"unknown value kind {kind} at byte {r.pos - 1}")
    r.map.frames_bytes = r.pos - HEADER.size
    r.map.live_bytes = r.map.frames_bytes - r.outer_block_bytes
    roots = 0
    while r.pos < r.end and r.data[r.pos] != 0xEE and (nglobals is None or roots < nglobals):
        r.pointer()
        roots += 1
    if r.byte() != 0xEE or r.pos != r.end:
        raise StreamError("no end marker where the stream should end")
    return r.map


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def replace_span(stream: bytes, span: tuple[int, int], new: bytes) -> bytes:
    """The stream with bytes [span) replaced, its payload length and CRC made consistent:
    a forged stream that is well formed on the outside."""
    import struct
    import zlib

    body = bytearray(stream[: span[0]] + new + stream[span[1] : -4])
    payload = len(body) - HEADER.size
    body[16:20] = struct.pack(">I", payload)
    return bytes(body) + struct.pack(">I", zlib.crc32(bytes(body)))
