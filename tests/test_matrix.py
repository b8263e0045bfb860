"""The any-to-any check: pairs drawn from the registry of ISAs (all, spanning, or named),
the matrix written from check's rows, and `testbed exec` printing the same on every
registered ISA and the host."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from testbed.cli import main
from testbed.compat import DataModel
from testbed.emu.isa import ISAS
from testbed.errors import ConfigError
from testbed.experiments.matrix import MATRIX_COLUMNS, write_matrix
from testbed.migration import check as checking
from testbed.programs import PROGRAMS

# A registry of eight, as issue 16 has it: (word bits, big-endian) of each.
EIGHT = {"mipsel": (32, False), "mips": (32, True), "sparc": (32, True), "ppc32": (32, True),
         "aarch64": (64, False), "riscv64": (64, False), "x86-64": (64, False), "mips64": (64, True)}


def _kinds(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {checking.change(s, d) for s, d in pairs}


def test_spanning_pairs_of_the_registry_cover_every_isa_and_every_change() -> None:
    span, every = checking.spanning_pairs(), checking.all_pairs()
    isas = checking.registered_isas()
    assert isas == list(ISAS) and len(every) == len(isas) ** 2
    assert {s for s, _ in span} == {d for _, d in span} == set(isas)
    assert _kinds(span) == _kinds(every)
    assert len(span) < len(every) and len(set(span)) == len(span)
    assert checking.spanning_pairs() == span  # deterministic


def test_spanning_pairs_of_eight_isas_have_every_word_size_and_byte_order_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checking, "ISAS", dict.fromkeys(EIGHT))
    monkeypatch.setattr(checking, "data_model", lambda isa: DataModel(isa, EIGHT[isa][1], *(EIGHT[isa][0],) * 2,
                                                                       "64-bit IEEE double"))
    span = checking.spanning_pairs()
    assert {s for s, _ in span} == {d for _, d in span} == set(EIGHT)
    kinds = _kinds(span)
    models = {f"{m} {o}" for m in ("ILP32", "LP64") for o in ("little-endian", "big-endian")}
    assert kinds == {(a, b) for a in models for b in models}  # 32<->64 bits, both byte orders, and both at once
    assert len(span) == 16  # one pair per kind suffices here: a fourth of the 64
    # the same ISA twice only where a data model and byte order has one ISA alone
    assert {s for s, d in span if s == d} == {"mipsel", "mips64"}


def test_named_pairs_and_their_errors() -> None:
    assert checking.parse_pairs("mipsel:sparc, sparc:mipsel") == [("mipsel", "sparc"), ("sparc", "mipsel")]
    assert checking.parse_pairs("all") == checking.all_pairs()
    with pytest.raises(ConfigError, match=r"'mipsel-sparc' is not SRC:DST"):
        checking.parse_pairs("mipsel-sparc")
    with pytest.raises(ConfigError, match=r"unknown ISA 'vax'.*registered: mipsel"):
        checking.parse_pairs("mipsel:vax")


def test_cases_run_the_pairs_asked_for() -> None:
    pairs = [("mips", "ppc32"), ("ppc32", "mips")]
    got = list(checking.cases(True, ["matmul"], pairs=pairs, points=2))
    assert [(c.src, c.dst) for c in got] == [pairs[0]] * 2 + [pairs[1]] * 2
    quick = {(c.src, c.dst) for c in checking.cases(True, ["matmul"])}
    assert quick == set(checking.spanning_pairs())


def test_one_point_is_the_middle_passage() -> None:
    assert checking.spread(9, 1) == [5] and checking.spread(1, 1) == [1]


@pytest.mark.slow
def test_every_spanning_pair_verifies_test_pointer() -> None:
    """The quick form of the any-to-any check in CI: each spanning pair once, mid-run,
    on the program with the most pointer shapes (one migration a pair)."""
    rows = checking.check(quick=True, jobs=2, programs=["test_pointer"], points=1)
    assert {(r["src"], r["dst"]) for r in rows} == set(checking.spanning_pairs())
    assert [r for r in rows if not r["ok"]] == []
    assert all(r["migrate_s"] > 0 and r["tx_bytes"] > 0 for r in rows)


def test_matrix_csv_and_figure_from_check_rows(tmp_path: Path) -> None:
    isas = ["mipsel", "sparc"]
    rows = [{"program": "linpack", "src": s, "dst": d, "at": k, "ok": not (s == "sparc" and k == 2),
             "migrate_s": 0.01 * k, "tx_bytes": 1000 * k} for s in isas for d in isas for k in (1, 2, 3)]
    rows = [r for r in rows if (r["src"], r["dst"]) != ("sparc", "sparc")]  # a pair that did not run
    csv, png = write_matrix(rows, isas, tmp_path)
    assert png == tmp_path / "figures" / "matrix.png" and png.stat().st_size > 10_000
    table = pd.read_csv(csv)
    assert list(table.columns) == list(MATRIX_COLUMNS)
    assert [(r.src, r.dst, r.migrations, r.verified) for r in table.itertuples()] == [
        ("mipsel", "mipsel", 3, 3), ("mipsel", "sparc", 3, 3), ("sparc", "mipsel", 3, 2)]
    assert table.loc[2, "migrate_ms_median"] == 20.0  # of the verified ones: 10 and 30 ms
    assert table.loc[0, "tx_bytes_median"] == 2000


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_exec_prints_the_same_on_every_registered_isa_and_the_host(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {}
    for arch in ["host", *ISAS]:
        assert main(["exec", name, "--arch", arch, "--size", "small", "--json"]) == 0, arch
        outputs[arch] = json.loads(capsys.readouterr().out.splitlines()[-1])["output"]
    assert "self-check: PASS" in outputs["host"]
    differing = [arch for arch, out in outputs.items() if out != outputs["host"]]
    assert differing == [], f"{name}: output differs from the host's on {differing}"
