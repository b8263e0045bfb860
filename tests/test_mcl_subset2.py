"""The wider C subset, second part (docs/mcl.md, "The accepted subset"): function
pointers, bit-fields, read-only data as pointers. Each construct migrates both ways,
mipsel -> sparc and sparc -> mipsel, verified against the unmigrated run, or is refused
with one line naming what cannot travel."""

from __future__ import annotations

import re
from pathlib import Path

from testbed.build import build_program
from testbed.build.native import run_native
from testbed.build.preprocess import parse_program
from testbed.build.toolchain import TARGETS
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.mcl.ti import generate_ti
from testbed.mcl.unit import migratable_unit
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS
from .test_ti import DRIVER

DIRECTIONS = [("mipsel", "sparc"), ("sparc", "mipsel")]


def _migrates_both_ways(name: str, points: tuple[str, ...]) -> None:
    path = str(GUEST_TESTS / name)
    assert passages(path, "small") > 0
    for src, dst in DIRECTIONS:
        for at in points:
            record = migrate(MigrationSpec(path, "small", src, dst, at=at))
            assert record.verified and record.roundtrip_identical, (src, dst, at, record.failure)


def test_function_pointers_travel_as_indices_of_the_function_table() -> None:
    """A local, a local array (a stack block), a global, a non-const global table, struct
    fields (one through a typedef of a function type) and a global array of structs
    holding them, rewired while the program runs (all were refused)."""
    _migrates_both_ways("function_pointers.c", ("2%", "45%", "97%"))


def test_a_pointer_to_a_library_function_travels_as_an_index() -> None:
    """strcmp is the runtime's, which is the same on every ISA: used as a value, it is in
    the function table like the program's own functions (it was refused at collection;
    the torture suite's 921110-1.c and 930513-1.c store abort and sprintf)."""
    _migrates_both_ways("library_function_pointer.c", ("3%", "50%", "97%"))


def test_bit_fields_travel_as_their_values() -> None:
    """Signed, unsigned, _Bool and char bit-fields, unnamed and zero-width padding, in a
    global array, a struct local and heap nodes holding a pointer (was refused: "its layout
    is not portable"). mipsel and sparc number a unit's bits from opposite ends."""
    _migrates_both_ways("bit_fields.c", ("3%", "50%", "99%"))


# For each bit-field: set it to all ones in a zeroed object and find its bits in memory
# order (from the least significant bit of the first byte on a little-endian machine,
# from the most significant on a big-endian one), next to what the table says.
BIT_PROBE = """    {{
        union {{ {c_name} o; unsigned char b[sizeof({c_name})]; }} u;
        volatile int all_ones = -1;
        union {{ unsigned w; unsigned char c[4]; }} e = {{ 1u }};
        unsigned k, first = ~0u, n = 0;
        memset(&u, 0, sizeof u);
        u.o.{field} = all_ones;
        for (k = 0; k < 8 * sizeof u.b; k++)
            if (u.b[k / 8] >> (e.c[0] == 1 ? k % 8 : 7 - k % 8) & 1u) {{
                first = first < k ? first : k;
                n++;
            }}
        printf("B {id} {j} %u %u %u %u %u\\n", first, n, (unsigned)mig_types[{id}].fields[{j}].bit_offset,
               (unsigned)mig_types[{id}].fields[{j}].bits, (unsigned)mig_types[{id}].fields[{j}].offset);
    }}
"""


def test_bit_offsets_in_the_table_are_each_compilers(tmp_path: Path) -> None:
    """The oracle: the table's bit offsets and widths (ti.py, from offsetof and the ABI
    rule) are where each compiler really put the bits, on mipsel, sparc and the host."""
    program = GUEST_TESTS / "bit_fields.c"
    ti = generate_ti(parse_program(program), program_key="bit-probe")
    probes = [BIT_PROBE.format(c_name=e.c_name, field=f.name, id=e.id, j=j)
              for e in ti.types if e.kind == "struct" for j, f in enumerate(e.fields) if f.bits]
    assert len(probes) == 7
    combined = tmp_path / "bit_probe.c"
    combined.write_text(ti.header + "#define main ti_program_main\n" + program.read_text() + "#undef main\n"
                        + ti.code + DRIVER.replace("@DIRECT@", "".join(probes)))
    for isa in ("mipsel", "sparc", "host"):
        build = build_program("bit_probe", [combined], isa, runtime_sources=TARGETS[isa].runtime_sources)
        if isa == "host":
            stdout = run_native(build.path, [], "the bit-field probe").stdout
        else:
            stdout = Guest(build.path, resolve(isa), ["bit_probe"]).run().stdout
        rows = [list(map(int, line.split()[1:])) for line in stdout.splitlines() if line.startswith("B ")]
        assert len(rows) == len(probes), (isa, stdout)
        for _id, _j, first, n, bit_offset, bits, offset in rows:
            assert (first, n) == (bit_offset, bits), (isa, rows)
            assert offset == bit_offset // 8


def test_pointers_into_read_only_data_travel_as_object_and_offset() -> None:
    """A global char * initialised with a literal and walked (p++), a pointer into the
    middle of a literal and one past its end, a table of literal pointers, pointers into a
    const int table and a const table of structs (a literal pointer was refused at
    collection; a `const char *` global was not even registered: its p++ was lost)."""
    _migrates_both_ways("rodata_pointers.c", ("3%", "50%", "98%"))


def test_only_literals_used_as_values_become_read_only_objects(tmp_path: Path) -> None:
    """A literal initialising a char array (also inside an array or a struct) or under
    sizeof makes no pointer: it stays. Every other one is a numbered object, in source
    order, followed by the const globals."""
    source = tmp_path / "lits.c"
    source.write_text("""
#include <stdio.h>
struct named { char tag[4]; const char *text; };
char plain[] = "abc";
char rows[2][4] = { "x", "y" };
struct named one = { "ab", "cd" };
const int limits[2] = { 1, 2 };
int main(void)
{
    return (int)sizeof "abcd" + puts("hi") + plain[0] + rows[1][0] + one.tag[0] + limits[1];
}
""")
    unit = migratable_unit(parse_program(source), "lits.c", "lits").unit
    hoisted = re.findall(r'__mcl_lit_(\d+) = \{ 0, ("[^"]*") \}', unit)
    assert hoisted == [("0", '"cd"'), ("1", '"hi"')]
    table = unit[unit.index("const struct mig_rodata mig_rodata[]"):]
    assert "__mcl_lit_1.v" in table and "(const void *)limits, MIG_T_int, 2u" in table
    assert 'char plain[] = "abc"' in unit and 'sizeof("abcd")' in unit
