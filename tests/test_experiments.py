"""Experiment files, sweeps and the reproduction (testbed/experiments, testbed sweep,
testbed reproduce, experiments/analysis.ipynb).

Most tests replace the emulation by a synthetic record, because what is tested here is
the grid, the reuse, the rows and the tables, not the emulator; one tiny sweep, one failing
sweep and the notebook (which runs the quick reproduction) emulate for real.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from testbed import PROJECT_DIR
from testbed.cli import build_parser, main
from testbed.errors import ConfigError
from testbed.experiments import config as cfg
from testbed.experiments import provenance
from testbed.experiments import reproduce as rp
from testbed.experiments.config import Run, load_experiment, parse_experiment
from testbed.experiments.runner import append_rows, group_runs, read_results, sweep

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


@pytest.mark.parametrize("name", ["hetero", "homog", "scaling"])
@pytest.mark.parametrize("quick", [False, True])
def test_experiment_files_are_the_reproductions_grids(name: str, quick: bool) -> None:
    """reproduce runs its own definitions; the files must say the same, so that
    `testbed sweep experiments/<name>.toml` gives the rows the tables are built from."""
    from_file = load_experiment(EXPERIMENTS / f"{name}.toml")
    builtin = {e.name: e for e in rp.experiments(quick=False)}[name]
    if quick:
        from_file, builtin = from_file.quick(), builtin.quick()
    assert from_file.name == builtin.name
    assert from_file.runs() == builtin.runs()


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.toml")), ids=lambda p: p.name)
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


def test_runtimes_refused_until_the_migration_can_choose_one(tmp_path: Path) -> None:
    path = write(tmp_path, '[grid]\nprograms=["linpack"]\nsizes=["small"]\n'
                           'pairs=[["mipsel","sparc"]]\nruntimes=["v2"]\n')
    if cfg._spec_has_runtime():
        assert {r.runtime for r in load_experiment(path).runs()} == {"v2"}
    else:
        with pytest.raises(ConfigError, match="runtime"):
            load_experiment(path)


# --- config hashes ---------------------------------------------------------------------


def test_config_hash_is_sha256_of_canonical_json() -> None:
    run = Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", "50%")
    canonical = {"program": "linpack", "size": 200, "src": "dec5000", "dst": "ss20",
                 "network": "10mbps", "mode": "network", "at": "50%"}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    assert run.config_hash == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert run.config_hash == "6c4fb233fa36"  # pinned: a change renames every stored row


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
                  Run("linpack", "paper1", "dec5000", "ss20", "10mbps", "network", 1, "v2")):
        assert other.config_hash != base.config_hash
    # network and mode only price the transfer: they do not change the emulation
    assert Run("linpack", "paper1", "dec5000", "ss20", "100mbps", "file", 1).emulation_key \
        == base.emulation_key


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

    def migrate(spec: Any) -> dict[str, Any]:
        calls.append(spec)
        n = int(spec.size) if str(spec.size).isdigit() else 24
        record = {
            "program": spec.program, "size": spec.size, "src": "mipsel", "dst": "sparc",
            "src_machine": spec.src, "dst_machine": spec.dst, "at": 7, "at_request": str(spec.at),
            "network": spec.network, "mode": spec.mode, "tx_model": "simpy",
            "tx_bytes": 1000 * n, "blocks": 3, "frames": 1, "scan_instructions": 10 * n,
            "scan_s": 0.001 * n, "failed": False, "failure": None, "restore_instructions": 5 * n,
            "restore_s": 0.0005 * n, "verified": True, "roundtrip_identical": True,
            "completed_on": "destination", "src_instructions": 1, "dst_instructions": 1,
        }
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
    # a re-priced row equals what pricing the emulated one directly gives
    file_rows = rows[rows["mode"] == "file"]
    assert (file_rows["migrate_s"] > rows[rows["mode"] == "network"]["migrate_s"].max()).all()


def test_rows_are_tidy_with_parameters_hash_revision_versions(
        tmp_path: Path, fake_migrate: list[Any]) -> None:
    exp = load_experiment(write(tmp_path, TINY))
    result = sweep(exp, tmp_path / "out", jobs=1, progress=False)
    rows = read_results(result.path)
    assert result.path == tmp_path / "out" / "tiny.csv"
    params = ["program", "size", "size_value", "src", "dst", "network", "mode", "at"]
    provenance_cols = ["experiment", "config_hash", "emulation_hash", "git_revision",
                       "testbed_version", "unicorn_version", "capstone_version", "simpy_version",
                       "timestamp"]
    metrics = ["tx_bytes", "blocks", "frames", "scan_instructions", "scan_s", "tx_s", "restore_s",
               "restore_instructions", "migrate_s", "verified", "failed", "roundtrip_identical",
               "at_passage", "at_request", "src_isa", "dst_isa", "scan_write_s", "rcp_s",
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
                 "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = read_results(tmp_path / "res" / "tiny.csv")
    assert len(rows) == 8 and rows["verified"].all() and not rows["failed"].any()
    assert rows["emulation_hash"].nunique() == 2
    # the same stream priced four ways: Scan and Restore are the emulation's
    for _, group in rows.groupby("emulation_hash"):
        assert group["scan_s"].nunique() == 1 and group["tx_bytes"].nunique() == 1
    assert "8 runs, 2 emulations, 0 failed" in out and "migrate_s" in out


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


# --- the reproduction's logic on synthetic rows -----------------------------------------


def _published(program: str, problem: str, mode: str, phase: str, table: str = "hetero") -> float:
    ref = rp.load_reference()
    sel = ref[(ref.table == table) & (ref.program == program) & (ref.problem == problem)
              & (ref["mode"] == mode) & (ref.phase == phase)]
    return float(sel["seconds"].iloc[0])


def _row(program: str, n: int, mode: str, src: str = "dec5000", dst: str = "ss20",
         **metrics: float) -> dict[str, Any]:
    return {"program": program, "size": str(n), "size_value": n, "src": src, "dst": dst,
            "mode": mode, "verified": True, "failed": False, **metrics}


def synthetic_hetero(scale: float = 1.0) -> pd.DataFrame:
    """linpack at the published values (times ``scale`` for the network scan), the others
    with made-up values: file mode always slower."""
    rows = []
    for n, problem in ((200, "n=200"), (1000, "n=1000")):
        net = {p: _published("linpack", problem, "network", p) for p in
               ("scan", "tx", "restore", "migrate")}
        fil = {p: _published("linpack", problem, "file", p) for p in
               ("scan_write", "rcp", "read_restore", "migrate")}
        rows.append(_row("linpack", n, "network", tx_bytes=8 * n * n, scan_s=net["scan"] * scale,
                         tx_s=net["tx"], restore_s=net["restore"], migrate_s=net["migrate"]))
        rows.append(_row("linpack", n, "file", tx_bytes=8 * n * n, scan_s=net["scan"],
                         scan_write_s=fil["scan_write"], rcp_s=fil["rcp"],
                         read_restore_s=fil["read_restore"], migrate_s=fil["migrate"]))
    for prog, n in (("bitonic", 2048), ("test_pointer", 18281)):
        rows.append(_row(prog, n, "network", tx_bytes=1000, scan_s=0.1, tx_s=0.1, restore_s=0.1,
                         migrate_s=0.3))
        rows.append(_row(prog, n, "file", tx_bytes=1000, scan_s=0.1, scan_write_s=0.2, rcp_s=11.0,
                         read_restore_s=0.2, migrate_s=11.4))
    return pd.DataFrame(rows)


def synthetic_scaling(bitonic_scan: str = "superlinear") -> pd.DataFrame:
    rows = []
    for n in (400, 600, 800, 1000):
        b = 8 * n * (n + 1)
        rows.append(_row("linpack", n, "network", "ultra5", "ultra5", tx_bytes=b,
                         scan_s=2e-8 * b + 0.001, restore_s=1.5e-8 * b + 0.002, tx_s=1e-7 * b,
                         migrate_s=1.0))
    for n in (2048, 4096, 8192, 16384):
        b = 20 * n
        scan = 1e-6 * n * (n / 2048) ** 0.3 if bitonic_scan == "superlinear" else 1e-6 * n
        rows.append(_row("bitonic", n, "network", "ultra5", "ultra5", tx_bytes=b, scan_s=scan,
                         restore_s=0.8e-6 * n if bitonic_scan == "superlinear" else 2e-6 * n,
                         tx_s=0.01, migrate_s=1.0))
    return pd.DataFrame(rows)


def test_problem_labels_follow_the_reference_rows() -> None:
    assert rp.problem_label("linpack", 1000) == "n=1000"
    assert rp.problem_label("bitonic", 8192) == "8192 keys"
    assert rp.problem_label("test_pointer", 18281) == "small"
    assert rp.problem_label("test_pointer", 50815) == "large"
    assert rp.problem_label("test_pointer", 200) == "200 nodes"  # the test size is not "small"
    problems = set(pd.read_csv(rp.REFERENCE.with_name("workloads.csv"))["problem"])
    for prog in ("linpack", "bitonic", "test_pointer"):
        for size in ("paper1", "paper2"):
            assert rp.problem_label(prog, cfg.size_value(prog, size)) in problems


def test_hetero_table_matches_published_rows_and_derives_difference() -> None:
    table = rp.hetero_table(synthetic_hetero(), rp.load_reference())
    matched = table[table["published_s"].notna() & ~table["derived"]]
    assert len(matched) == 16  # linpack: 2 problems x 2 modes x 4 phases
    assert matched["rel_error"].abs().max() < 1e-12
    diff = table[(table.program == "linpack") & (table.problem == "n=200")
                 & (table.phase == "difference")].iloc[0]
    assert diff["published_s"] == pytest.approx(13.220 - 0.756)
    assert diff["testbed_s"] == pytest.approx(13.220 - 0.756)
    speed = table[(table.problem == "n=1000") & (table.phase == "speed-up")].iloc[0]
    assert speed["published_s"] == pytest.approx(87.998 / 18.368)
    assert table[table.program == "bitonic"]["published_s"].isna().all()
    assert list(table["program"].drop_duplicates()) == ["linpack", "bitonic", "test_pointer"]
    summary = rp.error_summary([table])
    assert summary.count == 16 and summary.worst == pytest.approx(0, abs=1e-12)


def test_error_summary_reports_median_and_worst() -> None:
    table = rp.hetero_table(synthetic_hetero(scale=1.5), rp.load_reference())
    summary = rp.error_summary([table])
    assert summary.worst == pytest.approx(0.5)
    assert "network scan" in summary.worst_cell and summary.median == pytest.approx(0.0)
    assert rp.error_summary([]).count == 0 and "quick" in rp.error_summary([]).text()


def test_homog_table_phases() -> None:
    rows = pd.DataFrame([
        _row("linpack", 1000, "network", "ultra5", "ultra5", tx_bytes=8_020_000, scan_s=0.657,
             tx_s=0.79, restore_s=0.649 * 1.1, migrate_s=2.0),
        _row("bitonic", 8192, "network", "ultra5", "ultra5", tx_bytes=82_000, scan_s=0.275,
             tx_s=0.037, restore_s=0.214, migrate_s=0.5)])
    table = rp.homog_table(rows, rp.load_reference())
    assert set(table["phase"]) == {"collect", "tx", "restore", "migrate"}
    restore = table[(table.program == "linpack") & (table.phase == "restore")].iloc[0]
    assert restore["published_s"] == 0.649 and restore["rel_error"] == pytest.approx(0.1)
    assert table[table.phase != "migrate"]["published_s"].notna().all()


def test_findings_pass_on_the_papers_shapes() -> None:
    found = rp.findings(synthetic_hetero(), synthetic_scaling("superlinear"))
    assert [f.passed for f in found] == [True, True, True], [f.text() for f in found]
    assert "R^2 = 1.00000" in found[1].detail and "ratio" in found[2].detail


def test_findings_fail_honestly() -> None:
    hetero = synthetic_hetero()
    slow = (hetero.program == "bitonic") & (hetero["mode"] == "network")
    hetero.loc[slow, "migrate_s"] = 99.0
    scaling = synthetic_scaling("linear")
    bent = scaling.program == "linpack"
    scaling.loc[bent, "scan_s"] = scaling.loc[bent, "tx_bytes"] ** 2 * 1e-12 * [1, 3, 0.5, 2]
    found = rp.findings(hetero, scaling)
    assert [f.passed for f in found] == [False, False, False], [f.text() for f in found]
    assert rp.findings(hetero.iloc[0:0], scaling.iloc[0:0])[1].passed is False


def test_network_finding_names_unmeasured_problems() -> None:
    hetero = synthetic_hetero()
    hetero.loc[(hetero.program == "linpack") & (hetero["size_value"] == 1000), "verified"] = False
    found = rp.finding_network_faster(hetero)
    assert found.passed and "not measured (a run failed to verify): linpack n=1000" in found.detail
    only = hetero[hetero.program != "bitonic"].copy()
    only.loc[only.program == "test_pointer", "failed"] = True
    assert not rp.finding_network_faster(only).passed  # test_pointer could not be checked


def test_report_files(tmp_path: Path) -> None:
    report = rp.build_report(synthetic_hetero(), synthetic_scaling().iloc[0:0],
                             synthetic_scaling(), out=tmp_path, revision="abc1234")
    assert len(report.findings) == 3 and len(report.figures) == 3
    for name in ("table_hetero.csv", "table_homog.csv", "tables.md", "findings.md"):
        assert (tmp_path / name).is_file(), name
    assert sorted(p.name for p in (tmp_path / "figures").glob("*.png")) == [
        "bitonic_collect_restore.png", "linpack_collect_restore.png", "network_vs_file.png"]
    md = (tmp_path / "tables.md").read_text()
    assert "| linpack | n=1000 |" in md and "abc1234" in md
    findings = (tmp_path / "findings.md").read_text()
    assert findings.count("**PASS**") + findings.count("**FAIL**") == 3
    assert "median" in findings


# --- the notebook ---------------------------------------------------------------------


def test_notebook_executes_headless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no results it runs the quick reproduction itself (the real emulations, small
    sizes), then shows every table and figure; the kernel is this venv's python."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("TESTBED_RESULTS", str(tmp_path / "empty"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    assert nb.cells[-1].outputs[0]["text"].strip() == sys.prefix
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)
    assert "running the quick reproduction" in text
    assert "[PASS]" in text or "[FAIL]" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.outputs)
    assert images >= 5  # two inline plots of the scaling, the bar chart, three saved figures
