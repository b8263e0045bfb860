"""Bad input to the real ``testbed`` command: one ``testbed: error:`` line that says what and
where, exit status 2, no traceback, and (where the input allows) before any work starts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.cli.args import output_dir, output_file, positive_int
from testbed.errors import output_tail


def cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "testbed", *argv], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ})


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a refused command."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("testbed: error: "), proc.stderr
    return lines[0]


@pytest.fixture()
def latin1_source(tmp_path: Path) -> Path:
    path = tmp_path / "latin1.c"
    path.write_bytes(b"#include <stdio.h>\n/* caf\xe9 */\nint main(void) { printf(\"hi\\n\"); return 0; }\n")
    return path


def test_mcl_output_into_a_missing_folder(tmp_path: Path) -> None:
    line = one_error_line(cli("mcl", "linpack", "-o", str(tmp_path / "nowhere" / "out.c")))
    assert "nowhere does not exist" in line and "-o" in line


def test_sweep_out_that_cannot_be_written_is_refused_before_any_run(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = one_error_line(cli("sweep", "experiments/collection.toml", "--out", str(blocker / "results")))
    assert "is a file, not a folder" in line
    line = one_error_line(cli("sweep", "experiments/collection.toml", "--out", "/proc/testbed-results"))
    assert "no file can be created in /proc" in line


@pytest.mark.parametrize("command", ["run", "mcl"])
def test_a_latin1_source_names_the_file_and_the_byte(command: str, latin1_source: Path) -> None:
    line = one_error_line(cli(command, str(latin1_source)))
    assert f"{latin1_source}: not UTF-8 text: byte 0xe9 at offset 25 (line 2)" in line


@pytest.mark.parametrize(("argv", "option"), [
    (["bench", "--repeats", "0"], "--repeats"),
    (["check", "--jobs", "-3"], "--jobs"),
    (["exec", "linpack", "--budget", "-1"], "--budget"),
    (["run", "linpack", "--budget", "0"], "--budget"),
    (["run", "linpack", "--max-cost", "0"], "--max-cost"),
])
def test_counts_and_budgets_must_be_positive(argv: list[str], option: str) -> None:
    line = one_error_line(cli(*argv))
    assert f"argument {option}: must be a positive integer" in line


def test_at_and_at_time_together_are_refused() -> None:
    line = one_error_line(cli("run", "linpack", "--at", "3", "--at-time", "0.5"))
    assert "--at-time: not allowed with argument --at" in line
    line = one_error_line(cli("run", "linpack", "--at-time", "-1"))
    assert "argument --at-time: must be 0 or more, not -1" in line


def test_an_unknown_machine_lists_the_machines_and_isas() -> None:
    line = one_error_line(cli("net", "--bytes", "10", "--src", "vax", "--dst", "ss20"))
    assert "'vax'" in line and "dec5000" in line and "mipsel" in line


def test_a_reference_run_that_fails_shows_the_programs_own_words() -> None:
    line = one_error_line(cli("run", "bitonic", "--size", "100"))
    assert "exited with status" in line and "must be a power of two" in line


def test_a_null_dereference_under_run_is_a_crash_with_its_pc(tmp_path: Path) -> None:
    source = tmp_path / "null.c"
    source.write_text("#include <stdio.h>\nint main(void) { int *p = 0; int i, s = 0;\n"
                      "for (i = 0; i < 1000000; i++) { s += i; }\nprintf(\"%d\\n\", s); return *p + s; }\n")
    line = one_error_line(cli("run", str(source)))
    assert re.search(r"reference run of .*null\.c .* crashed: .*unmapped address 0x00000000.* pc 0x[0-9a-f]+ "
                     r"\(main\+0x[0-9a-f]+\)", line), line
    host = one_error_line(cli("exec", str(source), "--arch", "host"))
    assert "crashed with SIGSEGV" in host


def test_argument_types_say_what_is_wrong(tmp_path: Path) -> None:
    assert positive_int("1_000") == 1000
    for bad in ("0", "-2", "x", "1.5"):
        with pytest.raises(Exception, match="positive integer"):
            positive_int(bad)
    assert output_file(str(tmp_path / "x.c")) == tmp_path / "x.c"
    with pytest.raises(Exception, match="is a folder"):
        output_file(str(tmp_path))
    assert output_dir(str(tmp_path / "new" / "deeper")) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_output_tails_are_the_last_words_on_one_line() -> None:
    assert output_tail("a\nb\n\n  c\n\n", lines=2) == "b | c"
    assert output_tail("x" * 500, width=10) == "..." + "x" * 10
