"""Calls through function pointers into migratable functions are call sites (the pointer
recorded, the call re-executed through the restored pointer on the destination); the
runtime's callbacks (qsort's comparator) get no poll-point, and one that reaches a
migratable function is refused up front (docs/mcl.md, "Function pointers")."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.build.migratable import generate, type_table
from testbed.errors import ConfigError
from testbed.mcl.nodes import INDIRECT
from testbed.migration.decode import encode_varint, replace_span, walk
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS

DIRECTIONS = [("mipsel", "sparc"), ("sparc", "mipsel")]
TINY = 1  # the bound `testbed conformance` uses: every function gets a poll-point


def _migrations(path: Path, ats: list[int]) -> dict[tuple[str, str, int], str | None]:
    """Where each migration stopped (its poll-point's function), all verified both ways."""
    where = {}
    for src, dst in DIRECTIONS:
        for at in ats:
            record = migrate(MigrationSpec(str(path), "small", src, dst, at=at, max_cost=TINY))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)
            where[(src, dst, at)] = record.poll_function
    return where


def test_the_issue_program_migrates_inside_the_indirectly_called_function() -> None:
    """t1 calls add through its parameter: the call is a site (fp recorded), so t1 stops
    there instead of running on and recording nothing."""
    path = GUEST_TESTS / "indirect_call.c"
    plan = generate(path, program_key=str(path), max_cost=TINY).plan
    (site,) = plan.functions["t1"].sites
    assert (site.kind, site.reason, site.live) == ("call", INDIRECT, ["k", "fp"])
    total = passages(str(path), "small", max_cost=TINY)
    where = _migrations(path, list(range(1, total + 1)))
    assert set(where.values()) >= {"add"}


def test_tables_fields_and_two_levels_of_callbacks_migrate_both_ways() -> None:
    """A global table of pointers, a struct field, apply called through twice's parameter
    and calling through its own, `(*g)(...)`; results assigned, declared and returned."""
    path = GUEST_TESTS / "indirect_table.c"
    plan = generate(path, program_key=str(path), max_cost=TINY).plan
    indirect = {f: [s.id for s in fn.sites if s.reason == INDIRECT] for f, fn in plan.functions.items()}
    assert indirect["main"] == [1, 2] and indirect["twice"] == [1, 2] and indirect["apply"] == [1]
    total = passages(str(path), "small", max_cost=TINY)
    assert total > 20
    where = _migrations(path, [1, total // 3, total // 2, total - 1])
    assert {"square_sum", "triangle", "plain"} & set(where.values())


def test_a_frame_of_another_function_than_the_pointer_names_is_refused() -> None:
    """square_sum's and triangle's frames have the same shape, and both are in the function
    table, so the validator lets either follow an indirect site; restoring then finds the
    pointer naming the other function and fails with the call-chain error, never running
    triangle's frame in square_sum."""
    path = GUEST_TESTS / "indirect_table.c"
    plan = generate(path, program_key=str(path), max_cost=TINY).plan
    fids = {name: fn.fid for name, fn in plan.functions.items()}

    def swap(stream: bytes) -> bytes:
        functions = [f for f in walk(stream, _types(path), detail=True).fields if f.name == "function"]
        inner = functions[-1]
        assert inner.value == fids["square_sum"]
        return replace_span(stream, (inner.start, inner.end), encode_varint(fids["triangle"]))

    record = migrate(MigrationSpec(str(path), "small", "mipsel", "sparc", at=1, max_cost=TINY, tamper=swap))
    assert record.failure is not None and record.failure.phase == "restore", record.failure
    assert "restore failed: the stream's call chain does not match this program" in record.failure.error
    assert record.completed_on == "source" and record.verified


def test_a_frame_of_a_function_no_pointer_can_reach_is_refused() -> None:
    """After an indirect site the validator accepts only a function of the function table."""
    path = GUEST_TESTS / "indirect_call.c"
    plan = generate(path, program_key=str(path), max_cost=TINY).plan

    def retarget(stream: bytes) -> bytes:  # add's frame relabelled t1's: t1 is no pointer's target
        functions = [f for f in walk(stream, _types(path), detail=True).fields if f.name == "function"]
        inner = functions[-1]
        return replace_span(stream, (inner.start, inner.end), encode_varint(plan.functions["t1"].fid))

    record = migrate(MigrationSpec(str(path), "small", "mipsel", "sparc", at=1, max_cost=TINY, tamper=retarget))
    assert record.failure is not None and record.failure.phase == "restore", record.failure
    assert "stream refused: its frames are not a call chain of this program" in record.failure.error


def test_qsort_comparators_get_no_poll_point_and_the_loops_around_them_migrate() -> None:
    path = GUEST_TESTS / "indirect_qsort.c"
    plan = generate(path, program_key=str(path), max_cost=TINY).plan
    assert set(plan.functions) == {"main"}  # by_key loops, but qsort calls it back
    total = passages(str(path), "small", max_cost=TINY)
    assert total > 10
    where = _migrations(path, [1, total // 2, total - 1])
    assert set(where.values()) == {"main"}


def test_a_comparator_that_calls_a_migratable_function_is_refused() -> None:
    path = GUEST_TESTS / "indirect_callback_refused.c"
    with pytest.raises(ConfigError) as err:
        generate(path, program_key=str(path), max_cost=TINY)
    message = str(err.value)
    assert "\n" not in message
    assert "indirect_callback_refused.c:14: heavy, which the runtime's qsort calls back" in message
    assert "calls migratable function weight" in message


def _types(path: Path) -> list[dict]:
    return type_table(str(path), max_cost=TINY)


def test_calls_through_pointers_inside_expressions_are_hoisted() -> None:
    """`x(...) != v`, `(*x)(...) * 2 + many[i](...)`: each call a temporary of the pointer's
    result type (long), a site of its own; `o.scaled` leaves `scaled` out of the table."""
    path = GUEST_TESTS / "indirect_expr.c"
    generated = generate(path, program_key=str(path), max_cost=TINY)
    assert [s.reason for s in generated.plan.functions["main"].sites].count(INDIRECT) == 3
    assert generated.ti.functions == ["scaled"]
    total = passages(str(path), "small", max_cost=TINY)
    where = _migrations(path, [2, total - 1])
    assert "scaled" in set(where.values())


def test_a_call_through_a_struct_field_inside_an_expression_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "field_call.c"
    source.write_text("struct s { int (*f)(int); };\n"
                      "int work(int n) { int i, t = 0; for (i = 0; i < n; i++) t += i; return t; }\n"
                      "int main(void) { struct s v; v.f = work; return v.f(3) - 3; }\n")
    with pytest.raises(ConfigError, match=r"field_call\.c:3: call through a function pointer \(v\.f\) inside an "
                                          r"expression.*struct field"):
        generate(source, program_key=str(source), max_cost=TINY)
