"""Workstation owners: when each host's owner is at work, drawn from a model or read from a trace.

An owner alternates idle and busy periods. The model (``testbed/profiles/owners/*.toml``)
gives the two period-length distributions (hyperexponential, Weibull or exponential, as
the studies of real workstation pools fitted them), how much hosts differ from each
other, and what time of day does, each number a ``{ value, unit, source }`` parameter.
``generate`` draws every host's periods from its own ``random.Random`` seeded by
``(seed, host name)``: the same seed gives the same owners, whatever else the run does.

``--busy F`` sets the fraction of daytime an owner is busy: idle periods are scaled so
that mean busy / (mean busy + mean idle) = F, keeping the shapes of both distributions
(the busy sessions' lengths stay as measured, owners return more or less often).

A trace file is CSV, one busy period per line, times in seconds from the period's start::

    host,start,end
    dec1,120.0,900.5
    # comments and blank lines are ignored; hosts not named are idle throughout

Periods of one host must not overlap; ``end > start >= 0``.
"""

from __future__ import annotations

import bisect
import csv
import math
import random
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from testbed import profiles
from testbed.errors import ConfigError, unknown_name
from testbed.profiles.schema import Param, build, param

OWNER_DIR = profiles.PROFILE_DIR / "owners"
DEFAULT_MODEL = "mutka91"


# ---------------------------------------------------------------- distributions

class Distribution(Protocol):
    def mean(self) -> float: ...
    def draw(self, rng: random.Random) -> float: ...


@dataclass(frozen=True)
class Exponential:
    mean_length: Param = param("s")

    def mean(self) -> float:
        return self.mean_length.to("s")

    def draw(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean())


@dataclass(frozen=True)
class Hyperexponential:
    """Two exponential phases: short periods with probability ``p_short``, long ones otherwise."""

    p_short: Param = param("fraction")
    short_mean: Param = param("s")
    long_mean: Param = param("s")

    def mean(self) -> float:
        p = self.p_short.to("fraction")
        return p * self.short_mean.to("s") + (1 - p) * self.long_mean.to("s")

    def draw(self, rng: random.Random) -> float:
        short = rng.random() < self.p_short.to("fraction")
        return rng.expovariate(1.0 / (self.short_mean if short else self.long_mean).to("s"))


@dataclass(frozen=True)
class Weibull:
    """Shape below 1: a decreasing hazard (the longer a host has been idle, the longer it stays)."""

    shape: Param = param("1")
    scale: Param = param("s")

    def mean(self) -> float:
        return self.scale.to("s") * math.gamma(1 + 1 / self.shape.to("1"))

    def draw(self, rng: random.Random) -> float:
        return rng.weibullvariate(self.scale.to("s"), self.shape.to("1"))


KINDS: dict[str, type] = {"exponential": Exponential, "hyperexponential": Hyperexponential, "weibull": Weibull}


# ---------------------------------------------------------------- the model

@dataclass(frozen=True)
class HostVariation:
    idle_spread: Param = param("1")  # sigma of a log-normal, mean-1 factor on each host's idle periods


@dataclass(frozen=True)
class TimeOfDay:
    start: Param = param("s")  # the clock time the simulated period starts at
    day_begins: Param = param("s")
    day_ends: Param = param("s")
    night_idle_factor: Param = param("1")  # idle periods this many times longer at night


@dataclass(frozen=True)
class Sharing:
    guest_share: Param = param("fraction")  # of the CPU a guest gets while the owner is busy
    owner_demand: Param = param("fraction")  # of the CPU the owner's own work needs while busy


@dataclass(frozen=True)
class OwnerModel:
    name: str
    description: str
    idle: Distribution
    busy: Distribution
    hosts: HostVariation
    time_of_day: TimeOfDay
    sharing: Sharing

    def natural_busy_fraction(self) -> float:
        return self.busy.mean() / (self.busy.mean() + self.idle.mean())

    @property
    def guest_share(self) -> float:
        return self.sharing.guest_share.to("fraction")

    def owner_slowdown_while_shared(self) -> float:
        """How much longer the owner's work takes while a guest shares the CPU."""
        return max(1.0, self.sharing.owner_demand.to("fraction") / max(1.0 - self.guest_share, 1e-9))

    def is_night(self, t: float) -> bool:
        tod = self.time_of_day
        clock = (tod.start.to("s") + t) % 86400.0
        return not tod.day_begins.to("s") <= clock < tod.day_ends.to("s")


def model_names() -> list[str]:
    return profiles.available(OWNER_DIR)


def owner_model(name: str = DEFAULT_MODEL) -> OwnerModel:
    path = OWNER_DIR / f"{name}.toml"
    if not path.is_file():
        raise unknown_name("owner model", name, model_names())
    return load_model(path)


