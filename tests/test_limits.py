"""Nothing hangs: native runs stop at a wall-clock timeout or the stack limit, emulated runs
at the instruction budget, each with one readable line. How long the default budget takes
in wall time is a speed figure: benchmarks/bench_limits.py measures it."""

from __future__ import annotations

import time

import pytest

from testbed.build import build_program
from testbed.build.native import run_native
from testbed.cli import main as cli_main
from testbed.errors import GuestFault
from testbed.execute import Workload, execute
from testbed.limits import DEFAULT_BUDGET

from .conftest import GUEST_TESTS

NEVER_ENDS = str(GUEST_TESTS / "never_ends.c")


def test_runaway_recursion_natively_hits_the_stack_limit() -> None:
    with pytest.raises(GuestFault, match=r"crashed with SIGSEGV: .*stack outgrew its 64 MiB limit"):
        execute(Workload.resolve(str(GUEST_TESTS / "runaway_recursion.c")), "host")


def test_a_native_run_that_never_ends_times_out() -> None:
    build = build_program("never_ends", [GUEST_TESTS / "never_ends.c"], "host")
    t0 = time.monotonic()
    with pytest.raises(GuestFault, match=r"the spin did not finish within 0.5 s of wall time: it probably never ends"):
        run_native(build.path, [], "the spin", timeout_s=0.5)
    assert time.monotonic() - t0 < 5


def test_exec_and_run_report_the_budget_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["exec", NEVER_ENDS, "--arch", "mipsel", "--budget", "2000000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "exceeded its budget of 2,000,000 instructions" in err and "--budget" in err
    program = str(GUEST_TESTS / "struct_return.c")
    assert cli_main(["run", program, "--at", "3", "--budget", "2000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "exceeded its budget of 2,000 instructions" in err


def test_the_default_budget_trusts_only_registered_programs_at_named_sizes() -> None:
    """paper2 linpack (3.6 G instructions) must run with default settings; a user's C file
    or an arbitrary size may never end, so it gets the budget that stops within a minute."""
    from testbed.limits import EXPERIMENT_BUDGET, default_budget

    assert default_budget("linpack", "paper2") == EXPERIMENT_BUDGET
    assert default_budget("bitonic", None) == EXPERIMENT_BUDGET
    assert default_budget("linpack", "100000") == DEFAULT_BUDGET
    assert default_budget(NEVER_ENDS, None) == DEFAULT_BUDGET
