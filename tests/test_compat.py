"""``testbed compat``: the precompiler's verdict on a migration before it runs, one finding
a line with file:line, and an exit status that says compatible or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed.build.preprocess import parse_program
from testbed.cli import main
from testbed.compat import data_model
from testbed.emu.isa import ISAS
from testbed.mcl.compat import Finding, Widths, analyse
from testbed.programs import PROGRAMS

ILP32, LP64 = Widths(32, 32), Widths(64, 64)

WIDE = """\
#include <stdio.h>
#include <stddef.h>
typedef long counter;
long total;
unsigned long mask = 0x1ffffffffUL;
struct span { long first; } whole;
int main(void) {
    long big = 1L << 40;
    long small = 1L << 20;
    long a = 3, b = 4;
    size_t n = 5;
    counter c = 0x100000000;
    long unused = 1L << 40;
    int i;
    for (i = 0; i < 100000; i++) { total += i * big + small; a = a * b; n <<= 33; c++; }
    unused = 1;
    printf("%ld %ld %ld %lu %ld %ld\\n", total, a, big, (unsigned long)n, c, unused);
    return 0;
}
"""


def _findings(tmp_path: Path, text: str, src: Widths, dst: Widths, name: str = "p.c") -> list[Finding]:
    source = tmp_path / name
    source.write_text(text)
    return analyse(parse_program(source), str(source), src, dst)


def _lines(findings: list[Finding], severity: str) -> list[str]:
    return [f.line() for f in findings if f.severity == severity]


def test_wide_values_narrowing_lp64_to_ilp32(tmp_path: Path) -> None:
    findings = _findings(tmp_path, WIDE, LP64, ILP32)
    where = {f.where.rsplit(":", 1)[1]: f for f in findings}
    errors = _lines(findings, "error")
    # constants that do not fit: a global's initialiser, a shift, the program's own typedef
    assert any(":5: error: `mask = 0x1ffffffffUL` stores 8589934591 in mask (unsigned long)" in e
               and "0..4294967295" in e for e in errors), errors
    assert any(":8: error: `big = 1L << 40` stores 1099511627776 in big (long)" in e for e in errors), errors
    assert any(":12: error: `c = 0x100000000` stores 4294967296 in c (long)" in e for e in errors), errors
    assert len(errors) == 3  # 1L << 20 fits; `unused` never travels (dead at the poll-point)
    warnings = _lines(findings, "warning")
    assert any("`a = a * b` stores a product of two word-sized values in a (long)" in w for w in warnings)
    assert any("`n <<= 33` stores a shift by 33 in n (size_t)" in w for w in warnings)
    # what the precompiler cannot bound is the runtime's check, named with its range
    assert where["4"].kind == "runtime-check" and "total (long, global)" in where["4"].message
    assert "-2147483648..2147483647" in where["4"].message
    assert where["6"].kind == "runtime-check" and "first (long, struct field)" in where["6"].message
    assert where["9"].kind == "runtime-check" and "small" in where["9"].message
    assert all(f.where.startswith(str(tmp_path)) for f in findings)


@pytest.mark.parametrize(("src", "dst"), [(ILP32, LP64), (ILP32, ILP32), (LP64, LP64)])
def test_no_value_findings_when_nothing_narrows(tmp_path: Path, src: Widths, dst: Widths) -> None:
    assert _findings(tmp_path, WIDE, src, dst) == []


def test_long_double_travelling_is_an_error_and_staying_is_a_note(tmp_path: Path) -> None:
    text = """\
#include <stdio.h>
long double g;
static double twice(double x) { long double y = x; return (double)(y * 2); }
int main(void) {
    double s = 0;
    int i;
    for (i = 0; i < 100000; i++) s += twice(i);
    printf("%f\\n", s + (double)g);
    return 0;
}
"""
    findings = _findings(tmp_path, text, ILP32, ILP32)
    # refused by the global, the precompiler cannot tell whether twice() would migrate
    assert [(f.severity, f.kind, f.where.rsplit(":", 1)[1]) for f in findings] == [
        ("error", "no-portable-form", "2"), ("warning", "no-portable-form", "3")]
    assert "global g has type long double" in findings[0].message
    assert "as twice would be if it can migrate" in findings[1].message
    findings = _findings(tmp_path, text.replace("long double g;", "double g;"), ILP32, ILP32)
    assert [(f.severity, f.where.rsplit(":", 1)[1]) for f in findings] == [("note", "3")]
    assert "twice, which cannot migrate" in findings[0].message


def test_every_unsafe_construct_is_one_located_error(tmp_path: Path) -> None:
    text = """\
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    int i, s = 0;
    int *p;
    for (i = 0; i < 100000; i++) { s += rand(); srand(s); }
    p = (int *)4096;
    printf("%d %d\\n", s, p != 0);
    return 0;
}
"""
    errors = [f for f in _findings(tmp_path, text, ILP32, ILP32) if f.severity == "error"]
    assert {f.kind for f in errors} == {"unsupported"}
    lines = sorted(f.where.rsplit(":", 1)[1] for f in errors)
    assert lines == ["6", "6", "7"], [f.line() for f in errors]  # rand(), srand(); the cast


def test_data_models_come_from_each_compiler() -> None:
    for isa in ISAS:
        m = data_model(isa)
        assert m.big_endian == ISAS[isa].big_endian and m.pointer_bits == 8 * ISAS[isa].word_size, isa
        assert m.name in ("ILP32", "LP64"), (isa, m)
    assert data_model("mipsel").long_double == "64-bit IEEE double"
    assert data_model("sparc").long_double == "128-bit IEEE quad"


def test_cli_compatible_pair_exits_0_with_byte_order_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "linpack", "--src", "mipsel", "--dst", "sparc"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("linpack: dec5000 (mipsel, ILP32, little-endian) -> ss20 (sparc, ILP32, big-endian)")
    assert any(": note: byte order changes (mipsel little-endian -> sparc big-endian)" in line for line in out)
    assert out[-1] == "compatible: 0 errors, 0 warnings, 2 notes"
    assert all(line.startswith(str(PROGRAMS["linpack"].source)) for line in out[1:-1])


def test_cli_incompatible_program_exits_1_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "ld.c"
    source.write_text("long double g;\nint main(void) { int i; double s = 0; "
                      "for (i = 0; i < 100000; i++) s += i; return (int)s + (int)g; }\n")
    assert main(["compat", str(source), "--src", "sparc", "--dst", "sparc", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["compatible"] is False and report["counts"]["error"] == 1
    assert report["src"]["data_model"] == "ILP32" and report["dst"]["machine"] == "ss20"
    error = next(f for f in report["findings"] if f["severity"] == "error")
    assert error["where"] == f"{source}:1" and error["kind"] == "no-portable-form"


def test_cli_bad_machine_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "linpack", "--src", "vax", "--dst", "sparc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "testbed: error:" in err and "vax" in err
