"""Ethernet: a shared CSMA/CD medium (10 Mb/s) or one direction of a full-duplex link (100 Mb/s).

A frame occupies the wire for (preamble + frame) bytes and is followed by the inter-frame
gap; the medium is then free. Access follows 1-persistent CSMA/CD: a station that finds the
medium idle transmits at once; stations that become ready while it is busy defer and all
transmit when the gap ends, so two or more deferring stations collide. A collision lasts
the preamble plus the jam plus a round trip; each station then backs off a random number
of slot times (truncated binary exponential backoff) and gives the frame up after the
attempt limit. Collisions of stations starting within the propagation delay of each other
on an idle medium are not modelled (they need independent arrivals within microseconds;
deferral collisions dominate on a busy segment).

Full duplex (switched Fast Ethernet) has no collisions: each direction is a FIFO channel.
``collisions=False`` gives the same FIFO discipline on a shared medium, for the analytic
"ideal" check.

Loss and link failure are decided per frame when it starts: a lost frame still occupies the
wire (it is corrupted, the receiver's FCS check discards it), then it is not delivered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from testbed.net.engine import Sim
from testbed.net.params import LinkParams


class Frame:
    """One frame handed to the medium by a station (a host NIC or a background station)."""

    __slots__ = ("wire", "station", "deliver", "args", "attempts", "lost", "host")

    def __init__(self, wire: int, station: Any, deliver: Callable[..., Any] | None,
                 args: tuple[Any, ...], host: bool) -> None:
        self.wire = wire
        self.station = station
        self.deliver = deliver
        self.args = args
        self.attempts = 0
        self.lost = False
        self.host = host


class Faults:
    """Frame loss and link failure for the two hosts' frames (background frames are not ours)."""

    def __init__(self, sim: Sim, loss: float, fail_at: float | None) -> None:
        self.sim = sim
        self.loss = loss
        self.fail_at = fail_at
        self.lost_frames = 0

    def link_down(self, t: float) -> bool:
        return self.fail_at is not None and t >= self.fail_at

    def frame_lost(self, end: float) -> bool:
        """Whether a host frame ending at ``end`` is lost: cut by the failure, or dropped."""
        if self.fail_at is not None and end > self.fail_at:
            self.lost_frames += 1
            return True
        if self.loss > 0.0 and self.sim.rng.random() < self.loss:
            self.lost_frames += 1
            return True
        return False


class Medium:
    """A shared half-duplex segment, or one direction of a full-duplex link."""

    def __init__(self, sim: Sim, link: LinkParams, faults: Faults, collisions: bool) -> None:
        self.sim = sim
        self.link = link
        self.faults = faults
        self.csma = collisions
        self.byte_time = link.byte_time
        self.ifg_time = link.ifg * link.byte_time
        self.prop = link.propagation
        self.collision_time = (link.preamble + link.jam) * link.byte_time + 2 * link.propagation
        self.idle_at = 0.0  # earliest start of the next transmission (end of last + gap)
        self.waiting: deque[Frame] = deque()
        self.arbiter_pending = False
        self.busy_time = 0.0
        self.collisions = 0  # collision events
        self.host_collisions = 0  # collision events in which a host frame took part
        self.dropped = 0  # frames given up after the attempt limit

    def send(self, frame: Frame) -> None:
        now = self.sim.env.now
        if not self.waiting and not self.arbiter_pending and now >= self.idle_at:
            self._start(frame, now)
            return
        self.waiting.append(frame)
        if not self.arbiter_pending:
            self._schedule_arbiter(now)

    def _schedule_arbiter(self, now: float) -> None:
        self.arbiter_pending = True
        self.sim.at(self.idle_at - now, self._arbitrate)

    def _arbitrate(self) -> None:
        """The gap has ended: one waiting station transmits, or all waiting stations collide."""
        self.arbiter_pending = False
        now = self.sim.env.now
        if self.csma and len(self.waiting) > 1:
            self._collide(now)
            return
        self._start(self.waiting.popleft(), now)
        if self.waiting:
            self._schedule_arbiter(now)

    def _start(self, frame: Frame, now: float) -> None:
        duration = frame.wire * self.byte_time
        end = now + duration
        self.idle_at = end + self.ifg_time
        self.busy_time += duration
        if frame.host:
            frame.lost = self.faults.frame_lost(end)
        self.sim.at(duration + self.prop, frame.station.done, frame)

    def _collide(self, now: float) -> None:
        frames = list(self.waiting)
        self.waiting.clear()
        self.collisions += 1
        if any(f.host for f in frames):
            self.host_collisions += 1
        duration = self.collision_time
        self.idle_at = now + duration + self.ifg_time
        self.busy_time += duration
        link = self.link
        rng = self.sim.rng
        groups: dict[int, list[Frame]] = {}
        for f in frames:
            f.attempts += 1
            if f.attempts >= link.attempt_limit:
                f.lost = True
                self.dropped += 1
                self.sim.at(duration, f.station.done, f)
                continue
            k = rng.randrange(1 << min(f.attempts, link.backoff_limit))
            groups.setdefault(k, []).append(f)
        for k, group in groups.items():
            self.sim.at(duration + k * link.slot_time, self._rejoin, group)

    def _rejoin(self, frames: list[Frame]) -> None:
        """Stations whose backoff ended at the same instant contend together."""
        self.waiting.extend(frames)
        if not self.arbiter_pending:
            self._schedule_arbiter(self.sim.env.now)


