"""Argument types shared by the commands: each checks its input before any work starts and
says what is wrong in one line (argparse reports it as ``testbed: error: argument ...``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from testbed.errors import TestbedError


def positive_int(text: str) -> int:
    """A count, a budget, a number of workers: an integer of at least 1."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (1 or more), not {value}")
    return value


def machine(text: str) -> str:
    """A machine profile name, or an ISA standing for its default machine (``mipsel`` ->
    ``dec5000``), checked by the one resolver every command uses
    (``testbed.emu.machines.resolve``). The name stays as given: a migration's stream
    binding is computed from the request as typed."""
    from testbed.emu.machines import resolve

    try:
        resolve(text)
    except TestbedError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def target(text: str) -> str:
    """``host`` (a native run) or a machine as ``machine()`` accepts it."""
    return "host" if text == "host" else machine(text)


def utf8_source(path: Path) -> None:
    """Refuse a C file the precompiler cannot read: it must exist and be UTF-8 text."""
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise argparse.ArgumentTypeError(
            f"{path}: not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start} (line {line}); "
            "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None


def migratable_program(text: str) -> str:
    """A registered program, or the path of a plain C file the precompiler can read."""
    from testbed.programs import PROGRAMS

    if text in PROGRAMS:
        return text
    if not text.endswith(".c"):
        raise argparse.ArgumentTypeError(
            f"unknown program {text!r}; valid programs: {', '.join(sorted(PROGRAMS))} (or a path to a .c file)")
    utf8_source(Path(text))
    return text


def _probe_writable(folder: Path, wanted: Path) -> None:
    """Create and remove a file in ``folder`` (os.access says yes to root even on a
    read-only file system)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot write {wanted}: no file can be created in {folder} "
                                         f"({exc.strerror.lower()}); choose another place") from None


def output_file(text: str) -> Path:
    """A file to write: its folder must exist and be writable."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; give a file name inside it")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {path}: folder {folder} does not exist (create it first)")
    _probe_writable(folder, path)
    return path


def output_dir(text: str) -> Path:
    """A folder to write into (created later if missing): the nearest existing folder on
    its way must be writable, and nothing on the way may be a file."""
    path = Path(text)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write into {path}: {existing} is a file, not a folder")
    _probe_writable(existing, path)
    return path


def non_negative_float(text: str) -> float:
    """A simulated time: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value
