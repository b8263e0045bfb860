"""Unicorn's private internals, in one place: the native hook library and raw uc_hook_add.

The Python binding only accepts Python callbacks; a Python block hook costs ~0.5 us per
block. The callbacks in native/blockcount.c are compiled once into the build directory
and registered through unicorn's C API, reached via the binding's ctypes handle
(``uc._uch``) and library object. Nothing else in the testbed touches those.
"""

from __future__ import annotations

import ctypes
import hashlib
import subprocess
from functools import cache
from pathlib import Path

import unicorn
from unicorn.unicorn_py3 import unicorn as _ucmod
from unicorn.unicorn_py3.arch.types import uc_hook_h

from testbed.build import BUILD_DIR
from testbed.build.atomic import atomic_path
from testbed.errors import GuestFault, ToolchainError

NATIVE_SOURCE = Path(__file__).resolve().parent / "native" / "blockcount.c"
PENDING_SLOTS = 16  # PENDING_SLOTS in native/blockcount.c


class CounterStruct(ctypes.Structure):
    """Mirror of block_counter in native/blockcount.c (same fields, same order)."""

    _fields_ = [
        ("base", ctypes.c_uint64),
        ("slots", ctypes.c_uint64),
        ("counts", ctypes.c_void_p),
        ("sizes", ctypes.c_void_p),
        ("no_stop", ctypes.c_void_p),
        ("instructions", ctypes.c_uint64),
        ("outside", ctypes.c_uint64),
        ("budget", ctypes.c_uint64),
        ("emu_stop", ctypes.c_void_p),
        ("stopped", ctypes.c_uint32),
        ("overflow_full", ctypes.c_uint32),
        ("overflow_capacity", ctypes.c_uint64),
        ("overflow_used", ctypes.c_uint64),
        ("overflow_key", ctypes.c_void_p),
        ("overflow_count", ctypes.c_void_p),
        ("pending_used", ctypes.c_uint64),
        ("pending_key", ctypes.c_uint64 * PENDING_SLOTS),
        ("lost", ctypes.c_uint64),
        ("last_address", ctypes.c_uint64),
        ("last_size", ctypes.c_uint32),
        ("slot_shift", ctypes.c_uint32),
        ("insn_starts", ctypes.c_void_p),
        ("insn_bytes", ctypes.c_uint64),
    ]


@cache
def _library() -> ctypes.CDLL:
    """The compiled hook library (built once per source version into build/native/)."""
    source = NATIVE_SOURCE.read_bytes()
    key = hashlib.sha256(source).hexdigest()[:16]
    lib_path = BUILD_DIR / "native" / f"blockcount-{key}.so"
    if not lib_path.is_file():
        with atomic_path(lib_path) as tmp:  # a name unique to this process: concurrent builds are safe
            proc = subprocess.run(
                ["gcc", "-O2", "-shared", "-fPIC", "-o", str(tmp), str(NATIVE_SOURCE)],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                raise ToolchainError(f"building the native block counter failed: {proc.stderr.strip()}")
    return ctypes.CDLL(str(lib_path))


def _function(name: str) -> int:
    return ctypes.cast(getattr(_library(), name), ctypes.c_void_p).value


def emu_stop_address() -> int:
    """Address of the C function uc_emu_stop, which the native counter calls."""
    return ctypes.cast(_ucmod.uclib.uc_emu_stop, ctypes.c_void_p).value


def _add_hook(uc: unicorn.Uc, kind: int, function: str, user_data: int, begin: int, end: int) -> None:
    handle = uc_hook_h()
    status = _ucmod.uclib.uc_hook_add(
        uc._uch, ctypes.byref(handle), kind, ctypes.c_void_p(_function(function)),
        ctypes.c_void_p(user_data), ctypes.c_uint64(begin), ctypes.c_uint64(end),
    )
    if status != unicorn.UC_ERR_OK:
        raise GuestFault(f"cannot install the native {function} hook: {unicorn.UcError(status)}")


def add_block_counter(uc: unicorn.Uc, counter: CounterStruct, begin: int = 1, end: int = 0) -> None:
    """Count every block starting in [begin, end] (default: everywhere) into ``counter``.

    The caller keeps ``counter`` (and the arrays it points to) alive as long as ``uc``."""
    _add_hook(uc, unicorn.UC_HOOK_BLOCK, "tb_count_block", ctypes.addressof(counter), begin, end)


def add_empty_code_hook(uc: unicorn.Uc, begin: int, end: int) -> None:
    """A code hook on [begin, end] (inclusive) that does nothing, in C."""
    _add_hook(uc, unicorn.UC_HOOK_CODE, "tb_code_nothing", 0, begin, end)
