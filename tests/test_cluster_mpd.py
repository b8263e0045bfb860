"""Mpd and the shared network, host side: contention, per-pair FIFO, wildcards, determinism."""

from __future__ import annotations

import pytest

from testbed.cluster.mpd import ANY, ROUTE_DEFAULT, ROUTE_DIRECT, Message, Mpd
from testbed.cluster.topology import cluster
from testbed.net.engine import Sim

MB = 1_000_000


def _transfers(pairs: list[tuple[str, str]], route: str, nbytes: int = MB, name: str = "snow18") -> float:
    """Start one ``nbytes`` message per (src host, dst host) pair at t=0; the last arrival."""
    sim = Sim(0)
    mpd = Mpd(sim, cluster(name))
    arrivals: list[float] = []
    for a, b in pairs:
        src, dst = mpd.new_tid(a), mpd.new_tid(b)
        mpd.send(src, dst, 1, bytes(nbytes), route)
        mpd.recv(dst, src, 1).callbacks.append(lambda _ev: arrivals.append(sim.now))
    sim.env.run()
    assert len(arrivals) == len(pairs)
    return max(arrivals)


@pytest.mark.parametrize("route", [ROUTE_DEFAULT, ROUTE_DIRECT])
def test_two_transfers_on_one_10mbps_segment_take_twice_as_long(route: str) -> None:
    # The IPCs are wire-bound at 10 Mb/s (their stacks move ~2 MB/s), so the shared wire
    # is what two disjoint pairs contend for.
    one = _transfers([("ipc1", "ipc2")], route)
    two = _transfers([("ipc1", "ipc2"), ("ipc3", "ipc4")], route)
    assert two / one == pytest.approx(2.0, rel=0.10)


def test_switched_100mbps_pairs_do_not_contend() -> None:
    one = _transfers([("ipc1", "ipc2")], ROUTE_DIRECT, name="snow18-100")
    two = _transfers([("ipc1", "ipc2"), ("ipc3", "ipc4")], ROUTE_DIRECT, name="snow18-100")
    assert two / one == pytest.approx(1.0, rel=0.02)


def _mpd(name: str = "mixed4") -> tuple[Sim, Mpd]:
    sim = Sim(0)
    return sim, Mpd(sim, cluster(name))


def test_tids_encode_the_host_as_pvm_does() -> None:
    _, mpd = _mpd()
    assert mpd.new_tid("dec1") == 0x40001 and mpd.new_tid("dec1") == 0x40002
    assert mpd.new_tid("ipc1") == 0x80001 and mpd.host_of(0x80001) == "ipc1"


def test_fifo_per_pair_even_when_a_small_message_follows_a_large_one() -> None:
    sim, mpd = _mpd()
    a, b = mpd.new_tid("dec1"), mpd.new_tid("ipc1")
    mpd.send(a, b, 7, bytes(200_000), ROUTE_DEFAULT)
    mpd.send(a, b, 7, b"small", ROUTE_DIRECT)  # a faster route must not overtake
    sim.env.run()
    got = [mpd.take(b, ANY, ANY) for _ in range(2)]
    assert [len(m.body) for m in got if m] == [200_000, 5]


def test_wildcards_probe_and_many_to_one() -> None:
    sim, mpd = _mpd()
    master = mpd.new_tid("dec1")
    workers = [mpd.new_tid(h) for h in ("ipc1", "dec2", "ipc2")]
    for i, w in enumerate(workers):
        mpd.send(w, master, 10 + i, i.to_bytes(4, "big"))
    assert mpd.probe(master, ANY, ANY) is None  # nothing has arrived at t=0
    sim.env.run()
    assert mpd.probe(master, workers[2], ANY) is not None
    assert mpd.take(master, ANY, 11).src == workers[1]  # type: ignore[union-attr]
    rest = [mpd.take(master, ANY, ANY) for _ in range(2)]
    assert sorted(m.src for m in rest if m) == sorted([workers[0], workers[2]])
    assert mpd.take(master, ANY, ANY) is None


def test_a_blocked_receive_is_listed_then_woken() -> None:
    sim, mpd = _mpd()
    a, b = mpd.new_tid("dec1"), mpd.new_tid("ipc2")
    event = mpd.recv(b, a, 3)
    assert mpd.blocked() == {b: (a, 3)}
    mpd.send(a, b, 3, b"x")
    sim.env.run()
    assert isinstance(event.value, Message) and event.value.arrived_at > 0 and mpd.blocked() == {}


def _timeline() -> list[tuple[float, int, int, int]]:
    sim, mpd = _mpd("snow18")
    log: list[tuple[float, int, int, int]] = []
    mpd.on_delivery = lambda m: log.append((sim.now, m.src, m.dst, len(m.body)))
    tids = [mpd.new_tid(h.name) for h in cluster("snow18").hosts[:8]]
    for i, src in enumerate(tids):  # everybody sends to everybody at once: collisions
        for dst in tids:
            if dst != src:
                mpd.send(src, dst, i, bytes(3000 + 100 * i))
    sim.env.run()
    return log


def test_same_run_twice_gives_the_same_timeline() -> None:
    first = _timeline()
    assert len(first) == 56 and first == _timeline()
