"""The classic runtime as the original: its XDR stream encoding and its file I/O
(docs/stream-format.md "The classic encoding", docs/runtimes.md "File I/O")."""

from __future__ import annotations

import numpy as np
import pytest

from testbed.build.migratable import type_table
from testbed.calibration import fileio as fileio_fit
from testbed.calibration.cpu import TARGETS, Measured, seconds
from testbed.calibration.cpu import fit as cpu_fit
from testbed.emu.isa import CLASSES
from testbed.emu.machines import resolve
from testbed.errors import StreamError
from testbed.migration import fileio
from testbed.migration.decode import is_xdr, replace_span, walk
from testbed.migration.run import MigrationSpec, migrate
from testbed.migration.streamfile import collect, restore
from testbed.migration.transfer import transfer
from testbed.profiles import machine, machine_names
from testbed.protocol import XDR
from testbed.reference import load


def _stream(program: str, runtime: str) -> bytes:
    return collect(MigrationSpec(program, "small", "mipsel", "sparc", at="50%", runtime=runtime))[1]


@pytest.mark.parametrize("program", ["bitonic", "test_pointer", "linpack", "matmul"])
def test_xdr_stream_holds_the_modern_structure_in_four_byte_items(program: str) -> None:
    classic, modern = _stream(program, "classic"), _stream(program, "modern")
    assert is_xdr(classic) and not is_xdr(modern)
    assert len(classic) % 4 == 0 and len(classic) > len(modern)
    types = type_table(program)
    c, m = walk(classic, types, detail=True), walk(modern, types)
    assert c.frames == m.frames
    assert [(b.segment, b.type, b.count, b.locator) for b in c.blocks] == \
           [(b.segment, b.type, b.count, b.locator) for b in m.blocks]
    assert [(p.tag, p.block, p.ordinal) for p in c.pointers] == [(p.tag, p.block, p.ordinal) for p in m.pointers]
    # every structural field is one unit, every unit starts on a multiple of four
    assert all(f.end - f.start == 4 and f.start % 4 == 0 for f in c.fields if not f.name.startswith("header."))


def test_xdr_pointer_units() -> None:
    """NULL is one unit, a reference two (id, ordinal), a new block's head one unit with
    its segment and type, then count and ordinal (and a locator off the heap)."""
    stream = _stream("test_pointer", "classic")
    m = walk(stream, type_table("test_pointer"), detail=True)
    word = {f.start: f.value for f in m.fields if f.name == "pointer"}
    for p in m.pointers:
        if p.tag == "null":
            assert word[p.at] == XDR.PTR_NULL
        elif p.tag == "ref":
            assert word[p.at] == p.block and p.id_span == (p.at, p.at + 4)
        else:
            block = m.blocks[p.block]
            assert word[p.at] & XDR.PTR_NEW and word[p.at] & XDR.PTR_TYPE_MASK == block.type + 1


def test_classic_destination_refuses_a_modern_stream_and_a_forged_reference() -> None:
    modern = _stream("bitonic", "modern")
    with pytest.raises(StreamError, match="classic \\(XDR\\) encoding"):
        restore(modern, "sparc", "bitonic", "small", runtime="classic")
    classic = _stream("test_pointer", "classic")
    ref = next(p for p in walk(classic, type_table("test_pointer")).pointers if p.tag == "ref")
    forged = replace_span(classic, ref.id_span, (999_999).to_bytes(4, "big"))
    with pytest.raises(StreamError, match="block id that does not exist"):
        restore(forged, "sparc", "test_pointer", "small", runtime="classic")


