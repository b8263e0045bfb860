"""The hypercall table: guest trap number -> host handler.

A hypercall is a trap the guest runtime executes with a number and three arguments
(guests/runtime/rt_guest.c; numbers in guests/runtime/include/mig_protocol.h, read by
``testbed.protocol.Hypercall``). Each layer registers the handlers it implements, one
line each::

    guest.hypercalls.register(Hypercall.MIG_EVENT, self._event)

A number registered twice is refused: two layers claiming one trap is a bug. A handler
returns the value the guest sees (None means 0); raising GuestFault stops the guest with
that message, any other TestbedError stops it and propagates as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING

from testbed.protocol import Hypercall

if TYPE_CHECKING:
    from testbed.emu.guest import Guest

Handler = Callable[["Guest", int, int, int], "int | None"]


class HypercallTable(MutableMapping[int, Handler]):
    """Handlers by hypercall number. ``table[n] = handler`` is ``register(n, handler)``."""

    def __init__(self) -> None:
        self._handlers: dict[int, Handler] = {}

    def register(self, number: int, handler: Handler) -> None:
        number = int(number)
        if number in self._handlers:
            raise ValueError(f"hypercall {describe(number)} is already registered "
                             f"(to {getattr(self._handlers[number], '__qualname__', self._handlers[number])})")
        self._handlers[number] = handler

    def lookup(self, number: int) -> Handler | None:
        return self._handlers.get(number)

    def __setitem__(self, number: int, handler: Handler) -> None:
        self.register(number, handler)

    def __getitem__(self, number: int) -> Handler:
        return self._handlers[number]

    def __delitem__(self, number: int) -> None:
        del self._handlers[number]

    def __iter__(self) -> Iterator[int]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


def describe(number: int) -> str:
    """``MIG_EVENT (20)`` for a known number, ``42`` otherwise (for messages)."""
    try:
        return f"{Hypercall(number).name} ({number})"
    except ValueError:
        return str(number)
