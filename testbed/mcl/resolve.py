"""Resolution of pycparser type nodes to the portable model (``ctype``), with C scoping:
``TypeResolver`` for typedefs and struct tags, ``iter_type_uses`` for every place a
program declares or names a type."""

from __future__ import annotations

import ast as pyast
from collections.abc import Iterator
from dataclasses import dataclass

from pycparser import c_ast

from testbed.errors import ConfigError
from testbed.mcl.cparse import is_runtime_file, parse_text, where
from testbed.mcl.ctype import (
    Array,
    CType,
    FuncPtr,
    Pointer,
    Prim,
    Struct,
    Unsupported,
    VarArray,
    Void,
    c_spelling,
    find_unsupported,
    has_pointers,
    portable_size,
    swap_units,
)

# A function type (not an object): only ever the target of a function pointer.
FUNCTION_TYPE = Unsupported("function type", "", pointer=True)


class Scope:
    """One C scope: typedef names, struct/union/enum tags and enumeration constants."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.typedefs: dict[str, c_ast.Typedef] = {}
        self.typedef_scope: dict[str, Scope] = {}
        self.tags: dict[str, tuple[c_ast.Node, Scope]] = {}
        self.enums: dict[str, int | None] = {}

    @property
    def is_file(self) -> bool:
        return self.parent is None

    def typedef(self, name: str) -> tuple[c_ast.Typedef, Scope] | None:
        s: Scope | None = self
        while s is not None:
            if name in s.typedefs:
                return s.typedefs[name], s.typedef_scope[name]
            s = s.parent
        return None

    def tag(self, name: str) -> tuple[c_ast.Node, Scope] | None:
        s: Scope | None = self
        while s is not None:
            if name in s.tags:
                return s.tags[name]
            s = s.parent
        return None

    def enum(self, name: str) -> tuple[bool, int | None]:
        s: Scope | None = self
        while s is not None:
            if name in s.enums:
                return True, s.enums[name]
            s = s.parent
        return False, None


# The tags transform.tag_anonymous_aggregates gives anonymous structs and unions.
ANONYMOUS_TAG_PREFIX = "__mcl_anon_"


def _display(keyword: str, tag: str) -> str:
    """How messages name a struct or union: the precompiler's own tags as anonymous."""
    if tag.startswith(ANONYMOUS_TAG_PREFIX):
        return f"{keyword} <anonymous {tag[len(ANONYMOUS_TAG_PREFIX):]}>"
    return f"{keyword} {tag}"


@dataclass(frozen=True)
class _Hint:
    """How generated code can name an anonymous struct reached at this point: ``expr`` is
    an lvalue expression of the type, ``plain`` a typedef name when it names it directly."""

    expr: str
    canon: str
    display: str
    plain: str | None = None

    def deref(self) -> _Hint:
        return _Hint(f"*({self.expr})", self.canon + "_target", f"*{self.display}")

    def index(self) -> _Hint:
        return _Hint(f"({self.expr})[0]", self.canon + "_elem", f"{self.display}[]")


class _NotConstant(Exception):
    """An array size that is not a portable integer constant."""


@dataclass(frozen=True)
class TypeUse:
    """One place a program declares or names a type, in source order."""

    role: str          # typedef, struct, global, local, param, cast, sizeof, offsetof, ...
    name: str | None   # the declared name, if any
    ctype: CType
    coord: str         # file:line
    function: str | None = None


