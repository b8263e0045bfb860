"""Pictures of a NOW period: the timeline (owners and task placement per host), its Chrome
trace, and the comparison of policies across owner activity levels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testbed.errors import ConfigError
from testbed.now.run import NowResult


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, png: Path) -> None:
    plt = _pyplot()
    try:
        png.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png, dpi=100)
    except OSError as exc:
        raise ConfigError(f"cannot write the figure {png}: {exc.strerror}") from None
    finally:
        plt.close(fig)


def timeline(result: NowResult, png: Path) -> None:
    """One row per host: owner busy (red band), each job's computing (a colour per job),
    suspended tasks (grey), migrations (a black tick on the host left)."""
    plt = _pyplot()
    hosts = list(result.owners.activity)
    row = {h: i for i, h in enumerate(hosts)}
    task_jobs = result.task_jobs
    horizon = result.owners.horizon
    fig, ax = plt.subplots(figsize=(11, 0.35 * len(hosts) + 1.8))
    colours = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7]  # tab10's grey means suspended
    for host, act in result.owners.activity.items():
        bars = [(s, e - s) for s, e in act.periods]
        if bars:
            ax.broken_barh(bars, (row[host] - 0.45, 0.9), facecolors="mistyrose", edgecolor="none")
    for s in result.spans:
        if s.host not in row or s.start >= horizon:
            continue
        if s.kind == "compute":
            colour = colours[task_jobs.get(s.tid, 0) % len(colours)]
            ax.broken_barh([(s.start, min(s.end, horizon) - s.start)], (row[s.host] - 0.25, 0.5),
                           facecolors=colour, edgecolor="none")
        elif s.kind == "suspended":
            ax.broken_barh([(s.start, min(s.end, horizon) - s.start)], (row[s.host] - 0.1, 0.2),
                           facecolors="dimgray", edgecolor="none")
    for r in result.migration_records:
        if r.get("src_host") in row:
            ax.plot([r.get("at_s", 0.0)], [row[r["src_host"]]], marker="v", color="black", markersize=4)
    from matplotlib.patches import Patch

    legend = [Patch(color="mistyrose", label="owner busy"), Patch(color=colours[0], label="guest computing (colour: job)"),
              Patch(color="dimgray", label="suspended")]
    ax.set_yticks(range(len(hosts)), hosts)
    ax.invert_yaxis()
    ax.set_xlim(0, horizon)
    ax.set_xlabel("simulated time (s)")
    m = result.metrics
    ax.set_title(f"{m['policy']} on {m['cluster']}, owners {m['owners']}: {m['jobs_completed']} jobs, "
                 f"{m['migrations']} migrations, harvested {m['harvested_share']:.0%}", fontsize="medium")
    ax.legend(handles=legend, loc="upper right", fontsize="x-small", ncol=3)
    fig.tight_layout()
    _save(fig, png)


def write_trace(result: NowResult, path: Path) -> tuple[Path, Path]:
    """Chrome trace-event JSON (one process per host, owners as a thread of their host)
    and the timeline PNG beside it."""
    path = Path(path)
    hosts = list(result.owners.activity)
    pid = {h: i for i, h in enumerate(hosts)}
    events: list[dict[str, Any]] = [{"name": "process_name", "ph": "M", "pid": i, "args": {"name": h}}
                                    for h, i in pid.items()]
    for host, act in result.owners.activity.items():
        events.append({"name": "thread_name", "ph": "M", "pid": pid[host], "tid": 0, "args": {"name": "owner"}})
        events += [{"name": "owner busy", "cat": "owner", "ph": "X", "pid": pid[host], "tid": 0,
                    "ts": round(s * 1e6, 3), "dur": round((e - s) * 1e6, 3)} for s, e in act.periods]
    task_jobs = result.task_jobs
    events += [{"name": s.kind, "cat": s.kind, "ph": "X", "pid": pid[s.host], "tid": s.tid,
                "ts": round(s.start * 1e6, 3), "dur": round((s.end - s.start) * 1e6, 3),
                "args": {"job": task_jobs.get(s.tid), **({"detail": s.detail} if s.detail else {})}}
               for s in result.spans if s.host in pid]
    try:
        path.write_text(json.dumps({"traceEvents": events, "displayTimeUnit": "ms", "otherData": result.metrics},
                                   indent=0) + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot write the trace {path}: {exc.strerror}") from None
    png = path.with_suffix(".png")
    timeline(result, png)
    return path, png


def comparison(rows: list[dict[str, Any]], png: Path) -> None:
    """Per policy, the mean over seeds against the owners' busy fraction: job time,
    jobs completed, interference, harvested share."""
    plt = _pyplot()
    panels = (("mean_job_s", "mean job time (s)"), ("jobs_completed", "jobs completed"),
              ("owner_interference_cpu_s", "CPU-s taken from busy owners"),
              ("harvested_share", "share of idle capacity used"))
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 3.8))
    for ax, (key, label) in zip(axes, panels, strict=True):
        for policy in dict.fromkeys(r["policy"] for r in rows):
            levels = sorted({r["busy"] for r in rows if r["policy"] == policy})
            means = []
            for b in levels:
                vals = [r[key] for r in rows if r["policy"] == policy and r["busy"] == b and r[key] not in (None, "")]
                means.append(sum(map(float, vals)) / len(vals) if vals else float("nan"))
            ax.plot(levels, means, "-o", label=policy)
        ax.set_xlabel("owners' busy fraction (daytime)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize="small")
    fig.suptitle(f"policies on {rows[0]['cluster']}: {rows[0]['hours']} h periods, mean over seeds")
    fig.tight_layout()
    _save(fig, png)
