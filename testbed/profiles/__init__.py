"""Machine and network profiles: model parameters as data, each with a unit and a source.

A profile is a TOML file. Every numeric parameter is an inline table::

    clock = { value = 20, unit = "MHz", source = "DEC 5000/120 data sheet" }

``source`` says where the number comes from, or ``"calibrated against <rows>"`` when it
was fitted. Code asks for a parameter *in the unit it computes with*
(``profile.get("cpu.clock", "Hz")``) and gets it converted, or a ConfigError when the
declared unit cannot be converted: a unit mistake cannot slip through silently, in the
way gem5 declares typed, unit-carrying parameters per component.

Loading checks the whole file against the typed schema (schema.py): unknown keys,
parameters without a unit or a source, and wrong dimensions are refused at load time.
A value shared by several machines is written once in ``common/<name>.toml`` and pulled
in with ``extends = ["<name>", ...]`` at the top of a profile; the profile's own tables
override the shared ones key by key (a parameter is replaced whole, source included).
Calibrated values stay in each machine's own file, where the calibration writes them.
"""

from __future__ import annotations

import dataclasses
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from testbed.errors import ConfigError, unknown_name
from testbed.profiles.schema import UNITS, MachineProfile, NetworkProfile, Param, build, parameters

PROFILE_DIR = Path(__file__).resolve().parent
MACHINE_DIR = PROFILE_DIR / "machines"
NETWORK_DIR = PROFILE_DIR / "networks"
COMMON_DIR = PROFILE_DIR / "common"

__all__ = ["UNITS", "Param", "Profile", "load_profile", "machine", "network", "machine_names", "network_names"]


class Profile:
    """A loaded, checked profile: the schema object (``typed``) and the merged tables
    (``data``). Dotted paths (``cpu.cycles.alu``) name fields of the schema."""

    def __init__(self, kind: str, name: str, path: Path, data: dict[str, Any], typed: Any) -> None:
        self.kind = kind
        self.name = name
        self.path = path
        self.data = data  # the merged tables (extends resolved)
        self.typed = typed  # the schema object: MachineProfile or NetworkProfile

    def _node(self, dotted: str) -> Any:
        node: Any = self.typed
        for part in dotted.split("."):
            if not dataclasses.is_dataclass(node) or not hasattr(node, part):
                raise ConfigError(f"{self.kind} profile {self.name!r} ({self.path}) has no {dotted!r}")
            node = getattr(node, part)
        return node

    def has(self, dotted: str) -> bool:
        try:
            self._node(dotted)
        except ConfigError:
            return False
        return True

    def param(self, dotted: str) -> Param:
        node = self._node(dotted)
        if not isinstance(node, Param):
            raise ConfigError(f"{self.kind} profile {self.name!r}: {dotted!r} is a table or text, not a parameter")
        return node

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
        return parameters(self._node(prefix) if prefix else self.typed)


_SCHEMAS = {"machine": MachineProfile, "network": NetworkProfile}


def load_profile(kind: str, path: Path, name: str | None = None) -> Profile:
    """Load and check the ``kind`` profile at ``path`` (any file, e.g. a test's)."""
    data = _read_with_bases(kind, path, ())
    where = f"{kind} profile {path}"
    typed = build(_SCHEMAS[kind], data, where)
    return Profile(kind, name or path.stem, path, data, typed)


def _read_toml(kind: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{kind} profile {path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{kind} profile {path}: cannot read it ({exc.strerror})") from None


def _read_with_bases(kind: str, path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The file's tables merged over those of the files it extends, in order."""
    if path in chain:
        raise ConfigError(f"{kind} profile {path}: extends itself through {' -> '.join(p.name for p in chain)}")
    data = _read_toml(kind, path)
    bases = data.pop("extends", [])
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise ConfigError(f"{kind} profile {path}: extends must be a name or a list of names in {COMMON_DIR}")
    merged: dict[str, Any] = {}
    for base in bases:
        base_path = COMMON_DIR / f"{base}.toml"
        if not base_path.is_file():
            raise ConfigError(f"{kind} profile {path}: extends unknown shared profile {base!r}; "
                              f"valid: {', '.join(available(COMMON_DIR))} (files in {COMMON_DIR})")
        _merge_into(merged, _read_with_bases(kind, base_path, (*chain, path)))
    _merge_into(merged, data)
    return merged


def _merge_into(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        is_table = isinstance(value, dict) and "value" not in value
        if is_table and isinstance(into.get(key), dict) and "value" not in into[key]:
            _merge_into(into[key], value)
        else:
            into[key] = value


def _load(kind: str, directory: Path, name: str) -> Profile:
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise unknown_name(kind, name, available(directory))
    return load_profile(kind, path, name)


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
