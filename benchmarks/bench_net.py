"""Host time to simulate an 8 MB migration stream over 10 Mb/s and over 100 Mb/s Ethernet.

Run ``python benchmarks/bench_net.py``; a ``testbed bench`` command can import this file
and call :func:`bench_net`. The budget is 1 s of host time per 8 MB transfer: the model is
per frame, segment and ACK (about 5,500 segments), never per byte.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from testbed.net import simulate_transfer

NBYTES = 8_021_232  # linpack n=1000 migration stream, the largest reference row
CASES = (
    ("10mbps", "dec5000", "ss20"),
    ("100mbps", "ultra5", "ultra5"),
)
BUDGET_S = 1.0


def bench_net(nbytes: int = NBYTES, repeat: int = 3) -> dict[str, Any]:
    """Best-of-``repeat`` host seconds per network, with the simulated time and event count."""
    out: dict[str, Any] = {"nbytes": nbytes, "budget_s": BUDGET_S}
    for network, src, dst in CASES:
        best = float("inf")
        result = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = simulate_transfer(nbytes, src, dst, network=network)
            best = min(best, time.perf_counter() - t0)
        assert result is not None
        out[network] = {
            "src": src,
            "dst": dst,
            "host_s": best,
            "simulated_s": result.tx_s,
            "events": result.events,
            "events_per_host_s": result.events / best if best > 0 else float("inf"),
        }
    return out


def main() -> int:
    r = bench_net()
    ok = True
    for network, _src, _dst in CASES:
        b = r[network]
        within = b["host_s"] < BUDGET_S
        ok &= within
        print(f"{network:>8}: {r['nbytes']:,} B {b['src']} -> {b['dst']}: "
              f"{b['host_s']:.3f} s host time for {b['simulated_s']:.3f} s simulated, "
              f"{b['events']:,} events ({b['events_per_host_s']:,.0f}/s)"
              f"{'' if within else '  OVER BUDGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
