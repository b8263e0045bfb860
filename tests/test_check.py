"""``testbed check``: every case runs in a child of its own, so one run's emulator crash or
exception is that run's failure and the check goes on."""

from __future__ import annotations

import faulthandler
import os
import signal

import pytest

from testbed.migration import check as checking


def test_a_crash_or_an_exception_fails_only_its_own_case(monkeypatch: pytest.MonkeyPatch) -> None:
    real = checking.migrate

    def flaky(spec: checking.MigrationSpec):  # inherited by the forked children
        if (spec.src, spec.dst) == ("sparc", "mipsel") and spec.at == 1:
            faulthandler.disable()  # pytest would print the child's stack
            os.kill(os.getpid(), signal.SIGSEGV)  # what a crash in the emulator's native code looks like
        if (spec.src, spec.dst) == ("mipsel", "mipsel") and spec.at == 1:
            raise RuntimeError("a bug in the host side")
        return real(spec)

    monkeypatch.setattr(checking, "migrate", flaky)
    seen: list[dict] = []
    pairs = [("mipsel", "sparc"), ("sparc", "mipsel"), ("mipsel", "mipsel"), ("sparc", "sparc")]
    rows = checking.check(quick=True, jobs=2, programs=["linpack"], progress=seen.append, pairs=pairs)
    assert len(rows) == len(seen) == 12  # 4 directions x 3 migration points, none lost
    assert [(r["src"], r["dst"], r["at"]) for r in rows] == [
        (c.src, c.dst, c.at) for c in checking.cases(True, ["linpack"], pairs=pairs)]
    failed = {(r["src"], r["dst"]): r["error"] for r in rows if not r["ok"]}
    assert failed == {("sparc", "mipsel"): "the run crashed (killed by SIGSEGV); the check went on without it",
                      ("mipsel", "mipsel"): "RuntimeError: a bug in the host side"}
