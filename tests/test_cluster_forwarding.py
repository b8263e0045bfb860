"""Mpd's part of MpPVM, host side: forwarding from a host a task left, lazy location
updates, per-pair order across routes, and the ledger's verdicts."""

from __future__ import annotations

import pytest

from testbed.cluster.ledger import Ledger
from testbed.cluster.mpd import ANY, ROUTE_DEFAULT, ROUTE_DIRECT, Message, Mpd
from testbed.cluster.topology import cluster
from testbed.net.engine import Sim


@pytest.mark.parametrize("route", [ROUTE_DEFAULT, ROUTE_DIRECT])
def test_in_flight_messages_are_forwarded_and_the_sender_learns(route: str) -> None:
    sim = Sim(0)
    mpd = Mpd(sim, cluster("snow18"))
    sender, task = mpd.new_tid("ipc1"), mpd.new_tid("ipc2")
    mpd.send(sender, task, 1, bytes(20_000), route)  # on its way to ipc2 when the task moves
    sim.env.run(until=0.001)
    mpd.move(task, "dec1")
    sim.env.run()
    assert mpd.believed("ipc1", task) == "dec1"  # learned from the forward
    mpd.send(sender, task, 1, b"after", route)  # straight to dec1 now
    sim.env.run()
    assert [m.body[:5] for m in (mpd.take(task, ANY, ANY), mpd.take(task, ANY, ANY))] == [bytes(5), b"after"]
    assert len(mpd.ledger.forwards) == 1 and mpd.ledger.forwards[0][3:] == ("ipc2", "dec1")
    assert mpd.ledger.problems() == []
    assert {host for *_k, host in mpd.ledger.deliveries} == {"dec1"}


def test_a_chain_of_moves_still_reaches_the_task_in_order() -> None:
    sim = Sim(0)
    mpd = Mpd(sim, cluster("snow18"))
    sender, task = mpd.new_tid("dec5"), mpd.new_tid("ipc2")
    mpd.move(task, "dec1")
    mpd.move(task, "ipc3")  # ipc2 -> dec1 -> ipc3; dec5 still believes ipc2
    for i in range(5):
        mpd.send(sender, task, 1, bytes([i]) * (30_000 if i == 0 else 10), ROUTE_DEFAULT)
    sim.env.run()
    assert [mpd.take(task, ANY, ANY).body[0] for _ in range(5)] == [0, 1, 2, 3, 4]
    assert mpd.ledger.problems() == []
    assert mpd.believed("dec5", task) == "ipc3"  # the newer update wins whatever their order


def test_the_ledger_names_a_lost_a_duplicated_and_a_reordered_message() -> None:
    ledger = Ledger()
    msgs = [Message(1, 2, 0, b"", seq, 0.0) for seq in range(3)]
    for m in msgs:
        ledger.sent(m)
    ledger.delivered(msgs[1], "h")
    ledger.delivered(msgs[0], "h")
    ledger.delivered(msgs[0], "h")
    problems = " | ".join(ledger.problems())
    assert "t1->t2 #2 delivered 0 times" in problems
    assert "t1->t2 #0 delivered 2 times" in problems
    assert "t1->t2 #1 delivered after seq -1" in problems
