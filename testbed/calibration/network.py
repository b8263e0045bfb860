"""Network calibration: the network model against the published reference rows, and the
fits of its four calibrated parameters (see :data:`FITTED`): the DEC and Ultra 5 per-byte
protocol-stack costs from the tx rows, the DEC disk's effective rate and the rcp session
set-up from the rcp rows. Every other row of the comparison is a prediction.

``testbed calibrate --network`` re-runs the fits (``--write`` records them in the
profiles); ``python -m testbed.calibration.network [--params machine|network]`` prints the
tables ``docs/network-model.md`` shows. Reference rows are named
``table,program,problem,mode,phase`` (:mod:`testbed.reference`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from testbed.calibration import Fitted, RowFit
from testbed.errors import ConfigError
from testbed.net.params import HostParams, LinkParams, load_host, load_link
from testbed.net.transfer import TransferResult, run_transfer
from testbed.profiles import Param, machine, machine_names, network, network_names
from testbed.reference import MACHINES, Measurement, load

# The parameters whose source says "calibrated against": (machine, profile path).
FITTED = (
    ("dec5000", "netstack.per_byte"),
    ("ultra5", "netstack.per_byte"),
    ("dec5000", "disk.transfer_rate"),
    ("ss20", "rcp.session_setup"),
)
COMMAND = "testbed calibrate --network"


def row(key: str) -> Measurement:
    return load().row(key)


# ---------------------------------------------------------------------- comparisons

Hosts = dict[str, HostParams]


def _hosts() -> Hosts:
    return {name: load_host(name) for name in MACHINES.values()}


def _run(r: Measurement, hosts: Hosts, mode: str) -> TransferResult:
    return run_transfer(r.tx_bytes, hosts[r.src], hosts[r.dst], load_link(r.network), mode=mode)


def _priced(r: Measurement, hosts: Hosts, quantity: str) -> float:
    """One TransferResult field of the row's transfer, in the mode that has it."""
    mode = "file" if quantity in ("write_s", "rcp_s", "read_s") else "network"
    value = getattr(_run(r, hosts, mode), quantity)
    assert value is not None
    return float(value)


@dataclass(frozen=True)
class Check:
    """A model figure set against a reference figure (a row, or a difference of two rows)."""

    label: str
    keys: tuple[str, ...]  # first row minus the others
    quantity: str  # TransferResult field
    tolerance: float | None  # acceptance bound on |relative error|, None: informational
    kind: str  # "fit", "acceptance", "prediction", "implied"

    def measured(self) -> float:
        rows = [row(k) for k in self.keys]
        return rows[0].seconds - sum(r.seconds for r in rows[1:])

    def model(self, hosts: Hosts | None = None) -> float:
        return _priced(row(self.keys[0]), hosts or _hosts(), self.quantity)


CHECKS: tuple[Check, ...] = (
    Check("DEC 5000/120 -> SS20, 10 Mb/s, 325,232 B tx", ("hetero,linpack,n=200,network,tx",),
          "tx_s", 0.15, "fit"),
    Check("DEC 5000/120 -> SS20, 10 Mb/s, 8,021,232 B tx", ("hetero,linpack,n=1000,network,tx",),
          "tx_s", 0.15, "fit"),
    Check("Ultra 5 -> Ultra 5, 100 Mb/s, 8,021,232 B tx", ("homog,linpack,n=1000,network,tx",),
          "tx_s", 0.15, "fit"),
    Check("DEC 5000/120 -> SS20, rcp of 325,232 B", ("hetero,linpack,n=200,file,rcp",),
          "rcp_s", 0.20, "fit"),
    Check("DEC 5000/120 -> SS20, rcp of 8,021,232 B", ("hetero,linpack,n=1000,file,rcp",),
          "rcp_s", 0.20, "fit"),
    Check("Ultra 5 -> Ultra 5, 100 Mb/s, 182,248 B tx (bitonic 8192 keys)",
          ("homog,bitonic,8192 keys,network,tx",), "tx_s", None, "prediction"),
    Check("DEC write of 325,232 B (scan_write - scan)",
          ("hetero,linpack,n=200,file,scan_write", "hetero,linpack,n=200,network,scan"),
          "write_s", None, "implied"),
    Check("DEC write of 8,021,232 B (scan_write - scan)",
          ("hetero,linpack,n=1000,file,scan_write", "hetero,linpack,n=1000,network,scan"),
          "write_s", None, "implied"),
    Check("SS20 read of 325,232 B (read_restore - restore)",
          ("hetero,linpack,n=200,file,read_restore", "hetero,linpack,n=200,network,restore"),
          "read_s", None, "implied"),
    Check("SS20 read of 8,021,232 B (read_restore - restore)",
          ("hetero,linpack,n=1000,file,read_restore", "hetero,linpack,n=1000,network,restore"),
          "read_s", None, "implied"),
)


