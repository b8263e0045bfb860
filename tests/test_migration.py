"""Data collection and restoration across machines: the MSR runtime, the stream, and its
validation. Programs migrate at their hand-placed point in main (small sizes)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from testbed.build.migratable import type_table
from testbed.emu.machines import resolve
from testbed.migration.decode import encode_varint, replace_span, walk
from testbed.migration.host import MigrationPort
from testbed.migration.record import MigrationRecord
from testbed.migration.run import MigrationSpec, migrate, reprice
from testbed.migration.stream import read_header, reseal, with_source_isa
from testbed.protocol import Event

DIRECTIONS = [("mipsel", "sparc"), ("sparc", "mipsel"), ("mipsel", "mipsel"), ("sparc", "sparc")]


def captured(spec: MigrationSpec) -> tuple[MigrationRecord, bytes]:
    """Migrate and keep the stream that travelled."""
    seen: list[bytes] = []

    def keep(stream: bytes) -> bytes:
        seen.append(stream)
        return stream

    record = migrate(MigrationSpec(**{**spec.__dict__, "tamper": keep}))
    return record, seen[0]


@pytest.mark.parametrize("src,dst", DIRECTIONS)
@pytest.mark.parametrize("name,at", [("test_pointer", "90%"), ("bitonic", "50%"), ("linpack", "50%"), ("matmul", "50%")])
def test_migration_verified_and_round_trip_identical(name: str, at: str, src: str, dst: str) -> None:
    record = migrate(MigrationSpec(name, "small", src, dst, at=at))
    assert record.verified is True
    assert record.roundtrip_identical is True
    assert record.failed is False and record.completed_on == "destination"
    assert record.src == resolve(src).name and record.src_isa == src and record.dst_isa == dst
    assert record.scan.instructions > 0 and record.restore.instructions > 0
    assert record.pricing.migrate_s == pytest.approx(record.scan.seconds + record.pricing.tx_s + record.restore.seconds)


def test_every_pointer_kind_travels_and_arrives_right() -> None:
    """test_pointer's stream holds every pointer kind, and after restoring on the other
    ISA the program's own per-kind checks (ring = cycle, parents = back pointers, shared
    writes, cells = interior pointers into a heap array, pointers = null/global/stack/heap
    entries of the pointer array) all find nothing wrong."""
    record, stream = captured(MigrationSpec("test_pointer", "small", "mipsel", "sparc", at="90%"))
    assert record.verified
    m = walk(stream, type_table("test_pointer"))
    segments = m.segments()
    assert segments["global"] == 2  # global_table and rng_state
    assert segments["stack"] >= 4  # main: local_table, ts, tally, lattice_hash (address-taken)
    assert segments["heap"] > 200
    assert m.count("null") > 0  # (*pptr)[7], leaf children, parent of the root
    refs = [p for p in m.pointers if p.tag == "ref"]
    assert refs, "shared references must travel as references"
    assert any(p.ordinal and p.ordinal > 0 for p in m.pointers if p.tag in ("ref", "new")), "interior"
    assert m.ancestors_referenced > 0, "a cycle: a block referring to one still being written"
    blocks = {b.id: b for b in m.blocks}
    targets = {blocks[p.block].segment for p in m.pointers if p.block is not None and p.parent is not None}
    assert {"global", "stack", "heap"} <= targets  # heap data pointing at all three
    # Every block is written exactly once.
    assert len({p.block for p in m.pointers if p.tag == "new"}) == len(m.blocks) == read_header(stream).blocks


def test_linpack_stream_is_compact() -> None:
    """The issue's bound: the stream exceeds linpack's raw data by at most 0.5%."""
    n = 100
    record, stream = captured(MigrationSpec("linpack", str(n), "sparc", "mipsel"))
    raw = 8 * n * (n + 1) + 8 * n + 4 * n  # a, b, ipvt
    assert record.stream.tx_bytes == len(stream) and record.verified
    assert 0 < (len(stream) - raw) / raw < 0.005


def _refused(spec: MigrationSpec, tamper, expected: str) -> MigrationRecord:
    record = migrate(MigrationSpec(**{**spec.__dict__, "tamper": tamper}))
    assert record.failure is not None and record.failure.phase == "restore"
    assert expected in record.failure.error, record.failure
    assert "\n" not in record.failure.error
    # the source resumed from its own stream and finished with the right answer
    assert record.completed_on == "source" and record.verified is True
    return record


SPEC = MigrationSpec("test_pointer", "small", "mipsel", "sparc", at="90%")


def test_bad_magic_is_refused() -> None:
    _refused(SPEC, lambda s: b"XXXX" + s[4:], "bad magic")


def test_unsupported_version_is_refused() -> None:
    _refused(SPEC, lambda s: s[:4] + struct.pack(">H", 9) + s[6:], "unsupported stream format version")


def test_stream_of_another_program_is_refused() -> None:
    _, other = captured(MigrationSpec("bitonic", "small", "mipsel", "sparc"))
    _refused(SPEC, lambda s: other, "different program or build")


def test_truncated_stream_is_refused() -> None:
    _refused(SPEC, lambda s: s[: len(s) // 2], "truncated")


def test_damaged_stream_fails_its_crc() -> None:
    _refused(SPEC, lambda s: s[:200] + bytes([s[200] ^ 0x40]) + s[201:], "CRC-32 mismatch")


def _first(stream: bytes, name: str, predicate):
    m = walk(stream, type_table(name))
    return next(p for p in m.pointers if predicate(p))


def test_block_id_out_of_range_is_refused() -> None:
    def forge(s: bytes) -> bytes:
        ref = _first(s, "test_pointer", lambda p: p.tag == "ref")
        return replace_span(s, ref.id_span, encode_varint(999_999))

    _refused(SPEC, forge, "block id that does not exist")


def test_element_offset_out_of_range_is_refused() -> None:
    def forge(s: bytes) -> bytes:
        new = _first(s, "test_pointer", lambda p: p.tag == "new")
        return replace_span(s, new.ordinal_span, encode_varint(10_000_000))

    _refused(SPEC, forge, "element offset lies outside its block")


def test_type_mismatch_is_refused() -> None:
    def forge(s: bytes) -> bytes:
        m = walk(s, type_table("test_pointer"))
        glob = next(p for p in m.pointers if p.tag == "new" and m.blocks[p.block].segment == "global")
        wrong = m.blocks[glob.block].type + 2  # another type id of this program
        return replace_span(s, glob.type_span, encode_varint(wrong + 1))

    _refused(SPEC, forge, "type or size does not match")


def test_stream_from_another_isa_is_accepted() -> None:
    """The source ISA is informational: the same stream stamped as coming from another
    machine restores the same way (the encoding is machine-independent)."""
    record = migrate(MigrationSpec(**{**SPEC.__dict__, "tamper": lambda s: with_source_isa(s, 2)}))
    assert record.verified and record.roundtrip_identical


def test_reseal_keeps_a_stream_valid() -> None:
    _, stream = captured(SPEC)
    assert reseal(stream[:-4]) == stream


def test_file_mode_phases_add_up() -> None:
    r = migrate(MigrationSpec("bitonic", "small", "mipsel", "sparc", mode="file"))
    p = r.pricing
    assert r.verified and p.tx_model == "simpy"
    assert p.scan_write_s > r.scan.seconds and p.read_restore_s > r.restore.seconds
    assert p.migrate_s == pytest.approx(p.scan_write_s + p.rcp_s + p.read_restore_s)
    network = migrate(MigrationSpec("bitonic", "small", "mipsel", "sparc"))
    assert network.pricing.migrate_s < p.migrate_s  # rcp's session set-up alone is seconds
    assert network.pricing.scan_write_s is None


def test_failed_link_leaves_the_source_running_to_completion() -> None:
    r = migrate(MigrationSpec("test_pointer", "small", "mipsel", "sparc", at=2, fail_at=0.001))
    assert r.failure is not None and r.failure.phase == "transfer" and "transfer failed" in r.failure.error
    assert r.completed_on == "source" and r.verified is True and r.pricing.migrate_s is None


@pytest.mark.parametrize("name", ["bitonic", "test_pointer", "linpack", "matmul"])
def test_classic_runtime_migrates_and_writes_item_by_item(name: str) -> None:
    """The original design (sorted table, first-fit allocator, XDR through stdio) is real
    guest code that passes the same checks, and its file mode pays per XDR unit."""
    classic = migrate(MigrationSpec(name, "small", "mipsel", "sparc", at="50%", runtime="classic", mode="file"))
    modern = migrate(MigrationSpec(name, "small", "mipsel", "sparc", at="50%", runtime="modern", mode="file"))
    assert classic.verified and classic.roundtrip_identical and classic.runtime == "classic"
    assert classic.stream.write_calls == -(-classic.stream.tx_bytes // 4) and modern.stream.write_calls == 1
    assert classic.stream.tx_bytes > modern.stream.tx_bytes  # the XDR encoding: four-byte items
    assert classic.pricing.scan_write_s > modern.pricing.scan_write_s


def test_record_flattens_for_json_and_rows_and_back() -> None:
    """``to_dict()`` is the ``--json`` object and a sweep row: machines in src/dst, ISAs in
    src_isa/dst_isa, call frames and Ethernet frames apart; ``from_dict`` inverts it."""
    record = migrate(MigrationSpec("bitonic", "small", "sparc", "mipsel", at="50%"))
    row = record.to_dict()
    assert (row["src"], row["dst"], row["src_isa"], row["dst_isa"]) == ("ss20", "dec5000", "sparc", "mipsel")
    assert row["call_frames"] >= 3 and row["eth_frames"] > 0 and "frames" not in row
    assert row["failed"] is False and row["failure"] is None and row["failure_phase"] is None
    assert row["scan_n_load"] > 0 and row["restore_n_store"] > 0
    assert MigrationRecord.from_dict(json.loads(json.dumps(row))) == record


def test_reprice_moves_only_the_transfer() -> None:
    record = migrate(MigrationSpec("matmul", "small", "mipsel", "sparc", at="50%"))
    fast = reprice(record, "100mbps", "network")
    assert fast.pricing.tx_s < record.pricing.tx_s and fast.pricing.network == "100mbps"
    assert (fast.scan, fast.restore, fast.stream, fast.verified) == (record.scan, record.restore, record.stream, record.verified)
    file = reprice(record, "10mbps", "file")
    assert file.pricing.migrate_s == pytest.approx(file.pricing.scan_write_s + file.pricing.rcp_s + file.pricing.read_restore_s)


# --- no failure at the destination loses the process ------------------------------------


def _source_finished(record: MigrationRecord, phase: str, words: str) -> None:
    """The destination failed in ``phase``; the source resumed from its own state and its
    own output is the unmigrated run's."""
    assert record.failure is not None, "the destination's failure went unnoticed"
    assert record.failure.phase == phase and words in record.failure.error, record.failure
    assert "\n" not in record.failure.error
    assert record.completed_on == "source" and record.verified is True
    assert record.pricing.migrate_s is None


