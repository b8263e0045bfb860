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
unions holding pointers, setjmp/longjmp, untyped allocation, calls of migratable
functions inside larger expressions); a variadic function gets no poll-point, and one
that calls a migratable function is refused (its va_list state cannot travel).
Pointer arithmetic that leaves its block is caught at collection time by the runtime.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.checks import refuse_all, unsafe_constructs
from testbed.mcl.cparse import is_runtime_file, where
from testbed.mcl.ctype import Array, FuncPtr, Pointer, VarArray, has_pointers
from testbed.mcl.emit import Emitter
from testbed.mcl.hoist import Hoister
from testbed.mcl.indirect import ResultTypes, runtime_callbacks
from testbed.mcl.lift import copy_address_taken_parameters, lift_stack_blocks, names_in
from testbed.mcl.literals import name_compound_literals
from testbed.mcl.liveness import site_liveness
from testbed.mcl.nodes import (
    INDIRECT,
    Function,
    Marks,
    Plan,
    Raw,
    Site,
    SiteMark,
    call_name,
    gen,
    statement_expressions,
    walk,
)
from testbed.mcl.placement import DEFAULT_MAX_COST, DEFAULT_TRIPS, Placement, is_variadic
from testbed.mcl.resolve import TypeResolver
from testbed.mcl.rewrite import Rewriter
from testbed.mcl.separate import separate_stack_blocks
from testbed.mcl.ti import program_functions
from testbed.mcl.variables import collect_variables

__all__ = ["DEFAULT_MAX_COST", "DEFAULT_TRIPS", "Plan", "precompile"]


