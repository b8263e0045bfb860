"""What a reproduction produced, as files: the tables compared with the published rows
(table_*.csv and tables.md), the runtime comparison, the checked findings (findings.md)
and the figures (figures/*.png). :func:`build_report` takes the tidy rows of the five
grids, so a report can be rebuilt from a results directory's CSVs, or from synthetic rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from testbed.experiments.findings import Finding, findings
from testbed.experiments.fits import collection_points
from testbed.experiments.plots import write_figures
from testbed.experiments.tables import (
    ErrorSummary,
    display_runtime_table,
    display_table,
    error_summary,
    hetero_table,
    homog_table,
    markdown_table,
    runtime_of,
    runtime_table,
    stream_size_table,
)
from testbed.reference import Reference


@dataclass
class Report:
    """What a reproduction produced. ``tables`` are the ones compared with the published
    rows (on ``runtime``); ``runtime_table`` and ``collection`` compare the two runtimes."""

    tables: dict[str, pd.DataFrame]
    findings: list[Finding]
    errors: ErrorSummary
    errors_by_table: dict[str, ErrorSummary]
    figures: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    wall_s: float | None = None
    revision: str = "unknown"
    quick: bool = False
    failed_runs: int = 0
    runtime: str = ""
    runtime_table: pd.DataFrame | None = None
    collection: pd.DataFrame | None = None  # collection_points of both runtimes
    stream_sizes: pd.DataFrame | None = None  # the hetero streams against workloads.csv

    def _kind(self) -> str:
        return "quick" if self.quick else "full"

    def findings_markdown(self) -> str:
        on = f", compared with the papers on the {self.runtime} runtime" if self.runtime else ""
        lines = [f"# Findings ({self._kind()} reproduction, revision {self.revision}{on})", ""]
        lines += [f"- **{'PASS' if f.passed else 'FAIL'}** {f.claim}: {f.detail}"
                  for f in self.findings]
        lines += ["", "## Relative error against the published rows", "",
                  f"- all tables: {self.errors.text()}"]
        lines += [f"- {name}: {e.text()}" for name, e in self.errors_by_table.items()]
        lines += ["", "Errors and findings are reported as measured; the machine profiles "
                  "(testbed/profiles/) say which parameters are calibrated and against what."]
        return "\n".join(lines) + "\n"

    def tables_markdown(self) -> str:
        titles = {
            "hetero": "Heterogeneous migration: DECstation 5000/120 -> SPARCstation 20, "
                      "10 Mb/s Ethernet",
            "homog": "Table 1: Ultra 5 -> Ultra 5, 100 Mb/s Ethernet, network mode",
        }
        on = f" Measured on the **{self.runtime}** runtime." if self.runtime else ""
        lines = [f"# Reproduced tables ({self._kind()}, revision {self.revision})", "",
                 "Simulated seconds. `published` is the reference row (testbed/reference/"
                 "measurements.csv) of the same table, program, problem, mode and phase; "
                 "`rel. error` = (testbed - published) / published. Difference and speed-up "
                 "compare the two modes' migrate times; their published values are derived "
                 f"from the published totals.{on}", ""]
        for name, table in self.tables.items():
            lines += [f"## {titles.get(name, name)}", "", markdown_table(display_table(table)),
                      "", f"{self.errors_by_table[name].text()}", ""]
        lines += [f"All published cells: {self.errors.text()}", ""]
        if self.stream_sizes is not None and not self.stream_sizes.empty:
            view = pd.DataFrame({
                "program": self.stream_sizes["program"], "problem": self.stream_sizes["problem"],
                "original": self.stream_sizes["published_bytes"].map(lambda v: f"{v:,}"),
                "testbed": self.stream_sizes["testbed_bytes"].map(lambda v: f"{v:,}"),
                "rel. error": self.stream_sizes["rel_error"].map(lambda v: f"{v:+.1%}"),
            })
            lines += ["## Stream sizes against the original's (testbed/reference/workloads.csv)", "",
                      "Bytes of the heterogeneous table's streams (the migration point of its grid) "
                      "and of the original system's; docs/stream-format.md explains the classic "
                      "encoding and why bitonic's two rows cannot both be met.", "",
                      markdown_table(view), ""]
        if self.runtime_table is not None:
            lines += ["## Classic against modern runtime: DECstation 5000/120 -> "
                      "SPARCstation 20, 10 Mb/s", "",
                      "The heterogeneous table's workloads on the original system's runtime "
                      "design (classic: sorted lookup table searched by binary search, first-fit "
                      "allocator, the XDR encoding, file I/O through stdio over the buffer cache) "
                      "and on the improved one (modern). Simulated seconds and stream bytes; the ratio is "
                      "classic / modern.", "",
                      markdown_table(display_runtime_table(self.runtime_table)), ""]
        if self.collection is not None and not self.collection.empty:
            view = pd.DataFrame({
                "runtime": self.collection["runtime"],
                "keys": self.collection["keys"].map(lambda v: f"{v:,}"),
                "blocks": self.collection["blocks"].map(lambda v: f"{v:,}"),
                "scan instr./block": self.collection["scan_per_block"].map(lambda v: f"{v:,.1f}"),
                "restore instr./block": self.collection["restore_per_block"].map(
                    lambda v: f"{v:,.1f}"),
            })
            lines += ["## Collection cost per block (bitonic, DECstation 5000/120 -> "
                      "SPARCstation 20)", "",
                      "Guest instructions of the collection (scan) and of the restoration per "
                      "block of the stream; figures/collection_per_block.png plots them.", "",
                      markdown_table(view), ""]
        return "\n".join(lines)


def build_report(hetero_rows: pd.DataFrame, homog_rows: pd.DataFrame,
                 scaling_rows: pd.DataFrame, out: Path | None = None, quick: bool = False,
                 revision: str = "unknown", reference: Reference | None = None,
                 runtimes_rows: pd.DataFrame | None = None,
                 collection_rows: pd.DataFrame | None = None) -> Report:
    """Tables, error statistics, findings and (with ``out``) the files: table_*.csv,
    tables.md, findings.md and figures/*.png. With ``runtimes_rows`` also the classic
    against modern table (table_runtimes.csv), with ``collection_rows`` the per-block figure
    and finding."""
    tables = {"hetero": hetero_table(hetero_rows, reference),
              "homog": homog_table(homog_rows, reference)}
    report = Report(tables, findings(hetero_rows, scaling_rows, collection_rows),
                    error_summary(list(tables.values())),
                    {k: error_summary([t]) for k, t in tables.items()},
                    revision=revision, quick=quick, runtime=runtime_of(hetero_rows),
                    runtime_table=None if runtimes_rows is None else runtime_table(runtimes_rows),
                    collection=None if collection_rows is None
                    else collection_points(collection_rows),
                    stream_sizes=stream_size_table(hetero_rows, reference))
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            path = out / f"table_{name}.csv"
            table.to_csv(path, index=False)
            report.files.append(path)
        if report.runtime_table is not None:
            path = out / "table_runtimes.csv"
            report.runtime_table.to_csv(path, index=False)
            report.files.append(path)
        (out / "tables.md").write_text(report.tables_markdown())
        (out / "findings.md").write_text(report.findings_markdown())
        report.files += [out / "tables.md", out / "findings.md"]
        report.figures = write_figures(hetero_rows, scaling_rows, out / "figures",
                                       collection_rows)
    return report
