"""Damaged, forged and swapped streams: the validator refuses every structural corruption
before the first write, and the seeded campaign (``testbed fuzz --quick``) finds no
escape and no late refusal."""

from __future__ import annotations

import random
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from testbed.build import build_program
from testbed.build.migratable import type_table
from testbed.fuzz.campaign import Base, _collect_group, attempt, campaign
from testbed.fuzz.mutate import CLASSES, DATA, NOOP, STRUCTURE, Anatomy, crc_flip, header, mutation
from testbed.migration.decode import Field, StreamMap, encode_varint, replace_span, walk
from testbed.migration.stream import reseal
from testbed.protocol import HEADER_SIZE, ISA_NAMES, header_slice

GUESTS = Path(__file__).resolve().parent / "guests"


@pytest.fixture(scope="module")
def bases() -> dict[str, Base]:
    return {b.key.rsplit("/", 1)[1]: b for b in _collect_group(("test_pointer", "mipsel", "sparc", "modern"))}


@pytest.fixture(scope="module")
def layout(bases: dict[str, Base]) -> StreamMap:
    return walk(bases["main"].stream, type_table("test_pointer"), detail=True)


def _edit(stream: bytes, f: Field, value: int) -> bytes:
    new = bytes([value]) if f.name in ("tag", "kind", "end") else encode_varint(value)
    return replace_span(stream, (f.start, f.end), new)


def _header(stream: bytes, name: str, value: int) -> bytes:
    body = bytearray(stream[:-4])
    where = header_slice(name)
    body[where] = value.to_bytes(where.stop - where.start, "big")
    return reseal(bytes(body))


def _first(layout: StreamMap, name: str, pred: Callable[[Field], bool] = lambda f: True) -> Field:
    return next(f for f in layout.fields if f.name == name and pred(f))


def _frame_fields(layout: StreamMap, name: str) -> list[Field]:
    return [f for f in layout.fields if f.name == name]


def _retarget(stream: bytes, m: StreamMap, was: int, to: int) -> bytes:
    """A reference held in a block to a block of type ``was``, made to name an earlier
    block of type ``to``."""
    first_seen = {p.block: p.at for p in m.pointers if p.tag == "new"}
    for p in m.pointers:
        if p.tag == "ref" and m.blocks[p.block].type == was and p.id_span is not None:
            earlier = [b.id for b in m.blocks if b.type == to and first_seen[b.id] < p.at]
            if earlier:
                return replace_span(stream, p.id_span, encode_varint(earlier[0]))
    raise AssertionError(f"no reference to a block of type {was} after a block of type {to}")


def _long_form(stream: bytes, m: StreamMap) -> bytes:
    """A one-byte element count written in two bytes: the same number, not canonical."""
    count = _first(m, "count")
    return replace_span(stream, (count.start, count.end), bytes([count.value | 0x80, 0]))


