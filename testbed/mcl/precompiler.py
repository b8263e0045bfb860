"""The MCL precompiler: makes a plain C program migratable at poll-points.

1. **Placement.** Poll-points go where the user writes ``#pragma mcl poll``; at the
   start of the body of every loop whose estimated cost (body cost x iterations: the
   literal trip count of ``for (i = A; i < B; i++)``, else ``trips``) exceeds ``max_cost`` and that has no poll-point inside already
   (innermost loops first, so outer loops are covered by inner ones); and at the
   entry of a recursive function whose own work per call, over ``trips`` calls,
   exceeds ``max_cost`` (recursion is treated like a loop of unknown length). A function is
   *migratable* if it has a poll-point or calls a migratable function; every call of a
   migratable function inside one is a *call site*, so the call chain can be rebuilt.
2. **Live variables.** Per function, a statement-level control-flow graph gives, at each
   site, the variables live there (used later before being redefined) that may have
   been assigned before it: only those travel. Locals whose address is taken, and local
   arrays, are *stack blocks*: registered in the MSR lookup table on entry, they travel
   as blocks (pointers into them stay valid).
3. **Transformation.** At a poll-point: ``if (MIG_POLL()) { record live variables;
   return }``; at a call site: after the call, ``if unwinding { record; return }``.
   Unwinding returns frame by frame to ``main``, which collects. On the destination
   ``main`` starts in rewinding mode; each function's prologue pops its record and jumps
   to its site, where an ``if (0) { restore-label: ... }`` block restores the variables
   and re-enters the call (or, innermost, the poll-point) exactly where it was.

Migration-unsafe constructs are refused with file:line (integer-to-pointer casts,
unions holding pointers, setjmp/longjmp, goto, untyped allocation, calls of migratable
functions inside larger expressions); a variadic function gets no poll-point, and one
that calls a migratable function is refused (its va_list state cannot travel).
Pointer arithmetic that leaves its block is caught at collection time by the runtime.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from pycparser import c_ast, c_generator

from testbed.errors import ConfigError
from testbed.mcl.cparse import (
    Array,
    CType,
    Pointer,
    Prim,
    Struct,
    TypeResolver,
    Unsupported,
    VarArray,
    Void,
    canonical_name,
    is_runtime_file,
    where,
)

# Estimated instructions between two poll-points: about 10 ms on a 20 MHz DECstation, a
# migration latency a scheduler can live with; --max-cost overrides it.
DEFAULT_MAX_COST = 200_000
DEFAULT_TRIPS = 100  # assumed iterations of a loop whose trip count is unknown
CALL_COST = 6

UNSAFE_CALLS = {"setjmp", "longjmp", "_setjmp", "sigsetjmp", "siglongjmp"}


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


class Generator(c_generator.CGenerator):
    def visit_Raw(self, n: Raw) -> str:
        return n.text

    def visit_SiteMark(self, n: SiteMark) -> str:  # pragma: no cover - replaced before emission
        raise AssertionError("unreplaced poll-point marker")


@dataclass
class Var:
    """A variable of a migratable function and how it travels."""

    name: str
    ctype: CType
    role: str  # scalar | pointer | value (struct by value) | block (registered stack block)
    order: int
    coord: str
    count: str = "1u"  # block: element count (C expression)
    elem: CType | None = None  # block: element type


@dataclass
class Site:
    id: int
    function: str
    kind: str  # poll | call
    coord: str
    reason: str  # loop, pragma, recursion; or the callee's name
    live: list[str] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)  # call sites: argument-only variables, zeroed on rewind
    stmt_id: int = 0


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


# --------------------------------------------------------------------------- utilities


def _call_name(node: c_ast.Node) -> str | None:
    if isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID):
        return node.name.name
    return None


def _walk(node: c_ast.Node):
    yield node
    for _, child in node.children():
        yield from _walk(child)


def _gen(node: c_ast.Node) -> str:
    return Generator().visit(node)


def _declare(type_node: c_ast.Node, name: str) -> str:
    """C text declaring ``name`` with a pycparser type node (the return type of a function)."""
    t = copy.deepcopy(type_node)
    inner = t
    while not isinstance(inner, c_ast.TypeDecl):
        inner = inner.type
    inner.declname = name
    return _gen(c_ast.Decl(name, [], [], [], [], t, None, None))


def _is_void(type_node: c_ast.Node) -> bool:
    return (isinstance(type_node, c_ast.TypeDecl) and isinstance(type_node.type, c_ast.IdentifierType)
            and type_node.type.names == ["void"])


def _type_id(t: CType | None) -> str:
    if t is None or isinstance(t, Void | Unsupported):
        return "-1"
    return f"MIG_T_{canonical_name(t)}"


# --------------------------------------------------------------------------- checks


def check_unsafe(ast: c_ast.FileAST, resolver: TypeResolver) -> None:
    """Refuse the constructs whose state cannot migrate, naming file:line."""
    for top in ast.ext:
        if is_runtime_file(getattr(top.coord, "file", None)):
            continue
        for node in _walk(top):
            name = _call_name(node)
            if name in UNSAFE_CALLS:
                raise ConfigError(f"{where(node)}: {name}() is migration-unsafe: a saved jump buffer "
                                  "holds machine registers and addresses that mean nothing on another machine")
            if isinstance(node, c_ast.Goto | c_ast.Label):
                raise ConfigError(f"{where(node)}: goto/labels are not accepted by the MCL precompiler "
                                  "(it adds its own); use structured control flow")
            if isinstance(node, c_ast.Cast) and isinstance(node.to_type.type, c_ast.PtrDecl):
                if _integer_valued(node.expr):
                    raise ConfigError(f"{where(node)}: an integer is cast to a pointer "
                                      f"({_gen(node)}): such a pointer cannot be translated on another machine")
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


# --------------------------------------------------------------------------- cost model


def _literal(node: c_ast.Node | None) -> int | None:
    if isinstance(node, c_ast.Constant) and node.type in ("int", "long int", "unsigned int"):
        try:
            return int(node.value.rstrip("uUlL"), 0)
        except ValueError:
            return None
    return None


class _Costs:
    """Static cost estimates (instructions, roughly), with loops at ``trips`` iterations."""

    def __init__(self, functions: dict[str, c_ast.FuncDef], trips: int) -> None:
        self.functions = functions
        self.trips = trips
        self.total: dict[str, int] = {}
        self.migratable: set[str] = set()
        self.polled_loops: set[int] = set()  # id() of loops that got a poll-point
        self.computing: set[str] = set()

    def function(self, name: str) -> int:
        if name in self.migratable:
            return CALL_COST
        if name in self.computing:  # a recursive call: its work is counted per call
            return 0
        if name not in self.total:
            self.computing.add(name)
            self.total[name] = self.of(self.functions[name].body)
            self.computing.discard(name)
        return self.total[name]

    def trip_count(self, loop: c_ast.Node) -> int:
        """Iterations of ``for (i = A; i < B; i++)`` with literal A and B (after the
        preprocessor); ``trips`` for any other loop."""
        if not isinstance(loop, c_ast.For):
            return self.trips
        init, cond, step = loop.init, loop.cond, loop.next
        if isinstance(init, c_ast.DeclList) and len(init.decls) == 1:
            var, start = init.decls[0].name, init.decls[0].init
        elif isinstance(init, c_ast.Assignment) and init.op == "=" and isinstance(init.lvalue, c_ast.ID):
            var, start = init.lvalue.name, init.rvalue
        else:
            return self.trips
        if not (isinstance(cond, c_ast.BinaryOp) and cond.op in ("<", "<=") and isinstance(cond.left, c_ast.ID)
                and cond.left.name == var):
            return self.trips
        unit_step = (isinstance(step, c_ast.UnaryOp) and step.op in ("++", "p++") and isinstance(step.expr, c_ast.ID)
                     and step.expr.name == var)
        a, b = _literal(start), _literal(cond.right)
        if not unit_step or a is None or b is None:
            return self.trips
        return max(0, b - a + (1 if cond.op == "<=" else 0))

    def of(self, node: c_ast.Node | None) -> int:
        if node is None:
            return 0
        if isinstance(node, c_ast.For | c_ast.While | c_ast.DoWhile):
            parts = [getattr(node, "cond", None), getattr(node, "next", None)]
            body = self.of(node.stmt) + sum(self.of(p) for p in parts)
            trips = self.trip_count(node)
            return self.of(getattr(node, "init", None)) + (body if id(node) in self.polled_loops else body * trips)
        if isinstance(node, c_ast.FuncCall):
            name = _call_name(node)
            cost = CALL_COST + self.of(node.args)
            if name in self.functions:
                cost += self.function(name)
            return cost
        if isinstance(node, SiteMark | Raw):
            return 0
        # identifiers and constants are register or immediate operands: operators cost
        own = 0 if isinstance(node, c_ast.ID | c_ast.Constant | c_ast.Compound | c_ast.Decl | c_ast.TypeDecl
                              | c_ast.IdentifierType | c_ast.PtrDecl | c_ast.ExprList) else 1
        return own + sum(self.of(child) for _, child in node.children())


# --------------------------------------------------------------------------- liveness


class _Node:
    __slots__ = ("uses", "defs", "succ", "pred", "live_in", "assigned_in", "site", "arg_uses")

    def __init__(self, uses: set[str] = frozenset(), defs: set[str] = frozenset(), site: Site | None = None) -> None:
        self.uses = set(uses)
        self.defs = set(defs)
        self.succ: list[_Node] = []
        self.pred: list[_Node] = []
        self.live_in: set[str] = set()
        self.assigned_in: set[str] = set()
        self.site = site
        self.arg_uses: set[str] = set()  # call sites: variables only the call's arguments read


class _Liveness:
    """Statement-level CFG of one function and the dataflow over it."""

    def __init__(self, fn: Function, call_sites: dict[int, Site]) -> None:
        self.tracked = {n for n, v in fn.vars.items() if v.role != "block"}
        self.call_sites = call_sites  # id(statement node) -> its call site
        self.nodes: list[_Node] = []
        self.exit = self._new()

    def _new(self, uses: set[str] = frozenset(), defs: set[str] = frozenset(), site: Site | None = None) -> _Node:
        n = _Node(uses & self.tracked, defs & self.tracked, site)
        self.nodes.append(n)
        return n

    def _link(self, a: _Node, *succ: _Node) -> _Node:
        a.succ.extend(succ)
        return a

    # uses and defs of an expression
    def ud(self, e: c_ast.Node | None) -> tuple[set[str], set[str]]:
        uses: set[str] = set()
        defs: set[str] = set()

        def visit(n: c_ast.Node | None) -> None:
            if n is None:
                return
            if isinstance(n, c_ast.ID):
                uses.add(n.name)
            elif isinstance(n, c_ast.Assignment):
                if isinstance(n.lvalue, c_ast.ID):
                    if n.op != "=":
                        uses.add(n.lvalue.name)
                    visit(n.rvalue)
                    defs.add(n.lvalue.name)
                else:
                    visit(n.lvalue)
                    visit(n.rvalue)
            elif isinstance(n, c_ast.UnaryOp) and n.op in ("++", "--", "p++", "p--") and isinstance(n.expr, c_ast.ID):
                uses.add(n.expr.name)
                defs.add(n.expr.name)
            elif isinstance(n, c_ast.UnaryOp) and n.op == "sizeof":
                return
            elif isinstance(n, c_ast.StructRef):
                visit(n.name)  # s.f / p->f: the field name is not a variable
            else:
                for _, child in n.children():
                    visit(child)

        visit(e)
        return uses, defs

    def build(self, s: c_ast.Node | None, nxt: _Node, brk: _Node | None, cont: _Node | None) -> _Node:
        if s is None or isinstance(s, c_ast.EmptyStatement | c_ast.Pragma):
            return nxt
        if isinstance(s, c_ast.Compound):
            entry = nxt
            for item in reversed(s.block_items or []):
                entry = self.build(item, entry, brk, cont)
            return entry
        if isinstance(s, SiteMark):
            return self._link(self._new(site=s.site), nxt)
        if isinstance(s, c_ast.Decl):
            uses, defs = self.ud(s.init)
            uses |= self.ud(s.type)[0]  # VLA sizes
            return self._link(self._new(uses, defs | ({s.name} if s.init is not None else set()),
                                        site=self.call_sites.get(id(s))), nxt)
        if isinstance(s, c_ast.DeclList):
            entry = nxt
            for d in reversed(s.decls):
                entry = self.build(d, entry, brk, cont)
            return entry
        if isinstance(s, c_ast.If):
            c = self._new(*self.ud(s.cond))
            return self._link(c, self.build(s.iftrue, nxt, brk, cont), self.build(s.iffalse, nxt, brk, cont))
        if isinstance(s, c_ast.While):
            c = self._new(*self.ud(s.cond))
            return self._link(c, self.build(s.stmt, c, nxt, c), nxt)
        if isinstance(s, c_ast.DoWhile):
            c = self._new(*self.ud(s.cond))
            body = self.build(s.stmt, c, nxt, c)
            return self._link(c, body, nxt) and body
        if isinstance(s, c_ast.For):
            c = self._new(*self.ud(s.cond)) if s.cond is not None else self._new()
            step = self._link(self._new(*self.ud(s.next)), c) if s.next is not None else c
            body = self.build(s.stmt, step, nxt, step)
            self._link(c, body, *([nxt] if s.cond is not None else []))
            return self.build(s.init, c, brk, cont) if s.init is not None else c
        if isinstance(s, c_ast.Switch):
            c = self._new(*self.ud(s.cond))
            items = s.stmt.block_items or [] if isinstance(s.stmt, c_ast.Compound) else [s.stmt]
            entry = nxt
            entries = []
            has_default = False
            for item in reversed(items):
                if isinstance(item, c_ast.Case | c_ast.Default):
                    has_default |= isinstance(item, c_ast.Default)
                    for st in reversed(item.stmts or []):
                        entry = self.build(st, entry, nxt, cont)
                    entries.append(entry)
                else:
                    entry = self.build(item, entry, nxt, cont)
            return self._link(c, *entries, *([] if has_default else [nxt]))
        if isinstance(s, c_ast.Return):
            uses, defs = self.ud(s.expr)
            return self._link(self._new(uses, defs, site=self.call_sites.get(id(s))), self.exit)
        if isinstance(s, c_ast.Break):
            assert brk is not None
            return brk
        if isinstance(s, c_ast.Continue):
            assert cont is not None
            return cont
        # an expression statement
        uses, defs = self.ud(s)
        return self._link(self._new(uses, defs, site=self.call_sites.get(id(s))), nxt)

    def solve(self, entry: _Node, params: set[str]) -> None:
        for n in self.nodes:
            for m in n.succ:
                m.pred.append(n)
        changed = True
        while changed:  # live variables, backwards
            changed = False
            for n in reversed(self.nodes):
                out: set[str] = set()
                for m in n.succ:
                    out |= m.live_in
                new = n.uses | (out - n.defs)
                if new != n.live_in:
                    n.live_in = new
                    changed = True
        entry.assigned_in = set(params)
        changed = True
        while changed:  # possibly assigned, forwards
            changed = False
            for n in self.nodes:
                inn = set(params) if n is entry else set()
                for p in n.pred:
                    inn |= p.assigned_in | p.defs
                if inn != n.assigned_in:
                    n.assigned_in = inn
                    changed = True


# --------------------------------------------------------------------------- the pass


class Precompiler:
    def __init__(self, ast: c_ast.FileAST, resolver: TypeResolver, max_cost: int = DEFAULT_MAX_COST,
                 trips: int = DEFAULT_TRIPS) -> None:
        self.ast = ast
        self.r = resolver
        self.max_cost = max_cost
        self.trips = trips
        self.defs: dict[str, c_ast.FuncDef] = {}
        for top in ast.ext:
            if isinstance(top, c_ast.FuncDef) and not is_runtime_file(getattr(top.coord, "file", None)):
                self.defs[top.decl.name] = top
        if "main" not in self.defs:
            raise ConfigError("the program has no main function")
        self.calls: dict[str, set[str]] = {n: {c for c in map(_call_name, _walk(f.body)) if c in self.defs}
                                           for n, f in self.defs.items()}
        self.functions: dict[str, Function] = {}
        self.sites: list[Site] = []
        self.polls: dict[str, list[tuple[c_ast.Node, str]]] = {n: [] for n in self.defs}  # (anchor, reason)
        # marks on AST nodes (pycparser nodes have __slots__): keyed by id(node)
        self.site_at: dict[int, Site] = {}  # poll-point anchors: loops and pragmas
        self.call_at: dict[int, tuple[Site, c_ast.FuncCall, str]] = {}
        self.release_at: set[int] = set()  # returns that must release stack blocks
        self.tail_calls: set[int] = set()
        self.entry_poll: dict[str, Site] = {}  # functions whose first poll-point also dispatches

    # ---- placement ----

    def _recursive(self) -> set[str]:
        """Functions on a call-graph cycle (Tarjan's strongly connected components)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on: set[str] = set()
        out: set[str] = set()
        counter = [0]

        def strong(v: str) -> None:
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in sorted(self.calls[v]):
                if w not in index:
                    strong(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in self.calls[v]:
                    out.update(comp)

        for v in self.defs:
            if v not in index:
                strong(v)
        return out

    def _variadic(self, name: str) -> bool:
        params = self.defs[name].decl.type.args
        return bool(params and any(isinstance(p, c_ast.EllipsisParam) for p in params.params))

    def place(self) -> None:
        recursive = self._recursive()
        for name, f in self.defs.items():
            for node in _walk(f.body):
                if isinstance(node, c_ast.Pragma) and node.string.split()[:2] == ["mcl", "poll"]:
                    if self._variadic(name):
                        raise ConfigError(f"{where(node)}: #pragma mcl poll in variadic function {name}: "
                                          "its va_list state cannot migrate")
                    self.polls[name].append((node, "pragma"))
        costs = _Costs(self.defs, self.trips)
        costs.migratable = {n for n, p in self.polls.items() if p}
        for name in self._bottom_up():
            if not self._variadic(name):
                polled = self._place_loops(name, self.defs[name].body, costs)
                if name in recursive and not polled:
                    # recursive calls cost nothing here: the per-call work, times trips
                    if costs.of(self.defs[name].body) * self.trips > self.max_cost:
                        self.polls[name].append((None, "recursion"))
            if self.polls[name] or self.calls[name] & costs.migratable:
                costs.migratable.add(name)
        changed = True
        while changed:  # callers of migratable functions are migratable (cycles included)
            changed = False
            for name in self.defs:
                if name not in costs.migratable and self.calls[name] & costs.migratable:
                    costs.migratable.add(name)
                    changed = True
        if costs.migratable:
            costs.migratable.add("main")
        self.migratable = costs.migratable
        for name in self.migratable:
            if self._variadic(name):
                raise ConfigError(f"{where(self.defs[name])}: variadic function {name} calls a migratable "
                                  "function: its va_list state cannot migrate")

    def _bottom_up(self) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()

        def visit(v: str) -> None:
            if v in seen:
                return
            seen.add(v)
            for w in sorted(self.calls[v]):
                visit(w)
            order.append(v)

        for v in sorted(self.defs):
            visit(v)
        return order

    def _place_loops(self, name: str, node: c_ast.Node, costs: _Costs) -> bool:
        """Place loop poll-points under ``node`` (innermost first); True if ``node``
        contains a poll-point or a call of a migratable function."""
        polled = False
        for _, child in node.children():
            polled |= self._place_loops(name, child, costs)
        if isinstance(node, c_ast.Pragma) and node.string.split()[:2] == ["mcl", "poll"]:
            polled = True
        if _call_name(node) in costs.migratable:
            polled = True
        if isinstance(node, c_ast.For | c_ast.While | c_ast.DoWhile) and not polled:
            body = costs.of(node.stmt) + costs.of(node.cond) + costs.of(getattr(node, "next", None))
            if body * costs.trip_count(node) > self.max_cost:
                costs.polled_loops.add(id(node))
                self.polls[name].append((node, "loop"))
                polled = True
        return polled

    # ---- variables ----

    def _variables(self, fn: Function) -> None:
        f = fn.node
        address_taken = {n.expr.name for n in _walk(f.body)
                         if isinstance(n, c_ast.UnaryOp) and n.op == "&" and isinstance(n.expr, c_ast.ID)}
        order = 0
        params = f.decl.type.args.params if f.decl.type.args else []
        for p in params:
            if isinstance(p, c_ast.EllipsisParam) or not getattr(p, "name", None):
                continue
            t = self.r.resolve_param(p)
            if p.name in address_taken:
                raise ConfigError(f"{where(p)}: the address of parameter {p.name} of {fn.name} is taken; "
                                  "copy it into a local variable first so it can be registered as a stack block")
            fn.vars[p.name] = Var(p.name, t, self._role(t, p), order, where(p))
            order += 1
        top_level = {id(d) for d in (f.body.block_items or []) if isinstance(d, c_ast.Decl)}
        for node in _walk(f.body):
            if not isinstance(node, c_ast.Decl) or not node.name or isinstance(node.type, c_ast.FuncDecl):
                continue
            if "static" in node.storage or "extern" in node.storage:
                raise ConfigError(f"{where(node)}: static or extern local {node.name} in migratable function "
                                  f"{fn.name}: declare it at file scope so it is registered as a global")
            if node.name in fn.vars:
                raise ConfigError(f"{where(node)}: {node.name} is declared twice in migratable function "
                                  f"{fn.name}; give the inner one another name")
            t = self.r.resolve_variable(node)
            if isinstance(t, Unsupported):
                raise ConfigError(f"{where(node)}: local {node.name} of migratable function {fn.name} has a "
                                  f"type that cannot migrate ({t.what})")
            is_block = isinstance(t, Array | VarArray) or node.name in address_taken
            if is_block and id(node) not in top_level:
                raise ConfigError(f"{where(node)}: {node.name} in {fn.name} is an array or has its address "
                                  "taken, so it is a stack block; declare it at the top of the function")
            var = Var(node.name, t, "block" if is_block else self._role(t, node), order, where(node))
            if is_block:
                if isinstance(t, Array):
                    var.elem, var.count = t.elem, f"{t.count}u"
                elif isinstance(t, VarArray):
                    var.elem, var.count = t.elem, f"(unsigned)({_gen(t.size)})"
                else:
                    var.elem = t
            fn.vars[node.name] = var
            order += 1

    def _role(self, t: CType, node: c_ast.Node) -> str:
        if isinstance(t, Pointer):
            return "pointer"
        if isinstance(t, Prim):
            return "scalar"
        if isinstance(t, Struct):
            return "value"
        raise ConfigError(f"{where(node)}: a variable of type {t} cannot migrate")

    # ---- the transformation ----

    def run(self) -> Plan:
        self.place()
        fids = {"main": 0}
        for name in self.defs:
            if name in self.migratable and name not in fids:
                fids[name] = len(fids)
        for name in fids:
            fn = Function(name, fids[name], self.defs[name], variadic=self._variadic(name))
            self._variables(fn)
            self.functions[name] = fn
        for fn in self.functions.values():
            self._transform(fn)
        return Plan(self.functions, self.migratable, self.sites)

    def _new_site(self, fn: Function, kind: str, node: c_ast.Node | None, reason: str) -> Site:
        site = Site(len(fn.sites) + 1, fn.name, kind, where(node if node is not None else fn.node), reason)
        fn.sites.append(site)
        self.sites.append(site)
        return site

    def _transform(self, fn: Function) -> None:
        body = fn.node.body
        # 1. poll-point markers
        for anchor, reason in self.polls[fn.name]:
            if anchor is None:  # recursion: at the function's entry, after the prologue
                continue
            self.site_at[id(anchor)] = self._new_site(fn, "poll", anchor, reason)
        entry_site = None
        if any(a is None for a, _ in self.polls[fn.name]):
            entry_site = self._new_site(fn, "poll", fn.node, "recursion")
            if fn.name != "main":
                self.entry_poll[fn.name] = entry_site
        call_sites: dict[int, Site] = {}
        temps: list[str] = []
        self.tail_calls = self._self_tail_calls(fn) if not fn.blocks else set()
        body.block_items = self._rewrite_items(fn, body.block_items or [], call_sites, temps)
        # leading declarations stay first: the prologue (registration, dispatch) follows them
        items = body.block_items
        lead = 0
        while lead < len(items) and isinstance(items[lead], c_ast.Decl):
            lead += 1
        for d in items[:lead]:
            for n in _walk(d):
                if _call_name(n) in self.migratable:
                    raise ConfigError(f"{where(n)}: call of migratable function {_call_name(n)} in a "
                                      "declaration at the top of a function; declare, then assign")
        if entry_site is not None:
            items.insert(lead, SiteMark(entry_site))
        # pointers start out NULL in migratable functions: a never-assigned pointer that
        # analysis cannot prove dead must not look like an address
        for d in items[:lead]:
            if d.init is None and fn.vars.get(d.name) is not None and fn.vars[d.name].role == "pointer":
                d.init = c_ast.Constant("int", "0")
        # 2. liveness
        live = _Liveness(fn, call_sites)
        entry = live.build(body, live.exit, None, None)
        params = {p.name for p in (fn.node.decl.type.args.params if fn.node.decl.type.args else [])
                  if getattr(p, "name", None)}
        live.solve(entry, params)
        skip = {"argc", "argv"} if fn.name == "main" else set()
        for n in live.nodes:
            if n.site is None:
                continue
            if n.site.kind == "call":
                # After the call returns, only what is live after it matters; the arguments
                # are re-evaluated on rewind, and the callee restores its own parameters
                # from its record. Arguments that read memory through a variable keep it.
                out: set[str] = set()
                for m in n.succ:
                    out |= m.live_in
                call = self.call_at[n.site.stmt_id][1]
                needed = (out - n.defs) | self._dereferenced(call, live)
                n.site.zero = sorted((n.uses - needed) & live.tracked, key=lambda v: fn.vars[v].order)
                keep = needed & n.assigned_in
            else:
                keep = n.live_in & n.assigned_in
            n.site.live = sorted(keep - skip, key=lambda v: fn.vars[v].order)
        # 3. code
        self._emit_sites(fn, body)
        prologue = self._prologue(fn)
        body.block_items = items[:lead] + [Raw(t) for t in temps] + prologue + items[lead:]
        if fn.name != "main" and fn.blocks and not isinstance(items[-1] if items else None, c_ast.Return):
            body.block_items.append(Raw(f"mig_release_stack({len(fn.blocks)}u);"))

    def _rewrite_items(self, fn: Function, items: list, call_sites: dict[int, Site], temps: list[str]) -> list:
        out: list = []
        for s in items:
            out.extend(self._rewrite(fn, s, call_sites, temps))
        return out

    def _as_stmt(self, stmts: list) -> c_ast.Node:
        return stmts[0] if len(stmts) == 1 else c_ast.Compound(stmts)

    def _rewrite(self, fn: Function, s: c_ast.Node | None, call_sites: dict[int, Site], temps: list[str]) -> list:
        """Statement -> statements: call sites recognised, loop polls marked, returns
        releasing stack blocks."""
        if s is None:
            return []
        if isinstance(s, c_ast.Pragma):
            site = self.site_at.get(id(s))
            return [SiteMark(site, s.coord)] if site else [s]
        if isinstance(s, c_ast.Compound):
            s.block_items = self._rewrite_items(fn, s.block_items or [], call_sites, temps)
            return [s]
        if isinstance(s, c_ast.If):
            self._no_migratable_call(s.cond)
            s.iftrue = self._as_stmt(self._rewrite(fn, s.iftrue, call_sites, temps)) if s.iftrue else None
            s.iffalse = self._as_stmt(self._rewrite(fn, s.iffalse, call_sites, temps)) if s.iffalse else None
            return [s]
        if isinstance(s, c_ast.For | c_ast.While | c_ast.DoWhile):
            for part in (getattr(s, "init", None), s.cond, getattr(s, "next", None)):
                self._no_migratable_call(part)
            stmts = self._rewrite(fn, s.stmt, call_sites, temps)
            site = self.site_at.get(id(s))
            if site is not None:
                stmts = [SiteMark(site, s.coord)] + (stmts[0].block_items or [] if len(stmts) == 1 and isinstance(stmts[0], c_ast.Compound) else stmts)
                s.stmt = c_ast.Compound(stmts)
            else:
                s.stmt = self._as_stmt(stmts) if stmts else c_ast.Compound([])
            return [s]
        if isinstance(s, c_ast.Switch):
            self._no_migratable_call(s.cond)
            s.stmt = self._as_stmt(self._rewrite(fn, s.stmt, call_sites, temps))
            return [s]
        if isinstance(s, c_ast.Case | c_ast.Default):
            s.stmts = self._rewrite_items(fn, s.stmts or [], call_sites, temps)
            return [s]
        call, form = self._statement_call(s)
        if call is not None and id(s) in self.tail_calls:
            return [s]  # a self tail call needs no site: see _self_tail_calls
        if call is not None:
            site = self._new_site(fn, "call", s, call.name.name)
            site.stmt_id = id(s)
            call_sites[id(s)] = site
            self.call_at[id(s)] = (site, call, form)
            if form in ("assign", "return", "decl"):
                callee_type = self.defs[call.name.name].decl.type.type
                if not _is_void(callee_type):
                    temps.append(_declare(callee_type, f"__mcl_t{site.id}") + ";")
            return [s]
        self._no_migratable_call(s)
        if isinstance(s, c_ast.Return) and fn.name != "main" and fn.blocks:
            self.release_at.add(id(s))
        return [s]

    def _self_tail_calls(self, fn: Function) -> set[int]:
        """Statements that call ``fn`` itself in tail position (nothing but ``return`` of
        the result follows). Such a caller frame adds nothing to the state: on the
        destination the outer call re-enters ``fn``, which restores the innermost record and
        returns the same result. Leaving them unchecked keeps gcc's tail-call elimination
        (bimerge's second recursion becomes a loop again). Only for functions without
        stack blocks, whose frames register nothing."""
        void = _is_void(fn.node.decl.type.type)
        found: set[int] = set()

        def block(items: list, after: tuple | None) -> tuple | None:
            cont = after
            for item in reversed(items):
                cont = stmt(item, cont)
            return cont

        def stmt(s: c_ast.Node, after: tuple | None) -> tuple | None:
            """The continuation before ``s``: ("ret", var) when exactly `return var` follows."""
            if isinstance(s, c_ast.Compound):
                return block(s.block_items or [], after)
            if isinstance(s, c_ast.If):
                stmt(s.iftrue, after)
                if s.iffalse is not None:
                    stmt(s.iffalse, after)
                return None
            if isinstance(s, c_ast.For | c_ast.While | c_ast.DoWhile | c_ast.Switch):
                inner = s.stmt
                if inner is not None:
                    stmt(inner, None)
                return None
            if isinstance(s, c_ast.Case | c_ast.Default):
                block(s.stmts or [], None)
                return None
            if isinstance(s, c_ast.Return):
                if s.expr is None:
                    return ("ret", None)
                if _call_name(s.expr) == fn.name:
                    found.add(id(s))
                return ("ret", s.expr.name) if isinstance(s.expr, c_ast.ID) else None
            if _call_name(s) == fn.name and after == ("ret", None):
                found.add(id(s))
            if (isinstance(s, c_ast.Assignment) and s.op == "=" and isinstance(s.lvalue, c_ast.ID)
                    and _call_name(s.rvalue) == fn.name and after == ("ret", s.lvalue.name)):
                found.add(id(s))
            return None

        block(fn.node.body.block_items or [], ("ret", None) if void else None)
        return found

    def _statement_call(self, s: c_ast.Node) -> tuple[c_ast.FuncCall | None, str]:
        """A call of a migratable function in one of the accepted statement forms."""
        def ok(call: c_ast.Node) -> bool:
            if _call_name(call) not in self.migratable:
                return False
            self._no_migratable_call(call.args)
            return True

        if isinstance(s, c_ast.FuncCall) and ok(s):
            return s, "call"
        if isinstance(s, c_ast.Assignment) and s.op == "=" and isinstance(s.lvalue, c_ast.ID) and ok(s.rvalue):
            return s.rvalue, "assign"
        if isinstance(s, c_ast.Return) and s.expr is not None and ok(s.expr):
            return s.expr, "return"
        if isinstance(s, c_ast.Decl) and s.init is not None and ok(s.init):
            return s.init, "decl"
        return None, ""

    @staticmethod
    def _dereferenced(call: c_ast.FuncCall, live: _Liveness) -> set[str]:
        """Variables an argument reads memory through (p->f, *p, a[i], calls): evaluating
        the argument on rewind must not touch garbage, so these must be restored."""
        out: set[str] = set()
        for arg in (call.args.exprs if call.args else []):
            for n in _walk(arg):
                if isinstance(n, c_ast.StructRef | c_ast.ArrayRef | c_ast.FuncCall) or (
                        isinstance(n, c_ast.UnaryOp) and n.op == "*"):
                    out |= live.ud(arg)[0]
                    break
        return out & live.tracked

    def _no_migratable_call(self, node: c_ast.Node | None) -> None:
        if node is None:
            return
        for n in _walk(node):
            name = _call_name(n)
            if name in self.migratable:
                raise ConfigError(
                    f"{where(n)}: call of migratable function {name} inside an expression or a loop or "
                    "branch condition; make it a statement of its own (f(...); x = f(...); return f(...);)"
                )

    # ---- emission ----

    def _record(self, fn: Function, names: list[str]) -> list[str]:
        lines = [f"mig_rec_ptr({v.name if isinstance(v.ctype, Array | VarArray) else '&' + v.name}, {_type_id(v.elem)});"
                 for v in fn.blocks]
        for name in names:
            v = fn.vars[name]
            lines.append(self._rec_one(v))
        return lines

    def _rec_one(self, v: Var) -> str:
        t = v.ctype
        if v.role == "pointer":
            assert isinstance(t, Pointer)
            return f"mig_rec_ptr({v.name}, {_type_id(t.target)});"
        if v.role == "value":
            return f"mig_rec_obj(&{v.name}, {_type_id(t)}, 1u);"
        assert isinstance(t, Prim)
        kind = {"U32": "u32", "I64": "i64", "U64": "i64", "F32": "f32", "F64": "f64"}.get(t.prim, "i32")
        cast = "(long long)" if kind == "i64" else ""
        return f"mig_rec_{kind}({cast}{v.name});"

    def _restore(self, fn: Function, names: list[str]) -> list[str]:
        lines = ["(void)mig_ld_ptr();" for _ in fn.blocks]  # restored in place, as blocks
        for name in names:
            v = fn.vars[name]
            t = v.ctype
            if v.role == "pointer":
                lines.append(f"{name} = mig_ld_ptr();")
            elif v.role == "value":
                lines.append(f"mig_ld_obj(&{name}, {_type_id(t)}, 1u);")
            else:
                assert isinstance(t, Prim)
                kind = {"U32": "u32", "I64": "i64", "U64": "i64", "F32": "f32", "F64": "f64"}.get(t.prim, "i32")
                lines.append(f"{name} = mig_ld_{kind}();")
        return lines

    def _leave(self, fn: Function) -> str:
        if fn.name == "main":
            return "if (mig_collect())\n        goto __mcl_dispatch;\n    return 0;"
        release = f"mig_release_stack({len(fn.blocks)}u);\n    " if fn.blocks else ""
        ret = fn.node.decl.type.type
        if _is_void(ret):
            return release + "return;"
        if isinstance(ret, c_ast.TypeDecl) and isinstance(ret.type, c_ast.Struct | c_ast.IdentifierType) and not isinstance(ret.type, c_ast.IdentifierType):
            return release + "{ static " + _declare(ret, "__mcl_z") + "; return __mcl_z; }"
        return release + "return 0;"

    def _emit_sites(self, fn: Function, node: c_ast.Node) -> None:
        for name, child in list(node.children()):
            if isinstance(child, SiteMark):
                self._replace(node, name, Raw(self._poll_code(fn, child.site)))
                continue
            call = self.call_at.get(id(child))
            if call is not None:
                self._replace(node, name, Raw(self._call_code(fn, child, *call)))
                continue
            if id(child) in self.release_at:
                self._replace(node, name, Raw(self._return_code(fn, child)))
                continue
            self._emit_sites(fn, child)

    @staticmethod
    def _replace(parent: c_ast.Node, name: str, new: c_ast.Node) -> None:
        if "[" in name:
            attr, index = name[:-1].split("[")
            getattr(parent, attr)[int(index)] = new
        else:
            setattr(parent, name, new)

    def _poll_code(self, fn: Function, site: Site) -> str:
        restore = "\n        ".join(self._restore(fn, site.live))
        record = "\n        ".join(self._record(fn, site.live))
        return (f"/* MCL poll-point {site.id} ({site.reason}, {site.coord}); live: {', '.join(site.live) or '-'} */\n"
                f"    if (0) {{\n    __mcl_r{site.id}:\n        {restore}\n        mig_rewind_done();\n    }}\n"
                f"    if (__builtin_expect(MIG_POLL(), 0)) {{\n{self._entry_dispatch(fn, site)}        mig_unwind_begin();\n        mig_frame_push({fn.fid}, {site.id});\n"
                f"        {record}\n        {self._leave(fn)}\n    }}")

    def _entry_dispatch(self, fn: Function, site: Site) -> str:
        if self.entry_poll.get(fn.name) is not site:
            return ""
        return (f"        if (mig_mode == MIG_REWINDING) {{\n            mig_control.countdown = 1;\n"
                f"            {self._dispatch(fn)}\n        }}\n")

    def _call_code(self, fn: Function, stmt: c_ast.Node, site: Site, call: c_ast.FuncCall, form: str) -> str:
        restore = "\n        ".join(self._restore(fn, site.live))
        record = "\n        ".join(self._record(fn, site.live))
        void = _is_void(self.defs[call.name.name].decl.type.type)
        call_text = _gen(call)
        if form == "call" or void:
            invoke = f"{call_text};"
        else:
            invoke = f"__mcl_t{site.id} = {call_text};"
        after = ""
        if form == "assign":
            after = f"\n    {_gen(stmt.lvalue)} = __mcl_t{site.id};"
        elif form == "decl":
            after = f"\n    {stmt.name} = __mcl_t{site.id};"
        elif form == "return":
            release = f"mig_release_stack({len(fn.blocks)}u);\n    " if fn.blocks and fn.name != "main" else ""
            after = f"\n    {release}return{'' if void else f' __mcl_t{site.id}'};"
        decl = ""
        if form == "decl":  # the declaration stays, the call becomes its assignment
            d = copy.deepcopy(stmt)
            d.init = None
            decl = _gen(d) + ";\n    "
        zero = "".join(f"\n        {v} = 0;" for v in site.zero)  # read only by the arguments
        return (f"{decl}/* MCL call site {site.id} ({site.reason}, {site.coord}); live: {', '.join(site.live) or '-'} */\n"
                f"    if (0) {{\n    __mcl_r{site.id}:\n        {restore}{zero}\n    }}\n"
                f"    {invoke}\n"
                f"    if (__builtin_expect(mig_mode == MIG_UNWINDING, 0)) {{\n        mig_frame_push({fn.fid}, {site.id});\n"
                f"        {record}\n        {self._leave(fn)}\n    }}{after}")

    def _return_code(self, fn: Function, ret: c_ast.Return) -> str:
        release = f"mig_release_stack({len(fn.blocks)}u);"
        if ret.expr is None:
            return f"{{\n        {release}\n        return;\n    }}"
        return (f"{{\n        {_declare(fn.node.decl.type.type, '__mcl_rv')} = {_gen(ret.expr)};\n"
                f"        {release}\n        return __mcl_rv;\n    }}")

    def _prologue(self, fn: Function) -> list[c_ast.Node]:
        lines: list[str] = []
        if fn.name == "main":
            lines.append("mig_register_globals();")
        for v in fn.blocks:
            address = v.name if isinstance(v.ctype, Array | VarArray) else f"&{v.name}"
            lines.append(f"mig_register_stack({address}, {_type_id(v.elem)}, {v.count});")
        dispatch = self._dispatch(fn)
        if fn.name == "main":
            lines.append(f"if (mig_start()) {{\n    __mcl_dispatch:\n        {dispatch}\n    }}")
        elif self.entry_poll.get(fn.name) is None:
            lines.append(f"if (__builtin_expect(mig_mode == MIG_REWINDING, 0)) {{\n        {dispatch}\n    }}")
        # else: the entry poll-point dispatches (the runtime holds the countdown at 1
        # while rewinding), which saves a check on every call of a recursive function
        return [Raw("/* MCL prologue */\n    " + "\n    ".join(lines))]

    def _dispatch(self, fn: Function) -> str:
        cases = " ".join(f"case {s.id}: goto __mcl_r{s.id};" for s in fn.sites)
        return (f"switch (mig_frame_pop({fn.fid})) {{ {cases} default: "
                f"rt_panic(\"MCL: no such site in {fn.name}\"); }}")


def precompile(ast: c_ast.FileAST, resolver: TypeResolver, max_cost: int = DEFAULT_MAX_COST,
               trips: int = DEFAULT_TRIPS) -> Plan:
    """Check, place poll-points, analyse and transform ``ast`` in place; returns the plan."""
    check_unsafe(ast, resolver)
    return Precompiler(ast, resolver, max_cost, trips).run()
