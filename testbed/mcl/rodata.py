"""Read-only data as pointer targets: string literals and const globals.

A pointer into a string literal or a const table means nothing as an address on the
other machine, but both machines run the same program, so both have the same read-only
objects. The precompiler numbers them identically on every ISA and the runtime
registers them (lazily, at the first collection or restore) as blocks of the read-only
segment (SEG_RODATA): a pointer into one travels as (object index, leaf ordinal), and
the object's contents never travel.

- Every string literal the program uses as a value (not one initialising a char array)
  becomes a named object, in source order,

      static const struct { char before; char v[sizeof("abc")]; char gap; } __mcl_lit_3 = { 0, "abc" };

  and the literal ``((char *)__mcl_lit_3.v)``: same characters, same type as the
  literal's decayed value. The trailing byte keeps one past its end (a walked pointer
  that passed the NUL) out of the next object, as separate.py does for stack blocks; the
  leading one keeps its start from being one past the end of an object before it (a
  global the linker placed there), which the runtime's lookup would take first, since
  a read-only object joins the block table only when a pointer reaches it.
  A literal under ``sizeof`` stays as it is (no pointer comes of it).
- Every const global the program defines (``const int primes[8]``, a const table of
  structs) is a read-only object too, after the literals, in declaration order.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.ctype import Array, CType, Pointer, Struct, Void, canonical_name, find_unsupported
from testbed.mcl.nodes import replace_child, walk
from testbed.mcl.resolve import TypeResolver
from testbed.mcl.transform import program_nodes

LITERAL_PREFIX = "__mcl_lit_"


class LiteralRef(c_ast.ID):
    """A hoisted string literal: printed as a pointer to its named object's characters."""

    __slots__ = ()


@dataclass
class ReadOnly:
    """One object of the read-only segment: its address, element type and count as C."""

    address: str
    type_id: str
    count: str


@dataclass
class ReadOnlyData:
    """What the precompiler adds for the read-only segment."""

    literals: list[str]  # C definitions of the hoisted literals, before the program
    objects: list[ReadOnly]  # the segment, in locator order
    types: list[CType]  # element types the Type-Information table must describe

    def table(self) -> str:
        """C definitions of ``mig_rodata`` and ``mig_nrodata`` (declared in mig.h)."""
        rows = [f"    {{ {o.address}, {o.type_id}, {o.count} }}," for o in self.objects]
        return "\n".join(["/* The read-only segment (testbed/mcl/rodata.py): its locators are these indices. */",
                          "const struct mig_rodata mig_rodata[] = {", *(rows or ["    { NULL, -1, 0u },"]), "};",
                          f"const uint32_t mig_nrodata = {len(self.objects)}u;", ""])


# C99's predefined identifier and GCC's two older names for it: in C each is the name of
# the function it is used in, as a static const char array.
FUNCTION_NAME_IDS = {"__func__", "__FUNCTION__", "__PRETTY_FUNCTION__"}


def spell_function_names(ast: c_ast.FileAST) -> None:
    """Each ``__func__`` as the string literal it equals, so that a pointer to it is a
    read-only object like any literal's (the compiler's own array is in no block)."""
    for top in program_nodes(ast):
        if not isinstance(top, c_ast.FuncDef):
            continue
        for parent in walk(top.body):
            for attr, child in parent.children():
                if type(child) is c_ast.ID and child.name in FUNCTION_NAME_IDS:
                    replace_child(parent, attr, c_ast.Constant("string", f'"{top.decl.name}"', child.coord))


def read_only_data(ast: c_ast.FileAST, resolver: TypeResolver) -> ReadOnlyData:
    """Hoist the program's string literals (in place) and list its read-only objects."""
    spell_function_names(ast)
    literals: list[str] = []
    objects: list[ReadOnly] = []
    for parent, attr, constant in _value_literals(ast, resolver):
        name = f"{LITERAL_PREFIX}{len(literals)}"
        text = constant.value
        literals.append(f"static const struct {{ char before; char v[sizeof({text})]; char gap; }} {name} = "
                        f"{{ 0, {text} }};")
        objects.append(ReadOnly(f"{name}.v", "MIG_T_char", f"sizeof {name}.v"))
        replace_child(parent, attr, LiteralRef(name, constant.coord))
    types: list[CType] = []
    for node in program_nodes(ast):
        if not isinstance(node, c_ast.Decl) or not node.name or isinstance(node.type, c_ast.FuncDecl):
            continue
        if {"extern", "typedef"} & set(node.storage) or not resolver.is_const_object(node):
            continue
        t = resolver.resolve_variable(node)
        elem, count = (t.elem, f"{t.count}u") if isinstance(t, Array) else (t, "1u")
        if find_unsupported(elem) is not None or isinstance(elem, Void):
            continue  # not describable: a pointer into it is refused at collection, as before
        address = node.name if isinstance(t, Array) else f"&{node.name}"
        objects.append(ReadOnly(f"(const void *){address}", f"MIG_T_{canonical_name(elem)}", count))
        types.append(elem)
    return ReadOnlyData(literals, objects, types)


