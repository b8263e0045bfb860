"""Golden transcripts: a few fixed ``testbed run`` commands and the figures they must keep
printing (the SimGrid ``.tesh`` habit). ``tests/test_golden.py`` re-runs them and compares;
a change of any figure is either a bug or deliberate.

Regenerate them on purpose, after a change that is meant to move the figures, with::

    .venv/bin/python -m testbed.golden --write

and commit ``tests/golden/`` with the change that explains it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import shlex
import sys
from pathlib import Path
from typing import Any

from testbed import PROJECT_DIR

GOLDEN_DIR = PROJECT_DIR / "tests" / "golden"
REGENERATE = ".venv/bin/python -m testbed.golden --write"
RELATIVE_TOLERANCE = 1e-9  # for simulated seconds; counts, bytes and flags compare exactly

# Both runtimes, both directions, network and file mode, 10 and 100 Mb/s, every program:
# (program, runtime, src, dst, mode, network).
_GRID = (
    ("linpack", "classic", "mipsel", "sparc", "network", "10mbps"),
    ("linpack", "modern", "sparc", "mipsel", "file", "100mbps"),
    ("bitonic", "modern", "sparc", "mipsel", "network", "100mbps"),
    ("bitonic", "classic", "mipsel", "sparc", "file", "10mbps"),
    ("test_pointer", "modern", "mipsel", "sparc", "file", "10mbps"),
    ("test_pointer", "classic", "sparc", "mipsel", "network", "100mbps"),
    ("matmul", "classic", "sparc", "mipsel", "file", "100mbps"),
    ("matmul", "modern", "mipsel", "sparc", "network", "10mbps"),
)
CASES: dict[str, str] = {
    f"{name}-{runtime}-{src}-{dst}-{mode}-{network}": (
        f"testbed run {name} --src {src} --dst {dst} --size small --runtime {runtime} "
        f"--network {network} --mode {mode} --json")
    for name, runtime, src, dst, mode, network in _GRID
}

# The record's figures a transcript keeps, under the transcript's own names (so a renamed
# record key changes this table, not the transcripts).
FIGURES: dict[str, str] = {
    "passage": "at", "stream_bytes": "tx_bytes", "blocks": "blocks",
    "scan_instructions": "scan_instructions", "restore_instructions": "restore_instructions",
    "src_instructions": "src_instructions", "dst_instructions": "dst_instructions",
    "scan_s": "scan_s", "tx_s": "tx_s", "restore_s": "restore_s", "migrate_s": "migrate_s",
    "scan_write_s": "scan_write_s", "rcp_s": "rcp_s", "read_restore_s": "read_restore_s",
    "verified": "verified", "roundtrip_identical": "roundtrip_identical",
    "completed_on": "completed_on",
}


def observe(command: str) -> dict[str, Any]:
    """Run one ``testbed ... --json`` command in this process; its figures."""
    from testbed.cli import main

    program, *argv = shlex.split(command)
    if program != "testbed" or "--json" not in argv:
        raise ValueError(f"a golden command is 'testbed ... --json', not {command!r}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    record = json.loads(out.getvalue().strip().splitlines()[-1])
    figures = {name: record.get(key) for name, key in FIGURES.items()}
    figures["exit_status"] = status
    return figures


def differences(expected: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """One line per figure that moved (floats within RELATIVE_TOLERANCE are equal)."""
    lines = []
    for name in sorted(set(expected) | set(observed)):
        want, got = expected.get(name), observed.get(name)
        if isinstance(want, float) and isinstance(got, float):
            same = math.isclose(want, got, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
        else:
            same = type(want) is type(got) and want == got
        if not same:
            lines.append(f"{name}: expected {want!r}, got {got!r}")
    return lines


def path_of(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def load(name: str) -> dict[str, Any]:
    return json.loads(path_of(name).read_text())


def write(names: list[str] | None = None) -> list[Path]:
    """Re-run the cases and store what they print now."""
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(CASES):
        command = CASES[name]
        transcript = {"command": command, "expected": observe(command)}
        path_of(name).write_text(json.dumps(transcript, indent=2) + "\n")
        written.append(path_of(name))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.golden", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="regenerate tests/golden/ from the current code")
    parser.add_argument("name", nargs="*", help="only these cases (default: all)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.name if n not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; the cases are: {', '.join(CASES)}")
    names = args.name or list(CASES)
    if args.write:
        for path in write(names):
            print(f"wrote {path.relative_to(PROJECT_DIR)}")
        return 0
    failed = 0
    for name in names:
        moved = differences(load(name)["expected"], observe(CASES[name]))
        print(f"{name}: {'ok' if not moved else '; '.join(moved)}")
        failed += bool(moved)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
