"""Poll-points at the entry of loop-free functions (testbed/mcl/placement.py, docs/mcl.md
"Where poll-points go"): one whose single call costs more than the bound gets one, so at
testbed conformance's tiny bound a program of straight-line functions migrates inside
its calls, both ways; at the default bound such small functions get none."""

from __future__ import annotations

from testbed.build.preprocess import parse_program
from testbed.mcl.precompiler import DEFAULT_MAX_COST, precompile
from testbed.mcl.resolve import TypeResolver
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS

PROGRAM = GUEST_TESTS / "straight_calls.c"


def _entry_polls(max_cost: int) -> list[str]:
    ast = parse_program(PROGRAM)
    plan = precompile(ast, TypeResolver(ast), max_cost=max_cost)
    return [s.function for s in plan.sites if s.reason == "entry"]


def test_only_a_bound_below_a_call_cost_places_entry_poll_points() -> None:
    assert _entry_polls(DEFAULT_MAX_COST) == []
    assert _entry_polls(1) == ["mix"]  # fill calls mix: a site in fill is enough


def test_straight_line_functions_migrate_inside_their_calls() -> None:
    path = str(PROGRAM)
    total = passages(path, "small", max_cost=1)
    assert total == 3  # mix from main, inside fill, from main again
    for src, dst in (("mipsel", "sparc"), ("sparc", "mipsel")):
        for at in range(1, total + 1):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at, max_cost=1))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)
