"""Worker processes that may die: a crashed task is that task's failure, not the pool's.

A guest program or the emulator under it can take its whole process down (a SIGSEGV in
Unicorn's native code, an ``os._exit`` in a library, the kernel's OOM killer). In a
``concurrent.futures.ProcessPoolExecutor`` one such death breaks the pool: every pending
future fails with ``BrokenProcessPool`` and nobody can say which task was the culprit.
Here each worker is a process of its own with a pipe to the parent, which always knows
the task a worker is on: when a worker's process ends without answering, that task (and
only that one) is reported failed with how the process ended, a fresh worker takes the
dead one's place, and the other tasks go on.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


@dataclass(frozen=True)
class WorkerDied:
    """What is known of a task whose worker process ended without answering."""

    exitcode: int | None

    def text(self) -> str:
        """``killed by signal 11 (SIGSEGV)`` or ``exited with status 3``."""
        code = self.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "unknown signal"
            return f"killed by signal {-code} ({name})"
        return f"exited with status {code}"


def _serve(work: Callable[[Any], Any], conn: Connection) -> None:
    """A worker's loop: a task in, its result out, until told to stop (None)."""
    # Ctrl-C is the parent's to handle (it stops the workers); a worker interrupted in
    # the middle of a task would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        task = conn.recv()
        if task is None:
            return
        conn.send(work(task))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: Any = None
    busy: bool = False


class IsolatedPool(Generic[Task, Result]):
    """``jobs`` worker processes running ``work`` on tasks, each worker one task at a time.

    ``work`` must not raise (its errors belong in its result); a task whose worker dies
    yields a :class:`WorkerDied` instead of a result."""

    def __init__(self, work: Callable[[Task], Result], jobs: int) -> None:
        if jobs < 1:
            raise ValueError(f"a pool needs at least one worker, not {jobs}")
        self.work = work
        self.jobs = jobs
        self.context = multiprocessing.get_context()

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(self.work, child), daemon=True)
        process.start()
        child.close()  # the worker's end: once the worker is gone, recv() sees EOF
        return _Worker(process, parent)

    def map(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, Result | WorkerDied]]:
        """(task, its result or WorkerDied), in the order the tasks finish."""
        pending = list(reversed(tasks))  # pop() from the end: the first task first
        workers = [self._start() for _ in range(min(self.jobs, len(tasks)))]
        try:
            while True:
                for w in workers:
                    if not w.busy and pending:
                        w.task, w.busy = pending.pop(), True
                        try:
                            w.conn.send(w.task)
                        except OSError:
                            pass  # the worker died while idle: its sentinel says so below
                busy = [w for w in workers if w.busy]
                if not busy:
                    return
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
                for w in busy:
                    if w.conn not in ready and w.process.sentinel not in ready:
                        continue
                    outcome = self._answer(w)
                    if outcome is None:
                        continue  # not yet known: asked again at the next wait
                    yield w.task, outcome
                    w.task, w.busy = None, False
                    if isinstance(outcome, WorkerDied):
                        w.conn.close()
                        workers.remove(w)
                        if pending:
                            workers.append(self._start())
        finally:
            self._stop(workers)

    @staticmethod
    def _answer(w: _Worker) -> Result | WorkerDied | None:
        """The worker's result if it sent one, WorkerDied if its process is gone without
        one, None if neither can be told yet."""
        try:
            if w.conn.poll():
                return w.conn.recv()
        except (EOFError, OSError):
            w.process.join(timeout=5)  # its end of the pipe is closed: it is exiting
        if w.process.is_alive():
            return None
        w.process.join()
        return WorkerDied(w.process.exitcode)

    @staticmethod
    def _stop(workers: Sequence[_Worker]) -> None:
        """Ask idle workers to finish, end busy ones (an interrupted map), reap all."""
        for w in workers:
            try:
                if w.busy:
                    w.process.terminate()
                else:
                    w.conn.send(None)
            except OSError:
                pass  # already gone
        for w in workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
