"""An emulated guest: one freestanding ELF program running on one machine under Unicorn.

Memory map (both ISAs, 32-bit):

    0x0000_1000  stop sentinel page: returning from the entry function lands here
    0x0040_0000  program segments from the ELF (text, rodata, data, bss)
    0x1000_0000  heap, as large as the machine profile's memory
    0x7c00_0000  stack, 64 MiB, growing down from 0x8000_0000 (argv at the top)

Every executed block is counted by a native Unicorn hook (native/blockcount.c), which
also enforces the instruction budget; the cost model prices the counts afterwards.
Hypercalls (runtime trap instructions) are dispatched to Python handlers; handlers can
pause the guest (``Guest.pause``) so that an orchestrator can act and resume it.
"""

from __future__ import annotations

import bisect
import ctypes
import hashlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import unicorn
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from unicorn.unicorn_py3 import unicorn as _ucmod
from unicorn.unicorn_py3.arch.types import uc_hook_h

from testbed.build import BUILD_DIR
from testbed.emu.costmodel import BlockClassifier, Tally
from testbed.emu.machines import Machine
from testbed.errors import BudgetExhausted, GuestFault, TestbedError, ToolchainError
from testbed.protocol import Hypercall

PAGE = 0x1000
SENTINEL = 0x0000_1000
HEAP_BASE = 0x1000_0000
STACK_TOP = 0x8000_0000
STACK_SIZE = 64 << 20
DEFAULT_BUDGET = 50_000_000_000

# Hypercall numbers of guests/runtime/include/rt.h
HC_EXIT, HC_WRITE, HC_HEAP_BASE, HC_HEAP_SIZE, HC_PANIC, HC_MARK = 1, 2, 3, 4, 5, 6

NATIVE_SOURCE = Path(__file__).resolve().parent / "native" / "blockcount.c"
OVERFLOW_SLOTS = 4096


class _Counter(ctypes.Structure):
    """Mirror of block_counter in native/blockcount.c."""

    _fields_ = [
        ("base", ctypes.c_uint64),
        ("slots", ctypes.c_uint64),
        ("counts", ctypes.c_void_p),
        ("sizes", ctypes.c_void_p),
        ("instructions", ctypes.c_uint64),
        ("outside", ctypes.c_uint64),
        ("budget", ctypes.c_uint64),
        ("emu_stop", ctypes.c_void_p),
        ("stopped", ctypes.c_uint32),
        ("overflow_used", ctypes.c_uint32),
        ("overflow_key", ctypes.c_uint64 * OVERFLOW_SLOTS),
        ("overflow_count", ctypes.c_uint64 * OVERFLOW_SLOTS),
        ("overflow_lost", ctypes.c_uint32),
    ]