class Nic:
    """A host's network interface: a FIFO transmit queue in front of its medium."""

    def __init__(self, medium: Medium) -> None:
        self.medium = medium
        self.queue: deque[Frame] = deque()
        self.busy = False
        self.frames = 0

    def send(self, wire: int, deliver: Callable[..., Any], *args: Any) -> None:
        """Transmit a frame; at the far end ``deliver(ok, *args)`` is called (ok False if lost)."""
        frame = Frame(wire, self, deliver, args, True)
        self.frames += 1
        if self.busy:
            self.queue.append(frame)
        else:
            self.busy = True
            self.medium.send(frame)

    def done(self, frame: Frame) -> None:
        if self.queue:
            self.medium.send(self.queue.popleft())
        else:
            self.busy = False
        assert frame.deliver is not None
        frame.deliver(not frame.lost, *frame.args)


class BackgroundStation:
    """Another host sending Poisson traffic with a bimodal frame-size mix."""

    def __init__(self, sim: Sim, medium: Medium, link: LinkParams, rate: float, faults: Faults) -> None:
        self.sim = sim
        self.medium = medium
        self.link = link
        self.rate = rate  # frames per second
        self.faults = faults
        self.queue: deque[Frame] = deque()
        self.busy = False
        self.frames = 0
        self.small = link.preamble + link.bg_small_frame
        self.large = link.preamble + link.bg_large_frame
        sim.at(sim.rng.expovariate(rate), self._arrive)

    def _arrive(self) -> None:
        sim = self.sim
        if self.faults.link_down(sim.env.now):
            return  # the segment is cut: nothing of ours crosses it, other traffic is moot
        wire = self.small if sim.rng.random() < self.link.bg_small_fraction else self.large
        frame = Frame(wire, self, None, (), False)
        self.frames += 1
        if self.busy:
            self.queue.append(frame)
        else:
            self.busy = True
            self.medium.send(frame)
        sim.at(sim.rng.expovariate(self.rate), self._arrive)

    def done(self, frame: Frame) -> None:
        if self.queue:
            self.medium.send(self.queue.popleft())
        else:
            self.busy = False


def background_stations(sim: Sim, medium: Medium, link: LinkParams, load: float,
                        faults: Faults) -> list[BackgroundStation]:
    """Stations offering ``load`` (a fraction of the bit rate, preamble and gap included)."""
    if load <= 0.0:
        return []
    p = link.bg_small_fraction
    mean_wire = (p * (link.preamble + link.bg_small_frame)
                 + (1.0 - p) * (link.preamble + link.bg_large_frame) + link.ifg)
    frames_per_s = load * link.bit_rate / (8.0 * mean_wire)
    n = link.bg_stations
    return [BackgroundStation(sim, medium, link, frames_per_s / n, faults) for _ in range(n)]
