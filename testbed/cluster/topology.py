"""Clusters as data: named hosts, each with a machine profile, on named network segments.

A cluster is a TOML file in ``testbed/profiles/clusters/``::

    [cluster]     name, description, placement ("round-robin")
    [segments.S]  network = "10mbps"             (a network profile)
    [pvmd]        per_message (cycles), per_byte (cycles/B), fragment (B), header (B): daemons
    [[hosts]]     name = "dec1"   machine = "dec5000"   segment = "S"
                  or prefix = "dec", count = 14: hosts dec1..dec14

``extends = "NAME"`` starts from another cluster file: tables merge key by key, a
``hosts`` list given here replaces the base's whole. Host order is placement order.
Every number is a ``{ value, unit, source }`` parameter, as in the machine profiles.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from testbed import profiles
from testbed.errors import ConfigError, unknown_name
from testbed.profiles.schema import Param

CLUSTER_DIR = profiles.PROFILE_DIR / "clusters"
PLACEMENTS = ("round-robin",)


@dataclass(frozen=True)
class PvmdCosts:
    """What a pvmd hop costs, in cycles of the host it runs on (scaled by its clock)."""

    per_message: Param
    per_byte: Param
    fragment: Param
    header: Param

    def hop_seconds(self, clock_hz: float, nbytes: int) -> float:
        cycles = self.per_message.to("cycles") + self.per_byte.to("cycles/B") * nbytes
        return cycles / clock_hz

    @property
    def fragment_bytes(self) -> int:
        return int(self.fragment.to("B"))

    @property
    def header_bytes(self) -> int:
        return int(self.header.to("B"))


@dataclass(frozen=True)
class ClusterHost:
    name: str
    machine: str  # a machine profile name
    isa: str
    clock_hz: float
    segment: str


@dataclass(frozen=True)
class Cluster:
    name: str
    description: str
    path: Path
    placement: str
    segments: dict[str, str]  # segment name -> network profile name
    hosts: tuple[ClusterHost, ...]
    pvmd: PvmdCosts

    def host(self, name: str) -> ClusterHost:
        for h in self.hosts:
            if h.name == name:
                return h
        raise ConfigError(f"unknown host {name!r} in cluster {self.name!r}; its hosts: "
                          f"{', '.join(h.name for h in self.hosts)}")

    def index(self, name: str) -> int:
        return self.hosts.index(self.host(name))

    def with_network(self, network: str) -> Cluster:
        """The same cluster with every segment on ``network`` (``--net``)."""
        profiles.network(network)  # an unknown name fails here, with the valid ones
        return Cluster(self.name, self.description, self.path, self.placement,
                       {seg: network for seg in self.segments}, self.hosts, self.pvmd)


def cluster_names() -> list[str]:
    return profiles.available(CLUSTER_DIR)


@cache
def cluster(name: str) -> Cluster:
    """A shipped cluster by name (``snow18``, ``snow18-100``, ``pair``, ``mixed4``)."""
    path = CLUSTER_DIR / f"{name}.toml"
    if not path.is_file():
        raise unknown_name("cluster", name, cluster_names())
    return load_cluster(path)


def load_cluster(path: Path) -> Cluster:
    """Load and check the cluster file at ``path`` (any file, e.g. a test's)."""
    data = _read(path, ())
    where = f"cluster {path}"
    info = _table(data, "cluster", where)
    name = _text(info, "name", f"{where} [cluster]")
    placement = str(info.get("placement", "round-robin"))
    if placement not in PLACEMENTS:
        raise ConfigError(f"{where}: placement {placement!r} is unknown; valid: {', '.join(PLACEMENTS)}")
    segments = {}
    for seg, table in _table(data, "segments", where).items():
        network = _text(table, "network", f"{where} [segments.{seg}]")
        profiles.network(network)
        segments[seg] = network
    pvmd_table = _table(data, "pvmd", where)
    pvmd = PvmdCosts(*(_param(pvmd_table, "pvmd", key, unit, where)
                       for key, unit in (("per_message", "cycles"), ("per_byte", "cycles/B"),
                                      ("fragment", "B"), ("header", "B"))))
    hosts = _hosts(data.get("hosts"), segments, where)
    return Cluster(name, str(info.get("description", "")), path, placement, segments, hosts, pvmd)


def _hosts(entries: Any, segments: dict[str, str], where: str) -> tuple[ClusterHost, ...]:
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: no [[hosts]]; give at least one host (name, machine, segment)")
    hosts: list[ClusterHost] = []
    for i, entry in enumerate(entries, 1):
        at = f"{where} [[hosts]] #{i}"
        machine = profiles.machine(_text(entry, "machine", at))
        segment = _text(entry, "segment", at)
        if segment not in segments:
            raise ConfigError(f"{at}: segment {segment!r} is not defined; defined: {', '.join(segments)}")
        if "name" in entry:
            names = [_text(entry, "name", at)]
        elif "prefix" in entry and isinstance(entry.get("count"), int) and entry["count"] > 0:
            names = [f"{entry['prefix']}{n}" for n in range(1, entry["count"] + 1)]
        else:
            raise ConfigError(f"{at}: give name = \"HOST\", or prefix = \"P\" and count = N (N >= 1)")
        for host in names:
            if any(h.name == host for h in hosts):
                raise ConfigError(f"{at}: host {host!r} is defined twice")
            hosts.append(ClusterHost(host, machine.name, machine.text("machine.isa"),
                                     machine.get("cpu.clock", "Hz"), segment))
    return tuple(hosts)


def _read(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    if path in chain:
        raise ConfigError(f"cluster {path}: extends itself through {' -> '.join(p.name for p in chain)}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cluster {path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cluster {path}: cannot read it ({exc.strerror})") from None
    base = data.pop("extends", None)
    if base is None:
        return data
    base_path = CLUSTER_DIR / f"{base}.toml"
    if not isinstance(base, str) or not base_path.is_file():
        raise ConfigError(f"cluster {path}: extends unknown cluster {base!r}; valid: {', '.join(cluster_names())}")
    merged = _read(base_path, (*chain, path))
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        nested = isinstance(value, dict) and "value" not in value and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if nested else value
    return out


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: missing table [{key}]")
    return value


def _text(table: Any, key: str, where: str) -> str:
    value = table.get(key) if isinstance(table, dict) else None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return value


def _param(table: dict[str, Any], section: str, key: str, unit: str, where: str) -> Param:
    node = table.get(key)
    where = f"{where} [{section}]"
    if not (isinstance(node, dict) and {"value", "unit", "source"} <= node.keys() and str(node["source"]).strip()):
        raise ConfigError(f"{where}: {key!r} must be {{ value, unit, source }} with a source")
    p = Param(f"{section}.{key}", float(node["value"]), str(node["unit"]), str(node["source"]))
    p.to(unit)  # the unit must convert: a wrong dimension fails here
    return p
