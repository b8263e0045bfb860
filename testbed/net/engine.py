"""The discrete-event core: a SimPy environment that counts events, a seeded RNG, and hosts' CPUs.

The hot path (one data segment, one ACK, one frame) is written as SimPy timeouts with plain
callbacks rather than as generator processes: a process switch per segment would cost more
host time than the rest of the model, and an 8 MB transfer must simulate in well under a
second. Coarser activities (disk files, rcp) are ordinary SimPy processes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import simpy


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (reported as ``events``)."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


class Sim:
    """Environment, the one random stream, and a helper to run a callback later.

    One ``random.Random(seed)`` feeds every random choice (loss, backoff, background
    traffic) in event order, so the same arguments and seed give the same result.
    """

    def __init__(self, seed: int) -> None:
        self.env = CountingEnvironment()
        self.rng = random.Random(seed)

    @property
    def now(self) -> float:
        return self.env.now

    def at(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` after ``delay`` simulated seconds (clamped at 0 for rounding)."""
        ev = simpy.Timeout(self.env, delay if delay > 0.0 else 0.0)
        ev.callbacks.append(lambda _ev: fn(*args))

    def event(self) -> simpy.Event:
        return self.env.event()


class Cpu:
    """A host CPU as a non-preemptive FIFO server of protocol and file-system work.

    Jobs arrive in time order, so a job's finish time is known when it is queued: one event
    per job. Sending, ACK processing and file-system work of one host queue behind each
    other, which is what makes a 1990s host CPU-bound rather than wire-bound.
    """

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.free_at = 0.0
        self.busy_time = 0.0

    def run(self, duration: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run a job of ``duration`` seconds, then call ``fn(*args)``."""
        now = self.sim.env.now
        start = self.free_at if self.free_at > now else now
        self.free_at = start + duration
        self.busy_time += duration
        self.sim.at(self.free_at - now, fn, *args)

    def job(self, duration: float) -> simpy.Event:
        """The same as :meth:`run` for a SimPy process: an event that fires when done."""
        ev = self.sim.event()
        self.run(duration, ev.succeed)
        return ev


class Host:
    """One simulated machine: its CPU, its NIC and its protocol-stack costs.

    ``per_packet`` and ``per_byte`` are charged on this host's CPU for every segment it
    sends or receives (an ACK is a packet with no bytes). Both are zero in "ideal" runs.
    """

    def __init__(self, sim: Sim, name: str, per_packet: float, per_byte: float) -> None:
        self.sim = sim
        self.name = name
        self.cpu = Cpu(sim)
        self.nic: Any = None
        self.per_packet = per_packet
        self.per_byte = per_byte
