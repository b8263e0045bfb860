"""Poll-point placement: pragmas, expensive loops (a static cost model), recursion; and
which functions are migratable (they have a poll-point or call a migratable function)."""

from __future__ import annotations

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import where
from testbed.mcl.nodes import INDIRECT, Raw, SiteMark, call_name, walk

# Estimated instructions between two poll-points: about 10 ms on a 20 MHz DECstation, a
# migration latency a scheduler can live with; --max-cost overrides it.
DEFAULT_MAX_COST = 200_000
DEFAULT_TRIPS = 100  # assumed iterations of a loop whose trip count is unknown
CALL_COST = 6


def _literal(node: c_ast.Node | None) -> int | None:
    if isinstance(node, c_ast.Constant) and node.type in ("int", "long int", "unsigned int"):
        try:
            return int(node.value.rstrip("uUlL"), 0)
        except ValueError:
            return None
    return None


class _Costs:
    """Static cost estimates (instructions, roughly), with loops at ``trips`` iterations."""

    def __init__(self, functions: dict[str, c_ast.FuncDef], trips: int, targets: set[str]) -> None:
        self.functions = functions
        self.trips = trips
        self.targets = targets  # what a call through a pointer may reach
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
            name = call_name(node)
            cost = CALL_COST + self.of(node.args)
            if name in self.functions:
                cost += self.function(name)
            elif name == INDIRECT and self.targets:
                cost += max(self.function(t) for t in sorted(self.targets))
            return cost
        if isinstance(node, SiteMark | Raw):
            return 0
        # identifiers and constants are register or immediate operands: operators cost
        own = 0 if isinstance(node, c_ast.ID | c_ast.Constant | c_ast.Compound | c_ast.Decl | c_ast.TypeDecl
                              | c_ast.IdentifierType | c_ast.PtrDecl | c_ast.ExprList) else 1
        return own + sum(self.of(child) for _, child in node.children())



def _has_loop(node: c_ast.Node) -> bool:
    return any(isinstance(n, c_ast.For | c_ast.While | c_ast.DoWhile) for n in walk(node))


def is_variadic(f: c_ast.FuncDef) -> bool:
    params = f.decl.type.args
    return bool(params and any(isinstance(p, c_ast.EllipsisParam) for p in params.params))


class Placement:
    """Decides the poll-points of every function (``polls``: anchor node or None for the
    entry, and the reason) and the set of migratable functions; INDIRECT is in that set
    when a call through a pointer may reach one (``targets``: the address-taken
    functions; ``calls`` counts such a call as a call of each). A function the runtime
    calls back (``callbacks``: name -> library function, where) gets no poll-point, nor
    one main reaches only through such a function."""

    def __init__(self, defs: dict[str, c_ast.FuncDef], calls: dict[str, set[str]], max_cost: int,
                 trips: int, targets: set[str] = frozenset(),
                 callbacks: dict[str, tuple[str, str]] | None = None) -> None:
        self.defs = defs
        self.calls = calls
        self.targets = set(targets)
        self.callbacks = callbacks or {}
        self.max_cost = max_cost
        self.trips = trips
        self.polls: dict[str, list[tuple[c_ast.Node | None, str]]] = {n: [] for n in defs}
        self.migratable: set[str] = set()

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

    def place(self) -> None:
        recursive = self._recursive()
        for name, f in self.defs.items():
            for node in walk(f.body):
                if isinstance(node, c_ast.Pragma) and node.string.split()[:2] == ["mcl", "poll"]:
                    if name in self.callbacks:
                        library, at = self.callbacks[name]
                        raise ConfigError(f"{where(node)}: #pragma mcl poll in {name}, which the runtime's "
                                          f"{library} calls back ({at}): the library's frames cannot be "
                                          "recorded, so a callback cannot migrate")
                    if is_variadic(self.defs[name]):
                        raise ConfigError(f"{where(node)}: #pragma mcl poll in variadic function {name}: "
                                          "its va_list state cannot migrate")
                    self.polls[name].append((node, "pragma"))
        costs = _Costs(self.defs, self.trips, self.targets)
        costs.migratable = {n for n, p in self.polls.items() if p}
        self._indirect(costs.migratable)
        automatic = self._outside_callbacks()
        for name in self._bottom_up():
            if not is_variadic(self.defs[name]) and name in automatic:
                polled = self._place_loops(name, self.defs[name].body, costs)
                if name in recursive and not polled:
                    # recursive calls cost nothing here: the per-call work, times trips
                    if costs.of(self.defs[name].body) * self.trips > self.max_cost:
                        self.polls[name].append((None, "recursion"))
                elif (not polled and not _has_loop(self.defs[name].body)
                      and costs.of(self.defs[name].body) > self.max_cost):
                    # a loop-free function whose one call costs more than the bound (any
                    # work, at the tiny bound of testbed conformance): a poll-point at
                    # its entry, as for recursion (a function with loops has them there);
                    # main's, after its leading declarations, carries only the globals
                    self.polls[name].append((None, "entry"))
            if self.polls[name] or self.calls[name] & costs.migratable:
                costs.migratable.add(name)
                self._indirect(costs.migratable)
        changed = True
        while changed:  # callers of migratable functions are migratable (cycles included)
            changed = False
            for name in self.defs:
                if name not in costs.migratable and self.calls[name] & costs.migratable:
                    costs.migratable.add(name)
                    self._indirect(costs.migratable)
                    changed = True
        if costs.migratable:
            costs.migratable.add("main")
        self.migratable = costs.migratable
        self._refuse_migratable_callbacks()
        for name in sorted(self.migratable - {INDIRECT}):
            if is_variadic(self.defs[name]):
                raise ConfigError(f"{where(self.defs[name])}: variadic function {name} calls a migratable "
                                  "function: its va_list state cannot migrate")

    def _outside_callbacks(self) -> set[str]:
        """The functions main reaches without entering a callback: only they get automatic
        poll-points (one reached only from a comparator would make it migratable)."""
        reached = {"main"}
        todo = ["main"]
        while todo:
            for callee in self.calls[todo.pop()] - reached - set(self.callbacks):
                reached.add(callee)
                todo.append(callee)
        return reached

    def _indirect(self, migratable: set[str]) -> None:
        """A call through a pointer is a migratable call once one of its targets is."""
        if self.targets & migratable:
            migratable.add(INDIRECT)

    def _refuse_migratable_callbacks(self) -> None:
        """A callback of the runtime must not reach a poll-point: unwinding would leave
        through the library's frames, which no record describes."""
        for name, (library, at) in sorted(self.callbacks.items()):
            if name not in self.migratable:
                continue
            reached = sorted(self.calls[name] & self.migratable)
            what = f"migratable function {reached[0]}" if reached else "a migratable function through a pointer"
            raise ConfigError(f"{where(self.defs[name])}: {name}, which the runtime's {library} calls back "
                              f"({at}), calls {what}: the library's frames cannot be recorded, so a callback "
                              "must not reach a poll-point; do that work outside the callback")

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
        if call_name(node) in costs.migratable:
            polled = True
        if isinstance(node, c_ast.For | c_ast.While | c_ast.DoWhile) and not polled:
            body = costs.of(node.stmt) + costs.of(node.cond) + costs.of(getattr(node, "next", None))
            if body * costs.trip_count(node) > self.max_cost:
                costs.polled_loops.add(id(node))
                self.polls[name].append((node, "loop"))
                polled = True
        return polled
