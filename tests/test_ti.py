"""The Type-Information generator (testbed/mcl/ti.py) and its C front end (cparse.py).

The generated table is compiled into tests/guests/ti_layout.c together with a driver that
dumps mig_types[] and a recording stand-in for the runtime's encoders (mig.c is not
linked), then run on both emulated ISAs and natively. Checked: sizes and offsets are what
each compiler says, the portable description and the save call sequences are identical
everywhere, leaves and leaf ordinals are right, and save/restore round-trip every type.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from testbed.build import build_program
from testbed.build.native import run_native
from testbed.build.preprocess import parse_program
from testbed.build.toolchain import TARGETS, compiler_include_dir
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.errors import ConfigError, ToolchainError
from testbed.mcl import cparse, ctype
from testbed.mcl.ctype import Array, Pointer, Prim, Struct
from testbed.mcl.resolve import TypeResolver, iter_type_uses
from testbed.mcl.ti import TI, generate_ti

from .conftest import GUEST_TESTS

PROGRAM = GUEST_TESTS / "ti_layout.c"
RUNTIME_DIR = cparse.RUNTIME_DIR
PRIM_NO = {p: i + 1 for i, p in enumerate(ctype.PRIM_ORDER + ctype.WORD_PRIMS)}  # enum mig_prim values

# A recording implementation of the encoders the generated code calls: every call appends
# a token to a log (restore logs the same tokens as save, so the two logs must be equal)
# and values go through a byte arena, so restore reads back exactly what save wrote.
DRIVER = r"""
/* ---- test driver of tests/test_ti.py ---- */
#include <stdio.h>
#include <string.h>

static char ti_log[16384];
static unsigned ti_log_len;
static unsigned char ti_arena[65536];
static unsigned ti_wr, ti_rd;

static void ti_note(const char *token)
{
    unsigned len = strlen(token);
    if (ti_log_len + len + 2 < sizeof ti_log) {
        memcpy(ti_log + ti_log_len, token, len);
        ti_log_len += len;
        ti_log[ti_log_len++] = ' ';
        ti_log[ti_log_len] = 0;
    }
}

static void ti_push(const void *p, unsigned size)
{
    if (ti_wr + size <= sizeof ti_arena)
        memcpy(ti_arena + ti_wr, p, size);
    ti_wr += size;
}

static void ti_pop(void *p, unsigned size)
{
    if (ti_rd + size <= sizeof ti_arena)
        memcpy(p, ti_arena + ti_rd, size);
    ti_rd += size;
}

#define TI_PRIM(name, T) \
    void mig_put_##name(T v) { ti_note(#name); ti_push(&v, sizeof v); } \
    T mig_get_##name(void) { T v; ti_note(#name); ti_pop(&v, sizeof v); return v; }
TI_PRIM(i8, int8_t)
TI_PRIM(u8, uint8_t)
TI_PRIM(i16, int16_t)
TI_PRIM(u16, uint16_t)
TI_PRIM(i32, int32_t)
TI_PRIM(u32, uint32_t)
TI_PRIM(i64, int64_t)
TI_PRIM(u64, uint64_t)
TI_PRIM(f32, float)
TI_PRIM(f64, double)
TI_PRIM(il, long)
TI_PRIM(ul, unsigned long)

static unsigned ti_prim_size(int prim)
{
    static const unsigned char sizes[] = { 0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, sizeof(long), sizeof(long) };
    return prim >= 1 && prim <= 12 ? sizes[prim] : 0;
}

void mig_put_array(const void *p, int prim, uint32_t n)
{
    char token[32];
    snprintf(token, sizeof token, "A%d*%u", prim, (unsigned)n);
    ti_note(token);
    ti_push(p, n * ti_prim_size(prim));
}

void mig_get_array(void *p, int prim, uint32_t n)
{
    char token[32];
    snprintf(token, sizeof token, "A%d*%u", prim, (unsigned)n);
    ti_note(token);
    ti_pop(p, n * ti_prim_size(prim));
}

