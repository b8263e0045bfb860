"""Ctrl-C while a guest runs: stop the emulation, then raise KeyboardInterrupt.

``Uc.emu_start`` runs the guest in C with the GIL released, so Python's SIGINT handler
cannot run until the emulation returns (a compute loop with no hypercall never returns
by itself), and when it does run inside a Unicorn hook callback, the KeyboardInterrupt it
raises there is printed by ctypes and swallowed. So, once ``install()`` has run:

- Python's C-level handler writes the signal to a wakeup socket; a watcher thread reading
  it calls ``emu_stop()`` on every emulation that is running (Unicorn allows that from
  another thread: its own timeouts work so);
- the Python-level handler raises KeyboardInterrupt only outside an emulation; inside
  one it just marks the interrupt, and ``emulating()`` raises it once ``emu_start`` has
  returned, where the caller can unwind normally.

A forked child (a check's case, a pool's worker) gets the default action back: a Ctrl-C
to the process group ends it at once and silently, even inside an emulation, and the
parent, interrupted too, reports it once.

Without ``install()`` (a library user, a test) nothing changes.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Stoppable(Protocol):
    def emu_stop(self) -> None: ...


_running: list[Stoppable] = []
_lock = threading.Lock()
_pending = False
_installed = False
_wakeup: tuple[socket.socket, socket.socket] | None = None

# How long the watcher keeps stopping emulations after a Ctrl-C: it covers the moment
# between registering an emulation and Unicorn starting it, where a stop is lost.
STOP_RETRY_S = 2.0


@contextmanager
def emulating(uc: Stoppable) -> Iterator[None]:
    """Wrap one ``uc.emu_start(...)``: a Ctrl-C during it stops it and raises
    KeyboardInterrupt here once it has returned."""
    global _pending
    with _lock:
        _running.append(uc)
    try:
        yield
    finally:
        with _lock:
            _running.remove(uc)
    if _pending:
        _pending = False
        raise KeyboardInterrupt


def _stop_running() -> bool:
    """Stop every running emulation; whether there was any."""
    with _lock:
        running = list(_running)
    for uc in running:
        try:
            uc.emu_stop()
        except Exception:  # noqa: BLE001 - an emulation that just ended cannot be stopped
            pass
    return bool(running)


def _on_sigint(_signum: int, _frame: object) -> None:
    global _pending
    with _lock:
        inside = bool(_running)
    if not inside:
        raise KeyboardInterrupt
    _pending = True  # raised by emulating() once the emulation has returned
    _stop_running()


def _watch(wakeup: socket.socket) -> None:
    while True:
        try:
            received = wakeup.recv(64)
        except OSError:
            return
        if signal.SIGINT not in received:
            continue
        deadline = time.monotonic() + STOP_RETRY_S
        while _stop_running() and time.monotonic() < deadline:
            time.sleep(0.02)


def install() -> None:
    """Make Ctrl-C stop a running emulation at once (call from the main thread, once)."""
    global _installed, _wakeup
    if _installed or threading.current_thread() is not threading.main_thread():
        return  # signal handlers belong to the main thread
    receive, send = socket.socketpair()
    send.setblocking(False)
    _wakeup = (receive, send)  # kept open for the life of the process
    signal.set_wakeup_fd(send.fileno(), warn_on_full_buffer=False)
    signal.signal(signal.SIGINT, _on_sigint)
    threading.Thread(target=_watch, args=(receive,), name="testbed-sigint", daemon=True).start()
    os.register_at_fork(after_in_child=_in_forked_child)
    _installed = True


def _in_forked_child() -> None:
    """A forked child has no watcher thread and must not write into its parent's wakeup
    socket: Ctrl-C ends it the plain way (SIG_DFL), with no traceback from wherever it was."""
    global _installed, _pending, _lock
    _installed, _pending = False, False
    _lock = threading.Lock()  # the watcher may have held the parent's at the fork
    _running.clear()
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # forked from a thread that is not the child's main thread
        pass