def comparison(hosts: Hosts | None = None) -> list[tuple[Check, float, float]]:
    """(check, model seconds, reference seconds) for every check."""
    hosts = hosts or _hosts()
    return [(c, c.model(hosts), c.measured()) for c in CHECKS]


def markdown_table(hosts: Hosts | None = None) -> str:
    """The comparison as a markdown table (generated into docs/network-model.md)."""
    notes = {"fit": "fitted row", "acceptance": "acceptance", "prediction": "prediction",
             "implied": "kernel + device only; reference adds guest CPU"}
    lines = ["| reference row(s) | model s | reference s | error | bound | role |",
             "|---|---:|---:|---:|---:|---|"]
    for c, model, measured in comparison(hosts):
        err = model / measured - 1.0
        bound = f"±{c.tolerance:.0%}" if c.tolerance is not None else "-"
        lines.append(f"| {c.label} | {model:.3f} | {measured:.3f} | {err:+.1%} | {bound} | {notes[c.kind]} |")
    return "\n".join(lines)


def parameter_table(kind: str) -> str:
    """Every model parameter of the machine (``kind="machine"``) or network profiles, as markdown."""
    if kind == "machine":
        profiles = [(n, machine(n), ("netstack", "disk", "rcp")) for n in machine_names()]
    else:
        profiles = [(n, network(n), ("ethernet", "csma", "ip", "tcp", "background"))
                    for n in network_names()]
    lines = ["| profile | parameter | value | unit | source |", "|---|---|---:|---|---|"]
    for name, prof, tables in profiles:
        for table in tables:
            if not prof.has(table):
                continue
            for prm in prof.params(table):
                source = prm.source.replace("|", "/")
                lines.append(f"| {name} | {prm.path} | {prm.value:g} | {prm.unit} | {source} |")
    return "\n".join(lines)


def fitted_parameters() -> list[tuple[str, str, float, str, str]]:
    """(machine, path, value, unit, source) of each fitted parameter, from the profiles."""
    out = []
    for name, path in FITTED:
        p = machine(name).param(path)
        out.append((name, path, p.value, p.unit, p.source))
    return out


# ---------------------------------------------------------------------- fits

def _bisect(f: Callable[[float], float], lo: float, hi: float, iterations: int = 40) -> float:
    """A root of an increasing ``f`` in [lo, hi]."""
    flo, fhi = f(lo), f(hi)
    if flo > 0 or fhi < 0:
        raise ConfigError(f"fit: no root between {lo:g} and {hi:g} ({flo:+.3f}, {fhi:+.3f})")
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def _tx(r: Measurement, src: HostParams, dst: HostParams, link: LinkParams, mode: str = "network") -> TransferResult:
    return run_transfer(r.tx_bytes, src, dst, link, mode=mode)


# What each fitted value stands for: kept in its source text when it is written.
NOTES = {
    ("dec5000", "netstack.per_byte"):
        "stands for the copy from user space, the checksum, probably a driver copy of each "
        "frame into the LANCE buffer (assumed, not verified for the 5000/1xx), plus whatever "
        "else the original sender did per byte",
    ("ultra5", "netstack.per_byte"):
        "stands for copy, checksum and PCI DMA effects on the Ultra 5's modest memory system",
    ("dec5000", "disk.transfer_rate"):
        "effective rate of the 5000/120 disk path; the drive media rate is about 2 MB/s, so "
        "this also stands for whatever else slowed the rcp source per block",
    ("ss20", "rcp.session_setup"):
        "remote-shell set-up of the era (inetd, rshd, authentication, name look-ups, login "
        "shell, rcp -t)",
}
TX_ROWS = ("hetero,linpack,n=200,network,tx", "hetero,linpack,n=1000,network,tx")
HOMOG_TX_ROW = "homog,linpack,n=1000,network,tx"
RCP_ROWS = ("hetero,linpack,n=200,file,rcp", "hetero,linpack,n=1000,file,rcp")


def _model_s(key: str, hosts: Hosts) -> float:
    """The model's time of a tx row (network mode) or an rcp row (file mode)."""
    r = row(key)
    return _priced(r, hosts, "rcp_s" if r.phase == "rcp" else "tx_s")