def _value_literals(ast: c_ast.FileAST, resolver: TypeResolver) -> list[tuple[c_ast.Node, str, c_ast.Constant]]:
    """Every string literal the program uses as a value, with where it sits (parent node
    and child name), in source order: not one that initialises a char array, not one
    under sizeof (neither makes a pointer)."""
    found: list[tuple[c_ast.Node, str, c_ast.Constant]] = []
    skip: set[int] = set()
    for top in program_nodes(ast):
        for node in walk(top):
            if isinstance(node, c_ast.UnaryOp) and node.op in ("sizeof", "&"):
                skip.add(id(node.expr))  # &"abc" is the literal's own address: it stays
            elif isinstance(node, c_ast.CompoundLiteral):
                skip.update(_initialised_arrays(_type_of(resolver, node.type), node.init))
            elif isinstance(node, c_ast.Decl) and node.init is not None and not isinstance(node.type, c_ast.FuncDecl):
                skip.update(_array_initialisers(node, resolver))
        _collect(top, found, skip)
    return found


def _collect(node: c_ast.Node, found: list, skip: set[int]) -> None:
    for attr, child in node.children():
        if _is_string(child) and id(child) not in skip:
            found.append((node, attr, child))
        else:
            _collect(child, found, skip)


def _is_string(node: c_ast.Node) -> bool:
    return isinstance(node, c_ast.Constant) and node.type == "string" and node.value.startswith('"')


def _array_initialisers(decl: c_ast.Decl, resolver: TypeResolver) -> list[int]:
    """The string literals of a declaration's initialiser that initialise char arrays."""
    if _is_string(decl.init):  # char s[] = "...": the one case that needs no type
        return [id(decl.init)] if isinstance(decl.type, c_ast.ArrayDecl) else []
    try:
        t: CType | None = resolver.resolve_variable(decl)
    except ConfigError:
        t = None
    return _initialised_arrays(t, decl.init)


def _type_of(resolver: TypeResolver, node: c_ast.Node) -> CType | None:
    try:
        return resolver.resolve(node)
    except ConfigError:
        return None


def _initialised_arrays(t: CType | None, init: c_ast.Node) -> list[int]:
    out: list[int] = []
    _pair(t, init, out)
    return out


def _pair(t: CType | None, init: c_ast.Node, out: list[int]) -> None:
    """Pair an initialiser with the type it initialises; a literal paired with an array
    (or with a type the model cannot say) is not a value."""
    if isinstance(init, c_ast.NamedInitializer):
        init = init.expr  # positions after a designator: only what the literal meets matters
    if _is_string(init):
        if not isinstance(t, Pointer):
            out.append(id(init))
        return
    if not isinstance(init, c_ast.InitList):
        return
    if isinstance(t, Array):
        for expr in init.exprs:
            _pair(t.elem, expr, out)
    elif isinstance(t, Struct):
        names = [name for name, _ in t.fields]
        k = 0  # the member a positional initialiser meets: the one after the last named
        for expr in init.exprs:
            if isinstance(expr, c_ast.NamedInitializer):
                first = expr.name[0]
                k = names.index(first.name) if isinstance(first, c_ast.ID) and first.name in names else len(names)
                _pair(t.fields[k][1] if k < len(names) and len(expr.name) == 1 else None, expr.expr, out)
            else:
                _pair(t.fields[k][1] if k < len(names) else None, expr, out)
            k += 1
    else:  # a scalar in braces, or a type the model does not describe
        for expr in init.exprs:
            _pair(t if isinstance(t, Pointer) else None, expr, out)
