"""The walk over blocks' contents: the modern runtime's is iterative (an explicit work
stack, guests/runtime/mig_walk_iterative.c), the classic one's recurses through the
generated code (mig_walk_recursive.c). Both must write the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.migration.run import MigrationSpec, migrate
from testbed.protocol import HEADER_SIZE, STREAM_TRAILER_SIZE, header_slice

LONG_LIST = Path(__file__).parent / "guests" / "long_list.c"


def _stream(program: str, size: str, runtime: str) -> bytes:
    seen: list[bytes] = []

    def keep(stream: bytes) -> bytes:
        seen.append(stream)
        return stream

    record = migrate(MigrationSpec(program, size, "mipsel", "sparc", at=3, runtime=runtime, tamper=keep))
    assert record.verified
    return seen[0]


def _contents(stream: bytes) -> tuple[bytes, bytes, bytes]:
    """What the walk decides: the payload and the frame and block counts (the header's
    binding names the migration, which differs between the two runs)."""
    return (stream[HEADER_SIZE:-STREAM_TRAILER_SIZE], stream[header_slice("frames")], stream[header_slice("blocks")])


@pytest.mark.parametrize("program", ["bitonic", "test_pointer", "matmul", "linpack"])
def test_both_walks_write_the_same_stream(program: str) -> None:
    assert _contents(_stream(program, "small", "modern")) == _contents(_stream(program, "small", "classic"))


@pytest.mark.slow
def test_a_long_list_migrates_without_recursion() -> None:
    # 250,000 nodes overflowed the 64 MiB guest stack when decoding recursed per block
    # (benchmarks/bench_long_list.py runs 1,000,000).
    record = migrate(MigrationSpec(str(LONG_LIST), "250000", "ultra5", "ultra5", at=2, roundtrip=False))
    assert record.stream.blocks == 250_000
    assert record.verified and record.completed_on == "destination"