class TypeResolver:
    """Resolves pycparser type nodes of one translation unit to the portable model.

    File-scope typedefs and tags are registered up front (a struct may point to one
    defined later); block-scope ones as ``iter_type_uses`` walks into functions."""

    def __init__(self, ast: c_ast.FileAST) -> None:
        self.ast = ast
        self.file_scope = Scope()
        self._structs: dict[int, Struct | Unsupported] = {}
        self._unions: dict[int, Struct | Unsupported] = {}
        self._typedef_types: dict[int, CType] = {}
        # The name an anonymous struct or union is known by, whichever use resolves it first
        # (two resolvers of one unit, the TI's and the rewriter's, must agree on it).
        self._anonymous_names: dict[int, _Hint] = {}
        for ext in ast.ext:
            if isinstance(ext, c_ast.Typedef):
                self._name_anonymous(ext)
                self.register(ext, self.file_scope)
            elif isinstance(ext, c_ast.Decl):
                self.register(ext, self.file_scope)
            elif isinstance(ext, c_ast.FuncDef):
                self.register_type_tree(ext.decl.type, self.file_scope)

    # ---- registration ----

    def _name_anonymous(self, typedef: c_ast.Typedef) -> None:
        """Name an anonymous struct or union after the first typedef that names it directly
        (`typedef struct {...} S, *P;` -> S), else after the first that reaches it."""
        hint = _Hint(f"(*({typedef.name} *)0)", f"struct_{typedef.name}", typedef.name, plain=typedef.name)
        node = typedef.type
        while isinstance(node, c_ast.TypeDecl | c_ast.PtrDecl | c_ast.ArrayDecl):
            if isinstance(node, c_ast.PtrDecl):
                hint = hint.deref()
            elif isinstance(node, c_ast.ArrayDecl):
                hint = hint.index()
            node = node.type
        if isinstance(node, c_ast.Struct | c_ast.Union) and node.name is None and node.decls is not None:
            known = self._anonymous_names.get(id(node))
            if known is None or (known.plain is None and hint.plain is not None):
                self._anonymous_names[id(node)] = hint

    def register(self, node: c_ast.Node, scope: Scope) -> None:
        """Register a declaration's typedef name, tags and enumeration constants."""
        if isinstance(node, c_ast.Typedef):
            scope.typedefs.setdefault(node.name, node)
            scope.typedef_scope.setdefault(node.name, scope)
        self.register_type_tree(node.type, scope)

    def register_type_tree(self, node: c_ast.Node | None, scope: Scope) -> None:
        """Register every tag defined inside a type (nested struct tags share the scope)."""
        while isinstance(node, c_ast.TypeDecl | c_ast.PtrDecl | c_ast.ArrayDecl | c_ast.FuncDecl):
            node = node.type  # a FuncDecl's parameters have prototype scope: skipped
        if isinstance(node, c_ast.Struct | c_ast.Union) and node.decls is not None:
            if node.name and node.name not in scope.tags:
                scope.tags[node.name] = (node, scope)
            for decl in node.decls:
                if isinstance(decl, c_ast.Decl):
                    self.register_type_tree(decl.type, scope)
        elif isinstance(node, c_ast.Enum) and node.values is not None:
            if node.name and node.name not in scope.tags:
                scope.tags[node.name] = (node, scope)
            value: int | None = -1
            for enumerator in node.values.enumerators:
                if enumerator.value is not None:
                    try:
                        value = self.eval_const(enumerator.value, scope)
                    except _NotConstant:
                        value = None
                else:
                    value = None if value is None else value + 1
                scope.enums[enumerator.name] = value

    # ---- resolution ----

    def resolve(self, node: c_ast.Node, scope: Scope | None = None) -> CType:
        """The model type of a Decl, Typename, Typedef or type node, seen from ``scope``."""
        return self._resolve(node, scope or self.file_scope, None)

    def resolve_param(self, decl: c_ast.Node, scope: Scope | None = None) -> CType:
        """A parameter's type: arrays decay to pointers, functions to function pointers."""
        node = decl.type if isinstance(decl, c_ast.Decl | c_ast.Typename) else decl
        if isinstance(node, c_ast.FuncDecl):
            return FuncPtr()
        if isinstance(node, c_ast.ArrayDecl):
            return Pointer(self._resolve(node.type, scope or self.file_scope, None))
        t = self._resolve(node, scope or self.file_scope, None)
        return Pointer(t.elem) if isinstance(t, Array | VarArray) else t

    def resolve_variable(self, decl: c_ast.Decl, scope: Scope | None = None) -> CType:
        """A variable's type; an array of unspecified size takes it from the initializer."""
        scope = scope or self.file_scope
        hint = None
        if scope.is_file and decl.name:
            hint = _Hint(decl.name, f"anon_{decl.name}", decl.name)  # __typeof__(name)
        node = decl.type
        if isinstance(node, c_ast.ArrayDecl) and node.dim is None and decl.init is not None:
            count = initializer_count(decl.init)
            if count is None:
                return Unsupported("array sized by a designated or unusual initializer", where(decl))
            return Array(self._resolve(node.type, scope, hint.index() if hint else None), count)
        return self._resolve(node, scope, hint)

    def parse_type_name(self, text: str) -> CType:
        """Resolve a C type name given as text (``"struct node *"``) at file scope."""
        typedefs = "".join(f"typedef int {name};\n" for name in self.file_scope.typedefs)
        source = f"{typedefs}unsigned __mcl_probe = sizeof({text});\n"
        probe = parse_text(source, "<type name>")
        init = probe.ext[-1].init
        if not (isinstance(init, c_ast.UnaryOp) and isinstance(init.expr, c_ast.Typename)):
            raise ConfigError(f"{text!r} is not a C type name")
        return self._resolve(init.expr, self.file_scope, None)

    def _resolve(self, node: c_ast.Node, scope: Scope, hint: _Hint | None) -> CType:
        if isinstance(node, c_ast.Decl | c_ast.Typename | c_ast.Typedef):
            node = node.type
        if isinstance(node, c_ast.TypeDecl):
            return self._base(node.type, scope, hint)
        if isinstance(node, c_ast.Struct | c_ast.Union | c_ast.Enum | c_ast.IdentifierType):
            return self._base(node, scope, hint)
        if isinstance(node, c_ast.PtrDecl):
            if isinstance(node.type, c_ast.FuncDecl):
                return FuncPtr()
            target = self._resolve(node.type, scope, hint.deref() if hint else None)
            if target == FUNCTION_TYPE:  # through a typedef of a function type
                return FuncPtr()
            return Pointer(target)
        if isinstance(node, c_ast.ArrayDecl):
            if node.dim is None:
                return Unsupported("array of unspecified size", where(node))
            elem = self._resolve(node.type, scope, hint.index() if hint else None)
            try:
                count = self.eval_const(node.dim, scope)
            except _NotConstant:
                return VarArray(elem, node.dim, where(node))
            if count <= 0:
                return Unsupported(f"array of {count} elements", where(node))
            return Array(elem, count)
        if isinstance(node, c_ast.FuncDecl):
            return FUNCTION_TYPE
        raise ConfigError(f"{where(node)}: unexpected type construct {type(node).__name__}")

    def _base(self, node: c_ast.Node, scope: Scope, hint: _Hint | None) -> CType:
        if isinstance(node, c_ast.IdentifierType):
            if len(node.names) == 1:
                found = scope.typedef(node.names[0])
                if found is not None:
                    return self._typedef_type(*found)
            return _prim_from_names(node.names, where(node))
        if isinstance(node, c_ast.Struct):
            if node.name:
                found = scope.tag(node.name)
                if found is None or not isinstance(found[0], c_ast.Struct):
                    if node.decls is None:
                        return Unsupported(f"incomplete struct {node.name} (declared, never defined)",
                                           where(node))
                    found = (node, scope)
                return self._struct_def(found[0], found[1], None)
            return self._struct_def(node, scope, hint)
        if isinstance(node, c_ast.Union):
            if node.name and node.decls is None:
                found = scope.tag(node.name)
                if found is None or not isinstance(found[0], c_ast.Union):
                    return Unsupported(f"incomplete union {node.name}", where(node))
                return self._union_def(*found)
            return self._union_def(node, scope, hint)
        if isinstance(node, c_ast.Enum):
            return Prim.of("I32")
        raise ConfigError(f"{where(node)}: unexpected type construct {type(node).__name__}")

    def _typedef_type(self, node: c_ast.Typedef, scope: Scope) -> CType:
        key = id(node)
        if key not in self._typedef_types:
            hint = _Hint(f"(*({node.name} *)0)", f"struct_{node.name}", node.name, plain=node.name)
            self._typedef_types[key] = self._resolve(node.type, scope, hint)
        return self._typedef_types[key]

    def _struct_def(self, node: c_ast.Struct, scope: Scope, hint: _Hint | None) -> CType:
        key = id(node)
        if key in self._structs:
            return self._structs[key]
        label = _display("struct", node.name) if node.name else "anonymous struct"
        if not scope.is_file:
            result: Struct | Unsupported = Unsupported(
                f"{label} defined inside a function (define it at file scope)", where(node))
            self._structs[key] = result
            return result
        hint = self._anonymous_names.get(key, hint)
        if node.name:
            s = Struct(node.name, spelling=f"struct {node.name}", canon=f"struct_{node.name}",
                       display=_display("struct", node.name), coord=where(node))
        elif hint is not None:
            s = Struct(None, spelling=hint.plain or f"__typeof__({hint.expr})", canon=hint.canon,
                       display=hint.plain or f"struct <anonymous {hint.display}>", coord=where(node))
        else:
            result = Unsupported(f"{label} outside a typedef or struct field (give it a tag)",
                                 where(node))
            self._structs[key] = result
            return result
        self._structs[key] = s
        for decl in node.decls or []:
            self._add_field(s, decl, scope)
        return s

    def _add_field(self, s: Struct, decl: c_ast.Node, scope: Scope) -> None:
        if isinstance(decl, c_ast.Decl) and decl.bitsize is not None:
            self._add_bit_field(s, decl, scope)
            return
        if not isinstance(decl, c_ast.Decl) or decl.name is None:
            raise ConfigError(f"{where(decl)}: anonymous member in {s.display} is not supported; "
                              "name the member")
        if isinstance(decl.type, c_ast.ArrayDecl) and decl.type.dim is None:
            raise ConfigError(f"{where(decl)}: flexible array member '{decl.name}' in {s.display} "
                              "is not supported")
        inner = _Hint(f"(({s.spelling} *)0)->{decl.name}", f"{s.canon}_{decl.name}",
                      f"{s.display}.{decl.name}")
        t = self._resolve(decl.type, scope, inner)
        if isinstance(t, VarArray):
            raise ConfigError(f"{where(decl)}: the size of array field '{decl.name}' of "
                              f"{s.display} is not a portable integer constant")
        bad = find_unsupported(t)
        if bad is not None:
            raise ConfigError(f"{where(decl)}: field '{decl.name}' of {s.display} has an "
                              f"unsupported type: {bad.what}")
        if self._is_const(decl.type, scope):
            s.const_fields.add(decl.name)
        s.fields.append((decl.name, t))
        s.layout.append((decl.name, t, None))

    def _add_bit_field(self, s: Struct, decl: c_ast.Decl, scope: Scope) -> None:
        """A bit-field travels as its value, a primitive of its declared type: the bytes of
        its storage unit would not do, since the ISAs number the bits of a unit from
        opposite ends (docs/mcl.md). An unnamed one is padding: room, nothing to send."""
        label = f"bit-field '{decl.name}'" if decl.name else "an unnamed bit-field"
        t = self._resolve(decl.type, scope, None)
        if not isinstance(t, Prim) or t.prim in ("F32", "F64"):
            raise ConfigError(f"{where(decl)}: {label} in {s.display} must have an integer type")
        try:
            width = self.eval_const(decl.bitsize, scope)
        except _NotConstant:
            raise ConfigError(f"{where(decl)}: the width of {label} in {s.display} is not an integer "
                              "constant") from None
        try:
            size = portable_size(t)
        except ValueError:
            raise ConfigError(f"{where(decl)}: {label} in {s.display} has type {c_spelling(t, display=True)}, "
                              "whose size differs between the ISAs (ILP32 and LP64), and so does the "
                              "struct's layout: declare it int or unsigned int") from None
        if not 0 <= width <= 8 * size or (width == 0 and decl.name):
            raise ConfigError(f"{where(decl)}: {label} in {s.display} has an invalid width {width}")
        s.layout.append((decl.name, t, width))
        if decl.name:
            if self._is_const(decl.type, scope):
                raise ConfigError(f"{where(decl)}: const {label} in {s.display} cannot be restored "
                                  "(a bit-field has no address to write through); drop the const")
            s.bits[decl.name] = width
            s.fields.append((decl.name, t))

    def is_const_object(self, decl: c_ast.Decl) -> bool:
        """Whether a file-scope variable itself is const (``const int t[4]``, ``char *const
        p``), not only what it points to (``const char *p`` is a writable pointer)."""
        return self._is_const(decl.type, self.file_scope)

    def _is_const(self, node: c_ast.Node, scope: Scope) -> bool:
        """Whether a field is const-qualified at its top level (so generated restore code
        writes it through a cast instead of assigning)."""
        while isinstance(node, c_ast.ArrayDecl):
            node = node.type
        if isinstance(node, c_ast.PtrDecl):
            return "const" in (node.quals or [])
        if isinstance(node, c_ast.TypeDecl):
            if "const" in (node.quals or []):
                return True
            base = node.type
            if isinstance(base, c_ast.IdentifierType) and len(base.names) == 1:
                found = scope.typedef(base.names[0])
                if found is not None:
                    return self._is_const(found[0].type, found[1])
        return False

    def _union_def(self, node: c_ast.Union, scope: Scope, hint: _Hint | None = None) -> Struct | Unsupported:
        """A union without pointers travels as its largest member (the stream carries its
        bytes in that member's portable form), accepted only where every member's bytes
        are ordered as the largest member's (``int``/``float``/``unsigned``; a ``double``
        with a ``long long``): then whichever member is active reads the same value on
        the other ISA. A union of ``int`` and ``char[4]`` would not (the int's bytes are
        reversed, the chars are not), so it stays unsupported, saying why; so does one
        with a struct member (padding could place the same primitives at other offsets)."""
        key = id(node)
        if key in self._unions:
            return self._unions[key]
        hint = self._anonymous_names.get(key, hint)
        label = _display("union", node.name) if node.name else "anonymous union"
        # a member pointing to the union itself resolves it again: it finds this, and is
        # refused below as a pointer
        self._unions[key] = Unsupported(f"{label} (a member refers to the union itself)", where(node))
        members: list[tuple[str, CType]] = []
        for decl in node.decls or []:
            if isinstance(decl, c_ast.Decl):
                member = self._resolve(decl.type, scope, None)
                if has_pointers(member):
                    raise ConfigError(
                        f"{where(decl)}: {label} member '{decl.name}' holds a pointer; a union "
                        "holding a pointer cannot be migrated (its active member is unknown)")
                if decl.bitsize is not None or decl.name is None:
                    members = []
                    break
                members.append((decl.name, member))
        self._unions[key] = self._union_as_member(node, label, members, hint)
        return self._unions[key]

    def _union_as_member(self, node: c_ast.Union, label: str, members: list[tuple[str, CType]],
                         hint: _Hint | None) -> Struct | Unsupported:
        units = {name: swap_units(t) for name, t in members}
        if not members or any(u is None for u in units.values()):
            return Unsupported(f"{label} (a member that is not a primitive or an array of one)", where(node))
        name, largest = max(members, key=lambda m: sum(units[m[0]] or []))
        for other, _ in members:
            mine = units[other] or []
            if (units[name] or [])[:len(mine)] != mine:
                return Unsupported(f"{label} (members {name} and {other} order their bytes differently: "
                                   "the value of one would change on the other ISA)", where(node))
        if node.name:
            spelling, canon, display = f"union {node.name}", f"union_{node.name}", _display("union", node.name)
        elif hint is not None:
            spelling = hint.plain or f"__typeof__({hint.expr})"
            canon, display = hint.canon, hint.plain or f"union <anonymous {hint.display}>"
        else:
            return Unsupported(f"{label} outside a typedef or struct field (give it a tag)", where(node))
        return Struct(node.name, [(name, largest)], spelling=spelling, canon=canon, display=display,
                      coord=where(node))

    # ---- constant expressions ----

    def eval_const(self, node: c_ast.Node, scope: Scope) -> int:
        """An integer constant expression (array sizes, enumerators); a sizeof that differs
        between ILP32 and LP64 is not constant here."""
        if isinstance(node, c_ast.Constant):
            return _int_constant(node.value)
        if isinstance(node, c_ast.ID):
            known, value = scope.enum(node.name)
            if not known or value is None:
                raise _NotConstant(f"{node.name} is not a known enumeration constant")
            return value
        if isinstance(node, c_ast.Cast):
            return self.eval_const(node.expr, scope)
        if isinstance(node, c_ast.UnaryOp):
            if node.op in ("sizeof", "_Alignof") and isinstance(node.expr, c_ast.Typename):
                if node.op == "_Alignof":
                    raise _NotConstant("_Alignof")
                try:
                    return portable_size(self._resolve(node.expr, scope, None))
                except ValueError as exc:
                    raise _NotConstant(str(exc)) from None
            if node.op == "sizeof":
                raise _NotConstant("sizeof of an expression")
            v = self.eval_const(node.expr, scope)
            ops = {"-": lambda: -v, "+": lambda: v, "~": lambda: ~v, "!": lambda: int(not v)}
            if node.op in ops:
                return ops[node.op]()
            raise _NotConstant(f"operator {node.op}")
        if isinstance(node, c_ast.BinaryOp):
            a = self.eval_const(node.left, scope)
            if node.op == "&&":
                return int(bool(a) and bool(self.eval_const(node.right, scope)))
            if node.op == "||":
                return int(bool(a) or bool(self.eval_const(node.right, scope)))
            b = self.eval_const(node.right, scope)
            return _binary(node.op, a, b)
        if isinstance(node, c_ast.TernaryOp):
            cond = self.eval_const(node.cond, scope)
            return self.eval_const(node.iftrue if cond else node.iffalse, scope)
        raise _NotConstant(f"{type(node).__name__} expression")