def test_write_cost_has_the_buffer_cache_knee() -> None:
    """Below the cache a file costs per unit and per call; beyond it each byte waits for
    the disk at the synchronous rate."""
    dec = resolve("dec5000")
    cache = fileio.buffer_cache_bytes(dec)
    assert cache == pytest.approx(0.1 * 32 * 2**20)
    small, double = fileio.write_cost(dec, 400_000), fileio.write_cost(dec, 800_000)
    assert small.synchronous_bytes == 0 and double.seconds == pytest.approx(2 * small.seconds, rel=1e-3)
    assert small.units == 100_000 and small.calls == 49
    below, above = fileio.write_cost(dec, 4_000_000), fileio.write_cost(dec, 8_000_000)
    slope = (above.seconds - below.seconds) / 4_000_000
    cached_slope = small.seconds / 400_000
    assert slope == pytest.approx(cached_slope + 1 / dec.profile.get("stdio.sync_rate", "B/s"), rel=1e-3)
    read = fileio.read_cost(resolve("ss20"), 8_000_000)
    assert read.synchronous_bytes == 0 and read.seconds < below.seconds


def test_file_mode_prices_the_classic_file_io() -> None:
    dec, ss20 = resolve("dec5000"), resolve("ss20")
    classic = transfer(1_000_000, dec, ss20, "10mbps", "file", runtime="classic")
    modern = transfer(1_000_000, dec, ss20, "10mbps", "file", runtime="modern")
    assert classic.write_s == pytest.approx(fileio.write_cost(dec, 1_000_000).seconds)
    assert classic.rcp_s == modern.rcp_s and classic.read_s > modern.read_s
    net = transfer(1_000_000, dec, ss20, "10mbps", "network", runtime="classic")
    assert net.seconds == transfer(1_000_000, dec, ss20, "10mbps", "network").seconds


def test_file_fit_recovers_the_values_that_produced_the_rows() -> None:
    """Synthetic emulations whose CPU phases the CPU fit makes the published network
    phases: the file fit then reproduces the scan_write rows exactly and the read_restore
    rows in least squares."""
    measured = []
    for t in TARGETS:
        counts = np.zeros(len(CLASSES))
        published = load().row(t.row).seconds
        counts[CLASSES.index("load")] = published * 1e7  # the same memory cost for every row
        measured.append(Measured(t, counts, published, 325_232 if t.problem == "n=200" else 8_021_232))
    cpu = cpu_fit(measured)
    fitted = {f.paths[0]: f for f in fileio_fit.fit(measured, cpu)}
    assert set(fitted) == {"stdio.put_unit", "stdio.sync_rate", "stdio.get_unit"}
    dec = resolve("dec5000")
    for f in fitted.values():
        assert f.source.startswith("calibrated against hetero,linpack,")
        assert all(r.after_s == pytest.approx(r.published_s, rel=0.05) for r in f.rows)
    # the exact fits reproduce their rows
    memory = {f.machine: f.value for f in cpu}
    small = next(m for m in measured if m.target.problem == "n=200" and m.target.side == "scan")
    put = fitted["stdio.put_unit"]
    model = seconds(small, memory["dec5000"]) + fileio.write_cost(dec, small.tx_bytes).seconds \
        + fileio.write_cost(dec, small.tx_bytes).units * (put.value - put.current) / dec.profile.get("cpu.clock", "Hz")
    assert model == pytest.approx(load().row("hetero,linpack,n=200,file,scan_write").seconds)


def test_classic_file_mode_migrates_small_programs() -> None:
    r = migrate(MigrationSpec("bitonic", "small", "mipsel", "sparc", at="50%", runtime="classic", mode="file"))
    assert r.verified and r.roundtrip_identical
    assert r.stream.write_calls == r.stream.tx_bytes // 4
    assert r.pricing.scan_write_s == pytest.approx(r.scan.seconds + fileio.write_cost(resolve("dec5000"),
                                                                                       r.stream.tx_bytes).seconds)


def test_file_io_parameters_fitted_are_exactly_the_three() -> None:
    """Only the three file-I/O values say "calibrated against", each naming its rows."""
    calibrated = {(name, p.path) for name in machine_names() for p in machine(name).params()
                  if p.path.startswith("stdio.") and p.source.startswith("calibrated against")}
    assert calibrated == set(fileio_fit.FITTED)
    for name, path in fileio_fit.FITTED:
        assert "hetero,linpack," in machine(name).param(path).source
