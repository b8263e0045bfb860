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

# GCC extensions pycparser does not parse, removed or mapped to standard C while
# preprocessing for analysis only (the real builds never see these definitions).
ANALYSIS_DEFINES = (
    "__MCL__",
    "__builtin_offsetof=offsetof",   # stddef.h's offsetof; pycparser knows `offsetof`
    "__attribute__(x)=",
    "__attribute(x)=",               # the older GCC spelling
    "__asm(x)=",
    "__asm__(x)=",
    "__extension__=",
    "__restrict=",
    "__restrict__=",
    "__inline=inline",
    "__inline__=inline",
    "__volatile__=volatile",
    "__const=const",
    "__signed__=signed",
    "__builtin_va_list=char *",      # the compiler's stdarg.h, if a program includes it
)


# An asm statement with an empty template (``asm volatile ("" : : "g" (&v) : "memory")``)
# only stops the optimiser from moving memory accesses across it: it runs no code, so the
# analysis drops it (pycparser does not parse asm). Any other asm is a syntax error.
_EMPTY_ASM = re.compile(r"\b(?:asm|__asm__|__asm)\s*(?:volatile|__volatile__|__volatile)?\s*\(\s*\"\"[^;{}]*\)\s*;")
# The parameter types that K&R promotion changes: such a definition cannot be rewritten
# as a prototype without changing how it is called.
_PROMOTED = {"char", "short", "float", "_Bool"}


def parse_text(text: str, filename: str) -> c_ast.FileAST:
    """Parse preprocessed C text; a syntax error becomes a ConfigError naming file:line."""
    text = _EMPTY_ASM.sub(lambda m: ";" + "\n" * m.group(0).count("\n"), text)  # keep the line numbers
    parser = CParser()
    try:
        ast = parser.parse(text, filename)
    except ParseError as exc:
        message = str(exc)
        if not re.match(r"^.+:\d+(:\d+)?: ", message):
            # Some pycparser errors name only the file: locate the furthest token read.
            location = _furthest_token(parser) or filename
            message = f"{location}: {message.split(': ', 1)[-1]}"
        raise ConfigError(f"C syntax error: {message}") from None
    for top in ast.ext:
        if isinstance(top, c_ast.FuncDef):
            _prototype_style(top)
    return ast


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
