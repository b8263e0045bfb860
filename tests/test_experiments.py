"""Experiment files, config hashes, sweeps, records and crash isolation (testbed/experiments,
testbed sweep); the reproduction's tables, findings and notebook: tests/test_reproduce.py.

Most tests replace the emulation by a synthetic record, because what is tested here is
the grid, the reuse and the rows, not the emulator; one tiny sweep and one failing sweep
emulate for real.
"""

from __future__ import annotations

import ctypes
import faulthandler
import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from testbed import PROJECT_DIR
from testbed.cli import build_parser, main
from testbed.errors import ConfigError
from testbed.experiments import provenance, records
from testbed.experiments.config import Run, load_experiment, parse_experiment
from testbed.experiments.runner import (
    EmulationGroup,
    Outcome,
    append_rows,
    emulate,
    group_runs,
    read_results,
    sweep,
    sweep_many,
)
from testbed.experiments.workers import IsolatedPool, WorkerDied
from testbed.migration.record import MigrationRecord

EXPERIMENTS = PROJECT_DIR / "experiments"
NOTEBOOK = EXPERIMENTS / "analysis.ipynb"

TINY = """
[experiment]
name = "tiny"

[grid]
programs = ["linpack", "bitonic"]
sizes = ["small"]
pairs = [["dec5000", "ss20"]]
networks = ["10mbps", "100mbps"]
modes = ["network", "file"]
at = ["50%"]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- experiment files ---------------------------------------------------------------------


def test_hetero_file_expands_to_the_table_grid() -> None:
    exp = load_experiment(EXPERIMENTS / "hetero.toml")
    runs = exp.runs()
    assert exp.name == "hetero"
    assert len(runs) == 3 * 2 * 2  # programs x sizes x modes
    assert {(r.src, r.dst, r.network) for r in runs} == {("dec5000", "ss20", "10mbps")}
    assert len(group_runs(runs)) == 6  # the two modes share an emulation
    quick = exp.quick()
    assert quick.name == "hetero-quick"
    assert {(r.program, r.size) for r in quick.runs()} == {
        ("linpack", "50"), ("linpack", "100"), ("bitonic", "256"), ("bitonic", "1024"),
        ("test_pointer", "200"), ("test_pointer", "1000")}


# scalability.toml and mppvm.toml are cluster studies (`testbed cluster study`/`mppvm`, testbed/cluster/), and
# now.toml a NOW comparison (`testbed now --compare`, testbed/now/), not migration grids
@pytest.mark.parametrize("path", sorted(p for p in EXPERIMENTS.glob("*.toml")
                                        if p.name not in ("scalability.toml", "mppvm.toml", "now.toml")),
                         ids=lambda p: p.name)
def test_every_experiment_file_parses(path: Path) -> None:
    exp = load_experiment(path)
    assert exp.runs() and exp.quick().runs()


def test_sizes_per_program_pairs_both_forms_and_defaults(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, """
[grid]
programs = ["linpack", "bitonic"]
sizes = { linpack = [100, "paper1"], bitonic = ["small"] }
pairs = [["mipsel", "sparc"], { src = "ultra5", dst = "ultra5" }]
at = [3, "25.0%"]
"""))
    assert exp.name == "exp"  # the file's stem
    runs = exp.runs()
    assert {(r.src, r.dst) for r in runs} == {("dec5000", "ss20"), ("ultra5", "ultra5")}
    assert {r.network for r in runs} == {"10mbps"} and {r.mode for r in runs} == {"network"}
    assert {r.at for r in runs} == {3, "25%"}
    assert {(r.program, r.size) for r in runs} == {("linpack", "100"), ("linpack", "paper1"),
                                                   ("bitonic", "small")}
    assert len(runs) == 3 * 2 * 2


def test_grid_blocks_union_and_quick_overrides(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, """
[experiment]
name = "two"
[[grid]]
programs = ["linpack"]
sizes = ["paper1"]
pairs = [["dec5000", "ss20"]]
[[grid]]
programs = ["bitonic", "linpack"]
sizes = ["paper1"]
pairs = [["dec5000", "ss20"]]
[quick]
sizes = { linpack = [50], bitonic = [256] }
"""))
    assert len(exp.runs()) == 2  # linpack paper1 is in both blocks: once
    assert sorted((r.program, r.size) for r in exp.quick().runs()) == [("bitonic", "256"),
                                                                       ("linpack", "50")]


BAD = {
    "top": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
            '[extra]\n', "'extra'"),
    "grid key": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                 'netwrks=["10mbps"]\n', "'netwrks'"),
    "experiment key": ('[experiment]\nnmae="x"\n[grid]\nprograms=["linpack"]\nsizes=["small"]\n'
                       'pairs=[["mipsel","sparc"]]\n', "'nmae'"),
    "program": ('[grid]\nprograms=["linpak"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n',
                "'linpak'"),
    "size": ('[grid]\nprograms=["linpack"]\nsizes=["huge"]\npairs=[["mipsel","sparc"]]\n',
             "sizes"),
    "machine": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["vax","sparc"]]\n',
                "pairs"),
    "pair shape": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=["mipsel"]\n', "pairs"),
    "network": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                'networks=["1gbps"]\n', "'1gbps'"),
    "mode": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
             'modes=["disk"]\n', "'disk'"),
    "at zero": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                'at=[0]\n', "at"),
    "at share": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                 'at=["150%"]\n', "at"),
    "at text": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                'at=["half"]\n', "at"),
    "missing": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\n', "'pairs'"),
    "no grid": ('[experiment]\nname="x"\n', "[grid]"),
    "sizes program": ('[grid]\nprograms=["linpack"]\nsizes={bitonic=["small"]}\n'
                      'pairs=[["mipsel","sparc"]]\n', "'bitonic'"),
    "quick key": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                  '[quick]\nsize=[50]\n', "'size'"),
    "quick program": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                      '[quick]\nsizes={bitonik=[50]}\n', "'bitonik'"),
    "name": ('[experiment]\nname="a b"\n[grid]\nprograms=["linpack"]\nsizes=["small"]\n'
             'pairs=[["mipsel","sparc"]]\n', "name"),
    "toml": ('[grid\nprograms=["linpack"]\n', "not valid TOML"),
    "runtime": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                'runtimes=["v2"]\n', "'v2'"),
    "roundtrip": ('[grid]\nprograms=["linpack"]\nsizes=["small"]\npairs=[["mipsel","sparc"]]\n'
                  'roundtrip="no"\n', "roundtrip"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_mistakes_are_one_config_error_naming_file_and_key(tmp_path: Path, case: str) -> None:
    text, key = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert str(path) in message and key in message and "\n" not in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_experiment(tmp_path / "nope.toml")


def test_runtimes_axis(tmp_path: Path) -> None:
    """runtimes is an axis of the product (default modern) and of every quick grid; roundtrip
    is a per-block check setting."""
    plain = load_experiment(write(tmp_path, TINY))
    assert {r.runtime for r in plain.runs()} == {"modern"}
    assert all(r.roundtrip for r in plain.runs())
    both = load_experiment(write(tmp_path, TINY + 'runtimes = ["classic", "modern"]\n'
                                 'roundtrip = false\n[quick]\nsizes = [50]\n', "both.toml"))
    runs = both.runs()
    assert len(runs) == 2 * len(plain.runs())
    assert {r.runtime for r in runs} == {"classic", "modern"} and not any(r.roundtrip for r in runs)
    assert len(group_runs(runs)) == 2 * len(group_runs(plain.runs()))
    assert {r.runtime for r in both.quick().runs()} == {"classic", "modern"}
    # --runtime replaces the axis, in the quick variant too
    only = both.with_runtimes(["classic"])
    assert {r.runtime for r in only.runs()} == {"classic"} == {r.runtime for r in
                                                                only.quick().runs()}
    assert len(only.runs()) == len(plain.runs())
    with pytest.raises(ConfigError, match="'v2'"):
        both.with_runtimes(["v2"])


def test_runtime_spellings_of_one_run_keep_the_round_trip_check() -> None:
    """The same run with and without the check (two blocks, two experiments) is one run,
    and one emulation, which checks."""
    on = Run("bitonic", "small", "dec5000", "ss20", "10mbps", "network", 1, "classic")
    off = Run("bitonic", "small", "dec5000", "ss20", "10mbps", "file", 1, "classic", False)
    assert replace(on, roundtrip=False).config_hash == on.config_hash
    groups = group_runs([off, on])
    assert len(groups) == 1 and groups[0].roundtrip
    assert not group_runs([off])[0].roundtrip
    exp = parse_experiment({"grid": [
        {"programs": ["bitonic"], "sizes": ["small"], "pairs": [["dec5000", "ss20"]],
         "runtimes": ["classic"], "roundtrip": False},
        {"programs": ["bitonic"], "sizes": ["small"], "pairs": [["dec5000", "ss20"]],
         "runtimes": ["classic"]}]})
    assert len(exp.runs()) == 1 and exp.runs()[0].roundtrip


# --- config hashes ---------------------------------------------------------------------


def test_config_hash_is_sha256_of_canonical_json() -> None:
    run = Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", "50%")
    canonical = {"program": "linpack", "size": 200, "src": "dec5000", "dst": "ss20",
                 "network": "10mbps", "mode": "network", "at": "50%", "runtime": "modern"}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    assert run.config_hash == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert run.config_hash == "8943990d7d05"  # pinned: a change renames every stored row
    # the runtime is always part of it (the default is spelled out: modern)
    assert run.config_hash != replace(run, runtime="classic").config_hash
    # the round-trip check is not a parameter of the measurement
    assert Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", "50%",
               roundtrip=False).config_hash == run.config_hash


def test_config_hash_equal_for_equivalent_spellings_only() -> None:
    base = Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", 1)
    same = Run("linpack", "200", "mipsel", "sparc", "10mbps", "network", 1)
    assert base.config_hash == same.config_hash
    assert base.emulation_key == same.emulation_key
    for other in (Run("linpack", "paper2", "dec5000", "ss20", "10mbps", "network", 1),
                  Run("linpack", "paper1", "ss20", "dec5000", "10mbps", "network", 1),
                  Run("linpack", "paper1", "dec5000", "ss20", "100mbps", "network", 1),
                  Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "file", 1),
                  Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", 2),
                  Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", 1, "classic")):
        assert other.config_hash != base.config_hash
    # network and mode only price the transfer: they do not change the emulation
    assert Run("linpack", "paper1", "dec5000", "ss20", "100mbps", "file", 1).emulation_key \
        == base.emulation_key
    # the runtime does: another guest build, another stream
    classic = Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", 1, "classic")
    assert classic.emulation_key != base.emulation_key and classic.emulation_key[-1] == "classic"


def test_config_hash_stable_across_processes() -> None:
    code = ("from testbed.experiments.config import Run;"
            "print(Run('bitonic','small','dec5000','ss20','100mbps','file',1).config_hash)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONHASHSEED": "123"}, check=True).stdout.strip()
    assert out == Run("bitonic", "small", "dec5000", "ss20", "100mbps", "file", 1).config_hash


# --- the runner: reuse, rows, CSV -----------------------------------------------------------


@pytest.fixture
def fake_migrate(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replace the emulation by a synthetic record (tx priced for real by reprice);
    returns the list of specs emulated."""
    from testbed.migration import run as migration

    calls: list[Any] = []

    def migrate(spec: Any) -> MigrationRecord:
        calls.append(spec)
        n = int(spec.size) if str(spec.size).isdigit() else 24
        record = MigrationRecord.from_dict({
            "program": spec.program, "size": spec.size, "runtime": spec.runtime,
            "write_calls": 3 * n if spec.runtime == "classic" else 1,
            "src": spec.src, "dst": spec.dst, "src_isa": "mipsel", "dst_isa": "sparc",
            "at": 7, "at_request": str(spec.at), "poll_point": "x.c:1", "poll_function": "main",
            "network": spec.network, "mode": spec.mode, "tx_model": "simpy", "tx_s": 0.0, "eth_frames": 0,
            "tx_bytes": 1000 * n, "blocks": 3, "call_frames": 1, "live_bytes": 8,
            "scan_instructions": 10 * n, "scan_s": 0.001 * n, "failed": False, "failure": None,
            "restore_instructions": 5 * n, "restore_s": 0.0005 * n, "verified": True,
            "roundtrip_identical": True, "completed_on": "destination", "src_instructions": 1,
            "dst_instructions": 1,
        })
        return migration.reprice(record, spec.network, spec.mode)

    monkeypatch.setattr(migration, "migrate", migrate)
    return calls


