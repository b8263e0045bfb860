"""``testbed net``: simulate one transfer over the modelled Ethernet (network or file mode)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from testbed.cli.args import machine
from testbed.emu.machines import resolve
from testbed.net import TransferResult, simulate_transfer


def register(sub: Any) -> None:
    """Add the ``net`` sub-command to the ``testbed`` parser."""
    p = sub.add_parser(
        "net",
        help="simulate a transfer over 10/100 Mb/s Ethernet (TCP, or disk + rcp)",
        description="Simulate sending N bytes from one machine to another: over a TCP "
        "connection (--mode network) or by writing a file, rcp-ing it and reading it back "
        "(--mode file). Times are simulated seconds of the modelled 1990s hardware.",
    )
    p.add_argument("--bytes", dest="nbytes", type=int, required=True, metavar="N",
                   help="bytes to transfer")
    p.add_argument("--src", required=True, metavar="MACHINE", type=machine,
                   help="source machine (dec5000, ss20, ultra5) or ISA (mipsel, sparc: its default machine)")
    p.add_argument("--dst", required=True, metavar="MACHINE", type=machine, help="destination machine or ISA")
    p.add_argument("--network", default="10mbps", metavar="NET", help="10mbps (default) or 100mbps")
    p.add_argument("--mode", default="network", metavar="MODE", help="network (default) or file")
    p.add_argument("--background", type=float, default=0.0, metavar="LOAD",
                   help="other hosts' offered load, fraction of the bit rate in [0, 1)")
    p.add_argument("--loss", type=float, default=0.0, metavar="P",
                   help="probability that a frame is dropped, in [0, 1)")
    p.add_argument("--fail-at", dest="fail_at", type=float, default=None, metavar="T",
                   help="cut the link at simulated time T seconds")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit code 0 for a completed transfer, 1 for a failed one (reported, never silent)."""
    src, dst = resolve(args.src).name, resolve(args.dst).name  # the model knows machines, not ISAs
    r = simulate_transfer(args.nbytes, src, dst, network=args.network, mode=args.mode,
                          background=args.background, loss=args.loss, fail_at=args.fail_at,
                          seed=args.seed)
    if args.json:
        print(json.dumps(r.to_dict(), sort_keys=True))
    else:
        print(summary(r))
    return 1 if r.failed else 0


def summary(r: TransferResult) -> str:
    """A few human-readable lines."""
    head = f"{r.src} -> {r.dst} over {r.network}, {r.mode} mode, {r.nbytes:,} bytes"
    if r.mode == "network":
        timing = f"  transfer {r.tx_s:.3f} s"
    else:
        parts = [f"write {r.write_s:.3f} s" if r.write_s is not None else "write -",
                 f"rcp {r.rcp_s:.3f} s" if r.rcp_s is not None else "rcp -",
                 f"read {r.read_s:.3f} s" if r.read_s is not None else "read -"]
        timing = f"  {', '.join(parts)}; total {r.tx_s:.3f} s"
    stats = (f"  goodput {r.goodput_bps / 1e6:.3f} Mbit/s, {r.frames:,} frames, "
             f"{r.retransmits} retransmitted, {r.collisions} collisions, {r.events:,} events")
    lines = [head, timing, stats]
    if r.failed:
        lines.append(f"  FAILED: {r.reason}")
    return "\n".join(lines)
