"""What GCC's C torture tests (testbed conformance) found in the precompiler: generated C
that did not compile or behaved differently, and constructs accepted that then failed at
collection. Each idiom now migrates both ways, verified, or is refused up front with
every location at once (docs/mcl.md, "The accepted subset")."""

from __future__ import annotations

import pytest

from testbed.build.migratable import generate
from testbed.errors import ConfigError
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS

DIRECTIONS = [("mipsel", "sparc"), ("sparc", "mipsel")]


def test_torture_idioms_migrate_both_ways() -> None:
    """An anonymous struct named by `cell` and `*cellp` (the table and the registration
    code named it twice: undeclared MIG_T_struct_cellp_target), an anonymous struct
    global with an anonymous struct field (its __typeof__ spelling did not parse back),
    const parameters live at a poll-point (gcc: assignment of read-only parameter), a
    gnu89 `inline` function (undefined reference: C99 emits no copy), a K&R definition
    without a type (syntax error), `__func__` live (collection: no block), `long *` at an
    unsigned long (the validator refused the stream: type mismatch), a pointer local
    filled in by a callee (unset at the callee's poll-points: collection failed),
    __builtin_malloc'd memory (untyped: type mismatch), memcmp declared the program's own
    way (conflicting types with the unit's string.h) and a struct and a typedef defined
    inside a function (refused: defined inside the function)."""
    path = str(GUEST_TESTS / "torture_idioms.c")
    total = passages(path, "small")
    assert total > 10
    for src, dst in DIRECTIONS:
        for at in (2, total // 2, total - 1):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)


def test_unsupported_torture_constructs_are_refused_at_once() -> None:
    """A layout attribute the generated C would drop (the migratable build aborted where
    the reference did not), a weak definition (it linked twice), an integer cast to a
    pointer through a typedef, a call inside a statement expression (gcc: void value not
    ignored), a compound literal used by address (collection failed) and an asm with an
    output (dropped: its variable stayed unset): one error, a line each, in source order."""
    source = GUEST_TESTS / "torture_refusals.c"
    with pytest.raises(ConfigError) as err:
        generate(source, program_key=str(source), max_cost=1)
    lines = str(err.value).splitlines()
    assert lines[0] == "6 migration-unsafe constructs:"
    located = [line.strip().split(": ", 1) for line in lines[1:]]
    assert [where.rsplit(":", 1)[1] for where, _ in located] == ["7", "19", "27", "28", "28", "29"]
    assert "__attribute__((aligned)) changes the layout of data" in located[0][1]
    assert "__attribute__((weak)) changes how the program links" in located[1][1]
    assert "integer is cast to a pointer ((intp) 12)" in located[2][1]
    assert "call of migratable function total inside a GNU statement expression" in located[3][1]
    assert "compound literal (struct pair){...} used by address" in located[4][1]
    assert "asm statement: the precompiler cannot analyse machine code" in located[5][1]