def test_one_emulation_per_key_repriced_for_the_rest(tmp_path: Path, fake_migrate: list[Any]) -> None:
    exp = parse_experiment({"experiment": {"name": "reuse"}, "grid": {
        "programs": ["linpack", "bitonic"], "sizes": {"linpack": [30, 40], "bitonic": [64, 128]},
        "pairs": [["dec5000", "ss20"], ["ss20", "dec5000"]], "networks": ["10mbps", "100mbps"],
        "modes": ["network", "file"], "at": [1]}})
    result = sweep(exp, tmp_path, jobs=1, progress=False)
    keys = [(s.program, s.size, s.src, s.dst, s.at) for s in fake_migrate]
    assert len(keys) == len(set(keys)) == 2 * 2 * 2  # programs x sizes x pairs
    assert result.emulations == 8
    rows = result.rows
    assert len(rows) == 32 and rows["config_hash"].is_unique
    assert rows["repriced"].sum() == 24
    assert rows.groupby("emulation_hash").size().eq(4).all()
    assert set(rows["runtime"]) == {"modern"} and {s.runtime for s in fake_migrate} == {"modern"}
    # a re-priced row equals what pricing the emulated one directly gives
    file_rows = rows[rows["mode"] == "file"]
    assert (file_rows["migrate_s"] > rows[rows["mode"] == "network"]["migrate_s"].max()).all()


