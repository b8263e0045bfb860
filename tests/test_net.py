"""Tests of the network and file-transfer models (testbed.net) and of ``testbed net``."""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testbed import reference
from testbed.calibration import network as calibration
from testbed.cli import main as cli_main
from testbed.errors import ConfigError
from testbed.net import (
    TransferResult,
    load_host,
    load_link,
    run_transfer,
    simulate_transfer,
)
from testbed.profiles import machine, machine_names, network, network_names

ROOT = Path(__file__).resolve().parent.parent
BIG = 8_021_232  # linpack n=1000 stream
SMALL = 325_232  # linpack n=200 stream


def ideal(nbytes: int, net: str) -> TransferResult:
    host = load_host("ultra5")
    return run_transfer(nbytes, host, host, load_link(net), ideal=True)


# ---------------------------------------------------------------------- analytic checks

def test_wire_sizes_match_ethernet_framing() -> None:
    link = load_link("10mbps")
    assert link.frame_wire_bytes(1460) + link.ifg == 1538  # 1460+20+20+14+4+8+12
    assert link.frame_wire_bytes(0) + link.ifg == 84  # a pure ACK is padded to 64 B
    assert link.ideal_goodput() == pytest.approx(1_155_063.29, abs=0.01)


def test_ideal_10mbps_goodput_is_92_4_percent() -> None:
    r = ideal(BIG, "10mbps")
    goodput = r.goodput_bps / 8  # B/s
    assert goodput == pytest.approx(1_155_063, rel=0.01)
    assert goodput / 1.25e6 == pytest.approx(0.924, abs=0.005)
    assert r.collisions == 0 and r.retransmits == 0


