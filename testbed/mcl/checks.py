"""Refusal of the constructs whose state cannot migrate, naming file:line."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import is_runtime_file, where
from testbed.mcl.ctype import CType, FuncPtr, Pointer, Prim, Unsupported
from testbed.mcl.nodes import call_name, gen, walk
from testbed.mcl.resolve import TypeResolver

UNSAFE_CALLS = {"setjmp", "longjmp", "_setjmp", "sigsetjmp", "siglongjmp", "__builtin_setjmp", "__builtin_longjmp"}
# GCC builtins whose values are the machine's own frames and code addresses
MACHINE_FRAME_BUILTINS = {"__builtin_frame_address", "__builtin_return_address", "__builtin_apply_args",
                          "__builtin_apply", "__builtin_extract_return_addr"}
# C library functions that keep hidden state between calls in the guest runtime's own
# globals, which the collector does not carry (docs/libc.md): after a migration rand()
# would start its sequence again and strtok() forget its place. A wrong answer is worse
# than a refusal, so a program that calls them is refused until that state travels.
STATEFUL_LIBC_CALLS = {"rand": "its generator's state", "srand": "the generator's state it sets",
                       "strtok": "its position in the string"}


def refuse_all(errors: list[str]) -> None:
    """Raise one error naming every refusal, one a line (none: nothing)."""
    if len(errors) == 1:
        raise ConfigError(errors[0])
    if errors:
        raise ConfigError(f"{len(errors)} migration-unsafe constructs:\n  " + "\n  ".join(errors))


def unsafe_constructs(ast: c_ast.FileAST, resolver: TypeResolver) -> Iterator[str]:
    """One message per migration-unsafe construct of the program, in source order (the
    precompiler refuses them all at once, so that a program is fixed in one pass)."""
    yield from getattr(ast, "refusals", [])  # what parse_text took out of the text
    file_integers = {d.name for d in ast.ext if isinstance(d, c_ast.Decl) and _integer_declared(d)}
    file_pointers = {d.name for d in ast.ext if isinstance(d, c_ast.Decl) and _pointer_declared(d)}
    for top in ast.ext:
        if is_runtime_file(getattr(top.coord, "file", None)):
            continue
        integers = file_integers | {n.name for n in walk(top) if isinstance(n, c_ast.Decl) and _integer_declared(n)}
        pointers = file_pointers | {n.name for n in walk(top) if isinstance(n, c_ast.Decl) and _pointer_declared(n)}
        for node in walk(top):
            stored = (node.rvalue if isinstance(node, c_ast.Assignment) else
                      node.init if isinstance(node, c_ast.Decl) else
                      node.expr if isinstance(node, c_ast.Return) else None)
            for cast in _stored_pointer_casts(stored, pointers, resolver):
                yield (f"{where(cast)}: a pointer is cast to an integer that is kept ({gen(cast)}): the "
                       "integer holds this machine's address, which the migration cannot translate as it does "
                       "pointers; keep the pointer, or use the integer only where it is computed")
            name = call_name(node)
            if name in UNSAFE_CALLS:
                yield (f"{where(node)}: {name}() is migration-unsafe: a saved jump buffer "
                           "holds machine registers and addresses that mean nothing on another machine")
            if name in MACHINE_FRAME_BUILTINS:
                yield (f"{where(node)}: {name}() gives an address of the machine's own call frames or code, "
                       "which means nothing on another machine (and the precompiler rebuilds the frames)")
            if name in STATEFUL_LIBC_CALLS:
                yield (f"{where(node)}: {name}() keeps {STATEFUL_LIBC_CALLS[name]} in the C library, which "
                       "does not migrate (it would start over on the destination): keep the state in a global "
                       "of the program instead (your own generator or tokeniser)")
            if isinstance(node, c_ast.Cast) and _casts_to_pointer(node, resolver):
                if _integer_valued(node.expr, integers):
                    yield (f"{where(node)}: an integer is cast to a pointer "
                           f"({gen(node)}): such a pointer cannot be translated on another machine")
            if isinstance(node, c_ast.Decl) and node.name and not isinstance(node.type, c_ast.FuncDecl):
                if "typedef" in node.storage:
                    continue
                t = resolver.resolve_variable(node)
                bad = _union_with_pointer(t)
                if bad is not None:
                    yield (f"{where(node)}: {node.name} is a union mixing pointers and data "
                           f"({bad.what}): which member is live cannot be known, so it cannot migrate")


def _casts_to_pointer(cast: c_ast.Cast, resolver: TypeResolver) -> bool:
    """A cast to a pointer type, spelled out (`(char *)`) or through a typedef (`(rtx)`)."""
    t = cast.to_type.type
    if isinstance(t, c_ast.PtrDecl):
        return True
    if (isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType) and len(t.type.names) == 1
            and resolver.file_scope.typedef(t.type.names[0]) is not None):
        return isinstance(resolver.resolve(cast.to_type), Pointer | FuncPtr)
    return False


INTEGER_NAMES = ("int", "long", "unsigned", "short", "char", "size_t", "uintptr_t", "intptr_t")


def _integer_declared(d: c_ast.Decl) -> bool:
    """A variable declared with an integer type (the names a cast to a pointer may not use)."""
    t = d.type
    return (isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType)
            and any(n in INTEGER_NAMES for n in t.type.names) and "typedef" not in d.storage)


_INTEGER_OPERATORS = {"+", "-", "*", "/", "%", "|", "&", "^", "<<", ">>"}


def _integer_valued(expr: c_ast.Node, integers: AbstractSet[str] = frozenset()) -> bool:
    """Whether ``expr`` is an integer: a constant other than 0, a cast to an integer type,
    an integer variable, or arithmetic of them (`(unsigned)INT_MAX + 2`; not `p + 1`,
    whose pointer operand is no integer)."""
    if isinstance(expr, c_ast.ID):
        return expr.name in integers
    if isinstance(expr, c_ast.BinaryOp) and expr.op in _INTEGER_OPERATORS:
        return _integer_valued(expr.left, integers) and (
            _integer_valued(expr.right, integers) or isinstance(expr.right, c_ast.Constant))
    if isinstance(expr, c_ast.Constant):
        return expr.type in ("int", "long int", "unsigned int", "long long int") and expr.value not in ("0", "0L", "0u", "0U")
    if isinstance(expr, c_ast.Cast):
        t = expr.to_type.type
        return isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType) and any(
            n in INTEGER_NAMES for n in t.type.names)
    return False


def _pointer_declared(d: c_ast.Decl) -> bool:
    """A variable declared as a pointer or an array (whose name is its address)."""
    return isinstance(d.type, c_ast.PtrDecl | c_ast.ArrayDecl) and "typedef" not in d.storage


_TRUTH_OPERATORS = {"==", "!=", "<", ">", "<=", ">=", "&&", "||"}


def _stored_pointer_casts(expr: c_ast.Node | None, pointers: AbstractSet[str],
                          resolver: TypeResolver) -> Iterator[c_ast.Cast]:
    """Casts of a pointer to an integer type in a value that is stored (an assignment,
    an initialiser, a returned value), not under a comparison, whose result is a truth
    value (``(uintptr_t)p % 8 == 0`` keeps no address). A nested assignment is a stored
    value of its own, looked at where the walk reaches it (``a = b = (long)p`` once)."""
    if expr is None or isinstance(expr, c_ast.Assignment):
        return
    if isinstance(expr, c_ast.BinaryOp) and expr.op in _TRUTH_OPERATORS:
        return
    if isinstance(expr, c_ast.UnaryOp) and expr.op in ("!", "sizeof"):
        return
    if isinstance(expr, c_ast.Cast) and _pointer_valued(expr.expr, pointers) and _casts_to_integer(expr, resolver):
        yield expr
        return
    for _, child in expr.children():
        yield from _stored_pointer_casts(child, pointers, resolver)


def _pointer_valued(expr: c_ast.Node, pointers: AbstractSet[str]) -> bool:
    """An address: ``&x``, a pointer or array variable, a string, a cast to a pointer, or
    a pointer plus or minus an integer."""
    if isinstance(expr, c_ast.UnaryOp) and expr.op == "&":
        return True
    if isinstance(expr, c_ast.ID):
        return expr.name in pointers
    if isinstance(expr, c_ast.Constant):
        return expr.type == "string"
    if isinstance(expr, c_ast.Cast):
        return isinstance(expr.to_type.type, c_ast.PtrDecl)
    if isinstance(expr, c_ast.BinaryOp) and expr.op in ("+", "-"):
        return _pointer_valued(expr.left, pointers) and not _pointer_valued(expr.right, pointers)
    return False


def _casts_to_integer(cast: c_ast.Cast, resolver: TypeResolver) -> bool:
    if isinstance(cast.to_type.type, c_ast.PtrDecl):
        return False
    try:
        t = resolver.resolve(cast.to_type)
    except ConfigError:
        return False
    return isinstance(t, Prim) and t.prim not in ("F32", "F64")


def _union_with_pointer(t: CType) -> Unsupported | None:
    if isinstance(t, Unsupported) and "union" in t.what and t.pointer:
        return t
    return None
