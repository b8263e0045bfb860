"""The delivery ledger: every message sent and every delivery, kept by the host model.

Mpd writes one entry when a task sends a message (its per-pair sequence number), one
when a daemon forwards it (it reached a host its task had left) and one when it is
delivered into its task's mailbox. ``problems()`` checks the MpPVM guarantee over a whole
run: every message sent was delivered exactly once, at the host its task was on, and the
messages of each (sender, receiver) pair were delivered in the order sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol


class _Sent(Protocol):
    src: int
    dst: int
    seq: int


@dataclass
class Ledger:
    sends: list[tuple[int, int, int]] = field(default_factory=list)  # (src, dst, seq)
    deliveries: list[tuple[int, int, int, str]] = field(default_factory=list)  # (src, dst, seq, host)
    forwards: list[tuple[int, int, int, str, str]] = field(default_factory=list)  # (src, dst, seq, from, to)

    def sent(self, msg: _Sent) -> None:
        self.sends.append((msg.src, msg.dst, msg.seq))

    def delivered(self, msg: _Sent, host: str) -> None:
        self.deliveries.append((msg.src, msg.dst, msg.seq, host))

    def forwarded(self, msg: _Sent, at: str, to: str) -> None:
        self.forwards.append((msg.src, msg.dst, msg.seq, at, to))

    def problems(self) -> list[str]:
        """What breaks exactly-once, per-sender-order delivery (empty: nothing)."""
        out: list[str] = []
        sent = Counter(self.sends)
        got = Counter((s, d, q) for s, d, q, _ in self.deliveries)
        for key in sent:
            if got[key] != 1:
                out.append(f"message {_name(key)} delivered {got[key]} times")
        for key in got:
            if key not in sent:
                out.append(f"message {_name(key)} delivered but never sent")
        last: dict[tuple[int, int], int] = {}
        for s, d, q, _ in self.deliveries:
            if q != last.get((s, d), -1) + 1:
                out.append(f"message {_name((s, d, q))} delivered after seq {last.get((s, d), -1)}")
            last[(s, d)] = q
        return out

    def summary(self) -> dict[str, int]:
        return {"sent": len(self.sends), "delivered": len(self.deliveries), "forwarded": len(self.forwards)}


def _name(key: tuple[int, int, int]) -> str:
    src, dst, seq = key
    return f"t{src:x}->t{dst:x} #{seq}"