def _binary(op: str, a: int, b: int) -> int:
    if op in ("/", "%"):
        if b == 0:
            raise _NotConstant("division by zero")
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # C truncates toward zero
        return q if op == "/" else a - q * b
    table = {
        "+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b,
        "==": int(a == b), "!=": int(a != b), "<": int(a < b), ">": int(a > b),
        "<=": int(a <= b), ">=": int(a >= b),
    }
    if op in table:
        return table[op]
    if op in ("<<", ">>") and 0 <= b < 64:
        return a << b if op == "<<" else a >> b
    raise _NotConstant(f"operator {op}")


def _int_constant(text: str) -> int:
    """Value of a C integer or character constant."""
    if text.startswith("'") or text[:2] in ("L'", "u'", "U'"):
        body = text[text.index("'"):]
        try:
            value = pyast.literal_eval("b" + body)
        except (ValueError, SyntaxError):
            raise _NotConstant(f"character constant {text}") from None
        if len(value) != 1:
            raise _NotConstant(f"character constant {text}")
        return value[0] - 256 if value[0] >= 128 else value[0]  # char is signed on both
    digits = text.rstrip("uUlL")
    try:
        if digits.lower().startswith(("0x", "0b")):
            return int(digits, 0)
        if len(digits) > 1 and digits.startswith("0"):
            return int(digits, 8)
        return int(digits)
    except ValueError:
        raise _NotConstant(f"constant {text}") from None


