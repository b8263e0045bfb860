"""Regression checks over every program, pair of ISAs and a spread of migration points,
and the cost of being migratable (the precompiler's poll-points and bookkeeping).

The pairs come from the registry of ISAs (``testbed.emu.isa.ISAS``): ``all`` is every
ordered pair, the same ISA twice included (the matrix); ``spanning`` is a small subset
that still has every ISA as source and as destination and every change of data model
and byte order the registry offers (32 -> 64 bits, little -> big, both, ...), chosen
greedily from the registry so that a new ISA joins by being registered.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from testbed.build import build_program, runtime_flags
from testbed.build.migratable import build_migratable
from testbed.compat import data_model
from testbed.emu.guest import Guest
from testbed.emu.isa import ISAS
from testbed.emu.machines import resolve
from testbed.errors import ConfigError, TestbedError
from testbed.migration.host import MigrationPort
from testbed.migration.run import MigrationSpec, migrate, native_output, passages, reference_for
from testbed.programs import PROGRAMS, program

PAIR_SETS = ("all", "spanning")
QUICK_POINTS, FULL_POINTS = 3, 8  # migration points per pair and program
Pair = tuple[str, str]


@dataclass(frozen=True)
class Case:
    program: str
    size: str
    src: str
    dst: str
    at: int
    runtime: str = "modern"


def spread(total: int, count: int) -> list[int]:
    """``count`` passage numbers spread evenly over 1..total, first and last included
    (one alone is the middle one)."""
    if total <= count:
        return list(range(1, total + 1))
    if count == 1:
        return [(total + 1) // 2]
    return sorted({1 + round(i * (total - 1) / (count - 1)) for i in range(count)})


def registered_isas() -> list[str]:
    """The emulated ISAs, in registry order: the one list every command iterates."""
    return list(ISAS)


def all_pairs() -> list[Pair]:
    """Every ordered pair of registered ISAs, the same ISA twice included."""
    return [(src, dst) for src in registered_isas() for dst in registered_isas()]


def change(src: str, dst: str) -> tuple[str, str]:
    """The kind of a pair: (source data model and byte order, destination's)."""
    s, d = data_model(src), data_model(dst)
    return (f"{s.name} {s.byte_order}", f"{d.name} {d.byte_order}")


def spanning_pairs() -> list[Pair]:
    """Few pairs with every ISA as source and as destination and every kind of pair
    (``change``) that two registered ISAs can form, chosen greedily: each step takes the
    pair that covers most of what is still missing, preferring two different ISAs, then
    registry order. Deterministic for a given registry."""
    candidates = all_pairs()
    wanted = {("src", s) for s, _ in candidates} | {("dst", d) for _, d in candidates} | {
        ("kind", change(s, d)) for s, d in candidates}

    def covers(pair: Pair) -> set[tuple[str, object]]:
        return {("src", pair[0]), ("dst", pair[1]), ("kind", change(*pair))} & wanted

    chosen: list[Pair] = []
    while wanted:
        best = max(candidates, key=lambda p: (len(covers(p)), p[0] != p[1], -candidates.index(p)))
        wanted -= covers(best)
        chosen.append(best)
    return chosen


def parse_pairs(text: str) -> list[Pair]:
    """``all``, ``spanning`` or ``SRC:DST,SRC:DST,...`` (registered ISA names)."""
    if text == "all":
        return all_pairs()
    if text == "spanning":
        return spanning_pairs()
    pairs: list[Pair] = []
    for item in text.split(","):
        src, sep, dst = item.strip().partition(":")
        if not sep or not src or not dst:
            raise ConfigError(f"--pairs: {item.strip()!r} is not SRC:DST; give all, spanning or "
                              "SRC:DST,... (for example mipsel:sparc,sparc:mipsel)")
        for name in (src, dst):
            if name not in ISAS:
                raise ConfigError(f"--pairs: unknown ISA {name!r} in {item.strip()!r}; "
                                  f"registered: {', '.join(registered_isas())}")
        pairs.append((src, dst))
    return pairs


def cases(quick: bool, programs: list[str] | None = None, runtime: str = "modern",
          pairs: list[Pair] | None = None, points: int | None = None) -> Iterator[Case]:
    """Every program x pair x migration point; by default the spanning pairs at 3 points
    when ``quick``, else all pairs at 8."""
    size = "small"
    per_pair = points or (QUICK_POINTS if quick else FULL_POINTS)
    for name in programs or sorted(PROGRAMS):
        total = passages(name, size)
        for src, dst in pairs or (spanning_pairs() if quick else all_pairs()):
            for k in spread(total, per_pair):
                yield Case(name, size, src, dst, k, runtime)


def run_case(case: Case) -> dict[str, Any]:
    """One case's row; any error is the case's failure, not the check's."""
    try:
        r = migrate(MigrationSpec(case.program, case.size, case.src, case.dst, at=case.at, runtime=case.runtime))
    except TestbedError as exc:
        return _failed_row(case, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in one run must not end the check
        return _failed_row(case, f"{type(exc).__name__}: {exc}")
    ok = bool(r.verified and r.roundtrip_identical and not r.failed)
    return {**case.__dict__, "ok": ok, "call_frames": r.stream.call_frames, "poll_point": r.poll_point,
            "migrate_s": r.pricing.migrate_s, "tx_bytes": r.stream.tx_bytes,
            "error": None if ok else (r.failure.error if r.failure else "output or round trip differs")}


def _failed_row(case: Case, error: str) -> dict[str, Any]:
    return {**case.__dict__, "ok": False, "call_frames": None, "poll_point": None, "migrate_s": None,
            "tx_bytes": None, "error": error}


def check(quick: bool, jobs: int | None = None, programs: list[str] | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None, runtime: str = "modern",
          pairs: list[Pair] | None = None, points: int | None = None) -> list[dict[str, Any]]:
    """Migrate every case, each in a child process of its own (an emulator that crashes
    takes only its case down); returns one row per case, in case order (``ok`` says
    whether it verified, ``migrate_s`` is its simulated migration time)."""
    todo = list(cases(quick, programs, runtime, pairs, points))
    for name, size, src in {(c.program, c.size, c.src) for c in todo}:  # once, inherited by each child
        reference_for(MigrationSpec(name, size, src, runtime=runtime))
        native_output(name, size)
    rows: list[dict[str, Any] | None] = [None] * len(todo)
    for index, row in isolated(run_case, todo, jobs or os.cpu_count() or 1):
        rows[index] = row
        if progress:
            progress(row)
    return [row for row in rows if row is not None]


def isolated(work: Callable[[Case], dict[str, Any]], todo: list[Case],
             workers: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, row) of every case as it finishes, ``workers`` at a time, each case in a
    forked child: a child that dies without answering (a signal, a native crash, os._exit)
    is reported as its case's failure and the rest go on."""
    context = multiprocessing.get_context("fork")
    pending = deque(enumerate(todo))
    running: dict[Connection, tuple[int, BaseProcess]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                index, case = pending.popleft()
                receive, send = context.Pipe(duplex=False)
                child = context.Process(target=_answer, args=(work, case, send), daemon=True)
                child.start()
                send.close()  # the child holds the only sending end: its death is an EOF here
                running[receive] = (index, child)
            for receive in wait(list(running)):
                index, child = running.pop(receive)
                try:
                    row = receive.recv()
                except EOFError:
                    row = None
                receive.close()
                child.join()
                yield index, row or _failed_row(todo[index], f"the run crashed ({_death(child.exitcode)}); "
                                                             "the check went on without it")
    finally:
        for _, child in running.values():
            child.kill()


def _answer(work: Callable[[Case], dict[str, Any]], case: Case, send: Connection) -> None:
    send.send(work(case))
    send.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit status {exitcode} without a result"


def overhead(name: str, size: str = "paper1", isa: str = "mipsel", runtime: str = "modern") -> dict[str, Any]:
    """Instructions of the migratable build (no migration requested) over the plain one,
    both with the same runtime's allocator."""
    p = program(name)
    machine = resolve(isa)
    plain_build = build_program(p.name, [p.source], isa, extra_flags=runtime_flags(runtime))
    plain = Guest(plain_build.path, machine, p.argv(size)).run()
    guest = Guest(build_migratable(name, isa, runtime).path, machine, p.argv(size))
    port = MigrationPort(guest)
    if guest.run() is not None:  # it waits in its start-up hypercall: a normal start
        raise TestbedError(f"the migratable build of {name} did not ask for a stream at start-up")
    port.start_normally()
    annotated = guest.run()  # no request armed: the cost a program pays while nobody migrates it
    assert plain is not None and annotated is not None
    if annotated.stdout != plain.stdout:
        raise TestbedError(f"the migratable build of {name} prints something else than the plain one")
    return {
        "program": name, "size": size, "isa": isa, "runtime": runtime,
        "plain_instructions": plain.instructions, "migratable_instructions": annotated.instructions,
        "overhead": annotated.instructions / plain.instructions - 1.0,
        "passages": passages(name, size),
    }