@cache
def _native_hook() -> int:
    """Address of the compiled C block hook (built once into the build directory)."""
    source = NATIVE_SOURCE.read_bytes()
    key = hashlib.sha256(source).hexdigest()[:16]
    lib_path = BUILD_DIR / "native" / f"blockcount-{key}.so"
    if not lib_path.is_file():
        lib_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = lib_path.with_suffix(f".tmp{id(lib_path)}")
        proc = subprocess.run(
            ["gcc", "-O2", "-shared", "-fPIC", "-o", str(tmp), str(NATIVE_SOURCE)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise ToolchainError(f"building the native block counter failed: {proc.stderr.strip()}")
        tmp.replace(lib_path)
    lib = ctypes.CDLL(str(lib_path))
    return ctypes.cast(lib.tb_count_block, ctypes.c_void_p).value


@dataclass
class Snapshot:
    """Block counts at one moment, to tally the execution between two moments."""

    counts: np.ndarray
    overflow: dict[tuple[int, int], int]
    outside: int
    instructions: int


@dataclass
class RunResult:
    exit_code: int | None
    stdout: str
    tally: Tally
    cycles: float
    seconds: float
    wall_s: float
    marks: list[tuple[int, Snapshot]] = field(default_factory=list)

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
        budget: int = DEFAULT_BUDGET,
        heap_size: int | None = None,
        counting: bool = True,
    ) -> None:
        """``counting=False`` runs with no block hook at all (no pricing, no budget): only
        for measuring the emulator's raw speed in benchmarks."""
        self.path = Path(elf_path)
        self.machine = machine
        self.isa = machine.isa
        self.profile = machine.profile
        self.uc = self.isa.new_uc()
        self.stdout = bytearray()
        self.exit_code: int | None = None
        self.marks: list[tuple[int, Snapshot]] = []
        self.handlers: dict[int, Callable[[Guest, int, int, int], int]] = {
            HC_EXIT: Guest._hc_exit,
            HC_WRITE: Guest._hc_write,
            HC_HEAP_BASE: lambda g, a, b, c: HEAP_BASE,
            HC_HEAP_SIZE: lambda g, a, b, c: g.heap_size,
            HC_PANIC: Guest._hc_panic,
            HC_MARK: Guest._hc_mark,
            # time.h: the instructions priced so far at this machine's clock (simulated time)
            Hypercall.TIME: lambda g, a, b, c: int(g.tally().seconds(g.profile)),
            Hypercall.CLOCK: lambda g, a, b, c: int(g.tally().seconds(g.profile) * 1e6),
        }
        self.heap_size = heap_size if heap_size is not None else int(self.profile.get("memory.size", "B"))
        self._fault: str | None = None
        self._error: TestbedError | None = None  # raised by a hypercall handler
        self._paused = False
        self._finished = False
        self._started = False
        self._wall = 0.0
        self._load_elf()
        self._map_runtime_regions()
        self._setup_entry(argv)
        self._install_hooks(budget if counting else None)
        self.classifier = BlockClassifier(self.isa, lambda a, s: bytes(self.uc.mem_read(a, s)))

    # ---- loading ----

    def _load_elf(self) -> None:
        with open(self.path, "rb") as f:
            elf = ELFFile(f)
            if elf.header.e_machine not in ("EM_MIPS", "EM_SPARC", "EM_SPARC32PLUS"):
                raise GuestFault(f"{self.path} is not a MIPS or SPARC executable ({elf.header.e_machine})")
            if (elf.header.e_machine == "EM_MIPS") != (self.isa.name == "mipsel"):
                raise GuestFault(f"{self.path} is a {elf.header.e_machine} executable, not for {self.isa.name}")
            self.entry = elf.header.e_entry
            ranges: list[tuple[int, int]] = []
            exec_ranges: list[tuple[int, int]] = []
            loads = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD":
                    continue
                lo = seg["p_vaddr"] & ~(PAGE - 1)
                hi = (seg["p_vaddr"] + seg["p_memsz"] + PAGE - 1) & ~(PAGE - 1)
                ranges.append((lo, hi))
                if seg["p_flags"] & P_FLAGS.PF_X:
                    exec_ranges.append((seg["p_vaddr"], seg["p_vaddr"] + seg["p_memsz"]))
                loads.append((seg["p_vaddr"], seg.data()))
            for lo, hi in _merge(ranges):
                self.uc.mem_map(lo, hi - lo, unicorn.UC_PROT_ALL)
            for vaddr, data in loads:
                self.uc.mem_write(vaddr, data)
            self.text_lo = min(lo for lo, _ in exec_ranges)
            self.text_hi = max(hi for _, hi in exec_ranges)
            self.image_end = max(hi for _, hi in ranges)
            symbols: list[tuple[int, int, str]] = []
            self.symbol_addresses: dict[str, int] = {}
            self.symbol_sizes: dict[str, int] = {}
            symtab = elf.get_section_by_name(".symtab")
            if isinstance(symtab, SymbolTableSection):
                for sym in symtab.iter_symbols():
                    if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                        self.symbol_addresses.setdefault(sym.name, sym["st_value"])
                        self.symbol_sizes.setdefault(sym.name, sym["st_size"])
                        if sym["st_info"]["type"] == "STT_FUNC":
                            symbols.append((sym["st_value"], sym["st_size"], sym.name))
            symbols.sort()
            self._sym_addrs = [s[0] for s in symbols]
            self._syms = symbols
            self.sections = {
                s.name: (s["sh_addr"], s["sh_size"]) for s in elf.iter_sections() if s["sh_addr"]
            }

    def _map_runtime_regions(self) -> None:
        self.uc.mem_map(SENTINEL, PAGE, unicorn.UC_PROT_ALL)
        if HEAP_BASE < self.image_end:
            raise GuestFault(f"{self.path}: the program image reaches past the heap base {HEAP_BASE:#x}")
        self.uc.mem_map(HEAP_BASE, (self.heap_size + PAGE - 1) & ~(PAGE - 1), unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
        self.uc.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)

    def _setup_entry(self, argv: list[str]) -> None:
        # argv strings at the top of the stack, then the pointer array below them
        top = STACK_TOP - 16
        pointers = []
        for arg in argv:
            data = arg.encode() + b"\0"
            top -= len(data)
            self.uc.mem_write(top, data)
            pointers.append(top)
        top &= ~0xF
        array = top - 4 * (len(pointers) + 1)
        array &= ~0xF
        self.uc.mem_write(array, b"".join(self.isa.word(p) for p in pointers) + self.isa.word(0))
        self.uc.reg_write(self.isa.sp, self.isa.initial_sp(array))
        self.uc.reg_write(self.isa.args[0], len(argv))
        self.uc.reg_write(self.isa.args[1], array)
        self.isa.set_link(self.uc, SENTINEL)
        self.pc = self.entry

    def _install_hooks(self, budget: int | None) -> None:
        slots = (self.text_hi - self.text_lo + 3) // 4
        self._counts = np.zeros(slots, dtype=np.uint64)
        self._sizes = np.zeros(slots, dtype=np.uint32)
        c = _Counter()
        c.base = self.text_lo
        c.slots = slots
        c.counts = self._counts.ctypes.data
        c.sizes = self._sizes.ctypes.data
        c.budget = budget if budget is not None else 2**64 - 1
        c.emu_stop = ctypes.cast(_ucmod.uclib.uc_emu_stop, ctypes.c_void_p).value
        self._counter = c
        self._budget = budget
        self.uc.hook_add(unicorn.UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(
            unicorn.UC_HOOK_MEM_READ_UNMAPPED | unicorn.UC_HOOK_MEM_WRITE_UNMAPPED
            | unicorn.UC_HOOK_MEM_FETCH_UNMAPPED | unicorn.UC_HOOK_MEM_WRITE_PROT
            | unicorn.UC_HOOK_MEM_FETCH_PROT,
            self._on_bad_memory,
        )
        if budget is None:
            return
        handle = uc_hook_h()
        status = _ucmod.uclib.uc_hook_add(
            self.uc._uch, ctypes.byref(handle), unicorn.UC_HOOK_BLOCK,
            ctypes.c_void_p(_native_hook()), ctypes.c_void_p(ctypes.addressof(c)),
            ctypes.c_uint64(1), ctypes.c_uint64(0),
        )
        if status != unicorn.UC_ERR_OK:
            raise GuestFault(f"cannot install the block counter: {unicorn.UcError(status)}")

    # ---- running ----

    def run(self, pause_at: int | None = None) -> RunResult | None:
        """Run until the guest exits (returns the result) or pauses (None): a handler
        paused it, or it reached ``pause_at`` executed instructions (``limit_reached``).

        Raises GuestFault / BudgetExhausted with one readable line on a crash."""
        if self._finished:
            raise GuestFault("the guest has already finished")
        self._paused = False
        self.limit_reached = False
        hard = self._budget if self._budget is not None else 2**64 - 1
        limit = hard if pause_at is None else min(hard, pause_at)
        self._counter.budget = limit
        self._counter.stopped = 0
        t0 = time.perf_counter()
        try:
            self.uc.emu_start(self.pc, SENTINEL)
        except unicorn.UcError as exc:
            self._wall += time.perf_counter() - t0
            raise self._fault_error(self._fault or str(exc)) from None
        self._wall += time.perf_counter() - t0
        self.pc = self.uc.reg_read(self.isa.pc)
        if self._error is not None:
            error, self._error = self._error, None
            self._finished = True
            raise error
        if self._fault:
            raise self._fault_error(self._fault)
        if self._counter.stopped and limit < hard:
            self.limit_reached = True  # a pause the caller asked for, at a block boundary
            return None
        if self._counter.stopped:
            error = BudgetExhausted(
                f"guest on {self.isa.name} ({self.machine.name}) exceeded its budget of "
                f"{self._budget:,} instructions at {self.where(self.pc)}: it probably never ends "
                f"(raise the budget with --budget if it is just long)"
            )
            error.output = self.stdout.decode("utf-8", errors="replace")
            raise error
        if self._paused:
            return None
        if self.exit_code is None and self.pc == SENTINEL:
            self.exit_code = self.isa.unpack_word(self.isa.word(self.uc.reg_read(self.isa.args[0])))
        self._finished = True
        return self.result()

    def pause(self) -> None:
        """Called from a hypercall handler: stop after this trap; run() resumes."""
        self._paused = True
        self.uc.emu_stop()

    def set_return(self, value: int) -> None:
        """Change the result of the hypercall the guest is paused in, before resuming."""
        self.isa.hypercall_return(self.uc, value)

    def result(self) -> RunResult:
        tally = self.tally()
        return RunResult(
            exit_code=self.exit_code,
            stdout=self.stdout.decode("utf-8", errors="replace"),
            tally=tally,
            cycles=tally.cycles(self.profile),
            seconds=tally.seconds(self.profile),
            wall_s=self._wall,
            marks=list(self.marks),
        )

    # ---- measurement ----

    @property
    def instructions(self) -> int:
        return int(self._counter.instructions)

    def snapshot(self) -> Snapshot:
        c = self._counter
        overflow = {}
        if c.overflow_used:
            for key, count in zip(c.overflow_key, c.overflow_count, strict=True):
                if key:
                    overflow[(key >> 20, key & 0xFFFFF)] = count
        return Snapshot(self._counts.copy(), overflow, int(c.outside), int(c.instructions))

    def tally(self, since: Snapshot | None = None, until: Snapshot | None = None) -> Tally:
        """Instructions per class executed between two snapshots (default: start, now)."""
        end = until or self.snapshot()
        counts = end.counts - since.counts if since else end.counts
        outside = end.outside - (since.outside if since else 0)
        blocks = [
            (self.text_lo + 4 * int(slot), int(self._sizes[slot]), int(counts[slot]))
            for slot in np.flatnonzero(counts)
        ]
        for key, n in end.overflow.items():
            blocks.append((key[0], key[1], n - (since.overflow.get(key, 0) if since else 0)))
        return self.classifier.tally(blocks, outside)

    def function_profile(self, since: Snapshot | None = None, until: Snapshot | None = None) -> dict[str, int]:
        """Instructions executed per function between two snapshots, largest first."""
        end = until or self.snapshot()
        counts = end.counts - since.counts if since else end.counts
        out: dict[str, int] = {}
        for slot in np.flatnonzero(counts):
            address = self.text_lo + 4 * int(slot)
            i = bisect.bisect_right(self._sym_addrs, address) - 1
            name = self._syms[i][2] if i >= 0 else "?"
            out[name] = out.get(name, 0) + int(counts[slot]) * (int(self._sizes[slot]) >> 2)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    # ---- memory helpers for hypercall handlers ----

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(address, size))

    def write(self, address: int, data: bytes) -> None:
        self.uc.mem_write(address, data)

    def read_word(self, address: int) -> int:
        return self.isa.unpack_word(self.read(address, 4))

    def write_word(self, address: int, value: int) -> None:
        self.write(address, self.isa.word(value))

    def symbol(self, name: str) -> int:
        if name not in self.symbol_addresses:
            raise GuestFault(f"{self.path.name} has no symbol {name!r}")
        return self.symbol_addresses[name]

    def where(self, pc: int) -> str:
        """``0x00400120 (main+0x20): lw $v0, 0($a0)`` for fault reports."""
        i = bisect.bisect_right(self._sym_addrs, pc) - 1
        place = "unknown function"
        if i >= 0:
            addr, size, name = self._syms[i]
            if pc < addr + max(size, 4):
                place = f"{name}+{pc - addr:#x}"
        try:
            insn = self.isa.disassemble(self.read(pc, 4), pc)
        except unicorn.UcError:
            insn = "<unmapped>"
        return f"pc {pc:#010x} ({place}): {insn}"

    # ---- hooks ----

    def _fault_error(self, what: str) -> GuestFault:
        pc = self.uc.reg_read(self.isa.pc)
        error = GuestFault(f"guest fault on {self.isa.name} ({self.machine.name}): {what} at {self.where(pc)}")
        error.output = self.stdout.decode("utf-8", errors="replace")
        return error

    def _on_interrupt(self, uc: unicorn.Uc, intno: int, _user: object) -> None:
        if intno != self.isa.hypercall_intno:
            self._fault = self.isa.describe_trap(intno)
            uc.emu_stop()
            return
        number, a0, a1, a2 = self.isa.hypercall_args(uc)
        handler = self.handlers.get(number)
        if handler is None:
            self._fault = f"unknown hypercall {number}"
            uc.emu_stop()
            return
        try:
            value = handler(self, a0, a1, a2)
        except GuestFault as exc:
            self._fault = str(exc)
            uc.emu_stop()
            return
        except TestbedError as exc:  # e.g. a refused stream: reported as it is
            self._error = exc
            uc.emu_stop()
            return
        self.isa.hypercall_return(uc, value or 0)

    def _on_bad_memory(self, uc: unicorn.Uc, access: int, address: int, size: int, value: int, _u: object) -> bool:
        kind = {
            unicorn.UC_MEM_READ_UNMAPPED: "read from unmapped address",
            unicorn.UC_MEM_WRITE_UNMAPPED: "write to unmapped address",
            unicorn.UC_MEM_FETCH_UNMAPPED: "jump to unmapped address",
            unicorn.UC_MEM_WRITE_PROT: "write to read-only address",
            unicorn.UC_MEM_FETCH_PROT: "jump to non-executable address",
        }.get(access, f"bad memory access ({access})")
        self._fault = f"{kind} {address:#010x} ({size} bytes)"
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
        raise GuestFault(f"guest panic: {text}")

    def _hc_mark(self, event: int, _a1: int, _a2: int) -> int:
        self.marks.append((event, self.snapshot()))
        return 0


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
