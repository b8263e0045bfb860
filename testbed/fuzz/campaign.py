"""The damaged-stream campaign behind ``testbed fuzz``.

Base streams are collected once per program (small), source ISA and runtime, at the
middle poll-point passage, plus the same migration at another passage and at another
size (the swapped-stream classes). Every mutation is delivered to a fresh
pre-initialised destination of the other ISA, with a small instruction budget (twice a
clean restore's) and a wall-clock limit, and its outcome is classified:

- ``refused``: refused before the first write (during the validator's dry run);
- ``late_refusal``: refused after decoding had started writing (``EV_DECODE_END`` seen);
- ``valid_state``: accepted, and collecting again right after the restore gives exactly
  the mutated stream's bytes: it was a well-formed stream of another state (a primitive
  value changed, or a pointer retargeted to another object of its declared type), which
  no structural check can tell from a real one; the program's answer may then differ;
- ``verified_noop``: accepted with the right answer, and the state collected again is
  the unmutated stream's: the mutation was ignored;
- ``verified``: accepted with the right answer although the state differs;
- ``wrong_answer``, ``fault`` (the destination crashed or panicked), ``budget`` (ran
  into the instruction budget), ``hang`` (the wall-clock limit), ``host_exception``.

An *escape* is a structural mutation (see ``mutate``) that was neither refused nor made
a well-formed stream (ignored ones included: a field the format fixes, such as flags,
must be refused even if nothing reads it), any accepted swapped stream, a source-ISA
relabelling that changed the outcome, and any host exception. Data mutations (primitive
values only) may be accepted whatever their outcome: they are counted apart, as
``data_value_accepted``; structural ones that made a well-formed stream as
``valid_state_accepted``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from testbed.build.migratable import type_table
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.errors import BudgetExhausted, GuestFault, StreamError, TestbedError
from testbed.fuzz.mutate import (
    CLASSES,
    DATA,
    NOOP,
    STRUCTURE,
    SWAPS,
    Anatomy,
    Mutation,
    mutation,
    swapped,
)
from testbed.migration.decode import walk
from testbed.migration.host import MigrationPort
from testbed.migration.run import MigrationSpec, binding, reference_for, start_guest
from testbed.migration.stream import canonical_body
from testbed.migration.streamfile import collect
from testbed.programs import PROGRAMS, program
from testbed.protocol import Event

RUNTIMES = ("modern", "classic")
DIRECTIONS = (("mipsel", "sparc"), ("sparc", "mipsel"))
BASE_AT, OTHER_AT = "50%", "25%"
# Mutations per base stream and class (16 base streams); swaps are one of each kind.
PER_BASE = {
    "full": {"raw_flip": 40, "crc_flip": 120, "struct_flip": 140, "field_edit": 140, "overwrite": 80,
             "truncate": 40, "insert": 40, "header": 36},
    "quick": {"raw_flip": 4, "crc_flip": 12, "struct_flip": 14, "field_edit": 14, "overwrite": 8,
              "truncate": 4, "insert": 4, "header": 4},
}
OUTCOMES = ("refused", "late_refusal", "valid_state", "verified_noop", "verified", "wrong_answer", "fault", "budget", "hang",
            "host_exception")
BAD = frozenset(("verified", "wrong_answer", "fault", "budget", "hang", "host_exception"))
SLICE = 2_000_000  # instructions between two looks at the wall clock
WALL_LIMIT_S = 20.0  # per mutation: longer is a hang
EXAMPLES_PER_CLASS = 5


def other_size(name: str) -> str:
    """A size of the same program other than small (half of it; bitonic keeps a power of two)."""
    return str(program(name).size_value("small") // 2)


@dataclass(frozen=True)
class Base:
    """One collected stream and what a clean restore of it does."""

    key: str  # program/src/runtime/variant
    program: str
    size: str
    src: str
    dst: str
    runtime: str
    at: int
    stream: bytes
    binding: int  # the migration's: the destination is bound to it
    expected: str = ""  # what the destination must print after a clean restore
    budget: int = 0  # instructions a mutated restore may execute


def pre_initialised(name: str, size: str, isa: str, runtime: str, budget: int) -> tuple[Guest, MigrationPort]:
    """A destination (or source) guest loaded and waiting in its start-up hypercall."""
    return start_guest(MigrationSpec(name, size, runtime=runtime, budget=budget), resolve(isa), budget)


def _collect_group(group: tuple[str, str, str, str]) -> list[Base]:
    """The three base streams of one program, direction and runtime; the main one with
    its clean restore's output and instruction count."""
    name, src, dst, runtime = group
    out, printed = [], []
    for variant, size, at in (("main", "small", BASE_AT), ("point", "small", OTHER_AT),
                              ("size", other_size(name), BASE_AT)):
        request = MigrationSpec(name, size, src, dst, at=at, runtime=runtime)
        k, stream, said = collect(request)
        out.append(Base(f"{name}/{src}/{runtime}/{variant}", name, size, src, dst, runtime, k, stream,
                        binding(request)))
        printed.append(said)
    main, printed_main = out[0], printed[0]
    reference = reference_for(MigrationSpec(name, "small", src, dst, runtime=runtime))
    if not reference.startswith(printed_main):
        raise GuestFault(f"{main.key}: the source printed what an unmigrated run does not")
    expected = reference[len(printed_main):]
    guest, port = pre_initialised(name, "small", dst, runtime, MigrationSpec(name).budget)
    port.bind(main.binding)
    port.deliver(main.stream)
    result = guest.run()
    if result is None or result.exit_code != 0 or result.stdout != expected:
        raise GuestFault(f"{main.key}: the unmutated stream does not restore to the right answer")
    out[0] = Base(**{**main.__dict__, "expected": expected, "budget": 2 * result.instructions + 1_000_000})
    return out


