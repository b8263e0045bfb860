"""The guest programs: byte-identical output on the host and both emulated ISAs, working
self-checks (they pass, and they fail when a structure is broken on purpose), input
validation, and test_pointer's data sized like the original measurements."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from testbed import reference
from testbed.build import ISAS, build_program, target
from testbed.emu.guest import Guest
from testbed.emu.machines import resolve
from testbed.programs import PROGRAMS, program

NAMES = list(PROGRAMS)
SMALL_BUDGET = 20_000_000  # instructions; `small` is meant to need far fewer
SMALL_LIMIT = 5_000_000  # what `small` may take on either ISA: the suite runs it on both
PASS_LINE = re.compile(r"^self-check: PASS\b", re.MULTILINE)
FAIL_LINE = re.compile(r"^self-check: FAIL\b", re.MULTILINE)


def _require(target_name: str) -> None:
    if shutil.which(target(target_name).compiler) is None:
        pytest.skip(f"the {target_name} compiler is not installed")


@cache
def _build(name: str, target_name: str, extra_flags: tuple[str, ...] = ()) -> Path:
    _require(target_name)
    p = program(name)
    return build_program(p.name, [p.source], target_name, extra_flags=extra_flags).path


def run_host(
    name: str, args: list[str], extra_flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    exe = _build(name, "host", extra_flags)
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)


def run_guest(name: str, isa: str, args: list[str]) -> tuple[int | None, str, int]:
    """Exit code, stdout and instruction count of one emulated run."""
    result = Guest(_build(name, isa), resolve(isa), [name, *args], budget=SMALL_BUDGET).run()
    assert result is not None
    return result.exit_code, result.stdout, result.instructions


@pytest.mark.parametrize("name", NAMES)
def test_small_output_identical_everywhere(name: str) -> None:
    args = program(name).argv("small")[1:]
    host = run_host(name, args)
    assert host.returncode == 0, host.stdout + host.stderr
    assert PASS_LINE.search(host.stdout), host.stdout
    for isa in ISAS:
        code, stdout, instructions = run_guest(name, isa, args)
        assert code == 0, f"{isa}: exit {code}\n{stdout}"
        assert stdout == host.stdout, f"{isa} output differs from the host's"
        assert instructions < SMALL_LIMIT, f"{isa}: size small took {instructions:,} instructions"


# INJECT_FAULT values each program understands (see the `test hook` in its source).
FAULTS = [
    ("linpack", 1),  # a factor corrupted between factorisation and solve
    ("bitonic", 1),  # two subtrees swapped after the forward sort
    ("matmul", 1),  # one element of a checked row of C altered
    ("test_pointer", 1),  # the ring skips a node
    ("test_pointer", 2),  # a shared lattice node duplicated
    ("test_pointer", 3),  # an entry of the pointer array redirected
    ("test_pointer", 4),  # a parent (back) pointer redirected
    ("test_pointer", 5),  # an interior pointer into the cell array redirected
]


@pytest.mark.parametrize(("name", "fault"), FAULTS)
def test_self_check_detects_broken_data(name: str, fault: int) -> None:
    proc = run_host(name, program(name).argv("small")[1:], (f"-DINJECT_FAULT={fault}",))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert FAIL_LINE.search(proc.stdout), proc.stdout


def _tripped_checks(flags: tuple[str, ...]) -> set[str]:
    out = run_host("test_pointer", ["40"], flags).stdout
    counts = dict(re.findall(r"(\w+) (\d+)", out.split("checks:")[1].splitlines()[0]))
    assert len(counts) == 7, out  # ring, parents, paths, distinct, shared, cells, pointers
    return {name for name, n in counts.items() if int(n) > 0}


def test_test_pointer_faults_hit_their_own_check() -> None:
    """Each broken structure is reported by the check meant for it, not by accident: the
    intact run trips nothing, and a fault trips its own check(s) and no other (a duplicated
    shared node is also a node counted twice: shared and distinct)."""
    assert _tripped_checks(()) == set()
    expected = {1: {"ring"}, 2: {"shared", "distinct"}, 3: {"pointers"}, 4: {"parents"}, 5: {"cells"}}
    for fault, checks in expected.items():
        assert _tripped_checks((f"-DINJECT_FAULT={fault}",)) == checks, fault


def test_linpack_reports_singular_matrix() -> None:
    # The generator repeats every 16384 values, so at n = 256 columns j and j + 64 are equal.
    proc = run_host("linpack", ["256"])
    assert proc.returncode == 1
    assert "singular" in proc.stdout and FAIL_LINE.search(proc.stdout)


@pytest.mark.parametrize("where", ["host", "mipsel"])
def test_bitonic_rejects_non_power_of_two(where: str) -> None:
    if where == "host":
        proc = run_host("bitonic", ["48"])
        code, stdout = proc.returncode, proc.stdout
    else:
        code, stdout, _ = run_guest("bitonic", where, ["48"])
    assert code == 2
    assert "must be a power of two" in stdout and "48" in stdout


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("linpack", ["0"]),
        ("linpack", ["3000"]),
        ("linpack", []),
        ("matmul", ["0"]),
        ("test_pointer", ["3"]),
        ("bitonic", ["1"]),
        ("bitonic", []),
    ],
)
def test_bad_sizes_are_rejected(name: str, args: list[str]) -> None:
    proc = run_host(name, args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert name in proc.stdout and "self-check" not in proc.stdout


def _tx_bytes(name: str) -> tuple[int, ...]:
    return reference.load().workload_bytes(name)


def test_test_pointer_paper_sizes_match_original_data_bytes() -> None:
    p = program("test_pointer")
    for size, original in zip(("paper1", "paper2"), _tx_bytes("test_pointer"), strict=True):
        first = run_host(p.name, p.argv(size)[1:]).stdout.splitlines()[0]
        reported = int(re.search(r"(\d+) data bytes", first).group(1))
        assert abs(reported - original) <= 0.001 * original, (size, reported, original)
