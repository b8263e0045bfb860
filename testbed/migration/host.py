"""The host side of the migration runtime's hypercalls (guests/runtime/mig.c).

A ``MigrationPort`` attaches to one Guest. The runtime reports phase boundaries
(unwinding, collection, restoration) as events; the port snapshots the block counters
there, so Scan and Restore are priced from exactly the instructions the guest executed
between them. When collection finishes the guest pauses with its stream handed over;
the orchestrator decides whether it exits (migrated) or resumes from the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from testbed.emu.costmodel import Tally
from testbed.emu.guest import Guest, Snapshot
from testbed.errors import GuestFault, StreamError
from testbed.migration.control import NEVER, Control
from testbed.protocol import ERROR_TEXT, ErrorCode, Hypercall, Segment


@dataclass
class Phase:
    """One measured phase: the snapshots that delimit it."""

    begin: Snapshot
    end: Snapshot | None = None


@dataclass
class MigrationPort:
    """Migration hypercalls of one guest, and what they reported."""

    guest: Guest
    streams: list[bytes] = field(default_factory=list)  # streams this guest collected
    events: list[tuple[int, Snapshot]] = field(default_factory=list)
    restore_from: bytes | None = None  # set by deliver(): the stream to restore from
    waiting: str | None = None  # "start" or "stream" while paused in that hypercall
    on_event: dict[int, Callable[[MigrationPort], None]] = field(default_factory=dict)
    # "function id:site id" -> {"where", "function", "live", ...} (the precompiler's site table)
    sites: dict[str, dict] = field(default_factory=dict)
    _armed: int = NEVER
    _control: Control | None = None

    def __post_init__(self) -> None:
        h = self.guest.handlers
        h[Hypercall.MIG_START] = self._start
        h[Hypercall.MIG_READ] = self._read
        h[Hypercall.MIG_STREAM] = self._stream
        h[Hypercall.MIG_ERROR] = self._error
        h[Hypercall.MIG_EVENT] = self._event

    @property
    def control(self) -> Control:
        """The guest's control block (found on first use: a port can wait on any guest)."""
        if self._control is None:
            self._control = Control(self.guest)
        return self._control

    # ---- scheduler side ----

    def request_at(self, passage: int) -> None:
        """Migrate at the given dynamic poll-point passage from now (1 = the next one)."""
        self.control.request(passage)
        self._armed = passage

    def request_next_poll(self) -> None:
        self.request_at(1)

    def count_passages(self) -> None:
        """Count passages without requesting anything (polls are counted only when armed)."""
        self.request_at(NEVER)

    def bind(self, binding: int) -> None:
        """Name the migration this guest takes part in: a source writes it into the stream's
        header, a destination refuses a stream that carries another."""
        self.control.bind(binding)

    def cancel_request(self) -> None:
        self.control.cancel()
        self._armed = NEVER

    def passages(self) -> int:
        """Poll-point passages since the last request or count_passages()."""
        return self._armed - self.control.countdown

    def items(self) -> int:
        """Items the last collection encoded: the classic runtime's write() calls."""
        return self.control.items

    # ---- measurement ----

    def tally(self, begin_event: int, end_event: int, occurrence: int = 0) -> Tally:
        begins = [s for e, s in self.events if e == begin_event]
        ends = [s for e, s in self.events if e == end_event]
        if len(begins) <= occurrence or len(ends) <= occurrence:
            raise GuestFault(f"the guest did not report migration phase events {begin_event}..{end_event}")
        return self.guest.tally(begins[occurrence], ends[occurrence])

    # ---- handlers ----

    def deliver(self, stream: bytes) -> None:
        """Hand a waiting (pre-initialised) destination its stream; run() then restores."""
        if self.waiting != "start":
            raise GuestFault("the destination is not waiting for a stream")
        self.restore_from = stream
        self.guest.set_return(len(stream))
        self.waiting = None

    def start_normally(self) -> None:
        """Answer a waiting guest's start-up question: no stream, a normal start."""
        if self.waiting != "start":
            raise GuestFault("the guest is not waiting at start-up")
        self.guest.set_return(0)
        self.waiting = None

    def decide(self, resume: bool) -> None:
        """After collection: resume from the stream (1) or exit as migrated (0)."""
        if self.waiting != "stream":
            raise GuestFault("the guest is not waiting after a collection")
        self.guest.set_return(1 if resume else 0)
        self.waiting = None

    def _start(self, guest: Guest, *_: int) -> int:
        # Every migratable program asks at start-up whether it restores; it waits for the
        # orchestrator's answer (a normal start, or a stream to restore from).
        self.waiting = "start"
        guest.pause()
        return 0

    def _read(self, guest: Guest, buffer: int, length: int, _a2: int) -> int:
        if self.restore_from is None or length != len(self.restore_from):
            raise GuestFault("the guest asked for a stream it was not given")
        guest.write(buffer, self.restore_from)
        return length

    def _stream(self, guest: Guest, buffer: int, length: int, _a2: int) -> int:
        self.streams.append(guest.read(buffer, length))
        self.waiting = "stream"
        guest.pause()
        return 0

    def _error(self, guest: Guest, message: int, length: int, code: int) -> int:
        text = guest.read(message, min(length, 400)).decode("utf-8", errors="replace")
        place = (self._collection_place() if code == ErrorCode.COLLECT
                 else self._range_place(guest) if code == ErrorCode.RANGE else "")
        raise StreamError(f"{text}{place} [{ERROR_TEXT.get(code, code)}]")

    def _range_place(self, guest: Guest) -> str:
        """The name of a value the destination's long cannot hold: ', in variable big at
        x.c:12 (main)' for a frame variable, ' (the global history)' for a global's element
        (mig_validate.c reports -1 - segment and the global's address); a heap or stack
        block's element is named in the guest's message already."""
        try:
            place = self.control.collection_place()
        except GuestFault:
            return ""
        if place.function >= 0:
            return "," + self._collection_place()
        if place.function == -1 - Segment.GLOBAL:
            image = guest.image  # the object there, not a linker label at the same address
            names = [n for n, a in image.symbol_addresses.items()
                     if a == place.site & 0xFFFFFFFF and image.symbol_sizes.get(n)]
            return f" (the global {min(names)})" if names else ""
        return ""

    def _collection_place(self) -> str:
        """' in variable p at bitonic.c:85 (bimerge)' for a failed collection, when known."""
        try:
            place = self.control.collection_place()
        except GuestFault:
            return ""
        function, site, value = place.function, place.site, place.value
        info = self.sites.get(f"{function}:{site}")
        if function < 0 or info is None:
            return " (while encoding the globals)" if function < 0 else ""
        nblocks = info.get("blocks", 0)
        live = info.get("live", [])
        var = (f"stack block {value + 1} of {nblocks}" if value < nblocks
               else f"variable {live[value - nblocks]}" if value - nblocks < len(live) else f"value {value}")
        return f" in {var} at {info['where'].rsplit('/', 1)[-1]} ({info['function']})"

    def _event(self, guest: Guest, event: int, _a1: int, _a2: int) -> int:
        self.events.append((event, guest.snapshot()))
        action = self.on_event.get(event)
        if action is not None:
            action(self)
        return 0
