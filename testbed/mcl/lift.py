"""Block-scope declarations made safe to migrate: shadowing names renamed, stack blocks
lifted to function scope.

The precompiler keeps one record per frame, keyed by variable name, and registers a
function's stack blocks (arrays, locals whose address is taken) in its prologue, after the
leading declarations. Two things in ordinary C break that:

- **the same name declared twice** in one function (two loops each with their own ``i``,
  an inner ``t`` shadowing an outer one or a global): ``unique_local_names`` renames every
  declaration of such a name, except a parameter and a leading declaration of the body,
  to ``name__bK`` (``K``: the number of its block in the function, in source order), and
  every use that C's scoping binds to it. A use bound to a global keeps its name.
- **a stack block declared in an inner block or after a statement**: it would be
  registered before it exists. ``lift_stack_blocks`` moves its declaration to the top of
  the function (its name is unique there after the renaming), and its initialiser stays
  where it was, as an assignment (``memcpy`` from a compound literal for an initialiser
  list or an array), so it still runs each time the block is entered. The object then
  lives as long as the call, which only extends what the program may do. A
  variable-length array cannot be lifted (its size is known only where it is declared),
  so it is refused with file:line.
- **a parameter whose address is taken**: ``copy_address_taken_parameters`` renames it
  ``name__p`` and declares a local ``name`` initialised from it first thing, which is a
  stack block like any other (what C does with a parameter anyway: it is the callee's
  own object).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import where
from testbed.mcl.nodes import member_root, parameters, walk
from testbed.mcl.resolve import initializer_count

_OFFSETOF = {"offsetof", "__builtin_offsetof"}


@dataclass
class _Binding:
    """One declaration of a function and the identifiers C's scoping binds to it."""

    decl: c_ast.Node  # Decl, or the parameter's Decl
    block: int  # the number of the block declaring it (0: the function's own)
    renamable: bool
    uses: list[c_ast.ID] = field(default_factory=list)


class _Binder:
    """Binds every identifier of one function to its declaration, in one walk with C's
    block scopes (a declared name is in scope from its declarator on, so ``int x = x;``
    reads the new ``x``; an array's size is evaluated before it)."""

    def __init__(self, f: c_ast.FuncDef) -> None:
        self.bindings: list[_Binding] = []
        self.free: dict[str, list[c_ast.ID]] = {}  # identifiers bound to no local: globals
        self.scopes: list[dict[str, _Binding | None]] = [{}]
        self.numbers = [0]  # the number of each open block
        self.blocks = 0
        for p in parameters(f):
            if isinstance(p, c_ast.Decl) and p.name:
                self._declare(p.name, p, renamable=False)
        body = f.body.block_items or []
        lead = 0
        while lead < len(body) and isinstance(body[lead], c_ast.Decl):
            lead += 1
        self.leading = {id(d) for d in body[:lead] if "static" not in d.storage}
        for item in body:  # the body's block is the parameters' scope
            self._visit(item)

    def _declare(self, name: str, decl: c_ast.Node | None, renamable: bool) -> None:
        binding = None
        if decl is not None:
            binding = _Binding(decl, self.numbers[-1], renamable)
            self.bindings.append(binding)
        self.scopes[-1][name] = binding

    def _lookup(self, name: str) -> _Binding | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def _block(self, visit: Callable[[], None]) -> None:
        self.blocks += 1
        self.numbers.append(self.blocks)
        self.scopes.append({})
        visit()
        self.scopes.pop()
        self.numbers.pop()

    def _visit(self, n: c_ast.Node | None) -> None:
        if n is None:
            return
        if isinstance(n, c_ast.Compound):
            self._block(lambda: [self._visit(item) for item in n.block_items or []])
        elif isinstance(n, c_ast.For):
            self._block(lambda: [self._visit(c) for c in (n.init, n.cond, n.next, n.stmt)])
        elif isinstance(n, c_ast.Decl):
            self._decl(n)
        elif isinstance(n, c_ast.ID):
            binding = self._lookup(n.name)
            if binding is None:
                self.free.setdefault(n.name, []).append(n)
            else:
                binding.uses.append(n)
        elif isinstance(n, c_ast.StructRef):
            self._visit(n.name)  # the field is not a variable
        elif isinstance(n, c_ast.NamedInitializer):
            self._visit(n.expr)  # .field = ...: a designator, not a variable
        elif isinstance(n, c_ast.FuncCall) and isinstance(n.name, c_ast.ID) and n.name.name in _OFFSETOF:
            return  # offsetof(type, member): the member is not a variable
        elif isinstance(n, c_ast.Struct | c_ast.Union):
            return  # fields are not variables; their sizes are constants
        elif isinstance(n, c_ast.Enum):
            for e in n.values.enumerators if n.values else []:
                self._visit(e.value)
                self._declare(e.name, None, renamable=False)  # shadows, never renamed
        elif isinstance(n, c_ast.FuncDecl):
            self._visit(n.type)  # its parameters have prototype scope: they declare nothing here
        elif isinstance(n, c_ast.FuncDef):
            return  # a GNU nested function: not analysed
        else:
            for _, child in n.children():
                self._visit(child)

    def _decl(self, d: c_ast.Decl) -> None:
        self._visit(d.type)  # array sizes, enumerators, typeof: before the name is in scope
        if d.name:
            local = not isinstance(d.type, c_ast.FuncDecl) and not {"extern", "typedef"} & set(d.storage)
            # an extern or a prototype names the global: it shadows, but is not a local
            self._declare(d.name, d if local else None, renamable=local and id(d) not in self.leading)
        self._visit(d.init)


