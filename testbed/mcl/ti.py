"""Type-Information (TI) table generator: the machine-independent description of every type
a migrated block or variable can have, emitted as C for the migration runtime (mig.h).

The portable part of each type (kind, primitive, pointee or element type, count, field
types in declaration order, primitive leaves) is decided here, once, from the program
text; it is therefore identical on every ISA and is what the fingerprint hashes. The
machine-dependent part (sizes, field offsets) is left to each ISA's compiler through
``sizeof`` and ``offsetof`` in the generated code, so a struct is laid out exactly as the
program's own code on that machine lays it out.

Type ids: the ten primitives first, in ``enum mig_prim`` order, so that ``MIG_T_int`` is
the same id in every program; then every other type in order of first appearance while
walking the program in source order (a type before its components, depth first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import is_runtime_file
from testbed.mcl.ctype import (
    PRIM_ORDER,
    WORD_PRIMS,
    Array,
    CType,
    FuncPtr,
    Pointer,
    Prim,
    Struct,
    VarArray,
    Void,
    c_spelling,
    canonical_name,
    find_unsupported,
    flat_prim,
    has_pointers,
    leaves,
    portable_size,
)
from testbed.mcl.nodes import walk
from testbed.mcl.resolve import TypeResolver, TypeUse, iter_type_uses

KIND_MACRO = {"prim": "MIG_KIND_PRIM", "ptr": "MIG_KIND_PTR", "struct": "MIG_KIND_STRUCT",
              "array": "MIG_KIND_ARRAY", "func": "MIG_KIND_FUNC"}
# C type of each primitive's encoder argument (mig_put_<p> / mig_get_<p>).
PRIM_CTYPE = {"I8": "int8_t", "U8": "uint8_t", "I16": "int16_t", "U16": "uint16_t",
              "I32": "int32_t", "U32": "uint32_t", "I64": "int64_t", "U64": "uint64_t",
              "F32": "float", "F64": "double", "IL": "long", "UL": "unsigned long"}


@dataclass(frozen=True)
class FieldEntry:
    """One struct field: its type id and the ordinal of its first leaf in the struct."""

    name: str
    type: int
    leaf_start: int
    bits: int = 0  # a bit-field's width (0: an ordinary field)


@dataclass
class TypeEntry:
    """One row of the TI table (one ``struct mig_type``)."""

    id: int
    name: str            # canonical identifier: MIG_T_<name>
    c_name: str          # a C type name valid at the end of the translation unit
    display: str         # readable C spelling (mig_types[].name)
    kind: str            # prim | ptr | struct | array | func (a function pointer)
    ctype: CType
    prim: str | None = None  # kind prim: I8 ... F64
    target: int = -1     # ptr: pointee id or -1 (void *); array: element id
    count: int = 0       # array: element count
    leaves: int = 1      # primitive leaves per object; a pointer is one leaf
    has_pointers: bool = False
    fields: list[FieldEntry] = field(default_factory=list)
    flat_prim: str | None = None  # set when the layout is one primitive repeated


@dataclass
class TI:
    """A program's Type-Information table and the C text implementing it."""

    types: list[TypeEntry]
    type_ids: dict[str, int]      # canonical name -> id
    header: str                   # #define MIG_T_<name> <id>, to put before the program
    code: str                     # save/restore functions and mig_types[], to append after it
    fingerprint: int              # 32-bit hash of the portable description + program key
    functions: list[str] = field(default_factory=list)  # the function table, sorted by name
    function_table: str = ""      # its C definition (mig_functions), after every function
    unsupported: list[TypeUse] = field(default_factory=list)  # skipped, with the reason