def fit_values() -> dict[tuple[str, str], float]:
    """Re-run the four fits in order: (machine, path) -> value in base units (s/B, B/s, s)."""
    hosts = _hosts()
    ten, hundred = load_link("10mbps"), load_link("100mbps")
    small, big = row(TX_ROWS[0]), row(TX_ROWS[1])

    # 1. DEC per-byte cost: one value, minimax relative error over the two hetero tx rows.
    def dec_err(x: float) -> float:
        dec = replace(hosts["dec5000"], per_byte=x)
        e_small = _tx(small, dec, hosts["ss20"], ten).tx_s / small.seconds - 1.0
        e_big = _tx(big, dec, hosts["ss20"], ten).tx_s / big.seconds - 1.0
        return e_small + e_big

    dec_pb = _bisect(dec_err, 0.05e-6, 3e-6)
    hosts["dec5000"] = replace(hosts["dec5000"], per_byte=dec_pb)

    # 2. Ultra 5 per-byte cost: the homog tx row.
    homog = row(HOMOG_TX_ROW)

    def ultra_err(x: float) -> float:
        u = replace(hosts["ultra5"], per_byte=x)
        return _tx(homog, u, u, hundred).tx_s / homog.seconds - 1.0

    ultra_pb = _bisect(ultra_err, 0.0, 500e-9)
    hosts["ultra5"] = replace(hosts["ultra5"], per_byte=ultra_pb)

    # 3+4. DEC disk effective rate from the rcp slope, then the session set-up from the level.
    r_small, r_big = row(RCP_ROWS[0]), row(RCP_ROWS[1])

    def rcp_times(rate: float) -> tuple[float, float]:
        dec = replace(hosts["dec5000"], disk=replace(hosts["dec5000"].disk, transfer_rate=rate))
        t1 = _tx(r_small, dec, hosts["ss20"], ten, "file").rcp_s
        t2 = _tx(r_big, dec, hosts["ss20"], ten, "file").rcp_s
        assert t1 is not None and t2 is not None
        return t1, t2

    want = r_big.seconds - r_small.seconds

    def slope_err(inv_rate: float) -> float:
        t1, t2 = rcp_times(1.0 / inv_rate)
        return (t2 - t1) / want - 1.0

    rate = 1.0 / _bisect(slope_err, 1.0 / 20e6, 1.0 / 0.05e6)
    t1, _ = rcp_times(rate)
    setup = hosts["ss20"].rcp_setup + (r_small.seconds - t1)
    return {
        ("dec5000", "netstack.per_byte"): dec_pb,
        ("ultra5", "netstack.per_byte"): ultra_pb,
        ("dec5000", "disk.transfer_rate"): rate,
        ("ss20", "rcp.session_setup"): setup,
    }


# The base unit each fitted parameter is computed in, its rows and how it was fitted.
_FIT_SPECS = {
    ("dec5000", "netstack.per_byte"): ("s/B", TX_ROWS, "one value, minimax relative error"),
    ("ultra5", "netstack.per_byte"): ("s/B", (HOMOG_TX_ROW,), "the one row, reproduced exactly"),
    ("dec5000", "disk.transfer_rate"): (
        "B/s", RCP_ROWS, "the slope; jointly with ss20 rcp.session_setup for the level"),
    ("ss20", "rcp.session_setup"): (
        "s", RCP_ROWS, "the level; dec5000 disk.transfer_rate sets the slope, so the two rows "
        "are reproduced exactly"),
}


def _with(hosts: Hosts, name: str, path: str, value: float) -> Hosts:
    """``hosts`` with one fitted parameter (base units) replaced."""
    host = hosts[name]
    if path == "netstack.per_byte":
        host = replace(host, per_byte=value)
    elif path == "disk.transfer_rate":
        host = replace(host, disk=replace(host.disk, transfer_rate=value))
    elif path == "rcp.session_setup":
        host = replace(host, rcp_setup=value)
    else:
        raise ConfigError(f"no fit of {name} {path}")
    return {**hosts, name: host}


def fit() -> list[Fitted]:
    """The four fitted parameters in the profiles' units, each with its rows priced by the
    model before (the profiles' values) and after (all four fitted values)."""
    values = fit_values()
    before = _hosts()
    after = before
    for (name, path), value in values.items():
        after = _with(after, name, path, value)
    out = []
    for (name, path), value in values.items():
        base_unit, keys, method = _FIT_SPECS[(name, path)]
        current = machine(name).param(path)
        rows = tuple(RowFit(k, row(k).seconds, _model_s(k, before), _model_s(k, after))
                     for k in keys)
        in_unit = Param(path, value, base_unit, "").to(current.unit)
        out.append(Fitted(name, (path,), in_unit, current.unit, current.value, rows, method,
                          COMMAND, NOTES[(name, path)]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the tables docs/network-model.md shows (the fits are ``testbed calibrate
    --network``'s)."""
    parser = argparse.ArgumentParser(prog="python -m testbed.calibration.network",
                                     description="Print the network model against the reference "
                                     "rows, or a profile parameter table, as markdown.")
    parser.add_argument("--params", choices=("machine", "network"),
                        help="print the parameter table of the machine or network profiles")
    args = parser.parse_args(argv)
    if args.params:
        print(parameter_table(args.params))
        return 0
    print(markdown_table())
    print()
    for name, path, value, unit, _source in fitted_parameters():
        print(f"fitted: {name} {path} = {value:g} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