void mig_save_ptr(const void *p, int32_t type)
{
    char token[32];
    snprintf(token, sizeof token, "P%d", (int)type);
    ti_note(token);
    ti_push(&p, sizeof p);
}

void mig_put_func(mig_func_t f) { ti_note("FN"); ti_push(&f, sizeof f); }
mig_func_t mig_get_func(void) { mig_func_t f; ti_note("FN"); ti_pop(&f, sizeof f); return f; }

void mig_restore_ptr_at(void **slot, int32_t type)
{
    char token[32];
    snprintf(token, sizeof token, "P%d", (int)type);
    ti_note(token);
    ti_pop(slot, sizeof *slot);
}

static double ti_src[512], ti_dst[512], ti_dst2[512];   /* 4 KiB each, 8-aligned */
static char ti_saved_log[16384];
static unsigned char ti_first[65536], ti_second[65536];

/* save(src) -> A1; restore -> dst; save(dst) -> A2; restore -> dst2; save(dst2) -> A3.
 * exact: A1 == A2 (a _Bool holding a non-0/1 pattern byte normalises, hence A2 == A3). */
static void ti_round_trip(uint32_t id)
{
    const struct mig_type *t = &mig_types[id];
    unsigned k, size = 2 * t->size, len1, len2, len3, restore_ok, exact, stable;
    unsigned char *src = (unsigned char *)ti_src;
    if (size > sizeof ti_src) {
        printf("R %u too-big\n", (unsigned)id);
        return;
    }
    for (k = 0; k < size; k++)                  /* bytes < 0x80: no float is a NaN */
        src[k] = (unsigned char)((k * 37u + id * 11u) % 113u + 1u);
    memset(ti_dst, 0, sizeof ti_dst);
    memset(ti_dst2, 0, sizeof ti_dst2);

    ti_log_len = 0; ti_log[0] = 0; ti_wr = 0;
    t->save(ti_src, 2);
    len1 = ti_wr;
    memcpy(ti_first, ti_arena, len1);
    memcpy(ti_saved_log, ti_log, ti_log_len + 1);

    ti_log_len = 0; ti_log[0] = 0; ti_rd = 0;
    t->restore(ti_dst, 2);
    restore_ok = strcmp(ti_log, ti_saved_log) == 0 && ti_rd == len1;

    ti_log_len = 0; ti_log[0] = 0; ti_wr = 0;
    t->save(ti_dst, 2);
    len2 = ti_wr;
    exact = len2 == len1 && memcmp(ti_arena, ti_first, len1) == 0 && strcmp(ti_log, ti_saved_log) == 0;
    memcpy(ti_second, ti_arena, len2);

    ti_rd = 0;
    t->restore(ti_dst2, 2);
    ti_wr = 0;
    t->save(ti_dst2, 2);
    len3 = ti_wr;
    stable = len3 == len2 && memcmp(ti_arena, ti_second, len2) == 0;
    printf("L %u %s\n", (unsigned)id, ti_saved_log);
    printf("R %u restore=%u exact=%u stable=%u bytes=%u\n", (unsigned)id, restore_ok, exact, stable, len1);
}

