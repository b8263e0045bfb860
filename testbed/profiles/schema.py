"""The typed schema of machine and network profiles, and the check that enforces it.

Each TOML table is a frozen dataclass. A field typed ``Param`` is a model parameter: an
inline table ``{ value, unit, source }`` whose unit must convert to the field's declared
unit (``param("Hz")``) and whose source must say where the number comes from. A ``str``
field is plain text; a dataclass field is a sub-table. ``build`` rejects unknown keys,
missing keys, parameters without a unit or a source, and units of the wrong dimension,
each with one line naming the file, the key and what to do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_type_hints

from testbed.errors import ConfigError

# Factor from each unit to its base unit, grouped by dimension.
UNITS: dict[str, tuple[str, float]] = {
    # frequency
    "Hz": ("Hz", 1.0), "kHz": ("Hz", 1e3), "MHz": ("Hz", 1e6), "GHz": ("Hz", 1e9),
    # time
    "s": ("s", 1.0), "ms": ("s", 1e-3), "us": ("s", 1e-6), "ns": ("s", 1e-9), "min": ("s", 60.0), "h": ("s", 3600.0),
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
    # a guest virtual address (memory layouts)
    "address": ("address", 1.0),
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
            dim_from, f_from = UNITS[self.unit]
            dim_to, f_to = UNITS[unit]
        except KeyError as exc:
            raise ConfigError(f"parameter {self.path}: unknown unit {exc.args[0]!r}") from None
        if dim_from != dim_to:
            raise ConfigError(
                f"parameter {self.path} is in {self.unit!r}, which cannot be converted to {unit!r}"
            )
        return self.value * f_from / f_to


def param(unit: str) -> Any:
    """A parameter field whose value must be convertible to ``unit``."""
    return field(metadata={"unit": unit})


# ---------------------------------------------------------------- machines

@dataclass(frozen=True)
class MachineInfo:
    name: str
    description: str
    isa: str


@dataclass(frozen=True)
class Cycles:
    """Cycles per executed instruction of each cost-model class (testbed/emu/costmodel.py)."""

    alu: Param = param("cycles")
    branch: Param = param("cycles")
    load: Param = param("cycles")
    store: Param = param("cycles")
    mul: Param = param("cycles")
    div: Param = param("cycles")
    fadd: Param = param("cycles")
    fmul: Param = param("cycles")
    fdiv: Param = param("cycles")
    fother: Param = param("cycles")
    trap: Param = param("cycles")


@dataclass(frozen=True)
class Cpu:
    clock: Param = param("Hz")
    cycles: Cycles = field()


@dataclass(frozen=True)
class Layout:
    """The guest address map (testbed/emu/memory.py)."""

    sentinel: Param = param("address")
    text_base: Param = param("address")
    heap_base: Param = param("address")
    stack_top: Param = param("address")


@dataclass(frozen=True)
class Memory:
    size: Param = param("B")
    stack_size: Param = param("B")
    layout: Layout = field()


@dataclass(frozen=True)
class Netstack:
    per_packet: Param = param("s")
    per_byte: Param = param("s/B")


@dataclass(frozen=True)
class Disk:
    model: str
    avg_seek: Param = param("s")
    rpm: Param = param("rpm")
    transfer_rate: Param = param("B/s")
    block_size: Param = param("B")
    fs_per_block: Param = param("s")
    rotdelay: Param = param("s")
    write_behind: Param = param("B")
    file_cache: Param = param("B")


@dataclass(frozen=True)
class Rcp:
    session_setup: Param = param("s")


@dataclass(frozen=True)
class Os:
    syscall: Param = param("s")
    copy_per_byte: Param = param("s/B")


@dataclass(frozen=True)
class Stdio:
    """The classic runtime's file I/O: XDR units through stdio over the buffer cache
    (testbed/migration/fileio.py)."""

    put_unit: Param = param("cycles")
    get_unit: Param = param("cycles")
    buffer: Param = param("B")
    cache_share: Param = param("1")
    sync_rate: Param = param("B/s")


@dataclass(frozen=True)
class Sock:
    """The classic runtime's socket I/O in network mode: one call per encoded item
    (testbed/migration/sockio.py)."""

    write_item: Param = param("cycles")
    read_item: Param = param("cycles")
    send_item: Param = param("cycles")


@dataclass(frozen=True)
class MachineProfile:
    machine: MachineInfo
    cpu: Cpu
    memory: Memory
    netstack: Netstack
    disk: Disk
    rcp: Rcp
    os: Os
    stdio: Stdio
    sock: Sock


# ---------------------------------------------------------------- networks

@dataclass(frozen=True)
class NetworkInfo:
    name: str
    description: str
    duplex: str


@dataclass(frozen=True)
class Ethernet:
    bit_rate: Param = param("bit/s")
    preamble: Param = param("B")
    header: Param = param("B")
    fcs: Param = param("B")
    ifg: Param = param("B")
    min_frame: Param = param("B")
    propagation: Param = param("s")


@dataclass(frozen=True)
class Csma:
    slot_time: Param = param("s")
    jam: Param = param("B")
    backoff_limit: Param = param("count")
    attempt_limit: Param = param("count")


@dataclass(frozen=True)
class Ip:
    header: Param = param("B")


@dataclass(frozen=True)
class Tcp:
    header: Param = param("B")
    mss: Param = param("B")
    recv_window: Param = param("B")
    send_buffer: Param = param("B")
    ack_every: Param = param("count")
    delack_timeout: Param = param("s")
    initial_cwnd: Param = param("count")
    rto_min: Param = param("s")
    rto_max: Param = param("s")
    max_retransmits: Param = param("count")
    connect_rto: Param = param("s")
    connect_timeout: Param = param("s")
    dupack_threshold: Param = param("count")


@dataclass(frozen=True)
class Background:
    stations: Param = param("count")
    small_frame: Param = param("B")
    large_frame: Param = param("B")
    small_fraction: Param = param("1")


@dataclass(frozen=True)
class NetworkProfile:
    network: NetworkInfo
    ethernet: Ethernet
    csma: Csma
    ip: Ip
    tcp: Tcp
    background: Background


# ---------------------------------------------------------------- checking

T = TypeVar("T")


def build(cls: type[T], data: Any, where: str, path: str = "") -> T:
    """An instance of the schema dataclass ``cls`` from the TOML table ``data``.

    ``where`` names the profile for messages (``machine profile 'ss20' (path)``)."""
    table = f"[{path}]" if path else "the top level"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: {path} must be a table")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} in {table}; valid keys: {', '.join(fields)}")
    missing = [name for name in fields if name not in data]
    if missing:
        raise ConfigError(f"{where}: {table} lacks {missing[0]!r}")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        dotted = f"{path}.{name}" if path else name
        kind = hints[name]
        if kind is Param:
            values[name] = _param(data[name], dotted, f.metadata["unit"], where)
        elif kind is str:
            if not isinstance(data[name], str):
                raise ConfigError(f"{where}: {dotted} must be a string")
            values[name] = data[name]
        else:
            values[name] = build(kind, data[name], where, dotted)
    return cls(**values)


def _param(node: Any, dotted: str, unit: str, where: str) -> Param:
    if not isinstance(node, dict):
        raise ConfigError(f"{where}: {dotted} must be a table {{ value = ..., unit = \"{unit}\", source = \"...\" }}")
    for key in ("value", "unit", "source"):
        if key not in node:
            raise ConfigError(f"{where}: parameter {dotted} has no {key}; write it as "
                              f"{{ value = ..., unit = \"{unit}\", source = \"where the number comes from\" }}")
    extra = sorted(set(node) - {"value", "unit", "source"})
    if extra:
        raise ConfigError(f"{where}: parameter {dotted} has an unknown field {extra[0]!r} (only value, unit, source)")
    value, declared, source = node["value"], node["unit"], node["source"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: parameter {dotted} must have a numeric value, not {value!r}")
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"{where}: parameter {dotted} has an empty source; say where the number comes from")
    if declared not in UNITS:
        raise ConfigError(f"{where}: parameter {dotted} has unknown unit {declared!r}; known: {', '.join(UNITS)}")
    result = Param(dotted, float(value), str(declared), source)
    if UNITS[declared][0] != UNITS[unit][0]:
        raise ConfigError(f"{where}: parameter {dotted} is in {declared!r}, which cannot be converted to {unit!r}")
    return result


def parameters(node: Any) -> list[Param]:
    """Every Param in a built schema object, in declaration order."""
    if isinstance(node, Param):
        return [node]
    if dataclasses.is_dataclass(node):
        return [p for f in dataclasses.fields(node) for p in parameters(getattr(node, f.name))]
    return []
