"""Machine and network profiles: model parameters as data, each with a unit and a source.

A profile is a TOML file. Every numeric parameter is an inline table::

    clock = { value = 20, unit = "MHz", source = "DEC 5000/120 data sheet" }

``source`` says where the number comes from, or ``"calibrated against <rows>"`` when it
was fitted. Code asks for a parameter *in the unit it computes with*
(``profile.get("cpu.clock", "Hz")``) and gets it converted, or a ConfigError when the
declared unit cannot be converted: a unit mistake cannot slip through silently, in the
way gem5 declares typed, unit-carrying parameters per component.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from testbed.errors import ConfigError, unknown_name

PROFILE_DIR = Path(__file__).resolve().parent
MACHINE_DIR = PROFILE_DIR / "machines"
NETWORK_DIR = PROFILE_DIR / "networks"

# Factor from each unit to its base unit, grouped by dimension.
_UNITS: dict[str, tuple[str, float]] = {
    # frequency
    "Hz": ("Hz", 1.0), "kHz": ("Hz", 1e3), "MHz": ("Hz", 1e6), "GHz": ("Hz", 1e9),
    # time
    "s": ("s", 1.0), "ms": ("s", 1e-3), "us": ("s", 1e-6), "ns": ("s", 1e-9),
    # data
    "B": ("B", 1.0), "KiB": ("B", 1024.0), "MiB": ("B", 1024.0**2), "GiB": ("B", 1024.0**3),
    "kB": ("B", 1e3), "MB": ("B", 1e6),
    # rates
    "bit/s": ("bit/s", 1.0), "kbit/s": ("bit/s", 1e3), "Mbit/s": ("bit/s", 1e6),
    "B/s": ("B/s", 1.0), "KiB/s": ("B/s", 1024.0), "MB/s": ("B/s", 1e6), "MiB/s": ("B/s", 1024.0**2),
    # per-item costs and plain numbers
    "cycles": ("cycles", 1.0),
    "rpm": ("rpm", 1.0),
    "1": ("1", 1.0), "fraction": ("1", 1.0), "count": ("count", 1.0),
    "s/B": ("s/B", 1.0), "us/B": ("s/B", 1e-6), "ns/B": ("s/B", 1e-9),
    "cycles/B": ("cycles/B", 1.0),
}


@dataclass(frozen=True)
class Param:
    """One model parameter as declared in a profile."""

    path: str
    value: float
    unit: str
    source: str

    def to(self, unit: str) -> float:
        """The value converted to ``unit``; ConfigError if the dimensions differ."""
        try:
            dim_from, f_from = _UNITS[self.unit]
            dim_to, f_to = _UNITS[unit]
        except KeyError as exc:
            raise ConfigError(f"parameter {self.path}: unknown unit {exc.args[0]!r}") from None
        if dim_from != dim_to:
            raise ConfigError(
                f"parameter {self.path} is in {self.unit!r}, which cannot be converted to {unit!r}"
            )
        return self.value * f_from / f_to


class Profile:
    """A loaded profile: nested tables of Params plus plain metadata strings."""

    def __init__(self, kind: str, name: str, path: Path, data: dict[str, Any]) -> None:
        self.kind = kind
        self.name = name
        self.path = path
        self.data = data

    def _node(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"{self.kind} profile {self.name!r} ({self.path}) has no {dotted!r}")
            node = node[part]
        return node

    def has(self, dotted: str) -> bool:
        try:
            self._node(dotted)
        except ConfigError:
            return False
        return True

    def param(self, dotted: str) -> Param:
        node = self._node(dotted)
        if not (isinstance(node, dict) and {"value", "unit", "source"} <= node.keys()):
            raise ConfigError(
                f"{self.kind} profile {self.name!r}: {dotted!r} must be a table with value, unit and source"
            )
        return Param(dotted, float(node["value"]), str(node["unit"]), str(node["source"]))

    def get(self, dotted: str, unit: str) -> float:
        """The parameter's value converted to ``unit``."""
        return self.param(dotted).to(unit)

    def text(self, dotted: str) -> str:
        node = self._node(dotted)
        if not isinstance(node, str):
            raise ConfigError(f"{self.kind} profile {self.name!r}: {dotted!r} must be a string")
        return node

    def params(self, prefix: str = "") -> list[Param]:
        """Every Param under ``prefix`` (for reports and result rows)."""
        out: list[Param] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, dict) and {"value", "unit", "source"} <= node.keys():
                out.append(Param(path, float(node["value"]), str(node["unit"]), str(node["source"])))
            elif isinstance(node, dict):
                for key, sub in node.items():
                    walk(sub, f"{path}.{key}" if path else key)

        walk(self._node(prefix) if prefix else self.data, prefix)
        return out


def _load(kind: str, directory: Path, name: str) -> Profile:
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise unknown_name(kind, name, available(directory))
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{kind} profile {path}: {exc}") from None
    return Profile(kind, name, path, data)


def available(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


@cache
def machine(name: str) -> Profile:
    """A machine profile by name (``dec5000``, ``ss20``, ``ultra5``)."""
    return _load("machine", MACHINE_DIR, name)


@cache
def network(name: str) -> Profile:
    """A network profile by name (``10mbps``, ``100mbps``)."""
    return _load("network", NETWORK_DIR, name)


def machine_names() -> list[str]:
    return available(MACHINE_DIR)


def network_names() -> list[str]:
    return available(NETWORK_DIR)
