"""Resolve what the user names (an ISA or a machine) to a machine profile and its ISA."""

from __future__ import annotations

from dataclasses import dataclass

from testbed import profiles
from testbed.emu.isa import ISAS, Isa, isa
from testbed.errors import ConfigError

# An ISA named where a machine is expected means its default machine.
DEFAULT_MACHINE = {"mipsel": "dec5000", "mips": "indy", "sparc": "ss20", "ppc32": "rs43p", "aarch64": "rpi4",
                   "riscv64": "unmatched", "x86-64": "ryzen7700x", "mips64": "octane"}


@dataclass(frozen=True)
class Machine:
    """A machine profile together with its ISA."""

    name: str
    isa: Isa
    profile: profiles.Profile

    @property
    def clock_hz(self) -> float:
        return self.profile.get("cpu.clock", "Hz")

    @property
    def description(self) -> str:
        return self.profile.text("machine.description")


def resolve(name: str) -> Machine:
    """An ISA name (``mipsel``, ``sparc``, ...) -> its default machine; otherwise a machine profile name."""
    machine_name = DEFAULT_MACHINE.get(name, name)
    if machine_name not in profiles.machine_names():
        valid = sorted(set(profiles.machine_names()) | set(ISAS))
        raise ConfigError(f"unknown machine or ISA {name!r}; valid: {', '.join(valid)}")
    profile = profiles.machine(machine_name)
    return Machine(machine_name, isa(profile.text("machine.isa")), profile)


def names() -> list[str]:
    return sorted(set(profiles.machine_names()) | set(ISAS))
