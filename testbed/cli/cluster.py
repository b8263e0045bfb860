"""``testbed cluster``: the shipped clusters (``list``)."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from testbed.cluster.topology import cluster, cluster_names


def register(sub: Any) -> None:
    """Add the ``cluster`` command group to the ``testbed`` parser."""
    p = sub.add_parser("cluster", help="the co-simulated SNOW clusters (docs/cluster.md)",
                       description="Clusters of emulated hosts on shared Ethernet segments.")
    commands = p.add_subparsers(dest="cluster_command", metavar="SUBCOMMAND", required=True)
    listing = commands.add_parser("list", help="show the shipped clusters: hosts, machines, networks")
    listing.add_argument("--json", action="store_true", help="print one JSON object per cluster, in a list")
    listing.set_defaults(func=list_clusters)


def list_clusters(args: argparse.Namespace) -> int:
    rows = []
    for name in cluster_names():
        c = cluster(name)
        machines = Counter(h.machine for h in c.hosts)
        rows.append({
            "cluster": c.name,
            "description": c.description,
            "hosts": [h.name for h in c.hosts],
            "machines": dict(machines),
            "segments": c.segments,
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        machines = ", ".join(f"{n} x {m}" for m, n in row["machines"].items())
        networks = ", ".join(f"{s}: {n}" for s, n in row["segments"].items())
        print(f"{row['cluster']:<12} {len(row['hosts']):>3} hosts ({machines}; {networks})")
        print(f"{'':<12} {row['description']}")
    return 0
