"""PVM programs on 64-bit hosts: the cluster mixed64 has one host of each word size and
byte order (aarch64, sparc, mips64, mipsel), its first task on the 64-bit Pi.

The host reads Mlibpvm's argument blocks and buffers in each guest's own layout
(testbed/cluster/pvmargs.py, from PVMARG_*/PVMBUF_* in mig_protocol.h); packed data stays
PVM 3.4's XDR, longs 4 bytes on every host, a wider one refused with PvmOverflow; MpPVM
moves tasks between ILP32 and LP64 hosts with every message delivered once."""

from __future__ import annotations

from pathlib import Path

import pytest
import unicorn

from testbed.cli import main
from testbed.cluster import pvmargs
from testbed.cluster.migrate import MigrationRequest
from testbed.cluster.run import run_program
from testbed.cluster.topology import cluster
from testbed.emu.isa import ISAS
from testbed.errors import GuestFault

PVM_TESTS = Path(__file__).resolve().parent / "pvm"
MIXED64 = cluster("mixed64")


def _word_sizes(hosts: list[str]) -> set[int]:
    return {ISAS[MIXED64.host(h).isa].word_size for h in hosts}


# pvm_relay's answer on mixed64 is checked by the migration test below
@pytest.mark.parametrize(("program", "size"), [("pvm_matmul", "small"), ("pvm_heat", "64,20")])
def test_shipped_programs_give_the_reference_answer(program: str, size: str) -> None:
    r = run_program(program, MIXED64, tasks=3, size=size)
    assert r.verified is True, (r.output, r.reference)  # the answer snow18 gives (test_pvm_programs)
    assert _word_sizes(r.hosts_used) == {4, 8} and r.errors == ""


def test_every_type_from_ilp32_children_unpacks_on_an_lp64_parent() -> None:
    # pvm_types' children run on PMAX and SUN4 hosts; the parent is the aarch64 Pi
    on_pair = run_program(str(PVM_TESTS / "pvm_types.c"), cluster("pair"))
    r = run_program(str(PVM_TESTS / "pvm_types.c"), MIXED64)
    assert r.output == on_pair.output and r.output.count("strings too") == 2


def test_blocks_argv_tids_and_longs_between_word_sizes() -> None:
    r = run_program(str(PVM_TESTS / "pvm_words.c"), MIXED64)
    sent = "got -1 123456789, sent -2147483648 2147483647 4294967295"
    assert r.output.splitlines() == [
        "4 hosts, 4 arches, parent long 8 bytes",
        f"rpi1 (LINUX64): long 8, argv alpha beta-gamma, {sent}, wide -4 -4, 0 bytes left",
        f"ss1 (SUN4): long 4, argv alpha beta-gamma, {sent}, wide 0 0, 0 bytes left",
        f"oct1 (SGI64): long 8, argv alpha beta-gamma, {sent}, wide -4 -4, 0 bytes left",
        f"dec1 (PMAX): long 4, argv alpha beta-gamma, {sent}, wide 0 0, 0 bytes left",
    ]
    # the refusals are PVM's own lines (PvmOverflow, "Value too large"), from the two LP64 children
    assert sorted(r.errors.splitlines()) == sorted(
        f"libpvm [{tid}]: {call}(): Value too large" for tid in ("t40002", "tc0001")
        for call in ("pvm_pklong", "pvm_pkulong"))


@pytest.mark.slow  # ~20 s from a cold build cache: the MpPVM builds for mips64 and mipsel
def test_relay_migrates_lp64_to_ilp32_and_back() -> None:
    # task 2 starts on oct1 (mips64, big-endian LP64), moves to dec1 (mipsel, ILP32) between
    # unpacking and packing, then back: its buffers travel in the stream both ways
    r = run_program("pvm_relay", MIXED64, tasks=2, size="4,12",
                    migrations=[MigrationRequest(2, "dec1", at_passage=5), MigrationRequest(2, "oct1", at_passage=9)])
    assert r.verified is True and r.ledger_problems == []
    assert r.ledger["sent"] == r.ledger["delivered"] > 0
    assert [(m["ok"], m["src_isa"], m["dst_isa"], m["in_stream"]) for m in r.migrations] == [
        (True, "mips64", "mipsel", 1), (True, "mipsel", "mips64", 1)]


@pytest.mark.slow  # ~25 s from a cold build cache: the MpPVM builds for all four ISAs
def test_heat_worker_leaves_an_lp64_host_while_messages_are_in_flight() -> None:
    # task 2 (oct1, mips64) is blocked in pvm_recv when the request comes; its neighbours'
    # edges are queued for it or on the wire, and reach it on dec1 (mipsel) exactly once
    r = run_program("pvm_heat", MIXED64, tasks=3, size="64,20", migrations=[MigrationRequest(2, "dec1", at_s=0.01)])
    assert r.verified is True and r.ledger_problems == []
    [m] = r.migrations
    assert (m["ok"], m["src_isa"], m["dst_isa"]) == (True, "mips64", "mipsel")
    assert m["drained"] + m["forwarded"] > 0


def test_a_bad_pointer_in_a_block_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "run", str(PVM_TESTS / "pvm_badblock.c"), "--cluster", "mixed64"]) == 2
    err = capsys.readouterr().err
    assert err == ("testbed: error: task t40001 (pvm_badblock on rpi1): the pvm_mcast tids array at 0x10 "
                   "is not in the guest's memory (a bad pointer passed to Mlibpvm?)\n")


class _Memory:
    """Enough of a Guest for the layouts: an ISA and 64 bytes of memory at 0x1000."""

    def __init__(self, isa: str) -> None:
        self.isa, self.data = ISAS[isa], bytearray(64)

    def read(self, address: int, size: int) -> bytes:
        if not 0x1000 <= address <= address + size <= 0x1040:
            raise unicorn.UcError(unicorn.UC_ERR_READ_UNMAPPED)
        return bytes(self.data[address - 0x1000:address - 0x1000 + size])

    def write(self, address: int, data: bytes) -> None:
        self.data[address - 0x1000:address - 0x1000 + len(data)] = data


@pytest.mark.parametrize("isa", ["mipsel", "sparc", "aarch64", "mips64"])
def test_layouts_follow_the_guests_word_and_byte_order(isa: str) -> None:
    assert pvmargs.SEND.fields == ("body", "length", "tid", "tag")
    assert pvmargs.SPAWN.fields == ("name", "argv", "flag", "where", "ntask", "tids")
    assert pvmargs.BUFFER.fields == ("used", "data", "length", "capacity", "position", "source", "tag")
    memory = _Memory(isa)
    pvmargs.MSGINFO.write(memory, 0x1000, length=12, source=0x40001, tag=-1)  # type: ignore[arg-type]
    size, order = ISAS[isa].word_size, "big" if ISAS[isa].big_endian else "little"
    assert memory.data[:3 * size] == b"".join(v.to_bytes(size, order, signed=True) for v in (12, 0x40001, -1))
    assert pvmargs.MSGINFO.read(memory, 0x1000) == {"length": 12, "source": 0x40001, "tag": -1}  # type: ignore[arg-type]
    with pytest.raises(GuestFault, match="pvm_spawn block at 0x1030"):
        pvmargs.SPAWN.read(memory, 0x1030)  # type: ignore[arg-type]