def attempt(base: Base, stream: bytes, check_state: bool = True) -> tuple[str, str]:
    """Deliver one stream to a fresh pre-initialised destination: (outcome, detail)."""
    recollected: list[bytes] = []
    outcome, detail = _deliver(base, stream, recollected, check_state)
    if outcome in ("refused", "late_refusal", "host_exception") or not recollected:
        return outcome, detail
    again = canonical_body(recollected[0])
    if again == canonical_body(stream):  # the destination holds exactly what the stream says
        return "valid_state", f"a well-formed stream of another state ({outcome}: {detail})"
    if again == canonical_body(base.stream) and outcome == "verified":
        return "verified_noop", "accepted, and the mutation was ignored: the state is the unmutated stream's"
    return outcome, detail


def _deliver(base: Base, stream: bytes, recollected: list[bytes], check_state: bool) -> tuple[str, str]:
    try:
        guest, port = pre_initialised(base.program, base.size, base.dst, base.runtime, base.budget)
    except TestbedError as exc:
        return "host_exception", f"pre-initialisation: {exc}"
    port.bind(base.binding)
    if check_state:  # collect again right after restoring: what state did the stream make?
        port.on_event[Event.RESTORE_END] = MigrationPort.request_next_poll
    started = time.perf_counter()
    try:
        port.deliver(stream)
        while True:
            result = guest.run(pause_at=guest.instructions + SLICE)
            if result is not None:
                break
            if guest.limit_reached:
                if time.perf_counter() - started > WALL_LIMIT_S:
                    return "hang", f"still running after {WALL_LIMIT_S:.0f} s ({guest.instructions:,} instructions)"
                continue
            if port.waiting != "stream" or recollected:
                return "fault", "the destination paused unexpectedly"
            recollected.append(port.streams[-1])
            del port.on_event[Event.RESTORE_END]
            port.cancel_request()
            port.decide(resume=True)
    except StreamError as exc:
        late = any(event == Event.DECODE_END for event, _ in port.events)
        return ("late_refusal" if late else "refused"), str(exc)
    except BudgetExhausted:
        return "budget", f"more than {base.budget:,} instructions"
    except TestbedError as exc:
        return "fault", str(exc).splitlines()[0][:200]
    except Exception as exc:  # noqa: BLE001 - a host crash is an outcome to count, not to die of
        return "host_exception", f"{type(exc).__name__}: {exc}"[:200]
    if result.exit_code != 0 or result.stdout != base.expected:
        return "wrong_answer", f"exit {result.exit_code}, {len(result.stdout)} characters of output"
    return "verified", "accepted; the right answer although the state differs"


