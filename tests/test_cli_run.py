"""``testbed run`` as a user sees it: the program's output, a diff on a mismatch, programs
without a poll-point, --max-cost; and --version, machines named by ISA, the progress line."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest

from testbed.cli.progress import Progress
from testbed.cli.run import output_diff
from testbed.errors import NO_POLL_POINT
from tests.test_cli_errors import cli, one_error_line

# A list and a recursion with variable bounds: the precompiler's estimate (100 iterations
# of an unknown loop) stays under the default bound, so only a lower --max-cost places
# poll-points.
LIST_PROGRAM = """#include <stdio.h>
#include <stdlib.h>
struct node { int value; struct node *next; };
static int sum(struct node *n) {
    int rest;
    if (!n) return 0;
    rest = sum(n->next);
    return n->value + rest;
}
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 300, i, total = 0, s;
    struct node *head = NULL;
    for (i = 0; i < n; i++) { struct node *x = malloc(sizeof(struct node)); x->value = i; x->next = head; head = x; }
    for (i = 0; i < n; i++) { s = sum(head); total += s & 1; }
    s = sum(head);
    printf("sum %d, odd sums %d\\n", s, total);
    return 0;
}
"""

# Prints the byte order it finds after the loop: migrated from mipsel to sparc, it finishes
# "big" where the unmigrated run said "little", so the outputs differ.
ENDIAN_PROGRAM = """#include <stdio.h>
int main(void) {
    int i, s = 0, one = 1;
    printf("start\\n");
    for (i = 0; i < 20000; i++) {
#pragma mcl poll
        s += i & 7;
    }
    printf("%s-endian, %d\\n", *(char *)&one ? "little" : "big", s);
    return 0;
}
"""


@pytest.fixture()
def list_source(tmp_path: Path) -> Path:
    path = tmp_path / "list.c"
    path.write_text(LIST_PROGRAM)
    return path


def test_a_program_without_poll_points_says_so_in_run_and_mcl(list_source: Path) -> None:
    line = one_error_line(cli("run", str(list_source)))
    assert line == f"testbed: error: {list_source}: {NO_POLL_POINT}"
    report = cli("mcl", str(list_source), "--report")
    assert report.returncode == 0
    assert report.stdout.strip().splitlines()[-1] == f"list.c: {NO_POLL_POINT}"


def test_max_cost_places_poll_points_and_the_run_migrates(list_source: Path) -> None:
    report = cli("mcl", str(list_source), "--report", "--max-cost", "100")
    assert "poll-point (recursion)" in report.stdout and NO_POLL_POINT not in report.stdout
    run = cli("run", str(list_source), "--max-cost", "100", "--show-output", "--at", "500")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "sum 44850, odd sums 0"  # --show-output: the migrated program's own output first
    assert "migrated at poll-point passage 500" in lines[1]
    assert "output bit-identical to an unmigrated run on dec5000: yes" in lines[-1]


def test_a_mismatch_shows_a_unified_diff_after_the_no_line(tmp_path: Path) -> None:
    source = tmp_path / "endian.c"
    source.write_text(ENDIAN_PROGRAM)
    run = cli("run", str(source), "--src", "mipsel", "--dst", "sparc", "--at", "10", "--show-output")
    assert run.returncode == 1
    out = run.stdout.splitlines()
    assert out[:2] == ["start", "big-endian, 70000"]
    verdict = next(i for i, line in enumerate(out) if line.startswith("output bit-identical"))
    assert ": NO;" in out[verdict]
    assert out[verdict + 1:] == ["--- unmigrated run on dec5000", "+++ migrated run", "@@ -1,2 +1,2 @@",
                                 " start", "-little-endian, 70000", "+big-endian, 70000"]


def test_the_diff_is_cut_after_forty_lines() -> None:
    expected = "".join(f"line {i}\n" for i in range(100))
    shown = output_diff(expected, expected.replace("line", "LINE"), "dec5000").splitlines()
    assert len(shown) == 41 and re.fullmatch(r"\.\.\. \d+ more diff line\(s\)", shown[-1])
    assert output_diff("a", "a", "dec5000").startswith("the output is identical")


def test_version_names_the_package_and_the_git_revision() -> None:
    proc = cli("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"testbed \d+\.\d+\.\d+ \(git [0-9a-f]{7,}(-dirty)?\)\n", proc.stdout), proc.stdout


def test_isa_names_stand_for_their_default_machines_everywhere() -> None:
    net = cli("net", "--bytes", "1000", "--src", "mipsel", "--dst", "sparc", "--json")
    assert net.returncode == 0, net.stderr
    result = json.loads(net.stdout)
    assert (result["src"], result["dst"]) == ("dec5000", "ss20")
    exec_ = cli("exec", "linpack", "--arch", "ultra5", "--json")
    assert json.loads(exec_.stdout.splitlines()[-1])["machine"] == "ultra5"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_a_line_on_a_terminal_only_after_the_delay() -> None:
    terminal = Terminal()
    with Progress("run", stream=terminal, delay=0.0, refresh=0.02) as progress:
        progress.phase("restoring on ss20")
        time.sleep(0.3)
    assert "testbed run" in terminal.getvalue() and "restoring on ss20" in terminal.getvalue()

    quick = Terminal()
    with Progress("run", stream=quick, delay=5.0):
        pass
    assert quick.getvalue() == ""  # a quick command shows nothing

    piped = io.StringIO()
    with Progress("run", stream=piped, delay=0.0, refresh=0.02):
        time.sleep(0.2)
    assert piped.getvalue() == ""  # not a terminal: nothing at all
