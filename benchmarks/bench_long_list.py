"""A linked list of 1,000,000 nodes migrated between two Ultra 5 machines (128 MiB each).

Run ``python benchmarks/bench_long_list.py [NODES]``. The modern runtime encodes and
decodes blocks' contents with an explicit work stack, so the chain of a million blocks
takes no guest C stack; the host wall time and the per-block costs are printed. Exit
status 1 if the migration does not verify.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from testbed.errors import TestbedError
from testbed.migration.run import MigrationSpec, migrate

LONG_LIST = Path(__file__).resolve().parent.parent / "tests" / "guests" / "long_list.c"


def bench_long_list(nodes: int = 1_000_000, runtime: str = "modern") -> dict[str, object]:
    t0 = time.perf_counter()
    record = migrate(MigrationSpec(str(LONG_LIST), str(nodes), "ultra5", "ultra5", at=2, roundtrip=False,
                                   runtime=runtime))
    row = record.to_dict()
    blocks = max(1, row["blocks"])
    return {"nodes": nodes, "runtime": runtime, "verified": row["verified"], "completed_on": row["completed_on"],
            "failure": row.get("failure"), "stream_bytes": row["tx_bytes"],
            "scan_per_block": row["scan_instructions"] / blocks,
            "restore_per_block": (row.get("restore_instructions") or 0) / blocks,
            "wall_s": time.perf_counter() - t0}


def main(argv: list[str]) -> int:
    nodes = int(argv[0]) if argv else 1_000_000
    try:
        result = bench_long_list(nodes)
    except TestbedError as exc:
        print(f"bench_long_list: error: {exc}", file=sys.stderr)
        return 1
    print(result)
    return 0 if result["verified"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
