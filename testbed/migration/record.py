"""The record of one migration: what ``migrate()`` returns, ``testbed run --json`` prints and
a sweep's result row holds (through ``to_dict()``, one flat JSON object).

``src``/``dst`` are machines (``dec5000``), ``src_isa``/``dst_isa`` their ISAs. Call frames
(the stack the stream carries) and Ethernet frames (what the link carried) are
``call_frames`` and ``eth_frames``.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from testbed.emu.isa import CLASSES


@dataclass(frozen=True)
class CpuPhase:
    """Scan or Restore: the guest instructions between two runtime events, priced."""

    instructions: int
    seconds: float
    by_class: dict[str, int] = field(default_factory=dict)  # per instruction class, for calibration


@dataclass(frozen=True)
class StreamFacts:
    """The stream the source collected."""

    tx_bytes: int
    blocks: int
    call_frames: int
    live_bytes: int
    write_calls: int  # calls writing the file in file mode: 1 write(), or one fwrite() per XDR unit (classic)
    items: int = 0  # items the collection encoded: the classic runtime's socket calls in network mode


@dataclass(frozen=True)
class Pricing:
    """Tx and the phase totals of one (network, mode). File mode splits the migration into
    scan+write, rcp and read+restore; network mode leaves those None, except on the classic
    runtime, whose socket calls make scan+write and read+restore there too
    (testbed/migration/sockio.py). ``migrate_s`` is None
    when the migration did not complete."""

    network: str
    mode: str
    tx_model: str
    tx_s: float
    eth_frames: int
    migrate_s: float | None = None
    scan_write_s: float | None = None
    rcp_s: float | None = None
    read_restore_s: float | None = None
    loss: float = 0.0  # the link's frame loss probability, and the seed of its random choices
    seed: int = 0


@dataclass(frozen=True)
class Failure:
    """Why the process finished on its source: the phase that failed and the error."""

    phase: str  # transfer | restore | roundtrip | destination
    error: str


@dataclass(frozen=True)
class MigrationRecord:
    program: str
    size: str
    runtime: str
    src: str  # machine names
    dst: str
    src_isa: str
    dst_isa: str
    at: int  # the dynamic poll-point passage the migration happened at
    at_request: str  # what was asked for: "K", "P%" or "t=Ts"
    poll_point: str  # "linpack.c:109"
    poll_function: str | None
    stream: StreamFacts
    scan: CpuPhase
    pricing: Pricing
    restore: CpuPhase | None  # None when the destination did not restore
    verified: bool
    roundtrip_identical: bool | None
    completed_on: str  # destination | source
    src_instructions: int | None = None
    dst_instructions: int | None = None
    failure: Failure | None = None
    # The reference is the unmigrated run emulated on ``src``; did a native host run print
    # the same? (False wherever output depends on the data model, e.g. sizeof(long).)
    native_agrees: bool | None = None

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def to_dict(self) -> dict[str, Any]:
        """One flat JSON-ready object (``--json``, sweep rows); ``from_dict`` inverts it."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("stream", "pricing"):
                out.update(asdict(value))
                continue
            if f.name in ("scan", "restore"):
                out.update(_flat_phase(f.name, value))
                continue
            if f.name == "failure":
                out.update(failed=value is not None, failure=value.error if value else None,
                           failure_phase=value.phase if value else None)
                continue
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> MigrationRecord:
        """The record of a ``to_dict()`` object (a keyword with a default may be missing)."""
        failure = Failure(row.get("failure_phase") or "?", row["failure"]) if row.get("failed") else None
        scan = _phase_of("scan", row)
        if scan is None:
            raise KeyError("scan_instructions")
        return _build(cls, row, stream=_build(StreamFacts, row), pricing=_build(Pricing, row),
                      scan=scan, restore=_phase_of("restore", row), failure=failure)


def _build(cls: type, row: dict[str, Any], **nested: Any) -> Any:
    """``cls`` from the row's keys named like its fields; ``nested`` given explicitly."""
    own = {f.name for f in fields(cls) if f.name not in nested
           and (f.name in row or f.default is MISSING and f.default_factory is MISSING)}
    return cls(**{name: row[name] for name in own}, **nested)


def _flat_phase(name: str, phase: CpuPhase | None) -> dict[str, Any]:
    out: dict[str, Any] = {f"{name}_instructions": phase.instructions if phase else None,
                           f"{name}_s": phase.seconds if phase else None}
    out.update({f"{name}_n_{c}": (phase.by_class.get(c) if phase else None) for c in CLASSES})
    return out


def _phase_of(name: str, row: dict[str, Any]) -> CpuPhase | None:
    if row.get(f"{name}_instructions") is None:
        return None
    return CpuPhase(row[f"{name}_instructions"], row[f"{name}_s"],
                    {c: row[f"{name}_n_{c}"] for c in CLASSES if row.get(f"{name}_n_{c}") is not None})