int main(void)
{
    uint32_t i, j;
    printf("FP %08x %u\n", (unsigned)mig_fingerprint, (unsigned)mig_ntypes);
    for (i = 0; i < mig_ntypes; i++) {
        const struct mig_type *t = &mig_types[i];
        printf("T %u %u %u %u %u %d %u %u %u %s\n", (unsigned)i, t->kind, t->prim, t->has_pointers,
               (unsigned)t->size, (int)t->target, (unsigned)t->count, (unsigned)t->leaves,
               (unsigned)t->nfields, t->name);
        for (j = 0; j < t->nfields; j++)
            printf("F %u %u %u %d %u\n", (unsigned)i, (unsigned)j, (unsigned)t->fields[j].offset,
                   (int)t->fields[j].type, (unsigned)t->fields[j].leaf_start);
        ti_round_trip(i);
    }
@DIRECT@
    printf("M %d\n", ti_program_main());
    return 0;
}
"""

# What the compiler itself says, printed next to the table: (label, C expression).
DIRECT = [
    ("size struct_inner", "sizeof(struct inner)"),
    ("off struct_inner c", "offsetof(struct inner, c)"),
    ("off struct_inner d", "offsetof(struct inner, d)"),
    ("off struct_inner s", "offsetof(struct inner, s)"),
    ("size struct_node", "sizeof(struct node)"),
    ("off struct_node next", "offsetof(struct node, next)"),
    ("off struct_node label", "offsetof(struct node, label)"),
    ("off struct_node colour", "offsetof(struct node, colour)"),
    ("size struct_outer", "sizeof(struct outer)"),
    ("off struct_outer in", "offsetof(struct outer, in)"),
    ("off struct_outer row", "offsetof(struct outer, row)"),
    ("off struct_outer samples", "offsetof(struct outer, samples)"),
    ("off struct_outer big", "offsetof(struct outer, big)"),
    ("off struct_outer us", "offsetof(struct outer, us)"),
    ("off struct_outer anon", "offsetof(struct outer, anon)"),
    ("off struct_outer flag", "offsetof(struct outer, flag)"),
    ("size struct_outer_anon", "sizeof(the_outer.anon)"),
    ("off struct_outer_anon b", "offsetof(__typeof__(the_outer.anon), b)"),
    ("size struct_point", "sizeof(point)"),
    ("size ptr_ptr_int", "sizeof(int **)"),
    ("size arr3_arr4_double", "sizeof(matrix)"),
    ("size arr2_struct_point", "sizeof(pts)"),
    ("size arr6_char", "sizeof(message)"),
    ("size long_long", "sizeof(long long)"),
    ("size unsigned_long", "sizeof(unsigned long)"),
    ("size struct_words", "sizeof(struct words)"),
    ("off struct_words l", "offsetof(struct words, l)"),
    ("off struct_words p", "offsetof(struct words, p)"),
    ("off struct_words d", "offsetof(struct words, d)"),
    ("off struct_words n", "offsetof(struct words, n)"),
    ("off struct_words diff", "offsetof(struct words, diff)"),
    ("off struct_words ul", "offsetof(struct words, ul)"),
]


def _combined_source(ti: TI, directory: Path) -> Path:
    """header, program (its main renamed), TI code, driver: one translation unit."""
    direct = "\n".join(f'    printf("S {label} %u\\n", (unsigned)({expr}));' for label, expr in DIRECT)
    path = directory / "ti_layout_combined.c"
    head = ti.header + "#define main ti_program_main\n" + f'#line 1 "{PROGRAM}"\n' + PROGRAM.read_text()
    line = head.count("\n") + 2  # the line after the #line directive below
    text = (head + f'#line {line} "{path}"\n' + "#undef main\n" + ti.code
            + DRIVER.replace("@DIRECT@", direct))
    path.write_text(text)
    return path


@dataclasses.dataclass
class Dump:
    """What the driver printed."""

    fingerprint: int
    ntypes: int
    types: dict[int, dict]
    fields: dict[int, list[dict]]
    logs: dict[int, str]
    round_trips: dict[int, dict[str, int]]
    direct: dict[str, int]
    program: str


def _parse_dump(out: str) -> Dump:
    d = Dump(0, 0, {}, {}, {}, {}, {}, "")
    for line in out.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "FP":
            fp, n = rest.split()
            d.fingerprint, d.ntypes = int(fp, 16), int(n)
        elif tag == "T":
            parts = rest.split(" ", 9)
            i, kind, prim, hp, size, target, count, leaves, nfields = map(int, parts[:9])
            d.types[i] = dict(kind=kind, prim=prim, has_pointers=hp, size=size, target=target,
                              count=count, leaves=leaves, nfields=nfields, name=parts[9])
        elif tag == "F":
            i, _j, offset, ftype, leaf_start = map(int, rest.split())
            d.fields.setdefault(i, []).append(dict(offset=offset, type=ftype, leaf_start=leaf_start))
        elif tag == "L":
            i, _, log = rest.partition(" ")
            d.logs[int(i)] = log.strip()
        elif tag == "R":
            i, *pairs = rest.split()
            d.round_trips[int(i)] = {k: int(v) for k, v in (p.split("=") for p in pairs)}
        elif tag == "S":
            label, _, value = rest.rpartition(" ")
            d.direct[label] = int(value)
        elif line.startswith("ti_layout "):
            d.program = line
    return d


def _portable(d: Dump) -> tuple:
    types = {i: {k: v for k, v in t.items() if k != "size"} for i, t in d.types.items()}
    fields = {i: [(f["type"], f["leaf_start"]) for f in fs] for i, fs in d.fields.items()}
    trips = {i: {k: v for k, v in r.items() if k != "bytes"} for i, r in d.round_trips.items()}
    return d.fingerprint, d.ntypes, types, fields, d.logs, trips, d.program


@pytest.fixture(scope="module")
def ti() -> TI:
    return generate_ti(parse_program(PROGRAM), program_key="ti_layout-test")


@pytest.fixture(scope="module")
def combined(ti: TI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _combined_source(ti, tmp_path_factory.mktemp("ti"))


@pytest.fixture(scope="module")
def dumps(combined: Path) -> dict[str, Dump]:
    """The driver's output on mipsel, sparc, aarch64 (LP64) and the host."""
    out: dict[str, Dump] = {}
    for isa in ("mipsel", "sparc", "aarch64", "host"):
        build = build_program("ti_layout", [combined], isa, runtime_sources=TARGETS[isa].runtime_sources)
        if isa == "host":
            proc = run_native(build.path, [], "the ti_layout driver on the host")
            assert proc.returncode == 0, proc.stderr
            stdout = proc.stdout
        else:
            stdout = Guest(build.path, resolve(isa), ["ti_layout"]).run().stdout
        out[isa] = _parse_dump(stdout)
    return out


