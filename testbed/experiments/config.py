"""Experiments as files: a TOML grid of migration runs, parsed into frozen dataclasses.

An experiment file names *what* to measure, not how: programs x sizes x (src, dst) machine
pairs x networks x modes x migration points x migration runtimes. Keeping it in a file (not
in a shell loop) means a result row can always be traced back to the grid that produced it,
and the grid can be reviewed and versioned with the code. See ``docs/experiments.md`` for the format.

Every run is named by a *config hash*: the first 12 hex digits of the sha256 of the
canonical JSON of its parameters, with equivalent spellings made equal first (``sparc``
and ``ss20`` are one machine, ``paper1`` and ``200`` one linpack size), so the same run
gets the same name in every file, on every machine, in every session.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from testbed.errors import ConfigError

MODES = ("network", "file")
# The migration runtime designs (MigrationSpec.runtime): the improved default, and the
# original system's (sorted lookup table searched by binary search, first-fit allocator,
# one write() per encoded item in file mode).
RUNTIMES = ("modern", "classic")
EXPERIMENT_KEYS = ("name", "description")
GRID_KEYS = ("programs", "sizes", "pairs", "networks", "modes", "at", "runtimes", "roundtrip")
REQUIRED_GRID_KEYS = ("programs", "sizes", "pairs")
TOP_KEYS = ("experiment", "grid", "quick")
DEFAULTS: dict[str, tuple[Any, ...]] = {
    "networks": ("10mbps",),
    "modes": ("network",),
    "at": ("50%",),  # as ``testbed run``: halfway through the unmigrated run's passages
    "runtimes": ("modern",),
}


@cache
def _machine(name: str) -> str:
    """The canonical machine name (an ISA means its default machine)."""
    from testbed.emu.machines import resolve

    return resolve(name).name


def migration_point(value: Any) -> int | str:
    """An ``at`` value: the K-th dynamic poll-point passage (an integer of at least 1), or
    ``"P%"``, the passage at P per cent of an unmigrated run's passages (0 < P <= 100),
    written canonically (``"50.0%"`` is ``"50%"``) so that its hash does not depend on it."""
    if isinstance(value, bool):
        raise ConfigError(f"{value!r} is not a migration point")
    if isinstance(value, int):
        if value < 1:
            raise ConfigError(f"{value} is not a poll-point passage count (at least 1)")
        return value
    if isinstance(value, str) and value.endswith("%"):
        try:
            share = float(value[:-1])
        except ValueError:
            share = math.nan
        if not 0 < share <= 100:
            raise ConfigError(f"{value!r} is not a share of the passages in (0, 100]%")
        return f"{int(share)}%" if share == int(share) else f"{share}%"
    raise ConfigError(f"{value!r} is not a migration point: a passage count K (an integer of at "
                      "least 1) or a share of the passages such as \"50%\"")


def size_value(program_name: str, size: str) -> int:
    """The integer problem size of a size name or integer text, for one program."""
    from testbed.programs import program

    return program(program_name).size_value(size)


@dataclass(frozen=True)
class Run:
    """One migration run: every parameter that determines its result."""

    program: str
    size: str  # as written in the experiment: a size name or an integer in text
    src: str  # canonical machine names
    dst: str
    network: str
    mode: str
    at: int | str  # passage K, or "P%" of an unmigrated run's passages
    runtime: str = "modern"  # the migration runtime design (RUNTIMES)
    # Whether the destination collects again at once to check the round trip. A check,
    # not a parameter of the measurement: it changes no priced phase, so it is in neither
    # the hash nor the emulation key (an emulation shared with a run that wants the check
    # does it).
    roundtrip: bool = True

    @property
    def size_value(self) -> int:
        return size_value(self.program, self.size)

    def canonical(self) -> dict[str, Any]:
        """The parameters with equivalent spellings made equal: what the hash covers."""
        return {
            "program": self.program, "size": self.size_value, "src": _machine(self.src),
            "dst": _machine(self.dst), "network": self.network, "mode": self.mode, "at": self.at,
            "runtime": self.runtime,
        }

    @property
    def config_hash(self) -> str:
        return canonical_hash(self.canonical())

    @property
    def emulation_key(self) -> tuple[Any, ...]:
        """What the emulated migration depends on. Network and mode only price the
        transfer, so every run sharing this key can reuse one emulation."""
        c = self.canonical()
        return (c["program"], c["size"], c["src"], c["dst"], c["at"], c["runtime"])

    def params(self) -> dict[str, Any]:
        """The parameter columns of a result row."""
        return {
            "program": self.program, "size": self.size, "size_value": self.size_value,
            "src": self.src, "dst": self.dst, "network": self.network, "mode": self.mode,
            "at": self.at, "runtime": self.runtime,
        }


def keep(runs: dict[str, Run], run: Run) -> None:
    """Add ``run`` to runs by config hash unless there already; if both spellings of one
    run are there, the one that checks the round trip wins (the check is never dropped)."""
    old = runs.get(run.config_hash)
    if old is None or (run.roundtrip and not old.roundtrip):
        runs[run.config_hash] = run if old is None else replace(old, roundtrip=True)


def canonical_hash(params: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces), first 12 hex digits."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Grid:
    """One block of the grid: the cross product of its axes."""

    programs: tuple[str, ...]
    sizes: tuple[tuple[str, tuple[str, ...]], ...]  # (program, its sizes), in program order
    pairs: tuple[tuple[str, str], ...]
    networks: tuple[str, ...] = DEFAULTS["networks"]
    modes: tuple[str, ...] = DEFAULTS["modes"]
    at: tuple[int | str, ...] = DEFAULTS["at"]
    runtimes: tuple[str, ...] = DEFAULTS["runtimes"]
    roundtrip: bool = True

    def runs(self) -> list[Run]:
        sizes = dict(self.sizes)
        return [
            Run(prog, size, src, dst, net, mode, at, runtime, self.roundtrip)
            for prog in self.programs
            for size, (src, dst), at, runtime, net, mode in itertools.product(
                sizes[prog], self.pairs, self.at, self.runtimes, self.networks, self.modes)
        ]


@dataclass(frozen=True)
class Experiment:
    """A named grid (one or more blocks) and its optional ``--quick`` variant."""

    name: str
    grids: tuple[Grid, ...]
    description: str = ""
    source: str = "<memory>"  # the file it came from, for messages
    quick_grids: tuple[Grid, ...] | None = None

    def runs(self) -> tuple[Run, ...]:
        """Every run of the grid once, in file order (a run in two blocks counts once)."""
        seen: dict[str, Run] = {}
        for grid in self.grids:
            for run in grid.runs():
                keep(seen, run)
        return tuple(seen.values())

    def with_runtimes(self, runtimes: tuple[str, ...] | list[str],
                      roundtrip: bool | None = None) -> Experiment:
        """The same experiment with its runtimes axis replaced in every block (and in the
        ``--quick`` variant): ``testbed sweep FILE --runtime R``. With ``roundtrip`` the
        blocks' round-trip check is set too (``testbed reproduce --runtime modern`` checks
        the round trip the classic grids leave out)."""
        checked = tuple(dict.fromkeys(runtimes))
        for r in checked:
            if r not in RUNTIMES:
                raise ConfigError(f"unknown runtime {r!r}; valid: {', '.join(RUNTIMES)}")
        if not checked:
            raise ConfigError("--runtime needs at least one runtime")

        def change(grid: Grid) -> Grid:
            return replace(grid, runtimes=checked,
                           roundtrip=grid.roundtrip if roundtrip is None else roundtrip)

        grids = tuple(change(g) for g in self.grids)
        quick = None if self.quick_grids is None else tuple(change(g) for g in self.quick_grids)
        return replace(self, grids=grids, quick_grids=quick)

    def quick(self) -> Experiment:
        """The ``--quick`` variant: the ``[quick]`` overrides applied, named NAME-quick so
        its rows never mix with the full grid's. Without overrides it is the same grid."""
        return replace(self, name=f"{self.name}-quick",
                       grids=self.quick_grids if self.quick_grids is not None else self.grids,
                       quick_grids=None)


