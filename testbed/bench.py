"""Speed benchmarks of the emulator (``testbed bench``), reported as ratios measured in one
run: machine noise affects both sides of a ratio alike."""

from __future__ import annotations

import math
import time
from typing import Any

from testbed.build import build_program
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.programs import program

BENCH_PROGRAM = "linpack"
BENCH_SIZE = 200


def bench_guest(isa: str, size: int = BENCH_SIZE, repeats: int = 3) -> dict[str, Any]:
    """Guest instructions per host second on linpack, unpriced (no hooks at all) and fully
    priced (every block counted natively, then priced per instruction class)."""
    p = program(BENCH_PROGRAM)
    build = build_program(p.name, [p.source], isa)
    machine = resolve(isa)
    argv = p.argv(size)
    best_priced = best_raw = float("inf")
    instructions = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        g = Guest(build.path, machine, argv)
        result = g.run()
        assert result is not None
        best_priced = min(best_priced, time.perf_counter() - t0)  # load + run + pricing
        instructions = result.instructions
        t0 = time.perf_counter()
        Guest(build.path, machine, argv, counting=False).run()
        best_raw = min(best_raw, time.perf_counter() - t0)
    raw_ips = instructions / best_raw
    priced_ips = instructions / best_priced
    return {
        "isa": isa, "program": f"{BENCH_PROGRAM} n={size}", "instructions": instructions,
        "unpriced_s": best_raw, "priced_s": best_priced,
        "unpriced_ips": raw_ips, "priced_ips": priced_ips, "ratio": priced_ips / raw_ips,
    }


COLLECTION_KEYS = (2048, 4096, 8192, 16384, 32768, 65536)


def bench_collection(keys: tuple[int, ...] = COLLECTION_KEYS, src: str = "mipsel", dst: str = "sparc",
                     runtime: str = "modern") -> dict[str, Any]:
    """Collection and restoration cost per block for bitonic from 2,048 to 65,536 keys: a
    linear-time runtime keeps scan instructions per block flat (within +-15%); the classic
    one grows with log2 of the block count (its binary search). The slope of scan
    instructions per block against log2(blocks) is reported for both."""
    from testbed.migration.run import MigrationSpec, migrate

    rows = []
    for n in keys:
        r = migrate(MigrationSpec("bitonic", str(n), src, dst, roundtrip=False, runtime=runtime)).to_dict()
        rows.append({
            "keys": n, "blocks": r["blocks"], "tx_bytes": r["tx_bytes"],
            "scan_instructions": r["scan_instructions"], "restore_instructions": r["restore_instructions"],
            "scan_per_block": r["scan_instructions"] / r["blocks"],
            "restore_per_block": r["restore_instructions"] / r["blocks"],
            "bytes_per_key": r["tx_bytes"] / n, "verified": r["verified"],
        })
    per_block = [row["scan_per_block"] for row in rows]
    mean = sum(per_block) / len(per_block)
    logs = [math.log2(row["blocks"]) for row in rows]
    mx = sum(logs) / len(logs)
    slope = sum((x - mx) * (y - mean) for x, y in zip(logs, per_block, strict=True)) / sum((x - mx) ** 2 for x in logs)
    return {"runtime": runtime, "rows": rows, "scan_per_block_spread": max(abs(x - mean) / mean for x in per_block),
            "scan_per_block_slope_per_log2": slope, "flat": bench_flat(runtime)}


# Flat data: linpack's matrix is one block of doubles, so its stream is nearly all flat bytes.
FLAT_PAIRS = (("sparc", "sparc"), ("mipsel", "sparc"))  # without and with byte reversal


def bench_flat(runtime: str = "modern", size: str = "paper1") -> list[dict[str, Any]]:
    """Scan and restore instructions per stream byte for linpack (flat data), same byte
    order (sparc->sparc) and reversed (mipsel->sparc: the little-endian source swaps)."""
    from testbed.migration.run import MigrationSpec, migrate

    rows = []
    for src, dst in FLAT_PAIRS:
        r = migrate(MigrationSpec("linpack", size, src, dst, roundtrip=False, runtime=runtime)).to_dict()
        rows.append({"src": src, "dst": dst, "tx_bytes": r["tx_bytes"],
                     "scan_per_byte": r["scan_instructions"] / r["tx_bytes"],
                     "restore_per_byte": r["restore_instructions"] / r["tx_bytes"], "verified": r["verified"]})
    return rows
