"""The precompiler's data: what it decides (sites, variables, functions, the plan), the
nodes it puts into the pycparser AST, and small AST helpers shared by its passes."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

from pycparser import c_ast, c_generator

from testbed.mcl.ctype import CType, Unsupported, Void, canonical_name


class Raw(c_ast.Node):
    """Generated C text standing in for a statement."""

    __slots__ = ("text", "coord", "__weakref__")
    attr_names = ()

    def __init__(self, text: str, coord: object = None) -> None:
        self.text = text
        self.coord = coord

    def children(self) -> tuple:
        return ()


class SiteMark(c_ast.Node):
    """A poll-point's position in a statement list (replaced by code on emission)."""

    __slots__ = ("site", "coord", "__weakref__")
    attr_names = ()

    def __init__(self, site: Site, coord: object = None) -> None:
        self.site = site
        self.coord = coord

    def children(self) -> tuple:
        return ()


# The callee of a call through a function pointer (IndirectCall): it may be any function
# of the program's function table, so it stands for all of them in the call graph.
INDIRECT = "*pointer"


class IndirectCall(c_ast.FuncCall):
    """A call whose callee is an expression, not a function's name: a function-pointer
    variable, parameter, field or array element, ``(*fp)(x)`` (testbed/mcl/indirect.py)."""

    __slots__ = ()


class Generator(c_generator.CGenerator):
    """C text of the AST with the generated-code nodes. With ``line_directives``, every
    statement of the program is preceded by ``#line`` naming its place in the original
    source, so that compiler messages point there and not into the generated unit."""

    def __init__(self, line_directives: bool = False) -> None:
        super().__init__()
        self.line_directives = line_directives

    def _generate_stmt(self, n: c_ast.Node, add_indent: bool = False) -> str:
        text = super()._generate_stmt(n, add_indent)
        coord = getattr(n, "coord", None)
        if (not self.line_directives or isinstance(n, Raw | SiteMark | c_ast.Compound) or coord is None
                or not coord.file):
            return text
        return f'#line {coord.line} "{coord.file}"\n{text}'

    def visit_IndirectCall(self, n: IndirectCall) -> str:
        return self.visit_FuncCall(n)

    def visit_Raw(self, n: Raw) -> str:
        return n.text

    def visit_SiteMark(self, n: SiteMark) -> str:  # pragma: no cover - replaced before emission
        raise AssertionError("unreplaced poll-point marker")

    def visit_LiteralRef(self, n: c_ast.ID) -> str:  # a hoisted string literal (rodata.py)
        return f"((char *){n.name}.v)"

    def visit_BlockRef(self, n: BlockRef) -> str:
        return block_place(n.name)

    def visit_SeparatedDecl(self, n: SeparatedDecl) -> str:
        inner = copy.copy(n)
        inner.__class__ = c_ast.Decl
        inner.type = copy.deepcopy(n.type)
        t = inner.type
        while not isinstance(t, c_ast.TypeDecl):
            t = t.type
        t.declname = inner.name = BLOCK_MEMBER
        inner.init = None
        text = f"struct {{ {self.visit_Decl(inner)}; char __mcl_gap; }} {BLOCK_PREFIX}{n.name}"
        if n.init is not None:
            text += f" = {{ {self._visit_expr(n.init)} }}"
        return text


# A stack block the precompiler separates from its neighbours (testbed/mcl/separate.py):
# the program's `a` is the member BLOCK_MEMBER of a wrapper BLOCK_PREFIX + "a" that ends
# in a byte of its own, so one past a's end is never where another block starts.
BLOCK_PREFIX = "__mcl_sb_"
BLOCK_MEMBER = "v"


def block_place(name: str) -> str:
    """The C lvalue of a separated stack block."""
    return f"{BLOCK_PREFIX}{name}.{BLOCK_MEMBER}"


class BlockRef(c_ast.ID):
    """A use of a separated stack block: printed as its member of the wrapper."""

    __slots__ = ()


class SeparatedDecl(c_ast.Decl):
    """The declaration of a separated stack block: printed as the wrapper's."""

    __slots__ = ()


@dataclass
class Var:
    """A variable of a migratable function and how it travels."""

    name: str
    ctype: CType
    role: str  # scalar | pointer | func (function pointer) | value (struct by value) | block (stack block)
    order: int
    coord: str
    count: str = "1u"  # block: element count (C expression)
    elem: CType | None = None  # block: element type
    place: str = ""  # block: its C lvalue when it is not the name (a separated block)


@dataclass
class Site:
    id: int
    function: str
    kind: str  # poll | call
    coord: str
    reason: str  # loop, pragma, recursion; or the callee's name (INDIRECT: through a pointer)
    live: list[str] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)  # call sites: argument-only variables, zeroed on rewind
    stmt: c_ast.Node | None = None  # call sites: the statement that calls


@dataclass
class Function:
    name: str
    fid: int
    node: c_ast.FuncDef
    vars: dict[str, Var] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)
    variadic: bool = False

    @property
    def blocks(self) -> list[Var]:
        return [v for v in self.vars.values() if v.role == "block"]