# ---- the table in Python ----


def test_ids_names_and_order(ti: TI) -> None:
    names = [e.name for e in ti.types]
    assert names[:10] == ["char", "unsigned_char", "short", "unsigned_short", "int", "unsigned_int",
                          "long_long", "unsigned_long_long", "float", "double"]
    assert [e.id for e in ti.types] == list(range(len(ti.types)))
    assert ti.type_ids == {e.name: e.id for e in ti.types}
    for name in ("struct_node", "ptr_struct_node", "struct_inner", "struct_outer", "arr3_struct_inner",
                 "ptr_ptr_int", "ptr_ptr_ptr_int", "arr4_double", "arr2_arr3_int", "struct_point",
                 "ptr_struct_point", "struct_outer_anon", "ptr_void", "arr6_char", "ptr_struct_outer"):
        assert f"#define MIG_T_{name} {ti.type_ids[name]}\n" in ti.header
    # first appearance: struct inner is defined before struct node, a type before its parts
    assert ti.type_ids["struct_inner"] == 10 and ti.type_ids["struct_node"] == 11
    assert ti.type_ids["ptr_struct_node"] == 12
    # long is its own portable type (word-sized), not int: size_t is an unsigned long
    words = ti.types[ti.type_ids["struct_words"]]
    assert [ti.types[f.type].prim for f in words.fields] == ["I8", "IL", None, "F64", "UL", "IL", None]
    assert ti.types[ti.type_ids["unsigned_long"]].prim == "UL" and ti.type_ids["int"] != ti.type_ids["long"]
    assert ti.types[ti.type_ids["ptr_void"]].target == -1
    # deterministic
    again = generate_ti(parse_program(PROGRAM), program_key="ti_layout-test")
    assert (again.code, again.header, again.fingerprint) == (ti.code, ti.header, ti.fingerprint)
    assert generate_ti(parse_program(PROGRAM), program_key="other").fingerprint != ti.fingerprint


