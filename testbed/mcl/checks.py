"""Refusal of the constructs whose state cannot migrate, naming file:line."""

from __future__ import annotations

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import is_runtime_file, where
from testbed.mcl.ctype import CType, Unsupported
from testbed.mcl.nodes import call_name, gen, walk
from testbed.mcl.resolve import TypeResolver

UNSAFE_CALLS = {"setjmp", "longjmp", "_setjmp", "sigsetjmp", "siglongjmp"}


def check_unsafe(ast: c_ast.FileAST, resolver: TypeResolver) -> None:
    """Refuse the constructs whose state cannot migrate, naming file:line."""
    for top in ast.ext:
        if is_runtime_file(getattr(top.coord, "file", None)):
            continue
        for node in walk(top):
            name = call_name(node)
            if name in UNSAFE_CALLS:
                raise ConfigError(f"{where(node)}: {name}() is migration-unsafe: a saved jump buffer "
                                  "holds machine registers and addresses that mean nothing on another machine")
            if isinstance(node, c_ast.Goto | c_ast.Label):
                raise ConfigError(f"{where(node)}: goto/labels are not accepted by the MCL precompiler "
                                  "(it adds its own); use structured control flow")
            if isinstance(node, c_ast.Cast) and isinstance(node.to_type.type, c_ast.PtrDecl):
                if _integer_valued(node.expr):
                    raise ConfigError(f"{where(node)}: an integer is cast to a pointer "
                                      f"({gen(node)}): such a pointer cannot be translated on another machine")
            if isinstance(node, c_ast.Decl) and node.name and not isinstance(node.type, c_ast.FuncDecl):
                if "typedef" in node.storage:
                    continue
                t = resolver.resolve_variable(node)
                bad = _union_with_pointer(t)
                if bad is not None:
                    raise ConfigError(f"{where(node)}: {node.name} is a union mixing pointers and data "
                                      f"({bad.what}): which member is live cannot be known, so it cannot migrate")


def _integer_valued(expr: c_ast.Node) -> bool:
    if isinstance(expr, c_ast.Constant):
        return expr.type in ("int", "long int", "unsigned int", "long long int") and expr.value not in ("0", "0L", "0u", "0U")
    if isinstance(expr, c_ast.Cast):
        t = expr.to_type.type
        return isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType) and any(
            n in ("int", "long", "unsigned", "short", "char", "size_t", "uintptr_t", "intptr_t") for n in t.type.names)
    return False


def _union_with_pointer(t: CType) -> Unsupported | None:
    if isinstance(t, Unsupported) and "union" in t.what and t.pointer:
        return t
    return None
