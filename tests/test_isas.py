"""The instruction sets added after mipsel and sparc (issue 16): each one's hypercall,
fault reporting, loader checks and machine profile, and migrations between it and the
two original ISAs. (Exec output identical everywhere: tests/test_programs.py, which runs
every target in testbed.build.ISAS.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testbed.build import build_program
from testbed.emu.guest import Guest
from testbed.emu.isa import ISAS as EMULATED
from testbed.emu.machines import DEFAULT_MACHINE, resolve
from testbed.errors import GuestFault
from testbed.migration.run import MigrationSpec, migrate
from testbed.migration.stream import read_header

from .conftest import GUEST_TESTS

NEW_ISAS = ("mips", "ppc32")
LP64_ISAS = ("aarch64",)


def _build(name: str, isa_name: str) -> Path:
    return build_program(name, [GUEST_TESTS / f"{name}.c"], isa_name).path


def test_every_emulated_isa_has_a_default_machine_of_its_own() -> None:
    for name in EMULATED:
        machine = resolve(name)
        assert machine.isa.name == name and DEFAULT_MACHINE[name] == machine.name


@pytest.mark.parametrize("name", NEW_ISAS + LP64_ISAS)
def test_hypercall_with_arguments_and_result(name: str) -> None:
    guest = Guest(_build("custom_hypercall", name), resolve(name), ["custom_hypercall"])
    guest.hypercalls.register(42, lambda g, a0, a1, a2: a0 * 6)
    result = guest.run()
    assert result is not None and result.stdout == "host says 42\n" and result.exit_code == 0


@pytest.mark.parametrize(("name", "arg", "where"), [
    ("mips", "load", "(load_then_add+0x0): lw $v0, ($a0)"),
    ("mips", "slot", "(store_in_delay_slot+0x4): sw $a1, ($a0)"),
])
def test_unaligned_access_is_reported_at_the_faulting_pc(name: str, arg: str, where: str) -> None:
    with pytest.raises(GuestFault) as info:
        Guest(_build("misaligned", name), resolve(name), ["misaligned", arg]).run()
    assert where in str(info.value) and "\n" not in str(info.value)


def test_ppc32_does_misaligned_integer_accesses_in_hardware() -> None:
    """As the 604 does (no alignment exception for a word load or store off a word
    boundary): the load reads bytes 2..5 of {1, 2, ...} in big-endian order."""
    result = Guest(_build("misaligned", "ppc32"), resolve("ppc32"), ["misaligned", "load"]).run()
    assert result is not None and result.exit_code == 0x02030405 + 2


@pytest.mark.parametrize(("name", "where"), [
    ("mips", r"at pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): lw "),
    ("ppc32", r"at pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): lwz "),
    ("aarch64", r"at pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): ldr w"),
])
def test_a_wild_pointer_is_reported_at_the_faulting_load(name: str, where: str) -> None:
    with pytest.raises(GuestFault, match=rf"read from unmapped address 0x[0-9a-f]+ \(4 bytes\) {where}"):
        Guest(_build("wild_pointer", name), resolve(name), ["wild_pointer"]).run()


@pytest.mark.parametrize("name", NEW_ISAS + LP64_ISAS)
def test_long_straight_line_blocks_run(name: str) -> None:
    """An unrolled SHA-256 (a 3,700-instruction block): unicorn's MIPS translator crashes
    on it in either byte order unless workarounds.py covers it; PowerPC's does not."""
    from testbed.emu.isolate import run_guest

    host = build_program("sha256_unrolled", [GUEST_TESTS / "sha256_unrolled.c"], "host")
    expected = subprocess.run([str(host.path), "20"], capture_output=True, text=True, check=True).stdout
    result = run_guest(_build("sha256_unrolled", name), name, ["sha256_unrolled", "20"])
    assert result.stdout == expected and result.exit_code == 0


def test_lp64_hypercalls_speak_the_32_bit_protocol() -> None:
    """A 64-bit guest passes longs: the host reads their low 32 bits (an int is
    sign-extended, an address is below 2 GiB) and returns a 32-bit result sign-extended,
    so that -1 is -1 in the guest's long as on the 32-bit guests."""
    lp64, ilp32 = EMULATED["aarch64"], EMULATED["mipsel"]
    assert (lp64.word_size, lp64.data_model, ilp32.word_size, ilp32.data_model) == (8, "LP64", 4, "ILP32")
    assert lp64.hypercall_arg(-1 & (2**64 - 1)) == 0xFFFFFFFF == ilp32.hypercall_arg(0xFFFFFFFF)
    assert lp64.hypercall_value(-1) == 2**64 - 1 and lp64.hypercall_value(0x7FFF_0000) == 0x7FFF_0000
    assert ilp32.hypercall_value(-1) == 0xFFFFFFFF
    assert lp64.pointer(0x1000_0010) == bytes.fromhex("1000001000000000")
    assert lp64.unpack_pointer(lp64.pointer(0x7FFF_FFF0)) == 0x7FFF_FFF0


def test_argv_pointers_are_pointer_sized() -> None:
    """main's argv on an LP64 guest is an array of 8-byte pointers: the program prints
    every argument it was given."""
    guest = Guest(_build("custom_hypercall", "aarch64"), resolve("aarch64"), ["custom_hypercall"])
    argv = guest.layout.stack_top - 16  # strings lie below here, the pointer array below them
    array = guest.uc.reg_read(guest.isa.args[1])
    assert array < argv and guest.read_pointer(array) < argv and guest.read_pointer(array + 8) == 0
    assert guest.read(guest.read_pointer(array), 17) == b"custom_hypercall\0"


def test_an_executable_of_the_other_byte_order_is_refused() -> None:
    with pytest.raises(GuestFault, match=r"is a 32-bit little-endian EM_MIPS executable, not for mips$"):
        Guest(_build("custom_hypercall", "mipsel"), resolve("mips"), ["custom_hypercall"])
    with pytest.raises(GuestFault, match=r"is a 32-bit big-endian EM_MIPS executable, not for mipsel$"):
        Guest(_build("custom_hypercall", "mips"), resolve("mipsel"), ["custom_hypercall"])
    with pytest.raises(GuestFault, match=r"is a 32-bit big-endian EM_PPC executable, not for sparc$"):
        Guest(_build("custom_hypercall", "ppc32"), resolve("sparc"), ["custom_hypercall"])
    with pytest.raises(GuestFault, match=r"is a 64-bit little-endian EM_AARCH64 executable, not for mipsel$"):
        Guest(_build("custom_hypercall", "aarch64"), resolve("mipsel"), ["custom_hypercall"])


@pytest.mark.parametrize("runtime", ["modern", "classic"])
@pytest.mark.parametrize("name", NEW_ISAS)
@pytest.mark.parametrize("other", ["mipsel", "sparc"])
def test_migration_to_and_from_the_original_isas(name: str, other: str, runtime: str) -> None:
    seen: list[bytes] = []

    def keep(stream: bytes) -> bytes:
        seen.append(stream)
        return stream

    for src, dst in ((name, other), (other, name)):
        record = migrate(MigrationSpec("test_pointer", "small", src, dst, at="90%", runtime=runtime, tamper=keep))
        assert record.verified is True and record.roundtrip_identical is True, (src, dst)
        assert record.src_isa == src and record.dst_isa == dst
        assert read_header(seen[-1]).source_isa == src  # the header names the source ISA