def test_leaves_and_leaf_starts_by_hand(ti: TI) -> None:
    def entry(name: str):
        return ti.types[ti.type_ids[name]]

    node = entry("struct_node")  # key weight next kids[2] label[5] colour
    assert node.leaves == 11 and node.has_pointers
    assert [(f.name, f.leaf_start) for f in node.fields] == [
        ("key", 0), ("weight", 1), ("next", 2), ("kids", 3), ("label", 5), ("colour", 10)]
    assert node.fields[2].type == ti.type_ids["ptr_struct_node"]
    inner = entry("struct_inner")
    assert (inner.leaves, inner.has_pointers) == (3, False)
    outer = entry("struct_outer")
    assert outer.leaves == 41
    assert {f.name: f.leaf_start for f in outer.fields} == {
        "tag": 0, "in": 1, "row": 4, "pp": 13, "samples": 14, "grid": 18, "big": 24, "ubig": 25,
        "ratio": 26, "us": 27, "corner": 28, "path": 30, "anon": 31, "head": 33, "opaque": 34,
        "name": 35, "version": 36, "ring": 37, "flag": 40}
    assert entry("arr3_struct_inner").leaves == 9
    assert entry("arr3_struct_node").leaves == 33
    assert entry("arr2_arr3_int").flat_prim == "I32" and entry("arr2_arr3_int").leaves == 6
    assert entry("ptr_ptr_int").target == ti.type_ids["ptr_int"]
    assert entry("ptr_ptr_int").leaves == 1


def test_generated_code_shape(ti: TI) -> None:
    ids = ti.type_ids
    # a flat array is one put_array call; a struct of three pointers is three save_ptr
    assert "mig_put_array(p, MIG_F64, n * 4u);" in ti.code
    assert "mig_put_array(p, MIG_I32, n * 6u);" in ti.code  # int[2][3]
    assert f"mig_save_ptr((const void *)o->next, {ids['struct_node']});" in ti.code
    assert f"mig_save_{ids['struct_inner']}((const void *)o->row, 3u);" in ti.code
    assert f"mig_save_{ids['struct_inner']}(&o->in, 1);" in ti.code
    assert "*(int32_t *)&o->version = mig_get_i32();" in ti.code  # a const field
    assert "MIG_TEXT" in ti.code and '#include "mig.h"' in ti.code
    for fn in re.findall(r"^.*void mig_(?:save|restore)_\d+\(.*\)$", ti.code, re.M):
        assert fn.startswith("static MIG_TEXT void")
    assert ti.code.count("mig_save_ptr(*q") == sum(e.kind == "ptr" for e in ti.types)


def test_unsupported_harmless_uses_are_recorded(ti: TI) -> None:
    skipped = {u.name: u.ctype for u in ti.unsupported}
    assert set(skipped) == {"bits"}
    assert "union" in skipped["bits"].what and skipped["bits"].coord.endswith("ti_layout.c:100")
    assert "fnptr" in ti.type_ids  # op, a function pointer: one portable type, travels as an index