def test_runtime_axis_is_part_of_the_emulation_key(tmp_path: Path,
                                                  fake_migrate: list[Any]) -> None:
    """Each (program, size, src, dst, at, runtime) is emulated once, with its runtime; the
    rows say which, and file mode is re-priced with the runtime's write() calls."""
    exp = load_experiment(write(tmp_path, TINY + 'runtimes = ["classic", "modern"]\n'))
    result = sweep(exp, tmp_path, jobs=1, progress=False)
    emulated = sorted((s.program, s.runtime) for s in fake_migrate)
    assert emulated == [("bitonic", "classic"), ("bitonic", "modern"), ("linpack", "classic"),
                        ("linpack", "modern")]
    assert result.emulations == 4 and all(s.roundtrip for s in fake_migrate)
    rows = read_results(result.path)
    assert len(rows) == 16 and rows["config_hash"].is_unique
    assert rows.groupby("runtime").size().to_dict() == {"classic": 8, "modern": 8}
    assert rows.groupby("emulation_hash")["runtime"].nunique().eq(1).all()
    assert rows["emulation_hash"].nunique() == 4
    assert set(rows.loc[rows["runtime"] == "classic", "write_calls"]) == {72}
    # the same file on one runtime: half the emulations, the same hashes for its runs
    fake_migrate.clear()
    only = sweep(exp.with_runtimes(["classic"]), tmp_path / "c", jobs=1, progress=False)
    assert only.emulations == 2 and {s.runtime for s in fake_migrate} == {"classic"}
    assert set(only.rows["config_hash"]) == set(rows.loc[rows["runtime"] == "classic",
                                                         "config_hash"])
    # classic file mode: one priced write() per item, dearer than modern's single write
    def file_write(runtime: str) -> float:
        sel = rows[(rows["runtime"] == runtime) & (rows["mode"] == "file")
                   & (rows["program"] == "linpack") & (rows["network"] == "10mbps")]
        return float(sel["scan_write_s"].iloc[0] - sel["scan_s"].iloc[0])
    assert file_write("classic") > file_write("modern")


