"""The calibrations (testbed/calibration): the CPU fit on synthetic counts (the measurement
itself takes minutes: `testbed calibrate`), the network fits on the transfer model, the
report, and the profile writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from testbed import reference
from testbed.calibration import Fitted, RowFit, network, report, writer
from testbed.calibration.cpu import PATHS, TARGETS, Measured, fit
from testbed.cli import main
from testbed.emu.isa import CLASS_INDEX, CLASSES
from testbed.errors import ConfigError
from testbed.profiles import COMMON_DIR, MACHINE_DIR, Profile, load_profile, machine


def test_fit_recovers_the_memory_cost_that_produced_the_times() -> None:
    true_cycles = 3.0
    measured = []
    for i, target in enumerate(t for t in TARGETS if t.machine == "ss20"):
        counts = np.zeros(len(CLASSES))
        counts[CLASS_INDEX["load"]] = 1e6 * (i + 1)
        counts[CLASS_INDEX["store"]] = 5e5 * (i + 1)
        counts[CLASS_INDEX["alu"]] = 2e6 * (i + 1)
        prof = machine("ss20")
        seconds = (counts[CLASS_INDEX["alu"]] * prof.get("cpu.cycles.alu", "cycles")
                   + (counts[CLASS_INDEX["load"]] + counts[CLASS_INDEX["store"]]) * true_cycles) / prof.get("cpu.clock", "Hz")
        measured.append(Measured(target, counts, seconds))
    (result,) = fit(measured)
    assert result.machine == "ss20" and result.paths == PATHS and result.unit == "cycles"
    assert result.value == pytest.approx(true_cycles, rel=1e-9)
    assert [r.key for r in result.rows] == [t.row for t in TARGETS if t.machine == "ss20"]
    assert all(r.after_s == pytest.approx(r.published_s) for r in result.rows)
    text = report([result])
    assert "ss20 cpu.cycles.load = ss20 cpu.cycles.store = 3 cycles" in text
    assert all(r.key in text for r in result.rows)


def test_cpu_targets_are_reference_rows() -> None:
    ref = reference.load()
    for t in TARGETS:
        m = ref.row(t.row)
        assert (m.src, m.dst, m.network) == (t.src, t.dst, t.network)


def test_calibrated_parameters_say_what_they_were_fitted_to() -> None:
    for name in ("dec5000", "ss20", "ultra5"):
        for cls in ("load", "store"):
            assert machine(name).param(f"cpu.cycles.{cls}").source.startswith("calibrated against")


def test_network_fit_reproduces_the_profiles_and_names_its_rows() -> None:
    """The profiles hold the fits' values (to the digits written); each fitted parameter
    names the rows it was fitted to, and after the fit the model meets them."""
    fitted = network.fit()
    assert [(f.machine, f.paths[0]) for f in fitted] == list(network.FITTED)
    keys = set(reference.load().keys())
    for f in fitted:
        assert f.value == pytest.approx(f.current, rel=2e-3), f.text()
        assert f.unit == machine(f.machine).param(f.paths[0]).unit
        assert f.rows and {r.key for r in f.rows} <= keys
        assert f.source.startswith(f"calibrated against {f.rows[0].key}")
        assert "testbed calibrate --network" in f.source
        for r in f.rows:
            assert abs(r.after_s / r.published_s - 1) < 0.06, r.text()


def _profile(path: Path) -> Profile:
    return load_profile("machine", path)  # the typed schema checks what the writer wrote


def _fitted(value: float, unit: str = "us/B", path: str = "netstack.per_byte") -> Fitted:
    row = RowFit("hetero,linpack,n=200,network,tx", 0.357, 0.3779, 0.3570)
    return Fitted("dec5000", (path,), value, unit, 0.998, (row,), "a test fit",
                  "testbed calibrate --network", "what it stands for")


def test_written_value_loads_back_and_the_rest_of_the_file_is_unchanged(tmp_path: Path) -> None:
    shutil.copy(MACHINE_DIR / "dec5000.toml", tmp_path / "dec5000.toml")
    path = tmp_path / "dec5000.toml"
    before = path.read_text().splitlines()
    fitted = _fitted(1.234567)
    assert writer.write([fitted], tmp_path) == [f"{path}: netstack.per_byte = 1.235"]
    after = path.read_text().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert after[changed[0]] == (
        'per_byte   = { value = 1.235, unit = "us/B", source = "calibrated against '
        'hetero,linpack,n=200,network,tx (a test fit; testbed calibrate --network): what it '
        'stands for" }')
    param = _profile(path).param("netstack.per_byte")
    assert (param.value, param.unit, param.source) == (1.235, "us/B", fitted.source)
    # the same profile without the writer: every other parameter as it was
    original = _profile(MACHINE_DIR / "dec5000.toml")
    assert [p for p in _profile(path).params() if p.path != "netstack.per_byte"] == [
        p for p in original.params() if p.path != "netstack.per_byte"]


def test_writer_keeps_the_files_unit(tmp_path: Path) -> None:
    shutil.copy(MACHINE_DIR / "dec5000.toml", tmp_path / "dec5000.toml")
    path = tmp_path / "dec5000.toml"
    written = writer.write_parameter(path, "netstack.per_byte", 1.5e-6, "s/B", "calibrated against x")
    assert written == 1.5
    assert _profile(path).param("netstack.per_byte").unit == "us/B"
    text = path.read_text()
    with pytest.raises(ConfigError, match="not written: .* unknown key 'extra' in \\[cpu.cycles\\]"):
        writer.write_parameter(path, "cpu.cycles.extra", 2.0, "cycles", "calibrated against y")
    assert path.read_text() == text and sorted(p.name for p in tmp_path.iterdir()) == ["dec5000.toml"]
    with pytest.raises(ConfigError, match="cannot be converted"):
        writer.write_parameter(path, "netstack.per_byte", 1.0, "s", "calibrated against z")
    with pytest.raises(ConfigError, match="'machine.name' is not a { value, unit, source }"):
        writer.write_parameter(path, "machine.name", 1.0, "s", "calibrated against z")
    with pytest.raises(ConfigError, match="does not exist"):
        writer.write_parameter(tmp_path / "none.toml", "cpu.clock", 1.0, "Hz", "x")


def test_an_inherited_parameter_is_overridden_in_the_machines_file(tmp_path: Path) -> None:
    """ss20 takes disk.write_behind from common/solaris-ufs.toml (extends): the write goes
    into ss20's own file, the shared file stays as it is."""
    shutil.copy(MACHINE_DIR / "ss20.toml", tmp_path / "ss20.toml")
    shared = (COMMON_DIR / "solaris-ufs.toml").read_text()
    path = tmp_path / "ss20.toml"
    assert "write_behind" not in path.read_text()
    assert writer.write_parameter(path, "disk.write_behind", 512 * 1024, "B",
                                  "calibrated against x") == 512
    param = _profile(path).param("disk.write_behind")
    assert (param.value, param.unit, param.source) == (512, "KiB", "calibrated against x")
    assert (COMMON_DIR / "solaris-ufs.toml").read_text() == shared


def test_calibrate_network_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--network"]) == 0
    out = capsys.readouterr().out
    for name, path in network.FITTED:
        assert f"{name} {path} = " in out
    assert "hetero,linpack,n=1000,file,rcp" in out and "published" in out and "after" in out
    assert "written" not in out
