"""The build layer: a cache shared safely by concurrent processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testbed import PROJECT_DIR
from testbed.build import BUILD_DIR, build_program
from testbed.build.deps import parse_make_rules
from testbed.build.migratable import build_migratable, migratable_source
from testbed.build.native import run_native
from testbed.errors import ConfigError, ToolchainError

# One builder: waits for the start signal so that all of them race, then builds the same
# programs and reports a hash of every file it was handed.
BUILDER = """
import hashlib, json, sys, time
from pathlib import Path
from testbed.build import build_program
from testbed.build.migratable import build_migratable, migratable_source, site_table, type_table
from testbed.programs import program

go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
digest = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()
out = {}
for name in ("bitonic",):
    unit = migratable_source(name)
    out[name + "/unit"] = digest(unit)
    out[name + "/sites"] = site_table(name)
    out[name + "/types"] = type_table(name)
    for target in ("mipsel", "host"):
        out[name + "/mig-" + target] = digest(build_migratable(name, target).path)
    out[name + "/plain"] = digest(build_program(name, [program(name).source], "sparc").path)
print(json.dumps(out, sort_keys=True))
"""


def test_concurrent_builds_from_an_empty_cache_agree(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    go = tmp_path / "go"
    env = {**os.environ, "TESTBED_BUILD_DIR": str(build_dir)}
    procs = [subprocess.Popen([sys.executable, "-c", BUILDER, str(go)], env=env, cwd=PROJECT_DIR,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    time.sleep(1.0)  # let all four import and wait
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert all(r == results[0] for r in results[1:])
    leftovers = [p for p in build_dir.rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # no temporary file or directory left behind


BROKEN = """#include <stdio.h>
struct acc { int count; };
int main(void)
{
    struct acc a;
    int i;
    a.count = 0;
    for (i = 0; i < 100000; i++) {
        a.total += i;
    }
    printf("%d\\n", a.count);
    return 0;
}
"""


@pytest.mark.parametrize("migratable", [False, True])
def test_a_compiler_error_is_one_line_naming_the_users_file(tmp_path: Path, migratable: bool) -> None:
    src = tmp_path / "broken.c"
    src.write_text(BROKEN)
    with pytest.raises(ToolchainError) as info:
        if migratable:  # compiled from the generated unit: #line points back at broken.c
            build_migratable(str(src), "mipsel")
        else:
            build_program("broken", [src], "mipsel")
    message = str(info.value)
    assert "\n" not in message
    assert f"{src}:9: " in message and "has no member named" in message and "total" in message
    log = Path(message.rsplit("(full log: ", 1)[1].rstrip(")"))
    assert log.is_file() and log.parent.parent == BUILD_DIR
    assert "has no member named" in log.read_text() and "command: " in log.read_text()


@pytest.mark.parametrize("migratable", [False, True])
def test_editing_an_included_header_rebuilds(tmp_path: Path, migratable: bool) -> None:
    src = tmp_path / "uses_header.c"
    header = tmp_path / "local.h"
    src.write_text('#include <stdio.h>\n#include "local.h"\n'
                   "int main(void)\n{\n    int i, s = 0;\n    for (i = 0; i < 1000000; i++)\n        s += i & 1;\n"
                   '    printf("%d %d\\n", VALUE, s);\n    return 0;\n}\n')

    def output() -> str:
        build = build_migratable(str(src), "host") if migratable else build_program("uses_header", [src], "host")
        return run_native(build.path, [], "uses_header").stdout

    header.write_text("#define VALUE 3\n")
    assert output() == "3 500000\n"
    assert output() == "3 500000\n"  # reused
    header.write_text("#define VALUE 4\n")
    assert output() == "4 500000\n"


def test_make_rules_are_parsed_with_continuations_and_escaped_spaces() -> None:
    rules = "a.o: a.c /x/h1.h \\\n /x/my\\ dir/h2.h\nb.o: b.c /x/h1.h\n"
    assert parse_make_rules(rules) == [Path(p).resolve() for p in ("a.c", "/x/h1.h", "/x/my dir/h2.h", "b.c")]


def test_a_source_that_is_not_utf8_is_one_error_naming_the_byte(tmp_path: Path) -> None:
    """Conformance reaches the precompiler without the CLI's check (a Latin-1 torture test
    gave a UnicodeDecodeError traceback)."""
    source = tmp_path / "latin1.c"
    source.write_bytes(b"/* caf\xe9 */\nint main(void) { return 0; }\n")
    with pytest.raises(ConfigError, match=r"latin1\.c: not UTF-8 text \(byte 0xe9 at offset 6\)"):
        migratable_source(str(source))


def test_runtime_objects_link_the_executable_a_single_command_would(tmp_path: Path) -> None:
    """The runtime is compiled once into cached objects; the program linked from them is
    byte for byte what one `gcc program.c runtime/*.c` command makes."""
    from testbed.build import INCLUDE_DIR, RUNTIME_DIR, runtime_flags, target
    from testbed.build.toolchain import compiler_include_dir

    src = tmp_path / "one_command.c"
    src.write_text('#include <stdio.h>\n#include <math.h>\nint main(void)\n{\n'
                   '    printf("%.17g\\n", sin(0.5) + sqrt(2.0));\n    return 0;\n}\n')
    for isa in ("mipsel", "sparc"):
        t = target(isa)
        built = build_program("one_command", [src], isa, extra_flags=runtime_flags("classic"))
        objects = sorted((BUILD_DIR / isa / "objects").glob("rt_printf-*.o"))
        assert objects, "the runtime's objects are in the cache"
        single = tmp_path / f"single-{isa}.elf"
        cmd = [t.require(), *t.cflags, *runtime_flags("classic"), "-nostdinc", "-I", str(INCLUDE_DIR),
               "-I", str(RUNTIME_DIR), "-isystem", compiler_include_dir(t), str(src),
               *(str(RUNTIME_DIR / s) for s in t.runtime_sources), *t.ldflags, "-lgcc", "-o", str(single)]
        subprocess.run(cmd, check=True, capture_output=True)
        assert built.path.read_bytes() == single.read_bytes()


def test_a_runtime_object_is_rebuilt_when_a_header_it_reads_changes(tmp_path: Path) -> None:
    from testbed.build import target
    from testbed.build.objects import runtime_object
    from testbed.build.toolchain import compiler_identity

    t = target("mipsel")
    (tmp_path / "part.h").write_text("#define PART 3\n")
    src = tmp_path / "part.c"
    src.write_text('#include "part.h"\nint part(void) { return PART; }\n')
    cmd, identity = [t.require(), *t.cflags], compiler_identity(t)
    first = runtime_object(cmd, identity, src, tmp_path / "objects", tmp_path / "logs")
    assert tmp_path / "part.h" in first.read and first.path.is_file()
    again = runtime_object(cmd, identity, src, tmp_path / "objects", tmp_path / "logs")
    assert again.path == first.path  # reused, not compiled again
    (tmp_path / "part.h").write_text("#define PART 4\n")
    edited = runtime_object(cmd, identity, src, tmp_path / "objects", tmp_path / "logs")
    assert edited.path != first.path and edited.path.read_bytes() != first.path.read_bytes()
    (tmp_path / "part.c").write_text("int part(void) { return }\n")
    with pytest.raises(ToolchainError, match=r"compiling the guest runtime's part.c failed: .*error"):
        runtime_object(cmd, identity, src, tmp_path / "objects", tmp_path / "logs")
