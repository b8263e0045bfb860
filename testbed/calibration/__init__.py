"""Calibration: the model parameters the data sheets do not give, fitted to the published
reference rows (:mod:`testbed.reference`), and written back into the machine profiles.

Two families, one command (``testbed calibrate [--network] [--write]``):

- :mod:`.cpu`: each machine's load/store cycles, from linpack's published collection and
  restoration times (emulated migrations with the classic runtime: a few minutes);
- :mod:`.network`: the per-byte protocol-stack costs, the DEC disk's effective rate and
  the rcp session set-up, from the published tx and rcp rows (the SimPy transfer model
  alone: seconds). It also compares the network model with every reference row it can
  price (``docs/network-model.md`` shows that table).

Both give :class:`Fitted` values: the parameter(s), the fitted value in the profile's unit,
the reference rows it was fitted to with the model's time before and after, and the
``source`` text that records all that in the profile. :mod:`.writer` writes them (tomlkit:
the profile's comments and layout stay as they are).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowFit:
    """One reference row a value was fitted to: published, and the model's time with the
    profile's value (before) and with the fitted one (after)."""

    key: str  # table,program,problem,mode,phase
    published_s: float
    before_s: float
    after_s: float

    def text(self) -> str:
        def err(model: float) -> str:
            return f"{model:9.4f} s ({model / self.published_s - 1:+7.1%})"

        return (f"{self.key:42} published {self.published_s:9.4f} s  before {err(self.before_s)}"
                f"  after {err(self.after_s)}")


@dataclass(frozen=True)
class Fitted:
    """One fitted value, written to every parameter of ``paths`` of ``machine``'s profile."""

    machine: str
    paths: tuple[str, ...]  # e.g. ("cpu.cycles.load", "cpu.cycles.store"): one value for both
    value: float  # in ``unit``
    unit: str  # the unit of the profile's parameter
    current: float  # the profile's value now, in ``unit``
    rows: tuple[RowFit, ...]
    method: str  # how it was fitted, for the source text
    command: str  # the command that fits it
    note: str = ""  # what the value stands for, kept in the source text

    @property
    def source(self) -> str:
        """The profile's source text: the rows, the method and the command, then the note."""
        rows = "; ".join(r.key for r in self.rows)
        text = f"calibrated against {rows} ({self.method}; {self.command})"
        return f"{text}: {self.note}" if self.note else text

    def text(self) -> str:
        """The report: the value against the profile's, then each row it was fitted to."""
        names = " = ".join(f"{self.machine} {p}" for p in self.paths)
        lines = [f"{names} = {self.value:.4g} {self.unit} (profile: {self.current:.4g} "
                 f"{self.unit}; {self.method}), fitted to:"]
        lines += [f"  {r.text()}" for r in self.rows]
        return "\n".join(lines)


def report(fitted: list[Fitted]) -> str:
    """Every fitted parameter and the reference rows it was fitted to."""
    return "\n".join(f.text() for f in fitted)
