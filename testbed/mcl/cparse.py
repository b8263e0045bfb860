"""C front end of the MCL tools: parse a preprocessed guest program, locate its nodes.

Shared by the Type-Information generator (ti.py) and the precompiler, so it keeps the
pycparser AST (with coordinates) intact. The guest's own preprocessor is run by the build
layer (testbed.build.preprocess, which knows the compilers); this module sees only text.
The portable type model is in ``ctype``, its resolution from pycparser nodes in ``resolve``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pycparser import c_ast
from pycparser.c_parser import CParser, ParseError

from testbed import GUESTS_DIR
from testbed.errors import ConfigError

RUNTIME_DIR = GUESTS_DIR / "runtime"
INCLUDE_DIR = RUNTIME_DIR / "include"

# What the analysis preprocessor leaves of ``__attribute__((...))``: parse_text removes
# it (pycparser does not parse attributes) and lists the ones whose loss matters.
ATTRIBUTE_MARK = "__mcl_attribute"
# The attributes the generated C would lose (pycparser drops them) and whose loss changes
# what the program does, with what they change: refused, the precompiled program would not
# behave as the reference does. The others (noinline, noreturn, unused, format, ...) only
# guide the compiler.
DROPPED_ATTRIBUTES = {
    **dict.fromkeys(("aligned", "packed", "vector_size", "mode", "transparent_union", "scalar_storage_order"),
                    "the layout of data"),
    **dict.fromkeys(("weak", "alias", "weakref", "section"), "how the program links"),
    **dict.fromkeys(("cleanup", "constructor", "destructor"), "what code runs"),
}

# GCC extensions pycparser does not parse, removed or mapped to standard C while
# preprocessing for analysis only (the real builds never see these definitions).
ANALYSIS_DEFINES = (
    "__MCL__",
    "__builtin_offsetof=offsetof",   # stddef.h's offsetof; pycparser knows `offsetof`
    f"__attribute__(x)={ATTRIBUTE_MARK} x",  # taken out again by parse_text, which reads them
    f"__attribute(x)={ATTRIBUTE_MARK} x",    # the older GCC spelling
    "__asm=asm",                     # every asm goes through _EMPTY_ASM or is refused
    "__asm__=asm",
    "__extension__=",
    "__restrict=",
    "__restrict__=",
    "__inline=inline",
    "__inline__=inline",
    "__volatile__=volatile",
    "__const=const",
    "__signed__=signed",
    "__builtin_va_list=char *",      # the compiler's stdarg.h, if a program includes it
    "__builtin_malloc=malloc",       # the allocation calls the precompiler types (transform.py)
    "__builtin_calloc=calloc",
    "__builtin_realloc=realloc",
    "__builtin_free=free",
    # the predefined type macros a program may name itself: one spelling for every ISA,
    # defined per ISA by the runtime's mcl_predefined.h (given with -include)
    "__SIZE_TYPE__=__mcl_size_t",
    "__PTRDIFF_TYPE__=__mcl_ptrdiff_t",
    "__INTPTR_TYPE__=__mcl_intptr_t",
    "__UINTPTR_TYPE__=__mcl_uintptr_t",
    "__INT64_TYPE__=long long",      # 8 bytes on every ISA (long long on ILP32, long on LP64)
    "__UINT64_TYPE__=unsigned long long",
)
PREDEFINED_HEADER = INCLUDE_DIR / "mcl_predefined.h"


# An asm statement with an empty template and no outputs (``asm volatile ("" : : "g" (&v)
# : "memory")``) only stops the optimiser from moving memory accesses across it: it runs no
# code, so the analysis drops it (pycparser does not parse asm). Any other asm is refused:
# one with outputs assigns them (``asm ("" : "=r" (i) : "0" (x))`` sets i), and machine
# code means nothing to the analysis.
_EMPTY_ASM = re.compile(r"\basm\s*(?:volatile|__volatile__|__volatile)?\s*\(\s*\"\"\s*(?::\s*(?=[:)])[^;{}]*)?\)\s*;")
# What the analysis refuses by name before parsing (pycparser reads neither), with why.
_UNSUPPORTED = re.compile(r"\basm\b[^;{}]*\)\s*;|\b(?:_Complex|__complex__|__real__|__imag__)\b")
_UNSUPPORTED_WHY = {
    "asm": "asm statement: the precompiler cannot analyse machine code (only an empty asm without outputs, "
           "a compiler barrier, is accepted)",
    "_Complex": "complex numbers (_Complex, __complex__, __real__, __imag__) are not supported",
}
# The parameter types that K&R promotion changes: such a definition cannot be rewritten
# as a prototype without changing how it is called.
_PROMOTED = {"char", "short", "float", "_Bool"}


def parse_text(text: str, filename: str) -> c_ast.FileAST:
    """Parse preprocessed C text; a syntax error becomes a ConfigError naming file:line.

    The AST's ``refusals`` holds one message (file:line: what) for each construct found
    and taken out of the text before parsing, outside the runtime's headers: attributes
    of DROPPED_ATTRIBUTES, asm statements, complex numbers. The precompiler refuses the
    program with them and whatever else it finds, all at once."""
    text = _EMPTY_ASM.sub(lambda m: ";" + "\n" * m.group(0).count("\n"), text)  # keep the line numbers
    text, refusals = _take_attributes(text)
    text, unsupported = _take_unsupported(text)
    refusals += unsupported
    for _ in range(_MAX_IMPLICIT_INT):
        parser = CParser()
        try:
            ast = parser.parse(text, filename)
            break
        except ParseError as exc:
            message = str(exc)
            fixed = _with_implicit_int(text, message)
            if fixed is not None:
                text = fixed
                continue
            if not re.match(r"^.+:\d+(:\d+)?: ", message):
                # Some pycparser errors name only the file: locate the furthest token read.
                location = _furthest_token(parser) or filename
                message = f"{location}: {message.split(': ', 1)[-1]}"
            raise ConfigError(_gnu_extension(message) or f"C syntax error: {message}") from None
    else:
        raise ConfigError(f"C syntax error: {filename}: more than {_MAX_IMPLICIT_INT} definitions without a type")
    for top in ast.ext:
        if isinstance(top, c_ast.FuncDef):
            _prototype_style(top)
    return ParsedUnit(ast.ext, refusals, ast.coord)


# Two GNU extensions pycparser cannot parse, recognised on the line its error names:
# labels as values (``&&label``, ``goto *p``), and a function defined inside another.
_LABEL_VALUE = re.compile(r"(?:^|[=(,{:?]|\breturn)\s*&&\s*[A-Za-z_]|\bgoto\s*\*")
_FUNCTION_HEAD = re.compile(r"^\s*(?:[A-Za-z_]\w*[\s*]+)+[A-Za-z_]\w*\s*\([^;{}]*\)\s*\{?\s*$")
_LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::\d+)?: (?P<what>.*)$")


def _gnu_extension(message: str) -> str | None:
    """A syntax error that is one of those extensions, said as such with file:line."""
    m = _LOCATED.match(message)
    if not m:
        return None
    try:
        lines = Path(m["file"]).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    k = int(m["line"]) - 1
    if not 0 <= k < len(lines):
        return None
    where_ = f"{m['file']}:{m['line']}"
    if _LABEL_VALUE.search(lines[k]):
        return (f"{where_}: labels as values (&&label, goto *p; a GNU extension) are not supported: "
                "an address of code means nothing on another machine")
    head = k - 1 if lines[k].strip() == "{" and k else k
    if m["what"].startswith("before: {") and _FUNCTION_HEAD.match(lines[head]):
        return (f"{m['file']}:{head + 1}: a nested function (one defined inside another; a GNU extension) is not "
                "supported: define it at file scope")
    return None


class ParsedUnit(c_ast.FileAST):
    """A parsed translation unit with what parsing took out of it and the precompiler
    refuses: one message (file:line: what) each."""

    __slots__ = ("refusals",)

    def __init__(self, ext: list[c_ast.Node], refusals: list[str], coord: object = None) -> None:
        super().__init__(ext, coord)
        self.refusals = refusals


_LINE_MARKER = re.compile(r'^# (\d+) "([^"]*)"', re.M)
_ATTRIBUTE_NAME = re.compile(r"\b_*([A-Za-z_]\w*?)_*\b\s*(?:\(|,|\)|$)")


def _take_attributes(text: str) -> tuple[str, list[str]]:
    """``text`` without its attribute marks (each ``ATTRIBUTE_MARK (( ... ))`` blanked,
    its newlines kept), and a refusal for each attribute of DROPPED_ATTRIBUTES."""
    out: list[str] = []
    refusals: list[str] = []
    pos = 0
    while (start := text.find(ATTRIBUTE_MARK, pos)) >= 0:
        out.append(text[pos:start])
        i = text.find("(", start)
        depth, end = 0, i
        while i >= 0 and end < len(text):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
            if depth == 0:
                break
        body = text[i:end] if i >= 0 else ""
        out.append("\n" * text.count("\n", start, end))
        names = {m.group(1) for m in _ATTRIBUTE_NAME.finditer(body.strip("()"))} & DROPPED_ATTRIBUTES.keys()
        if names:
            location = _location(text, start)
            if not _in_runtime(location):
                refusals += [f"{location}: __attribute__(({name})) changes {DROPPED_ATTRIBUTES[name]}, which the "
                             "precompiled program would not keep (pycparser drops attributes): not supported"
                             for name in sorted(names)]
        pos = max(end, start + len(ATTRIBUTE_MARK))
    out.append(text[pos:])
    return "".join(out), refusals


def _take_unsupported(text: str) -> tuple[str, list[str]]:
    """``text`` with each asm statement and complex-number keyword blanked (so that the
    rest parses), and a refusal for each, naming its file:line."""
    refusals: list[str] = []

    def blank(found: re.Match[str]) -> str:
        location = _location(text, found.start())
        if _in_runtime(location):
            return found.group(0)
        keyword = "asm" if found.group(0).startswith("asm") else "_Complex"
        refusals.append(f"{location}: {_UNSUPPORTED_WHY[keyword]}")
        return ";" + "\n" * found.group(0).count("\n") if keyword == "asm" else ""

    return _UNSUPPORTED.sub(blank, text), refusals


def _in_runtime(location: str) -> bool:
    """Whether a file:line of _location lies in a runtime header (not the program)."""
    return is_runtime_file(location.rsplit(":", 1)[0])


def _location(text: str, offset: int) -> str:
    """file:line of ``offset`` in preprocessed text, from its last line marker."""
    marker = None
    for found in _LINE_MARKER.finditer(text, 0, offset):
        marker = found
    if marker is None:
        return f"<input>:{text.count(chr(10), 0, offset) + 1}"
    line = int(marker.group(1)) + text.count("\n", marker.end(), offset) - 1
    return f"{marker.group(2)}:{line}"


# K&R C's implicit int (``foo (p) int *p; { ... }``, ``main () { ... }``): pycparser
# reads no definition without a type, so the line it stops at gets its ``int``, up to
# this many times a file.
_MAX_IMPLICIT_INT = 200
_UNTYPED_DEFINITION = re.compile(r"^(.+):(\d+):1: Invalid function definition$")


def _with_implicit_int(text: str, message: str) -> str | None:
    """``text`` with ``int`` before the definition the parse error names, if it is a
    definition starting with its name at the start of a line; else None."""
    error = _UNTYPED_DEFINITION.match(message)
    if error is None:
        return None
    file, line = error.group(1), int(error.group(2))
    lines = text.split("\n")
    current_file, current_line = "", 0
    for i, row in enumerate(lines):
        marker = _LINE_MARKER.match(row)
        if marker is not None:
            current_file, current_line = marker.group(2), int(marker.group(1))
            continue
        if current_file == file and current_line == line:
            if not re.match(r"[A-Za-z_]\w*\s*\(", row):
                return None
            lines[i] = "int " + row
            return "\n".join(lines)
        current_line += 1
    return None


def _prototype_style(f: c_ast.FuncDef) -> None:
    """A K&R definition (``f(x, p) int *p; { ... }``) as the equivalent prototype-style
    one (``f(int x, int *p)``: an undeclared parameter is an int), so that parameters have
    types like any other; refused where argument promotion would make them differ."""
    params = f.decl.type.args.params if isinstance(f.decl.type, c_ast.FuncDecl) and f.decl.type.args else []
    if not any(isinstance(p, c_ast.ID) for p in params):
        return
    declared = {d.name: d for d in f.param_decls or []}
    typed = []
    for p in params:
        if not isinstance(p, c_ast.ID):
            typed.append(p)
            continue
        d = declared.get(p.name) or c_ast.Decl(p.name, [], [], [], [], c_ast.TypeDecl(
            p.name, [], None, c_ast.IdentifierType(["int"], p.coord), p.coord), None, None, p.coord)
        base = d.type.type if isinstance(d.type, c_ast.TypeDecl) else None
        if isinstance(base, c_ast.IdentifierType) and _PROMOTED & set(base.names):
            raise ConfigError(f"{where(d)}: K&R parameter {p.name} of {f.decl.name} has a type that argument "
                              "promotion widens; write the definition with a prototype")
        typed.append(d)
    f.decl.type.args.params = typed
    f.param_decls = None


def _furthest_token(parser: CParser) -> str | None:
    """file:line of the last token the parser looked at (pycparser 3 internals, guarded)."""
    buffer = getattr(getattr(parser, "_tokens", None), "_buffer", None) or []
    for tok in reversed(buffer):
        if tok is not None and getattr(tok, "lineno", None):
            return f"{tok.filename}:{tok.lineno}"
    return None


def where(node: c_ast.Node | None) -> str:
    """``file:line`` of a node, for messages."""
    coord = getattr(node, "coord", None)
    if coord is None:
        return "<unknown>"
    return f"{coord.file}:{coord.line}"


@cache
def is_runtime_file(filename: str | None) -> bool:
    """Whether a coordinate's file is a runtime header (not part of the program)."""
    if not filename or filename.startswith("<"):
        return False
    try:
        path = Path(filename).resolve()
    except OSError:
        return False
    return path.is_relative_to(RUNTIME_DIR.resolve())
