"""Inner-block and shadowing declarations (testbed/mcl/lift.py, docs/mcl.md "The accepted
subset"): names declared twice are renamed apart with C's scoping, stack blocks declared
after the leading declarations are lifted to the top of their function, and both migrate,
mipsel -> sparc and sparc -> mipsel; a variable-length array there is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.build.preprocess import parse_program
from testbed.errors import ConfigError
from testbed.mcl.lift import names_in, unique_local_names
from testbed.mcl.nodes import gen
from testbed.mcl.unit import migratable_unit
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS


def test_inner_block_and_shadowing_declarations_migrate_both_ways() -> None:
    """An initialised array in a loop body, a string-initialised array and a local that
    shadows a global, an address-taken local in a block of its own and one declared after
    statements, an inner `i` shadowing the loop counter, a parameter whose address is
    taken (copied into a local): each live at a poll-point."""
    path = str(GUEST_TESTS / "inner_blocks.c")
    total = passages(path, "small")
    assert total >= 20
    for src, dst in (("mipsel", "sparc"), ("sparc", "mipsel")):
        for at in (1, 4, total // 2, total - 1, total):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)


def _unit(tmp_path: Path, text: str) -> str:
    source = tmp_path / "prog.c"
    source.write_text(text)
    return migratable_unit(parse_program(source), "prog.c", "test", max_cost=1).unit


def _renamed(tmp_path: Path, text: str) -> str:
    source = tmp_path / "prog.c"
    source.write_text(text)
    ast = parse_program(source)
    f = ast.ext[-1]
    unique_local_names(f, names_in(ast))
    return gen(f)


def test_renaming_follows_c_scoping(tmp_path: Path) -> None:
    """Only a declaration whose name is ambiguous is renamed, with the uses C binds to it:
    a use of the global before the shadowing block, `int x = x` (the new x), a struct
    field, a designator and an enumerator of the same name are left alone."""
    text = _renamed(tmp_path, """
struct pt { int x; int y; };
int x = 3;
int f(int y)
{
    int a = x, only = 1;
    {
        int x = x + y;          /* the new x: in scope from its declarator on */
        struct pt p = {.x = x};
        a += p.x + only;
    }
    for (int x = 0; x < 2; x++)
        a += x;
    {
        enum { x = 9 };
        a += x;
    }
    return a + x;
}
""")
    assert "int a = x;" in text
    assert "int x__b1 = x__b1 + y;" in text
    assert "{.x = x__b1}" in text and "p.x + only" in text
    assert "for (int x__b2 = 0; x__b2 < 2; x__b2++)" in text and "a += x__b2;" in text
    assert "a += x;\n" in text  # the enumerator
    assert "return a + x;" in text
    assert "only__b" not in text and "y__b" not in text


def test_lifted_stack_blocks_keep_their_initialisers_in_place(tmp_path: Path) -> None:
    unit = _unit(tmp_path, """
int sum(int *p, int n) { int s = 0; while (n-- > 0) s += p[n]; return s; }
int main(void)
{
    int r = 0, i;
    for (i = 0; i < 3; i++) {
        int row[] = {i, 2, 3};
        r += sum(row, 3);
    }
    int v = r;
    r = sum(&v, 1);
    return r != 18;
}
""")
    body = unit[unit.index("int main(void)"):]
    lines = [line.strip() for line in body.splitlines() if not line.startswith("#line")]
    # lifted, then separated from their neighbours (separate.py: one past the end of each
    # is a gap byte of its own)
    row = "struct { int v[3]; char __mcl_gap; } __mcl_sb_row;"
    v = "struct { int v; char __mcl_gap; } __mcl_sb_v;"
    assert lines.index(row) < lines.index(v) < lines.index("int r = 0;")
    fill = "__builtin_memcpy(&__mcl_sb_row.v, &((int [3]){i, 2, 3}), sizeof(__mcl_sb_row.v));"
    assert fill in lines
    assert lines.index("__mcl_sb_v.v = r;") > lines.index(fill)


def test_variable_length_array_in_an_inner_block_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"prog\.c:6: buf in main is a variable-length array declared after"):
        _unit(tmp_path, """
int main(void)
{
    int n = 4, i, s = 0;
    for (i = 0; i < n; i++) {
        int buf[n];
        buf[i] = i;
        s += buf[i];
    }
    return s != 6;
}
""")
