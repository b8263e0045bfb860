"""The guest's own preprocessor, for the MCL tools: preprocess a program as the guests'
compiler sees it (mipsel; both guests are ILP32, so one preprocessing serves both) with
the runtime headers, then parse it with pycparser (testbed.mcl.cparse)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pycparser import c_ast

from testbed.build.deps import gcc_dependencies
from testbed.build.toolchain import TARGETS, compiler_include_dir
from testbed.errors import ConfigError, ToolchainError
from testbed.mcl.cparse import ANALYSIS_DEFINES, INCLUDE_DIR, RUNTIME_DIR, parse_text


def _command(defines: dict[str, str | None] | None) -> list[str]:
    """The guest preprocessor with the runtime's headers and the analysis definitions."""
    cmd = [TARGETS["mipsel"].require(), "-std=gnu99", "-nostdinc", "-I", str(INCLUDE_DIR), "-I", str(RUNTIME_DIR),
           "-I", str(RUNTIME_DIR / "pvm" / "include")]  # Mlibpvm's libc headers: PVM programs precompile too
    cmd += [f"-D{d}" for d in ANALYSIS_DEFINES]
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


def parse_program(source: Path, defines: dict[str, str | None] | None = None) -> c_ast.FileAST:
    """Preprocess ``source`` with the guest preprocessor and parse it into a pycparser AST."""
    try:
        text = preprocess(source, defines)
    except FileNotFoundError as exc:  # the compiler vanished between which() and run()
        raise ToolchainError(f"cannot run the guest preprocessor: {exc}") from None
    return parse_text(text, str(source))
