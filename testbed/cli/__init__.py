"""The ``testbed`` command. Each command group lives in its own module of this package and
registers its sub-commands; the library layers below never import from here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from testbed.errors import TestbedError

# Modules with a ``register(subparsers)`` function, in the order --help lists them.
COMMAND_MODULES = (
    "testbed.cli.guest",
    "testbed.cli.run",
    "testbed.cli.stream",
    "testbed.cli.mcl",
    "testbed.cli.check",
    "testbed.cli.fuzz",
    "testbed.cli.bench",
    "testbed.cli.calibrate",
    "testbed.cli.net",
    "testbed.cli.sweep",
    "testbed.cli.reproduce",
    "testbed.cli.cluster",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="testbed",
        description="Emulated heterogeneous-cluster testbed for process migration "
        "(little-endian MIPS DECstation <-> big-endian SPARCstation over simulated Ethernet).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        # A missing command module is a broken installation, not a command to leave out.
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TestbedError as exc:
        print(f"testbed: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("testbed: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