def generate_ti(
    ast: c_ast.FileAST,
    extra_types: Iterable[CType | str] = (),
    program_key: str = "",
    functions: list[str] | None = None,
) -> TI:
    """Build the TI table of a program from its AST (testbed.build.preprocess.parse_program).

    ``extra_types`` adds types the program text does not show (model types or C type
    names such as ``"struct node *"``); ``program_key`` enters the fingerprint, so that
    the caller can tie it to the program and its migration points. ``functions`` is the
    function table (program_functions), when the AST no longer shows it: the precompiler
    turns call sites into generated text, arguments included."""
    resolver = TypeResolver(ast)
    table = _Table()
    for prim in PRIM_ORDER:
        table.add(Prim.of(prim))
    unsupported: list[TypeUse] = []
    for use in iter_type_uses(ast, resolver):
        t = use.ctype
        if isinstance(t, Void):
            continue
        if find_unsupported(t) is not None:
            unsupported.append(use)
            continue
        table.add(t.elem if isinstance(t, VarArray) else t)
    for extra in extra_types:
        t = resolver.parse_type_name(extra) if isinstance(extra, str) else extra
        bad = find_unsupported(t)
        if bad is not None or isinstance(t, Void | VarArray):
            reason = bad.what if bad is not None else "not an object type"
            raise ConfigError(f"extra type {extra!r} cannot be described: {reason}")
        table.add(t)
    entries = table.entries
    # the validator's work stack packs type ids and field indexes in 16 bits (mig_validate.c)
    if len(entries) > 0x7FFF or any(len(e.fields) > 0xFFFF for e in entries):
        raise ConfigError(f"the program has {len(entries)} types or a struct of more than 65535 fields: "
                          "more than the migration runtime describes (32767 types)")
    functions = program_functions(ast) if functions is None else functions
    fingerprint = fnv1a32(_portable_text(entries, functions, program_key).encode())
    return TI(
        types=entries,
        type_ids=dict(table.ids),
        header=_render_header(entries, fingerprint),
        code=_render_code(entries, fingerprint),
        function_table=_render_functions(functions),
        fingerprint=fingerprint,
        functions=functions,
        unsupported=unsupported,
    )


def program_functions(ast: c_ast.FileAST) -> list[str]:
    """The function table: every function the program uses as a value (only those can be
    a function pointer's target), sorted by name, so that a function pointer's index means
    the same function on every ISA: the program's own, and the C library's (``f = abort``,
    ``call(&sprintf)``), which is the same runtime on every ISA. A function only ever
    called stays out: taking its address would keep gcc from specialising it."""
    own = [top for top in ast.ext if not is_runtime_file(getattr(top.coord, "file", None))]
    defined = {top.decl.name for top in own if isinstance(top, c_ast.FuncDef)}
    defined |= {top.name for top in ast.ext if isinstance(top, c_ast.Decl) and isinstance(top.type, c_ast.FuncDecl)}
    called = {id(n.name) for top in own for n in walk(top) if isinstance(n, c_ast.FuncCall)}
    # a field named like a function (s.apply, { .apply = f }) is no use of the function
    fields = {id(n.field) for top in own for n in walk(top) if isinstance(n, c_ast.StructRef)}
    fields |= {id(d) for top in own for n in walk(top) if isinstance(n, c_ast.NamedInitializer) for d in n.name}
    return sorted({n.name for top in own for n in walk(top)
                   if type(n) is c_ast.ID and n.name in defined and id(n) not in called | fields})


def _render_functions(functions: list[str]) -> str:
    rows = [f"    (mig_func_t){name}," for name in functions] or ["    NULL,"]
    return "\n".join(["/* The function table: a function pointer travels as 1 + its index here. */",
                      "const mig_func_t mig_functions[] = {", *rows, "};",
                      f"const uint32_t mig_nfunctions = {len(functions)}u;", ""])


