"""Native (host) runs of guest builds: the reference output and the poll-point passage
count, with limits so that nothing hangs or eats the machine.

Every run has a wall-clock timeout, a stack limit (the guests' stack) and an address-space
limit, set by resource limits in the child; each limit reached is one readable error."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from functools import cache
from pathlib import Path

from testbed.build.migratable import build_migratable
from testbed.errors import GuestFault
from testbed.limits import NATIVE_MEMORY_BYTES, NATIVE_STACK_BYTES, NATIVE_TIMEOUT_S
from testbed.mcl.precompiler import DEFAULT_MAX_COST
from testbed.programs import program

SIGNAL_MEANING = {
    signal.SIGSEGV: f"a bad memory access, or the stack outgrew its {NATIVE_STACK_BYTES >> 20} MiB limit "
                    "(runaway recursion?)",
    signal.SIGBUS: "a misaligned or unmapped memory access",
    signal.SIGFPE: "an arithmetic fault (integer division by zero?)",
    signal.SIGILL: "an illegal instruction",
    signal.SIGABRT: "it aborted",
    signal.SIGKILL: "it was killed (out of memory?)",
}


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_STACK, (NATIVE_STACK_BYTES, NATIVE_STACK_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (NATIVE_MEMORY_BYTES, NATIVE_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_native(path: Path, args: list[str], what: str, env: dict[str, str] | None = None,
               timeout_s: float = NATIVE_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run a native build of ``what`` (e.g. "the native run of linpack (small)") under the
    limits; a timeout or a fatal signal is a GuestFault saying which limit or signal."""
    try:
        proc = subprocess.run([str(path), *args], capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, **env} if env else None, preexec_fn=_limit_child)
    except subprocess.TimeoutExpired as exc:
        fault = GuestFault(f"{what} did not finish within {timeout_s:g} s of wall time: it probably never "
                           "ends (the native time limit is testbed.limits.NATIVE_TIMEOUT_S)")
        fault.output = _text(exc.stdout)
        raise fault from None
    if proc.returncode < 0:
        sig = signal.Signals(-proc.returncode)
        meaning = SIGNAL_MEANING.get(sig, "a fatal signal")
        detail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        fault = GuestFault(f"{what} crashed with {sig.name}: {meaning}" + "".join(f"; {d[:200]}" for d in detail))
        fault.output = proc.stdout
        raise fault
    return proc


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data or ""


@cache
def passages(name: str, size: str, max_cost: int = DEFAULT_MAX_COST) -> int:
    """Poll-point passages of an unmigrated run (a native build of the migratable program:
    same control flow as on the guests, far faster)."""
    p = program(name)
    build = build_migratable(name, "host", max_cost=max_cost)
    sized = f" ({size})" if p.path is None else ""  # a C file takes no size
    what = f"the native run of {name}{sized} counting its poll-point passages"
    proc = run_native(build.path, p.argv(size)[1:], what, env={"TESTBED_REPORT_PASSAGES": "1"})
    for line in proc.stderr.splitlines():
        if line.startswith("mcl-passages "):
            return int(line.split()[1])
    raise GuestFault(f"{what} did not report them (status {proc.returncode}): {proc.stderr.strip()[:200]}")