def initializer_count(init: c_ast.Node) -> int | None:
    """Element count implied by an initializer of an array of unspecified size."""
    if isinstance(init, c_ast.InitList):
        if any(isinstance(e, c_ast.NamedInitializer) for e in init.exprs):
            return None
        return len(init.exprs)
    if isinstance(init, c_ast.Constant) and init.type == "string" and init.value.startswith('"'):
        try:
            return len(pyast.literal_eval("b" + init.value)) + 1
        except (ValueError, SyntaxError):
            return None
    return None


def _prim_from_names(names: list[str], coord: str) -> CType:
    """The portable primitive of a list of type specifiers (``long`` is word-sized: IL/UL)."""
    words = list(names)
    unsigned = "unsigned" in words
    longs = words.count("long")
    base = [w for w in words if w not in ("signed", "unsigned", "long", "short", "int")]
    spelled = " ".join(names)
    if base == ["void"]:
        return Void()
    if base == ["_Bool"]:
        return Prim.of("U8")
    if base == ["char"]:
        return Prim.of("U8" if unsigned else "I8")
    if base == ["float"]:
        return Prim.of("F32")
    if base == ["double"]:
        if longs:
            return Unsupported("long double (its size differs between the ISAs)", coord)
        return Prim.of("F64")
    if base:
        return Unsupported(f"type {spelled}", coord)
    if "short" in words:
        return Prim.of("U16" if unsigned else "I16")
    if longs >= 2:
        return Prim.of("U64" if unsigned else "I64")
    if longs:
        return Prim.of("UL" if unsigned else "IL")
    return Prim.of("U32" if unsigned else "I32")


