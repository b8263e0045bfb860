"""The classic runtime's item-by-item socket calls in network mode (testbed/migration/sockio.py)
and their calibration against Table 1's bitonic rows (testbed/calibration/sockio.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from testbed.calibration import Fitted
from testbed.calibration import sockio as sockio_fit
from testbed.calibration.cpu import Measured as CpuMeasured
from testbed.emu.isa import CLASSES
from testbed.emu.machines import resolve
from testbed.experiments.tables import phase_value
from testbed.migration.run import MigrationSpec, migrate
from testbed.migration.sockio import SocketCost, socket_cost
from testbed.migration.transfer import transfer
from testbed.net import simulate_transfer
from testbed.profiles import machine, machine_names
from testbed.reference import load


def test_socket_cost_is_per_item_in_each_machines_cycles() -> None:
    ultra5 = resolve("ultra5")
    clock = ultra5.profile.get("cpu.clock", "Hz")
    assert socket_cost(ultra5, ultra5, 0) == SocketCost(0.0, 0.0, 0.0)
    one, many = socket_cost(ultra5, ultra5, 1), socket_cost(ultra5, ultra5, 1000)
    assert many.write_s == pytest.approx(1000 * one.write_s) and many.read_s == pytest.approx(1000 * one.read_s)
    for path, seconds in (("sock.write_item", one.write_s), ("sock.read_item", one.read_s),
                          ("sock.send_item", one.send_s)):
        assert seconds > 0 and seconds == pytest.approx(ultra5.profile.get(path, "cycles") / clock)


def test_machines_without_a_fitted_socket_cost_pay_none() -> None:
    """Only the Ultra 5's Table 1 rows show a per-item cost; elsewhere the default is none
    (its source says why: the original's network/file speed-ups)."""
    for name in machine_names():
        if name == "ultra5":
            continue
        assert socket_cost(resolve(name), resolve(name), 10_000) == SocketCost(0.0, 0.0, 0.0)
        assert "4.6x to 42x" in machine(name).param("sock.write_item").source


def test_network_mode_prices_the_classic_items_and_not_the_modern_ones() -> None:
    ultra5 = resolve("ultra5")
    bulk = transfer(100_000, ultra5, ultra5, "100mbps", "network", runtime="modern", items=20_000)
    classic = transfer(100_000, ultra5, ultra5, "100mbps", "network", runtime="classic", items=20_000)
    calls = socket_cost(ultra5, ultra5, 20_000)
    assert bulk.write_s is None and bulk.read_s is None
    assert classic.write_s == pytest.approx(calls.write_s) and classic.read_s == pytest.approx(calls.read_s)
    assert classic.seconds == pytest.approx(bulk.seconds + calls.send_s) and calls.send_s > 0


def test_classic_network_migration_adds_its_socket_calls_to_collect_and_restore() -> None:
    spec = MigrationSpec("bitonic", "small", "ultra5", "ultra5", at="50%", runtime="classic", network="100mbps")
    r = migrate(spec)
    assert r.verified and r.stream.items > r.stream.blocks  # a pointer and a key per node at least
    calls = socket_cost(resolve("ultra5"), resolve("ultra5"), r.stream.items)
    assert calls.write_s > 0 and r.pricing.scan_write_s == pytest.approx(r.scan.seconds + calls.write_s)
    assert r.restore is not None
    assert r.pricing.read_restore_s == pytest.approx(calls.read_s + r.restore.seconds)
    assert r.pricing.migrate_s == pytest.approx(r.pricing.scan_write_s + r.pricing.tx_s + r.pricing.read_restore_s)
    modern = migrate(MigrationSpec("bitonic", "small", "ultra5", "ultra5", at="50%", network="100mbps"))
    assert modern.stream.items == 0 and modern.pricing.scan_write_s is None


def test_tables_take_network_phases_with_the_socket_calls_when_recorded() -> None:
    classic = pd.Series({"scan_s": 1.0, "scan_write_s": 1.5, "restore_s": 2.0, "read_restore_s": 2.25, "tx_s": 3.0})
    modern = pd.Series({"scan_s": 1.0, "scan_write_s": float("nan"), "restore_s": 2.0, "tx_s": 3.0})
    assert phase_value(classic, "network", "scan_s") == 1.5
    assert phase_value(classic, "network", "restore_s") == 2.25
    assert phase_value(classic, "network", "tx_s") == 3.0
    assert phase_value(modern, "network", "scan_s") == 1.0
    assert phase_value(classic, "file", "scan_write_s") == 1.5 and phase_value(None, "network", "scan_s") is None


def test_socket_fit_recovers_each_published_row_exactly() -> None:
    """A synthetic emulation: the fit's three values reproduce collect, tx and restore."""
    memory = 5.0
    counts = np.zeros(len(CLASSES))
    counts[CLASSES.index("load")] = 1e6
    scan = CpuMeasured(sockio_fit._target("collect"), counts, 0.275, 182_248)
    restore = CpuMeasured(sockio_fit._target("restore"), counts, 0.214, 182_248)
    items = 24_601
    cpu = [Fitted("ultra5", ("cpu.cycles.load", "cpu.cycles.store"), memory, "cycles", memory, (), "", "")]
    fitted = {f.paths[0]: f for f in sockio_fit.fit(sockio_fit.Measured(scan, restore, 182_248, items), cpu)}
    assert set(fitted) == {"sock.write_item", "sock.send_item", "sock.read_item"}
    ultra5 = resolve("ultra5")
    clock = ultra5.profile.get("cpu.clock", "Hz")
    base = 1e6 * memory / clock
    bulk = simulate_transfer(182_248, "ultra5", "ultra5", network="100mbps").tx_s
    for path, phase, start in (("sock.write_item", "collect", base), ("sock.read_item", "restore", base),
                               ("sock.send_item", "tx", bulk)):
        published = load().row(f"homog,bitonic,8192 keys,network,{phase}").seconds
        assert start + items * fitted[path].value / clock == pytest.approx(published)
        assert fitted[path].source.startswith(f"calibrated against homog,bitonic,8192 keys,network,{phase}")


def test_socket_parameters_fitted_are_exactly_the_ultra5_three() -> None:
    calibrated = {(name, p.path) for name in machine_names() for p in machine(name).params()
                  if p.path.startswith("sock.") and p.source.startswith("calibrated against")}
    assert calibrated == {("ultra5", path) for path, _, _ in sockio_fit.PARAMETERS}
