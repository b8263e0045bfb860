"""Calls of migratable functions in the tests of branches and loops (testbed/mcl/hoist.py,
docs/mcl.md "The code at each site"): hoisted into temporaries computed where the test
was, and the program migrates both ways at every passage."""

from __future__ import annotations

from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS


def test_calls_in_branch_and_loop_tests_are_sites_and_migrate() -> None:
    path = str(GUEST_TESTS / "call_in_condition.c")
    total = passages(path, "small")
    assert total >= 40
    for src, dst in (("mipsel", "sparc"), ("sparc", "mipsel")):
        for at in range(1, total + 1, 7):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)
