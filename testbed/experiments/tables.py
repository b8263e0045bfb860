"""The reproduced tables, long form, next to the published values: the heterogeneous
table, Table 1 and the classic against modern runtime table, and their display forms.

Every function takes plain DataFrames of tidy result rows (``testbed sweep``'s), so they
can be exercised on synthetic rows without emulating anything. A cell is matched to its
published value on (table, program, problem, mode, phase), the reference rows' names
(:mod:`testbed.reference`); ``rel_error`` = (testbed - published) / published.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from testbed.programs import PROGRAMS
from testbed.reference import Cell, Reference, load

HETERO_PROGRAMS = ("linpack", "bitonic", "test_pointer")
HOMOG_PROGRAMS = ("linpack", "bitonic")
# Record fields of each published phase.
HETERO_PHASES = {
    "network": (("scan", "scan_s"), ("tx", "tx_s"), ("restore", "restore_s"),
                ("migrate", "migrate_s")),
    "file": (("scan_write", "scan_write_s"), ("rcp", "rcp_s"),
             ("read_restore", "read_restore_s"), ("migrate", "migrate_s")),
}
HOMOG_PHASES = (("collect", "scan_s"), ("tx", "tx_s"), ("restore", "restore_s"),
                ("migrate", "migrate_s"))
TABLE_COLUMNS = ("table", "runtime", "program", "problem", "size", "tx_bytes", "mode", "phase",
                 "testbed_s", "published_s", "rel_error", "derived")
# Network mode on the classic runtime: its socket calls join the CPU phases
# (testbed/migration/sockio.py), recorded as these columns when present.
WITH_SOCKET_CALLS = {"scan_s": "scan_write_s", "restore_s": "read_restore_s"}
LINEAR_R2 = 0.99  # the linpack finding's threshold
# The runtime comparison: (quantity, the row's mode, its column).
RUNTIME_QUANTITIES = (("scan_s", "network", "scan_s"), ("restore_s", "network", "restore_s"),
                      ("tx_bytes", "network", "tx_bytes"),
                      ("migrate_s network", "network", "migrate_s"),
                      ("migrate_s file", "file", "migrate_s"))
SIDE_BY_SIDE = ("classic", "modern")  # the comparison's order: the original design first
RUNTIME_COLUMNS = ("table", "program", "problem", "size", "quantity", "classic", "modern",
                   "ratio")


def problem_label(program_name: str, n: int) -> str:
    """The reference rows' name of a problem: ``n=200``, ``2048 keys``, and for
    test_pointer ``small``/``large`` at the papers' two sizes (by value: the testbed's
    own ``small`` size is a different, tiny one)."""
    if program_name in ("linpack", "matmul"):
        return f"n={n}"
    if program_name == "bitonic":
        return f"{n} keys"
    if program_name == "test_pointer":
        sizes = PROGRAMS["test_pointer"].sizes
        return {sizes["paper1"]: "small", sizes["paper2"]: "large"}.get(n, f"{n} nodes")
    return str(n)


def verified(rows: pd.DataFrame) -> pd.DataFrame:
    """Only runs that migrated and verified count as measurements."""
    if rows.empty:
        return rows
    good = rows["verified"].fillna(False).astype(bool) & ~rows["failed"].fillna(True).astype(bool)
    return rows[good]


def verified_cells(rows: pd.DataFrame) -> dict[tuple[str, int, str], pd.Series]:
    """The verified row of each (program, size, mode)."""
    return {(r["program"], int(r["size_value"]), r["mode"]): r for _, r in verified(rows).iterrows()}


def runtime_of(rows: pd.DataFrame) -> str:
    """The runtime the rows were measured on ("classic+modern" if mixed, "" if unknown)."""
    if rows.empty or "runtime" not in rows.columns:
        return ""
    return "+".join(sorted(str(v) for v in rows["runtime"].dropna().unique()))


def _entry(table: str, program_name: str, n: int, mode: str, phase: str, value: float | None,
           published: dict[Cell, float], tx_bytes: Any,
           derived: bool = False, published_value: float | None = None,
           runtime: str = "") -> dict[str, Any]:
    problem = problem_label(program_name, n)
    pub = published_value if derived else published.get((table, program_name, problem, mode, phase))
    value = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    err = (value - pub) / pub if value is not None and pub not in (None, 0) else None
    return {"table": table, "runtime": runtime, "program": program_name, "problem": problem,
            "size": n, "tx_bytes": tx_bytes, "mode": mode, "phase": phase, "testbed_s": value,
            "published_s": pub, "rel_error": err, "derived": derived}


def phase_value(r: pd.Series | None, mode: str, column: str) -> Any:
    """A row's value of a published phase: in network mode the CPU phase with the classic
    runtime's socket calls, when the row has them."""
    if r is None:
        return None
    if mode == "network" and column in WITH_SOCKET_CALLS:
        with_calls = r.get(WITH_SOCKET_CALLS[column])
        if with_calls is not None and not pd.isna(with_calls):
            return with_calls
    return r.get(column)


