"""The ``testbed`` command. Each command group lives in its own module of this package and
registers its sub-commands; the library layers below never import from here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from testbed import __version__, interrupt
from testbed.cli import progress
from testbed.errors import TestbedError

# Modules with a ``register(subparsers)`` function, in the order --help lists them.
COMMAND_MODULES = (
    "testbed.cli.guest",
    "testbed.cli.run",
    "testbed.cli.stream",
    "testbed.cli.mcl",
    "testbed.cli.check",
    "testbed.cli.compat",
    "testbed.cli.fuzz",
    "testbed.cli.bench",
    "testbed.cli.calibrate",
    "testbed.cli.net",
    "testbed.cli.sweep",
    "testbed.cli.reproduce",
    "testbed.cli.conformance",
    "testbed.cli.cluster",
)


class Parser(argparse.ArgumentParser):
    """Bad arguments are one line, like every other error: what is wrong and where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"testbed: error: {message} (see {self.prog} --help)\n")


class Version(argparse.Action):
    """``--version``: the package version, and the git revision in a checkout (asked only
    when the option is given: git is not run on every start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the testbed version (and git revision) and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        print(version_text())
        parser.exit(0)


def version_text() -> str:
    from testbed.experiments.provenance import git_revision

    revision = git_revision()
    return f"testbed {__version__}" + ("" if revision == "unknown" else f" (git {revision})")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="testbed",
        description="Emulated heterogeneous-cluster testbed for process migration "
        "(little-endian MIPS DECstation <-> big-endian SPARCstation over simulated Ethernet).",
    )
    parser.add_argument("--version", action=Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        # A missing command module is a broken installation, not a command to leave out.
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status: 0 success, 1 a failed check or migration, 2 an error, 130 Ctrl-C."""
    interrupt.install()
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help, --version, or a bad argument already reported
            return done.code if isinstance(done.code, int) else 2
        progress.current = progress.Progress(args.command)
        with progress.current:
            return int(args.func(args) or 0)
    except TestbedError as exc:
        print(f"testbed: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("testbed: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
