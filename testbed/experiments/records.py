"""The one place that reads ``migrate()``'s records for the experiments and calibrations.

A record is what one emulated migration measured (``testbed run --json`` prints it): today
a dict, soon a dataclass with a dict conversion, with the machines in ``src``/``dst`` and
the ISAs in fields of their own. Everything here takes a record of either form and gives
plain values, so a change of the record's shape or names is a change of this module only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

# Record fields that are run parameters: a result row has its own columns for them.
PARAM_FIELDS = ("program", "size", "network", "mode", "runtime")
# Record fields a result row names otherwise: the row's src/dst are the machines, and its
# "at" is the requested point, the record's the passage K it resolved to.
ROW_NAMES = {"src": "src_isa", "dst": "dst_isa", "at": "at_passage"}


def fields(record: Any) -> dict[str, Any]:
    """The record as a plain dict of its fields."""
    if isinstance(record, Mapping):
        return dict(record)
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    raise TypeError(f"not a migration record: {type(record).__name__}")


def row_metrics(record: Any) -> dict[str, Any]:
    """The record's columns of a result row: every measured field, under the row's names."""
    return {ROW_NAMES.get(k, k): v for k, v in fields(record).items() if k not in PARAM_FIELDS}


def transfer_failed(record: Any) -> str | None:
    """Why the record's transfer failed (the source then finished the job), None if not."""
    values = fields(record)
    return str(values.get("failure") or "the transfer failed") if values["failed"] else None


def instruction_counts(record: Any, phase: str, classes: tuple[str, ...]) -> list[int]:
    """Guest instructions per class of ``phase`` (``scan`` on the source, ``restore`` on
    the destination), in ``classes`` order."""
    values = fields(record)
    return [int(values[f"{phase}_n_{c}"]) for c in classes]
