"""The one place that reads ``migrate()``'s records for the experiments and calibrations.

A record is what one emulated migration measured (``testbed run --json`` prints it): a
``MigrationRecord`` whose ``to_dict()`` gives one flat dict, with the machines in
``src``/``dst`` and the ISAs in ``src_isa``/``dst_isa``. Everything here takes a record (or
such a dict) and gives plain values, so a change of the record's shape or names is a change
of this module only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Record fields that are run parameters: a result row has its own columns for them.
PARAM_FIELDS = ("program", "size", "network", "mode", "runtime")
# Record fields a result row names otherwise: the row's src/dst are the machines as the grid
# wrote them (``sparc`` or ``ss20``), the record's the canonical ones; the row's "at" is the
# requested point, the record's the passage K it resolved to.
ROW_NAMES = {"src": "src_machine", "dst": "dst_machine", "at": "at_passage"}


def fields(record: Any) -> dict[str, Any]:
    """The record as one flat dict of its fields."""
    if isinstance(record, Mapping):
        return dict(record)
    to_dict = getattr(record, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise TypeError(f"not a migration record: {type(record).__name__}")


def row_metrics(record: Any) -> dict[str, Any]:
    """The record's columns of a result row: every measured field, under the row's names."""
    return {ROW_NAMES.get(k, k): v for k, v in fields(record).items() if k not in PARAM_FIELDS}


def failure(record: Any) -> str | None:
    """Why the migration did not complete on its destination (the source then finished the
    job), None if it did."""
    values = fields(record)
    return str(values.get("failure") or "the migration failed") if values["failed"] else None


def instruction_counts(record: Any, phase: str, classes: tuple[str, ...]) -> list[int]:
    """Guest instructions per class of ``phase`` (``scan`` on the source, ``restore`` on
    the destination), in ``classes`` order."""
    values = fields(record)
    return [int(values[f"{phase}_n_{c}"]) for c in classes]
