"""Source-to-source rewrites shared by the migration build: typed allocation, static
locals moved to file scope, and the registration of globals, on the pycparser AST of a
program.

Typed allocation: ``malloc(sizeof(T))``, ``malloc(n * sizeof(T))``, ``malloc(sizeof(T) * n)``
and ``calloc(n, sizeof(T))`` become ``rt_alloc_typed(MIG_T_<T>, n, sizeof(T))`` (or
``rt_zalloc_typed``), so that every heap block enters the MSR lookup table with its element
type and count. An allocation whose element type cannot be read off its size expression is
migration-unsafe: it is refused with file:line, since its contents could not be converted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pycparser import c_ast, c_generator

from testbed.errors import ConfigError
from testbed.mcl.cparse import is_runtime_file, where
from testbed.mcl.ctype import Array, CType, Pointer, canonical_name
from testbed.mcl.nodes import Generator, parameters, replace_child, walk
from testbed.mcl.resolve import ANONYMOUS_TAG_PREFIX, TypeResolver

ALLOCATORS = {"malloc": "rt_alloc_typed", "calloc": "rt_zalloc_typed"}


def program_nodes(ast: c_ast.FileAST) -> Iterator[c_ast.Node]:
    """The top-level nodes written in the program itself (not in runtime headers)."""
    for ext in ast.ext:
        if not is_runtime_file(getattr(ext.coord, "file", None)):
            yield ext


def _children_replace(parent: c_ast.Node, old: c_ast.Node, new: c_ast.Node) -> None:
    for name, child in parent.children():
        if child is old:
            replace_child(parent, name, new)
            return
    raise AssertionError("child not found")


def _walk_with_parent(node: c_ast.Node, parent: c_ast.Node | None = None) -> Iterator[tuple[c_ast.Node, c_ast.Node | None]]:
    yield node, parent
    for _, child in node.children():
        yield from _walk_with_parent(child, node)


def _sizeof_type(expr: c_ast.Node) -> c_ast.Typename | None:
    if isinstance(expr, c_ast.UnaryOp) and expr.op == "sizeof" and isinstance(expr.expr, c_ast.Typename):
        return expr.expr
    return None


Sized = Callable[[c_ast.Node], "tuple[c_ast.Node, CType] | None"]


def _split_size(expr: c_ast.Node, sized: Sized) -> tuple[c_ast.Node, c_ast.Node, CType] | None:
    """(count, size expression, element type) of ``sizeof(T)``, ``n * sizeof(T)`` or
    ``sizeof(T) * n``, where ``sizeof *p`` may stand for ``sizeof(T)`` (``sized``)."""
    t = sized(expr)
    if t is not None:
        return c_ast.Constant("int", "1"), *t
    if isinstance(expr, c_ast.BinaryOp) and expr.op == "*":
        t = sized(expr.right)
        if t is not None:
            return expr.left, *t
        t = sized(expr.left)
        if t is not None:
            return expr.right, *t
    return None


def _size_reader(resolver: TypeResolver, variables: dict[str, c_ast.Decl]) -> Sized:
    """What ``sizeof`` measures, as (the sizeof expression, its type): ``sizeof(T)``, and
    ``sizeof *p``, ``sizeof p[0]`` or ``sizeof x`` for a variable the program declares
    (``p = malloc(n * sizeof *p)``, the idiom that needs no type name). Names are unique in
    a function by now (unique_local_names), so the name finds its declaration."""
    def sized(expr: c_ast.Node) -> tuple[c_ast.Node, CType] | None:
        t = _sizeof_type(expr)
        if t is not None:
            return c_ast.UnaryOp("sizeof", t), resolver.resolve(t)
        if not (isinstance(expr, c_ast.UnaryOp) and expr.op == "sizeof"):
            return None
        operand, derefs = expr.expr, 0
        while True:
            if isinstance(operand, c_ast.UnaryOp) and operand.op == "*":
                operand, derefs = operand.expr, derefs + 1
            elif (isinstance(operand, c_ast.ArrayRef) and isinstance(operand.subscript, c_ast.Constant)
                  and operand.subscript.value == "0"):
                operand, derefs = operand.name, derefs + 1
            else:
                break
        if not isinstance(operand, c_ast.ID) or operand.name not in variables:
            return None
        try:
            t = resolver.resolve_variable(variables[operand.name])
        except ConfigError:
            return None
        for _ in range(derefs):
            if isinstance(t, Pointer):
                t = t.target
            elif isinstance(t, Array):
                t = t.elem
            else:
                return None
        return expr, t
    return sized


def rewrite_allocations(ast: c_ast.FileAST, resolver: TypeResolver) -> list[CType]:
    """Rewrite every malloc/calloc of the program into typed allocation, in place.
    Returns the element types allocated (they must be in the Type-Information table)."""
    types: list[CType] = []
    file_variables = {d.name: d for d in ast.ext if isinstance(d, c_ast.Decl) and d.name}
    for top in program_nodes(ast):
        variables = dict(file_variables)
        if isinstance(top, c_ast.FuncDef):
            variables.update({d.name: d for d in parameters(top) if isinstance(d, c_ast.Decl) and d.name})
            variables.update({d.name: d for d in walk(top.body) if isinstance(d, c_ast.Decl) and d.name})
        sized = _size_reader(resolver, variables)
        for node, parent in list(_walk_with_parent(top)):
            if not (isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID)
                    and node.name.name in ALLOCATORS):
                continue
            args = node.args.exprs if node.args else []
            split = None
            if node.name.name == "malloc" and len(args) == 1:
                split = _split_size(args[0], sized)
            elif node.name.name == "calloc" and len(args) == 2 and (element := sized(args[1])) is not None:
                split = (args[0], *element)
            if split is None:
                raise ConfigError(
                    f"{where(node)}: untyped allocation: {node.name.name}("
                    f"{', '.join(c_generator.CGenerator().visit(a) for a in args)}) does not say what it "
                    "holds; write malloc(n * sizeof(T)) or malloc(sizeof(T)) so its blocks can migrate"
                )
            count, size, ctype = split
            types.append(ctype)
            typed = c_ast.FuncCall(
                c_ast.ID(ALLOCATORS[node.name.name]),
                c_ast.ExprList([c_ast.ID(f"MIG_T_{canonical_name(ctype)}"), count, size]),
                node.coord,
            )
            assert parent is not None
            _children_replace(parent, node, typed)
    return types


def tag_anonymous_aggregates(ast: c_ast.FileAST) -> None:
    """Give each anonymous struct or union of a file-scope variable or field a tag of its
    own (``struct { ... } s;`` -> ``struct __mcl_anon_s { ... } s;``), in place, so that
    generated code and the Type-Information can spell its type (GCC's __typeof__ is not C
    that pycparser reads back). One named directly by a typedef keeps the typedef's name."""
    for top in program_nodes(ast):
        if isinstance(top, c_ast.Decl) and top.name and "typedef" not in top.storage:
            _tag(top.type, top.name)
        elif isinstance(top, c_ast.Decl | c_ast.Typedef):
            aggregate = _aggregate(top.type)
            _tag_fields(aggregate, top.name or (aggregate.name if aggregate is not None else None) or "")


