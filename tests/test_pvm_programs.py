"""PVM programs on co-simulated clusters: outputs against their references, PVM semantics
between mipsel and sparc tasks, determinism, and one clear line for a bad program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed.cli import main
from testbed.cluster.run import run_program
from testbed.cluster.topology import cluster
from testbed.cluster.trace import trace_events, write_trace
from testbed.errors import ConfigError, TestbedError

PVM_TESTS = Path(__file__).resolve().parent / "pvm"


@pytest.mark.parametrize(("program", "size"), [("pvm_matmul", "small"), ("pvm_heat", "64,20")])
@pytest.mark.parametrize(("workers", "name"), [(1, "mixed4"), (4, "snow18"), (16, "snow18")])
def test_output_is_the_serial_reference(program: str, size: str, workers: int, name: str) -> None:
    r = run_program(program, cluster(name), tasks=workers, size=size)
    assert r.verified is True, (r.output, r.reference)
    isas = {cluster(name).host(h).isa for h in r.hosts_used}
    assert isas == {"mipsel", "sparc"}  # mixed byte orders every time
    assert r.tasks == workers and r.messages > 0 and r.errors == ""


def test_every_type_with_stride_between_mipsel_and_sparc() -> None:
    r = run_program(str(PVM_TESTS / "pvm_types.c"), cluster("pair"))
    one = ("-7 -32768 65535 -2147483648 4294967295 -123456789 4000000000 -1.5 -0.10000000000000001\n"
           "65 1234 1 -1 0 0 5 3.14159274 2.7182818284590451\n"
           "127 32767 40000 2147483647 3000000000 987654321 6 9.99999935e-39 1e+308\n"
           "strings too\n")
    assert r.output == one + one  # from the mipsel child and from the sparc child


def test_wildcards_fifo_many_to_one_mcast_nrecv_probe() -> None:
    r = run_program(str(PVM_TESTS / "pvm_msgs.c"), cluster("mixed4"))
    assert r.output.splitlines() == [
        "nrecv before anything: 0, probe: 0",
        "probe(child 1, 5): found after polling, tag 5, 4 bytes",
        "nrecv(child 1, 5): a buffer, value 105",
        "trecv(child 1, 5, 20 ms): 0",
        "recv(-1, 3): tag 3 value 3 from child 0",
        "recv(child 2, -1): tag 1 value 201, 4 bytes",
        "probe after all: 0, nrecv after all: 0",
        "child 0: 1 2 4 5",
        "child 1: 101 102 103 104",
        "child 2: 202 203 204 205",
    ]


def test_same_run_twice_gives_the_same_trace(tmp_path: Path) -> None:
    runs = [run_program("pvm_matmul", cluster("snow18"), tasks=6, verify=False) for _ in range(2)]
    assert json.dumps(trace_events(runs[0])) == json.dumps(trace_events(runs[1]))
    assert runs[0].execution_s == runs[1].execution_s
    trace, png = write_trace(runs[0], tmp_path / "mm.json")
    events = json.loads(trace.read_text())["traceEvents"]
    assert {e["name"] for e in events if e["ph"] == "X"} == {"compute", "send", "wait"}
    assert png.stat().st_size > 1000


def test_the_100mbps_network_is_faster_for_matmul() -> None:
    slow = run_program("pvm_matmul", cluster("snow18"), tasks=4, verify=False)
    fast = run_program("pvm_matmul", cluster("snow18").with_network("100mbps"), tasks=4, verify=False)
    assert fast.execution_s < slow.execution_s and fast.output == slow.output


def test_deadlock_lists_every_blocked_task() -> None:
    with pytest.raises(TestbedError) as info:
        run_program(str(PVM_TESTS / "pvm_deadlock.c"), cluster("pair"))
    text = str(info.value)
    assert "\n" not in text and text.startswith("deadlock at")
    assert "t40001 (pvm_deadlock on dec1) waits in pvm_recv(tid=t80001, tag=2)" in text
    assert "t80001 (pvm_deadlock on ipc1) waits in pvm_recv(tid=t40001, tag=1)" in text


def test_spawning_an_unknown_task_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "run", str(PVM_TESTS / "pvm_badspawn.c"), "--cluster", "pair"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "spawned unknown task 'no_such_task'" in err and "--path" in err


def test_unpacking_past_the_end_returns_pvm_no_data() -> None:
    r = run_program(str(PVM_TESTS / "pvm_overrun.c"), cluster("pair"))
    assert r.output == "pvm_upkint past the end returned -5 (pvm_errno -5), PvmNoData is -5\n"
    assert r.errors == "libpvm [t40001]: pvm_upkint(): End of buffer\n"  # as the real libpvm's PvmAutoErr


def test_cli_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "run", "pvm_heat", "--cluster", "mixed4", "--tasks", "2", "--size", "40,5",
                 "--net", "100mbps", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"program", "cluster", "tasks", "hosts_used", "execution_s", "messages", "message_bytes",
            "verified", "output"} <= out.keys()
    assert out["verified"] is True and out["network"] == "100mbps" and out["tasks"] == 2


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown size 'huge'"):
        run_program("pvm_matmul", cluster("pair"), size="huge")
    with pytest.raises(ConfigError, match="--tasks must be 1..64"):
        run_program("pvm_matmul", cluster("pair"), tasks=0)
    with pytest.raises(ConfigError, match="unknown network"):
        cluster("pair").with_network("56k")


def test_groups_barrier_and_bcast() -> None:
    r = run_program(str(PVM_TESTS / "pvm_groups.c"), cluster("mixed4"))
    assert r.output.splitlines() == [
        "master is instance 0 of 4; instance 2 is child 1",
        "got 4201", "got 4202", "got 4203",
        "after leaving: 1 members, joining twice: -18, no group: -19",
    ]
    assert r.errors.splitlines() == ["libpvm [t40001]: pvm_joingroup(): Already in group",
                                     "libpvm [t40001]: pvm_gsize(): No such group"]