# ---------------------------------------------------------------------------------------
# Walking a program's type uses
# ---------------------------------------------------------------------------------------


def iter_type_uses(ast: c_ast.FileAST, resolver: TypeResolver | None = None) -> Iterator[TypeUse]:
    """Every type the program (not the runtime headers) declares or names, in source order:
    typedefs, struct definitions, globals, parameters, locals, casts, sizeof, offsetof and
    compound literals. Function prototypes and return types are not objects: skipped."""
    r = resolver or TypeResolver(ast)
    for ext in ast.ext:
        if is_runtime_file(getattr(ext.coord, "file", None)):
            continue
        if isinstance(ext, c_ast.FuncDef):
            yield from _function_uses(r, ext)
        else:
            yield from _walk(r, ext, r.file_scope, None)


def _function_uses(r: TypeResolver, fn: c_ast.FuncDef) -> Iterator[TypeUse]:
    name = fn.decl.name
    scope = Scope(r.file_scope)
    params: list[c_ast.Node] = []
    if isinstance(fn.decl.type, c_ast.FuncDecl) and fn.decl.type.args is not None:
        params = list(fn.decl.type.args.params)
    params += list(fn.param_decls or [])  # K&R definitions
    for p in params:
        if isinstance(p, c_ast.Decl) and p.name:
            yield TypeUse("param", p.name, r.resolve_param(p, scope), where(p), name)
    yield from _walk(r, fn.body, scope, name)


