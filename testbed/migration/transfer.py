"""Tx: how long moving the stream takes. Until the SimPy network model is wired in, the
estimate is the stream's bytes over the nominal bandwidth, labelled as such."""

from __future__ import annotations

from dataclasses import dataclass

from testbed.errors import unknown_name

NOMINAL_BPS = {"10mbps": 10e6, "100mbps": 100e6}


@dataclass(frozen=True)
class Transfer:
    seconds: float
    model: str
    failed: bool = False
    reason: str | None = None


def transfer(nbytes: int, src: str, dst: str, network: str, mode: str) -> Transfer:
    if network not in NOMINAL_BPS:
        raise unknown_name("network", network, list(NOMINAL_BPS))
    return Transfer(nbytes * 8 / NOMINAL_BPS[network], "bandwidth-only")
