"""Calls of migratable functions inside larger expressions, hoisted into statements of
their own: ``x = f(a) + 1;`` becomes ``__mcl_h1 = f(a); x = __mcl_h1 + 1;``.

A migration site must be a statement (the call is re-entered on rewind, and what follows
it resumes), so each such call is evaluated first into a fresh local of the callee's
result type, innermost first; the temporaries are ordinary locals, so one that is live
at a later site (``f(a) * f(b)``) travels with the frame. C leaves the order of operand
evaluation unspecified, so evaluating the call before its siblings is a valid order;
operands that are evaluated conditionally or in sequence (``&&``, ``||``, ``?:``, the
comma operator) are not, and a migratable call there is refused with file:line, as in
loop and branch conditions (the rewrite refuses those)."""

from __future__ import annotations

import copy

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import where
from testbed.mcl.indirect import ResultTypes
from testbed.mcl.nodes import (
    INDIRECT,
    call_described,
    call_name,
    gen,
    is_pure,
    is_void,
    local_declarations,
    parameters,
    replace_child,
    walk,
)


class Hoister:
    def __init__(self, defs: dict[str, c_ast.FuncDef], migratable: set[str], result_types: ResultTypes) -> None:
        self.defs = defs
        self.migratable = migratable
        self.result_types = result_types  # of calls through pointers

    def function(self, f: c_ast.FuncDef) -> None:
        """Hoist the calls in ``f``'s statements, declaring the temporaries first; a call
        in the initialiser of a leading declaration first becomes an assignment."""
        self.temps: list[c_ast.Decl] = []
        self.current = f
        items = f.body.block_items or []
        lead = 0
        while lead < len(items) and isinstance(items[lead], c_ast.Decl):
            lead += 1
        for n in local_declarations(f.body):  # the restore code assigns locals: none may stay const
            if not {"static", "extern", "typedef"} & set(n.storage):
                _drop_const(n)
        for n in _parameters(f):  # nor parameters (a top-level const is not part of the type)
            _drop_const(n)
        inits = self._split_initialisers(items[:lead])
        f.body.block_items = items[:lead] + self._items(inits + items[lead:])
        f.body.block_items[0:0] = self.temps

    def _split_initialisers(self, decls: list[c_ast.Decl]) -> list[c_ast.Node]:
        """``int r = f(x);`` among the leading declarations, as ``int r; r = f(x);``.

        The prologue that re-enters a site while rewinding must follow the leading
        declarations, so a call there is moved after them; so is any initialiser with a
        side effect (``int r = w++;``, a call of any function), which a resumed call
        would otherwise run a second time before the prologue jumps to its site. That
        declaration's initialiser and those of every later leading declaration become
        assignments, in order (a later initialiser may read ``r``; ``function`` has
        dropped every local's ``const``, as the restore code assigns them). An
        initialiser list (arrays, structs) cannot become an assignment, so it is refused
        after such an initialiser."""
        # main's initialisers run before mig_start() restores the globals, so their side
        # effects on the program's state are overwritten on the destination as on a fresh start
        in_main = self.current.decl.name == "main"
        first = next((i for i, d in enumerate(decls) if d.init is not None and "static" not in d.storage
                      and (any(call_name(n) in self.migratable for n in walk(d.init))
                           or not in_main and not is_pure(d.init))), None)
        if first is None:
            return []
        out: list[c_ast.Node] = []
        assigned: set[str] = set()
        for d in decls[first:]:
            if isinstance(d.type, c_ast.ArrayDecl) and d.type.dim is not None and any(
                    isinstance(n, c_ast.ID) and n.name in assigned for n in walk(d.type.dim)):
                raise ConfigError(f"{where(d)}: variable-length array {d.name} is sized by a variable whose "
                                  f"initialiser must run after the rewind dispatch (from {where(decls[first])}); "
                                  "declare the array in a block after the declarations")
            if d.init is None or "static" in d.storage:
                continue
            assigned.add(d.name)
            if isinstance(d.init, c_ast.InitList) or isinstance(d.type, c_ast.ArrayDecl):
                raise ConfigError(f"{where(d)}: {d.name} has an initialiser list after the declaration at "
                                  f"{where(decls[first])}, whose initialiser calls or assigns (it must run "
                                  "after the rewind dispatch); declare it before that one")
            out.append(c_ast.Assignment("=", c_ast.ID(d.name, d.coord), d.init, d.coord))
            d.init = None
        return out

    def _items(self, items: list) -> list:
        return [out for s in items for out in self._stmt(s)]

    def _body(self, s: c_ast.Node | None) -> c_ast.Node | None:
        """The body of a branch, loop or label, always in braces: a call site there becomes
        several statements, which must all stay under the ``if`` (``if (c) y = f(y);`` left
        as it was would call ``f`` whatever ``c``)."""
        if s is None:
            return None
        stmts = self._stmt(s)
        return stmts[0] if len(stmts) == 1 and isinstance(stmts[0], c_ast.Compound) else c_ast.Compound(stmts, s.coord)

    def _stmt(self, s: c_ast.Node) -> list:
        if isinstance(s, c_ast.Compound):
            s.block_items = self._items(s.block_items or [])
        elif isinstance(s, c_ast.If | c_ast.Switch):
            pre: list[c_ast.Node] = []
            s.cond = self._expr(s.cond, pre)  # evaluated once, before either branch
            if isinstance(s, c_ast.If):
                s.iftrue, s.iffalse = self._body(s.iftrue), self._body(s.iffalse)
            else:
                s.stmt = self._body(s.stmt)
            return [*pre, s]
        elif isinstance(s, c_ast.While | c_ast.For | c_ast.DoWhile):
            return self._loop(s)
        elif isinstance(s, c_ast.Label):
            s.stmt = self._body(s.stmt)
        elif isinstance(s, c_ast.Case | c_ast.Default):
            s.stmts = self._items(s.stmts or [])
        elif isinstance(s, c_ast.Return | c_ast.Decl | c_ast.Assignment | c_ast.FuncCall | c_ast.UnaryOp
                        | c_ast.BinaryOp | c_ast.Cast):
            pre: list[c_ast.Node] = []
            if isinstance(s, c_ast.Return):
                s.expr = self._expr(s.expr, pre, top=True)
            elif isinstance(s, c_ast.Decl):
                s.init = self._expr(s.init, pre, top=True)
            elif isinstance(s, c_ast.Assignment) and s.op == "=" and isinstance(s.lvalue, c_ast.ID):
                s.rvalue = self._expr(s.rvalue, pre, top=True)  # x = f(...) is a site as it is
            else:
                self._expr(s, pre, top=True)
            return [*pre, s]
        return [s]

    def _loop(self, s: c_ast.While | c_ast.For | c_ast.DoWhile) -> list:
        """A loop whose test calls a migratable function tests a temporary instead, computed
        where the test was: ``while (f(x) > 0) body`` becomes ``while (1) { t = f(x); if
        (!(t > 0)) break; body }`` (a ``for`` keeps its step, which ``continue`` reaches
        before the test), ``do body while (f(x));`` computes it at the end of the body
        (refused if a ``continue`` would skip it). A call in a ``for``'s first clause is
        computed before the loop; one in its step stays, and is refused as it was."""
        s.stmt = self._body(s.stmt)
        before: list[c_ast.Node] = []
        if isinstance(s, c_ast.For) and s.init is not None and not isinstance(s.init, c_ast.DeclList):
            s.init = self._expr(s.init, before)
        test: list[c_ast.Node] = []
        cond = self._expr(s.cond, test)
        if not test:
            return [*before, s]
        body = s.stmt.block_items or [] if isinstance(s.stmt, c_ast.Compound) else [s.stmt] if s.stmt else []
        if isinstance(s, c_ast.DoWhile):
            if _continues(s.stmt):
                raise ConfigError(f"{where(s)}: call of migratable function in the test of a do-while loop whose body "
                                  "has a continue; make it a statement of its own at the end of the body")
            s.stmt, s.cond = c_ast.Compound([*body, *test], s.coord), cond
            return [*before, s]
        leave = c_ast.If(c_ast.UnaryOp("!", cond, s.coord), c_ast.Break(s.coord), None, s.coord)
        s.stmt = c_ast.Compound([*test, leave, *body], s.coord)
        s.cond = None if isinstance(s, c_ast.For) else c_ast.Constant("int", "1", s.coord)
        return [*before, s]

    def _expr(self, e: c_ast.Node | None, pre: list[c_ast.Node], top: bool = False) -> c_ast.Node | None:
        """``e`` with its migratable calls replaced by temporaries assigned in ``pre``; a
        call that is the statement's own (``top``) stays, its arguments are hoisted."""
        if e is None:
            return None
        if (isinstance(e, c_ast.BinaryOp) and e.op in ("&&", "||")
                and any(call_name(n) in self.migratable for n in walk(e))):
            return self._logical(e, pre)
        if (isinstance(e, c_ast.TernaryOp | c_ast.ExprList)
                or (isinstance(e, c_ast.UnaryOp) and e.op == "sizeof")):
            for n in walk(e):
                if call_name(n) in self.migratable:
                    raise ConfigError(f"{where(n)}: {call_described(call_name(n))} in an operand of "
                                      "?:, a comma or sizeof, which may not be evaluated or must be "
                                      "evaluated in order; make it a statement of its own (x = f(...);)")
            return e
        if isinstance(e, c_ast.FuncCall):
            if e.args is not None:
                e.args.exprs = [self._expr(a, pre) for a in e.args.exprs]
            name = call_name(e)
            if name not in self.migratable or top:
                return e
            if name == INDIRECT:  # the result type is the pointer's
                result = self.result_types.of(e.name, self.current)
                if result is None:
                    raise ConfigError(f"{where(e)}: call through a function pointer ({gen(e.name)}) inside an "
                                      "expression, where it may reach a migratable function: the precompiler "
                                      "cannot read its result type off a struct field; make it a statement of "
                                      "its own (x = fp(...);)")
            else:
                result = self.defs[name].decl.type.type
            if is_void(result):
                raise ConfigError(f"{where(e)}: call of migratable function {name}, which returns nothing, inside "
                                  "an expression; make it a statement of its own")
            temp = self._temp(result, e.coord)
            pre.append(c_ast.Assignment("=", c_ast.ID(temp, e.coord), e, e.coord))
            return c_ast.ID(temp, e.coord)
        for name, child in list(e.children()):
            new = self._expr(child, pre)
            if new is not child:
                replace_child(e, name, new)
        return e

    def _logical(self, e: c_ast.BinaryOp, pre: list[c_ast.Node]) -> c_ast.ID:
        """``a && f(x)`` as statements that evaluate ``f(x)`` only when C would: ``t = !!(a);
        if (t) { h = f(x); t = !!(h); }`` (``||``: ``if (!t)``), then ``t`` (an ``int``,
        the type of a logical operator) stands for the expression."""
        flag = self._temp(c_ast.TypeDecl(None, [], None, c_ast.IdentifierType(["int"])), e.coord)

        def truth(x: c_ast.Node) -> c_ast.Assignment:
            return c_ast.Assignment("=", c_ast.ID(flag, e.coord), c_ast.UnaryOp("!", c_ast.UnaryOp("!", x)), e.coord)

        pre.append(truth(self._expr(e.left, pre)))
        inner: list[c_ast.Node] = []
        right = self._expr(e.right, inner)
        test = c_ast.ID(flag, e.coord) if e.op == "&&" else c_ast.UnaryOp("!", c_ast.ID(flag, e.coord))
        pre.append(c_ast.If(test, c_ast.Compound([*inner, truth(right)], e.coord), None, e.coord))
        return c_ast.ID(flag, e.coord)

    def _temp(self, result: c_ast.Node, coord: object) -> str:
        name = f"__mcl_h{len(self.temps) + 1}"
        t = copy.deepcopy(result)
        inner = t
        while not isinstance(inner, c_ast.TypeDecl):
            inner = inner.type
        inner.declname = name
        inner.quals = [q for q in inner.quals if q != "const"]  # assigned once, after its declaration
        self.temps.append(c_ast.Decl(name, [], [], [], [], t, None, None, coord))
        return name


def _continues(s: c_ast.Node | None) -> bool:
    """Whether ``s`` has a ``continue`` of the loop it is the body of (not of a nested one)."""
    if s is None or isinstance(s, c_ast.For | c_ast.While | c_ast.DoWhile):
        return False
    return isinstance(s, c_ast.Continue) or any(_continues(child) for _, child in s.children())


def _parameters(f: c_ast.FuncDef) -> list[c_ast.Decl]:
    """The declarations of ``f``'s parameters, prototype or K&R style."""
    return [p for p in [*parameters(f), *(f.param_decls or [])] if isinstance(p, c_ast.Decl)]


def _drop_const(d: c_ast.Decl) -> None:
    """Remove the top-level ``const`` of a declared variable (not of what it points to)."""
    d.quals = [q for q in d.quals if q != "const"]
    if isinstance(d.type, c_ast.TypeDecl | c_ast.PtrDecl):
        d.type.quals = [q for q in d.type.quals if q != "const"]
