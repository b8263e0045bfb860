"""Socket I/O of the classic runtime in network mode: the original system's stream handed
to the TCP socket one encoded item per call (docs/runtimes.md, "Socket I/O").

The original wrote its stream item by item as its XDR routines produced the items (a
block header, a pointer, a scalar, an array of primitives as one item) and the
destination read it back the same way. An array costs one call whatever its size, so
linpack's stream (a few dozen items for megabytes) is priced as before, while bitonic's
(three items per 12-byte tree node) pays a call for every few bytes: the per-item cost
that the published Table 1 bitonic rows show and that instructions alone do not give.

The guest counts the items it encodes (``mig_control.items``, the ``ITEM()`` macro of
``runtime_design.h``); the host prices them from the profiles' ``[sock]`` table, in
cycles of the machine that runs them (fitted on the Ultra 5, none elsewhere: no other
released row shows them):

- ``sock.write_item``: one write() on the source, part of the collection (Scan/collect);
- ``sock.read_item``: one read() on the destination, part of the restoration;
- ``sock.send_item``: the protocol work a small write costs the transfer beyond what the
  same bytes cost in bulk (more, smaller segments and their ACKs), part of Tx.

The modern runtime writes its stream in one call and reads it in one: nothing is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.emu.machines import Machine


@dataclass(frozen=True)
class SocketCost:
    """What the item-by-item socket calls of one migration add to its three phases."""

    write_s: float  # the source's write() calls, inside the collection
    send_s: float  # the transfer's extra protocol work, inside Tx
    read_s: float  # the destination's read() calls, inside the restoration


def _seconds(machine: Machine, path: str, items: int) -> float:
    p = machine.profile
    return items * p.get(path, "cycles") / p.get("cpu.clock", "Hz")


def socket_cost(src: Machine, dst: Machine, items: int) -> SocketCost:
    """The classic runtime's ``items`` socket calls from ``src`` to ``dst``."""
    return SocketCost(_seconds(src, "sock.write_item", items), _seconds(src, "sock.send_item", items),
                      _seconds(dst, "sock.read_item", items))
