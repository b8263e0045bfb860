"""``testbed now``: a network of workstations with owners, PVM jobs and a scheduling policy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from testbed.errors import ConfigError


def register(sub: Any) -> None:
    from testbed.cluster.cosim import SLICE_INSTRUCTIONS
    from testbed.now.owners import DEFAULT_MODEL
    from testbed.now.policies import HOST_CHOICES, POLICIES
    from testbed.now.run import DEFAULT_JOBS

    p = sub.add_parser(
        "now", help="a NOW period: owners, a stream of PVM jobs, a scheduling policy (docs/now.md)",
        description="Co-simulate hours of a cluster whose workstations have owners: PVM jobs run on idle "
        "hosts and the policy decides what happens to a task when its owner returns (docs/now.md).")
    p.add_argument("--policy", default="migrate", choices=list(POLICIES), help="default migrate")
    p.add_argument("--host-choice", default="idlest", choices=list(HOST_CHOICES),
                   help="where new and migrating tasks go among idle hosts (default idlest)")
    p.add_argument("--busy", type=float, default=0.5, metavar="FRACTION",
                   help="the owners' daytime busy fraction, 0..1 (default 0.5)")
    p.add_argument("--hours", type=float, default=1.0, metavar="H", help="simulated hours (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="owners' and network's seed (default 0)")
    p.add_argument("--cluster", default="snow18", help="cluster name (default snow18; see `cluster list`)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"owner model (default {DEFAULT_MODEL}; "
                   "testbed/profiles/owners/)")
    p.add_argument("--owners", type=Path, default=None, metavar="CSV",
                   help="read the owners' busy periods from a trace (host,start,end; docs/now.md)")
    p.add_argument("--job", action="append", default=None, metavar="PROGRAM:SIZE:TASKS",
                   help=f"the job mix, repeatable (default {' '.join(map(str, DEFAULT_JOBS))})")
    p.add_argument("--concurrent", type=int, default=2, metavar="N", help="jobs running at once (default 2)")
    p.add_argument("--work-scale", type=float, default=1.0, metavar="K",
                   help="price each guest instruction as K (a job K times longer; default 1)")
    p.add_argument("--slice", type=int, default=SLICE_INSTRUCTIONS, metavar="N",
                   help=f"guest instructions per slice at most: the lateness of an owner's return "
                   f"(default {SLICE_INSTRUCTIONS:,}; at a work scale K it is K times longer in simulated time)")
    p.add_argument("--trace", type=Path, default=None, metavar="FILE",
                   help="write Chrome trace-event JSON to FILE and the timeline beside it (.png)")
    p.add_argument("--compare", type=Path, default=None, metavar="TOML",
                   help="run the comparison grid of this file instead (experiments/now.toml)")
    p.add_argument("--quick", action="store_true", help="with --compare: the file's [quick] grid")
    p.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                   help="with --compare: directory for the CSV and figures (default results)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=now)


def now(args: argparse.Namespace) -> int:
    if args.compare is not None:
        return _compare(args)
    from testbed.cluster.topology import cluster
    from testbed.now.run import DEFAULT_JOBS, JobSpec, NowConfig, run_now

    jobs = tuple(JobSpec.parse(j) for j in args.job) if args.job else DEFAULT_JOBS
    cfg = NowConfig(cluster(args.cluster), args.policy, args.host_choice, args.busy, args.hours, args.seed,
                    args.model, args.owners, jobs, args.concurrent, args.work_scale, args.slice)

    def progress(job: Any) -> None:
        if not args.json:
            print(f"  job {job.index:>3} {job.program} {job.size}: {job.job_s:10.2f} s "
                  f"({job.attempts} attempt{'s' if job.attempts > 1 else ''}) at {job.finished:9.1f} s", flush=True)

    result = run_now(cfg, progress)
    if args.trace is not None:
        from testbed.now.figures import write_trace

        write_trace(result, args.trace)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        m = result.metrics
        mean = "-" if m["mean_job_s"] is None else f"{m['mean_job_s']:.1f} s"
        print(f"{m['policy']} ({m['host_choice']}) on {m['cluster']}, owners: {m['owners']} "
              f"(busy {m['owner_busy_fraction']:.0%} of host-time), {m['hours']:g} h")
        print(f"  jobs: {m['jobs_completed']} completed of {m['jobs_started']} started, {m['jobs_verified']} "
              f"verified, mean {mean}, {m['restarts']} restarts")
        print(f"  owners: {m['owner_interference_cpu_s']:.1f} CPU-s taken while at work, slowdown "
              f"{m['owner_slowdown']:.4f}")
        print(f"  migrations: {m['migrations']} ({m['bytes_moved']:,} bytes moved); harvested "
              f"{m['harvested_share']:.1%} of idle capacity")
        print(f"  {m['guest_instructions']:,} guest instructions; {m['simulated_s']:.0f} s simulated in "
              f"{m['wall_s']:.1f} s of host time ({m['sim_to_wall']:.1f}:1; {m['sim_to_cpu']:.1f}:1 per CPU-second)")
    done = [j for j in result.jobs if j["finished_s"] is not None]
    return 0 if all(j["verified"] for j in done) else 1


def _compare(args: argparse.Namespace) -> int:
    from testbed.now.compare import load_comparison, run_comparison
    from testbed.now.policies import MIGRATION_MISSING, migration_available

    c = load_comparison(args.compare, args.quick)
    if "migrate" in c.policies and not migration_available():
        print(f"note: {MIGRATION_MISSING}; the grid runs without it")
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out {args.out} is not a directory")

    def progress(row: dict[str, Any]) -> None:
        if args.json:
            return
        mean = "-" if row["mean_job_s"] is None else f"{row['mean_job_s']:.1f}"
        print(f"busy {row['busy']:.2f} seed {row['seed']} {row['policy']:>8}: {row['jobs_completed']:>3} jobs "
              f"(mean {mean} s), interference {row['owner_interference_cpu_s']:.1f} CPU-s, "
              f"harvested {row['harvested_share']:.1%}, {row['wall_s']:.1f} s wall", flush=True)

    rows = run_comparison(c, args.out, progress)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"wrote {args.out / (c.name + '.csv')} and figures under {args.out / 'figures'}")
    return 0 if all(r["jobs_verified"] == r["jobs_completed"] for r in rows) else 1
