"""The conformance figure over a fixed sample of GCC's C execution torture tests (runs
when Debian's gcc-12-source package is installed): never a silent wrong result, and
the figures are the counts of the outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.conformance import suite
from testbed.conformance.log import OutcomeLog
from testbed.conformance.program import Outcome
from testbed.conformance.report import Report, reason_class, run_suite
from testbed.errors import ConfigError

needs_suite = pytest.mark.skipif(not suite.available(), reason="gcc-12-source is not installed "
                                 "(apt-get install gcc-12-source): no GCC torture tests to run")


@needs_suite
def test_a_fixed_sample_of_gcc_torture_tests_never_migrates_to_a_wrong_result() -> None:
    files = suite.programs("gcc-torture", suite.SAMPLE_SIZE)
    assert len(files) == suite.SAMPLE_SIZE
    assert files == suite.programs("gcc-torture", suite.SAMPLE_SIZE)  # the same sample every time
    report = run_suite("gcc-torture", files)
    figures = report.to_dict()
    assert figures["silent_wrong"] == 0, figures["silent_wrong_programs"]
    assert (figures["programs"] >= figures["built"] >= figures["accepted"] >= figures["with_poll_point_passages"]
            >= figures["migrated_verified"] > 0)
    assert sum(r["count"] for r in figures["refusals"]) == figures["programs"] - figures["migrated_verified"]


def test_refusal_reasons_are_ranked_without_what_is_particular_to_a_program() -> None:
    outcomes = [
        Outcome("a.c", "precompile", "/x/a.c:3: local buf of migratable function main has a type that cannot "
                "migrate (union u)"),
        Outcome("b.c", "precompile", "/x/b.c:9: local t of migratable function f has a type that cannot "
                "migrate (union v)"),
        Outcome("c.c", "build", "needs memcmp, which the freestanding guests do not have"),
        Outcome("d.c", "verified", migrations=6, verified=6),
        Outcome("e.c", "precompile", "/x/e.c:4: bit-field 'x' in struct <anonymous s> is not supported"),
        Outcome("f.c", "precompile", "2 migration-unsafe constructs:\n  /x/f.c:2: bit-field 'y' in struct t is not "
                "supported\n  /x/f.c:9: goto/labels are refused"),
    ]
    report = Report("test", outcomes)
    assert reason_class(outcomes[0]) == reason_class(outcomes[1])
    ranked = report.refusals()
    assert (reason_class(outcomes[0]), 2, ["a.c", "b.c"]) in ranked[:2]
    assert report.to_dict()["migrated_verified"] == 1
    assert reason_class(outcomes[4]) == reason_class(outcomes[5])
    assert (reason_class(outcomes[4]), 2, ["e.c", "f.c"]) in ranked[:2]
    assert "memcmp" in ranked[2][0]


def test_passages_are_counted_on_the_guest_for_a_program_that_declares_its_libc(tmp_path: Path) -> None:
    """Torture tests declare size_t and memcpy for the ILP32 target themselves: a native
    host build of the migratable unit fails on them ("conflicting types for 'size_t'"),
    so the conformance run counts poll-point passages on an emulated guest."""
    from testbed.conformance.program import emulated_passages
    from testbed.errors import GuestFault

    source = tmp_path / "own_libc.c"
    source.write_text("""
