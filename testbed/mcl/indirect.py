"""Calls through function pointers, and program functions the runtime calls back.

A call whose callee is not a function's name (a function-pointer variable, parameter,
field or array element, ``(*fp)(x)``) may reach any function of the program's function
table (the functions whose address is taken, ti.program_functions). ``mark_indirect_calls``
turns each such FuncCall into an IndirectCall (nodes.py), whose ``call_name`` is
INDIRECT: the passes then treat it as a call of every address-taken function, and a site
of it names no callee (SITE_CALLEE_INDIRECT in the site table).

It runs after ``unique_local_names`` has renamed every local that shares a function's
name (20021118-2.c's parameter ``f1`` beside the function ``f1``): from then on an
identifier callee is a pointer exactly when it names a variable.

``runtime_callbacks`` finds the program functions passed to a function the program does
not define (qsort's and bsearch's comparators): the library's own frames between the
caller and the callback cannot be recorded, so such a function gets no poll-point, and one
that calls a migratable function is refused (placement.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from pycparser import c_ast

from testbed.mcl.cparse import is_runtime_file, where
from testbed.mcl.nodes import IndirectCall, local_declarations, parameters, walk


def function_names(ast: c_ast.FileAST) -> set[str]:
    """Every function the file declares or defines, the runtime's included."""
    names = set()
    for top in ast.ext:
        if isinstance(top, c_ast.FuncDef):
            names.add(top.decl.name)
        elif isinstance(top, c_ast.Decl) and isinstance(top.type, c_ast.FuncDecl) and top.name:
            names.add(top.name)
    return names


def _variables(node: c_ast.Node) -> set[str]:
    """The variables (not functions, not typedefs) declared under ``node``."""
    return {n.name for n in walk(node) if isinstance(n, c_ast.Decl) and n.name
            and not isinstance(n.type, c_ast.FuncDecl) and "typedef" not in n.storage}


def mark_indirect_calls(ast: c_ast.FileAST) -> None:
    """Make every call through a pointer in the program's functions an IndirectCall, in place."""
    file_variables = {top.name for top in ast.ext if isinstance(top, c_ast.Decl) and top.name
                      and not isinstance(top.type, c_ast.FuncDecl) and "typedef" not in top.storage}
    for top in ast.ext:
        if not isinstance(top, c_ast.FuncDef) or is_runtime_file(getattr(top.coord, "file", None)):
            continue
        variables = file_variables | _variables(top.decl) | _variables(top.body)
        variables |= {d.name for d in top.param_decls or [] if isinstance(d, c_ast.Decl)}
        for n in walk(top.body):
            if type(n) is c_ast.FuncCall and (not isinstance(n.name, c_ast.ID) or n.name.name in variables):
                n.__class__ = IndirectCall


def runtime_callbacks(defs: dict[str, c_ast.FuncDef]) -> dict[str, tuple[str, str]]:
    """Program functions passed to a function the program does not define: name ->
    (that function, where), the first such call of each."""
    found: dict[str, tuple[str, str]] = {}
    for f in defs.values():
        for call in walk(f.body):
            if not (type(call) is c_ast.FuncCall and isinstance(call.name, c_ast.ID)
                    and call.name.name not in defs and call.args is not None):
                continue
            for arg in call.args.exprs:
                for n in _outside_calls(arg):
                    if type(n) is c_ast.ID and n.name in defs and n.name not in found:
                        found[n.name] = (call.name.name, where(call))
    return found


def _outside_calls(node: c_ast.Node) -> Iterator[c_ast.Node]:
    """The nodes of an argument, not entering the calls inside it (their own arguments
    go to them)."""
    yield node
    if isinstance(node, c_ast.FuncCall):
        return
    for _, child in node.children():
        yield from _outside_calls(child)


class ResultTypes:
    """The result type of a call through a pointer, read off the pointer's declaration,
    for the hoist (which declares a temporary of it): the callee a variable (`fp(x)`,
    `(*fp)(x)`) or an element of one (`table[i](x)`), through typedefs of pointer and
    function types. A struct field's pointer (`s.f(x)`) is not followed: None."""

    def __init__(self, ast: c_ast.FileAST) -> None:
        self.typedefs = {top.name: top for top in ast.ext if isinstance(top, c_ast.Typedef)}
        self.file_decls = {top.name: top for top in ast.ext if isinstance(top, c_ast.Decl) and top.name}

    def of(self, callee: c_ast.Node, f: c_ast.FuncDef) -> c_ast.Node | None:
        subscripts = 0
        while True:
            if isinstance(callee, c_ast.UnaryOp) and callee.op == "*":
                callee = callee.expr  # (*fp)(x): the function designator calls as fp does
            elif isinstance(callee, c_ast.ArrayRef):
                subscripts += 1
                callee = callee.name
            else:
                break
        if not isinstance(callee, c_ast.ID):
            return None
        local = {d.name: d for d in [*parameters(f), *local_declarations(f.body)] if isinstance(d, c_ast.Decl) and d.name}
        decl = local.get(callee.name) or self.file_decls.get(callee.name)
        if decl is None:
            return None
        t = self._expand(decl.type)
        for _ in range(subscripts):
            if not isinstance(t, c_ast.ArrayDecl | c_ast.PtrDecl):
                return None
            t = self._expand(t.type)
        if isinstance(t, c_ast.PtrDecl):
            t = self._expand(t.type)
        return t.type if isinstance(t, c_ast.FuncDecl) else None

    def _expand(self, t: c_ast.Node) -> c_ast.Node:
        """``t`` with a typedef name replaced by what it names."""
        while (isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType)
               and len(t.type.names) == 1 and t.type.names[0] in self.typedefs):
            t = self.typedefs[t.type.names[0]].type
        return t