class _Table:
    """Assigns ids in first-appearance order and builds the entries."""

    def __init__(self) -> None:
        self.entries: list[TypeEntry] = []
        self.ids: dict[str, int] = {}

    def add(self, t: CType) -> int:
        name = canonical_name(t)
        if name in self.ids:
            existing = self.entries[self.ids[name]].ctype
            if isinstance(t, Struct) and t is not existing:
                raise ConfigError(
                    f"{t.coord}: {t.display} and the type at {getattr(existing, 'coord', '?')} "
                    f"both map to the type name {name}; rename one of them")
            return self.ids[name]
        entry = TypeEntry(
            id=len(self.entries), name=name, c_name=c_spelling(t),
            display=c_spelling(t, display=True), kind="prim", ctype=t,
            leaves=leaves(t), has_pointers=has_pointers(t), flat_prim=flat_prim(t),
        )
        self.ids[name] = entry.id
        self.entries.append(entry)
        if isinstance(t, Prim):
            entry.prim = t.prim
        elif isinstance(t, FuncPtr):
            entry.kind = "func"
        elif isinstance(t, Pointer):
            entry.kind = "ptr"
            entry.target = -1 if isinstance(t.target, Void) else self.add(t.target)
        elif isinstance(t, Array):
            entry.kind = "array"
            entry.count = t.count
            entry.target = self.add(t.elem)
        elif isinstance(t, Struct):
            entry.kind = "struct"
            start = 0
            for fname, ftype in t.fields:
                entry.fields.append(FieldEntry(fname, self.add(ftype), start, t.bits.get(fname, 0)))
                start += leaves(ftype)
        else:
            raise ConfigError(f"internal: cannot describe {t!r}")
        return entry.id


# ---------------------------------------------------------------------------------------
# Fingerprint
# ---------------------------------------------------------------------------------------


