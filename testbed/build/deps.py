"""Build keys that cover every included header, from gcc's own dependency output.

A build is named by a key over its inputs. The sources and flags are known before the
build; the headers they include are not (a program may include its own ``"local.h"``).
So the key has two parts: ``base``, over the sources, flags and compiler, and the
contents of every file the preprocessor read, listed by ``gcc -M`` when the build was
made and kept in a manifest named by ``base``. A later build with the same base re-hashes
those files: editing any header changes the key, and the program is rebuilt (and its
manifest rewritten, in case the includes changed too)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path

from testbed.build.atomic import write_atomic
from testbed.errors import ToolchainError


def parse_make_rules(text: str) -> list[Path]:
    """The prerequisites of the make rules ``gcc -M`` writes, in order, without repeats."""
    joined = text.replace("\\\n", " ").replace("\\ ", "\0")
    seen: dict[Path, None] = {}
    for rule in joined.splitlines():
        if ":" not in rule:
            continue
        for item in rule.split(":", 1)[1].split():
            seen.setdefault(Path(item.replace("\0", " ")).resolve(), None)
    return list(seen)


def gcc_dependencies(cmd: list[str], sources: Iterable[Path]) -> list[Path]:
    """Every file the preprocessor reads for ``sources`` with the compiler and flags ``cmd``."""
    proc = subprocess.run([*cmd, "-M", *map(str, sources)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolchainError(f"listing the headers of {', '.join(map(str, sources))} failed: "
                             f"{proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else proc.returncode}")
    return parse_make_rules(proc.stdout)


def files_key(base: str, paths: Iterable[Path]) -> str:
    """The key of a build: its base and the name and contents of every file it read."""
    h = hashlib.sha256(base.encode())
    for path in sorted(paths):
        h.update(b"\0" + str(path).encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"\0missing")
    return h.hexdigest()[:16]


def contents_key(base: str, paths: Iterable[Path]) -> str:
    """Like files_key, but over the files' contents only, never where they are: equal in
    every checkout of the same sources (what a stream's fingerprint may depend on)."""
    digests = sorted(hashlib.sha256(p.read_bytes() if p.is_file() else b"\0missing").hexdigest() for p in paths)
    return hashlib.sha256("\0".join([base, *digests]).encode()).hexdigest()[:16]


def cached_key(base: str, manifest: Path) -> str | None:
    """The key from the files a previous build with this base read, if there was one."""
    if not manifest.is_file():
        return None
    return files_key(base, [Path(line) for line in manifest.read_text().splitlines() if line])


def save_manifest(manifest: Path, paths: Iterable[Path]) -> None:
    write_atomic(manifest, "".join(f"{p}\n" for p in paths))
