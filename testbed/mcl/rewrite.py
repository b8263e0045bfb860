"""The rewrite of a migratable function's statements: call sites recognised, loop
poll-points marked, returns that must release stack blocks noted, self tail calls left
alone; and the refusal of a migratable call the rewrite cannot make a site of."""

from __future__ import annotations

from collections.abc import Callable

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import where
from testbed.mcl.nodes import (
    INDIRECT,
    Function,
    Marks,
    Site,
    SiteMark,
    call_described,
    call_name,
    declare,
    is_void,
    walk,
)


class Rewriter:
    """Rewrites one migratable function at a time (``rewrite_items`` on its body), noting
    in ``marks`` where the emitter must put code; ``tail_calls`` are the statements of the
    current function left without a site (``self_tail_calls``)."""

    def __init__(self, defs: dict[str, c_ast.FuncDef], migratable: set[str], marks: Marks,
                 new_site: Callable[[Function, str, c_ast.Node | None, str], Site]) -> None:
        self.defs = defs
        self.migratable = migratable
        self.marks = marks
        self._new_site = new_site
        self.tail_calls: set[c_ast.Node] = set()

    def rewrite_items(self, fn: Function, items: list, call_sites: dict[c_ast.Node, Site], temps: list[str]) -> list:
        out: list = []
        for s in items:
            out.extend(self._rewrite(fn, s, call_sites, temps))
        return out

    def _as_stmt(self, stmts: list) -> c_ast.Node:
        return stmts[0] if len(stmts) == 1 else c_ast.Compound(stmts)

    def _rewrite(self, fn: Function, s: c_ast.Node | None, call_sites: dict[c_ast.Node, Site], temps: list[str]) -> list:
        """Statement -> statements: call sites recognised, loop polls marked, returns
        releasing stack blocks."""
        if s is None:
            return []
        if isinstance(s, c_ast.Pragma):
            site = self.marks.site_at.get(s)
            return [SiteMark(site, s.coord)] if site else [s]
        if isinstance(s, c_ast.Compound):
            s.block_items = self.rewrite_items(fn, s.block_items or [], call_sites, temps)
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
            site = self.marks.site_at.get(s)
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
            s.stmts = self.rewrite_items(fn, s.stmts or [], call_sites, temps)
            return [s]
        if isinstance(s, c_ast.Label):
            s.stmt = self._as_stmt(self._rewrite(fn, s.stmt, call_sites, temps))
            return [s]
        call, form = self._statement_call(s)
        if call is not None and s in self.tail_calls:
            return [s]  # a self tail call needs no site: see self_tail_calls
        if call is not None:
            callee = call_name(call)
            site = self._new_site(fn, "call", s, callee)
            site.stmt = s
            call_sites[s] = site
            self.marks.call_at[s] = (site, call, form)
            # through a pointer the result's type is the call's own: the emitter declares
            # its temporary beside the call, as __typeof__ of it
            if form in ("assign", "return", "decl") and callee != INDIRECT:
                callee_type = self.defs[callee].decl.type.type
                if not is_void(callee_type):
                    temps.append(declare(callee_type, f"__mcl_t{site.id}") + ";")
            return [s]
        self._no_migratable_call(s)
        if isinstance(s, c_ast.Return) and fn.name != "main" and fn.blocks:
            self.marks.release_at.add(s)
        return [s]

    def self_tail_calls(self, fn: Function) -> set[c_ast.Node]:
        """Statements that call ``fn`` itself in tail position (nothing but ``return`` of
        the result follows). Such a caller frame adds nothing to the state: on the
        destination the outer call re-enters ``fn``, which restores the innermost record and
        returns the same result. Leaving them unchecked keeps gcc's tail-call elimination
        (bimerge's second recursion becomes a loop again). Only for functions without
        stack blocks, whose frames register nothing."""
        void = is_void(fn.node.decl.type.type)
        found: set[c_ast.Node] = set()

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
                if call_name(s.expr) == fn.name:
                    found.add(s)
                return ("ret", s.expr.name) if isinstance(s.expr, c_ast.ID) else None
            if call_name(s) == fn.name and after == ("ret", None):
                found.add(s)
            if (isinstance(s, c_ast.Assignment) and s.op == "=" and isinstance(s.lvalue, c_ast.ID)
                    and call_name(s.rvalue) == fn.name and after == ("ret", s.lvalue.name)):
                found.add(s)
            return None

        block(fn.node.body.block_items or [], ("ret", None) if void else None)
        return found

    def _statement_call(self, s: c_ast.Node) -> tuple[c_ast.FuncCall | None, str]:
        """A call of a migratable function in one of the accepted statement forms."""
        def ok(call: c_ast.Node) -> bool:
            if call_name(call) not in self.migratable:
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

    def _no_migratable_call(self, node: c_ast.Node | None) -> None:
        if node is None:
            return
        for n in walk(node):
            name = call_name(n)
            if name in self.migratable:
                raise ConfigError(
                    f"{where(n)}: {call_described(name)} in a loop or branch condition, or in another call's arguments; "
                    "make it a statement of its own before the test (x = f(...);)"
                )
