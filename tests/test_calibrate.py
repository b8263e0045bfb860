"""The CPU calibration's fit, on synthetic counts (the measurement itself takes minutes:
`testbed calibrate`)."""

from __future__ import annotations

import numpy as np
import pytest

from testbed.calibrate import TARGETS, fit
from testbed.emu.isa import CLASS_INDEX, CLASSES
from testbed.profiles import machine


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
        measured.append({"target": target, "counts": counts, "published_s": seconds})
    result = fit(measured)["ss20"]
    assert result["memory_cycles"] == pytest.approx(true_cycles, rel=1e-9)
    assert all(after == pytest.approx(pub) for _, pub, _, after in result["rows"])


def test_calibrated_parameters_say_what_they_were_fitted_to() -> None:
    for name in ("dec5000", "ss20", "ultra5"):
        for cls in ("load", "store"):
            assert machine(name).param(f"cpu.cycles.{cls}").source.startswith("calibrated against")
