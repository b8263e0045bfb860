"""An emulated guest: one freestanding ELF program running on one machine under Unicorn.

``Guest`` puts the parts together and owns the run loop and fault reporting:

    loader.py      the ELF's segments and symbols
    memory.py      the memory map (from the machine profile), argv, out-of-stack/heap
    counter.py     the native block counter and the instruction budget
    meter.py       prices the counted blocks with the machine profile
    hypercalls.py  hypercall number -> handler (the runtime's, then other layers')
    workarounds.py unicorn defects that would kill the process
    ucnative.py    the only module touching unicorn's private internals
    isolate.py     one emulation in a child process, its death turned into an error

Hypercall handlers can pause the guest (``Guest.pause``) so that an orchestrator can act
and resume it with another ``run()``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import unicorn

from testbed import interrupt
from testbed.emu import workarounds
from testbed.emu.costmodel import Tally
from testbed.emu.counter import OVERFLOW_CAPACITY, UNLIMITED, BlockCounter, Snapshot
from testbed.emu.hypercalls import HypercallTable, describe
from testbed.emu.loader import load_elf
from testbed.emu.machines import Machine
from testbed.emu.memory import MemoryLayout
from testbed.emu.meter import Meter
from testbed.errors import BudgetExhausted, GuestFault, TestbedError
from testbed.limits import EXPERIMENT_BUDGET
from testbed.protocol import Hypercall

__all__ = ["Guest", "RunResult", "Snapshot"]

_BAD_MEMORY = {
    unicorn.UC_MEM_READ_UNMAPPED: "read from unmapped address",
    unicorn.UC_MEM_WRITE_UNMAPPED: "write to unmapped address",
    unicorn.UC_MEM_FETCH_UNMAPPED: "jump to unmapped address",
    unicorn.UC_MEM_WRITE_PROT: "write to read-only address",
    unicorn.UC_MEM_FETCH_PROT: "jump to non-executable address",
}


@dataclass
class RunResult:
    exit_code: int | None
    stdout: str
    tally: Tally
    cycles: float
    seconds: float
    wall_s: float

    @property
    def instructions(self) -> int:
        return self.tally.instructions


class Guest:
    """A loaded guest program on one machine, ready to run."""

    def __init__(
        self,
        elf_path: Path,
        machine: Machine,
        argv: list[str],
        *,
        budget: int = EXPERIMENT_BUDGET,
        heap_size: int | None = None,
        counting: bool = True,
        overflow_capacity: int = OVERFLOW_CAPACITY,
    ) -> None:
        """``counting=False`` runs with no block counter (no pricing, no budget): only for
        measuring the emulator's raw speed in benchmarks."""
        self.path = Path(elf_path)
        self.machine = machine
        self.isa = machine.isa
        self.profile = machine.profile
        self.uc = self.isa.new_uc()
        self.image = load_elf(self.path, self.isa)
        self.layout = MemoryLayout.from_profile(self.profile, heap_size)
        self.image.map_into(self.uc)
        self.layout.map(self.uc, self.image)
        self.layout.place_argv(self.uc, self.isa, argv)
        self.pc = self.image.entry
        self.stdout = bytearray()
        self.exit_code: int | None = None
        self.limit_reached = False
        self.hypercalls = HypercallTable()
        self.handlers = self.hypercalls  # the older name; ``handlers[n] = h`` registers too
        for number, handler in (
            (Hypercall.EXIT, Guest._hc_exit), (Hypercall.WRITE, Guest._hc_write),
            (Hypercall.HEAP_BASE, lambda g, a, b, c: g.layout.heap_base),
            (Hypercall.HEAP_SIZE, lambda g, a, b, c: g.layout.heap_size),
            (Hypercall.PANIC, Guest._hc_panic),
            # time.h: the instructions priced so far at this machine's clock (simulated time)
            (Hypercall.TIME, lambda g, a, b, c: int(g.tally().seconds(g.profile))),
            (Hypercall.CLOCK, lambda g, a, b, c: int(g.tally().seconds(g.profile) * 1e6)),
        ):
            self.hypercalls.register(number, handler)
        self._fault: str | None = None
        self._fault_pc: int | None = None
        self._error: TestbedError | None = None  # raised by a hypercall handler
        self._paused = False
        self._finished = False
        self._wall = 0.0
        self._counting = counting
        self._budget = budget if counting else UNLIMITED
        text = self.image.text()
        self.counter = BlockCounter(self.image.text_lo, self.image.text_hi, self.isa.delay_slots(text),
                                    overflow_capacity=overflow_capacity, slot_bytes=self.isa.insn_align,
                                    insn_starts=self.isa.instruction_starts(text))
        self.meter = Meter(self.counter, self.isa, self.read)
        self.isa.hook_traps(self.uc, self._on_interrupt)
        self.uc.hook_add(
            unicorn.UC_HOOK_MEM_READ_UNMAPPED | unicorn.UC_HOOK_MEM_WRITE_UNMAPPED
            | unicorn.UC_HOOK_MEM_FETCH_UNMAPPED | unicorn.UC_HOOK_MEM_WRITE_PROT
            | unicorn.UC_HOOK_MEM_FETCH_PROT,
            self._on_bad_memory,
        )
        workarounds.protect_translator(self.uc, self.isa, text, self.image.text_lo)
        if counting:
            self.counter.install(self.uc)

    @property
    def heap_size(self) -> int:
        return self.layout.heap_size

    # ---- running ----

    def run(self, pause_at: int | None = None) -> RunResult | None:
        """Run until the guest exits (returns the result) or pauses (None): a handler
        paused it, or it reached ``pause_at`` executed instructions (``limit_reached``).

        Raises GuestFault / BudgetExhausted with one readable line on a crash."""
        if self._finished:
            raise GuestFault("the guest has already finished")
        self._paused = False
        self.limit_reached = False
        limit = self._budget if pause_at is None else min(self._budget, pause_at)
        self.counter.arm(limit)
        while True:
            self._emulate()
            if not self.counter.overflow_stop:
                break
            self.counter.drain_overflow()  # then go on, unless something else stopped it too
            if self._error or self._fault or self._paused or self.counter.budget_stop or self._at_exit():
                break
        if self._error is not None:
            error, self._error = self._error, None
            self._finished = True
            raise error
        if self._fault:
            raise self._fault_error(self._fault)
        if self.counter.budget_stop and limit < self._budget:
            self.limit_reached = True  # a pause the caller asked for, at a block boundary
            return None
        if self.counter.budget_stop:
            error = BudgetExhausted(
                f"guest on {self.isa.name} ({self.machine.name}) exceeded its budget of "
                f"{self._budget:,} instructions at {self.where(self.pc)}: it probably never ends "
                f"(raise the budget with --budget if it is just long)"
            )
            error.output = self.output
            raise error
        if self._paused:
            return None
        if self.exit_code is None and self.pc == self.layout.sentinel:
            self.exit_code = self.isa.unpack_word(self.isa.word(self.uc.reg_read(self.isa.args[0])))
        self._finished = True
        return self.result()

    def _emulate(self) -> None:
        t0 = time.perf_counter()
        try:
            with interrupt.emulating(self.uc):  # Ctrl-C stops the emulation, then raises
                self.uc.emu_start(self.pc, self.layout.sentinel)
        except unicorn.UcError as exc:
            raise self._fault_error(self._fault or str(exc)) from None
        finally:
            self._wall += time.perf_counter() - t0
        self.pc = self.uc.reg_read(self.isa.pc)

    def _at_exit(self) -> bool:
        return self.exit_code is not None or self.pc == self.layout.sentinel

    def pause(self) -> None:
        """Called from a hypercall handler: stop after this trap; run() resumes."""
        self._paused = True
        self.uc.emu_stop()

    def set_return(self, value: int) -> None:
        """Change the result of the hypercall the guest is paused in, before resuming."""
        self.isa.hypercall_return(self.uc, value)

    @property
    def output(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    def result(self) -> RunResult:
        tally = self.tally()
        return RunResult(
            exit_code=self.exit_code,
            stdout=self.output,
            tally=tally,
            cycles=tally.cycles(self.profile),
            seconds=tally.seconds(self.profile),
            wall_s=self._wall,
        )

    # ---- measurement ----

    @property
    def instructions(self) -> int:
        return self.counter.instructions

    def snapshot(self) -> Snapshot:
        return self.meter.snapshot()

    def tally(self, since: Snapshot | None = None, until: Snapshot | None = None) -> Tally:
        """Instructions per class executed between two snapshots (default: start, now)."""
        return self.meter.tally(since, until)

    # ---- memory helpers for hypercall handlers ----

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(address, size))

    def write(self, address: int, data: bytes) -> None:
        self.uc.mem_write(address, data)

    def read_word(self, address: int) -> int:
        return self.isa.unpack_word(self.read(address, 4))

    def write_word(self, address: int, value: int) -> None:
        self.write(address, self.isa.word(value))

    def read_pointer(self, address: int) -> int:
        """A pointer-sized value (4 bytes on ILP32 guests, 8 on LP64)."""
        return self.isa.unpack_pointer(self.read(address, self.isa.word_size))

    def write_pointer(self, address: int, value: int) -> None:
        self.write(address, self.isa.pointer(value))

    def symbol(self, name: str) -> int:
        if name not in self.image.symbol_addresses:
            raise GuestFault(f"{self.path.name} has no symbol {name!r}")
        return self.image.symbol_addresses[name]

    def where(self, pc: int) -> str:
        """``0x00400120 (main+0x20): lw $v0, 0($a0)`` for fault reports."""
        place = self.image.function_at(pc) or "unknown function"
        try:
            insn = self.isa.disassemble(self.read(pc, self.isa.max_insn_bytes), pc)
        except unicorn.UcError:
            insn = "<unmapped>"
        return f"pc {pc:#010x} ({place}): {insn}"

    # ---- hooks ----

    def _fault_error(self, what: str) -> GuestFault:
        pc = self._fault_pc if self._fault_pc is not None else self.uc.reg_read(self.isa.pc)
        error = GuestFault(f"guest fault on {self.isa.name} ({self.machine.name}): {what} at {self.where(pc)}")
        error.output = self.output
        return error

    def _stop_with_fault(self, uc: unicorn.Uc, what: str) -> None:
        self._fault = what
        uc.emu_stop()

    def _on_interrupt(self, uc: unicorn.Uc, intno: int, _user: object) -> None:
        if intno != self.isa.hypercall_intno:
            if self._counting:
                address, size = self.counter.last_block
                self._fault_pc = self.isa.locate_trap(uc, intno, self.read(address, size), address)
            self._stop_with_fault(uc, self.isa.describe_trap(intno))
            return
        number, a0, a1, a2 = self.isa.hypercall_args(uc)
        handler = self.hypercalls.lookup(number)
        if handler is None:
            self._stop_with_fault(uc, f"unknown hypercall {describe(number)}")
            return
        try:
            value = handler(self, a0, a1, a2)
        except GuestFault as exc:
            self._stop_with_fault(uc, str(exc))
            return
        except TestbedError as exc:  # e.g. a refused stream: reported as it is
            self._error = exc
            uc.emu_stop()
            return
        self.isa.hypercall_return(uc, value or 0)

    def _on_bad_memory(self, uc: unicorn.Uc, access: int, address: int, size: int, value: int, _u: object) -> bool:
        kind = _BAD_MEMORY.get(access, f"bad memory access ({access})")
        explanation = self.layout.explain(address, uc.reg_read(self.isa.sp))
        self._fault = f"{kind} {address:#010x} ({size} bytes){explanation}"
        return False

    # ---- the runtime's hypercalls ----

    def _hc_exit(self, status: int, _a1: int, _a2: int) -> int:
        self.exit_code = status - (1 << 32) if status & 0x8000_0000 else status
        self.uc.emu_stop()
        return 0

    def _hc_write(self, fd: int, buf: int, length: int) -> int:
        if length > 1 << 24:
            raise GuestFault(f"write of {length} bytes is implausible")
        self.stdout += self.read(buf, length)
        return length

    def _hc_panic(self, message: int, length: int, _a2: int) -> int:
        text = self.read(message, min(length, 500)).decode("utf-8", errors="replace")
        if text.startswith("out of memory"):
            text += f" ({self.layout.describe_heap()})"
        raise GuestFault(f"guest panic: {text}")
