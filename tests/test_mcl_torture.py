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
    code named it twice: undeclared MIG_T_struct_cellp_target), const parameters live at a
    poll-point (gcc: assignment of read-only parameter), a gnu89 `inline` function
    (undefined reference: C99 emits no copy), `__func__` live (collection: no block) and
    `long *` at an unsigned long (the validator refused the stream: type mismatch)."""
    path = str(GUEST_TESTS / "torture_idioms.c")
    total = passages(path, "small")
    assert total > 10
    for src, dst in DIRECTIONS:
        for at in (2, total // 2, total - 1):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)


def test_unsupported_torture_constructs_are_refused_at_once() -> None:
    """A layout attribute the generated C would drop (the migratable build aborted where
    the reference did not), an integer cast to a pointer through a typedef, a call inside
    a statement expression (gcc: void value not ignored) and a compound literal used by
    address (collection failed): one error, a line each, in source order."""
    source = GUEST_TESTS / "torture_refusals.c"
    with pytest.raises(ConfigError) as err:
        generate(source, program_key=str(source), max_cost=1)
    lines = str(err.value).splitlines()
    assert lines[0] == "4 migration-unsafe constructs:"
    located = [line.strip().split(": ", 1) for line in lines[1:]]
    assert [where.rsplit(":", 1)[1] for where, _ in located] == ["6", "21", "22", "22"]
    assert "__attribute__((aligned)) changes the layout of data" in located[0][1]
    assert "integer is cast to a pointer ((intp) 12)" in located[1][1]
    assert "call of migratable function total inside a GNU statement expression" in located[2][1]
    assert "compound literal (struct pair){...} used by address" in located[3][1]