def load_model(path: Path) -> OwnerModel:
    where = f"owner model {path}"
    try:
        data = tomllib.loads(Path(path).read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it ({exc.strerror})") from None
    info = data.get("model")
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        raise ConfigError(f"{where}: missing [model] with name = \"...\"")
    return OwnerModel(
        name=info["name"], description=str(info.get("description", "")),
        idle=_distribution(data, "idle", where), busy=_distribution(data, "busy", where),
        hosts=build(HostVariation, data.get("hosts"), where, "hosts"),
        time_of_day=build(TimeOfDay, data.get("time_of_day"), where, "time_of_day"),
        sharing=build(Sharing, data.get("sharing"), where, "sharing"),
    )


def _distribution(data: dict[str, Any], key: str, where: str) -> Distribution:
    table = data.get(key)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: missing table [{key}] (kind = one of {', '.join(KINDS)}, and its parameters)")
    table = dict(table)
    kind = table.pop("kind", None)
    if kind not in KINDS:
        raise ConfigError(f"{where}: [{key}] kind must be one of {', '.join(KINDS)}, not {kind!r}")
    dist: Distribution = build(KINDS[kind], table, where, key)
    if not dist.mean() > 0:
        raise ConfigError(f"{where}: [{key}] has a mean of {dist.mean()} s; every length must be positive")
    return dist


# ---------------------------------------------------------------- activity

class Activity:
    """One host's owner: sorted, disjoint busy periods ``[start, end)`` in simulated seconds."""

    def __init__(self, periods: Iterable[tuple[float, float]]) -> None:
        self.periods = sorted(periods)
        self._starts = [s for s, _ in self.periods]

    def busy_at(self, t: float) -> bool:
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self.periods[i][1]

    def busy_seconds(self, a: float, b: float) -> float:
        """How long the owner is busy within ``[a, b)``."""
        if b <= a:
            return 0.0
        i = max(bisect.bisect_right(self._starts, a) - 1, 0)
        total = 0.0
        for s, e in self.periods[i:]:
            if s >= b:
                break
            total += max(0.0, min(e, b) - max(s, a))
        return total

    def idle_since(self, t: float) -> float:
        """When the owner last left before ``t`` (0.0 if never busy before; ``t`` if busy now)."""
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        return t if t < self.periods[i][1] else self.periods[i][1]


@dataclass
class Owners:
    """Every host's owner over ``horizon`` seconds, and where the periods came from."""

    activity: dict[str, Activity]
    horizon: float
    origin: str  # "model mutka91, busy 0.5, seed 3" or "trace FILE"

    def busy_seconds(self) -> float:
        return sum(a.busy_seconds(0.0, self.horizon) for a in self.activity.values())

    def busy_fraction(self) -> float:
        return self.busy_seconds() / (self.horizon * len(self.activity)) if self.activity else 0.0

    def write_trace(self, path: Path) -> None:
        with Path(path).open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(("host", "start", "end"))
            for host, act in self.activity.items():
                for s, e in act.periods:
                    out.writerow((host, f"{s:.3f}", f"{e:.3f}"))


def generate(model: OwnerModel, hosts: Iterable[str], horizon: float, seed: int,
             busy: float | None = None) -> Owners:
    """Draw every host's busy periods over ``[0, horizon)``; ``busy`` is the daytime busy fraction."""
    if busy is not None and not 0.0 <= busy <= 1.0:
        raise ConfigError(f"--busy must be a fraction in 0..1, not {busy}")
    if not horizon > 0:
        raise ConfigError(f"the period must be positive, not {horizon} s")
    idle_scale = 1.0
    if busy is not None and 0.0 < busy < 1.0:
        idle_scale = model.busy.mean() * (1.0 - busy) / (busy * model.idle.mean())
    sigma = model.hosts.idle_spread.to("1")
    night = model.time_of_day.night_idle_factor.to("1")
    activity = {}
    for host in hosts:
        rng = random.Random(f"owners:{seed}:{host}")  # str seeds are hashed with SHA-512: stable
        if busy == 0.0 or busy == 1.0:
            activity[host] = Activity([(0.0, horizon)] if busy == 1.0 else [])
            continue
        host_factor = math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2)  # mean 1 over hosts
        fraction = busy if busy is not None else model.natural_busy_fraction()
        t, periods = 0.0, []
        owner_busy = rng.random() < fraction  # start in the stationary state
        while t < horizon:
            if owner_busy:
                length = model.busy.draw(rng)
                periods.append((t, min(t + length, horizon)))
            else:
                length = model.idle.draw(rng) * idle_scale * host_factor * (night if model.is_night(t) else 1.0)
            t += length
            owner_busy = not owner_busy
        activity[host] = Activity(periods)
    what = f"busy {busy:g}" if busy is not None else "its own busy fraction"
    return Owners(activity, horizon, f"model {model.name}, {what}, seed {seed}")


def read_trace(path: Path, hosts: Iterable[str], horizon: float) -> Owners:
    """Busy periods from a CSV trace (``host,start,end``); hosts it does not name stay idle."""
    names = list(hosts)
    periods: dict[str, list[tuple[float, float]]] = {h: [] for h in names}
    where = f"owner trace {path}"
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it ({exc.strerror})") from None
    rows = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.lstrip().startswith("#")]
    if not rows or [c.strip() for c in rows[0][1].split(",")] != ["host", "start", "end"]:
        raise ConfigError(f"{where}: the first line must be the header host,start,end")
    for n, line in rows[1:]:
        fields = [c.strip() for c in next(csv.reader([line]))]
        if len(fields) != 3:
            raise ConfigError(f"{where} line {n}: expected host,start,end, got {line.strip()!r}")
        host, start_text, end_text = fields
        if host not in periods:
            raise ConfigError(f"{where} line {n}: host {host!r} is not in the cluster; its hosts: {', '.join(names)}")
        try:
            start, end = float(start_text), float(end_text)
        except ValueError:
            raise ConfigError(f"{where} line {n}: start and end must be seconds, not {start_text!r}, {end_text!r}") from None
        if not 0.0 <= start < end:
            raise ConfigError(f"{where} line {n}: a period needs 0 <= start < end, not {start:g}..{end:g}")
        periods[host].append((start, min(end, horizon)))
    for host, mine in periods.items():
        mine.sort()
        for (s1, e1), (s2, _) in zip(mine, mine[1:], strict=False):
            if s2 < e1:
                raise ConfigError(f"{where}: busy periods of {host} overlap ({s1:g}..{e1:g} and from {s2:g}); merge them")
    return Owners({h: Activity(p for p in periods[h] if p[0] < horizon) for h in names}, horizon, f"trace {path}")
