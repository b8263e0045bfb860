"""Types defined inside a function, moved to file scope before the function.

A struct, union or typedef defined in a function body has block scope: the Type-
Information table, the registration code and the save/restore functions, all at file
scope, cannot name it (the torture tests have many: ``int main () { struct s { int a; }
x; ... }``). The precompiler moves each definition to file scope, just before its
function, under a name of its own, in source order:

    struct s { int a; } x;   ->   struct __mcl_local_main_s { int a; };   (file scope)
                                  struct __mcl_local_main_s x;            (in main)

and renames the uses in the function (``struct s`` and typedef names). The layout is
the same (a struct's layout does not depend on its scope). A function whose types
depend on its own variables or enumeration constants (a variably modified type), or
that defines one tag or typedef name twice, keeps its definitions, and the precompiler
refuses its variables of those types as before.
"""

from __future__ import annotations

from collections.abc import Iterator

from pycparser import c_ast

from testbed.mcl.nodes import parameters, walk
from testbed.mcl.transform import hoist_before_functions

LOCAL_TYPE_PREFIX = "__mcl_local_"


def hoist_local_types(ast: c_ast.FileAST) -> None:
    """Move the type definitions of every function of the program to file scope, in place."""
    hoist_before_functions(ast, _hoist)


def _definitions(body: c_ast.Node) -> Iterator[c_ast.Struct | c_ast.Union]:
    for node in walk(body):
        if isinstance(node, c_ast.Struct | c_ast.Union) and node.decls is not None:
            yield node


def _hoist(f: c_ast.FuncDef) -> list[c_ast.Node]:
    fn = f.decl.name
    body = f.body
    defined = list(_definitions(body))
    typedefs = [n for n in walk(body) if isinstance(n, c_ast.Typedef)]
    if not defined and not typedefs:
        return []
    tags = [d.name for d in defined if d.name]
    names = [t.name for t in typedefs]
    if len(set(tags)) < len(tags) or len(set(names)) < len(names) or not _independent(f, defined, typedefs):
        return []
    new_tags = {tag: f"{LOCAL_TYPE_PREFIX}{fn}_{tag}" for tag in tags}
    new_names = {name: f"{LOCAL_TYPE_PREFIX}{fn}_{name}" for name in names}
    anonymous = 0
    for d in defined:
        if d.name is None:
            anonymous += 1
            d.name = f"{LOCAL_TYPE_PREFIX}{fn}_{anonymous}"
    _rename_types(body, new_tags, new_names)
    hoisted: list[c_ast.Node] = []
    for block in (n for n in walk(body) if isinstance(n, c_ast.Compound)):
        kept = []
        for item in block.block_items or []:
            if isinstance(item, c_ast.Typedef):
                item.name = new_names[item.name]
                _type_decl(item.type).declname = item.name
                hoisted.append(item)  # with the definitions it holds
                continue
            if isinstance(item, c_ast.Decl):
                for definition in _outermost_definitions(item.type):
                    hoisted.append(c_ast.Decl(None, [], [], [], [], _copy_definition(definition), None, None,
                                              definition.coord))
                    definition.decls = None  # what stays in the function names the moved type
                if item.name is None and isinstance(item.type, c_ast.Struct | c_ast.Union):
                    continue  # `struct s { ... };` only defined the tag
            kept.append(item)
        block.block_items = kept
    return hoisted


def _independent(f: c_ast.FuncDef, defined: list[c_ast.Node], typedefs: list[c_ast.Typedef]) -> bool:
    """Whether the definitions name nothing of the function's own (its variables and
    enumeration constants: a variably modified type, an array sized by a local enum)."""
    own = {p.name for p in parameters(f) if getattr(p, "name", None)}
    own |= {n.name for n in walk(f.body) if isinstance(n, c_ast.Decl | c_ast.Enumerator) and n.name}
    return not any(isinstance(n, c_ast.ID) and n.name in own for node in [*defined, *typedefs] for n in walk(node))


def _rename_types(node: c_ast.Node, tags: dict[str, str], names: dict[str, str]) -> None:
    for n in walk(node):
        if isinstance(n, c_ast.Struct | c_ast.Union) and n.name in tags:
            n.name = tags[n.name]
        elif isinstance(n, c_ast.IdentifierType) and len(n.names) == 1 and n.names[0] in names:
            n.names = [names[n.names[0]]]


def _outermost_definitions(node: c_ast.Node | None) -> list[c_ast.Struct | c_ast.Union]:
    while isinstance(node, c_ast.TypeDecl | c_ast.PtrDecl | c_ast.ArrayDecl | c_ast.FuncDecl):
        node = node.type
    if isinstance(node, c_ast.Struct | c_ast.Union) and node.decls is not None:
        return [node]
    return []


def _copy_definition(node: c_ast.Struct | c_ast.Union) -> c_ast.Struct | c_ast.Union:
    return type(node)(node.name, node.decls, node.coord)


def _type_decl(node: c_ast.Node) -> c_ast.TypeDecl:
    while not isinstance(node, c_ast.TypeDecl):
        node = node.type
    return node