def test_sweep_runtime_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, TINY)
    assert main(["sweep", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "runtime=modern" in out and "8 runs, 2 emulations" in out
    assert main(["sweep", str(path), "--dry-run", "--runtime", "classic", "--runtime",
                 "modern"]) == 0
    out = capsys.readouterr().out
    assert "runtime=classic" in out and "16 runs, 4 emulations" in out
    assert main(["sweep", str(path), "--dry-run", "--runtime", "v2"]) == 2  # one error line, no run


def test_rows_are_tidy_with_parameters_hash_revision_versions(
        tmp_path: Path, fake_migrate: list[Any]) -> None:
    exp = load_experiment(write(tmp_path, TINY))
    result = sweep(exp, tmp_path / "out", jobs=1, progress=False)
    rows = read_results(result.path)
    assert result.path == tmp_path / "out" / "tiny.csv"
    params = ["program", "size", "size_value", "src", "dst", "network", "mode", "at", "runtime"]
    provenance_cols = ["experiment", "config_hash", "emulation_hash", "git_revision",
                       "testbed_version", "unicorn_version", "capstone_version", "simpy_version",
                       "timestamp"]
    metrics = ["tx_bytes", "blocks", "call_frames", "eth_frames", "scan_instructions", "scan_s", "tx_s", "restore_s",
               "restore_instructions", "migrate_s", "verified", "failed", "roundtrip_identical",
               "at_passage", "at_request", "src_machine", "dst_machine", "src_isa", "dst_isa", "scan_write_s", "rcp_s",
               "read_restore_s"]
    for column in params + provenance_cols + metrics:
        assert column in rows.columns, column
    assert rows[params + provenance_cols[:-1]].notna().all().all()
    assert set(rows["git_revision"]) == {provenance.git_revision()}
    assert rows["unicorn_version"].iloc[0] == "2.1.4"
    assert rows["config_hash"].str.fullmatch(r"[0-9a-f]{12}").all()
    file_rows = rows[rows["mode"] == "file"]
    assert file_rows[["scan_write_s", "rcp_s", "read_restore_s"]].notna().all().all()
    assert set(rows["at_passage"]) == {7}  # the record's resolved K, kept apart from "at"


def test_rerun_never_duplicates_a_hash_and_revision(tmp_path: Path, fake_migrate: list[Any]) -> None:
    exp = load_experiment(write(tmp_path, TINY))
    sweep(exp, tmp_path, jobs=1, progress=False)
    sweep(exp, tmp_path, jobs=1, progress=False)
    rows = read_results(tmp_path / "tiny.csv")
    assert len(rows) == 8
    assert not rows.duplicated(["config_hash", "git_revision"]).any()
    # another revision is another row
    other = rows.assign(git_revision="abc1234")
    assert len(append_rows(tmp_path / "tiny.csv", other)) == 16


def test_hashes_of_digits_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    append_rows(path, [{"config_hash": "000000001e10", "git_revision": "1234567", "x": 1}])
    append_rows(path, [{"config_hash": "000000001e10", "git_revision": "1234567", "x": 2}])
    rows = read_results(path)
    assert rows["config_hash"].tolist() == ["000000001e10"] and rows["x"].tolist() == [2]


def test_git_revision_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rev = provenance.git_revision()
    assert rev == "unknown" or len(rev.removesuffix("-dirty")) >= 7
    monkeypatch.setattr(provenance, "PROJECT_DIR", tmp_path)
    assert provenance.git_revision() == "unknown"


def test_dask_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code = main(["sweep", str(write(tmp_path, TINY)), "--dask", "tcp://127.0.0.1:8786",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("testbed: error: --dask needs dask.distributed") and "pip install" in err


def test_commands_are_registered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"sweep", "reproduce"} <= set(choices)
    assert main(["sweep", str(EXPERIMENTS / "hetero.toml"), "--dry-run"]) == 0
    assert "12 runs, 6 emulations" in capsys.readouterr().out
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2


# --- real emulation ---------------------------------------------------------------------


def test_tiny_sweep_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", str(write(tmp_path, TINY)), "--out", str(tmp_path / "res"),
                 "--jobs", "2", "--runtime", "classic", "--runtime", "modern"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = read_results(tmp_path / "res" / "tiny.csv")
    assert len(rows) == 16 and rows["verified"].all() and not rows["failed"].any()
    assert rows["emulation_hash"].nunique() == 4 and rows["roundtrip_identical"].all()
    # the same stream priced four ways: Scan and Restore are the emulation's
    for _, group in rows.groupby("emulation_hash"):
        assert group["scan_s"].nunique() == 1 and group["tx_bytes"].nunique() == 1
        assert group["runtime"].nunique() == 1
    # one structure, two encodings: the classic XDR one is larger and written unit by unit
    net = rows[(rows["mode"] == "network") & (rows["network"] == "10mbps")].set_index(
        ["program", "runtime"])
    for prog in ("linpack", "bitonic"):
        assert net.loc[(prog, "classic"), "tx_bytes"] > net.loc[(prog, "modern"), "tx_bytes"]
        assert net.loc[(prog, "classic"), "write_calls"] == -(-net.loc[(prog, "classic"), "tx_bytes"] // 4)
        assert net.loc[(prog, "modern"), "write_calls"] == 1
    assert "16 runs, 4 emulations, 0 failed" in out and "migrate_s" in out


def test_failed_run_is_recorded_and_exits_nonzero(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, TINY.replace('at = ["50%"]', "at = [100000000]")
                 .replace('"linpack", "bitonic"', '"linpack"'))
    code = main(["sweep", str(path), "--out", str(tmp_path), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1
    rows = read_results(tmp_path / "tiny.csv")
    assert len(rows) == 4 and rows["failed"].all() and not rows["verified"].any()
    assert rows["failure"].str.contains("smaller --at").all()
    assert "FAILED" in out


# --- migration records ----------------------------------------------------------------------


def _record(**changes: Any) -> MigrationRecord:
    """A completed migration's record, as migrate() returns it."""
    return MigrationRecord.from_dict({
        "program": "linpack", "size": "small", "runtime": "classic", "write_calls": 1,
        "src": "dec5000", "dst": "ss20", "src_isa": "mipsel", "dst_isa": "sparc", "at": 7,
        "at_request": "50%", "poll_point": "x.c:1", "poll_function": "main",
        "network": "10mbps", "mode": "network", "tx_model": "simpy", "tx_s": 0.5,
        "eth_frames": 9, "tx_bytes": 1000, "blocks": 3, "call_frames": 1, "live_bytes": 8,
        "scan_instructions": 7, "scan_s": 0.001, "scan_n_alu": 4, "scan_n_load": 3,
        "failed": False, "failure": None, "restore_instructions": 5, "restore_s": 0.0005,
        "verified": True, "roundtrip_identical": True, "completed_on": "destination",
        **changes})


def test_records_adapter_gives_row_columns_failures_and_counts() -> None:
    record = _record()
    row = records.row_metrics(record)
    assert row == records.row_metrics(record.to_dict())  # a record, or its flat dict
    assert not set(records.PARAM_FIELDS) & set(row)  # the row's own columns
    assert (row["src_machine"], row["dst_machine"], row["src_isa"], row["dst_isa"]) == (
        "dec5000", "ss20", "mipsel", "sparc")
    assert row["at_passage"] == 7 and "src" not in row and "at" not in row
    assert row["tx_bytes"] == 1000 and row["call_frames"] == 1 and row["verified"] is True
    assert records.failure(record) is None
    assert records.instruction_counts(record, "scan", ("alu", "load")) == [4, 3]
    failed = _record(failed=True, failure="transfer failed: cut", failure_phase="transfer")
    assert records.failure(failed) == "transfer failed: cut"
    with pytest.raises(TypeError, match="not a migration record"):
        records.fields(42)


# --- crash isolation ------------------------------------------------------------------------


def _crash(how: str) -> None:
    """Die the way an emulator can: a real SIGSEGV (a NULL read in native code) or exit()
    from native code, which no Python handler sees."""
    if how == "segv":
        faulthandler.disable()  # pytest's handler would print the worker's stack first
        ctypes.string_at(0)
    os._exit(3)


def _square_or_die(task: int) -> int:
    if task == 2:
        _crash("segv")
    if task == 5:
        _crash("exit")
    return task * task


def test_isolated_pool_reports_the_dead_task_and_goes_on() -> None:
    results = dict(IsolatedPool(_square_or_die, jobs=2).map(list(range(8))))
    assert set(results) == set(range(8))
    assert results[2] == WorkerDied(-signal.SIGSEGV)
    assert results[2].text() == "killed by signal 11 (SIGSEGV)"
    assert results[5] == WorkerDied(3) and results[5].text() == "exited with status 3"
    assert {k: v for k, v in results.items() if k not in (2, 5)} == {
        k: k * k for k in (0, 1, 3, 4, 6, 7)}  # every other task, on fresh workers


def _emulate_but_crash_bitonic(group: EmulationGroup) -> list[Outcome]:
    if group.runs[0].program == "bitonic":
        _crash("segv")
    return emulate(group)


def test_sweep_records_a_crashed_emulation_as_its_runs_failure(tmp_path: Path) -> None:
    """The bitonic emulation takes its worker down; its runs are failed rows naming the
    signal, and linpack's runs are measured as usual."""
    exp = load_experiment(write(tmp_path, TINY))
    result = sweep_many([exp], tmp_path, jobs=2, work=_emulate_but_crash_bitonic)["tiny"]
    rows = read_results(result.path)
    assert len(rows) == 8
    crashed = rows[rows["program"] == "bitonic"]
    assert crashed["failed"].all() and not crashed["verified"].any()
    assert crashed["failure"].str.contains("killed by signal 11 \\(SIGSEGV\\)").all()
    measured = rows[rows["program"] == "linpack"]
    assert measured["verified"].all() and not measured["failed"].any()
    assert len(result.failures) == 4