def fnv1a32(data: bytes) -> int:
    """32-bit FNV-1a: tiny, and trivially reproducible in C if the runtime ever needs to."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def _portable_text(entries: list[TypeEntry], functions: list[str], program_key: str) -> str:
    """The canonical description the fingerprint covers: everything a stream's reader
    must agree on, nothing machine-dependent (no size, no offset)."""
    lines = []
    for e in entries:
        fields = ",".join(f"{f.name}:{f.type}:{f.leaf_start}" + (f":b{f.bits}" if f.bits else "") for f in e.fields)
        lines.append(f"{e.id} {e.name} {e.kind} {e.prim or '-'} {e.target} {e.count} "
                     f"{e.leaves} {int(e.has_pointers)} [{fields}]")
    lines.append(f"functions {' '.join(functions)}")
    lines.append(f"program {program_key}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# C rendering
# ---------------------------------------------------------------------------------------


def _render_header(entries: list[TypeEntry], fingerprint: int) -> str:
    lines = [
        "/* Type ids of this program's Type-Information table (generated by testbed/mcl/ti.py). */",
        "#ifndef MIG_TI_IDS_H",
        "#define MIG_TI_IDS_H",
    ]
    lines += [f"#define MIG_T_{e.name} {e.id}" for e in entries]
    lines += [f"#define MIG_TI_NTYPES {len(entries)}",
              f"#define MIG_TI_FINGERPRINT 0x{fingerprint:08x}u",
              "#endif", ""]
    return "\n".join(lines)


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _innermost(entries: list[TypeEntry], e: TypeEntry) -> tuple[TypeEntry, int]:
    """The first non-array element type of an array type and the total element count."""
    count = 1
    while e.kind == "array":
        count *= e.count
        e = entries[e.target]
    return e, count


def _save_body(entries: list[TypeEntry], e: TypeEntry) -> list[str]:
    if e.flat_prim is not None:
        n = "n" if e.leaves == 1 else f"n * {e.leaves}u"
        return [f"    mig_put_array(p, MIG_{e.flat_prim}, {n});"]
    if e.kind == "ptr":
        return ["    void *const *q = (void *const *)p;",
                "    for (; n; n--, q++)",
                f"        mig_save_ptr(*q, {e.target});"]
    if e.kind == "func":
        return ["    const mig_func_t *q = (const mig_func_t *)p;",
                "    for (; n; n--, q++)",
                "        mig_put_func(*q);"]
    if e.kind == "array":
        inner, count = _innermost(entries, e)
        return [f"    mig_save_{inner.id}(p, n * {count}u);"]
    lines = [f"    const {e.c_name} *o = (const {e.c_name} *)p;",
             "    for (; n; n--, o++) {"]
    for f in e.fields:
        ft = entries[f.type]
        ref = f"o->{f.name}"
        if ft.kind == "prim":
            lines.append(f"        mig_put_{ft.prim.lower()}({ref});")
        elif ft.kind == "ptr":
            lines.append(f"        mig_save_ptr((const void *){ref}, {ft.target});")
        elif ft.kind == "func":
            lines.append(f"        mig_put_func((mig_func_t){ref});")
        elif ft.flat_prim is not None:
            lines.append(f"        mig_put_array((const void *){ref}, MIG_{ft.flat_prim}, {ft.leaves}u);")
        elif ft.kind == "array":
            inner, count = _innermost(entries, ft)
            lines.append(f"        mig_save_{inner.id}((const void *){ref}, {count}u);")
        else:
            lines.append(f"        mig_save_{ft.id}(&{ref}, 1);")
    lines.append("    }")
    return lines


def _restore_body(entries: list[TypeEntry], e: TypeEntry) -> list[str]:
    if e.flat_prim is not None:
        n = "n" if e.leaves == 1 else f"n * {e.leaves}u"
        return [f"    mig_get_array(p, MIG_{e.flat_prim}, {n});"]
    if e.kind == "ptr":
        return ["    void **q = (void **)p;",
                "    for (; n; n--, q++)",
                f"        mig_restore_ptr_at(q, {e.target});"]
    if e.kind == "func":
        return ["    mig_func_t *q = (mig_func_t *)p;",
                "    for (; n; n--, q++)",
                "        *q = mig_get_func();"]
    if e.kind == "array":
        inner, count = _innermost(entries, e)
        return [f"    mig_restore_{inner.id}(p, n * {count}u);"]
    assert isinstance(e.ctype, Struct)
    const_fields = e.ctype.const_fields
    lines = [f"    {e.c_name} *o = ({e.c_name} *)p;",
             "    for (; n; n--, o++) {"]
    for f in e.fields:
        ft = entries[f.type]
        ref = f"o->{f.name}"
        if ft.kind == "prim":
            get = f"mig_get_{ft.prim.lower()}()"
            if f.name in const_fields:
                lines.append(f"        *({PRIM_CTYPE[ft.prim]} *)&{ref} = {get};")
            else:
                lines.append(f"        {ref} = {get};")
        elif ft.kind == "func":
            lines.append(f"        {ref} = (__typeof__({ref}))mig_get_func();")
        elif ft.kind == "ptr":
            # the runtime is told where the pointer lives: a pointer into a frame that is
            # not re-entered yet gets fixed up there later (guests/runtime/mig.c)
            lines.append(f"        mig_restore_ptr_at((void **)&{ref}, {ft.target});")
        elif ft.flat_prim is not None:
            lines.append(f"        mig_get_array((void *){ref}, MIG_{ft.flat_prim}, {ft.leaves}u);")
        elif ft.kind == "array":
            inner, count = _innermost(entries, ft)
            lines.append(f"        mig_restore_{inner.id}((void *){ref}, {count}u);")
        else:
            lines.append(f"        mig_restore_{ft.id}((void *)&{ref}, 1);")
    lines.append("    }")
    return lines


def _bit_offsets(e: TypeEntry, out: list[str]) -> dict[str, str]:
    """C constants naming each bit-field's offset in bits from the struct's start, in
    memory order (gcc's own numbering: from the least significant bit of the first byte on
    a little-endian ISA, from the most significant on a big-endian one), appended to
    ``out`` as an enum. Each compiler supplies where the ordinary members end
    (offsetof + sizeof); the bit-fields between them follow the ABI rule both guests
    share (System V, PCC_BITFIELD_TYPE_MATTERS): a bit-field starts at the next free bit
    unless it would straddle a boundary of its declared type's size, and then at that
    boundary; a zero-width one moves to the next boundary. tests/test_mcl_subset2.py
    checks the result against each compiler's actual layout."""
    assert isinstance(e.ctype, Struct)
    layout = e.ctype.layout
    if not any(width is not None for _, _, width in layout):
        return {}
    names: dict[str, str] = {}
    constants: list[str] = []
    end = "0"  # C expression: the first bit after the previous member
    for k, (name, ftype, width) in enumerate(layout):
        if width is None:
            end = f"(offsetof({e.c_name}, {name}) + sizeof((({e.c_name} *)0)->{name})) * 8u"
            continue
        unit = 8 * portable_size(ftype)
        start = f"MIG_BIT_{e.id}_{k}"
        constants.append(f"    MIG_END_{e.id}_{k} = {end},")
        prev = f"MIG_END_{e.id}_{k}"
        fits = f"{prev} / {unit}u == ({prev} + {max(width, 1) - 1}u) / {unit}u"
        up = f"({prev} + {unit - 1}u) / {unit}u * {unit}u"
        constants.append(f"    {start} = {up}," if width == 0 else f"    {start} = {fits} ? {prev} : {up},")
        end = f"{start} + {width}u"
        if name:
            names[name] = start
    out.append(f"enum {{ /* bit offsets of the bit-fields of {e.display} */")
    out += constants
    out.append("};")
    return names