@dataclass
class Plan:
    """What the precompiler decided: the sites, per function, for reports and the host."""

    functions: dict[str, Function]
    migratable: set[str]
    sites: list[Site]



@dataclass
class Marks:
    """Where the passes put code, keyed by the nodes themselves (by identity: pycparser
    nodes do not compare by value). Not by id(node): a node the passes drop is freed, and
    a new one could get its id (an initialiser list was taken for a marked return:
    pr58984.c)."""

    site_at: dict[c_ast.Node, Site] = field(default_factory=dict)  # poll-point anchors: loops and pragmas
    call_at: dict[c_ast.Node, tuple[Site, c_ast.FuncCall, str]] = field(default_factory=dict)  # call statements
    release_at: set[c_ast.Node] = field(default_factory=set)  # returns that must release stack blocks
    entry_poll: dict[str, Site] = field(default_factory=dict)  # functions whose first poll-point also dispatches


# --------------------------------------------------------------------------- AST helpers


def call_name(node: c_ast.Node) -> str | None:
    """The called function's name; INDIRECT for a call through a pointer."""
    if isinstance(node, IndirectCall):
        return INDIRECT
    if isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID):
        return node.name.name
    return None


def call_described(name: str | None) -> str:
    """A migratable call as error messages name it."""
    return "call through a function pointer" if name == INDIRECT else f"call of migratable function {name}"


def parameters(f: c_ast.FuncDef) -> list[c_ast.Node]:
    """The parameter list of ``f``'s declarator (Decl, ID of a K&R one, EllipsisParam)."""
    if isinstance(f.decl.type, c_ast.FuncDecl) and f.decl.type.args is not None:
        return list(f.decl.type.args.params)
    return []


def walk(node: c_ast.Node) -> Iterator[c_ast.Node]:
    yield node
    for _, child in node.children():
        yield from walk(child)


# The statements that hold a statement in a child (a Compound anywhere else is GNU C's
# statement expression, ``({ ...; value; })``).
_STATEMENT_HOLDERS = (c_ast.Compound, c_ast.If, c_ast.For, c_ast.While, c_ast.DoWhile, c_ast.Switch,
                      c_ast.Case, c_ast.Default, c_ast.Label, c_ast.FuncDef)


def statement_expressions(node: c_ast.Node, parent: c_ast.Node | None = None) -> Iterator[c_ast.Compound]:
    """The GNU statement expressions under ``node``, outermost first."""
    if isinstance(node, c_ast.Compound) and parent is not None and not isinstance(parent, _STATEMENT_HOLDERS):
        yield node
    for _, child in node.children():
        yield from statement_expressions(child, node)


def local_declarations(node: c_ast.Node) -> Iterator[c_ast.Decl]:
    """The declarations of variables (and prototypes) under ``node``, in source order: not
    the fields of a struct or union defined there, nor a prototype's parameters."""
    if isinstance(node, c_ast.Decl):
        yield node
    if isinstance(node, c_ast.Struct | c_ast.Union | c_ast.FuncDecl):
        return
    for _, child in node.children():
        yield from local_declarations(child)


def member_root(lvalue: c_ast.Node) -> str | None:
    """The variable an lvalue writes part of: ``s`` in ``s.f``, ``s.a[i].g`` (not through a
    pointer: ``p->f`` and ``p[i]`` write the pointee, which travels as its own block)."""
    node = lvalue
    through_member = False
    while isinstance(node, c_ast.StructRef | c_ast.ArrayRef):
        if isinstance(node, c_ast.StructRef):
            if node.type != ".":
                return None
            through_member = True
        node = node.name
    return node.name if through_member and isinstance(node, c_ast.ID) else None


def replace_child(parent: c_ast.Node, name: str, new: c_ast.Node) -> None:
    """Put ``new`` where ``parent``'s child ``name`` (as node.children() names it) was."""
    if "[" in name:
        attr, index = name[:-1].split("[")
        getattr(parent, attr)[int(index)] = new
    else:
        setattr(parent, name, new)


def gen(node: c_ast.Node) -> str:
    return Generator().visit(node)


def declare(type_node: c_ast.Node, name: str) -> str:
    """C text declaring ``name`` with a pycparser type node (the return type of a function)."""
    t = copy.deepcopy(type_node)
    inner = t
    while not isinstance(inner, c_ast.TypeDecl):
        inner = inner.type
    inner.declname = name
    return gen(c_ast.Decl(name, [], [], [], [], t, None, None))


def is_void(type_node: c_ast.Node) -> bool:
    return (isinstance(type_node, c_ast.TypeDecl) and isinstance(type_node.type, c_ast.IdentifierType)
            and type_node.type.names == ["void"])


def type_id(t: CType | None) -> str:
    if t is None or isinstance(t, Void | Unsupported):
        return "-1"
    return f"MIG_T_{canonical_name(t)}"


def is_pure(expr: c_ast.Node) -> bool:
    """Whether evaluating ``expr`` twice is harmless: names, members, subscripts,
    dereferences and casts of them, nothing that calls or assigns."""
    return not any(isinstance(n, c_ast.FuncCall | c_ast.Assignment) or (
        isinstance(n, c_ast.UnaryOp) and n.op in ("++", "--", "p++", "p--")) for n in walk(expr))
