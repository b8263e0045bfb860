"""Live variables: a statement-level control-flow graph of one function and the dataflow
over it (live variables backwards, possibly-assigned forwards). Only variables live and
possibly assigned at a site travel."""

from __future__ import annotations

from pycparser import c_ast

from testbed.mcl.nodes import (
    Function,
    IndirectCall,
    Marks,
    Site,
    SiteMark,
    member_root,
    parameters,
    walk,
)


class _Node:
    __slots__ = ("uses", "defs", "partial", "unset", "succ", "pred", "live_in", "assigned_in", "site")

    def __init__(self, uses: set[str], defs: set[str], partial: set[str], site: Site | None,
                 unset: set[str] = frozenset()) -> None:
        self.uses = set(uses)
        self.defs = set(defs)
        self.partial = set(partial)  # written in part (s.f = ...): assigned, but not killed
        self.unset = set(unset)  # declared without a value: killed, and no longer assigned
        self.succ: list[_Node] = []
        self.pred: list[_Node] = []
        self.live_in: set[str] = set()
        self.assigned_in: set[str] = set()
        self.site = site


class Liveness:
    """Statement-level CFG of one function and the dataflow over it."""

    def __init__(self, fn: Function, call_sites: dict[c_ast.Node, Site]) -> None:
        self.tracked = {n for n, v in fn.vars.items() if v.role != "block"}
        self.call_sites = call_sites  # statement -> its call site
        self.nodes: list[_Node] = []
        self.exit = self._new()
        self.labels: dict[str, _Node] = {}  # the program's labels: goto is an edge like any other

    def _new(self, uses: set[str] = frozenset(), defs: set[str] = frozenset(), partial: set[str] = frozenset(),
             site: Site | None = None, unset: set[str] = frozenset()) -> _Node:
        n = _Node(uses & self.tracked, defs & self.tracked, partial & self.tracked, site, unset & self.tracked)
        self.nodes.append(n)
        return n

    def _link(self, a: _Node, *succ: _Node) -> _Node:
        a.succ.extend(succ)
        return a

    def ud(self, e: c_ast.Node | None) -> tuple[set[str], set[str], set[str]]:
        """The variables an expression reads, those it assigns whole, and the structs it
        assigns a member of."""
        uses: set[str] = set()
        defs: set[str] = set()
        partial: set[str] = set()

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
                    partial.update(filter(None, [member_root(n.lvalue)]))
            elif isinstance(n, c_ast.UnaryOp) and n.op in ("++", "--", "p++", "p--") and isinstance(n.expr, c_ast.ID):
                uses.add(n.expr.name)
                defs.add(n.expr.name)
            elif isinstance(n, c_ast.UnaryOp) and n.op in ("++", "--", "p++", "p--"):
                visit(n.expr)
                partial.update(filter(None, [member_root(n.expr)]))
            elif isinstance(n, c_ast.UnaryOp) and n.op == "sizeof":
                return
            elif isinstance(n, c_ast.StructRef):
                visit(n.name)  # s.f / p->f: the field name is not a variable
            else:
                for _, child in n.children():
                    visit(child)

        visit(e)
        return uses, defs, partial

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
            uses, defs, partial = self.ud(s.init)
            uses |= self.ud(s.type)[0]  # VLA sizes
            # a block-scope variable starts without a value each time its declaration is
            # reached: what an earlier pass through its block left is dead (and out of
            # scope at a site outside the block, where no code may name it)
            fresh = {s.name} if s.name and not {"static", "extern"} & set(s.storage) else set()
            return self._link(self._new(uses, defs | (fresh if s.init is not None else set()), partial,
                                        site=self.call_sites.get(s), unset=fresh if s.init is None else set()),
                              nxt)
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
            return self._link(self._new(*self.ud(s.expr), site=self.call_sites.get(s)), self.exit)
        if isinstance(s, c_ast.Label):
            target = self._label(s.name)
            return self._link(target, self.build(s.stmt, nxt, brk, cont))
        if isinstance(s, c_ast.Goto):
            return self._label(s.name)
        if isinstance(s, c_ast.Break):
            assert brk is not None
            return brk
        if isinstance(s, c_ast.Continue):
            assert cont is not None
            return cont
        # an expression statement
        return self._link(self._new(*self.ud(s), site=self.call_sites.get(s)), nxt)

    def _label(self, name: str) -> _Node:
        """The node a label stands for: made by the first goto or label seen (the graph is
        built backwards, so a forward goto's label is not built yet)."""
        if name not in self.labels:
            self.labels[name] = self._new()
        return self.labels[name]

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
                new = n.uses | (out - n.defs - n.unset)
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
                    inn |= (p.assigned_in - p.unset) | p.defs | p.partial
                if inn != n.assigned_in:
                    n.assigned_in = inn
                    changed = True


def dereferenced(call: c_ast.FuncCall, live: Liveness) -> set[str]:
    """Variables an argument reads memory through (p->f, *p, a[i], calls): evaluating
    the argument on rewind must not touch garbage, so these must be restored."""
    out: set[str] = set()
    for arg in (call.args.exprs if call.args else []):
        for n in walk(arg):
            if isinstance(n, c_ast.StructRef | c_ast.ArrayRef | c_ast.FuncCall) or (
                    isinstance(n, c_ast.UnaryOp) and n.op == "*"):
                out |= live.ud(arg)[0]
                break
    return out & live.tracked


def site_liveness(fn: Function, body: c_ast.Compound, call_sites: dict[c_ast.Node, Site], marks: Marks) -> None:
    """Set ``live`` (and, at call sites, ``zero``) of every site of ``fn``."""
    live = Liveness(fn, call_sites)
    entry = live.build(body, live.exit, None, None)
    params = {p.name for p in parameters(fn.node) if getattr(p, "name", None)}
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
            call = marks.call_at[n.site.stmt][1]
            needed = (out - n.defs) | dereferenced(call, live)
            if isinstance(call, IndirectCall):  # the pointer is called again on rewind
                needed |= live.ud(call.name)[0] & live.tracked
            n.site.zero = sorted((n.uses - needed) & live.tracked, key=lambda v: fn.vars[v].order)
            keep = needed & n.assigned_in
        else:
            keep = n.live_in & n.assigned_in
        n.site.live = sorted(keep - skip, key=lambda v: fn.vars[v].order)
