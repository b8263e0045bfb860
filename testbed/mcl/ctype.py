"""The portable type model of the MCL tools.

Every type is described by what survives a migration between ISAs: primitive kinds,
counts, field order (``Prim``, ``Void``, ``Pointer``, ``Array``, ``VarArray``, ``Struct``,
``Unsupported``). Sizes and offsets are deliberately absent; each ISA's compiler supplies
them (sizeof / offsetof in the generated code).

Constructs a migration cannot describe are handled in two ways. Where they would make a
struct's description wrong (a function pointer, bit-field or flexible array inside a
struct, a union holding a pointer anywhere) a ``ConfigError`` names file:line and the
construct. Where they are harmless until something actually has to migrate them (a local
function pointer, a union whose members order their bytes differently), the type resolves to ``Unsupported`` carrying
the reason, and the caller (the precompiler) decides whether a live variable needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from pycparser import c_ast

from testbed.errors import ConfigError

# enum mig_prim order (guests/runtime/mig.h), the C spelling used in generated code and
# the canonical identifier (MIG_T_<identifier>), and the size in memory on every ISA.
PRIM_ORDER = ("I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "F32", "F64")
PRIM_SPELLING = {
    "I8": "char", "U8": "unsigned char", "I16": "short", "U16": "unsigned short",
    "I32": "int", "U32": "unsigned int", "I64": "long long", "U64": "unsigned long long",
    "F32": "float", "F64": "double", "IL": "long", "UL": "unsigned long",
}
PRIM_SIZE = {"I8": 1, "U8": 1, "I16": 2, "U16": 2, "I32": 4, "U32": 4, "I64": 8, "U64": 8,
             "F32": 4, "F64": 8}
# The word-sized integers: ``long`` and ``unsigned long``, and the pointer-sized typedefs
# (size_t, ptrdiff_t, intptr_t, uintptr_t: testbed/mcl/cparse.py analyses them as longs).
# 4 bytes on the ILP32 guests, 8 on LP64 ones; they travel as 8 bytes everywhere, and a
# value the destination's width cannot hold refuses the migration (mig_validate.c).
# Not in PRIM_ORDER: their ids come on first use, so programs without them keep theirs.
WORD_PRIMS = ("IL", "UL")
STREAM_SIZE = {**PRIM_SIZE, "IL": 8, "UL": 8}  # bytes of each primitive in the stream


@dataclass(frozen=True)
class Prim:
    """A primitive, normalised to its portable kind: ``int`` and ``signed int`` are one
    type, ``long`` another (it is 64 bits on LP64 machines). ``name`` is the canonical C
    spelling."""

    name: str
    prim: str

    @staticmethod
    def of(prim: str) -> Prim:
        return Prim(PRIM_SPELLING[prim], prim)


@dataclass(frozen=True)
class Void:
    """``void``: only ever a pointer target (an untyped pointer, TI target -1)."""


@dataclass(frozen=True)
class FuncPtr:
    """A pointer to a function, of any signature: it travels as the index of its target
    in the program's function table (sorted by name, the same on every ISA), so all
    function pointer types are one portable type, spelled ``void (*)(void)`` (the type gcc
    lets any function pointer be cast to and from)."""


@dataclass(frozen=True)
class Pointer:
    target: CType


@dataclass(frozen=True)
class Array:
    elem: CType
    count: int


@dataclass(frozen=True)
class VarArray:
    """An array whose element count is known only as the guest runs: a C99 variable-length
    array, or one sized by a sizeof that differs between the ISAs. As a variable it is a
    block of ``elem`` with a run-time count (``size`` is the dimension expression, for the
    precompiler); nested in another type it cannot be described."""

    elem: CType
    size: c_ast.Node = field(compare=False)
    coord: str = ""


@dataclass(eq=False)
class Struct:
    """A struct definition; identity is the definition (so recursion through pointers is
    just a reference to the same object).

    ``spelling`` names the type in generated code appended at the end of the translation
    unit (``struct tag``, a typedef name, or ``__typeof__`` of an expression for an
    anonymous struct nested in a field), ``canon`` is its identifier in the TI and
    ``display`` is for messages."""

    tag: str | None
    fields: list[tuple[str, CType]] = field(default_factory=list)
    spelling: str = ""
    canon: str = ""
    display: str = ""
    coord: str = ""
    const_fields: set[str] = field(default_factory=set)
    # bit-fields: the width of each named one (its type in ``fields`` is its declared
    # primitive, and it travels as that primitive's value); ``layout`` lists every member
    # in order as (name or None, type, width or None), unnamed bit-fields included, which
    # take room but do not travel (ti.py derives the bit offsets from it)
    bits: dict[str, int] = field(default_factory=dict)
    layout: list[tuple[str | None, CType, int | None]] = field(default_factory=list)

    def __repr__(self) -> str:  # fields may refer back to this struct
        return f"Struct({self.display!r}, {len(self.fields)} fields)"


@dataclass(frozen=True)
class Unsupported:
    """A type the migration cannot describe; ``what`` says why, ``coord`` where.
    ``pointer``: it may hold a pointer (so a union containing it is rejected)."""

    what: str
    coord: str
    pointer: bool = False


CType = Union[Prim, Void, FuncPtr, Pointer, Array, VarArray, Struct, Unsupported]  # noqa: UP007 (forward refs)


def canonical_name(t: CType) -> str:
    """The identifier of a type in the TI: int, struct_node, ptr_struct_node, arr10_int."""
    if isinstance(t, Prim):
        return t.name.replace(" ", "_")
    if isinstance(t, Void):
        return "void"
    if isinstance(t, FuncPtr):
        return "fnptr"
    if isinstance(t, Pointer):
        return "ptr_" + canonical_name(t.target)
    if isinstance(t, Array):
        return f"arr{t.count}_" + canonical_name(t.elem)
    if isinstance(t, Struct):
        return t.canon
    if isinstance(t, VarArray):
        raise ConfigError(f"{t.coord}: a variable-length array has no Type-Information entry "
                          "(its element type has)")
    raise ConfigError(f"{t.coord}: {t.what} has no Type-Information entry")


def c_spelling(t: CType, inner: str = "", *, display: bool = False) -> str:
    """A C type name (abstract declarator around ``inner``): ``int (*)[10]``, ``char *[4]``.

    ``display`` uses a struct's readable name instead of its code spelling."""
    if isinstance(t, Prim | Void | Struct):
        if isinstance(t, Struct):
            base = t.display if display else t.spelling
        else:
            base = t.name if isinstance(t, Prim) else "void"
        return base + (inner if inner.startswith("[") or not inner else f" {inner}")
    if isinstance(t, FuncPtr):
        return f"void (*{inner})(void)"
    if isinstance(t, Pointer):
        wrapped = f"(*{inner})" if isinstance(t.target, Array) else f"*{inner}"
        return c_spelling(t.target, wrapped, display=display)
    if isinstance(t, Array):
        return c_spelling(t.elem, f"{inner}[{t.count}]", display=display)
    if isinstance(t, VarArray):
        return c_spelling(t.elem, f"{inner}[]", display=display)
    return f"<{t.what}>"


