"""Regression tests of the MCL precompiler that must compile and migrate: each program is
migrated both ways (mipsel -> sparc and sparc -> mipsel) at several passages, and must
finish with the unmigrated run's output and a stream that survives the round trip."""

from __future__ import annotations

import pytest

from testbed.migration.record import MigrationRecord
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS

DIRECTIONS = [("mipsel", "sparc"), ("sparc", "mipsel")]


def _migrates(name: str, points: tuple[str, ...] = ("10%", "60%")) -> list[MigrationRecord]:
    path = str(GUEST_TESTS / name)
    assert passages(path, "small") > 0
    records = []
    for src, dst in DIRECTIONS:
        for at in points:
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified, (src, dst, at, record)
            assert record.roundtrip_identical, (src, dst, at)
            records.append(record)
    return records


@pytest.mark.parametrize("name", ["struct_return.c"])
def test_struct_results_and_members_migrate(name: str) -> None:
    """A typedef'd struct result (was `return 0;`); a struct changed only through its
    members is live at the poll-point (was dropped, so the totals restarted at zero)."""
    functions = {r.poll_function for r in _migrates(name)}
    assert functions == {"tally", "widen"}


def test_structs_by_value_as_parameters_and_results_migrate() -> None:
    """A struct parameter read only by a call's arguments was zeroed with `a = 0;` (gcc
    rejects it); struct results; a.count++ and a.total += ... keep the struct live."""
    records = _migrates("struct_by_value.c", ("5%", "40%", "90%"))
    assert {r.poll_function for r in records} >= {"accumulate"}


def test_static_locals_migrate_as_globals() -> None:
    """Static locals of functions without poll-points (were silently lost: the
    destination restarted them from their initial values) and of a migratable one (was
    refused)."""
    _migrates("static_locals.c", ("20%", "70%", "98%"))


def test_calls_inside_expressions_are_hoisted_and_migrate() -> None:
    """x = f(a) + 1, total += f(a), f(a) * f(b), f(f(a)), return n + f(n - 1): each call
    becomes a site of its own (was refused); migrated at every third passage."""
    path = str(GUEST_TESTS / "call_in_expression.c")
    total = passages(path, "small")
    for src, dst in DIRECTIONS:
        for at in range(1, total + 1, 3):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at)


@pytest.mark.parametrize("runtime", ["classic", "modern"])
@pytest.mark.parametrize(("src", "dst"), DIRECTIONS)
def test_one_past_the_end_of_a_local_array_migrates(src: str, dst: str, runtime: str) -> None:
    """end_a = a + 8 where gcc puts b right after a (sparc): was restored as &b[0], or
    refused at collection. The precompiler now separates stack blocks (separate.py)."""
    record = migrate(MigrationSpec(str(GUEST_TESTS / "past_end_stack.c"), "small", src, dst, at=5, runtime=runtime))
    assert record.verified and record.roundtrip_identical


@pytest.mark.parametrize("runtime", ["classic", "modern"])
@pytest.mark.parametrize(("src", "dst"), DIRECTIONS)
def test_one_past_the_end_of_the_last_heap_block_migrates(src: str, dst: str, runtime: str) -> None:
    record = migrate(MigrationSpec(str(GUEST_TESTS / "past_end_heap.c"), "small", src, dst, at=5, runtime=runtime))
    assert record.verified and record.roundtrip_identical


def test_a_struct_whose_member_address_is_taken_travels_as_a_block() -> None:
    """cp = &a.count made no block of a (only &a did): the pointer pointed outside every
    registered block at collection."""
    _migrates("member_pointer.c")


def test_sites_in_unbraced_branches_and_bodies_migrate() -> None:
    """`if (c) return f(n);`, unbraced if/else branches and loop bodies holding sites: the
    site's code is one block there (only its first statement stayed under the if, so the
    call ran whatever the condition)."""
    records = _migrates("unbraced_sites.c")
    assert {r.poll_function for r in records} == {"work"}
