"""A progress line on stderr for a command that runs longer than a few seconds.

Only when stderr is a terminal: piped or captured output (tests, ``--json``, CI logs) gets
nothing. The line shows the command, what it is doing now and the time elapsed; it
disappears when the command ends.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

DELAY_S = 3.0  # commands quicker than this never show a line
REFRESH_S = 0.5


class Progress:
    """``with Progress("run") as progress: ... progress.phase("restoring on ss20")``."""

    def __init__(self, label: str, stream: TextIO | None = None, delay: float = DELAY_S,
                 refresh: float = REFRESH_S) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.refresh = refresh
        self._phase = ""
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.time()

    @property
    def active(self) -> bool:
        """Whether a line may be shown at all (stderr is a terminal)."""
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def phase(self, text: str) -> None:
        """What the command is doing now (shown at the next refresh)."""
        self._phase = text

    def __enter__(self) -> Progress:
        self._started = time.time()
        if self.active:
            self._thread = threading.Thread(target=self._show, name="testbed-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _show(self) -> None:
        if self._done.wait(self.delay):
            return
        from tqdm import tqdm  # only now: start-up stays short (Ctrl-C is handled from main() on)

        bar = tqdm(total=None, desc=f"testbed {self.label}", file=self.stream, leave=False,
                   bar_format="{desc} [{elapsed}]{postfix}")  # tqdm puts ", " before the postfix
        bar.start_t = self._started  # elapsed since the command started, not since the line appeared
        try:
            shown = None
            while not self._done.is_set():
                if self._phase != shown:
                    shown = self._phase
                    bar.set_postfix_str(shown, refresh=False)
                bar.refresh()
                self._done.wait(self.refresh)
        finally:
            bar.close()


# The progress of the command running in this process (a no-op line until main() sets it).
current = Progress("", stream=None)


def phase(text: str) -> None:
    """Report what the running command does now."""
    current.phase(text)
