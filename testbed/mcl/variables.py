"""The variables of a migratable function and how each travels: scalars, pointers, structs
by value, and stack blocks (arrays and locals whose address is taken)."""

from __future__ import annotations

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import where
from testbed.mcl.ctype import Array, CType, FuncPtr, Pointer, Prim, Struct, Unsupported, VarArray
from testbed.mcl.nodes import Function, Var, gen, local_declarations, member_root, parameters, walk
from testbed.mcl.resolve import TypeResolver


def collect_variables(fn: Function, resolver: TypeResolver) -> None:
    """Fill ``fn.vars``: parameters, then locals in declaration order."""
    f = fn.node
    # &x, and &s.f or &s.a[i]: a pointer into s means s must be a block
    address_taken = {n.expr.name if isinstance(n.expr, c_ast.ID) else member_root(n.expr) for n in walk(f.body)
                     if isinstance(n, c_ast.UnaryOp) and n.op == "&"} - {None}
    order = 0
    for p in parameters(f):
        if isinstance(p, c_ast.EllipsisParam) or not getattr(p, "name", None):
            continue
        t = resolver.resolve_param(p)
        if isinstance(t, Unsupported):
            raise ConfigError(f"{where(p)}: parameter {p.name} of migratable function {fn.name} has a type that "
                              f"cannot migrate ({t.what})")
        if p.name in address_taken:
            raise ConfigError(f"{where(p)}: the address of parameter {p.name} of {fn.name} is taken; "
                              "copy it into a local variable first so it can be registered as a stack block")
        fn.vars[p.name] = Var(p.name, t, _role(t, p), order, where(p))
        order += 1
    top_level = {id(d) for d in (f.body.block_items or []) if isinstance(d, c_ast.Decl)}
    for node in local_declarations(f.body):
        if not node.name or isinstance(node.type, c_ast.FuncDecl):
            continue
        if "static" in node.storage or "extern" in node.storage:
            raise ConfigError(f"{where(node)}: static or extern local {node.name} in migratable function "
                              f"{fn.name}: declare it at file scope so it is registered as a global")
        if node.name in fn.vars:
            raise ConfigError(f"{where(node)}: {node.name} is declared twice in migratable function "
                              f"{fn.name}; give the inner one another name")
        t = resolver.resolve_variable(node)
        if any(isinstance(n, c_ast.Struct | c_ast.Union) and n.decls is not None for n in walk(node.type)):
            # the resolver sees locals from file scope, where this type does not exist
            t = Unsupported("a struct or union defined inside the function (define it at file scope)", where(node))
        if isinstance(t, Unsupported):
            raise ConfigError(f"{where(node)}: local {node.name} of migratable function {fn.name} has a "
                              f"type that cannot migrate ({t.what})")
        is_block = isinstance(t, Array | VarArray) or node.name in address_taken
        if is_block and id(node) not in top_level:
            raise ConfigError(f"{where(node)}: {node.name} in {fn.name} is an array or has its address "
                              "taken, so it is a stack block; declare it at the top of the function")
        var = Var(node.name, t, "block" if is_block else _role(t, node), order, where(node))
        if is_block:
            if isinstance(t, Array):
                var.elem, var.count = t.elem, f"{t.count}u"
            elif isinstance(t, VarArray):
                var.elem, var.count = t.elem, f"(unsigned)({gen(t.size)})"
            else:
                var.elem = t
        fn.vars[node.name] = var
        order += 1


def _role(t: CType, node: c_ast.Node) -> str:
    if isinstance(t, Pointer):
        return "pointer"
    if isinstance(t, FuncPtr):
        return "func"
    if isinstance(t, Prim):
        return "scalar"
    if isinstance(t, Struct):
        return "value"
    raise ConfigError(f"{where(node)}: a variable of type {t} cannot migrate")