def workload_order(rows: pd.DataFrame, programs: Sequence[str]) -> list[tuple[str, int]]:
    """The (program, size) of the rows, in ``programs`` order, then by size."""
    keys = {(r["program"], int(r["size_value"])) for _, r in rows.iterrows()}
    rank = {p: i for i, p in enumerate(programs)}
    return sorted(keys, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))


def hetero_table(rows: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """The heterogeneous table, long form: per program and problem, the four phases of
    each mode, then the difference (file - network migrate) and the speed-up (file /
    network) as in the original, whose published values come from the published totals."""
    published = (load() if reference is None else reference).published()
    cells = verified_cells(rows)
    runtime = runtime_of(rows)
    out = []
    for prog, n in workload_order(rows, HETERO_PROGRAMS):
        totals: dict[str, float | None] = {}
        for mode, phases in HETERO_PHASES.items():
            r = cells.get((prog, n, mode))
            tx = None if r is None else int(r["tx_bytes"])
            for phase, column in phases:
                value = phase_value(r, mode, column)
                out.append(_entry("hetero", prog, n, mode, phase, value, published, tx,
                                  runtime=runtime))
            totals[mode] = out[-1]["testbed_s"]
        problem = problem_label(prog, n)
        pub_net = published.get(("hetero", prog, problem, "network", "migrate"))
        pub_file = published.get(("hetero", prog, problem, "file", "migrate"))
        net, fil = totals.get("network"), totals.get("file")
        both = net is not None and fil is not None
        pub_both = pub_net is not None and pub_file is not None
        tx = out[-1]["tx_bytes"]
        out.append(_entry("hetero", prog, n, "file-network", "difference",
                          fil - net if both else None, published, tx, derived=True,
                          published_value=pub_file - pub_net if pub_both else None,
                          runtime=runtime))
        out.append(_entry("hetero", prog, n, "file/network", "speed-up",
                          fil / net if both and net else None, published, tx, derived=True,
                          published_value=pub_file / pub_net if pub_both else None,
                          runtime=runtime))
    return pd.DataFrame(out, columns=list(TABLE_COLUMNS))


def homog_table(rows: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """Table 1, long form: collect (the testbed's scan), tx, restore and their total."""
    published = (load() if reference is None else reference).published()
    cells = verified_cells(rows)
    runtime = runtime_of(rows)
    out = []
    for prog, n in workload_order(rows, HOMOG_PROGRAMS):
        r = cells.get((prog, n, "network"))
        tx = None if r is None else int(r["tx_bytes"])
        for phase, column in HOMOG_PHASES:
            value = phase_value(r, "network", column)
            out.append(_entry("homog", prog, n, "network", phase, value, published, tx,
                              runtime=runtime))
    return pd.DataFrame(out, columns=list(TABLE_COLUMNS))


def runtime_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The classic against the modern runtime, long form: per workload (program, problem)
    and quantity (scan_s, restore_s, tx_bytes, the migrate time in network and in file
    mode), the two runtimes' values and their ratio classic / modern. A value whose run did
    not verify is left empty, and so is its ratio."""
    ok = verified(rows)
    cells: dict[tuple[str, int, str, str], pd.Series] = {}
    if not ok.empty:
        cells = {(r["program"], int(r["size_value"]), r["mode"], r["runtime"]): r
                 for _, r in ok.iterrows()}
    out = []
    for prog, n in workload_order(rows, HETERO_PROGRAMS):
        for quantity, mode, column in RUNTIME_QUANTITIES:
            values: dict[str, float | None] = {}
            for runtime in SIDE_BY_SIDE:
                r = cells.get((prog, n, mode, runtime))
                if r is None and mode == "network" and column != "migrate_s":
                    r = cells.get((prog, n, "file", runtime))  # the same emulation's value
                v = None if r is None else r.get(column)
                values[runtime] = None if v is None or pd.isna(v) else float(v)
            classic, modern = values["classic"], values["modern"]
            ratio = classic / modern if classic is not None and modern else None
            out.append({"table": "runtimes", "program": prog, "problem": problem_label(prog, n),
                        "size": n, "quantity": quantity, "classic": classic, "modern": modern,
                        "ratio": ratio})
    return pd.DataFrame(out, columns=list(RUNTIME_COLUMNS))


def display_runtime_table(table: pd.DataFrame) -> pd.DataFrame:
    """The runtime comparison formatted for reading: seconds to 4 decimals, bytes with
    thousands separators, the ratio to 3 digits."""
    def value(v: Any, quantity: str) -> str:
        if v is None or pd.isna(v):
            return "-"
        return f"{int(v):,}" if quantity == "tx_bytes" else f"{v:.4f}"

    return pd.DataFrame({
        "program": table["program"], "problem": table["problem"], "quantity": table["quantity"],
        "classic": [value(v, q) for v, q in zip(table["classic"], table["quantity"], strict=True)],
        "modern": [value(v, q) for v, q in zip(table["modern"], table["quantity"], strict=True)],
        "classic/modern": table["ratio"].map(lambda v: "-" if pd.isna(v) else f"{v:.3f}"),
    })


@dataclass(frozen=True)
class ErrorSummary:
    """Relative errors against the published rows (derived rows excluded: they repeat
    the totals they are computed from)."""

    count: int
    median: float | None
    worst: float | None
    worst_cell: str | None

    def text(self) -> str:
        if not self.count:
            return ("no published row matched (the --quick sizes are not the papers'); run the "
                    "full reproduction to compare")
        return (f"|relative error| over {self.count} published cells: median {self.median:.1%}, "
                f"worst {self.worst:.1%} ({self.worst_cell})")


def error_summary(tables: Sequence[pd.DataFrame]) -> ErrorSummary:
    frame = pd.concat([t for t in tables if not t.empty], ignore_index=True) if any(
        not t.empty for t in tables) else pd.DataFrame(columns=list(TABLE_COLUMNS))
    if frame.empty:
        return ErrorSummary(0, None, None, None)
    frame = frame[~frame["derived"].astype(bool) & frame["rel_error"].notna()]
    if frame.empty:
        return ErrorSummary(0, None, None, None)
    errs = frame["rel_error"].astype(float).abs()
    worst = frame.loc[errs.idxmax()]
    cell = (f"{worst['table']} {worst['program']} {worst['problem']} {worst['mode']} "
            f"{worst['phase']}: {worst['testbed_s']:.3f} s vs {worst['published_s']:.3f} s")
    return ErrorSummary(len(frame), float(errs.median()), float(errs.max()), cell)




def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table (pandas' own needs tabulate, which the testbed does not use)."""
    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table formatted for reading: seconds to 3-4 digits, errors in per cent."""
    def secs(v: Any, phase: str) -> str:
        if v is None or pd.isna(v):
            return "-"
        return f"x{v:.2f}" if phase == "speed-up" else f"{v:.4f}"

    out = pd.DataFrame({
        "program": table["program"], "problem": table["problem"],
        "bytes": table["tx_bytes"].map(lambda v: "-" if pd.isna(v) else f"{int(v):,}"),
        "mode": table["mode"], "phase": table["phase"],
        "testbed": [secs(v, p) for v, p in zip(table["testbed_s"], table["phase"], strict=True)],
        "published": [secs(v, p) for v, p in zip(table["published_s"], table["phase"], strict=True)],
        "rel. error": table["rel_error"].map(lambda v: "" if pd.isna(v) else f"{v:+.1%}"),
    })
    return out



def stream_size_table(rows: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """The testbed's stream of each published workload against the original's size
    (workloads.csv): one line per (program, problem) of the rows that has one."""
    ref = load() if reference is None else reference
    sizes = {(w.program, w.problem): w.tx_bytes for w in ref.workloads}
    out = []
    seen: set[tuple[str, int]] = set()
    for _, r in verified(rows).iterrows():
        key = (r["program"], int(r["size_value"]))
        problem = problem_label(*key)
        if key in seen or (key[0], problem) not in sizes:
            continue
        seen.add(key)
        published = sizes[(key[0], problem)]
        out.append({"program": key[0], "problem": problem, "published_bytes": published,
                    "testbed_bytes": int(r["tx_bytes"]),
                    "rel_error": int(r["tx_bytes"]) / published - 1})
    order = {p: i for i, p in enumerate(HETERO_PROGRAMS)}
    out.sort(key=lambda e: (order.get(e["program"], len(order)), e["published_bytes"]))
    return pd.DataFrame(out, columns=["program", "problem", "published_bytes", "testbed_bytes", "rel_error"])