def _walk(r: TypeResolver, node: c_ast.Node | None, scope: Scope, fn: str | None) -> Iterator[TypeUse]:
    if node is None:
        return
    if isinstance(node, c_ast.Compound):
        inner = Scope(scope)
        for item in node.block_items or []:
            yield from _walk(r, item, inner, fn)
    elif isinstance(node, c_ast.For):
        inner = Scope(scope)
        for child in (node.init, node.cond, node.next, node.stmt):
            yield from _walk(r, child, inner, fn)
    elif isinstance(node, c_ast.Typedef):
        if not scope.is_file:
            r.register(node, scope)
        t = r._typedef_type(*(scope.typedef(node.name) or (node, scope)))
        yield TypeUse("typedef", node.name, t, where(node), fn)
    elif isinstance(node, c_ast.Decl):
        yield from _decl_uses(r, node, scope, fn)
    elif isinstance(node, c_ast.DeclList):
        for decl in node.decls:
            yield from _walk(r, decl, scope, fn)
    elif isinstance(node, c_ast.Typename):
        yield TypeUse("type name", None, r.resolve(node, scope), where(node), fn)
    elif isinstance(node, c_ast.Cast):
        yield TypeUse("cast", None, r.resolve(node.to_type, scope), where(node), fn)
        yield from _walk(r, node.expr, scope, fn)
    elif isinstance(node, c_ast.UnaryOp) and isinstance(node.expr, c_ast.Typename):
        yield TypeUse(node.op, None, r.resolve(node.expr, scope), where(node), fn)
    elif isinstance(node, c_ast.CompoundLiteral):
        yield TypeUse("compound literal", None, r.resolve(node.type, scope), where(node), fn)
        yield from _walk(r, node.init, scope, fn)
    elif (isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID)
          and node.name.name == "offsetof" and node.args is not None and node.args.exprs
          and isinstance(node.args.exprs[0], c_ast.Typename)):
        yield TypeUse("offsetof", None, r.resolve(node.args.exprs[0], scope), where(node), fn)
    elif isinstance(node, c_ast.FuncDef):
        return  # GNU nested functions: not supported, not walked
    else:
        for _, child in node.children():
            yield from _walk(r, child, scope, fn)


def _decl_uses(r: TypeResolver, decl: c_ast.Decl, scope: Scope, fn: str | None) -> Iterator[TypeUse]:
    if not scope.is_file:
        r.register(decl, scope)
    if decl.name is None:  # a tag declaration: struct x {...};
        if isinstance(decl.type, c_ast.Struct) and decl.type.decls is not None:
            yield TypeUse("struct", decl.type.name, r.resolve(decl.type, scope), where(decl), fn)
        elif isinstance(decl.type, c_ast.Union) and decl.type.decls is not None:
            r.resolve(decl.type, scope)  # rejects a union holding a pointer
        return
    if isinstance(decl.type, c_ast.FuncDecl):
        return  # a prototype
    role = "global" if scope.is_file else "local"
    yield TypeUse(role, decl.name, r.resolve_variable(decl, scope), where(decl), fn)
    yield from _walk(r, decl.init, scope, fn)
