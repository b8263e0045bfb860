"""The one place that reads ``migrate()``'s records for the experiments and calibrations.

A record is what one emulated migration measured (``testbed run --json`` prints it): a
dict with the ISAs in ``src``/``dst``, or a record object whose ``to_dict()`` gives one flat
dict with the machines in ``src``/``dst`` and the ISAs in ``src_isa``/``dst_isa``.
Everything here takes a record of either form and gives plain values, so a change of the
record's shape or names is a change of this module only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

# Record fields that are run parameters: a result row has its own columns for them.
PARAM_FIELDS = ("program", "size", "network", "mode", "runtime")
# Record fields a result row names otherwise, unless the record has that name itself: the
# row's src/dst are the machines as the grid wrote them (so a record's ISAs in src/dst
# become src_isa/dst_isa), and its "at" is the requested point, the record's the passage K
# it resolved to.
ROW_NAMES = {"src": "src_isa", "dst": "dst_isa", "at": "at_passage"}


def fields(record: Any) -> dict[str, Any]:
    """The record as a plain dict of its fields."""
    if isinstance(record, Mapping):
        return dict(record)
    to_dict = getattr(record, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    raise TypeError(f"not a migration record: {type(record).__name__}")


def row_metrics(record: Any) -> dict[str, Any]:
    """The record's columns of a result row: every measured field, under the row's names."""
    values = fields(record)
    out = {}
    for key, value in values.items():
        if key in PARAM_FIELDS:
            continue
        if key in ROW_NAMES:
            if ROW_NAMES[key] in values:
                continue  # the record's src/dst are the machines: the row has its own
            key = ROW_NAMES[key]
        out[key] = value
    return out


def transfer_failed(record: Any) -> str | None:
    """Why the record's transfer failed (the source then finished the job), None if not."""
    values = fields(record)
    return str(values.get("failure") or "the transfer failed") if values["failed"] else None


def instruction_counts(record: Any, phase: str, classes: tuple[str, ...]) -> list[int]:
    """Guest instructions per class of ``phase`` (``scan`` on the source, ``restore`` on
    the destination), in ``classes`` order."""
    values = fields(record)
    return [int(values[f"{phase}_n_{c}"]) for c in classes]