def _null_first_dnode_reference(stream: bytes) -> bytes:
    """A well-formed stream (the runtime accepts it) in which a reference held by a lattice
    node (struct dnode) is NULL: the destination dereferences it after resuming."""
    types = type_table("test_pointer")
    m = walk(stream, types)
    ref = next(p for p in m.pointers if p.tag == "ref" and p.parent is not None
               and types[m.blocks[p.parent].type]["name"] == "struct_dnode")
    return replace_span(stream, (ref.at, ref.ordinal_span[1]), b"\x00")


@pytest.mark.parametrize("src,dst", DIRECTIONS[:2])
def test_destination_fault_after_acceptance_leaves_the_source_to_finish(src: str, dst: str) -> None:
    record = migrate(MigrationSpec("test_pointer", "small", src, dst, at="30%", tamper=_null_first_dnode_reference))
    _source_finished(record, "destination", "read from unmapped address 0x00000000")
    assert record.restore is not None and record.roundtrip_identical is None  # it had restored


@pytest.mark.parametrize("src,dst", DIRECTIONS[:2])
def test_destination_out_of_budget_leaves_the_source_to_finish(src: str, dst: str) -> None:
    record = migrate(MigrationSpec("bitonic", "small", src, dst, at="50%", dst_budget=30_000))
    _source_finished(record, "restore", "exceeded its budget of 30,000 instructions")
    assert record.restore is None


