"""The frozen experiment files of the cluster studies: a TOML ``[experiment]`` and a
``[grid]`` (with a ``[quick]`` table overriding it for CI), and tidy CSV rows out."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from testbed.errors import ConfigError


def read_grid(path: Path, kind: str, quick: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the whole file, its grid with ``[quick]`` applied when asked); a ConfigError naming
    the file when it cannot be read or parsed."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{kind} {path}: {getattr(exc, 'strerror', None) or exc}") from None
    grid: dict[str, Any] = dict(data.get("grid", {}))
    if quick:
        grid.update(data.get("quick", {}))
    return data, grid


def write_csv(rows: Iterable[dict[str, Any]], path: Path, columns: Sequence[str],
              cell: Callable[[Any], Any] = lambda v: v) -> None:
    """One row per run, the columns in order (the parent folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: cell(v) for k, v in row.items()})