def _render_code(entries: list[TypeEntry], fingerprint: int) -> str:
    out = [
        "/* ---- Type-Information table: generated by testbed/mcl/ti.py, do not edit. ----",
        " * Appended to the program's translation unit so that its struct definitions are in",
        " * scope: sizes and offsets come from this machine's compiler, everything else is",
        " * portable. */",
        '#include "mig.h"',
        "",
    ]
    for e in entries:
        out.append(f"static MIG_TEXT void mig_save_{e.id}(const void *p, uint32_t n);")
        out.append(f"static MIG_TEXT void mig_restore_{e.id}(void *p, uint32_t n);")
    out.append("")
    for e in entries:
        out.append(f"/* {e.id}: {e.display} */")
        out.append(f"static MIG_TEXT void mig_save_{e.id}(const void *p, uint32_t n)")
        out += ["{", *_save_body(entries, e), "}"]
        out.append(f"static MIG_TEXT void mig_restore_{e.id}(void *p, uint32_t n)")
        out += ["{", *_restore_body(entries, e), "}"]
        out.append("")
    for e in entries:
        if e.kind == "struct" and e.fields:
            bit_offsets = _bit_offsets(e, out)
            out.append(f"static const struct mig_field mig_fields_{e.id}[] = {{")
            for f in e.fields:
                if f.bits:
                    at = bit_offsets[f.name]
                    out.append(f"    {{ {at} / 8u, {f.type}, {f.leaf_start}u, {at}, {f.bits}u }},")
                else:
                    at = f"offsetof({e.c_name}, {f.name})"
                    out.append(f"    {{ {at}, {f.type}, {f.leaf_start}u, {at} * 8u, 0u }},")
            out.append("};")
    out.append("")
    out.append("const struct mig_type mig_types[] = {")
    for e in entries:
        fields = f"mig_fields_{e.id}" if e.kind == "struct" and e.fields else "NULL"
        prim = f"MIG_{e.prim}" if e.prim else "0"
        out.append(
            f"    {{ .name = {_c_string(e.display)}, .kind = {KIND_MACRO[e.kind]}, .prim = {prim}, "
            f".has_pointers = {int(e.has_pointers)}, .has_bit_fields = {int(any(f.bits for f in e.fields))}, "
            f".size = sizeof({e.c_name}), "
            f".target = {e.target}, .count = {e.count}u, .leaves = {e.leaves}u, "
            f".nfields = {len(e.fields)}u, .fields = {fields}, "
            f".save = mig_save_{e.id}, .restore = mig_restore_{e.id} }},")
    out.append("};")
    out.append(f"const uint32_t mig_ntypes = {len(entries)}u;")
    out.append(f"const uint32_t mig_fingerprint = 0x{fingerprint:08x}u;")
    out.append(f"const uint32_t mig_nword_prims = {sum(e.prim in WORD_PRIMS for e in entries)}u;")
    out.append("")
    return "\n".join(out)
