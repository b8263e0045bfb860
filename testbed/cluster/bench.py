"""``testbed bench --cluster``: the co-simulation's speed against one bare guest's.

* Aggregate guest instructions per host second of a 16-worker ``pvm_matmul`` on
  ``snow18`` (17 guests, each sliced, priced and synchronised through SimPy, and every
  message through the network model), against the unpriced speed of the serial
  ``matmul`` of the same order on one guest with no hooks at all, measured in the same
  run so that machine noise affects both alike. Target ratio >= 0.5.
* The network model's events per host second with 16 concurrent 1 MB flows on the
  shared 10 Mb/s segment (default route: pvmd datagrams, IP fragments, acknowledgements).
"""

from __future__ import annotations

import time
from typing import Any

from testbed.build import build_program
from testbed.cluster.mpd import Mpd
from testbed.cluster.run import run_program
from testbed.cluster.topology import cluster
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.net.engine import Sim
from testbed.programs import PROGRAM_DIR

BENCH_ORDER = 256  # paper2: the fixed costs (17 ELF loads, spawns) amortised as in a real run
BENCH_WORKERS = 16
FLOWS = 16
FLOW_BYTES = 1_000_000


def bench_cluster(order: int = BENCH_ORDER, workers: int = BENCH_WORKERS, repeats: int = 2) -> dict[str, Any]:
    snow = cluster("snow18")
    run_program("pvm_matmul", snow, tasks=workers, size=order, verify=False)  # builds, caches
    best_cluster = float("inf")
    instructions = 0
    for _ in range(repeats):
        r = run_program("pvm_matmul", snow, tasks=workers, size=order, verify=False)
        best_cluster = min(best_cluster, r.wall_s)
        instructions = r.instructions
    build = build_program("matmul", [PROGRAM_DIR / "matmul.c"], "mipsel")
    machine = resolve("dec5000")
    serial = Guest(build.path, machine, ["matmul", str(order)]).run()
    assert serial is not None
    best_raw = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        Guest(build.path, machine, ["matmul", str(order)], counting=False).run()
        best_raw = min(best_raw, time.perf_counter() - t0)
    cluster_ips = instructions / best_cluster
    raw_ips = serial.instructions / best_raw
    return {
        "program": f"pvm_matmul n={order}, {workers} workers on snow18", "instructions": instructions,
        "cluster_s": best_cluster, "cluster_ips": cluster_ips,
        "single_program": f"matmul n={order} on mipsel, unpriced", "single_instructions": serial.instructions,
        "single_s": best_raw, "single_ips": raw_ips, "ratio": cluster_ips / raw_ips,
        "network": bench_network(),
    }


def bench_network(flows: int = FLOWS, nbytes: int = FLOW_BYTES) -> dict[str, Any]:
    """Events per host second of ``flows`` simultaneous transfers on snow18's one segment."""
    snow = cluster("snow18")
    sim = Sim(0)
    mpd = Mpd(sim, snow)
    names = [h.name for h in snow.hosts]
    for i in range(flows):
        src, dst = mpd.new_tid(names[i % len(names)]), mpd.new_tid(names[(i + 1) % len(names)])
        mpd.send(src, dst, 1, bytes(nbytes))
    t0 = time.perf_counter()
    sim.env.run()
    wall = time.perf_counter() - t0
    return {"flows": flows, "bytes_per_flow": nbytes, "events": sim.env.steps, "wall_s": wall,
            "events_per_s": sim.env.steps / wall, "simulated_s": sim.now}
