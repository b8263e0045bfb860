"""The guest's own preprocessor, for the MCL tools: preprocess a program as the guests'
compiler sees it (mipsel) with the runtime headers, then parse it with pycparser
(testbed.mcl.cparse).

One migratable unit serves every ISA, so the program's own lines must preprocess to the
same text on all of them: a program that tests ``__BYTE_ORDER__``, ``__mips__`` or
``__LP64__`` would run the mipsel branch on a big-endian or 64-bit machine. Each unit is
checked against a big-endian ILP32 guest (sparc) and a little-endian LP64 one (aarch64),
those whose compilers are installed, and refused where they differ."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

from pycparser import c_ast

from testbed.build.deps import gcc_dependencies
from testbed.build.toolchain import TARGETS, compiler_include_dir
from testbed.errors import ConfigError, ToolchainError
from testbed.mcl.cparse import (
    ANALYSIS_DEFINES,
    INCLUDE_DIR,
    PREDEFINED_HEADER,
    RUNTIME_DIR,
    is_runtime_file,
    parse_text,
)

COMPARED_TARGETS = ("sparc", "aarch64")  # big-endian ILP32, little-endian LP64
_LINE_MARKER = re.compile(r'^# (\d+) "((?:[^"\\]|\\.)*)"')


def _command(defines: dict[str, str | None] | None, compiler: str | None = None) -> list[str]:
    """The guest preprocessor with the runtime's headers and the analysis definitions."""
    cmd = [compiler or TARGETS["mipsel"].require(), "-std=gnu99", "-nostdinc", "-I", str(INCLUDE_DIR), "-I", str(RUNTIME_DIR),
           "-I", str(RUNTIME_DIR / "pvm" / "include")]  # Mlibpvm's libc headers: PVM programs precompile too
    cmd += [f"-D{d}" for d in ANALYSIS_DEFINES] + ["-include", str(PREDEFINED_HEADER)]
    for name, value in (defines or {}).items():
        cmd.append(f"-D{name}" if value is None else f"-D{name}={value}")
    return cmd


def dependencies(source: Path) -> list[Path]:
    """Every file the precompiler's preprocessing of ``source`` reads (its headers). A
    missing header is listed, not an error here (-MG): preprocess() reports it properly."""
    t = TARGETS["mipsel"]
    return gcc_dependencies([*_command(None), "-MG", "-isystem", compiler_include_dir(t)], [source])


def preprocess(source: Path, defines: dict[str, str | None] | None = None) -> str:
    """The preprocessed text of ``source`` as the guests' compiler sees it (plus __MCL__).

    The compiler's own include directory (stdarg.h) is added only when the program needs
    a header the runtime does not provide, so that runtime headers always win."""
    t = TARGETS["mipsel"]
    cmd = _command(defines)
    proc = subprocess.run([*cmd, "-E", str(source)], capture_output=True, text=True)
    if proc.returncode != 0 and "No such file or directory" in proc.stderr and Path(source).is_file():
        # -isystem directories are searched after every -I one: the runtime's headers win.
        proc = subprocess.run([*cmd, "-E", "-isystem", compiler_include_dir(t), str(source)],
                              capture_output=True, text=True)
    if proc.returncode != 0:
        if not Path(source).is_file():
            raise ConfigError(f"C source {source} does not exist")
        raise ConfigError(f"preprocessing {source} failed:\n{proc.stderr.strip()}")
    return proc.stdout


# A floating constant: the compilers spell the float limits (__FLT_MIN__, __DBL_MAX__) with
# as many digits as their long double has, the same value in other digits.
_FLOAT = re.compile(r"(?<![\w.])((?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)([fFlL]?)(?![\w.])")


def _same_value(m: re.Match[str]) -> str:
    value = float(m[1])
    if m[2] in ("f", "F"):
        value = struct.unpack("<f", struct.pack("<f", value))[0]
    return f"{value.hex()}{m[2]}"


def _own_lines(text: str) -> list[tuple[str, int, str]]:
    """The non-blank lines of preprocessed text that come from the program's own files,
    as (file, line, text), by the preprocessor's line markers."""
    out: list[tuple[str, int, str]] = []
    file, line = "", 0
    for raw in text.splitlines():
        m = _LINE_MARKER.match(raw)
        if m:
            file, line = m[2], int(m[1])
            continue
        if raw.strip() and file and not file.startswith("<") and not is_runtime_file(file):
            out.append((file, line, _FLOAT.sub(_same_value, raw.strip())))
        line += 1
    return out


def _target_text(source: Path, isa: str, defines: dict[str, str | None] | None) -> str | None:
    """``source`` preprocessed by ``isa``'s compiler with its flags; None when that compiler
    is not installed or fails (the build reports its own errors)."""
    t = TARGETS[isa]
    compiler = shutil.which(t.compiler)
    if compiler is None:
        return None
    cmd = [*_command(defines, compiler), *t.cflags, "-isystem", compiler_include_dir(t), "-E", str(source)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def require_same_text_on_every_isa(source: Path, defines: dict[str, str | None] | None = None) -> None:
    """Refuse a program whose own lines preprocess differently on another ISA (module doc)."""
    reference = _target_text(source, "mipsel", defines)
    if reference is None:
        return
    mine = _own_lines(reference)
    for isa in COMPARED_TARGETS:
        text = _target_text(source, isa, defines)
        if text is None:
            continue
        theirs = _own_lines(text)
        if theirs == mine:
            continue
        k = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b), min(len(mine), len(theirs)))
        # where the two first part: the earlier of the two lines (one side skipped some)
        file, line, _ = min((side[k] for side in (mine, theirs) if k < len(side)), key=lambda e: e[1])
        raise ConfigError(f"{file}:{line}: the program preprocesses to other text on {isa} than on mipsel here (it "
                          "tests a predefined macro such as __BYTE_ORDER__, __mips__ or __LP64__): one migratable "
                          "unit serves every ISA, so its text must be the same on all of them")


def parse_program(source: Path, defines: dict[str, str | None] | None = None) -> c_ast.FileAST:
    """Preprocess ``source`` with the guest preprocessor and parse it into a pycparser AST."""
    try:
        text = preprocess(source, defines)
    except FileNotFoundError as exc:  # the compiler vanished between which() and run()
        raise ToolchainError(f"cannot run the guest preprocessor: {exc}") from None
    return parse_text(text, str(source))
