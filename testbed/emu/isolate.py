"""One emulation in a child process, so that an emulator crash cannot take the caller down.

Unicorn is native code: a defect in it (testbed/emu/workarounds.py) kills the whole Python
process with a signal, which no ``except`` can catch. ``run_isolated`` forks, runs the
given function in the child and sends its result (or its TestbedError) back through a
pipe. If the child dies by a signal, the caller gets ``EmulatorCrashed``, a GuestFault
with one readable line::

    the emulator crashed (SIGSEGV) running sha256_unrolled on mipsel

so sweeps, checks and cluster runs record the failure and go on. ``run_guest`` is the
common case: load a program, run it to the end, return its RunResult.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from testbed.emu.guest import Guest, RunResult
from testbed.emu.machines import resolve
from testbed.errors import GuestFault, TestbedError
from testbed.limits import EXPERIMENT_BUDGET

T = TypeVar("T")


class EmulatorCrashed(GuestFault):
    """The child process running an emulation died by a signal (a Unicorn defect)."""

    def __init__(self, message: str, signal_name: str = "") -> None:
        super().__init__(message)
        self.signal_name = signal_name


def run_isolated(function: Callable[..., T], *args: Any, program: str, isa: str,
                 timeout_s: float | None = None) -> T:
    """``function(*args)`` run in a forked child; its return value, or the TestbedError it
    raised, re-raised here. EmulatorCrashed if the child was killed by a signal; a
    GuestFault if it ran longer than ``timeout_s`` wall seconds (it is killed then).

    ``function``'s result and exceptions must pickle (RunResult, Tally and the testbed
    errors do); ``program`` and ``isa`` only name the run in messages."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        os.close(read_fd)
        _child(function, args, write_fd)
    os.close(write_fd)
    try:
        data = _read_result(read_fd, timeout_s)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise GuestFault(f"the emulation of {program} on {isa} did not finish within {timeout_s:g} s "
                         f"of wall time and was stopped") from None
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise EmulatorCrashed(f"the emulator crashed ({name}) running {program} on {isa}", name)
    if not data:
        raise EmulatorCrashed(f"the emulation of {program} on {isa} exited "
                              f"(status {os.waitstatus_to_exitcode(status)}) without a result")
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _read_result(fd: int, timeout_s: float | None) -> bytes:
    """Everything the child writes until it closes the pipe; TimeoutError past the deadline."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    chunks = []
    while True:
        if deadline is not None:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _child(function: Callable[..., Any], args: tuple[Any, ...], write_fd: int) -> None:
    faulthandler.disable()  # a crash is reported by the parent, in one line
    status = 0
    try:
        try:
            payload: tuple[bool, Any] = (True, function(*args))
        except TestbedError as exc:
            payload = (False, exc)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
            payload = (False, GuestFault(f"the isolated emulation failed: {type(exc).__name__}: {exc}"))
        try:
            data = pickle.dumps(payload)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            data = pickle.dumps((False, GuestFault(f"the isolated emulation's result cannot be sent back: {exc}")))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        status = 70
    finally:
        os._exit(status)


def _run_to_end(elf_path: Path, machine_name: str, argv: list[str], budget: int) -> RunResult:
    result = Guest(elf_path, resolve(machine_name), argv, budget=budget).run()
    if result is None:
        raise GuestFault(f"{Path(elf_path).name} paused in a hypercall; run_guest needs a program that runs to its end")
    return result


def run_guest(elf_path: Path, machine_name: str, argv: list[str], *, budget: int = EXPERIMENT_BUDGET,
              program: str | None = None, timeout_s: float | None = None) -> RunResult:
    """Load ``elf_path`` on ``machine_name`` (a machine or ISA name) and run it to its end
    in a child process: its RunResult, the guest's GuestFault, or EmulatorCrashed."""
    machine = resolve(machine_name)  # a bad name is reported here, not in the child
    return run_isolated(_run_to_end, Path(elf_path), machine.name, list(argv), budget,
                        program=program or Path(elf_path).stem, isa=f"{machine.isa.name} ({machine.name})",
                        timeout_s=timeout_s)