def find_unsupported(t: CType) -> Unsupported | None:
    """The unsupported part of a type, if any (struct fields were checked at definition).

    A variable-length array is fine as a whole variable (a block of its element type with
    a run-time count) but not inside another type."""
    if isinstance(t, VarArray):
        t = t.elem
    while isinstance(t, Pointer | Array):
        t = t.target if isinstance(t, Pointer) else t.elem
    if isinstance(t, VarArray):
        return Unsupported("variable-length array inside another type", t.coord)
    return t if isinstance(t, Unsupported) else None


def has_pointers(t: CType) -> bool:
    """Whether an object of this type holds a pointer anywhere (not flat): a function
    pointer too, which travels as a table index, never as its bytes."""
    if isinstance(t, Pointer | FuncPtr):
        return True
    if isinstance(t, Array | VarArray):
        return has_pointers(t.elem)
    if isinstance(t, Struct):
        return any(has_pointers(ft) for _, ft in t.fields)
    if isinstance(t, Unsupported):
        return t.pointer
    return False


def leaves(t: CType) -> int:
    """Primitive leaves per object (a pointer is one leaf): the unit of pointer ordinals."""
    if isinstance(t, Prim | Pointer | FuncPtr):
        return 1
    if isinstance(t, Array):
        return t.count * leaves(t.elem)
    if isinstance(t, Struct):
        return sum(leaves(ft) for _, ft in t.fields)
    return 0


def swap_units(t: CType) -> list[int] | None:
    """The sizes of a flat object's primitives in memory order (a primitive or an array
    of one), each of which the other ISA reverses on its own; None for other types, whose
    padding could place equal sequences at different offsets."""
    prim = flat_prim(t)
    if prim is None or prim in WORD_PRIMS:  # a long's size depends on the ISA
        return None
    count = 1
    while isinstance(t, Array):
        count, t = count * t.count, t.elem
    return [PRIM_SIZE[prim]] * count


def flat_prim(t: CType) -> str | None:
    """The primitive if the layout is one primitive repeated (prim, arrays of it)."""
    while isinstance(t, Array):
        t = t.elem
    return t.prim if isinstance(t, Prim) else None


def portable_size(t: CType) -> int:
    """sizeof a type whose size is the same on every ISA; ValueError otherwise (pointers
    and longs: 4 bytes on ILP32, 8 on LP64)."""
    if isinstance(t, Prim) and t.prim in PRIM_SIZE:
        return PRIM_SIZE[t.prim]
    if isinstance(t, Array):
        return t.count * portable_size(t.elem)
    raise ValueError(f"sizeof({c_spelling(t, display=True)}) may differ between the ISAs")
