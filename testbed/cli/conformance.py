"""``testbed conformance``: the share of a C test suite written by others that builds on
the guests, that the MCL precompiler accepts, and that migrates verified both ways."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from testbed.conformance.program import Outcome
from testbed.conformance.report import DEFAULT_BUDGET, DEFAULT_JOBS, DEFAULT_TIMEOUT_S
from testbed.conformance.suite import SUITES


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {n}")
    return n


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "conformance",
        help="build, precompile and migrate a C test suite written by others; rank the refusals",
        description="Over GCC's C execution torture tests (Debian's gcc-12-source package): how many "
        "programs build and run on both guests, how many of those the MCL precompiler accepts, how "
        "many of those migrate verified at the first, middle and last poll-point passage, "
        "mipsel->sparc and sparc->mipsel, and why the others do not.",
    )
    p.add_argument("--suite", choices=SUITES, default="gcc-torture", help="the test suite (default gcc-torture)")
    p.add_argument("--limit", type=_positive, metavar="N", help="a fixed sample of N programs spread over the suite")
    p.add_argument("--jobs", type=_positive, default=DEFAULT_JOBS, help=f"programs at a time (default {DEFAULT_JOBS})")
    p.add_argument("--budget", type=_positive, default=DEFAULT_BUDGET,
                   help=f"instructions per emulated run (default {DEFAULT_BUDGET:,})")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"wall-clock seconds per program (default {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--json", action="store_true", help="print the figures and every outcome as JSON")
    p.add_argument("--outcomes", type=Path, metavar="FILE",
                   help="also write each program's outcome to FILE as one JSON line as soon as it is known "
                   "(a long run can be read, or stopped, before it ends)")
    p.add_argument("--resume", action="store_true",
                   help="with --outcomes: keep the outcomes FILE already holds and check only the other "
                   "programs (refused unless FILE was written by the same committed code, suite and limits)")
    p.set_defaults(func=run_conformance)


def run_conformance(args: argparse.Namespace) -> int:
    from testbed.conformance.log import OutcomeLog
    from testbed.conformance.report import Report, run_suite
    from testbed.conformance.suite import programs
    from testbed.errors import ConfigError
    from testbed.experiments.provenance import git_revision

    if args.timeout <= 0:
        raise ConfigError(f"--timeout must be positive, not {args.timeout:g}")
    if args.outcomes is not None and not args.outcomes.parent.is_dir():
        raise ConfigError(f"--outcomes {args.outcomes}: no folder {args.outcomes.parent}; create it first")
    revision = git_revision()
    if args.resume and args.outcomes is None:
        raise ConfigError("--resume needs --outcomes FILE: the file of the run to go on with")
    if args.resume and (revision.endswith("-dirty") or revision == "unknown"):
        raise ConfigError(f"--resume: the code is at {revision}, not a commit: outcomes of uncommitted code "
                          "cannot be told apart from the next change's; commit first")
    files = programs(args.suite, args.limit)
    header = {"suite": args.suite, "revision": revision, "budget": args.budget, "timeout_s": args.timeout,
              "limit": args.limit}
    log = OutcomeLog(args.outcomes, header, args.resume) if args.outcomes is not None else None
    done = dict(log.done) if log is not None else {}
    todo = [f for f in files if f.name not in done]
    count = len(files) - len(todo)

    def progress(outcome: Outcome) -> None:
        nonlocal count
        count += 1
        print(f"\r{count}/{len(files)}", end="", file=sys.stderr, flush=True)
        if log is not None:
            log.add(outcome)

    try:
        report = run_suite(args.suite, todo, args.jobs, args.budget, args.timeout, progress)
    finally:
        if log is not None:
            log.close()
    print(file=sys.stderr)
    ran = {o.program: o for o in report.outcomes}
    report = Report(args.suite, [done.get(f.name) or ran[f.name] for f in files])
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.summary())
    return 0