def _aggregate(node: c_ast.Node | None) -> c_ast.Struct | c_ast.Union | None:
    while isinstance(node, c_ast.TypeDecl | c_ast.PtrDecl | c_ast.ArrayDecl):
        node = node.type
    return node if isinstance(node, c_ast.Struct | c_ast.Union) and node.decls is not None else None


def _tag(type_node: c_ast.Node, name: str) -> None:
    aggregate = _aggregate(type_node)
    if aggregate is not None and aggregate.name is None:
        aggregate.name = f"{ANONYMOUS_TAG_PREFIX}{name}"
    _tag_fields(aggregate, name)


def _tag_fields(aggregate: c_ast.Struct | c_ast.Union | None, outer: str) -> None:
    for field in (aggregate.decls or []) if aggregate is not None else []:
        if isinstance(field, c_ast.Decl) and field.name:
            _tag(field.type, f"{outer}_{field.name}")


def hoist_before_functions(ast: c_ast.FileAST, take: Callable[[c_ast.FuncDef], list[c_ast.Node]]) -> None:
    """Put what ``take`` removes from each of the program's functions at file scope,
    just before that function, in place."""
    ext: list[c_ast.Node] = []
    for top in ast.ext:
        if isinstance(top, c_ast.FuncDef) and not is_runtime_file(getattr(top.coord, "file", None)):
            ext.extend(take(top))
        ext.append(top)
    ast.ext = ext


def hoist_static_locals(ast: c_ast.FileAST) -> None:
    """Move every ``static`` local of the program to file scope, just before its function,
    as ``__mcl_static_<function>_<name>``, in place: it is a global with a local name, so
    it is registered and migrates like one (left inside its function it would be lost)."""
    hoist_before_functions(ast, _hoist_statics)