# Each forgery names one field the hostile review saw escape, and what the refusal says.
FORGERIES: dict[str, tuple[Callable[[bytes, StreamMap], bytes], str]] = {
    "unknown site id": (lambda s, m: _edit(s, _frame_fields(m, "site")[0], 99), "function or site this program"),
    "another site of main": (lambda s, m: _edit(s, _frame_fields(m, "site")[0], 3), "not a call chain"),
    "innermost function id": (lambda s, m: _edit(s, _frame_fields(m, "function")[1], 3), "call chain"),
    "main is not outermost": (  # the outer frame made shared_writes' poll-point (2:1)
        lambda s, m: _edit(_edit(s, _frame_fields(m, "site")[0], 1), _frame_fields(m, "function")[0], 2),
        "call chain"),
    "value count": (lambda s, m: _edit(s, _frame_fields(m, "nvalues")[1], 3), "number of values"),
    "value kind": (lambda s, m: _edit(s, _first(m, "kind", lambda f: f.value == 1), 2), "kind is not the one"),
    "leaf ordinal inside an element": (
        lambda s, m: _edit(s, next(m.fields[i + 1] for i, f in enumerate(m.fields)
                                   if f.name == "block_id" and m.blocks[f.value].type == 10), 1),
        "type does not match"),
    "reference to a block of another type": (lambda s, m: _retarget(s, m, 10, 15), "type does not match"),
    "frame pointer to another type": (  # a struct tnode * variable pointed at main's int[10]
        lambda s, m: replace_span(s, next(p.id_span for p in m.pointers if p.tag == "ref" and p.parent is None
                                          and m.blocks[p.block].type == 10), encode_varint(0)),
        "type does not match"),
    "stack block locator": (lambda s, m: _edit(s, _first(m, "locator", lambda f: f.value == 1), 0),
                            "stack block is not where its site says"),
    "global root locator": (lambda s, m: _edit(s, [f for f in m.fields if f.name == "locator"][-1], 0),
                            "global"),
    "block type id": (lambda s, m: _edit(s, _first(m, "type", lambda f: f.value == 11), 13), "type"),
    "varint not in its shortest form": (_long_form, "shortest form"),
    "header flags": (lambda s, m: _header(s, "flags", 1), "flags are set"),
    "header source ISA": (lambda s, m: _header(s, "isa", max(ISA_NAMES) + 1), "unknown source ISA"),
    "header block count": (lambda s, m: _header(s, "blocks", m.header["blocks"] - 1), "block count"),
    "header frame count": (lambda s, m: _header(s, "frames", 1), "poll-point"),
    "binding": (lambda s, m: _header(s, "binding", m.header["binding"] ^ 1), "another migration"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_structural_forgery_is_refused_before_the_first_write(name: str, bases: dict[str, Base],
                                                              layout: StreamMap) -> None:
    forge, message = FORGERIES[name]
    forged = forge(bases["main"].stream, layout)
    assert forged != bases["main"].stream
    outcome, detail = attempt(bases["main"], forged)
    assert outcome == "refused", (outcome, detail)
    assert message in detail and "\n" not in detail


@pytest.mark.parametrize("variant", ["point", "size"])
def test_a_valid_stream_of_another_migration_is_refused(variant: str, bases: dict[str, Base]) -> None:
    outcome, detail = attempt(bases["main"], bases[variant].stream, check_state=False)
    assert (outcome, "another migration" in detail) == ("refused", True), detail


def test_the_unmutated_stream_is_accepted_and_collected_again_unchanged(bases: dict[str, Base]) -> None:
    outcome, detail = attempt(bases["main"], bases["main"].stream)
    assert outcome == "valid_state" and "verified" in detail


def test_mutations_are_reproducible_and_scoped(bases: dict[str, Base], layout: StreamMap) -> None:
    anatomy = Anatomy.of(bases["main"].stream, layout)
    for cls in CLASSES[:-1]:  # swaps are whole streams
        a, b = (mutation(cls, anatomy, 7, "k", 3) for _ in range(2))
        assert a == b and a.stream != bases["main"].stream
        assert mutation(cls, anatomy, 8, "k", 3) != a or cls == "raw_flip"
    data = next(s for s in layout.data_spans if s[1] - s[0] >= 8)
    assert anatomy.is_data(data[0], data[1]) and not anatomy.is_data(HEADER_SIZE, HEADER_SIZE + 1)
    scopes = {crc_flip(random.Random(i), anatomy).scope for i in range(200)}
    assert scopes == {DATA, STRUCTURE} or scopes == {DATA, STRUCTURE, NOOP}
    relabel = [m for m in (header(random.Random(i), anatomy) for i in range(300))
               if m.description.startswith("header isa") and m.scope == NOOP]
    assert relabel, "a source ISA relabelled with another known ISA is a no-op by construction"
    source = struct.unpack_from(">I", bases["main"].stream, 8)[0]
    assert all(struct.unpack_from(">I", m.stream, 8)[0] in set(ISA_NAMES) - {source} for m in relabel)


def test_quick_campaign_finds_no_escape_and_no_late_refusal() -> None:
    summary = campaign(quick=True, seed=1, jobs=2).summary()
    assert summary["mutations"] >= 1000
    assert set(summary["classes"]) == set(CLASSES)
    assert summary["escapes"] == 0, summary["escape_examples"]
    assert summary["late_refusals"] == 0
    assert summary["classes"]["swap"]["refused"] == sum(summary["classes"]["swap"].values())
    assert summary["classes"]["raw_flip"]["refused"] == sum(summary["classes"]["raw_flip"].values())
    assert summary["data_value_accepted"] > 0  # primitive values changed: undetectable, and counted


def test_a_million_node_list_validates_without_recursion() -> None:
    """Natively, with the process's 8 MiB stack: a recursive walk of a million nested
    blocks overflows it (the validator before its work stack died with SIGSEGV here)."""
    driver = build_program("validate_list", [GUESTS / "validate_list.c"], "host").path
    ok = subprocess.run([str(driver), "1000000"], capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stdout) == (0, "valid: 1000000 nested blocks\n"), ok.stderr
    bad = subprocess.run([str(driver), "1000000", "interior"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 134 and "a pointer's type does not match" in bad.stderr
