"""The walk over blocks' contents: the modern runtime's is iterative (an explicit work
stack, guests/runtime/mig_walk_iterative.c), the classic one's recurses through the
generated code (mig_walk_recursive.c). A long list must migrate without
recursing per block."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.migration.run import MigrationSpec, migrate

LONG_LIST = Path(__file__).parent / "guests" / "long_list.c"


# That both walks (modern iterative, classic recursive) decide the same frames, blocks and
# pointers, each in its own encoding, is tests/test_classic_fidelity.py's
# test_xdr_stream_holds_the_modern_structure_in_four_byte_items.


@pytest.mark.slow
def test_a_long_list_migrates_without_recursion() -> None:
    # 250,000 nodes overflowed the 64 MiB guest stack when decoding recursed per block
    # (benchmarks/bench_long_list.py runs 1,000,000).
    record = migrate(MigrationSpec(str(LONG_LIST), "250000", "ultra5", "ultra5", at=2, roundtrip=False))
    assert record.stream.blocks == 250_000
    assert record.verified and record.completed_on == "destination"