def test_generated_c_compiles_without_warnings(combined: Path) -> None:
    for name, t in TARGETS.items():
        cmd = [t.require(), *t.cflags, "-Wextra", "-Werror", "-fsyntax-only", "-nostdinc",
               "-I", str(cparse.INCLUDE_DIR), "-I", str(RUNTIME_DIR),
               "-isystem", compiler_include_dir(t), str(combined)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{name}: {proc.stderr}"


# ---- the table compiled and run ----


def test_sizes_and_offsets_are_each_compilers(ti: TI, dumps: dict[str, Dump]) -> None:
    for isa, d in dumps.items():
        assert d.ntypes == len(ti.types)
        for label, value in d.direct.items():
            what, name, *field = label.split()
            entry = ti.types[ti.type_ids[name]]
            if what == "size":
                assert d.types[entry.id]["size"] == value, (isa, label)
            else:
                j = [f.name for f in entry.fields].index(field[0])
                assert d.fields[entry.id][j]["offset"] == value, (isa, label)
        for i, t in d.types.items():  # struct sizes cover their last field; arrays multiply
            e = ti.types[i]
            if e.kind == "array":
                assert t["size"] == e.count * d.types[e.target]["size"], (isa, e.name)
            if e.kind == "struct":
                last = d.fields[i][-1]
                assert t["size"] >= last["offset"] + d.types[last["type"]]["size"], (isa, e.name)
    for isa in ("mipsel", "sparc"):
        d = dumps[isa]
        # padding: c, 7 bytes, d, s, 6 bytes; pointers are 4 bytes on both ILP32 guests
        assert [d.direct[f"off struct_inner {f}"] for f in "cds"] == [0, 8, 16]
        assert d.direct["size struct_inner"] == 24
        assert d.direct["size ptr_ptr_int"] == 4
        # {char, long, void *, double, ...}: 4-byte long and pointer, the double 8-aligned
        assert [d.direct[f"off struct_words {f}"] for f in ("l", "p", "d", "n", "diff", "ul")] == [4, 8, 16, 24, 28, 32]
    for isa in ("aarch64", "host"):  # LP64: 8-byte long and pointer, 7 bytes of padding after c
        d = dumps[isa]
        assert d.direct["size ptr_ptr_int"] == 8 and d.direct["size unsigned_long"] == 8
        assert [d.direct[f"off struct_words {f}"] for f in ("l", "p", "d", "n", "diff", "ul")] == [8, 16, 24, 32, 40, 48]
        assert d.direct["size struct_words"] == 64


def test_portable_parts_identical_everywhere(ti: TI, dumps: dict[str, Dump]) -> None:
    reference = _portable(dumps["mipsel"])
    assert _portable(dumps["sparc"]) == reference
    assert _portable(dumps["aarch64"]) == reference
    assert _portable(dumps["host"]) == reference
    d = dumps["sparc"]
    assert d.fingerprint == ti.fingerprint
    kinds = {"prim": 1, "ptr": 2, "struct": 3, "array": 4, "func": 5}
    for e in ti.types:
        t = d.types[e.id]
        assert (t["kind"], t["prim"], t["target"], t["count"], t["leaves"], t["has_pointers"],
                t["nfields"], t["name"]) == (
            kinds[e.kind], PRIM_NO.get(e.prim or "", 0), e.target, e.count, e.leaves,
            int(e.has_pointers), len(e.fields), e.display)
        assert [(f["type"], f["leaf_start"]) for f in d.fields.get(e.id, [])] == [
            (f.type, f.leaf_start) for f in e.fields]
    assert d.program == "ti_layout 3 22 7 127 hello"  # the program itself still runs


def test_save_call_sequences(ti: TI, dumps: dict[str, Dump]) -> None:
    ids = ti.type_ids
    logs = dumps["mipsel"].logs
    node = ids["struct_node"]
    one_node = f"i32 f64 P{node} P{node} P{node} A{PRIM_NO['I8']}*5 i32"
    assert logs[node] == f"{one_node} {one_node}"  # two objects
    assert logs[ids["arr4_double"]] == f"A{PRIM_NO['F64']}*8"  # n=2 -> one call for 8
    assert logs[ids["arr3_arr4_double"]] == f"A{PRIM_NO['F64']}*24"
    assert logs[ids["int"]] == f"A{PRIM_NO['I32']}*2"
    assert logs[ids["ptr_ptr_int"]] == f"P{ids['ptr_int']} P{ids['ptr_int']}"
    assert logs[ids["ptr_void"]] == "P-1 P-1"
    assert logs[ids["arr3_struct_node"]] == " ".join([one_node] * 6)
    inner = "i8 f64 i16"
    outer = " ".join([
        "u8", inner, inner, inner, inner, f"P{ids['ptr_int']}", f"A{PRIM_NO['F64']}*4",
        f"A{PRIM_NO['I32']}*6", "i64 u64 f32 u16", "i16 i16", f"P{ids['struct_point']}", "i8 f64",
        f"P{node}", "P-1", f"P{ids['char']}", "i32", f"P{node} P{node} P{node}", "u8"])
    assert logs[ids["struct_outer"]] == f"{outer} {outer}"


def test_save_restore_round_trip_every_type(ti: TI, dumps: dict[str, Dump]) -> None:
    with_bool = {ids for name, ids in ti.type_ids.items() if "struct_outer" in name and "anon" not in name}
    for isa, d in dumps.items():
        assert set(d.round_trips) == set(range(len(ti.types)))
        for i, r in d.round_trips.items():
            assert r["restore"] == 1, (isa, ti.types[i].name)  # restore mirrors save
            assert r["stable"] == 1, (isa, ti.types[i].name)
            if i not in with_bool:  # a _Bool normalises a pattern byte to 1
                assert r["exact"] == 1, (isa, ti.types[i].name)


# ---- front end and errors ----


def _write(tmp_path: Path, text: str, name: str = "bad.c") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, line, what", [
    ("struct rec {\n    int k;\n    union { int i; char *s; } v;\n};\n", 3, "holds a pointer"),
    ("union value {\n    int i;\n    char *s;\n};\nunion value g;\n", 3, "holds a pointer"),
    ("struct flags {\n    unsigned a : 3;\n    double d : 2;\n};\n", 3, "must have an integer type"),
    ("struct flags {\n    unsigned a : 33;\n};\n", 2, "invalid width 33"),
    ("struct buf {\n    int n;\n    char data[];\n};\n", 3, "flexible array"),
    ("struct u {\n    union { int i; char c[4]; } v;\n};\n", 2, "order their bytes differently"),
    ("int main(void)\n{\n    int x = ;\n    return 0;\n}\n", 3, "syntax error"),
])
def test_unsupported_constructs_name_file_and_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    src = _write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        generate_ti(parse_program(src))
    assert f"{src}:{line}" in str(exc.value)
    assert what in str(exc.value)


