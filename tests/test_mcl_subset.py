"""The wider C subset of the MCL precompiler (docs/mcl.md, "The accepted subset"): each
construct migrates both ways, mipsel -> sparc and sparc -> mipsel, at several passages,
verified against the unmigrated run, or is refused with every location at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.build.preprocess import parse_program
from testbed.errors import ConfigError
from testbed.mcl.precompiler import precompile
from testbed.mcl.resolve import TypeResolver
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS

DIRECTIONS = [("mipsel", "sparc"), ("sparc", "mipsel")]


def _migrates_everywhere(name: str, every: int = 1) -> int:
    path = str(GUEST_TESTS / name)
    total = passages(path, "small")
    assert total > 0
    for src, dst in DIRECTIONS:
        for at in range(1, total + 1, every):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)
    return total


def test_gnu_spellings_call_initialisers_and_const_locals_migrate() -> None:
    """__attribute, __inline, __restrict, __extension__, a K&R definition and an empty
    asm statement parse; `int first = weigh(1);`
    and `const int second = weigh(...) + 1;` at the top of main are sites (were refused
    with "declare, then assign"); the const local `scale` is live across a call, so the
    restore code assigns it (gcc rejected the generated code)."""
    _migrates_everywhere("gnu_spellings.c", every=3)


def _precompile(tmp_path: Path, text: str) -> None:
    source = tmp_path / "prog.c"
    source.write_text(text)
    ast = parse_program(source)
    precompile(ast, TypeResolver(ast))


def test_every_unsafe_construct_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    """Three refusals in one file give one error listing the three lines (they came one
    at a time); an int-to-pointer cast through a variable is among them (it passed the
    precompiler and failed at collection)."""
    with pytest.raises(ConfigError) as err:
        _precompile(tmp_path, """
int g;
int main(void)
{
    long address = 4096;
    int *p = (int *)address;
    int i;
    for (i = 0; i < 10; i++) {
        if (i == 3) g = rand();
    }
    srand(1);
    return *p + g;
}
""")
    message = str(err.value)
    assert message.startswith("3 migration-unsafe constructs:")
    lines = message.splitlines()[1:]
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in lines] == ["6", "9", "11"]
    assert "integer is cast to a pointer ((int *) address)" in lines[0]
    assert "rand()" in lines[1] and "srand()" in lines[2]


def test_unions_without_pointers_migrate_as_their_largest_member() -> None:
    """A union local, a union typedef, a union field and a global array of unions, each
    written through one member and read through another (were all refused)."""
    _migrates_everywhere("flat_unions.c", every=90)


def test_a_union_whose_members_order_bytes_differently_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"prog.c:\d+: .*members i and c order their bytes differently"):
        _precompile(tmp_path, """
union mix { int i; char c[4]; };
int main(void)
{
    union mix m;
    int k, s = 0;
    m.i = 1;
    for (k = 0; k < 1000; k++) { s += m.c[k % 4]; m.i += k; }
    return s;
}
""")


def test_a_program_relying_on_rand_state_is_refused_not_migrated_wrong() -> None:
    """rand()'s generator lives in the runtime's globals, which do not travel: after a
    migration the sequence would start over. Refused at precompile time, naming the line."""
    from testbed.build.migratable import migratable_source

    with pytest.raises(ConfigError, match=r"uses_rand\.c:\d+: srand\(\) keeps .* does not migrate"):
        migratable_source(str(GUEST_TESTS / "uses_rand.c"))
