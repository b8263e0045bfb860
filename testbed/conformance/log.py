"""The outcomes file of a conformance run: one JSON line per program as soon as it is
known, after a first line that says what produced them (suite, code revision, budget,
wall-clock limit, sample). A run over the whole suite takes hours on two cores; with
``--resume`` a stopped run goes on where it stopped, and only with the same code: the
figures of one report then all come from one revision."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import IO

from testbed.conformance.program import Outcome
from testbed.errors import ConfigError


class OutcomeLog:
    """Appends outcomes to ``path``; ``done`` holds those a resumed file already had."""

    def __init__(self, path: Path, header: dict[str, object], resume: bool) -> None:
        self.path = path
        self.done = read_outcomes(path, header) if resume and path.exists() else {}
        # written anew, the outcomes kept: a line cut off when the run stopped goes
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._write({"conformance": header})
        for outcome in self.done.values():
            self.add(outcome)

    def add(self, outcome: Outcome) -> None:
        self._write(asdict(outcome))

    def close(self) -> None:
        self._file.close()

    def _write(self, row: dict[str, object]) -> None:
        self._file.write(json.dumps(row) + "\n")
        self._file.flush()


def read_outcomes(path: Path, header: dict[str, object]) -> dict[str, Outcome]:
    """The outcomes ``path`` holds, by program; refused unless its first line is ``header``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--resume: cannot read {path}: {exc}") from None
    try:
        first = json.loads(lines[0]).get("conformance") if lines else None
    except (json.JSONDecodeError, AttributeError):
        first = None
    if first is None:
        raise ConfigError(f"--resume: {path} is not the outcomes file of a conformance run (no header line); "
                          "give another FILE or run without --resume")
    if first != header:
        changed = ", ".join(f"{k} {first.get(k)!r} -> {v!r}" for k, v in header.items() if first.get(k) != v)
        raise ConfigError(f"--resume: {path} was written by another run ({changed}); its outcomes cannot be "
                          "counted with this one's: give another FILE or run without --resume")
    done: dict[str, Outcome] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            outcome = Outcome(**json.loads(line))
        except (json.JSONDecodeError, TypeError):
            if number == len(lines):
                break  # the last line of a run stopped while it was being written
            raise ConfigError(f"--resume: {path}:{number} is not an outcome line; give another FILE") from None
        done[outcome.program] = outcome
    return done