def _hoist_statics(f: c_ast.FuncDef) -> list[c_ast.Decl]:
    fn = f.decl.name
    statics = [(node, parent) for node, parent in _walk_with_parent(f.body)
               if isinstance(node, c_ast.Decl) and "static" in node.storage and node.name
               and not isinstance(node.type, c_ast.FuncDecl)]
    if not statics:
        return []
    declared = [p.name for p in parameters(f) if getattr(p, "name", None)]
    declared += [n.name for n, _ in _walk_with_parent(f.body) if isinstance(n, c_ast.Decl) and n.name]
    own_types = any(isinstance(n, c_ast.Typedef) or (isinstance(n, c_ast.Struct | c_ast.Union | c_ast.Enum)
                                                     and (getattr(n, "decls", None) or getattr(n, "values", None)))
                    for n, _ in _walk_with_parent(f.body))
    hoisted = []
    for decl, parent in statics:
        if own_types:
            raise ConfigError(f"{where(decl)}: static local {decl.name} of {fn}: {fn} defines its own types, so "
                              "it cannot be moved to file scope to migrate; declare it at file scope")
        if declared.count(decl.name) > 1:
            raise ConfigError(f"{where(decl)}: static local {decl.name} of {fn} shares its name with another "
                              f"variable of {fn}; rename one so it can be moved to file scope to migrate")
        new = f"__mcl_static_{fn}_{decl.name}"
        _rename(f.body, decl.name, new)
        assert isinstance(parent, c_ast.Compound)
        parent.block_items = [item for item in parent.block_items if item is not decl]
        decl.name = new
        inner = decl.type
        while not isinstance(inner, c_ast.TypeDecl):
            inner = inner.type
        inner.declname = new
        hoisted.append(decl)
    return hoisted


def _rename(node: c_ast.Node, old: str, new: str) -> None:
    """Rename the variable ``old`` in ``node`` (not struct fields of that name, in ``s.f``
    or a designated initialiser's ``.f``)."""
    if isinstance(node, c_ast.ID) and node.name == old:
        node.name = new
    for name, child in node.children():
        if not (isinstance(node, c_ast.StructRef) and name == "field"
                or isinstance(node, c_ast.NamedInitializer) and name.startswith("name[")):
            _rename(child, old, new)


def global_registrations(ast: c_ast.FileAST, resolver: TypeResolver) -> tuple[list[str], list[CType]]:
    """C statements registering every writable global of the program in the MSRLT, in
    declaration order, and the types they need."""
    lines: list[str] = []
    types: list[CType] = []
    # a global declared twice (`int n;` ... `int n = 30;`: a tentative definition, then
    # the definition) is one object: registered once, as its defining declaration says
    chosen: dict[str, c_ast.Decl] = {}
    for node in program_nodes(ast):
        if not isinstance(node, c_ast.Decl) or not node.name:
            continue
        if isinstance(node.type, c_ast.FuncDecl) or {"extern", "typedef"} & set(node.storage):
            continue
        if resolver.is_const_object(node):
            continue  # read-only data: both machines have it (rodata.py), nothing to send
        if node.name not in chosen or node.init is not None:
            chosen[node.name] = node
    for node in chosen.values():
        ctype = resolver.resolve_variable(node)
        if isinstance(ctype, Array):
            lines.append(f"    mig_register_global({node.name}, MIG_T_{canonical_name(ctype.elem)}, {ctype.count}u);")
            types.append(ctype.elem)
        else:
            lines.append(f"    mig_register_global(&{node.name}, MIG_T_{canonical_name(ctype)}, 1u);")
            types.append(ctype)
    return lines, types


def _without_repeated_body(decl: c_ast.Decl | c_ast.Typedef, defined: set[tuple[str, str]]) -> None:
    """``struct tag { ... } a, *b;`` is one Decl per declarator, each holding the body;
    every one after the first names the tag only (the body twice is a redefinition)."""
    holder: c_ast.Node = decl
    t = decl.type
    while isinstance(t, (c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.TypeDecl, c_ast.FuncDecl)):
        holder, t = t, t.type
    if not isinstance(t, (c_ast.Struct, c_ast.Union, c_ast.Enum)) or not t.name:
        return
    body = t.values if isinstance(t, c_ast.Enum) else t.decls
    if body is None:
        return
    key = (type(t).__name__, t.name)
    if key in defined:
        holder.type = (c_ast.Enum(t.name, None, t.underlying_type, t.coord) if isinstance(t, c_ast.Enum)
                       else type(t)(t.name, None, t.coord))
    defined.add(key)


def emit_program(ast: c_ast.FileAST) -> str:
    """The program's own top-level nodes as C, each preceded by a #line directive so that
    compiler messages point at the original source."""
    gen = Generator(line_directives=True)
    parts: list[str] = []
    defined: set[tuple[str, str]] = set()
    for node in program_nodes(ast):
        if isinstance(node, (c_ast.Decl, c_ast.Typedef)):
            _without_repeated_body(node, defined)
        coord = node.coord
        if coord is not None and coord.file:
            parts.append(f'#line {coord.line} "{coord.file}"')
        text = gen.visit(node)
        parts.append(text if isinstance(node, c_ast.FuncDef) else text + ";")
    return "\n".join(parts) + "\n"