def test_harmless_constructs_are_skipped(tmp_path: Path) -> None:
    src = _write(tmp_path, """
#include <stddef.h>
struct opaque;
typedef int (*callback)(int);
int apply(callback f, int v) { return f(v); }
int main(int argc, char **argv)
{
    union { int i; float f; } u;
    struct opaque *handle = NULL;
    double vla[argc];
    u.i = argc;
    vla[0] = u.f;
    return handle == NULL && argv != NULL && vla[0] == 0.0;
}
""")
    ti = generate_ti(parse_program(src), extra_types=["double[7]"])
    skipped = {u.name: ctype.find_unsupported(u.ctype).what for u in ti.unsupported if u.name}
    assert "f" not in skipped and "fnptr" in ti.type_ids  # a function pointer is described
    assert "union" in skipped["u"] and "incomplete struct opaque" in skipped["handle"]
    assert "arr7_double" in ti.type_ids and "ptr_ptr_char" in ti.type_ids
    with pytest.raises(ConfigError, match="incomplete struct opaque"):
        generate_ti(parse_program(src), extra_types=["struct opaque *"])


def test_type_model(tmp_path: Path) -> None:
    src = _write(tmp_path, """
typedef unsigned long ulong;
struct list { struct list *next; ulong n[2 * 3 + 1]; };
enum { K = 4 };
long matrix[K][sizeof(int) + 1];
""", "model.c")
    ast = parse_program(src)
    resolver = TypeResolver(ast)
    uses = {u.name: u.ctype for u in iter_type_uses(ast, resolver)}
    lst = uses["list"]
    assert isinstance(lst, Struct) and lst.tag == "list"
    assert lst.fields[0] == ("next", Pointer(lst))
    assert lst.fields[1] == ("n", Array(Prim("unsigned long", "UL"), 7))  # word-sized on LP64
    assert uses["matrix"] == Array(Array(Prim.of("IL"), 5), 4)
    assert ctype.canonical_name(uses["matrix"]) == "arr4_arr5_long"
    assert ctype.c_spelling(Pointer(Array(Pointer(lst), 3))) == "struct list *(*)[3]"
    assert ast.ext[-1].coord.line == 5  # coordinates point into the program


def test_missing_preprocessor_is_a_toolchain_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = dataclasses.replace(TARGETS["mipsel"], compiler="no-such-mipsel-gcc")
    monkeypatch.setitem(TARGETS, "mipsel", broken)
    with pytest.raises(ToolchainError, match="no-such-mipsel-gcc"):
        parse_program(_write(tmp_path, "int x;\n"))