def is_escape(m: Mutation, outcome: str) -> bool:
    if outcome == "host_exception":
        return True
    if m.cls == "swap":
        return outcome not in ("refused", "late_refusal")
    if m.scope == NOOP:
        return outcome not in ("refused", "late_refusal", "valid_state", "verified", "verified_noop")
    return m.scope == STRUCTURE and outcome in BAD | {"verified_noop"}


@dataclass(frozen=True)
class Chunk:
    base: Base
    classes: tuple[tuple[str, int, int], ...]  # (class, first index, count)
    swaps: tuple[tuple[str, str, bytes], ...]  # (kind, origin, stream)
    seed: int


def run_chunk(chunk: Chunk) -> list[dict[str, Any]]:
    """Every mutation of one chunk, as records (class, scope, outcome, ...)."""
    base = chunk.base
    anatomy = Anatomy.of(base.stream, walk(base.stream, type_table(base.program), detail=True))
    mutations: list[Mutation] = [mutation(cls, anatomy, chunk.seed, base.key, i)
                                 for cls, first, n in chunk.classes for i in range(first, first + n)]
    mutations += [swapped(kind, stream, origin) for kind, origin, stream in chunk.swaps]
    rows = []
    for m in mutations:
        t0 = time.perf_counter()
        outcome, detail = attempt(base, m.stream, check_state=m.cls != "swap")
        rows.append({"class": m.cls, "scope": m.scope, "outcome": outcome, "base": base.key,
                     "mutation": m.description, "detail": detail, "escape": is_escape(m, outcome),
                     "wall_s": time.perf_counter() - t0})
    return rows


def plan(bases: dict[str, Base], form: str, seed: int, split: int) -> Iterator[Chunk]:
    """Chunks of work: each main base's mutations in ``split`` parts, swaps in the first."""
    per_base = PER_BASE[form]
    for key, base in bases.items():
        if not key.endswith("/main"):
            continue
        name, src, runtime, _ = key.split("/")
        others = sorted(PROGRAMS)
        other_program = others[(others.index(name) + 1) % len(others)]
        other_runtime = RUNTIMES[(RUNTIMES.index(runtime) + 1) % len(RUNTIMES)]
        origins = {"other_program": f"{other_program}/{src}/{runtime}/main",
                   "other_size": f"{name}/{src}/{runtime}/size",
                   "other_point": f"{name}/{src}/{runtime}/point",
                   "other_runtime": f"{name}/{src}/{other_runtime}/main"}
        swaps = tuple((kind, origins[kind], bases[origins[kind]].stream) for kind in SWAPS)
        for part in range(split):
            classes = []
            for cls, n in per_base.items():
                first, last = n * part // split, n * (part + 1) // split
                if last > first:
                    classes.append((cls, first, last - first))
            yield Chunk(base, tuple(classes), swaps if part == 0 else (), seed)


