"""Write calibrated values into the machine profiles with a TOML writer (tomlkit), which
keeps every comment, the key alignment and the order of the file: only the calibrated
parameter's ``value`` and ``source`` change. The value is written in the unit the profile
already declares (converted if the fit gave another), to four significant digits. A
parameter the file inherits (``extends``) is overridden in the file itself. The new text
must pass the profiles' typed schema before it replaces the file (atomically), so a write
never leaves a profile the testbed cannot load.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import InlineTable, Table

from testbed.calibration import Fitted
from testbed.errors import ConfigError
from testbed.profiles import MACHINE_DIR, Param, load_profile, machine

SIGNIFICANT = 4  # digits written: the fits are not better than that


def rounded(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def write_parameter(path: Path, dotted: str, value: float, unit: str, source: str,
                    kind: str = "machine") -> float:
    """Set the parameter ``dotted`` of the ``kind`` profile at ``path`` to ``value`` (in
    ``unit``) with ``source``; returns the value written, in the file's unit. A parameter
    the file does not have itself is added as ``{ value, unit, source }`` under its table."""
    try:
        doc = tomlkit.parse(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"profile {path} does not exist") from None
    except TOMLKitError as exc:
        raise ConfigError(f"profile {path}: not valid TOML: {exc}") from None
    *tables, key = dotted.split(".")
    node: Table | InlineTable | tomlkit.TOMLDocument = doc
    for part in tables:
        if part not in node:
            node[part] = tomlkit.table()
        node = node[part]
        if not isinstance(node, (Table, InlineTable)):
            raise ConfigError(f"{path}: {part!r} of {dotted!r} is not a table")
    item = node.get(key)
    if item is None:
        # Inherited (extends) or new: an override in the inherited parameter's unit.
        profile = load_profile(kind, path)
        file_unit = profile.param(dotted).unit if profile.has(dotted) else unit
        written = rounded(Param(dotted, value, unit, source).to(file_unit))
        entry = tomlkit.inline_table()
        entry.update({"value": written, "unit": file_unit, "source": source})
        node[key] = entry
    elif isinstance(item, (Table, InlineTable)) and {"value", "unit", "source"} <= set(item):
        written = rounded(Param(dotted, value, unit, source).to(str(item["unit"])))
        item["value"] = written
        item["source"] = source
    else:
        raise ConfigError(f"{path}: {dotted!r} is not a {{ value, unit, source }} parameter")
    _replace_checked(path, tomlkit.dumps(doc), kind)
    return written


def _replace_checked(path: Path, text: str, kind: str) -> None:
    """Replace the profile at ``path`` by ``text`` if the typed schema loads it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    try:
        load_profile(kind, tmp, path.stem)
    except ConfigError as exc:
        tmp.unlink()
        raise ConfigError(f"not written: {path} would not load: {exc}") from None
    os.replace(tmp, path)


def write(fitted: Iterable[Fitted], directory: Path = MACHINE_DIR) -> list[str]:
    """Write every fitted value into ``directory/<machine>.toml``; one line per parameter
    written, saying where."""
    lines = []
    for f in fitted:
        path = directory / f"{f.machine}.toml"
        for dotted in f.paths:
            written = write_parameter(path, dotted, f.value, f.unit, f.source)
            lines.append(f"{path}: {dotted} = {written:g}")
    machine.cache_clear()  # the next load sees the written values
    return lines