def unique_local_names(f: c_ast.FuncDef, taken: set[str], functions: set[str] = frozenset()) -> list[str]:
    """Rename, in place, every local of ``f`` whose name is ambiguous in ``f`` (declared
    twice, or also used for a global): each declaration but a parameter or a leading one
    becomes ``name__bK``; one named like a function of ``functions`` always does, a
    parameter too (a call through it must not read as a call of the function:
    indirect.py). ``taken`` holds the names already used in the file (extended).
    Returns the new names."""
    binder = _Binder(f)
    by_name: dict[str, list[_Binding]] = {}
    for b in binder.bindings:
        by_name.setdefault(b.decl.name, []).append(b)
    renamed = []
    for name, bindings in by_name.items():
        function = name in functions
        if len(bindings) == 1 and name not in binder.free and not function:
            continue
        for b in bindings:
            if not b.renamable and not function:
                continue
            new = f"{name}__b{b.block}"
            while new in taken:
                new += "_"
            taken.add(new)
            _set_name(b.decl, new)
            for use in b.uses:
                use.name = new
            renamed.append(new)
    return renamed


def names_in(tree: c_ast.Node) -> set[str]:
    """Every identifier and declared name of a tree (the names a new name must avoid)."""
    out = set()
    for n in walk(tree):
        name = n.name if isinstance(n, c_ast.ID | c_ast.Decl) else n.declname if isinstance(n, c_ast.TypeDecl) else None
        if isinstance(name, str):
            out.add(name)
    return out


def _set_name(d: c_ast.Decl, new: str) -> None:
    d.name = new
    inner = d.type
    while not isinstance(inner, c_ast.TypeDecl):
        inner = inner.type
    inner.declname = new


# ---------------------------------------------------------------------------- lifting


def copy_address_taken_parameters(f: c_ast.FuncDef, taken: set[str]) -> list[str]:
    """Give each parameter of ``f`` whose address is taken a local copy of the same name,
    in place (``int g(int x) { p = &x; }`` as ``int g(int x__p) { int x = x__p; p = &x; }``).
    An array or function parameter (a pointer in disguise) is left to be refused."""
    address_taken = _address_taken(f.body)
    copies = []
    for p in parameters(f):
        if not (isinstance(p, c_ast.Decl) and p.name in address_taken
                and isinstance(p.type, c_ast.TypeDecl | c_ast.PtrDecl)):
            continue
        local = copy.deepcopy(p)
        new = f"{p.name}__p"
        while new in taken:
            new += "_"
        taken.add(new)
        _set_name(p, new)
        local.init = c_ast.ID(new, p.coord)
        copies.append(local)
    f.body.block_items = copies + (f.body.block_items or [])
    return [d.name for d in copies]


def _address_taken(body: c_ast.Node) -> set[str]:
    """Names whose address is taken: ``&x``, and ``&s.f`` or ``&s.a[i]`` (a pointer into s)."""
    return {n.expr.name if isinstance(n.expr, c_ast.ID) else member_root(n.expr) for n in walk(body)
            if isinstance(n, c_ast.UnaryOp) and n.op == "&"} - {None}


