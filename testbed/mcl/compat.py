"""What the precompiler can tell, before anything runs, about migrating one program between
two data models: the constructs it refuses, the types without a portable form, and the
word-sized values that may not fit a narrower destination.

Pure analysis of the program's AST: the machines enter only as widths (``Widths``), so
``testbed.compat`` supplies them from each ISA's compiler and this module never runs one.

A word-sized integer is one whose width follows the data model: ``long`` and ``unsigned
long``, and the typedefs ``size_t``, ``ssize_t``, ``ptrdiff_t``, ``intptr_t``,
``uintptr_t`` (the program's own typedefs of them too). Such a value travels in a portable
64-bit width; when the destination's type is narrower, the runtime refuses a value that
does not fit before the first write. The precompiler flags what it can tell statically:
a constant outside the destination's range (an error: the migration is refused whenever
the variable holds it), a shift by at least the destination's width or a product of two
word-sized values (a warning: it may not fit); every other word-sized variable that
travels is a run-time check.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.checks import unsafe_constructs
from testbed.mcl.cparse import is_runtime_file, where
from testbed.mcl.ctype import find_unsupported
from testbed.mcl.nodes import Plan, gen, walk
from testbed.mcl.resolve import TypeResolver, iter_type_uses
from testbed.mcl.unit import migratable_unit

# Typedefs whose width is the pointer's (the runtime's stddef.h and stdint.h define them
# from the compiler's __SIZE_TYPE__ and friends), and whether each is unsigned.
POINTER_WIDE_TYPEDEFS = {"size_t": True, "uintptr_t": True, "ssize_t": False, "ptrdiff_t": False, "intptr_t": False}
LOCATION = re.compile(r"^(?P<where>[^\s:]+:\d+): (?P<message>.*)$")
LONG_DOUBLE = "long double"


@dataclass(frozen=True)
class Widths:
    """The bits of ``long`` and of a pointer on one machine, as its compiler has them."""

    long_bits: int
    pointer_bits: int


@dataclass(frozen=True)
class Finding:
    """One line of a compatibility report. ``severity``: ``error`` (the migration cannot
    work, or is refused whenever the value is held), ``warning`` (it may be refused at
    run time), ``note`` (what happens, nothing to do)."""

    severity: str
    kind: str  # unsupported | no-portable-form | value-range | runtime-check | byte-order | word-size
    where: str  # file:line, or the file for what concerns the whole program
    message: str

    def line(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class WideType:
    """A word-sized integer type as declared: its spelling and signedness, and whether its
    width is long's or the pointer's."""

    spelling: str
    unsigned: bool
    pointer_wide: bool

    def bits(self, w: Widths) -> int:
        return w.pointer_bits if self.pointer_wide else w.long_bits

    def limits(self, w: Widths) -> tuple[int, int]:
        bits = self.bits(w)
        return (0, (1 << bits) - 1) if self.unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


@dataclass(frozen=True)
class Estimate:
    """What the precompiler knows of an expression's value: exactly (``value``), or why
    it may be wide (``reason``)."""

    value: int | None = None
    reason: str | None = None


# ---------------------------------------------------------------------------------------
# The whole analysis
# ---------------------------------------------------------------------------------------


def analyse(ast: c_ast.FileAST, source_name: str, src: Widths, dst: Widths) -> list[Finding]:
    """Every finding about migrating the program from ``src`` to ``dst`` widths, in source
    order within each kind. ``ast`` is not changed."""
    refused, plan = refusals(copy.deepcopy(ast), source_name)
    types = list(long_doubles(ast, plan))
    # the precompiler's own refusal of a long double says less than the finding about it
    covered = {f.where for f in types if f.severity == "error"}
    return [*[f for f in refused if f.where not in covered], *types, *value_ranges(ast, plan, src, dst)]


def refusals(ast: c_ast.FileAST, source_name: str) -> tuple[list[Finding], Plan | None]:
    """The constructs the MCL refuses (all the migration-unsafe ones at once, then the
    precompiler's first refusal of another kind: it stops there), and the precompiler's
    plan when it accepts the program. ``ast`` is changed (precompiled)."""
    try:
        unsafe = list(unsafe_constructs(ast, TypeResolver(ast)))
    except ConfigError as exc:  # a type the resolver refuses outright (a struct it cannot describe)
        return [_located("unsupported", str(exc), source_name)], None
    findings = [_located("unsupported", message, source_name) for message in unsafe]
    try:
        return findings, migratable_unit(ast, source_name, program_key=source_name).plan
    except ConfigError as exc:
        for text in str(exc).splitlines():
            text = text.strip()
            if text and text not in unsafe and not text.endswith("migration-unsafe constructs:"):
                findings.append(_located("unsupported", text, source_name))
        return findings, None


def _located(kind: str, message: str, source_name: str) -> Finding:
    if LONG_DOUBLE in message:  # a struct field the resolver refuses outright, say
        kind = "no-portable-form"
    m = LOCATION.match(message)
    if m:
        return Finding("error", kind, m["where"], m["message"])
    return Finding("error", kind, source_name, message)


# ---------------------------------------------------------------------------------------
# long double: no portable form
# ---------------------------------------------------------------------------------------


def long_doubles(ast: c_ast.FileAST, plan: Plan | None) -> Iterator[Finding]:
    """Each use of a type without a portable form (long double): refused where the object
    would travel (a global, a struct field, a local of a function that can migrate),
    harmless where it never does (a function that cannot migrate, a cast, a sizeof)."""
    migratable = plan.migratable if plan else None
    try:
        uses = list(iter_type_uses(ast))
    except ConfigError:
        return  # a type the resolver refuses outright: refusals() has said which
    for use in uses:
        bad = find_unsupported(use.ctype)
        if bad is None or LONG_DOUBLE not in bad.what:
            continue
        named = f"{use.name} " if use.name else ""
        local = use.role in ("local", "param")
        travels = use.role in ("global", "struct", "typedef") or (
            local and migratable is not None and use.function in migratable)
        unknown = local and migratable is None
        if travels or unknown:
            yield Finding("warning" if unknown else "error", "no-portable-form", use.coord,
                          f"{use.role} {named}has type long double, which has no portable form (its format "
                          "differs between the ISAs: 64-bit double, 80-bit x87, 128-bit quad); the MCL refuses "
                          "it in anything that migrates"
                          + (f", as {use.function} would be if it can migrate (the precompiler stopped before it "
                             "could tell)" if unknown else "") + ": use double")
        else:
            where_ = f"in {use.function}, which cannot migrate" if use.function else "that never migrates"
            yield Finding("note", "no-portable-form", use.coord,
                          f"{use.role} {named}of type long double {where_}: it stays on the source machine, "
                          "so it needs no portable form")


# ---------------------------------------------------------------------------------------
# Word-sized values
# ---------------------------------------------------------------------------------------


class _Scope:
    """The word-sized declarations of the program: globals, each function's locals and
    parameters, and struct fields (by name), with the program's typedefs followed."""

    def __init__(self, ast: c_ast.FileAST) -> None:
        self.typedefs: dict[str, c_ast.Node] = {}
        self.globals: dict[str, tuple[c_ast.Decl, WideType]] = {}
        self.fields: dict[str, tuple[c_ast.Decl, WideType]] = {}
        self.locals: dict[str, dict[str, tuple[c_ast.Decl, WideType]]] = {}
        for top in ast.ext:
            if isinstance(top, c_ast.Typedef):
                self.typedefs[top.name] = top.type
        for top in ast.ext:
            if is_runtime_file(getattr(top.coord, "file", None)):
                continue
            if isinstance(top, c_ast.FuncDef):
                mine: dict[str, tuple[c_ast.Decl, WideType]] = {}
                members = {id(f) for n in walk(top) if isinstance(n, c_ast.Struct | c_ast.Union) for f in n.decls or ()}
                for node in walk(top):
                    if isinstance(node, c_ast.Decl) and node.name and node is not top.decl and id(node) not in members:
                        self._add(mine, node)
                self.locals[top.decl.name] = mine
            elif isinstance(top, c_ast.Decl) and not isinstance(top.type, c_ast.FuncDecl):
                if not {"extern", "typedef"} & set(top.storage) and "const" not in top.quals:
                    self._add(self.globals, top)
            for node in walk(top):
                if isinstance(node, c_ast.Struct) and node.decls:
                    for f in node.decls:
                        if f.name:
                            self._add(self.fields, f)

    def _add(self, into: dict[str, tuple[c_ast.Decl, WideType]], decl: c_ast.Decl) -> None:
        wide = self.element_type(decl.type)
        if wide is not None:
            into[decl.name] = (decl, wide)

    def element_type(self, t: c_ast.Node) -> WideType | None:
        """The word-sized integer a declaration holds, as a scalar or the element of an
        array or of a pointed-to block (the block travels with the pointer)."""
        while isinstance(t, c_ast.ArrayDecl | c_ast.PtrDecl):
            t = t.type
        return self.wide(t)

    def wide(self, t: c_ast.Node, depth: int = 0) -> WideType | None:
        if not isinstance(t, c_ast.TypeDecl) or not isinstance(t.type, c_ast.IdentifierType) or depth > 32:
            return None
        names = t.type.names
        if len(names) == 1 and names[0] in POINTER_WIDE_TYPEDEFS:
            return WideType(names[0], POINTER_WIDE_TYPEDEFS[names[0]], pointer_wide=True)
        if len(names) == 1 and names[0] in self.typedefs:
            return self.wide(self.typedefs[names[0]], depth + 1)
        if names.count("long") == 1 and "double" not in names:
            unsigned = "unsigned" in names
            return WideType("unsigned long" if unsigned else "long", unsigned, pointer_wide=False)
        return None

    def lookup(self, function: str, lvalue: c_ast.Node) -> tuple[str, c_ast.Decl, WideType] | None:
        """The word-sized object an assignment writes: a variable, an element of a
        word-sized array or pointed-to block, or a struct field (by its name)."""
        if isinstance(lvalue, c_ast.ID):
            found = self.locals.get(function, {}).get(lvalue.name) or self.globals.get(lvalue.name)
            if found and isinstance(found[0].type, c_ast.TypeDecl):
                return lvalue.name, *found
            return None
        if isinstance(lvalue, c_ast.ArrayRef) or (isinstance(lvalue, c_ast.UnaryOp) and lvalue.op == "*"):
            base = lvalue.name if isinstance(lvalue, c_ast.ArrayRef) else lvalue.expr
            if isinstance(base, c_ast.ID):
                found = self.locals.get(function, {}).get(base.name) or self.globals.get(base.name)
                if found and not isinstance(found[0].type, c_ast.TypeDecl):
                    return f"an element of {base.name}", *found
            return None
        if isinstance(lvalue, c_ast.StructRef) and lvalue.field.name in self.fields:
            return f"field {lvalue.field.name}", *self.fields[lvalue.field.name]
        return None

    def is_wide_operand(self, function: str, e: c_ast.Node) -> bool:
        if isinstance(e, c_ast.Cast):
            return self.wide(e.to_type.type) is not None
        return self.lookup(function, e) is not None


def value_ranges(ast: c_ast.FileAST, plan: Plan | None, src: Widths, dst: Widths) -> Iterator[Finding]:
    """The word-sized values that may not fit the destination: nothing when no type
    narrows; otherwise an error per constant outside the destination's range, a warning
    per wide shift or product, and a run-time check per other word-sized object that
    travels (a global, a live local, a struct field)."""
    scope = _Scope(ast)
    narrowing = [kind for kind, s, d in (("long", src.long_bits, dst.long_bits),
                                         ("pointer-sized", src.pointer_bits, dst.pointer_bits)) if s > d]
    if not narrowing:
        return
    travelling = list(_travelling(scope, plan))
    travels = {id(decl) for _, decl, _, _ in travelling}
    flagged: set[int] = set()
    for top in ast.ext:
        if is_runtime_file(getattr(top.coord, "file", None)):
            continue
        fn = top.decl.name if isinstance(top, c_ast.FuncDef) else ""  # "": file scope, globals only
        for node in walk(top):
            target = value = None
            compound = "="
            if isinstance(node, c_ast.Assignment):
                target, value, compound = scope.lookup(fn, node.lvalue), node.rvalue, node.op
            elif isinstance(node, c_ast.Decl) and node.init is not None and node.name:
                found = scope.locals.get(fn, {}).get(node.name) or (scope.globals.get(node.name) if not fn else None)
                if found and found[0] is node and isinstance(node.type, c_ast.TypeDecl):
                    target, value = (node.name, *found), node.init
            if target is None or value is None or not isinstance(value, c_ast.Node):
                continue
            name, decl, wide = target
            if id(decl) not in travels or wide.bits(src) <= wide.bits(dst):
                continue
            finding = _judge(scope, fn, node, name, wide, value, compound, dst)
            if finding is not None:
                flagged.add(id(decl))
                yield finding
    for name, decl, wide, role in travelling:
        if id(decl) in flagged or wide.bits(src) <= wide.bits(dst):
            continue
        low, high = wide.limits(dst)
        yield Finding("note", "runtime-check", where(decl),
                      f"{name} ({wide.spelling}, {role}) travels in 64 bits and becomes {wide.bits(dst)}-bit on the "
                      f"destination: the precompiler cannot bound its value, so the runtime checks it when "
                      f"migrating and refuses a value outside {low}..{high} before the first write (the source "
                      "carries on)")


def _judge(scope: _Scope, fn: str, node: c_ast.Node, name: str, wide: WideType, value: c_ast.Node,
           compound: str, dst: Widths) -> Finding | None:
    low, high = wide.limits(dst)
    bits = wide.bits(dst)
    estimate = _estimate(scope, fn, value, bits)
    if compound in ("<<=",) and estimate.value is not None and estimate.value >= bits - 1:
        estimate = Estimate(reason=f"a shift by {estimate.value}")
    elif compound == "*=" and scope.is_wide_operand(fn, value):
        estimate = Estimate(reason="a product of two word-sized values")
    elif compound not in ("=", "+=", "-=", "|=", "^="):
        return None
    code = gen(node) if isinstance(node, c_ast.Assignment) else f"{name} = {gen(value)}"
    if estimate.value is not None and not low <= estimate.value <= high:
        return Finding("error", "value-range", where(node),
                       f"`{code}` stores {estimate.value} in {name} ({wide.spelling}), which does not fit "
                       f"{wide.spelling} on the destination ({bits}-bit, {low}..{high}): a migration while it "
                       "holds this value is refused")
    if estimate.reason is not None:
        return Finding("warning", "value-range", where(node),
                       f"`{code}` stores {estimate.reason} in {name} ({wide.spelling}), which may not fit "
                       f"{wide.spelling} on the destination ({bits}-bit): the runtime refuses the migration if it "
                       "does not")
    return None


def _estimate(scope: _Scope, fn: str, e: c_ast.Node, bits: int) -> Estimate:
    """The value of an expression where constants decide it, or why it may be wide."""
    if isinstance(e, c_ast.Constant):
        return Estimate(value=_integer_constant(e))
    if isinstance(e, c_ast.Cast):
        inner = _estimate(scope, fn, e.expr, bits)
        widened = scope.wide(e.to_type.type) is not None or "long" in gen(e.to_type)
        return inner if widened else Estimate()
    if isinstance(e, c_ast.UnaryOp) and e.op in ("-", "~", "+"):
        v = _estimate(scope, fn, e.expr, bits)
        if v.value is None:
            return v
        return Estimate(value={"-": -v.value, "~": ~v.value, "+": v.value}[e.op])
    if isinstance(e, c_ast.TernaryOp):
        options = [_estimate(scope, fn, x, bits) for x in (e.iftrue, e.iffalse)]
        exact = [o.value for o in options if o.value is not None]
        reasons = [o.reason for o in options if o.reason]
        if reasons:
            return Estimate(reason=reasons[0])
        return Estimate(value=max(exact, key=abs)) if exact else Estimate()
    if isinstance(e, c_ast.BinaryOp):
        left, right = _estimate(scope, fn, e.left, bits), _estimate(scope, fn, e.right, bits)
        if left.value is not None and right.value is not None:
            return Estimate(value=_fold(e.op, left.value, right.value))
        if e.op == "<<" and right.value is not None and right.value >= bits - 1:
            return Estimate(reason=f"a shift by {right.value}")
        if e.op == "*" and scope.is_wide_operand(fn, e.left) and scope.is_wide_operand(fn, e.right):
            return Estimate(reason="a product of two word-sized values")
        if e.op in ("+", "-", "*", "|", "^"):
            return left if left.reason else right if right.reason else Estimate()
    return Estimate()


def _fold(op: str, a: int, b: int) -> int | None:
    try:
        return {
            "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "<<": lambda: a << b if 0 <= b < 128 else None,
            ">>": lambda: a >> b if b >= 0 else None, "&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b,
            "/": lambda: int(a / b) if b else None, "%": lambda: a - int(a / b) * b if b else None,
        }.get(op, lambda: None)()
    except (OverflowError, ValueError):
        return None


def _integer_constant(c: c_ast.Constant) -> int | None:
    if "int" not in c.type and "long" not in c.type:
        return None
    text = c.value.rstrip("uUlL")
    try:
        if text.lower().startswith(("0x", "0b")):
            return int(text, 0)
        return int(text, 8) if len(text) > 1 and text.startswith("0") else int(text)
    except ValueError:
        return None


def _travelling(scope: _Scope, plan: Plan | None) -> Iterator[tuple[str, c_ast.Decl, WideType, str]]:
    """The word-sized objects that travel: every writable global, every local live at a
    site of a migratable function (or a stack block there), every struct field; without a
    plan (the precompiler refused the program), every local of every function."""
    for name, (decl, wide) in scope.globals.items():
        yield name, decl, wide, "global"
    live: dict[str, set[str]] = {}
    if plan is not None:
        for fn in plan.functions.values():
            live[fn.name] = {n for s in fn.sites for n in s.live} | {v.name for v in fn.blocks}
    for fn_name, names in scope.locals.items():
        for name, (decl, wide) in names.items():
            if plan is None or name in live.get(fn_name, set()):
                yield name, decl, wide, f"local of {fn_name}"
    for name, (decl, wide) in scope.fields.items():
        yield name, decl, wide, "struct field"
