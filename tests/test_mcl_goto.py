"""goto within a function (docs/mcl.md, "The accepted subset"): the live-variable analysis
follows each goto to its label, and a program jumping backwards, forwards out of nested
loops and to labelled loops and calls migrates both ways (was refused)."""

from __future__ import annotations

from pathlib import Path

from testbed.build.preprocess import parse_program
from testbed.mcl.precompiler import precompile
from testbed.mcl.resolve import TypeResolver
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS


def test_goto_loops_migrate_both_ways() -> None:
    path = str(GUEST_TESTS / "goto_loops.c")
    total = passages(path, "small")
    assert total >= 30
    for src, dst in (("mipsel", "sparc"), ("sparc", "mipsel")):
        for at in (1, 17, total // 2, total):
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)


def test_a_variable_read_only_after_a_backward_goto_is_live(tmp_path: Path) -> None:
    """`step` is read nowhere between the poll-point and the goto: only the edge from the
    goto to its label makes it live there (a fall-through reading would drop it, and the
    destination would add 0 each pass); `late` is assigned only after the poll-point on
    every path, so it stays out of the record."""
    source = tmp_path / "prog.c"
    source.write_text("""
int main(void)
{
    int i = 0, step = 3, total = 0, late;
again:
    total += step;
    i++;
#pragma mcl poll
    late = i;
    if (i < 30)
        goto again;
    return total + late;
}
""")
    ast = parse_program(source)
    plan = precompile(ast, TypeResolver(ast))
    (site,) = plan.functions["main"].sites
    assert site.live == ["i", "step", "total"]