class Precompiler:
    """One run of the pass over a program: placement, then per migratable function its
    variables, the rewrite, the live variables at each site and the emitted code."""

    def __init__(self, ast: c_ast.FileAST, resolver: TypeResolver, max_cost: int = DEFAULT_MAX_COST,
                 trips: int = DEFAULT_TRIPS, functions: list[str] | None = None) -> None:
        self.ast = ast
        self.resolver = resolver
        self.taken = names_in(ast)  # the names new locals must avoid
        self.defs: dict[str, c_ast.FuncDef] = {}
        for top in ast.ext:
            if isinstance(top, c_ast.FuncDef) and not is_runtime_file(getattr(top.coord, "file", None)):
                self.defs[top.decl.name] = top
                if "static" not in top.decl.storage:
                    # gnu89's `inline` emits the function, C99's only if some declaration is
                    # extern: a migratable function is rarely inlined, so it must exist out of line
                    top.decl.funcspec = [f for f in top.decl.funcspec if f != "inline"]
        if "main" not in self.defs:
            raise ConfigError("the program has no main function")
        # a call through a pointer may reach every function whose address is taken
        table = program_functions(ast) if functions is None else functions
        targets = {name for name in table if name in self.defs}
        calls = {}
        for n, f in self.defs.items():
            called = set(map(call_name, walk(f.body)))
            calls[n] = {c for c in called if c in self.defs} | (targets if INDIRECT in called else set())
        self.placement = Placement(self.defs, calls, max_cost, trips, targets, runtime_callbacks(self.defs))
        self.functions: dict[str, Function] = {}
        self.sites: list[Site] = []
        self.marks = Marks()

    def run(self) -> Plan:
        self.placement.place()
        migratable = self.placement.migratable
        fids = {"main": 0}
        for name in self.defs:
            if name in migratable and name not in fids:  # (INDIRECT, in it too, is no function)
                fids[name] = len(fids)
        refuse_all(sorted([*unsafe_constructs(self.ast, self.resolver), *self._inexpressible(fids)],
                          key=_source_order))
        hoister = Hoister(self.defs, migratable, ResultTypes(self.ast))
        for name in fids:
            name_compound_literals(self.defs[name], self.taken)
            copy_address_taken_parameters(self.defs[name], self.taken)
            lift_stack_blocks(self.defs[name], self._stack_block_kind)
            hoister.function(self.defs[name])
            fn = Function(name, fids[name], self.defs[name], variadic=is_variadic(self.defs[name]))
            collect_variables(fn, self.resolver)
            self.functions[name] = fn
        rewriter = Rewriter(self.defs, migratable, self.marks, self._new_site)
        emitter = Emitter(self.defs, self.marks, self.resolver)
        for fn in self.functions.values():
            self._transform(fn, rewriter, emitter)
        return Plan(self.functions, migratable, self.sites)

    def _inexpressible(self, names: Iterable[str]) -> list[str]:
        """What a migratable function may not hold, one message each: a call of a
        migratable function inside ``({ ... })`` (its site would lie inside an expression
        whose statements the rewriter cannot enter), and an array compound literal (an
        unnamed stack array no block describes; other literals used by address are named,
        literals.py)."""
        errors: dict[int, str] = {}
        for name in names:
            body = self.defs[name].body
            for expr in statement_expressions(body):
                for n in walk(expr):
                    if call_name(n) in self.placement.migratable:
                        errors[id(n)] = (f"{where(n)}: call of migratable function {call_name(n)} inside a GNU "
                                         "statement expression ({ ... }): move the call out of it (assign its "
                                         "result to a variable first)")
            for parent in walk(body):
                for _, n in parent.children():
                    if isinstance(n, c_ast.CompoundLiteral) and isinstance(n.type.type, c_ast.ArrayDecl):
                        errors[id(n)] = (f"{where(n)}: array compound literal ({gen(n.type)}){{...}} in migratable "
                                         f"function {name}: an unnamed array cannot migrate (declare it as a "
                                         "named array)")
        return list(errors.values())

    def _stack_block_kind(self, decl: c_ast.Decl, address_taken: set[str]) -> str | None:
        """What ``lift_stack_blocks`` needs to know of a local: a stack block, a VLA, neither."""
        t = self.resolver.resolve_variable(decl)
        if isinstance(t, VarArray) or (isinstance(t, Array) and isinstance(t.elem, VarArray)):
            return "vla"
        return "block" if isinstance(t, Array) or decl.name in address_taken else None

    def _new_site(self, fn: Function, kind: str, node: c_ast.Node | None, reason: str) -> Site:
        site = Site(len(fn.sites) + 1, fn.name, kind, where(node if node is not None else fn.node), reason)
        fn.sites.append(site)
        self.sites.append(site)
        return site

    def _transform(self, fn: Function, rewriter: Rewriter, emitter: Emitter) -> None:
        body = fn.node.body
        polls = self.placement.polls[fn.name]
        # 1. poll-point markers
        for anchor, reason in polls:
            if anchor is None:  # recursion: at the function's entry, after the prologue
                continue
            self.marks.site_at[anchor] = self._new_site(fn, "poll", anchor, reason)
        entry_site = None
        entry_reason = next((reason for anchor, reason in polls if anchor is None), None)
        if entry_reason is not None:  # recursion, or a long function's entry
            entry_site = self._new_site(fn, "poll", fn.node, entry_reason)
            if fn.name != "main":
                self.marks.entry_poll[fn.name] = entry_site
        call_sites: dict[c_ast.Node, Site] = {}
        temps: list[str] = []
        rewriter.tail_calls = rewriter.self_tail_calls(fn) if not fn.blocks else set()
        body.block_items = rewriter.rewrite_items(fn, body.block_items or [], call_sites, temps)
        # leading declarations stay first: the prologue (registration, dispatch) follows them
        items = body.block_items
        lead = 0
        while lead < len(items) and isinstance(items[lead], c_ast.Decl):
            lead += 1
        for d in items[:lead]:
            for n in walk(d):
                if call_name(n) in self.placement.migratable:
                    raise ConfigError(f"{where(n)}: call of migratable function {call_name(n)} in a "
                                      "declaration at the top of a function; declare, then assign")
        if entry_site is not None:
            items.insert(lead, SiteMark(entry_site))
        # pointers start out NULL in migratable functions: a never-assigned pointer that
        # analysis cannot prove dead must not look like an address (nor one inside a stack
        # block or a struct, which travel whole: `int *p; f(&p);` with p still unset)
        for d in items[:lead]:
            var = fn.vars.get(d.name) if d.init is None else None
            if var is None or isinstance(var.ctype, VarArray) or not has_pointers(var.ctype):
                continue
            zero = c_ast.Constant("int", "0")
            d.init = zero if isinstance(var.ctype, Pointer | FuncPtr) else c_ast.InitList([zero])
        # 2. liveness
        site_liveness(fn, body, call_sites, self.marks)
        # 3. code (first: no stack block may end where another starts)
        separate_stack_blocks(fn)
        emitter.emit_sites(fn, body)
        prologue = emitter.prologue(fn)
        body.block_items = items[:lead] + [Raw(t) for t in temps] + prologue + items[lead:]
        if fn.name != "main" and fn.blocks and not isinstance(items[-1] if items else None, c_ast.Return):
            body.block_items.append(Raw(f"mig_release_stack({len(fn.blocks)}u);"))


def _source_order(message: str) -> tuple[str, int]:
    """A refusal's file and line, to list them in source order."""
    location = re.match(r"^(.*?):(\d+): ", message)
    return (location.group(1), int(location.group(2))) if location else ("", 0)


def precompile(ast: c_ast.FileAST, resolver: TypeResolver, max_cost: int = DEFAULT_MAX_COST,
               trips: int = DEFAULT_TRIPS, functions: list[str] | None = None) -> Plan:
    """Check, place poll-points, analyse and transform ``ast`` in place; returns the plan.
    ``functions`` is the program's function table (ti.program_functions), the targets of
    its calls through pointers (indirect.mark_indirect_calls has marked those)."""
    return Precompiler(ast, resolver, max_cost, trips, functions).run()
