"""The MCL precompiler: placement, live variables, migration deep in call chains, the
unsafe constructs it refuses, and a property test over random migration points."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testbed.build import RUNTIME_DIR, TARGETS, build_program
from testbed.build.migratable import generate, site_table
from testbed.cli import main as cli_main
from testbed.errors import ConfigError, StreamError
from testbed.migration.check import overhead, spread
from testbed.migration.run import MigrationSpec, migrate, passages

from .conftest import GUEST_TESTS


def _generate(tmp_path: Path, body: str):
    src = tmp_path / "prog.c"
    src.write_text("#include <stdio.h>\n#include <stdlib.h>\n" + body)
    return generate(src, "test")


def _refused(tmp_path: Path, body: str, match: str) -> str:
    with pytest.raises(ConfigError, match=match) as info:
        _generate(tmp_path, body)
    message = str(info.value)
    assert "prog.c:" in message, message  # file:line
    return message


LOOP = "for (i = 0; i < 100000; i++) { s += i; }"


def test_integer_cast_to_pointer_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, f"int main(void) {{ int i, s = 0; int *p = (int *)4096; {LOOP} return *p + s; }}",
             "integer is cast to a pointer")


def test_union_mixing_pointers_and_data_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, "union u { int *p; int x; };\nunion u g;\n"
             f"int main(void) {{ int i, s = 0; {LOOP} return s; }}", "union")


def test_setjmp_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, "int setjmp(void *env);\nint buf[16];\n"
             f"int main(void) {{ int i, s = 0; if (setjmp(buf)) return 1; {LOOP} return s; }}", r"setjmp\(\)")


def test_variadic_function_calling_a_migratable_one_is_refused(tmp_path: Path) -> None:
    body = ("int work(int n) { int i, s = 0; for (i = 0; i < n; i++) {\n#pragma mcl poll\n s += i; } return s; }\n"
            "int sum(int n, ...) { int r; r = work(n); return r; }\n"
            "int main(void) { int r; r = sum(3, 1, 2, 3); return r; }")
    _refused(tmp_path, body, "variadic function sum calls a migratable function")


def test_untyped_allocation_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, f"int main(void) {{ int i, s = 0; char *p = malloc(40); {LOOP} return s + p[0]; }}",
             "untyped allocation")


@pytest.mark.parametrize(("use", "match"), [
    ("for (r = 0; r < 3; r += work(1)) n++;", "in a loop or branch condition"),  # the step: after continue
    ("do { if (n--) continue; r++; } while (work(5) > 1);", "do-while loop whose body has a continue"),
    ("r = n > 0 ? work(5) : 0;", r"in an operand of \?:, a comma or sizeof"),
    ("r = (n++, work(5));", r"in an operand of \?:, a comma or sizeof"),
])
def test_migratable_call_where_it_cannot_be_hoisted_is_refused(tmp_path: Path, use: str, match: str) -> None:
    body = ("int work(int n) { int i, s = 0; for (i = 0; i < n; i++) {\n#pragma mcl poll\n s += i; } return s; }\n"
            f"int main(int argc, char **argv) {{ int r = 0, n = argc; {use} return r; }}")
    _refused(tmp_path, body, match)


def test_static_local_that_cannot_move_to_file_scope_is_refused(tmp_path: Path) -> None:
    """A function defining one tag twice keeps its types (localtypes.py), so its static
    local of such a type cannot move to file scope: refused, not lost."""
    body = ("int count(void) { struct tally { int n; }; static struct tally t; "
            "{ struct tally { char c; } u; u.c = 1; t.n += u.c; } return t.n; }\n"
            f"int main(void) {{ int i, s = 0; {LOOP} return s + count(); }}")
    _refused(tmp_path, body, "static local t of count")


def test_static_local_of_a_local_type_moves_with_it(tmp_path: Path) -> None:
    """The struct moves to file scope first, then the static local of that type."""
    body = ("int count(void) { struct tally { int n; }; static struct tally t; t.n++; return t.n; }\n"
            f"int main(void) {{ int i, s = 0; {LOOP} return s + count(); }}")
    unit = _generate(tmp_path, body).unit
    assert "struct __mcl_local_count_tally __mcl_static_count_t;" in unit.replace("\n", " ")


def test_pointer_arithmetic_leaving_its_block_is_caught_at_collection() -> None:
    with pytest.raises(StreamError, match=r"variable past at escaping_pointer\.c:14 \(main\)"):
        migrate(MigrationSpec(str(GUEST_TESTS / "escaping_pointer.c"), "small", "mipsel", "sparc", at=3))


def test_only_live_and_assigned_variables_travel(tmp_path: Path) -> None:
    body = ("int main(void) {\n int i, used_later = 7, dead = 3, never_set, s = 0;\n"
            " dead = dead + 1;\n"
            " for (i = 0; i < 1000000; i++) { s += i; }\n"
            " printf(\"%d %d\\n\", s, used_later);\n return 0; }\n")
    g = _generate(tmp_path, body)
    loop_site = next(site for site in g.plan.sites if site.kind == "poll")
    assert loop_site.live == ["i", "used_later", "s"]  # not dead, not never_set


def test_bitonic_migrates_inside_its_recursion() -> None:
    """Deep in the recursion: main -> bisort -> ... -> bimerge."""
    record = migrate(MigrationSpec("bitonic", "small", "sparc", "mipsel", at="50%"))
    assert record.verified and record.roundtrip_identical
    assert record.stream.call_frames >= 3 and record.poll_function == "bimerge"


def test_at_time_migrates_after_the_requested_simulated_time() -> None:
    early = migrate(MigrationSpec("linpack", "small", "mipsel", "sparc", at_time=0.0005))
    late = migrate(MigrationSpec("linpack", "small", "mipsel", "sparc", at_time=0.006))
    assert early.verified and late.verified
    assert early.at < late.at


def test_report_lists_poll_points_with_live_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["mcl", "bitonic", "--report"]) == 0
    out = capsys.readouterr().out
    assert "bitonic.c:85" in out and "poll-point (recursion)" in out and "live: root, spr_val, dir" in out


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_mcl_writes_compilable_migratable_c(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    out = tmp_path / "linpack_mig.c"
    assert cli_main(["mcl", "linpack", "-o", str(out)]) == 0
    text = out.read_text()
    assert "MIG_POLL()" in text and "mig_frame_push" in text and "mig_register_stack" in text
    # compiled and linked with the migration runtime by that target's compiler
    build = build_program("linpack-mcl-out", [out, RUNTIME_DIR / "mig.c"], target)
    assert build.path.is_file() and build.path.stat().st_size > 0


def test_site_table_names_every_site() -> None:
    sites = site_table("test_pointer")
    assert all(s["where"].endswith(tuple(f":{n}" for n in range(1, 1000))) for s in sites.values())
    assert {s["kind"] for s in sites.values()} == {"poll", "call"}


def test_spread_covers_first_and_last_passage() -> None:
    assert spread(1000, 20)[0] == 1 and spread(1000, 20)[-1] == 1000 and len(spread(1000, 20)) == 20
    assert spread(5, 20) == [1, 2, 3, 4, 5]


def test_overhead_of_linpack_is_small() -> None:
    r = overhead("linpack", "100")  # at n = 24 the matrix is too small to hide anything
    assert 0 <= r["overhead"] < 0.05 and r["passages"] > 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("name", ["bitonic", "test_pointer"])
def test_any_migration_point_verifies(name: str, data: st.DataObject) -> None:
    total = passages(name, "small")
    k = data.draw(st.integers(min_value=1, max_value=total), label="K")
    src, dst = data.draw(st.sampled_from([("mipsel", "sparc"), ("sparc", "mipsel")]), label="direction")
    record = migrate(MigrationSpec(name, "small", src, dst, at=k))
    assert record.verified and record.roundtrip_identical, record


def test_parameter_of_a_type_that_cannot_migrate_is_refused_by_name(tmp_path: Path) -> None:
    body = ("int work(long double x) { int i, s = 0; for (i = 0; i < 3; i++) {\n#pragma mcl poll\n s += i; }"
            " return s + (int)x; }\nint main(void) { int r; r = work(1.0L); return r; }")
    _refused(tmp_path, body, r"parameter x of migratable function work has a type that cannot migrate \(long double")
