"""The guest memory map, from the machine profile (the way Qiling keeps layouts in profiles).

    sentinel page   returning from the entry function lands here (a mapped page, since
                    ``emu_start`` cannot stop at an unmapped ``until`` address)
    text base       program segments from the ELF (text, rodata, data, bss)
    heap base       the heap: as large as the machine's memory (memory.size)
    stack           ``stack_size`` bytes growing down from ``stack_top`` (argv at the top)

Addresses come from ``[memory.layout]`` (shared by every machine through the profiles'
``extends``), sizes from ``[memory]`` of each machine. An access just below the stack or
past the heap is reported as what it is: the program ran out of stack or heap.
"""

from __future__ import annotations

from dataclasses import dataclass

import unicorn

from testbed.emu.isa import Isa
from testbed.emu.loader import PAGE, Image
from testbed.errors import ConfigError, GuestFault
from testbed.profiles import Profile

# An access this far below the stack's lowest address counts as running out of stack
# (a function's frame is allocated at once, so an overflow can land well below it).
STACK_OVERRUN_WINDOW = 1 << 20

MIB = 1 << 20


@dataclass(frozen=True)
class MemoryLayout:
    """Where everything lives in one guest's address space (below 2 GiB on every ISA,
    32-bit or 64-bit: the 64-bit code models and the 32-bit hypercall protocol rely on it)."""

    machine: str
    text_base: int
    heap_base: int
    heap_size: int
    stack_top: int
    stack_size: int
    sentinel: int
    heap_origin: str  # how heap_size was chosen, for messages

    @property
    def stack_low(self) -> int:
        return self.stack_top - self.stack_size

    @property
    def heap_end(self) -> int:
        return self.heap_base + self.heap_size

    @classmethod
    def from_profile(cls, profile: Profile, heap_size: int | None = None) -> MemoryLayout:
        """The layout of ``profile``'s machine; ``heap_size`` overrides the heap (for
        tests). The heap is as large as the machine's memory: a process of the era could
        use that much (more with swap); the stack comes on top. ConfigError if the
        regions overlap or leave no guard gap."""

        def address(name: str) -> int:
            return _whole(profile, f"memory.layout.{name}", "address")

        stack_size = _whole(profile, "memory.stack_size", "B")
        memory = _whole(profile, "memory.size", "B")
        layout = cls(
            machine=profile.name,
            text_base=address("text_base"),
            heap_base=address("heap_base"),
            heap_size=heap_size if heap_size is not None else memory,
            stack_top=address("stack_top"),
            stack_size=stack_size,
            sentinel=address("sentinel"),
            heap_origin=f"memory.size of {profile.name}" if heap_size is None else "set by the caller",
        )
        layout._check(profile)
        return layout

    def _check(self, profile: Profile) -> None:
        where = f"machine profile {profile.name!r} ({profile.path})"
        if self.heap_size <= 0 or self.stack_size <= 0:
            raise ConfigError(f"{where}: memory.size and memory.stack_size must be > 0")
        for name in ("text_base", "heap_base", "stack_top", "sentinel"):
            if getattr(self, name) % PAGE:
                raise ConfigError(f"{where}: memory.layout.{name} must be a multiple of {PAGE:#x}")
        if not self.sentinel + PAGE <= self.text_base < self.heap_base:
            raise ConfigError(f"{where}: memory.layout must have sentinel < text_base < heap_base")
        if self.heap_end + PAGE > self.stack_low:
            raise ConfigError(
                f"{where}: the heap ({self.heap_base:#x} + {self.heap_size // MIB} MiB) reaches the stack "
                f"({self.stack_low:#x}); lower memory.size or memory.stack_size, or move memory.layout.stack_top")
        if self.stack_top > 1 << 31:
            raise ConfigError(f"{where}: memory.layout.stack_top is above 2 GiB, which not every "
                              "code model reaches (and a sign-extended 32-bit hypercall argument cannot name)")

    def map(self, uc: unicorn.Uc, image: Image) -> None:
        """Map the sentinel page, heap and stack around the already loaded ``image``."""
        if image.image_lo < self.text_base or image.image_end > self.heap_base:
            raise GuestFault(
                f"{image.path}: the program image ({image.image_lo:#x}-{image.image_end:#x}) is not between "
                f"memory.layout.text_base {self.text_base:#x} and heap_base {self.heap_base:#x} of {self.machine}")
        rw = unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE
        uc.mem_map(self.sentinel, PAGE, unicorn.UC_PROT_ALL)
        uc.mem_map(self.heap_base, (self.heap_size + PAGE - 1) & ~(PAGE - 1), rw)
        uc.mem_map(self.stack_low, self.stack_size, rw)

    def place_argv(self, uc: unicorn.Uc, isa: Isa, argv: list[str]) -> int:
        """Write argv strings and their pointer array at the top of the stack; set the
        entry registers (sp, argc, argv, return to the sentinel). Returns argv's address."""
        top = self.stack_top - 16
        pointers = []
        for arg in argv:
            data = arg.encode() + b"\0"
            top -= len(data)
            pointers.append(top)
        if self.stack_top - top > self.stack_size // 2:
            raise GuestFault(f"the arguments ({self.stack_top - top} bytes) do not fit the {self.machine} stack")
        for arg, at in zip(argv, pointers, strict=True):
            uc.mem_write(at, arg.encode() + b"\0")
        array = ((top & ~0xF) - isa.word_size * (len(pointers) + 1)) & ~0xF
        uc.mem_write(array, b"".join(isa.pointer(p) for p in pointers) + isa.pointer(0))
        uc.reg_write(isa.sp, isa.initial_sp(array))
        uc.reg_write(isa.args[0], len(argv))
        uc.reg_write(isa.args[1], array)
        isa.set_link(uc, self.sentinel)
        return array

    def explain(self, address: int, sp: int) -> str:
        """What an access to an unmapped ``address`` with stack pointer ``sp`` most likely
        means, or ''. A stack pointer below the stack is an overflow wherever the access
        lands (a large frame moves it far down at once)."""
        near_stack = sp < self.stack_low or address >= self.stack_low - STACK_OVERRUN_WINDOW
        if self.heap_end <= address < self.stack_low and near_stack:
            return (f": the stack overflowed (it is {self.stack_size // MIB} MiB, memory.stack_size of "
                    f"{self.machine}; deep recursion or large local arrays?)")
        if self.heap_end <= address < self.heap_end + STACK_OVERRUN_WINDOW:
            return f": past the end of the {self.heap_size // MIB} MiB heap of {self.machine}"
        return ""

    def describe_heap(self) -> str:
        return (f"the heap is {self.heap_size / MIB:g} MiB at {self.heap_base:#x}, {self.heap_origin}; "
                f"use a machine with more memory")


def _whole(profile: Profile, path: str, unit: str) -> int:
    value = profile.get(path, unit)
    if value != int(value) or value < 0:
        raise ConfigError(f"machine profile {profile.name!r} ({profile.path}): {path} must be a whole number >= 0")
    return int(value)
