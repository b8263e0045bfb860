"""The host's access to a guest's migration control block (``struct mig_control``).

Everything the host pokes or reads in a migratable guest by name is one object, defined
in ``guests/runtime/include/mig_protocol.h`` with its field offsets (``CTL_*_OFFSET``):
the request flag and countdown the polls test, the item count of the last collection (the
classic runtime's write() calls), and where a failed collection was. This module is the
only host code that knows the symbol and the offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.emu.guest import Guest
from testbed.protocol import DEFINES

SYMBOL = "mig_control"
NEVER = DEFINES["CTL_COUNTDOWN_NEVER"]  # the countdown's resting value: no run gets there

_FLAG = DEFINES["CTL_FLAG_OFFSET"]
_COUNTDOWN = DEFINES["CTL_COUNTDOWN_OFFSET"]
_ITEMS = DEFINES["CTL_ITEMS_OFFSET"]
_ERR_FUNCTION = DEFINES["CTL_ERR_FUNCTION_OFFSET"]
_ERR_SITE = DEFINES["CTL_ERR_SITE_OFFSET"]
_ERR_VALUE = DEFINES["CTL_ERR_VALUE_OFFSET"]
_BINDING = DEFINES["CTL_BINDING_OFFSET"]


def _signed(word: int) -> int:
    return word - (1 << 32) if word & 0x8000_0000 else word


@dataclass(frozen=True)
class CollectionPlace:
    """What collection was encoding when it failed: a frame's function and site ids and the
    index of its value; function -1 means the globals."""

    function: int
    site: int
    value: int


class Control:
    """The control block of one guest. Raises GuestFault (from Guest.symbol) when the
    guest is not a migratable build."""

    def __init__(self, guest: Guest) -> None:
        self.guest = guest
        self.base = guest.symbol(SYMBOL)

    def _read(self, offset: int) -> int:
        return self.guest.read_word(self.base + offset)

    def _write(self, offset: int, value: int) -> None:
        self.guest.write_word(self.base + offset, value)

    def request(self, passages: int) -> None:
        """Migrate at the given poll-point passage from now (1: the next one). The countdown
        is set before the flag, so that no poll sees the flag with a stale countdown."""
        self._write(_COUNTDOWN, passages)
        self._write(_FLAG, 1)

    def bind(self, binding: int) -> None:
        """Name the migration this guest takes part in: a source writes it into the stream's
        header, a destination refuses a stream that carries another."""
        self._write(_BINDING, binding)

    def cancel(self) -> None:
        self._write(_FLAG, 0)
        self._write(_COUNTDOWN, NEVER)

    @property
    def flag(self) -> int:
        return _signed(self._read(_FLAG))

    @property
    def countdown(self) -> int:
        return _signed(self._read(_COUNTDOWN))

    @property
    def items(self) -> int:
        """Items the last collection encoded (counted by the classic runtime only)."""
        return self._read(_ITEMS)

    def collection_place(self) -> CollectionPlace:
        return CollectionPlace(_signed(self._read(_ERR_FUNCTION)), _signed(self._read(_ERR_SITE)),
                               _signed(self._read(_ERR_VALUE)))
