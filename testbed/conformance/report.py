"""A conformance run over a suite: every program in its own process, two at a time (the
host's cores), each under a wall-clock limit and an instruction budget; the figures and
the ranked reasons of every refusal."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from testbed.build.migratable import MAX_COST_ENV
from testbed.conformance.program import Outcome

DEFAULT_JOBS = 2
DEFAULT_TIMEOUT_S = 120.0  # wall seconds per program: builds, runs and six migrations
DEFAULT_BUDGET = 200_000_000  # instructions per emulated run; the torture tests need far fewer
# Estimated instructions between poll-points: the suite's programs are small, so the
# default bound (200,000) would leave most without a poll-point to migrate at: every
# loop and every recursive function gets one.
CONFORMANCE_MAX_COST = 1


def run_one(path: Path, budget: int = DEFAULT_BUDGET, timeout_s: float = DEFAULT_TIMEOUT_S) -> Outcome:
    """Check ``path`` in a child process; a hang or a crash of the child is its outcome."""
    env = {**os.environ, MAX_COST_ENV: str(CONFORMANCE_MAX_COST)}
    proc = subprocess.Popen([sys.executable, "-m", "testbed.conformance.program", str(path), "--budget", str(budget)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: it and its native runs
        stdout, _ = proc.communicate()
        stages = [line.split()[1] for line in stdout.splitlines() if line.startswith("stage ")]
        return Outcome(path.name, stages[-1] if stages else "build",
                       f"took longer than the {timeout_s:g} s wall-clock limit")
    lines = stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        last = (stderr.strip().splitlines() or [f"status {proc.returncode}"])[-1]
        return Outcome(path.name, "build", f"the checking process failed: {last}")
    return Outcome(**json.loads(lines[-1]))


def reason_class(outcome: Outcome) -> str:
    """A refusal's reason without what is particular to the program: its location, the
    names of its variables and functions, the passage of a migration."""
    text = outcome.reason
    if re.match(r"^\d+ migration-unsafe constructs:\n", text):  # ranked by the first of them
        text = text.splitlines()[1].strip()
    text = re.sub(r"^(mipsel|sparc)->(mipsel|sparc)@\d+: ", "migration: ", text)
    text = re.sub(r"\S+\.c:\d+(:\d+)?: ", "", text)  # file:line of the program
    text = re.sub(r" \(full log: [^)]*\)", "", text)
    text = re.sub(r"\([^()]*\)", "(...)", text)  # quoted code
    text = re.sub(r"'[^']*'|`[^`']*'|\"[^\"]*\"", "'...'", text) if "needs " not in text else text
    text = re.sub(r"\b(function|local|parameter|global|field|member)\s+[A-Za-z_]\w*", r"\1 X", text)
    text = re.sub(r"^[A-Za-z_]\w* (is|in) ", r"X \1 ", text)
    text = re.sub(r"\b(struct|union) (?!holding\b|whose\b|of\b)(<anonymous \w+>|\w+)", r"\1 X", text)
    text = re.sub(r"\b\d+\b", "N", text)
    return f"{outcome.stage}: {text}"


@dataclass
class Report:
    """The figures of one run (``to_dict`` is the ``--json`` output)."""

    suite: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def built(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.built]

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.accepted]

    @property
    def with_passages(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passes_poll_points]

    @property
    def migrated_verified(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.stage == "verified"]

    @property
    def silent_wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.silent_wrong]

    def refusals(self) -> list[tuple[str, int, list[str]]]:
        """(reason, count, example programs), most frequent first."""
        by: dict[str, list[str]] = {}
        for o in self.outcomes:
            if o.stage != "verified":
                by.setdefault(reason_class(o), []).append(o.program)
        return sorted(((r, len(p), p) for r, p in by.items()), key=lambda t: (-t[1], t[0]))

    def to_dict(self) -> dict:
        return {
            "suite": self.suite,
            "programs": len(self.outcomes),
            "built": len(self.built),
            "accepted": len(self.accepted),
            "with_poll_point_passages": len(self.with_passages),
            "migrated_verified": len(self.migrated_verified),
            "silent_wrong": len(self.silent_wrong),
            "silent_wrong_programs": [{"program": o.program, "runs": o.silent_wrong} for o in self.silent_wrong],
            "refusals": [{"reason": r, "count": n, "programs": p} for r, n, p in self.refusals()],
            "outcomes": [{"program": o.program, "stage": o.stage, "reason": o.reason, "migrations": o.migrations,
                          "verified": o.verified} for o in self.outcomes],
        }

    def summary(self, top: int = 15) -> str:
        def share(part: int, whole: int) -> str:
            return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else f"{part}/0"

        n = len(self.outcomes)
        lines = [
            f"{self.suite}: {n} programs",
            f"  build and run on mipsel and sparc: {share(len(self.built), n)}",
            f"  of those, accepted by the precompiler: {share(len(self.accepted), len(self.built))}",
            f"  of those, passing a poll-point (a loop or a function with one runs): "
            f"{share(len(self.with_passages), len(self.accepted))}",
            f"  of those, migrated verified at every tried passage, both directions: "
            f"{share(len(self.migrated_verified), len(self.with_passages))}",
            f"  silent wrong results: {len(self.silent_wrong)}"
            + (f" ({', '.join(o.program for o in self.silent_wrong)})" if self.silent_wrong else ""),
            "refusals, most frequent first:",
        ]
        stages = Counter(o.stage for o in self.outcomes if o.stage != "verified")
        for reason, count, programs in self.refusals()[:top]:
            lines.append(f"  {count:4}  {reason[:150]}  (e.g. {', '.join(programs[:3])})")
        lines.append("by stage: " + ", ".join(f"{s} {c}" for s, c in stages.most_common()))
        return "\n".join(lines)


def run_suite(suite: str, files: list[Path], jobs: int = DEFAULT_JOBS, budget: int = DEFAULT_BUDGET,
              timeout_s: float = DEFAULT_TIMEOUT_S, progress: Callable[[Outcome], None] | None = None) -> Report:
    """Check every file, ``jobs`` at a time; outcomes in the files' order."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, f, budget, timeout_s) for f in files]
        outcomes = []
        for fut in futures:
            outcomes.append(fut.result())
            if progress is not None:
                progress(outcomes[-1])
    return Report(suite, outcomes)
