"""One program of a conformance run, checked stage by stage in its own process:

1. **built**: the plain program builds for mipsel and sparc and exits 0 on both guests
   (a torture test calls abort() when the compiled code is wrong); a build that needs
   libc the freestanding guests lack fails here, with the missing symbol;
2. **accepted**: the MCL precompiler accepts it; to be migrated, its migratable build
   must then pass a poll-point (a program whose loops never run has nothing to migrate at);
3. **migrated verified**: migrated mipsel -> sparc and sparc -> mipsel at the first,
   middle and last passage, every run prints the unmigrated run's output, exits 0 and
   its stream survives the round trip. A migration that completes with another output is
   a *silent wrong* result, reported as such, never as a refusal.

``python -m testbed.conformance.program FILE`` prints the outcome as one JSON line."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from testbed.errors import TestbedError

DIRECTIONS = (("mipsel", "sparc"), ("sparc", "mipsel"))
STAGES = ("build", "run", "precompile", "passages", "migrate", "verified")


@dataclass
class Outcome:
    """How far one program got: ``stage`` is the first that failed, or "verified"."""

    program: str
    stage: str = "build"
    reason: str = ""  # the failure as one line, with its location
    migrations: int = 0
    verified: int = 0
    silent_wrong: list[str] = field(default_factory=list)  # "src->dst@K" of each

    def enter(self, stage: str) -> None:
        """Start a stage; said on stdout at once, so a parent that stops this process for
        taking too long knows where it was."""
        self.stage = stage
        print(f"stage {stage}", flush=True)

    @property
    def built(self) -> bool:
        return STAGES.index(self.stage) > STAGES.index("run")

    @property
    def accepted(self) -> bool:
        return STAGES.index(self.stage) > STAGES.index("precompile")

    @property
    def passes_poll_points(self) -> bool:
        return STAGES.index(self.stage) > STAGES.index("passages")


_UNDEFINED = re.compile(r"undefined reference to [`'](?P<symbol>[^'`]+)'")


def _text(exc: Exception) -> str:
    """One line for an error; an exception the testbed did not expect is named as such
    (a bug in the tools, counted like any other reason)."""
    if isinstance(exc, TestbedError):
        return str(exc)
    return f"internal error {type(exc).__name__}: {exc}"


# A torture test's own options: `{ dg-options "-fwrapv" }`, `{ dg-additional-options
# "..." { target *-*-* } }`. Only what means the same for every target is kept: code
# generation (-f), the language (-std), macros (-D, -U), optimisation (-O) and warnings;
# machine options (-m), linker options and options for named targets are not.
_DG_OPTIONS = re.compile(r'\{\s*dg-(?:additional-)?options\s+(?:"([^"]*)"|\{\s*"([^"]*)"\s*\})\s*(\{[^}]*\})?')
_PORTABLE_FLAG = re.compile(r"^-(?:f|std=|D|U|O|W(?!l,|a,|p,))")


def dg_options(path: Path) -> list[str]:
    """The compiler flags a torture test asks for, as far as they apply to every target."""
    flags: list[str] = []
    for m in _DG_OPTIONS.finditer(path.read_text(encoding="utf-8", errors="replace")):
        selector = m[3]
        if selector is not None and not re.fullmatch(r"\{\s*target\s+\*-\*-\*\s*\}", selector):
            continue
        flags += [f for f in (m[1] if m[1] is not None else m[2]).split() if _PORTABLE_FLAG.match(f)]
    return flags


def build_reason(message: str) -> str:
    """A build failure as the missing symbol when the linker names one."""
    m = _UNDEFINED.search(message)
    if m:
        return f"needs {m['symbol']}, which the freestanding guests do not have"
    return message.split(" failed: ", 1)[-1].split(" (full log:", 1)[0]


def emulated_passages(name: str, budget: int, isa: str = "mipsel", expected: str | None = None) -> int:
    """Poll-point passages of the migratable build run unmigrated on an emulated guest. Not
    natively: a host build differs from the ILP32 guests wherever a program declares
    ``size_t`` or a C library function itself (``typedef unsigned size_t;``, ``void
    *memcpy(void *, const void *, unsigned)``), which torture tests do. With ``expected``
    (the plain program's output there), a migratable build that prints something else
    without migrating is refused: the precompiler changed what the program does."""
    from testbed.emu.machines import resolve
    from testbed.errors import GuestFault
    from testbed.migration.run import MigrationSpec, start_guest

    spec = MigrationSpec(name, "small", isa, isa, budget=budget)
    guest, port = start_guest(spec, resolve(isa), budget)
    port.start_normally()
    port.count_passages()
    result = guest.run()
    if result is None or result.exit_code != 0:
        raise GuestFault(f"unmigrated on {isa}, it exits with status {result.exit_code if result else 'paused'}")
    if expected is not None and result.stdout != expected:
        raise GuestFault(f"unmigrated on {isa}, it prints another output than the plain program "
                         f"({len(result.stdout)} characters, not {len(expected)}): a precompiler bug")
    return port.passages()


def check(path: Path, budget: int, points: int = 3) -> Outcome:
    """Run the stages on ``path`` until one fails."""
    from testbed.build import EXTRA_CFLAGS_ENV, build_program
    from testbed.build.migratable import migratable_source
    from testbed.emu.guest import Guest
    from testbed.emu.machines import resolve
    from testbed.migration.run import MigrationSpec, migrate

    name = str(path)
    out = Outcome(path.name)
    os.environ[EXTRA_CFLAGS_ENV] = shlex.join(dg_options(path))  # this process checks one program
    try:
        builds = {isa: build_program(path.stem, [path], isa) for isa in ("mipsel", "sparc")}
    except Exception as exc:  # noqa: BLE001 - every failure is a counted reason
        out.reason = build_reason(_text(exc))
        return out
    out.enter("run")
    plain: dict[str, str] = {}  # the plain program's output on each guest
    for isa, build in builds.items():
        try:
            result = Guest(build.path, resolve(isa), [path.stem], budget=budget).run()
        except Exception as exc:  # noqa: BLE001 - every failure is a counted reason
            out.reason = f"on {isa}: {_text(exc)}"
            return out
        if result is None or result.exit_code != 0:
            out.reason = f"exits with status {result.exit_code if result else 'paused'} on {isa}"
            return out
        plain[isa] = result.stdout
    out.enter("precompile")
    try:
        migratable_source(name)
    except Exception as exc:  # noqa: BLE001 - every failure is a counted reason
        out.reason = _text(exc)
        return out
    out.enter("passages")
    try:
        total = emulated_passages(name, budget, expected=plain["mipsel"])
    except Exception as exc:  # noqa: BLE001 - every failure is a counted reason
        out.reason = f"the migratable build: {_text(exc)}"
        return out
    if total == 0:
        out.reason = ("the run passes none of its poll-points (no loop and no function with one runs): "
                      "nothing to migrate at")
        return out
    out.enter("migrate")
    failures = []
    for src, dst in DIRECTIONS:
        for at in sorted({1, (total + 1) // 2, total})[:points]:
            tag = f"{src}->{dst}@{at}"
            out.migrations += 1
            try:
                record = migrate(MigrationSpec(name, "small", src, dst, at=at, budget=budget))
            except Exception as exc:  # noqa: BLE001 - every failure is a counted reason
                failures.append(f"{tag}: {_text(exc)}")
                continue
            if record.verified and record.roundtrip_identical is not False:
                out.verified += 1
            elif record.completed_on == "destination":  # finished there, with another output or state
                out.silent_wrong.append(tag if not record.verified else f"{tag} (same output, the round trip differs)")
            else:
                failures.append(f"{tag}: {record.failure.error if record.failure else 'not verified'}")
    if out.verified == out.migrations:
        out.stage = "verified"
    else:
        out.reason = failures[0] if failures else f"a different output or state after migrating ({', '.join(out.silent_wrong)})"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.conformance.program")
    parser.add_argument("file", type=Path)
    parser.add_argument("--budget", type=int, required=True, help="instructions per emulated run")
    args = parser.parse_args(argv)
    outcome = check(args.file, args.budget)
    print(json.dumps(asdict(outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
