"""The golden stream corpus: one stream per program (small) and runtime, collected on
mipsel at the middle poll-point passage for sparc, with its expected walk (header,
frames, blocks, segments, pointer kinds) beside it, in ``tests/data/streams/``.

``tests/test_stream_corpus.py`` collects every stream again and compares the bytes and
the walk. The format is canonical, so a change of any byte is either a bug or a format
change: a runtime speed-up must leave the modern (and classic) streams byte-identical.
One header field is not pinned: the fingerprint hashes the build's inputs (the
precompiler's sources, the program's path), so it differs between checkouts; it and the
CRC that covers it are left out of the comparison (``pinned``).
Regenerate on purpose, after a deliberate format change, with::

    .venv/bin/python -m testbed.migration.corpus --write

and commit ``tests/data/streams/`` with the change that explains it (and bump the
format version in mig_protocol.h if old streams no longer read the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from testbed import PROJECT_DIR
from testbed.migration.run import MigrationSpec
from testbed.migration.streamfile import collect, describe
from testbed.programs import PROGRAMS
from testbed.protocol import STREAM_TRAILER_SIZE, header_slice

CORPUS_DIR = PROJECT_DIR / "tests" / "data" / "streams"
REGENERATE = ".venv/bin/python -m testbed.migration.corpus --write"
RUNTIMES = ("modern", "classic")
SRC, DST, AT = "mipsel", "sparc", "50%"


def cases() -> dict[str, MigrationSpec]:
    """Case name -> the migration request whose stream it keeps."""
    return {f"{name}-{runtime}": MigrationSpec(name, "small", SRC, DST, at=AT, runtime=runtime)
            for name in sorted(PROGRAMS) for runtime in RUNTIMES}


def stream_path(case: str) -> Path:
    return CORPUS_DIR / f"{case}.mig"


def walk_path(case: str) -> Path:
    return CORPUS_DIR / f"{case}.walk.json"


def pinned(stream: bytes) -> bytes:
    """The bytes the corpus pins: the stream without its fingerprint and its CRC."""
    where = header_slice("fingerprint")
    return stream[: where.start] + stream[where.stop : -STREAM_TRAILER_SIZE]


def pinned_walk(layout: dict[str, Any]) -> dict[str, Any]:
    """A walk as the corpus pins it (JSON types, no fingerprint)."""
    out = json.loads(json.dumps(layout))
    out["header"].pop("fingerprint", None)
    return out


def expected(request: MigrationSpec) -> tuple[bytes, dict[str, Any]]:
    """The stream of ``request`` collected now, and its walk as the corpus keeps it."""
    k, stream, _ = collect(request)
    return stream, {"request": {"program": request.program, "size": request.size, "src": request.src,
                                "dst": request.dst, "at": request.at, "passage": k, "runtime": request.runtime},
                    **describe(stream, request.program)}


def write() -> list[Path]:
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for case, request in cases().items():
        stream, layout = expected(request)
        stream_path(case).write_bytes(stream)
        walk_path(case).write_text(json.dumps(pinned_walk(layout), indent=1, sort_keys=True) + "\n")
        written += [stream_path(case), walk_path(case)]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.migration.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"collect every stream again into {CORPUS_DIR}")
    args = parser.parse_args(argv)
    if not args.write:
        parser.print_help()
        return 2
    for path in write():
        print(f"wrote {path.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
