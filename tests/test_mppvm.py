"""MpPVM: tasks of running PVM jobs migrate between ISAs; every message arrives exactly once.

Small sizes (a few seconds each). The property test's quick form runs here; its long form
(TESTBED_MPPVM_RUNS=200) is the acceptance run (docs/mppvm.md), on snow18 or, with
TESTBED_MPPVM_CLUSTER=mixed64, between 32- and 64-bit hosts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testbed.cluster.migrate import FAULTS, MigrationRequest, parse_fault, parse_migration
from testbed.cluster.run import run_program
from testbed.cluster.topology import cluster
from testbed.errors import ConfigError

SNOW = cluster("snow18")


def _run(program: str, migrations: list[MigrationRequest], tasks: int = 4, **kw):  # type: ignore[no-untyped-def]
    r = run_program(program, SNOW, tasks=tasks, size="small", migrations=migrations, **kw)
    assert r.ledger_problems == []
    assert r.ledger["sent"] == r.ledger["delivered"] > 0
    return r


def test_matmul_both_directions_twice_and_the_master() -> None:
    # task 4 runs on dec1 (mipsel), task 1 on ipc2 (sparc), 0 is the master on ipc1
    r = _run("pvm_matmul", [MigrationRequest(4, "ipc3", at_passage=2), MigrationRequest(1, "dec3", at_passage=3),
                            MigrationRequest(1, "ipc2", at_s=0.06), MigrationRequest(0, "dec5", at_s=0.05)])
    assert r.verified is True
    moves = {(m["task"], m["src_isa"], m["dst_isa"]) for m in r.migrations if m["ok"]}
    assert moves == {(4, "mipsel", "sparc"), (1, "sparc", "mipsel"), (1, "mipsel", "sparc"), (0, "sparc", "mipsel")}
    for m in r.migrations:
        assert m["verified"] is True and m["scan_s"] > 0 and m["tx_s"] > 0 and m["restore_s"] > 0
        assert m["stream_bytes"] > 0


def test_heat_blocked_in_recv_with_messages_in_flight() -> None:
    # the heat workers exchange edges every step: a time-based request finds them blocked in
    # pvm_recv, and their neighbours' messages are queued or on the wire when they move
    r = _run("pvm_heat", [MigrationRequest(1, "dec2", at_s=0.02), MigrationRequest(2, "dec3", at_s=0.02)])
    assert r.verified is True
    assert all(m["ok"] for m in r.migrations)
    assert sum(m["drained"] + m["forwarded"] for m in r.migrations) > 0
    assert any(s.detail == "until a migration request" for s in r.spans)  # the wait was ended by the request


def test_partly_unpacked_and_partly_packed_buffers_travel_in_the_stream() -> None:
    # pvm_relay's worker migrates between unpacking one item and packing its partial result,
    # there and back: its buffers (read position, what is packed so far) are in the stream
    r = run_program("pvm_relay", SNOW, tasks=2, size="4,12",
                    migrations=[MigrationRequest(1, "dec2", at_passage=5), MigrationRequest(1, "ipc2", at_passage=9)])
    assert r.verified is True and r.ledger_problems == []
    assert [(m["ok"], m["in_stream"]) for m in r.migrations] == [(True, 1), (True, 1)]
    assert [m["dst_isa"] for m in r.migrations] == ["mipsel", "sparc"]


def test_comparison_plans_heterogeneous_migrations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from testbed.cluster.mppvm_study import load_comparison, plan

    path = tmp_path / "c.toml"
    path.write_text('[experiment]\nname = "c"\n[grid]\ncluster = "snow18"\nworkers = 4\nmigrations = [0, 4]\n'
                    '[grid.programs]\npvm_matmul = "small"\n')
    c = load_comparison(path)
    base = run_program("pvm_matmul", SNOW, tasks=4, size="small", migratable=True)
    requests = plan(base, SNOW, 4)
    isa = {h.name: h.isa for h in SNOW.hosts}
    started = list(base.task_hosts.values())
    assert [q.task for q in requests] == [1, 2, 3, 4] and c.migrations == (0, 4)
    assert all(isa[q.host] != isa[started[q.task]] for q in requests)
    assert sorted(q.at_s for q in requests) == [q.at_s for q in requests]  # spread over the run
    shipped = Path(__file__).resolve().parent.parent / "experiments" / "mppvm.toml"
    assert load_comparison(shipped).migrations == (0, 1, 2, 4)
    assert load_comparison(shipped, quick=True).programs == {"pvm_matmul": "small", "pvm_heat": "small"}
    path.write_text('[experiment]\nname = "c"\n[grid]\ncluster = "snow18"\nworkers = 2\nmigrations = [3]\n'
                    '[grid.programs]\npvm_matmul = "small"\n')
    with pytest.raises(ConfigError, match="migration count"):
        load_comparison(path)


@pytest.mark.parametrize("kind", ["refuse", "link", "destination"])
def test_a_failed_migration_leaves_the_task_at_its_source(kind: str) -> None:
    r = _run("pvm_matmul", [MigrationRequest(1, "dec3", at_passage=2)], faults={1: [kind]})
    assert r.verified is True
    (m,) = r.migrations
    assert not m["ok"] and m["error"]
    assert m["src_host"] in r.hosts_used and "dec3" not in r.hosts_used


def test_request_migration_while_running() -> None:
    from testbed.cluster.cosim import CoSim
    from testbed.programs import PROGRAM_DIR

    sim = CoSim(SNOW, migratable=True)
    records: list[dict] = []

    def scheduler():  # type: ignore[no-untyped-def]
        yield sim.sim.env.timeout(0.03)
        records.append((yield sim.request_migration(2, "dec4")))

    sim.sim.env.process(scheduler())
    first = sim.run(PROGRAM_DIR / "pvm_matmul.c", ["pvm_matmul", "32", "3"])
    assert "sum =" in first.output
    (rec,) = records
    assert rec["ok"] and rec["dst_host"] == "dec4" and rec["task"] == 2
    assert sim.mpd.ledger.problems() == []
    with pytest.raises(ConfigError, match="no task 9"):
        sim.request_migration(9, "dec1")


def test_cli_syntax() -> None:
    assert parse_migration("1:dec3@0.5") == MigrationRequest(1, "dec3", at_s=0.5)
    assert parse_migration("0:ipc2@#4") == MigrationRequest(0, "ipc2", at_passage=4)
    for bad in ("1dec3@0.5", "x:dec3@1", "1:dec3@soon", "1:dec3@#0", "1:dec3"):
        with pytest.raises(ConfigError, match="--migrate|passages"):
            parse_migration(bad)
    assert parse_fault("2:link") == (2, "link")
    with pytest.raises(ConfigError, match="--fail"):
        parse_fault("2:meteor")
    with pytest.raises(ConfigError, match="unknown host|no host|nohost"):
        run_program("pvm_matmul", SNOW, tasks=2, migrations=[MigrationRequest(1, "nohost", at_s=0.0)])


RUNS = int(os.environ.get("TESTBED_MPPVM_RUNS", "3"))  # the long form: 200 or more
REPORT = os.environ.get("TESTBED_MPPVM_REPORT")  # a file: one JSON line of figures per run
# The cluster the plans move tasks over; TESTBED_MPPVM_CLUSTER=mixed64 crosses word sizes too
PLAN_CLUSTER = cluster(os.environ.get("TESTBED_MPPVM_CLUSTER", "snow18"))
HOSTS = [h.name for h in PLAN_CLUSTER.hosts[:8]]
Plan = tuple[str, list[MigrationRequest], dict[int, list[str]]]


@st.composite
def _plan(draw: st.DrawFn) -> Plan:
    program = draw(st.sampled_from(["pvm_matmul", "pvm_heat"]))
    faults = {task: [draw(st.sampled_from(FAULTS))] for task in draw(st.sets(st.integers(0, 3), max_size=1))}
    moves = []
    for _ in range(draw(st.integers(1, 3))):
        task = draw(st.integers(0, 3))
        host = draw(st.sampled_from(HOSTS))
        if draw(st.booleans()):
            moves.append(MigrationRequest(task, host, at_s=draw(st.floats(0.0, 0.12))))
        else:
            moves.append(MigrationRequest(task, host, at_passage=draw(st.integers(1, 12))))
    return program, moves, faults


@settings(max_examples=RUNS, deadline=None, derandomize=RUNS <= 3,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_plan())
def test_property_random_migrations_keep_output_and_delivery(plan: Plan) -> None:
    program, moves, faults = plan
    r = run_program(program, PLAN_CLUSTER, tasks=3, size="small", migrations=moves, faults=faults)
    assert r.verified is True, (moves, faults, [m["error"] for m in r.migrations])
    assert r.ledger_problems == [], moves
    assert r.ledger["sent"] == r.ledger["delivered"]
    for m in r.migrations:  # a migration that cannot happen says why; none is lost silently
        assert m["ok"] or m["error"]
    if REPORT:
        with open(REPORT, "a") as f:
            f.write(json.dumps({"program": program, "requested": len(moves), "faults": len(faults),
                                "ok": sum(m["ok"] for m in r.migrations),
                                "failed": sum(not m["ok"] for m in r.migrations),
                                "messages_moved": sum(m["messages_moved"] for m in r.migrations),
                                "forwarded": r.ledger["forwarded"], "sent": r.ledger["sent"],
                                "errors": [m["error"] for m in r.migrations if not m["ok"]]}) + "\n")
