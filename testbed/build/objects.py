"""The guest runtime's objects, compiled once per target and flags, not once per program.

Every program links the same runtime (its C library, allocator and, when migratable,
``mig.c``), about fifteen files that take far longer to compile than a small program.
Each is compiled on its own, exactly as ``gcc a.c b.c -o x`` would compile it (gcc
compiles every source separately and then links them in command order), so the
executable is byte for byte the one a single command makes. An object is named by a
key over the compiler, the flags, the source and every file the preprocessor read for
it (its ``-MD`` output, kept in a manifest as for whole builds: testbed/build/deps.py),
so editing a runtime header rebuilds exactly the objects that include it."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from testbed.build import deps
from testbed.build.atomic import write_atomic
from testbed.errors import ToolchainError


@dataclass(frozen=True)
class RuntimeObject:
    """A compiled runtime source and every file its compilation read."""

    path: Path
    read: tuple[Path, ...]


def runtime_object(compile_cmd: list[str], identity: str, source: Path, out_dir: Path, log_dir: Path) -> RuntimeObject:
    """``source`` compiled with ``compile_cmd`` (the compiler and every flag) into the
    cache under ``out_dir``; reused when nothing it read has changed."""
    h = hashlib.sha256(identity.encode())
    h.update("\0".join(compile_cmd).encode())
    h.update(b"\0" + str(source).encode())
    base = h.hexdigest()[:16]
    manifest = out_dir / "deps" / f"{source.stem}-{base}.deps"
    key = deps.cached_key(base, manifest)
    if key is not None:
        path = out_dir / f"{source.stem}-{key}.o"
        if path.is_file():
            return RuntimeObject(path, tuple(_listed(manifest)))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{source.stem}-") as work:
        obj, depfile = Path(work) / f"{source.stem}.o", Path(work) / f"{source.stem}.d"
        cmd = [*compile_cmd, "-c", str(source), "-MD", "-MF", str(depfile), "-o", str(obj)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            log = log_dir / f"{source.stem}-{base}.log"
            write_atomic(log, f"command: {shlex.join(cmd)}\nstatus: {proc.returncode}\n\n{proc.stderr}")
            first = next((line for line in proc.stderr.splitlines() if "error" in line), proc.stderr.strip()[:200])
            raise ToolchainError(f"compiling the guest runtime's {source.name} failed: {first} (full log: {log})")
        read = deps.parse_make_rules(depfile.read_text())
        deps.save_manifest(manifest, read)
        key = deps.files_key(base, read)
        path = out_dir / f"{source.stem}-{key}.o"
        obj.replace(path)
    return RuntimeObject(path, tuple(read))


def _listed(manifest: Path) -> list[Path]:
    return [Path(line) for line in manifest.read_text().splitlines() if line]
