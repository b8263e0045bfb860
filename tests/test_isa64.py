"""The 64-bit guests riscv64, x86-64 and mips64 (issue 16): each one's hypercall and its
quirks, fault reporting, loader checks, exact instruction counts, instruction classes, and
migrations between them and the 32-bit ISAs.
(Exec output identical everywhere: tests/test_programs.py, which runs every target in
testbed.build.ISAS.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import unicorn

from testbed.build import build_program
from testbed.emu.guest import Guest
from testbed.emu.isa import CLASSES, ISAS
from testbed.emu.machines import resolve
from testbed.errors import GuestFault
from testbed.migration.run import MigrationSpec, migrate
from testbed.migration.stream import read_header

from .conftest import GUEST_TESTS

WIDE_ISAS = ("riscv64", "x86-64", "mips64")


def _build(name: str, isa_name: str) -> Path:
    return build_program(name, [GUEST_TESTS / f"{name}.c"], isa_name).path


@pytest.mark.parametrize("name", WIDE_ISAS)
def test_hypercall_paused_in_its_handler_resumes_past_the_trap(name: str) -> None:
    """x86-64's syscall reaches UC_HOOK_INSN with the PC still on it: a pause must not run
    it twice. On every ISA the result reaches the guest's 64-bit register whole."""
    guest = Guest(_build("custom_hypercall", name), resolve(name), ["custom_hypercall"])
    calls: list[int] = []

    def handler(g: Guest, a0: int, _a1: int, _a2: int) -> int:
        calls.append(a0)
        g.pause()
        return a0 * 6

    guest.hypercalls.register(42, handler)
    assert guest.run() is None
    result = guest.run()
    assert result is not None and result.stdout == "host says 42\n" and result.exit_code == 0
    assert calls == [7]


@pytest.mark.parametrize("name", WIDE_ISAS)
def test_a_negative_hypercall_result_stays_negative(name: str) -> None:
    guest = Guest(_build("custom_hypercall", name), resolve(name), ["custom_hypercall"])
    guest.hypercalls.register(42, lambda g, a0, a1, a2: -a0)
    result = guest.run()
    assert result is not None and result.stdout == "host says -7\n"


@pytest.mark.parametrize("name", WIDE_ISAS)
def test_instruction_counts_are_exact(name: str) -> None:
    """The block counter (size / 4, or x86-64's table of instruction starts) and the
    classified tally both equal a count of every executed instruction by a code hook."""
    guest = Guest(_build("libc_calls", name), resolve(name), ["libc_calls"])
    executed = [0]

    def count(_uc: unicorn.Uc, _address: int, _size: int, _user: object) -> None:
        executed[0] += 1

    guest.uc.hook_add(unicorn.UC_HOOK_CODE, count)
    result = guest.run()
    assert result is not None and result.exit_code == 0
    assert guest.instructions == result.instructions == executed[0]


@pytest.mark.parametrize(("arg", "where"), [
    ("load", "(load_then_add+0x0): lw $v0, ($a0)"),
    ("slot", "(store_in_delay_slot+0x4): sw $a1, ($a0)"),
])
def test_mips64_unaligned_access_is_reported_at_the_faulting_pc(arg: str, where: str) -> None:
    with pytest.raises(GuestFault, match="address error on (load|store)") as info:
        Guest(_build("misaligned", "mips64"), resolve("mips64"), ["misaligned", arg]).run()
    assert where in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["riscv64", "x86-64"])
def test_misaligned_integer_accesses_are_done_in_hardware(name: str) -> None:
    """As on x86-64, and on the U74 through its firmware's trap handler: the load reads
    bytes 2..5 of {1, 2, ...} in little-endian order."""
    result = Guest(_build("misaligned", name), resolve(name), ["misaligned", "load"]).run()
    assert result is not None and result.exit_code == 0x05040302 + 2


@pytest.mark.parametrize(("name", "what"), [
    ("riscv64", r"read from unmapped address 0x[0-9a-f]+ \(4 bytes\) at pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): lw "),
    ("x86-64", r"read from unmapped address 0x[0-9a-f]+ \(4 bytes\) at pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): "
               r"mov eax, dword ptr \["),
    # beyond the 32-bit compatibility segments: an address error, found at its load
    ("mips64", r"address error on load \(unaligned, or outside the 32-bit address space of -msym32 code\) "
               r"at pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): lw "),
])
def test_a_wild_pointer_is_reported_at_the_faulting_load(name: str, what: str) -> None:
    with pytest.raises(GuestFault, match=what):
        Guest(_build("wild_pointer", name), resolve(name), ["wild_pointer"]).run()


@pytest.mark.parametrize("name", WIDE_ISAS)
def test_long_straight_line_blocks_run(name: str) -> None:
    """The unrolled SHA-256 block: unicorn's MIPS64 translator crashes on it as the 32-bit
    one does unless workarounds.py covers it (verified: SIGSEGV without)."""
    from testbed.emu.isolate import run_guest

    host = build_program("sha256_unrolled", [GUEST_TESTS / "sha256_unrolled.c"], "host")
    expected = subprocess.run([str(host.path), "20"], capture_output=True, text=True, check=True).stdout
    result = run_guest(_build("sha256_unrolled", name), name, ["sha256_unrolled", "20"])
    assert result.stdout == expected and result.exit_code == 0


