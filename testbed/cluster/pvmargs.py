"""The guest memory the PVM hypercalls share with the host, in the guest's own layout.

Calls with more than three arguments (send, mcast, spawn, msginfo) pass a pointer to a
block of C ``long``s; the host also reads Mlibpvm's message buffers. Both layouts have
one definition, ``PVMARG_*`` and ``PVMBUF_*`` in mig_protocol.h: Mlibpvm's structs
(guests/runtime/pvm/pvm_internal.h) are checked against it at compile time, and the
layouts here are built from it. A field is one guest word: 4 bytes on an ILP32 guest, 8
on an LP64 one, in the guest's byte order (``Guest.read_pointer``). The arrays the blocks
point to are the C API's: tids are 4-byte ints, argv a NULL-terminated array of pointers.

A block or array the guest's pointers do not map is one readable error, naming the call.
"""

from __future__ import annotations

from dataclasses import dataclass

import unicorn

from testbed.emu.guest import Guest
from testbed.errors import GuestFault
from testbed.protocol import DEFINES


@dataclass(frozen=True)
class Layout:
    """One block: its fields in word order (lower-case names)."""

    name: str
    fields: tuple[str, ...]

    def read(self, guest: Guest, address: int) -> dict[str, int]:
        """Every field, sign-extended from the guest's word (ints are signed; pointers and
        lengths are below 2 GiB, so the sign never shows)."""
        size = guest.isa.word_size
        data = _read(guest, address, size * len(self.fields), f"pvm_{self.name} block")
        return {f: signed(guest.isa.unpack_pointer(data[i * size:]), size) for i, f in enumerate(self.fields)}

    def write(self, guest: Guest, address: int, **values: int) -> None:
        size = guest.isa.word_size
        data = b"".join(guest.isa.pointer(values[f] & ((1 << 8 * size) - 1)) for f in self.fields)
        write_bytes(guest, address, data, f"pvm_{self.name} block")

    def size(self, guest: Guest) -> int:
        return len(self.fields) * guest.isa.word_size


def _layout(prefix: str, name: str) -> Layout:
    """The fields ``<prefix><NAME>_<FIELD>`` and their count ``<prefix><NAME>_WORDS``."""
    stem = f"{prefix}{name}_"
    words = DEFINES[f"{stem}WORDS"]
    by_index = {v: k[len(stem):].lower() for k, v in DEFINES.items() if k.startswith(stem) and k != f"{stem}WORDS"}
    if sorted(by_index) != list(range(words)):  # a gap or a clash is a typo in the header
        raise RuntimeError(f"mig_protocol.h: {stem}* fields {sorted(by_index)} do not number 0..{words - 1}")
    return Layout(name.lower(), tuple(by_index[i] for i in range(words)))


SEND = _layout("PVMARG_", "SEND")
MCAST = _layout("PVMARG_", "MCAST")
SPAWN = _layout("PVMARG_", "SPAWN")
MSGINFO = _layout("PVMARG_", "MSGINFO")
BUFFER = _layout("PVM", "BUF")
BUFFERS = DEFINES["PVM_BUFFER_COUNT"]  # the length of Mlibpvm's pvm_buffers[]

TID_SIZE = 4  # the C API's int


def read_tids(guest: Guest, address: int, count: int, what: str) -> list[int]:
    """``count`` ints (a tids array) at ``address``."""
    data = _read(guest, address, TID_SIZE * count, what)
    return [signed(guest.isa.unpack_word(data[i:i + TID_SIZE]), TID_SIZE) for i in range(0, len(data), TID_SIZE)]


def write_tid(guest: Guest, address: int, index: int, tid: int, what: str) -> None:
    write_bytes(guest, address + TID_SIZE * index, guest.isa.word(tid), what)


def read_pointers(guest: Guest, address: int, limit: int, what: str) -> list[int]:
    """A NULL-terminated array of pointers (argv), without its NULL; at most ``limit``."""
    size, found = guest.isa.word_size, []
    while len(found) < limit:
        p = guest.isa.unpack_pointer(_read(guest, address + size * len(found), size, what))
        if not p:
            break
        found.append(p)
    return found


def read_bytes(guest: Guest, address: int, length: int, what: str) -> bytes:
    return _read(guest, address, length, what)


def write_bytes(guest: Guest, address: int, data: bytes, what: str) -> None:
    try:
        guest.write(address, data)
    except unicorn.UcError:
        raise _unmapped(what, address) from None


def _read(guest: Guest, address: int, length: int, what: str) -> bytes:
    try:
        return guest.read(address, length)
    except unicorn.UcError:
        raise _unmapped(what, address) from None


def _unmapped(what: str, address: int) -> GuestFault:
    return GuestFault(f"the {what} at {address:#x} is not in the guest's memory "
                      "(a bad pointer passed to Mlibpvm?)")


def signed(value: int, size: int) -> int:
    """``value``, ``size`` bytes of two's complement, as a Python int."""
    top = 1 << (8 * size - 1)
    return value - (top << 1) if value & top else value
