"""Compound literals used by address, as named locals.

``&(struct s){ 3, "hey" }`` is an unnamed object on the stack: no block describes it,
so a pointer to it live at a poll-point could not travel (the collection failed). In a
migratable function the precompiler names it: a local ``__mcl_clN`` of its type,
declared first thing (its address is taken, so it is a stack block like any other), and
the literal becomes ``(*(__mcl_clN = (struct s){ 3, "hey" }, &__mcl_clN))``: assigned
each time the expression is evaluated, as C re-initialises a compound literal, and an
lvalue of the same type. An array literal cannot be assigned, so it stays refused.
"""

from __future__ import annotations

import copy

from pycparser import c_ast

from testbed.mcl.cparse import is_runtime_file
from testbed.mcl.nodes import replace_child, walk

LITERAL_PREFIX = "__mcl_cl"


def name_compound_literals(f: c_ast.FuncDef, taken: set[str]) -> None:
    """Name, in place, every non-array compound literal of ``f`` whose address is taken."""
    decls: list[c_ast.Decl] = []
    for parent in list(walk(f.body)):
        if not (isinstance(parent, c_ast.UnaryOp) and parent.op == "&"):
            continue
        literal = parent.expr
        if not isinstance(literal, c_ast.CompoundLiteral) or isinstance(literal.type.type, c_ast.ArrayDecl):
            continue
        name = _fresh_name(LITERAL_PREFIX, len(decls) + 1, taken)
        # not const: assigned where the literal was
        decls.append(_declaration(literal, name, storage=[], init=None, keep_const=False))
        coord = literal.coord
        assign = c_ast.Assignment("=", c_ast.ID(name, coord), literal, coord)
        parent.expr = c_ast.UnaryOp("*", c_ast.ExprList([assign, c_ast.UnaryOp("&", c_ast.ID(name, coord), coord)],
                                                       coord), coord)
    if decls:
        f.body.block_items = [*decls, *(f.body.block_items or [])]


FILE_LITERAL_PREFIX = "__mcl_gcl"


def name_file_scope_literals(ast: c_ast.FileAST, taken: set[str]) -> None:
    """Name, in place, the compound literals of file-scope initialisers.

    ``struct C e = { &(struct B){ &(struct A){ 1, 2 } } };`` holds pointers to unnamed
    objects of static storage: no global describes them, so collecting ``e`` failed. Each
    becomes a static global ``__mcl_gclN`` declared just before its user (inner literals
    first), and the literal its name: ``&__mcl_gcl2``, or for an array literal the array
    itself, which decays as the literal did. A literal used by value is left as it is."""
    ext: list[c_ast.Node] = []
    for top in ast.ext:
        if isinstance(top, c_ast.Decl) and top.init is not None and not is_runtime_file(getattr(top.coord, "file", None)):
            ext.extend(_lift_literals(top, "init", top.init, taken))
        ext.append(top)
    ast.ext = ext


def _lift_literals(parent: c_ast.Node, slot: str, node: c_ast.Node, taken: set[str]) -> list[c_ast.Decl]:
    """The named declarations of the literals under ``node`` (parent's child ``slot``), in
    the order they must be declared; the literals replaced by their names."""
    decls: list[c_ast.Decl] = []
    for name, child in node.children():
        decls.extend(_lift_literals(node, name, child, taken))
    if not isinstance(node, c_ast.CompoundLiteral):
        return decls
    is_array = isinstance(node.type.type, c_ast.ArrayDecl)
    if not is_array and not (isinstance(parent, c_ast.UnaryOp) and parent.op == "&"):
        return decls
    name = _fresh_name(FILE_LITERAL_PREFIX, 1, taken)
    decls.append(_declaration(node, name, storage=["static"], init=node.init, keep_const=True))
    replace_child(parent, slot, c_ast.ID(name, node.coord))
    return decls


def _fresh_name(prefix: str, first: int, taken: set[str]) -> str:
    """``prefix`` and the first number from ``first`` on that no name of the unit has."""
    n = first
    while f"{prefix}{n}" in taken:
        n += 1
    taken.add(f"{prefix}{n}")
    return f"{prefix}{n}"


def _declaration(literal: c_ast.CompoundLiteral, name: str, storage: list[str], init: c_ast.Node | None,
                 keep_const: bool) -> c_ast.Decl:
    """A declaration of ``name`` with the literal's type."""
    declared = copy.deepcopy(literal.type.type)
    inner = declared
    while not isinstance(inner, c_ast.TypeDecl):
        inner = inner.type
    inner.declname = name
    if not keep_const:
        inner.quals = [q for q in inner.quals if q != "const"]
    return c_ast.Decl(name, [], [], storage, [], declared, init, None, literal.coord)