def test_an_executable_of_the_other_word_size_is_refused() -> None:
    with pytest.raises(GuestFault, match=r"is a 32-bit big-endian EM_MIPS executable, not for mips64$"):
        Guest(_build("custom_hypercall", "mips"), resolve("mips64"), ["custom_hypercall"])
    with pytest.raises(GuestFault, match=r"is a 64-bit big-endian EM_MIPS executable, not for mips$"):
        Guest(_build("custom_hypercall", "mips64"), resolve("mips"), ["custom_hypercall"])
    with pytest.raises(GuestFault, match=r"is a 64-bit little-endian EM_RISCV executable, not for x86-64$"):
        Guest(_build("custom_hypercall", "riscv64"), resolve("x86-64"), ["custom_hypercall"])


def _classes(name: str, code: bytes) -> dict[str, int]:
    counts = ISAS[name].classify(code, 0x400000)
    return {c: n for c, n in zip(CLASSES, counts, strict=True) if n}


def test_x86_64_classes_follow_the_memory_operands() -> None:
    code = bytes.fromhex(
        "f20f1000"  # movsd xmm0, qword ptr [rax]: load
        "f20f58c1"  # addsd xmm0, xmm1
        "f20f59c1"  # mulsd xmm0, xmm1
        "f20f5ec1"  # divsd xmm0, xmm1
        "66480f7ec0"  # movq rax, xmm0: an SSE move
        "488918"  # mov qword ptr [rax], rbx: store
        "480318"  # add rbx, qword ptr [rax]: load
        "480fafc3"  # imul rax, rbx
        "48f7f3"  # div rbx
        "488d0418"  # lea rax, [rax + rbx]: no access
        "53"  # push rbx: store
        "0f05"  # syscall
        "c3"  # ret
    )
    assert _classes("x86-64", code) == {"load": 2, "fadd": 1, "fmul": 1, "fdiv": 1, "fother": 1, "store": 2,
                                        "mul": 1, "div": 1, "alu": 1, "trap": 1, "branch": 1}


def test_riscv64_classes() -> None:
    words = (
        0x00053503,  # ld a0, 0(a0)
        0x00a53023,  # sd a0, 0(a0)
        0x02b50533,  # mul a0, a0, a1
        0x02b54533,  # div a0, a0, a1
        0x02b57553,  # fadd.d fa0, fa0, fa1
        0x12b57553,  # fmul.d fa0, fa0, fa1
        0x1ab57553,  # fdiv.d fa0, fa0, fa1
        0xa2b52553,  # feq.d a0, fa0, fa1
        0x00b50463,  # beq a0, a1, +8
        0x00000073,  # ecall
        0x00150513,  # addi a0, a0, 1
    )
    code = b"".join(w.to_bytes(4, "little") for w in words)
    assert _classes("riscv64", code) == {c: 1 for c in ("load", "store", "mul", "div", "fadd", "fmul", "fdiv",
                                                       "fother", "branch", "trap", "alu")}


def test_mips64_classes_include_what_capstone_cannot_decode() -> None:
    words = (
        0xDC820000,  # ld $v0, 0($a0)
        0xFC820000,  # sd $v0, 0($a0)
        0x4C220021,  # madd.d $f0, $f1, $f0, $f2 (unfused on MIPS IV: priced as a multiply)
        0x4621043C,  # c.lt.d $fcc4, $f0, $f1 (capstone 5 decodes only $fcc0)
        0x0085001C,  # dmult $a0, $a1
        0x0085001E,  # ddiv $zero, $a0, $a1
    )
    code = b"".join(w.to_bytes(4, "big") for w in words)
    assert _classes("mips64", code) == {"load": 1, "store": 1, "fmul": 1, "fother": 1, "mul": 1, "div": 1}


@pytest.mark.parametrize(("name", "machine"), [("riscv64", "unmatched"), ("x86-64", "ryzen7700x"),
                                               ("mips64", "octane")])
def test_each_names_its_default_machine_and_is_priced_at_its_clock(name: str, machine: str) -> None:
    resolved = resolve(name)
    assert resolved.name == machine and resolved.isa.name == name
    guest = Guest(_build("custom_hypercall", name), resolved, ["custom_hypercall"])
    guest.hypercalls.register(42, lambda g, a0, a1, a2: a0)
    result = guest.run()
    assert result is not None and result.cycles > result.instructions * 0.2
    assert result.seconds == pytest.approx(result.cycles / resolved.clock_hz)


@pytest.mark.parametrize("runtime", ["modern", "classic"])
@pytest.mark.parametrize(("name", "other"), [(n, o) for n in WIDE_ISAS for o in ("mipsel", "sparc")]
                         + [("x86-64", "mips64"), ("riscv64", "x86-64"), ("mips64", "riscv64")])
def test_migration_to_and_from_another_isa(name: str, other: str, runtime: str) -> None:
    seen: list[bytes] = []

    def keep(stream: bytes) -> bytes:
        seen.append(stream)
        return stream

    for src, dst in ((name, other), (other, name)):
        record = migrate(MigrationSpec("test_pointer", "small", src, dst, at="90%", runtime=runtime, tamper=keep))
        assert record.verified is True and record.roundtrip_identical is True, (src, dst)
        assert record.src_isa == src and record.dst_isa == dst
        assert read_header(seen[-1]).source_isa == src  # the header names the source ISA
