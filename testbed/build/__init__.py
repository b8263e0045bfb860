"""Guest build: cross-compile a guest program plus the guest runtime for an ISA or the host.

Builds are content-addressed: the output name carries a hash of every source, every
header the compiler read (its own dependency output: testbed/build/deps.py), the flags and
the compiler's version, so a build is redone exactly when one of them changes, and
concurrent processes (a sweep's pool) never overwrite each other's files.
The runtime's own sources are compiled once into cached objects (testbed/build/objects.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from testbed import GUESTS_DIR, PROJECT_DIR
from testbed.build import deps
from testbed.build.atomic import write_atomic
from testbed.build.objects import runtime_object
from testbed.build.toolchain import (
    ISAS,
    TARGETS,
    Target,
    compiler_identity,
    compiler_include_dir,
    target,
)
from testbed.errors import ToolchainError, unknown_name

RUNTIME_DIR = GUESTS_DIR / "runtime"
INCLUDE_DIR = RUNTIME_DIR / "include"
BUILD_DIR = Path(os.environ.get("TESTBED_BUILD_DIR", PROJECT_DIR / "build"))

__all__ = ["Build", "build_program", "runtime_flags", "BUILD_DIR", "ISAS", "RUNTIMES", "TARGETS", "target"]

# The two runtime designs (docs/runtimes.md): the improved default, and the original's.
RUNTIMES = ("modern", "classic")
# One switch selects both the MSR table and the allocator (guests/runtime/runtime_design.h).
_RUNTIME_FLAGS = {"modern": (), "classic": ("-DMIG_RUNTIME_CLASSIC",)}


def runtime_flags(runtime: str) -> tuple[str, ...]:
    """Compiler flags that select a runtime design (allocator and migration runtime)."""
    if runtime not in _RUNTIME_FLAGS:
        raise unknown_name("runtime", runtime, list(RUNTIMES))
    return _RUNTIME_FLAGS[runtime]


@dataclass(frozen=True)
class Build:
    """A built executable and what it was built from."""

    target: str
    name: str
    path: Path
    key: str  # content hash of the inputs


# Extra compiler flags for the program's own sources in every guest and host build, as
# CFLAGS would be (a test suite's per-program options: testbed conformance sets them from
# a torture test's dg-options); not for the runtime, as a test's options are not for the
# C library; part of the build's key.
EXTRA_CFLAGS_ENV = "TESTBED_CFLAGS"


def extra_cflags() -> tuple[str, ...]:
    return tuple(shlex.split(os.environ.get(EXTRA_CFLAGS_ENV, "")))


def _base_key(t: Target, sources: list[Path], extra_flags: tuple[str, ...]) -> str:
    """A hash of the compiler, the flags and the sources (their headers: testbed.build.deps)."""
    h = hashlib.sha256()
    h.update(compiler_identity(t).encode())
    h.update("\0".join(t.cflags + t.ldflags + extra_flags).encode())
    # every runtime file, not only the listed sources: mig.c and rt_alloc.c include others
    runtime_files = sorted(INCLUDE_DIR.glob("*.h")) + sorted(RUNTIME_DIR.glob("*.[ch]"))
    for path in [*sources, *runtime_files]:  # by full path: included headers depend on where it is
        h.update(str(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_program(
    name: str,
    sources: list[Path],
    target_name: str,
    *,
    extra_flags: tuple[str, ...] = (),
    runtime_sources: tuple[str, ...] | None = None,
) -> Build:
    """Compile ``sources`` with the runtime for ``target_name``; reuse an identical build."""
    t = target(target_name)
    program_flags = extra_cflags()  # the program's own sources only, not the runtime's
    runtime = runtime_sources if runtime_sources is not None else t.runtime_sources
    all_sources = [*(Path(s).resolve() for s in sources), *(RUNTIME_DIR / s for s in runtime)]
    for src in all_sources:
        if not src.is_file():
            raise ToolchainError(f"guest source {src} does not exist")
    base = _base_key(t, all_sources, (*extra_flags, *program_flags))
    out_dir = BUILD_DIR / t.name
    suffix = ".elf" if t.emulated else ""
    manifest = out_dir / "deps" / f"{name}-{base}.deps"
    key = deps.cached_key(base, manifest)
    if key is not None and (out_dir / f"{name}-{key}{suffix}").is_file():
        return Build(t.name, name, out_dir / f"{name}-{key}{suffix}", key)
    out_dir.mkdir(parents=True, exist_ok=True)
    compiler = t.require()
    preprocess = [compiler, *t.cflags, *extra_flags, "-nostdinc", "-I", str(INCLUDE_DIR), "-I", str(RUNTIME_DIR),
                  "-isystem", compiler_include_dir(t)]
    host_rt = RUNTIME_DIR / "rt_host.c"  # compiled with the system's headers: hashed as a source only
    # The runtime's sources are compiled once into the object cache, the program's here;
    # the command keeps their order, so the executable is the one `gcc *.c` would link.
    identity = compiler_identity(t)
    runtime_objects = {src: runtime_object(preprocess, identity, src, out_dir / "objects", BUILD_DIR / "logs")
                       for src in all_sources if src.parent == RUNTIME_DIR and src != host_rt}
    program_sources = [s for s in all_sources if s not in runtime_objects and s != host_rt]
    inputs = [str(runtime_objects[s].path) if s in runtime_objects else str(s) for s in all_sources if s != host_rt]
    # Write to a temporary name, then rename: concurrent builds of the same key are safe.
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{name}-") as work:
        tmp = Path(work) / f"{name}{suffix}"
        log = BUILD_DIR / "logs" / f"{name}-{t.name}-{base}.log"
        if t.emulated:
            _run(name, t, [*preprocess, *program_flags, *inputs, *t.ldflags, "-lgcc", "-o", str(tmp)], log)
        else:
            # The host build compiles the guest code freestanding exactly as the guests do,
            # then links it with rt_host.c and the system C library for start-up and I/O.
            _run(name, t, [*preprocess, *program_flags, *map(str, program_sources), "-c"], log, cwd=work)
            # in the order of their sources' names, as the single-command build linked them
            named = {s.stem: str(Path(work) / f"{s.stem}.o") for s in program_sources}
            named.update({s.stem: str(o.path) for s, o in runtime_objects.items()})
            objects = [named[stem] for stem in sorted(named)]
            _require_runtime_only(name, objects)
            _run(name, t, [compiler, "-O2", str(host_rt), *objects, "-o", str(tmp)], log)
        read = deps.gcc_dependencies([*preprocess, *program_flags], program_sources) if program_sources else []
        read = list(dict.fromkeys([*read, *(p for o in runtime_objects.values() for p in o.read)]))
        deps.save_manifest(manifest, read)
        key = deps.files_key(base, read)
        out = out_dir / f"{name}-{key}{suffix}"
        tmp.replace(out)
    return Build(t.name, name, out, key)


# What rt_host.c gives the guest code on the host: the rest must come from the runtime.
# rt_hypercall is the host shim's; _GLOBAL_OFFSET_TABLE_ the linker's (code that takes a
# function's address, as the function table of a migratable program does, refers to it)
_HOST_PROVIDES = frozenset({"rt_hypercall", "_GLOBAL_OFFSET_TABLE_"})


def _require_runtime_only(name: str, objects: list[str]) -> None:
    """Refuse a host build whose guest code calls what only the system C library has: the
    guests would not link, so the native cross-check must not hide it either."""
    try:
        listing = subprocess.run(["nm", "-g", *objects], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"cannot list the symbols of {name}'s host objects with nm: {exc}") from None
    defined, undefined = set(), set()
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            (undefined if fields[-2] == "U" else defined).add(fields[-1])
    missing = sorted(undefined - defined - _HOST_PROVIDES)
    if missing:
        raise ToolchainError(
            f"building {name} for host failed: {', '.join(missing)} not in the guest runtime "
            f"(guests/runtime); the guests would not link either: use what its headers declare"
        )


def _run(name: str, t: Target, cmd: list[str], log: Path, cwd: str | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        write_atomic(log, f"command: {shlex.join(cmd)}\nstatus: {proc.returncode}\n\n{proc.stderr}")
        raise ToolchainError(f"building {name} for {t.name} failed: {first_error(proc.stderr)} (full log: {log})")


# gcc's "file:line:col: error: ..." (or fatal error); the linker's "undefined reference".
_ERROR_LINE = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+)(?::\d+)?: (?:fatal )?error: (?P<what>.*)$")


def first_error(stderr: str) -> str:
    """The first error of a compiler's output as one line: ``file:line: message``. The
    generated units carry #line directives, so the file is the user's where it can be."""
    lines = stderr.splitlines()
    for line in lines:
        m = _ERROR_LINE.match(line)
        if m:
            return f"{m['file']}:{m['line']}: {m['what']}"
    for line in lines:
        if "error" in line or "undefined reference" in line:
            return line.strip()
    return next((line.strip() for line in lines if line.strip()), "the compiler failed without a message")
