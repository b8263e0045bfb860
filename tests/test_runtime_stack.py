"""Stack blocks of frames below main: restored before their frame exists, moved into place
when it is re-entered (guests/runtime/mig_decode.c), with both runtime designs."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.migration.run import MigrationSpec, migrate

CALLEE_STACK_BLOCK = Path(__file__).parent / "guests" / "callee_stack_block.c"


@pytest.mark.parametrize("runtime", ["classic", "modern"])
@pytest.mark.parametrize("src,dst", [("mipsel", "sparc"), ("sparc", "mipsel")])
def test_callee_stack_block_restores(runtime: str, src: str, dst: str) -> None:
    # The classic runtime used to fault here: restoring the staged block touched the
    # address hash, which only the modern design allocates.
    record = migrate(MigrationSpec(str(CALLEE_STACK_BLOCK), "small", src, dst, at=50, runtime=runtime))
    assert record.poll_function == "work"  # the migration point is in the callee's frame
    assert record.completed_on == "destination"
    assert record.verified
    assert record.roundtrip_identical
