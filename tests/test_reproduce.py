"""The reproduction (testbed reproduce): the reference rows, the tables, findings and
reports computed from synthetic rows, and the notebook, which runs the quick reproduction
for real. (Experiment files, sweeps and crash isolation: tests/test_experiments.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from testbed import PROJECT_DIR, reference
from testbed.bench import COLLECTION_KEYS
from testbed.cli import main
from testbed.errors import ConfigError
from testbed.experiments import config as cfg
from testbed.experiments import findings as fd
from testbed.experiments import fits
from testbed.experiments import reproduce as rp
from testbed.experiments import tables as tb
from testbed.experiments.report import build_report
from testbed.experiments.runner import (
    group_runs,
)

EXPERIMENTS = PROJECT_DIR / "experiments"
NOTEBOOK = EXPERIMENTS / "analysis.ipynb"

# --- the reference rows -------------------------------------------------------------------


def test_reference_rows_are_typed_and_complete() -> None:
    ref = reference.load()
    assert len(ref.measurements) == 22 and len(set(ref.keys())) == 22
    tx = ref.row("hetero,linpack,n=1000,network,tx")
    assert (tx.src, tx.dst, tx.network, tx.tx_bytes, tx.seconds) == (
        "dec5000", "ss20", "10mbps", 8021232, 9.815)
    homog = ref.row("homog,linpack,n=1000,network,tx")  # its row leaves tx_bytes to workloads.csv
    assert (homog.src, homog.network, homog.tx_bytes) == ("ultra5", "100mbps", 8021232)
    assert ref.seconds("hetero", "linpack", "n=200", "file", "rcp") == 11.9
    assert ref.seconds("hetero", "linpack", "n=200", "file", "nothing") is None
    assert ref.workload_bytes("bitonic") == (46704, 182248)
    assert {"n=200", "8192 keys", "large"} <= ref.problems()
    with pytest.raises(ConfigError, match="no reference row 'hetero,linpack,n=3,network,tx'"):
        ref.row("hetero,linpack,n=3,network,tx")


def _reference_copy(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    for name in (reference.MEASUREMENTS, reference.WORKLOADS):
        text = (reference.REFERENCE_DIR / name).read_text()
        if edit is not None and name == reference.MEASUREMENTS:
            assert edit[0] in text
            text = text.replace(edit[0], edit[1], 1)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(("edit", "message"), [
    (("DECstation 5000/120,SPARCstation 20", "DECstation 3100,SPARCstation 20"),
     r"measurements.csv line 2: src_machine 'DECstation 3100' is not valid; known: DECstation"),
    ((",0.303", ",fast"), r"line 2: seconds 'fast' is not valid"),
    (("table,program", "tabel,program"), r"the header lacks the column\(s\) table"),
    (("network,tx,0.357", "network,scan,0.357"), r"more than one row for hetero,linpack,n=200,network,scan"),
])
def test_bad_reference_files_are_one_clear_error(tmp_path: Path, edit: tuple[str, str],
                                                 message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        reference.load(_reference_copy(tmp_path, edit))


def test_missing_reference_file(tmp_path: Path) -> None:
    (_reference_copy(tmp_path) / reference.WORKLOADS).unlink()
    with pytest.raises(ConfigError, match="workloads.csv does not exist"):
        reference.load(tmp_path)


# --- the reproduction's logic on synthetic rows -----------------------------------------


def _published(program: str, problem: str, mode: str, phase: str, table: str = "hetero") -> float:
    seconds = reference.load().seconds(table, program, problem, mode, phase)
    assert seconds is not None, (table, program, problem, mode, phase)
    return seconds


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
    assert tb.problem_label("linpack", 1000) == "n=1000"
    assert tb.problem_label("bitonic", 8192) == "8192 keys"
    assert tb.problem_label("test_pointer", 18281) == "small"
    assert tb.problem_label("test_pointer", 50815) == "large"
    assert tb.problem_label("test_pointer", 200) == "200 nodes"  # the test size is not "small"
    problems = reference.load().problems()
    for prog in ("linpack", "bitonic", "test_pointer"):
        for size in ("paper1", "paper2"):
            assert tb.problem_label(prog, cfg.size_value(prog, size)) in problems


def test_hetero_table_matches_published_rows_and_derives_difference() -> None:
    table = tb.hetero_table(synthetic_hetero(), reference.load())
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
    summary = tb.error_summary([table])
    assert summary.count == 16 and summary.worst == pytest.approx(0, abs=1e-12)


def test_error_summary_reports_median_and_worst() -> None:
    table = tb.hetero_table(synthetic_hetero(scale=1.5), reference.load())
    summary = tb.error_summary([table])
    assert summary.worst == pytest.approx(0.5)
    assert "network scan" in summary.worst_cell and summary.median == pytest.approx(0.0)
    assert tb.error_summary([]).count == 0 and "quick" in tb.error_summary([]).text()


def test_homog_table_phases() -> None:
    rows = pd.DataFrame([
        _row("linpack", 1000, "network", "ultra5", "ultra5", tx_bytes=8_020_000, scan_s=0.657,
             tx_s=0.79, restore_s=0.649 * 1.1, migrate_s=2.0),
        _row("bitonic", 8192, "network", "ultra5", "ultra5", tx_bytes=82_000, scan_s=0.275,
             tx_s=0.037, restore_s=0.214, migrate_s=0.5)])
    table = tb.homog_table(rows, reference.load())
    assert set(table["phase"]) == {"collect", "tx", "restore", "migrate"}
    restore = table[(table.program == "linpack") & (table.phase == "restore")].iloc[0]
    assert restore["published_s"] == 0.649 and restore["rel_error"] == pytest.approx(0.1)
    assert table[table.phase != "migrate"]["published_s"].notna().all()


def test_findings_pass_on_the_papers_shapes() -> None:
    found = fd.findings(synthetic_hetero(), synthetic_scaling("superlinear"))
    assert [f.passed for f in found] == [True, True, True], [f.text() for f in found]
    assert "R^2 = 1.00000" in found[1].detail and "ratio" in found[2].detail


def test_findings_fail_honestly() -> None:
    hetero = synthetic_hetero()
    slow = (hetero.program == "bitonic") & (hetero["mode"] == "network")
    hetero.loc[slow, "migrate_s"] = 99.0
    scaling = synthetic_scaling("linear")
    bent = scaling.program == "linpack"
    scaling.loc[bent, "scan_s"] = scaling.loc[bent, "tx_bytes"] ** 2 * 1e-12 * [1, 3, 0.5, 2]
    found = fd.findings(hetero, scaling)
    assert [f.passed for f in found] == [False, False, False], [f.text() for f in found]
    assert fd.findings(hetero.iloc[0:0], scaling.iloc[0:0])[1].passed is False


def test_network_finding_names_unmeasured_problems() -> None:
    hetero = synthetic_hetero()
    hetero.loc[(hetero.program == "linpack") & (hetero["size_value"] == 1000), "verified"] = False
    found = fd.finding_network_faster(hetero)
    assert found.passed and "not measured (a run failed to verify): linpack n=1000" in found.detail
    only = hetero[hetero.program != "bitonic"].copy()
    only.loc[only.program == "test_pointer", "failed"] = True
    assert not fd.finding_network_faster(only).passed  # test_pointer could not be checked


def synthetic_runtimes() -> pd.DataFrame:
    """Two workloads on both runtimes, network and file mode; test_pointer's classic file
    run failed to verify."""
    rows = []
    for runtime, scan, writes in (("classic", 0.3, 2.0), ("modern", 0.2, 1.0)):
        for prog, n in (("linpack", 200), ("test_pointer", 18281)):
            common = {"runtime": runtime, "tx_bytes": 1000, "scan_s": scan, "restore_s": 0.1}
            rows.append(_row(prog, n, "network", migrate_s=scan + 0.2, tx_s=0.1, **common))
            rows.append(_row(prog, n, "file", migrate_s=10.0 + writes, **common))
    frame = pd.DataFrame(rows)
    bad = (frame.program == "test_pointer") & (frame.runtime == "classic") & (frame["mode"] == "file")
    frame.loc[bad, "verified"] = False
    return frame


def test_runtime_table_ratios() -> None:
    table = tb.runtime_table(synthetic_runtimes())
    assert list(table.columns) == list(tb.RUNTIME_COLUMNS)
    assert list(table["quantity"].unique()) == ["scan_s", "restore_s", "tx_bytes",
                                                "migrate_s network", "migrate_s file"]
    assert len(table) == 2 * 5 and list(table["problem"].unique()) == ["n=200", "small"]
    cell = table.set_index(["program", "quantity"])
    assert cell.loc[("linpack", "scan_s"), "ratio"] == pytest.approx(1.5)
    assert cell.loc[("linpack", "migrate_s network"), "classic"] == pytest.approx(0.5)
    assert cell.loc[("linpack", "migrate_s file"), "ratio"] == pytest.approx(12 / 11)
    assert cell.loc[("linpack", "tx_bytes"), "ratio"] == 1.0
    failed = cell.loc[("test_pointer", "migrate_s file")]  # its classic run did not verify
    assert pd.isna(failed["classic"]) and pd.isna(failed["ratio"]) and failed["modern"] == 11.0
    assert cell.loc[("test_pointer", "scan_s"), "ratio"] == pytest.approx(1.5)  # from network
    view = tb.markdown_table(tb.display_runtime_table(table))
    assert "| linpack | n=200 | tx_bytes | 1,000 | 1,000 | 1.000 |" in view
    assert "| test_pointer | small | migrate_s file | - | 11.0000 | - |" in view


def synthetic_collection(classic_step: float = 40.0, modern: tuple[float, ...] = (
        460, 470, 480, 470, 490, 496)) -> pd.DataFrame:
    """bitonic 2,048..65,536 keys (blocks = keys + 1) on both runtimes; classic's scan cost
    per block rises by ``classic_step`` instructions per doubling."""
    rows = []
    for i, keys in enumerate(COLLECTION_KEYS):
        blocks = keys + 1
        for runtime, per_block in (("classic", 940 + classic_step * i), ("modern", modern[i])):
            for mode in ("network", "file"):  # another mode repeats the emulation
                rows.append(_row("bitonic", keys, mode, runtime=runtime, blocks=blocks,
                                 tx_bytes=10 * keys, scan_instructions=per_block * blocks,
                                 restore_instructions=880 * blocks))
    return pd.DataFrame(rows)


def test_collection_points_and_trend_match_the_bench_formula() -> None:
    points = fits.collection_points(synthetic_collection())
    assert len(points) == 12 and list(points["runtime"].unique()) == ["classic", "modern"]
    assert points["restore_per_block"].eq(880).all()
    classic = fits.per_block_trend(points, "classic")
    modern = fits.per_block_trend(points, "modern")
    assert classic is not None and modern is not None
    # the blocks are keys + 1: log2 is not exactly an integer step, the slope is close to 40
    assert classic.slope_per_log2 == pytest.approx(40, rel=1e-3)
    values = [460, 470, 480, 470, 490, 496]
    mean = sum(values) / 6
    assert modern.spread == pytest.approx(max(abs(v - mean) for v in values) / mean)
    assert classic.blocks[0] == 2049 and classic.per_block[-1] == pytest.approx(1140)
    assert fits.per_block_trend(points.iloc[0:1], "classic") is None


def test_collection_finding_pass_and_fail() -> None:
    good = fd.finding_collection_per_block(synthetic_collection())
    assert good.passed, good.text()
    assert "classic: 940 -> 1,140" in good.detail and "+40.0 per doubling" in good.detail
    assert "2,049 to 65,537 blocks" in good.detail
    flat = fd.finding_collection_per_block(synthetic_collection(classic_step=5))
    assert not flat.passed and "+5.0 per doubling" in flat.detail
    wide = fd.finding_collection_per_block(synthetic_collection(modern=(400, 450, 500, 550, 600, 650)))
    assert not wide.passed and "spread 23.8%" in wide.detail
    rows = synthetic_collection()
    assert not fd.finding_collection_per_block(rows[rows.runtime == "classic"]).passed
    assert "too few for modern" in fd.finding_collection_per_block(
        rows[rows.runtime == "classic"]).detail
    assert not fd.finding_collection_per_block(rows.iloc[0:0]).passed
    # findings() adds it when given the rows, and names the runtime of the others
    scaling = synthetic_scaling().assign(runtime="classic")
    found = fd.findings(synthetic_hetero().assign(runtime="classic"), scaling, rows)
    assert len(found) == 4 and found[3].passed
    assert found[2].claim.endswith("(classic runtime)")


def test_report_files(tmp_path: Path) -> None:
    report = build_report(synthetic_hetero(), synthetic_scaling().iloc[0:0],
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


def test_report_files_with_the_runtime_comparison(tmp_path: Path) -> None:
    report = build_report(synthetic_hetero().assign(runtime="classic"),
                             synthetic_scaling().iloc[0:0], synthetic_scaling(), out=tmp_path,
                             revision="abc1234", runtimes_rows=synthetic_runtimes(),
                             collection_rows=synthetic_collection())
    assert report.runtime == "classic" and len(report.findings) == 4
    assert sorted(p.name for p in report.figures) == [
        "bitonic_collect_restore.png", "collection_per_block.png", "linpack_collect_restore.png",
        "network_vs_file.png"]
    assert set(pd.read_csv(tmp_path / "table_hetero.csv")["runtime"]) == {"classic"}
    table = pd.read_csv(tmp_path / "table_runtimes.csv")
    assert len(table) == 10 and table["ratio"].notna().sum() == 9
    md = (tmp_path / "tables.md").read_text()
    assert "## Classic against modern runtime" in md and "classic/modern" in md
    assert "## Collection cost per block" in md and "| classic | 65,536 | 65,537 | 1,140.0 |" in md
    assert "**classic** runtime" in md
    findings = (tmp_path / "findings.md").read_text()
    assert findings.count("**PASS**") + findings.count("**FAIL**") == 4
    assert "on the classic runtime" in findings.splitlines()[0]


def test_reproduction_grids_are_the_files() -> None:
    hetero, homog, scaling, runtimes, collection = rp.all_experiments()
    assert [e.source for e in rp.all_experiments()] == [
        str(EXPERIMENTS / f"{name}.toml") for name in (*rp.PAPER_GRIDS, *rp.RUNTIME_GRIDS)]
    assert tuple(sorted({r.size_value for r in collection.runs()})) == COLLECTION_KEYS  # the bench's
    assert {r.runtime for e in (hetero, homog, scaling) for r in e.runs()} == {"classic"}
    assert {r.runtime for r in rp.experiments(runtime="modern")[0].runs()} == {"modern"}
    assert all(r.roundtrip for r in rp.experiments(runtime="modern")[0].runs())
    # classic runs check no round trip (quadratic); modern ones do
    for e in (runtimes, collection):
        assert {(r.runtime, r.roundtrip) for r in e.runs()} == {("classic", False),
                                                                 ("modern", True)}
    # the classic runtime comparison is the heterogeneous table: no extra emulation
    assert {r.config_hash for r in hetero.runs()} <= {r.config_hash for r in runtimes.runs()}
    every = [r for e in rp.all_experiments() for r in e.runs()]
    assert len(group_runs(every)) == 29
    assert [e.name for e in rp.all_experiments(quick=True)] == [
        "hetero-quick", "homog-quick", "scaling-quick", "runtimes-quick", "collection-quick"]
    with pytest.raises(ConfigError, match="'v2'"):
        rp.experiments(runtime="v2")


def test_reproduction_reads_its_grids_from_the_directory(tmp_path: Path) -> None:
    """An edited file changes the reproduction: there is no other copy of the grids."""
    for path in EXPERIMENTS.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    homog = tmp_path / "homog.toml"
    homog.write_text(homog.read_text().replace('sizes = ["paper2"]', 'sizes = ["paper1"]'))
    grids = {e.name: e for e in rp.all_experiments(directory=tmp_path)}
    assert {r.size for r in grids["homog"].runs()} == {"paper1"}
    assert {r.size for r in rp.load_grid("homog").runs()} == {"paper2"}
    homog.write_text(homog.read_text().replace('name = "homog"', 'name = "table1"'))
    with pytest.raises(ConfigError, match="name is 'table1'.*must be 'homog'"):
        rp.experiments(directory=tmp_path)
    homog.unlink()
    with pytest.raises(ConfigError, match="homog.toml does not exist"):
        rp.experiments(directory=tmp_path)


def test_reproduce_with_a_broken_grid_file_is_one_error_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for path in EXPERIMENTS.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    scaling = tmp_path / "scaling.toml"
    scaling.write_text(scaling.read_text().replace('modes = ["network"]', 'modes = ["carrier pigeon"]'))
    monkeypatch.setattr(rp, "EXPERIMENTS_DIR", tmp_path)
    assert main(["reproduce", "--quick", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("testbed: error: ") and err.count("\n") == 1
    assert "scaling.toml" in err and "'carrier pigeon'" in err
    assert not (tmp_path / "out").exists()  # nothing ran


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
    assert "collection cost per block" in text and "classic runtime" in text
    html = "\n".join(o.get("data", {}).get("text/html", "") for c in nb.cells
                     if c.cell_type == "code" for o in c.outputs)
    assert "classic/modern" in html  # the runtime comparison table
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.outputs)
    assert images >= 7  # scaling, bar chart, per-block inline; four saved figures


def _bitonic_rows(scan_per_block: list[float], restore_per_block: list[float]) -> pd.DataFrame:
    keys = [2048, 4096, 8192, 16384, 32768]
    return pd.DataFrame({
        "program": "bitonic", "size_value": keys, "tx_bytes": [10 * k for k in keys],
        "scan_s": [k * c * 1e-6 for k, c in zip(keys, scan_per_block, strict=True)],
        "restore_s": [k * c * 1e-6 for k, c in zip(keys, restore_per_block, strict=True)],
        "verified": True, "failed": False, "runtime": "classic",
    })


def test_bitonic_finding_is_about_growth_rates() -> None:
    from testbed.experiments.findings import finding_bitonic_collection

    # collection n log n, restoration linear, restoration dearer per block: PASS
    grows = finding_bitonic_collection(_bitonic_rows([940, 980, 1020, 1060, 1100], [1200] * 5))
    assert grows.passed, grows.detail
    # both linear: the ratio does not rise: FAIL
    flat = finding_bitonic_collection(_bitonic_rows([1000] * 5, [900] * 5))
    assert not flat.passed, flat.detail