def lift_stack_blocks(f: c_ast.FuncDef, kind: Callable[[c_ast.Decl, set[str]], str | None]) -> list[str]:
    """Move, in place, every stack block of ``f`` declared after its leading declarations
    (in an inner block, or after a statement) to the top of its body; its initialiser
    becomes an assignment where it was. ``kind(decl, address_taken)`` says what a
    declaration is: ``"block"`` (a stack block), ``"vla"`` (a variable-length array,
    refused here) or ``None`` (anything else). Returns the lifted names. Run after
    ``unique_local_names``: a lifted name must not capture a use of another variable."""
    body = f.body.block_items or []
    lead = 0
    while lead < len(body) and isinstance(body[lead], c_ast.Decl):
        lead += 1
    leading = {id(d) for d in body[:lead]}
    address_taken = _address_taken(f.body)
    lifted: list[c_ast.Decl] = []

    def wanted(d: c_ast.Node) -> bool:
        return (isinstance(d, c_ast.Decl) and bool(d.name) and id(d) not in leading
                and not isinstance(d.type, c_ast.FuncDecl) and not {"static", "extern", "typedef"} & set(d.storage)
                and kind(d, address_taken) is not None)

    def items(stmts: list) -> list:
        out = []
        for s in stmts:
            if wanted(s):
                lifted.append(s)
                out.extend(_initialiser(s))
            else:
                visit(s)
                out.append(s)
        return out

    def visit(n: c_ast.Node | None) -> None:
        if n is None or isinstance(n, c_ast.FuncDef):
            return
        if isinstance(n, c_ast.Compound):
            n.block_items = items(n.block_items or [])
        elif isinstance(n, c_ast.Case | c_ast.Default):
            n.stmts = items(n.stmts or [])
        elif isinstance(n, c_ast.For) and isinstance(n.init, c_ast.DeclList) and any(map(wanted, n.init.decls)):
            lifted.extend(n.init.decls)  # all of them: a for's declarations are one list
            exprs = [e for d in n.init.decls for e in _initialiser(d)]
            n.init = exprs[0] if len(exprs) == 1 else c_ast.ExprList(exprs, n.coord) if exprs else None
            visit(n.stmt)
        else:
            for _, child in n.children():
                visit(child)

    f.body.block_items = items(body)
    for d in lifted:
        if kind(d, address_taken) == "vla":
            raise ConfigError(f"{where(d)}: {d.name} in {f.decl.name} is a variable-length array declared after "
                              "the function's leading declarations; its size is known only there, so it cannot "
                              "be moved to the top to be registered as a stack block: declare it among the "
                              "leading declarations, or give it a constant size")
    f.body.block_items[0:0] = lifted
    return [d.name for d in lifted]


def _initialiser(d: c_ast.Decl) -> list[c_ast.Node]:
    """The statement that does what ``d``'s initialiser did, if it has one; ``d`` loses it.
    An array or an initialiser list is copied from a compound literal of ``d``'s type, so
    that it runs again each time the block is entered, as the declaration did."""
    init, d.init = d.init, None
    if init is None:
        return []
    if isinstance(d.type, c_ast.ArrayDecl) and d.type.dim is None:  # int a[] = {...}: sized by it
        count = initializer_count(init)
        if count is not None:
            d.type.dim = c_ast.Constant("int", str(count), d.coord)
    target = c_ast.ID(d.name, d.coord)
    if not isinstance(init, c_ast.InitList) and not isinstance(d.type, c_ast.ArrayDecl):
        return [c_ast.Assignment("=", target, init, d.coord)]
    t = copy.deepcopy(d.type)
    inner = t
    while not isinstance(inner, c_ast.TypeDecl):
        inner = inner.type
    inner.declname = None
    if not isinstance(init, c_ast.InitList):  # char s[] = "text": {"text"} initialises the same
        init = c_ast.InitList([init], init.coord)
    literal = c_ast.CompoundLiteral(c_ast.Typename(None, [], None, t), init, [], d.coord)
    args = [c_ast.UnaryOp("&", target, d.coord), c_ast.UnaryOp("&", literal, d.coord),
            c_ast.UnaryOp("sizeof", c_ast.ID(d.name, d.coord), d.coord)]
    return [c_ast.FuncCall(c_ast.ID("__builtin_memcpy", d.coord), c_ast.ExprList(args, d.coord), d.coord)]