@dataclass
class Report:
    seed: int
    form: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        classes: dict[str, dict[str, int]] = {c: dict.fromkeys(OUTCOMES, 0) for c in CLASSES}
        for r in self.rows:
            classes[r["class"]][r["outcome"]] += 1
        escapes = [r for r in self.rows if r["escape"]]
        examples: dict[str, list[dict[str, Any]]] = {}
        for r in escapes:
            mine = examples.setdefault(r["class"], [])
            if len(mine) < EXAMPLES_PER_CLASS:
                mine.append({k: r[k] for k in ("base", "mutation", "outcome", "detail")})
        return {
            "seed": self.seed, "form": self.form, "mutations": len(self.rows), "escapes": len(escapes),
            "late_refusals": sum(r["outcome"] == "late_refusal" for r in self.rows),
            "data_value_accepted": sum(r["scope"] == DATA and r["outcome"] not in ("refused", "late_refusal")
                                       for r in self.rows),
            "valid_state_accepted": sum(r["scope"] == STRUCTURE and r["outcome"] == "valid_state" for r in self.rows),
            "data_value_mutations": sum(r["scope"] == DATA for r in self.rows),
            "noop_accepted": sum(r["scope"] == NOOP and r["outcome"] in ("valid_state", "verified", "verified_noop")
                                 for r in self.rows),
            "escapes_by_class": {c: sum(r["escape"] for r in self.rows if r["class"] == c) for c in CLASSES},
            "classes": classes,
            "slowest_mutation_s": max((r["wall_s"] for r in self.rows), default=0.0),
            "wall_s": self.wall_s,
            "escape_examples": examples,
        }


def campaign(quick: bool = False, seed: int = 1, jobs: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> Report:
    """Run the campaign: ``quick`` about 1,000 mutations, else at least 10,000."""
    form = "quick" if quick else "full"
    workers = jobs or (1 if quick else os.cpu_count() or 1)
    started = time.perf_counter()
    groups = [(name, src, dst, runtime) for name in sorted(PROGRAMS) for src, dst in DIRECTIONS
              for runtime in RUNTIMES]
    report = Report(seed, form)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        bases = {b.key: b for group in pool.map(_collect_group, groups) for b in group}
        chunks = list(plan(bases, form, seed, split=1 if quick else 4))
        for done, rows in enumerate(pool.map(run_chunk, chunks), 1):
            report.rows.extend(rows)
            if progress:
                progress(done, len(chunks))
    report.wall_s = time.perf_counter() - started
    return report


def format_table(summary: dict[str, Any]) -> str:
    """Mutations per class and outcome, escapes last."""
    short = {"refused": "refused", "late_refusal": "late", "valid_state": "valid", "verified_noop": "noop", "verified": "ok-diff",
             "wrong_answer": "wrong", "fault": "fault", "budget": "budget", "hang": "hang",
             "host_exception": "host-exc"}
    head = f"{'class':12}" + "".join(f"{short[o]:>9}" for o in OUTCOMES) + f"{'total':>8}{'escapes':>9}"
    lines = [head, "-" * len(head)]
    totals = dict.fromkeys(OUTCOMES, 0)
    for cls in CLASSES:
        row = summary["classes"][cls]
        for o in OUTCOMES:
            totals[o] += row[o]
        lines.append(f"{cls:12}" + "".join(f"{row[o]:>9}" for o in OUTCOMES)
                     + f"{sum(row.values()):>8}{summary['escapes_by_class'][cls]:>9}")
    lines.append("-" * len(head))
    lines.append(f"{'all':12}" + "".join(f"{totals[o]:>9}" for o in OUTCOMES)
                 + f"{summary['mutations']:>8}{summary['escapes']:>9}")
    lines.append(
        f"\n{summary['mutations']:,} mutations (seed {summary['seed']}, {summary['form']}) in "
        f"{summary['wall_s']:.0f} s; slowest {summary['slowest_mutation_s']:.1f} s. "
        f"Escapes: {summary['escapes']}; late refusals: {summary['late_refusals']}; "
        f"data-value mutations accepted: {summary['data_value_accepted']} of {summary['data_value_mutations']} "
        f"(undetectable by any structure); structural mutations that made another well-formed stream "
        f"(a pointer retargeted within its type; the destination collects exactly those bytes again): "
        f"{summary['valid_state_accepted']}; source-ISA relabellings accepted: {summary['noop_accepted']}.")
    for cls, examples in summary["escape_examples"].items():
        for e in examples:
            lines.append(f"  escape [{cls}] {e['base']}: {e['mutation']} -> {e['outcome']}: {e['detail']}")
    return "\n".join(lines)