@pytest.mark.parametrize("src,dst", DIRECTIONS[:2])
@pytest.mark.parametrize("event,phase", [(Event.DECODE_END, "restore"), (Event.COLLECT_END, "roundtrip")])
def test_host_side_error_at_the_destination_leaves_the_source_to_finish(src: str, dst: str, event: int,
                                                                        phase: str) -> None:
    def explode(_port: MigrationPort) -> None:
        raise RuntimeError("injected host-side failure")

    def arm(port: MigrationPort) -> None:
        port.on_event[event] = explode

    record = migrate(MigrationSpec("linpack", "small", src, dst, at="50%", destination_hook=arm))
    _source_finished(record, phase, "raised RuntimeError: injected host-side failure")


@pytest.mark.parametrize("src,dst", [("mipsel", "mipsel"), ("mipsel", "sparc"), ("sparc", "mipsel")])
def test_reference_is_an_emulated_unmigrated_run(src: str, dst: str, guest_tests_dir: Path) -> None:
    """Output that depends on sizeof(long) (4 on the guests, 8 on the x86-64 host) verifies
    against the unmigrated run emulated on the source; the native run disagrees, and the
    record says so."""
    record = migrate(MigrationSpec(str(guest_tests_dir / "sizeof_long.c"), "small", src, dst, at=100))
    assert record.verified is True and record.completed_on == "destination"
    assert record.native_agrees is False


def test_native_cross_check_agrees_where_the_data_model_does_not_matter() -> None:
    assert migrate(MigrationSpec("matmul", "small", "sparc", "mipsel", at="50%")).native_agrees is True
