"""File-mode calibration: the classic runtime's file I/O (testbed/migration/fileio.py)
against the published linpack file rows.

The published scan_write is the collection plus writing the file, read_restore reading it
plus the restoration. The collection and the restoration are the CPU calibration's
(:mod:`.cpu`, fitted to the network rows with the same emulations), so what the file rows
add is the file I/O. Three values are fitted, everything else of the model comes from
the profiles with its source (the buffer cache's share of memory, the stdio buffer, the
system call and copy costs):

- dec5000 ``stdio.put_unit``, the cycles of one fwrite() of a 4-byte XDR unit, from
  n=200's scan_write: its 325 KB fit in the 3.2 MiB buffer cache, so nothing else of the
  model is unknown there;
- dec5000 ``stdio.sync_rate``, the write rate once the buffer cache is full, from n=1000's
  scan_write: 8 MB, of which all but the cache's 3.2 MiB are written synchronously;
- ss20 ``stdio.get_unit``, the cycles of one fread() of a unit, from both read_restore rows
  (least squares on relative error: one value for two rows), the file system below read()
  priced by the network model as in :func:`testbed.migration.transfer.transfer`.
"""

from __future__ import annotations

from testbed.calibration import Fitted, RowFit
from testbed.calibration.cpu import Measured, seconds
from testbed.emu.machines import resolve
from testbed.migration import fileio
from testbed.net import simulate_transfer
from testbed.reference import load

COMMAND = "testbed calibrate"
# The parameters this module fits (every other stdio.* value is an estimate with a source).
FITTED = (("dec5000", "stdio.put_unit"), ("dec5000", "stdio.sync_rate"), ("ss20", "stdio.get_unit"))


def _file_row(program: str, problem: str, phase: str) -> tuple[str, float]:
    key = f"hetero,{program},{problem},file,{phase}"
    return key, load().row(key).seconds


def _phase(measured: list[Measured], problem: str, side: str) -> Measured:
    return next(m for m in measured if m.target.table == "hetero" and m.target.problem == problem
                and m.target.side == side)


def fit(measured: list[Measured], cpu_fitted: list[Fitted]) -> list[Fitted]:
    """The three file-I/O values, given the CPU fit's load/store cycles per machine."""
    memory = {f.machine: f.value for f in cpu_fitted}
    dec, ss20 = resolve("dec5000"), resolve("ss20")
    results = []

    # put_unit: n=200's file sits in the buffer cache, written at the per-unit cost
    small = _phase(measured, "n=200", "scan")
    key, published = _file_row("linpack", "n=200", "scan_write")
    scan_s = seconds(small, memory["dec5000"])
    before = fileio.write_cost(dec, small.tx_bytes)
    clock = dec.profile.get("cpu.clock", "Hz")
    current_unit = dec.profile.get("stdio.put_unit", "cycles")
    other_s = before.seconds - before.units * current_unit / clock
    put_unit = (published - scan_s - other_s) * clock / before.units
    results.append(Fitted("dec5000", ("stdio.put_unit",), put_unit, "cycles", current_unit,
                          (RowFit(key, published, scan_s + before.seconds, published),),
                          "exact: the file fits in the buffer cache", COMMAND,
                          "one fwrite() of a 4-byte XDR unit through Ultrix stdio"))

    # sync_rate: n=1000 writes all but the buffer cache's share synchronously
    large = _phase(measured, "n=1000", "scan")
    key, published = _file_row("linpack", "n=1000", "scan_write")
    scan_s = seconds(large, memory["dec5000"])
    before = fileio.write_cost(dec, large.tx_bytes)
    current_rate = dec.profile.get("stdio.sync_rate", "B/s")
    cached_s = (before.seconds - before.synchronous_bytes / current_rate
                + before.units * (put_unit - current_unit) / clock)
    rate = before.synchronous_bytes / (published - scan_s - cached_s)
    results.append(Fitted("dec5000", ("stdio.sync_rate",), rate / 1e6, "MB/s", current_rate / 1e6,
                          (RowFit(key, published, scan_s + before.seconds, published),),
                          f"exact, with put_unit as fitted and a buffer cache of "
                          f"{fileio.buffer_cache_bytes(dec) / 2**20:.1f} MiB", COMMAND,
                          "the write rate once the buffer cache is full"))

    # get_unit: both reads, least squares on relative error
    clock = ss20.profile.get("cpu.clock", "Hz")
    current_get = ss20.profile.get("stdio.get_unit", "cycles")
    terms = []
    for problem in ("n=200", "n=1000"):
        m = _phase(measured, problem, "restore")
        key, published = _file_row("linpack", problem, "read_restore")
        cost = fileio.read_cost(ss20, m.tx_bytes)
        # the file system's part below read(), as transfer() prices it: the network model's
        disk_s = simulate_transfer(m.tx_bytes, "dec5000", "ss20", network="10mbps", mode="file").read_s or 0.0
        fixed = seconds(m, memory["ss20"]) + disk_s + cost.seconds - cost.units * current_get / clock
        terms.append((key, published, fixed, cost.units / clock, fixed + cost.units * current_get / clock))
    # minimise sum ((fixed + a * x) / published - 1)^2 over x
    a = [t[3] / t[1] for t in terms]
    b = [t[2] / t[1] - 1 for t in terms]
    get_unit = -sum(ai * bi for ai, bi in zip(a, b, strict=True)) / sum(ai * ai for ai in a)
    rows = tuple(RowFit(k, pub, before_s, fixed + x * get_unit) for k, pub, fixed, x, before_s in terms)
    results.append(Fitted("ss20", ("stdio.get_unit",), get_unit, "cycles", current_get, rows,
                          "least squares on relative error", COMMAND,
                          "one fread() of a 4-byte XDR unit out of the Solaris stdio buffer"))
    return results
