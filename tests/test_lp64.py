"""Word sizes (issue 16): migration between ILP32 and LP64 machines in both directions.

Longs, size_t, ptrdiff_t and intptr_t travel in 8 bytes whatever the source's width; a
destination whose long is 32 bits refuses a value it cannot hold before anything is
written, with one line naming the variable (or the block and element), the value and the
type, and the source finishes. tests/guests/lp64_values.c holds such values in a local, a
heap struct and a global; its one argument is 100 * where + shift of the big value.
"""

from __future__ import annotations

import pytest

from testbed.emu.isa import ISAS
from testbed.mcl import ctype
from testbed.migration.host import MigrationPort
from testbed.migration.run import MigrationSpec, migrate
from testbed.protocol import Event

from .conftest import GUEST_TESTS

PROGRAM = str(GUEST_TESTS / "lp64_values.c")
LOCAL, HEAP, GLOBAL = 0, 100, 200  # where the big value lives


def _migrate(src: str, dst: str, argument: int, runtime: str = "modern", events: list | None = None):
    def watch(port: MigrationPort) -> None:
        if events is not None:
            events.append(port)

    spec = MigrationSpec(PROGRAM, str(argument), src, dst, at=3, runtime=runtime, destination_hook=watch)
    return migrate(spec)


def test_a_long_holding_2_to_the_40_on_aarch64_is_refused_on_mipsel_and_the_source_finishes() -> None:
    """The issue's acceptance test, first half."""
    ports: list[MigrationPort] = []
    record = _migrate("aarch64", "mipsel", LOCAL + 40, events=ports)
    assert record.failure is not None and record.failure.phase == "restore"
    line = record.failure.error
    assert "\n" not in line
    assert ("holds 1099511627776, which does not fit this machine's 32-bit long, in variable big at "
            "lp64_values.c:") in line and "(main) [value out of range]" in line
    assert record.completed_on == "source" and record.verified is True  # the source's own answer
    # refused by the validator, before the decoder wrote anything
    assert not any(event == Event.DECODE_END for event, _ in ports[0].events)


@pytest.mark.parametrize("runtime", ["modern", "classic"])
def test_with_a_value_that_fits_it_verifies(runtime: str) -> None:
    """The acceptance test, second half: 2^20 in the same long migrates and verifies."""
    record = _migrate("aarch64", "mipsel", LOCAL + 20, runtime)
    assert record.failure is None and record.verified is True and record.roundtrip_identical is True
    assert record.completed_on == "destination"


@pytest.mark.parametrize(("argument", "where", "value"), [
    (HEAP + 40, "element 0 of heap block 0 (struct entry)", "1099511627776"),
    (GLOBAL + 40, "element 2 of global block 3 (long)", "1099511627776"),
    (HEAP + 31, "element 0 of heap block 0 (struct entry)", "2147483648"),  # 2^31: one past INT32_MAX
])
def test_a_block_element_that_does_not_fit_is_named(argument: int, where: str, value: str) -> None:
    record = _migrate("aarch64", "sparc", argument)
    assert record.failure is not None and record.completed_on == "source" and record.verified is True
    assert f"stream refused: {where} holds {value}, which does not fit this machine's 32-bit long" in record.failure.error
    if argument >= GLOBAL:
        assert record.failure.error.endswith("(the global history) [value out of range]")


@pytest.mark.parametrize(("src", "dst"), [("mipsel", "aarch64"), ("sparc", "aarch64"), ("aarch64", "sparc")])
def test_word_sized_values_cross_in_every_direction(src: str, dst: str) -> None:
    """Longs at 2^30 (fits 32 bits) in a local, a heap struct (after padding that differs
    between ILP32 and LP64) and a global: verified, and collecting again on the
    destination gives the same stream."""
    for argument in (LOCAL + 30, HEAP + 30, GLOBAL + 30):
        record = _migrate(src, dst, argument)
        assert record.failure is None and record.verified is True and record.roundtrip_identical is True, (
            src, dst, argument, record.failure)


def test_an_lp64_destination_takes_what_no_32_bit_one_can() -> None:
    record = _migrate("aarch64", "aarch64", LOCAL + 40)
    assert record.failure is None and record.verified is True


def test_the_word_sized_types_are_longs_to_the_type_model() -> None:
    """size_t, ptrdiff_t, intptr_t and uintptr_t resolve to the word-sized primitives
    whichever compiler preprocesses for the precompiler; their sizeof is not a portable
    constant, and they travel in 8 bytes."""
    from testbed.build.preprocess import parse_program
    from testbed.mcl.resolve import TypeResolver, iter_type_uses

    ast = parse_program(GUEST_TESTS / "lp64_values.c")
    uses = {u.name: u.ctype for u in iter_type_uses(ast, TypeResolver(ast))}
    entry = uses["entry"]
    assert isinstance(entry, ctype.Struct)
    assert [t.prim for _, t in entry.fields if isinstance(t, ctype.Prim)] == ["I8", "IL", "UL", "IL", "UL"]
    assert uses["cookie"] == ctype.Prim.of("IL")
    with pytest.raises(ValueError, match="may differ between the ISAs"):
        ctype.portable_size(ctype.Prim.of("UL"))
    with pytest.raises(ValueError, match="may differ between the ISAs"):
        ctype.portable_size(ctype.Pointer(ctype.Void()))
    assert ctype.STREAM_SIZE["IL"] == ctype.STREAM_SIZE["UL"] == 8


LP64 = sorted(name for name, isa in ISAS.items() if isa.word_size == 8)
ILP32 = sorted(name for name, isa in ISAS.items() if isa.word_size == 4)


@pytest.mark.parametrize("src", LP64)
def test_every_lp64_isa_is_range_checked_by_a_32_bit_one(src: str) -> None:
    """The seam is the data model, not aarch64: each 64-bit ISA's 2^40 is refused by a
    32-bit ISA (a different one per source), and 2^30 from it verifies there."""
    dst = ILP32[LP64.index(src) % len(ILP32)]
    refused = _migrate(src, dst, LOCAL + 40)
    assert refused.failure is not None and refused.completed_on == "source" and refused.verified is True
    assert "holds 1099511627776, which does not fit this machine's 32-bit long, in variable big" in refused.failure.error
    fits = _migrate(src, dst, HEAP + 30)
    assert fits.failure is None and fits.verified is True, (src, dst)
