"""Traces of a cluster run: Chrome trace-event JSON (opens in Perfetto) and a Gantt PNG.

In the JSON each host is a process (``pid``: its place in the cluster file, named by a
metadata event) and each task a thread of it; every span is a complete event (``ph":
"X"``) in microseconds of simulated time. The PNG draws one row per host over simulated
time: computing, sending (the local daemon hop) and waiting in a receive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testbed.cluster.run import ClusterResult
from testbed.errors import ConfigError

COLOURS = {"compute": "tab:blue", "send": "tab:orange", "wait": "tab:gray"}


def trace_events(result: ClusterResult) -> dict[str, Any]:
    order = {host: i for i, host in enumerate(result.hosts_used)}
    events: list[dict[str, Any]] = []
    for host, pid in order.items():
        events.append({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": host}})
    for tid, host in sorted(result.task_hosts.items()):
        events.append({"name": "thread_name", "ph": "M", "pid": order[host], "tid": tid,
                       "args": {"name": f"t{tid:x}"}})
    for s in result.spans:
        events.append({"name": s.kind, "cat": s.kind, "ph": "X", "pid": order[s.host], "tid": s.tid,
                       "ts": round(s.start * 1e6, 3), "dur": round((s.end - s.start) * 1e6, 3),
                       "args": {"detail": s.detail} if s.detail else {}})
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"program": result.program, "cluster": result.cluster, "execution_s": result.execution_s}}


def write_trace(result: ClusterResult, path: Path) -> tuple[Path, Path]:
    """Write ``path`` (JSON) and the Gantt chart beside it (``.png``); both paths."""
    path = Path(path)
    png = path.with_suffix(".png")
    try:
        path.write_text(json.dumps(trace_events(result), indent=0) + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot write the trace {path}: {exc.strerror}") from None
    _gantt(result, png)
    return path, png


def _gantt(result: ClusterResult, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hosts = result.hosts_used
    row = {h: i for i, h in enumerate(hosts)}
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(hosts) + 1.5))
    for kind, colour in COLOURS.items():
        bars = [(s.start, s.end - s.start) for s in result.spans if s.kind == kind]
        for host in hosts:
            mine = [(s.start, s.end - s.start) for s in result.spans if s.kind == kind and s.host == host]
            if mine:
                ax.broken_barh(mine, (row[host] - 0.4, 0.8), facecolors=colour, linewidth=0)
        if bars:
            ax.barh([], [], color=colour, label=kind)
    ax.set_yticks(range(len(hosts)), hosts)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time (s)")
    ax.set_xlim(0, max(result.execution_s, 1e-9))
    ax.set_title(f"{result.program} on {result.cluster} ({result.tasks} workers): {result.execution_s:.4f} s")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    try:
        fig.savefig(png, dpi=100)
    except OSError as exc:
        raise ConfigError(f"cannot write the Gantt chart {png}: {exc.strerror}") from None
    finally:
        plt.close(fig)