typedef unsigned int size_t;
extern void *memcpy(void *, const void *, size_t);
extern void abort(void);
int main(void)
{
    int a[4] = {1, 2, 3, 4}, b[4], i, s = 0;
    memcpy(b, a, sizeof a);
    for (i = 0; i < 4; i++) {
#pragma mcl poll
        s += b[i];
    }
    if (s != 10)
        abort();
    return 0;
}
""")
    assert emulated_passages(str(source), 10_000_000, expected="") == 4
    with pytest.raises(GuestFault, match="prints another output than the plain program"):
        emulated_passages(str(source), 10_000_000, expected="10\n")


@pytest.mark.parametrize(("src", "dst"), [("mipsel", "sparc"), ("sparc", "mipsel")])
def test_a_global_declared_twice_migrates(src: str, dst: str) -> None:
    """Found by the conformance run (20020611-1.c): `unsigned n;` then `unsigned n = 30;`
    registered n twice, and the destination refused the stream as malformed."""
    from testbed.migration.run import MigrationSpec, migrate

    from .conftest import GUEST_TESTS

    record = migrate(MigrationSpec(str(GUEST_TESTS / "tentative_global.c"), "small", src, dst, at=3))
    assert record.verified and record.roundtrip_identical, record.failure


def test_a_resumed_run_keeps_what_the_file_holds_and_only_from_the_same_run(tmp_path: Path) -> None:
    """--resume: the outcomes of a stopped run count (a line cut off mid-write dropped),
    and a file written with another revision or budget is refused in one line."""
    header = {"suite": "gcc-torture", "revision": "abc1234", "budget": 10, "timeout_s": 5.0, "limit": None}
    path = tmp_path / "outcomes.jsonl"
    first = OutcomeLog(path, header, resume=False)
    first.add(Outcome("a.c", "verified", "", 6, 6))
    first.add(Outcome("b.c", "precompile", "b.c:3: no"))
    first.close()
    with path.open("a", encoding="utf-8") as f:
        f.write('{"program": "c.c", "sta')  # the run was stopped while writing
    again = OutcomeLog(path, header, resume=True)
    assert sorted(again.done) == ["a.c", "b.c"] and again.done["a.c"].verified == 6
    again.add(Outcome("c.c", "verified", "", 6, 6))
    again.close()
    third = OutcomeLog(path, header, resume=True)
    third.close()
    assert sorted(third.done) == ["a.c", "b.c", "c.c"]
    with pytest.raises(ConfigError, match=r"^--resume: .* was written by another run \(revision 'abc1234' -> "
                       r"'def5678'\)"):
        OutcomeLog(path, {**header, "revision": "def5678"}, resume=True)


def test_a_torture_tests_own_options_are_taken_as_far_as_every_target_has_them(tmp_path: Path) -> None:
    """`-fwrapv` (9 programs aborted without it, counted as not built), `-fgnu89-inline`
    and `-std=` apply; machine options, linker options and options for named targets do
    not."""
    from testbed.conformance.program import dg_options

    source = tmp_path / "opts.c"
    source.write_text('/* { dg-options "-fwrapv -mtune=i686" } */\n'
                      '/* { dg-additional-options "-Wl,-u,_printf_float" { target newlib_nano_io } } */\n'
                      '/* { dg-additional-options "-fgnu89-inline -std=gnu89 -DN=3" { target *-*-* } } */\n'
                      '/* { dg-options { "-fno-inline" } } */\nint main(void) { return 0; }\n')
    assert dg_options(source) == ["-fwrapv", "-fgnu89-inline", "-std=gnu89", "-DN=3", "-fno-inline"]


def test_extra_compiler_flags_reach_the_program_not_the_runtime(tmp_path: Path, monkeypatch) -> None:
    """TESTBED_CFLAGS (what conformance sets from dg-options) compile the program's own
    sources, with a build key of their own; the runtime's objects are the same ones."""
    from testbed.build import BUILD_DIR, EXTRA_CFLAGS_ENV, build_program
    from testbed.emu.guest import Guest
    from testbed.emu.machines import resolve

    source = tmp_path / "flagged.c"
    source.write_text('#include <stdio.h>\nint main(void)\n{\n    printf("%d\\n", VALUE);\n    return 0;\n}\n')
    objects = lambda: sorted((BUILD_DIR / "mipsel" / "objects").glob("rt_printf-*.o"))  # noqa: E731
    monkeypatch.setenv(EXTRA_CFLAGS_ENV, "-DVALUE=7")
    seven = build_program("flagged", [source], "mipsel")
    after_seven = objects()
    monkeypatch.setenv(EXTRA_CFLAGS_ENV, "-DVALUE=8")
    eight = build_program("flagged", [source], "mipsel")
    assert seven.path != eight.path and objects() == after_seven
    outputs = [Guest(b.path, resolve("mipsel"), ["flagged"], budget=50_000_000).run().stdout for b in (seven, eight)]
    assert outputs == ["7\n", "8\n"]