def test_ideal_acks_every_second_segment() -> None:
    r = ideal(BIG, "10mbps")
    segments = -(-BIG // 1460)
    # data + about one ACK per two segments + the handshake
    assert r.frames == pytest.approx(segments * 1.5, rel=0.01)


@pytest.mark.parametrize("nbytes", [1460, 100_000, 1_000_000, BIG])
def test_full_duplex_100mbps_never_exceeds_94_9_percent(nbytes: int) -> None:
    link = load_link("100mbps")
    bound = link.ideal_goodput()  # 1460/1538 of 12.5 MB/s
    assert bound / 12.5e6 == pytest.approx(0.9493, abs=1e-4)
    for r in (ideal(nbytes, "100mbps"), simulate_transfer(nbytes, "ultra5", "ultra5", "100mbps")):
        share = r.goodput_bps / 8 / 12.5e6
        assert r.goodput_bps / 8 <= bound * (1 + 1e-12)
        assert round(100 * share, 1) <= 94.9


@settings(max_examples=15, deadline=None)
@given(nbytes=st.integers(1, 400_000), background=st.sampled_from([0.0, 0.2]), seed=st.integers(0, 9))
def test_full_duplex_bound_holds_for_any_size(nbytes: int, background: float, seed: int) -> None:
    r = simulate_transfer(nbytes, "ultra5", "ultra5", "100mbps", background=background, seed=seed)
    assert r.goodput_bps / 8 <= load_link("100mbps").ideal_goodput()
    assert r.collisions == 0  # switched, full duplex


# ---------------------------------------------------------------------- reference rows

@pytest.mark.parametrize("check", [c for c in calibration.CHECKS if c.tolerance is not None],
                         ids=lambda c: c.keys[0])
def test_reference_rows_within_tolerance(check: calibration.Check) -> None:
    model, measured = check.model(), check.measured()
    assert abs(model / measured - 1) <= check.tolerance, (model, measured)


def test_reference_row_sizes() -> None:
    rows = reference.load()
    assert rows.row("hetero,linpack,n=1000,network,tx").tx_bytes == BIG
    assert rows.row("homog,linpack,n=1000,network,tx").tx_bytes == BIG  # from workloads.csv
    assert rows.row("hetero,linpack,n=200,file,rcp").seconds == 11.9


def test_hosts_of_the_era_are_cpu_bound() -> None:
    r = simulate_transfer(BIG, "dec5000", "ss20", "10mbps")
    assert r.goodput_bps / 8 < 0.8 * load_link("10mbps").ideal_goodput()


def test_fitted_parameters_are_exactly_the_calibrated_ones() -> None:
    """Every "calibrated against" source of the network model is listed in FITTED, and each
    names its rows. (The CPU calibration, cpu.*, is testbed/calibration/cpu.py's: test_calibrate;
    the classic file I/O, stdio.*, fileio.py's: test_classic_fidelity; its socket calls,
    sock.*, sockio.py's: test_classic_sockets.)"""
    calibrated = {(name, p.path) for name in machine_names() for p in machine(name).params()
                  if p.source.startswith("calibrated against") and not p.path.startswith(("cpu.", "stdio.", "sock."))}
    calibrated |= {(name, p.path) for name in network_names() for p in network(name).params()
                   if p.source.startswith("calibrated against")}
    assert calibrated == set(calibration.FITTED)
    keys = reference.load().keys()
    for name, path, _value, _unit, source in calibration.fitted_parameters():
        assert any(k in source for k in keys), (name, path)
    doc = (ROOT / "docs" / "network-model.md").read_text()
    for name, path in calibration.FITTED:
        assert f"{name}" in doc and path in doc


def test_docs_tables_are_current() -> None:
    """docs/network-model.md shows what the model and the profiles give now."""
    doc = (ROOT / "docs" / "network-model.md").read_text()
    assert calibration.markdown_table() in doc
    assert calibration.parameter_table("machine") in doc
    assert calibration.parameter_table("network") in doc


def test_every_model_parameter_has_unit_and_source() -> None:
    for name in machine_names():
        for table in ("netstack", "disk", "rcp"):
            params = machine(name).params(table)
            assert params, (name, table)
            assert all(p.unit and p.source for p in params)
    for name in network_names():
        assert all(p.unit and p.source for p in network(name).params())


# ---------------------------------------------------------------------- file mode

def test_file_mode_phases() -> None:
    r = simulate_transfer(SMALL, "dec5000", "ss20", "10mbps", mode="file")
    assert not r.failed
    assert r.write_s is not None and r.rcp_s is not None and r.read_s is not None
    assert r.tx_s == pytest.approx(r.write_s + r.rcp_s + r.read_s)
    assert r.rcp_s > load_host("ss20").rcp_setup  # set-up, then the copy
    assert r.goodput_bps == pytest.approx(SMALL * 8 / r.rcp_s)


def test_network_mode_has_no_file_phases() -> None:
    r = simulate_transfer(SMALL, "dec5000", "ss20")
    assert r.write_s is None and r.rcp_s is None and r.read_s is None
    assert r.goodput_bps == pytest.approx(SMALL * 8 / r.tx_s)


def test_disk_write_slows_when_write_behind_is_exhausted() -> None:
    dec = load_host("dec5000")
    small = run_transfer(dec.disk.write_behind // 2, dec, dec, load_link("10mbps"), mode="file")
    big = run_transfer(4 * dec.disk.write_behind, dec, dec, load_link("10mbps"), mode="file")
    assert small.write_s is not None and big.write_s is not None
    assert big.write_s / 8 > small.write_s  # 8x the bytes, more than 8x the time


def test_reread_from_cache_is_faster_than_from_disk() -> None:
    ss20 = load_host("ss20")
    uncached = replace(ss20, disk=replace(ss20.disk, file_cache=0))
    link = load_link("10mbps")
    hot = run_transfer(SMALL, ss20, ss20, link, mode="file")
    cold = run_transfer(SMALL, ss20, uncached, link, mode="file")
    assert hot.read_s is not None and cold.read_s is not None
    assert cold.read_s > 2 * hot.read_s


# ---------------------------------------------------------------------- contention

def test_background_load_slows_a_shared_10mbps_segment() -> None:
    quiet = simulate_transfer(1_000_000, "ultra5", "ultra5", "10mbps")
    busy = simulate_transfer(1_000_000, "ultra5", "ultra5", "10mbps", background=0.5)
    assert busy.tx_s > quiet.tx_s * 1.3
    assert busy.collisions > 0 and busy.background_frames > 0
    assert busy.delivered == 1_000_000 and not busy.failed


# ---------------------------------------------------------------------- faults

def test_loss_is_recovered_by_retransmission() -> None:
    clean = simulate_transfer(1_000_000, "dec5000", "ss20")
    lossy = simulate_transfer(1_000_000, "dec5000", "ss20", loss=0.02, seed=1)
    assert clean.retransmits == 0 and clean.lost_frames == 0
    assert not lossy.failed and lossy.delivered == 1_000_000
    assert lossy.lost_frames > 0 and lossy.retransmits > 0
    assert lossy.tx_s > clean.tx_s
    assert lossy.frames > clean.frames


@settings(max_examples=12, deadline=None)
@given(nbytes=st.integers(0, 300_000), loss=st.floats(0.0, 0.08), seed=st.integers(0, 1000),
       net=st.sampled_from(["10mbps", "100mbps"]))
def test_lossy_transfer_delivers_every_byte(nbytes: int, loss: float, seed: int, net: str) -> None:
    r = simulate_transfer(nbytes, "dec5000", "ultra5", net, loss=loss, seed=seed)
    assert not r.failed and r.reason is None
    assert r.delivered == nbytes


def test_link_failure_is_reported_not_silent() -> None:
    r = simulate_transfer(BIG, "dec5000", "ss20", fail_at=2.0)
    assert r.failed
    assert r.reason and "timed out" in r.reason
    assert 0 < r.delivered < BIG
    assert r.tx_s > 2.0


def test_link_failure_before_connecting() -> None:
    r = simulate_transfer(SMALL, "ultra5", "ultra5", "100mbps", fail_at=0.0)
    assert r.failed and r.reason and "connection set-up" in r.reason
    assert r.delivered == 0


def test_link_failure_during_rcp_stops_file_mode() -> None:
    r = simulate_transfer(BIG, "dec5000", "ss20", mode="file", fail_at=25.0)
    assert r.failed and r.reason and r.reason.startswith("rcp:")
    assert r.write_s is not None and r.rcp_s is not None
    assert r.read_s is None  # never read what did not arrive
    assert r.delivered < BIG


def test_failure_after_the_transfer_is_harmless() -> None:
    clean = simulate_transfer(SMALL, "dec5000", "ss20")
    late = simulate_transfer(SMALL, "dec5000", "ss20", fail_at=clean.tx_s + 1.0)
    assert not late.failed and late.tx_s == clean.tx_s


def test_deterministic() -> None:
    a = simulate_transfer(500_000, "dec5000", "ss20", loss=0.03, background=0.2, seed=7)
    b = simulate_transfer(500_000, "dec5000", "ss20", loss=0.03, background=0.2, seed=7)
    assert a == b and a.to_dict() == b.to_dict()


# ---------------------------------------------------------------------- errors and CLI

@pytest.mark.parametrize("kwargs", [
    {"nbytes": -1}, {"nbytes": True}, {"nbytes": 1.5}, {"src": "vax780"}, {"dst": "../ss20"},
    {"network": "1gbps"}, {"mode": "tape"}, {"loss": 1.0}, {"loss": -0.1},
    {"background": 1.0}, {"fail_at": -1.0}, {"loss": float("nan")},
])
def test_bad_input_is_a_config_error(kwargs: dict) -> None:
    args = {"nbytes": 1000, "src": "dec5000", "dst": "ss20"} | kwargs
    with pytest.raises(ConfigError):
        simulate_transfer(**args)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(["net", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--bytes", str(SMALL), "--src", "dec5000", "--dst", "ss20",
                           "--network", "10mbps", "--mode", "network", "--json")
    assert code == 0
    d = json.loads(out.strip().splitlines()[-1])
    for key in ("tx_s", "frames", "goodput_bps", "events", "failed", "reason"):
        assert key in d
    assert d["failed"] is False and d["reason"] is None and d["tx_s"] > 0


def test_cli_json_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--bytes", "100000", "--src", "dec5000", "--dst", "ss20",
                           "--mode", "file", "--json")
    assert code == 0
    d = json.loads(out.strip().splitlines()[-1])
    assert all(d[k] > 0 for k in ("write_s", "rcp_s", "read_s", "frames", "goodput_bps", "events"))


def test_cli_reports_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--bytes", str(SMALL), "--src", "dec5000", "--dst", "ss20",
                           "--fail-at", "0.1", "--json")
    assert code == 1
    d = json.loads(out.strip().splitlines()[-1])
    assert d["failed"] is True and d["reason"]
    code, out, _ = run_cli(capsys, "--bytes", str(SMALL), "--src", "dec5000", "--dst", "ss20",
                           "--fail-at", "0.1")
    assert code == 1 and "FAILED" in out


def test_cli_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--bytes", "5000", "--src", "ss20", "--dst", "dec5000",
                           "--background", "0.1", "--loss", "0.01")
    assert code == 0 and "ss20 -> dec5000" in out and "goodput" in out


@pytest.mark.parametrize("argv", [
    ["--bytes", "-5", "--src", "dec5000", "--dst", "ss20"],
    ["--bytes", "5", "--src", "pdp11", "--dst", "ss20"],
    ["--bytes", "5", "--src", "dec5000", "--dst", "ss20", "--network", "token-ring"],
    ["--bytes", "5", "--src", "dec5000", "--dst", "ss20", "--loss", "1.5"],
])
def test_cli_bad_input_is_one_readable_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.startswith("testbed: error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


# ---------------------------------------------------------------------- benchmark

def test_simulating_8mb_takes_under_a_second() -> None:
    for net, src, dst in (("10mbps", "dec5000", "ss20"), ("100mbps", "ultra5", "ultra5")):
        t0 = time.perf_counter()
        simulate_transfer(BIG, src, dst, net)
        assert time.perf_counter() - t0 < 1.0, net


def test_bench_script_importable() -> None:
    spec = importlib.util.spec_from_file_location("bench_net", ROOT / "benchmarks" / "bench_net.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r = module.bench_net(nbytes=200_000, repeat=1)
    assert r["10mbps"]["host_s"] < 1.0 and r["100mbps"]["events"] > 0
