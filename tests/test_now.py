"""The NOW scheduler's policies on the two-host cluster, with owners from trace files.

pvm_matmul small with one worker on ``pair``: the master on dec1, the worker on ipc1, the
job about 0.11 s alone; short slices so that an owner's return reaches a task promptly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.cluster.topology import cluster
from testbed.now.run import JobSpec, NowConfig, NowResult, run_now

JOB = (JobSpec("pvm_matmul", "small", 1),)
SLICE = 20_000  # instructions: a few ms of a 1990 host


def _period(tmp_path: Path, policy: str, trace: str, hours: float = 0.0004, work_scale: float = 1.0) -> NowResult:
    path = tmp_path / "owners.csv"
    path.write_text("host,start,end\n" + trace)
    cfg = NowConfig(cluster("pair"), policy, busy=None, hours=hours, trace=path, jobs=JOB, concurrent=1,
                    slice_instructions=SLICE, work_scale=work_scale)
    return run_now(cfg)


def _first_job(r: NowResult) -> dict:
    job = r.jobs[0]
    assert job["finished_s"] is not None, "the first job did not finish"
    return job


def test_without_owners_the_job_is_verified_and_harvests(tmp_path: Path) -> None:
    r = _period(tmp_path, "ignore", "")
    assert r.metrics["jobs_completed"] >= 3 and r.metrics["jobs_verified"] == r.metrics["jobs_completed"]
    assert r.metrics["owner_interference_cpu_s"] == 0.0 and r.metrics["owner_slowdown"] == 1.0
    assert 0.0 < r.metrics["harvested_share"] <= 1.0


def test_ignore_shares_the_cpu_with_the_owner(tmp_path: Path) -> None:
    alone = _first_job(_period(tmp_path, "ignore", ""))["job_s"]
    r = _period(tmp_path, "ignore", "ipc1,0.02,1.0\n")
    job = _first_job(r)
    assert job["verified"] and job["job_s"] > 1.3 * alone  # the worker got half the CPU
    assert r.metrics["owner_interference_cpu_s"] > 0.0 and r.metrics["owner_slowdown"] > 1.0


def test_suspend_resumes_when_the_owner_leaves(tmp_path: Path) -> None:
    r = _period(tmp_path, "suspend", "ipc1,0.02,0.3\n")
    job = _first_job(r)
    assert job["verified"] and job["finished_s"] > 0.3
    held = [s for s in r.spans if s.kind == "suspended"]
    assert len(held) == 1 and held[0].host == "ipc1"
    assert held[0].start == pytest.approx(0.02, abs=0.01) and held[0].end == pytest.approx(0.3)
    computing = [s for s in r.spans if s.kind == "compute" and s.host == "ipc1" and s.tid == held[0].tid]
    assert not any(held[0].start < s.start < held[0].end for s in computing)
    assert r.metrics["owner_interference_cpu_s"] < 0.01


def test_restart_kills_the_job_and_finishes_it_elsewhere_correctly(tmp_path: Path) -> None:
    r = _period(tmp_path, "restart", "dec1,0.05,1.0\n")
    job = _first_job(r)
    assert job["attempts"] == 2 and job["verified"]
    assert r.metrics["restarts"] >= 1
    late = [s for s in r.spans if s.kind == "compute" and 0.06 < s.start < 1.0]
    assert late and all(s.host == "ipc1" for s in late)  # no guest computes beside dec1's owner


def test_the_same_inputs_give_the_same_period(tmp_path: Path) -> None:
    a = _period(tmp_path, "suspend", "ipc1,0.02,0.3\n")
    b = _period(tmp_path, "suspend", "ipc1,0.02,0.3\n")
    drop = {"wall_s", "sim_to_wall", "cpu_s", "sim_to_cpu"}
    assert {k: v for k, v in a.metrics.items() if k not in drop} == {k: v for k, v in b.metrics.items() if k not in drop}
    assert [(s.tid, s.kind, s.start, s.end) for s in a.spans] == [(s.tid, s.kind, s.start, s.end) for s in b.spans]


def test_the_work_scale_stretches_computing_not_messages(tmp_path: Path) -> None:
    alone = _first_job(_period(tmp_path, "ignore", ""))["job_s"]
    scaled = _first_job(_period(tmp_path, "ignore", "", hours=0.004, work_scale=10))
    assert scaled["verified"] and 5 * alone < scaled["job_s"] < 10 * alone


@pytest.mark.parametrize("work_scale", [1.0, 20.0])
def test_migrate_leaves_no_task_on_a_busy_host_longer_than_a_migration(tmp_path: Path, work_scale: float) -> None:
    # at a work scale the migrating task still reaches its poll-point at the real rate
    arrive, leave = 0.02 * work_scale, 1.0 * work_scale  # the worker has started computing
    r = _period(tmp_path, "migrate", f"ipc1,{arrive},{leave}\n", hours=0.0004 * work_scale, work_scale=work_scale)
    job = _first_job(r)
    assert job["verified"] and r.metrics["migrations"] >= 1
    move = r.migration_records[0]
    assert move["src_host"] == "ipc1" and move["dst_host"] == "dec1"
    took = float(move.get("scan_s", 0)) + float(move.get("tx_s", 0)) + float(move.get("restore_s", 0))
    left = arrive + 0.01 + took  # the owner's arrival reaches the task within one short slice
    beside = [s for s in r.spans if s.kind == "compute" and s.host == "ipc1" and left + 1e-6 < s.end and s.start < leave]
    assert not beside, f"computing on ipc1 while its owner is there, after the migration: {beside[:3]}"
    assert r.metrics["bytes_moved"] == sum(m["stream_bytes"] for m in r.migration_records) > 0


def test_cli_json_has_the_documented_keys(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "testbed", "now", "--cluster", "pair", "--policy", "suspend",
                          "--hours", "0.0002", "--job", "pvm_matmul:small:1", "--concurrent", "1", "--json",
                          "--trace", str(tmp_path / "t.json")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("policy", "jobs_completed", "jobs_verified", "mean_job_s", "owner_interference_cpu_s",
                "owner_slowdown", "migrations", "bytes_moved", "harvested_share", "wall_s"):
        assert key in data
    assert (tmp_path / "t.png").stat().st_size > 0
    trace = json.loads((tmp_path / "t.json").read_text())
    assert any(e.get("cat") == "owner" for e in trace["traceEvents"]) or data["owner_busy_fraction"] == 0


def test_cli_bad_owner_trace_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "o.csv"
    bad.write_text("host,start,end\nnowhere,1,2\n")
    out = subprocess.run([sys.executable, "-m", "testbed", "now", "--cluster", "pair", "--owners", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.startswith("testbed: error: owner trace") and "'nowhere'" in out.stderr


def test_the_comparison_file_parses_in_both_forms() -> None:
    from testbed.now.compare import load_comparison

    path = Path(__file__).parents[1] / "experiments" / "now.toml"
    full, quick = load_comparison(path), load_comparison(path, quick=True)
    assert full.cluster == "snow18" and len(full.busy) * len(full.seeds) * len(full.policies) == 36
    assert quick.cluster == "mixed4" and quick.hours < full.hours and quick.policies == full.policies