def load_experiment(path: str | Path) -> Experiment:
    """Parse an experiment file; every mistake is one ConfigError naming the file and key."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"experiment file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"experiment file {path} cannot be read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_experiment(data, source=str(path), default_name=path.stem)


def parse_experiment(data: dict[str, Any], source: str = "<memory>",
                     default_name: str = "experiment") -> Experiment:
    """Build an Experiment from parsed TOML (``source`` names the file in messages)."""
    _known(data, TOP_KEYS, source, "top-level key", "")
    head = data.get("experiment", {})
    if not isinstance(head, dict):
        raise ConfigError(f"{source}: [experiment] must be a table")
    _known(head, EXPERIMENT_KEYS, source, "key", "[experiment] ")
    name = head.get("name", default_name)
    if not isinstance(name, str) or not name or any(c in name for c in "/\\ \t\n"):
        raise ConfigError(f"{source}: [experiment] name must be a non-empty word (it names the "
                          f"results file), not {name!r}")
    description = head.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{source}: [experiment] description must be a string")

    if "grid" not in data:
        raise ConfigError(f"{source}: no [grid] table: an experiment needs at least programs, "
                          "sizes and pairs")
    raw_grids = data["grid"] if isinstance(data["grid"], list) else [data["grid"]]
    grids = []
    for i, raw in enumerate(raw_grids):
        where = "[grid] " if len(raw_grids) == 1 else f"[[grid]] #{i + 1} "
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: {where.strip()} must be a table")
        grids.append(_grid(raw, source, where))

    quick_grids = None
    if "quick" in data:
        quick = data["quick"]
        if not isinstance(quick, dict):
            raise ConfigError(f"{source}: [quick] must be a table of [grid] keys to override")
        _known(quick, GRID_KEYS, source, "key", "[quick] ")
        if isinstance(quick.get("sizes"), dict):
            everywhere = {p for g in grids for p in g.programs}
            if "programs" in quick:
                everywhere |= set(quick["programs"] if isinstance(quick["programs"], list)
                                  else [quick["programs"]])
            for prog in quick["sizes"]:
                if prog not in everywhere:
                    raise ConfigError(f"{source}: [quick] sizes: {prog!r} is not a program of "
                                      "the grid")
        quick_grids = tuple(_grid(_override(raw, quick), source, "[quick] ") for raw in raw_grids)
    return Experiment(name, tuple(grids), description, source, quick_grids)


def _override(raw: dict[str, Any], quick: dict[str, Any]) -> dict[str, Any]:
    """A grid block with the [quick] keys replacing its own. Per-program quick sizes may
    cover the programs of every block at once: each block takes the ones it runs."""
    merged = {**raw, **quick}
    sizes = quick.get("sizes")
    if isinstance(sizes, dict):
        programs = merged.get("programs", [])
        programs = programs if isinstance(programs, list) else [programs]
        merged["sizes"] = {p: v for p, v in sizes.items() if p in programs}
    return merged


def _known(table: dict[str, Any], valid: tuple[str, ...], source: str, what: str,
           where: str) -> None:
    for key in table:
        if key not in valid:
            raise ConfigError(f"{source}: unknown {what} {where}{key!r}; valid: {', '.join(valid)}")


def _list(raw: dict[str, Any], key: str, source: str, where: str) -> list[Any]:
    value = raw[key]
    if not isinstance(value, list):
        value = [value]
    if not value:
        raise ConfigError(f"{source}: {where}{key} is empty")
    return value


def _grid(raw: dict[str, Any], source: str, where: str) -> Grid:
    """Validate one grid block against the testbed's programs, machines and networks."""
    from testbed import profiles
    from testbed.programs import PROGRAMS

    _known(raw, GRID_KEYS, source, "key", where)
    for key in REQUIRED_GRID_KEYS:
        if key not in raw:
            raise ConfigError(f"{source}: {where}is missing the key {key!r}")

    def names(key: str, valid: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for v in _list(raw, key, source, where):
            if v not in valid:
                raise ConfigError(f"{source}: {where}{key}: unknown value {v!r}; valid: "
                                  f"{', '.join(sorted(valid))}")
            out.append(v)
        return tuple(dict.fromkeys(out))

    programs = names("programs", sorted(PROGRAMS))

    raw_sizes = raw["sizes"]
    if isinstance(raw_sizes, dict):
        for prog in raw_sizes:
            if prog not in programs:
                raise ConfigError(f"{source}: {where}sizes: {prog!r} is not one of the programs "
                                  f"({', '.join(programs)})")
        missing = [p for p in programs if p not in raw_sizes]
        if missing:
            raise ConfigError(f"{source}: {where}sizes: no sizes for {', '.join(missing)}")
        per_program = {p: _list(raw_sizes, p, source, f"{where}sizes.") for p in programs}
    else:
        shared = _list(raw, "sizes", source, where)
        per_program = {p: shared for p in programs}
    sizes = []
    for prog, values in per_program.items():
        checked = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise ConfigError(f"{source}: {where}sizes: {v!r} is neither a size name nor an "
                                  "integer")
            try:
                size_value(prog, str(v))
            except ConfigError as exc:
                raise ConfigError(f"{source}: {where}sizes: {exc}") from None
            checked.append(str(v))
        sizes.append((prog, tuple(dict.fromkeys(checked))))

    pairs = []
    for v in _list(raw, "pairs", source, where):
        if isinstance(v, dict) and set(v) == {"src", "dst"}:
            pair = (v["src"], v["dst"])
        elif isinstance(v, list) and len(v) == 2:
            pair = (v[0], v[1])
        else:
            raise ConfigError(f"{source}: {where}pairs: each pair is {{ src = M, dst = M }} or "
                              f"[SRC, DST], not {v!r}")
        try:
            pairs.append((_machine(str(pair[0])), _machine(str(pair[1]))))
        except ConfigError as exc:
            raise ConfigError(f"{source}: {where}pairs: {exc}") from None

    networks = (names("networks", profiles.network_names()) if "networks" in raw
                else DEFAULTS["networks"])
    modes = names("modes", MODES) if "modes" in raw else DEFAULTS["modes"]

    at: tuple[int | str, ...] = DEFAULTS["at"]
    if "at" in raw:
        checked_at = []
        for v in _list(raw, "at", source, where):
            try:
                checked_at.append(migration_point(v))
            except ConfigError as exc:
                raise ConfigError(f"{source}: {where}at: {exc}") from None
        at = tuple(dict.fromkeys(checked_at))

    runtimes = names("runtimes", RUNTIMES) if "runtimes" in raw else DEFAULTS["runtimes"]

    roundtrip = raw.get("roundtrip", True)
    if not isinstance(roundtrip, bool):
        raise ConfigError(f"{source}: {where}roundtrip: true or false, not {roundtrip!r}")

    return Grid(programs, tuple(sizes), tuple(dict.fromkeys(pairs)), networks, modes, at,
                runtimes, roundtrip)
