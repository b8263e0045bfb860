"""The emulation layer: loading, hypercalls, faults, budget, block counting and pricing."""

from __future__ import annotations

import json
import random
import struct
import subprocess
from pathlib import Path

import pytest
import unicorn

from testbed import profiles
from testbed.build import build_program
from testbed.cli import main as cli_main
from testbed.emu.guest import Guest
from testbed.emu.isa import CLASS_INDEX, isa
from testbed.emu.machines import resolve
from testbed.errors import BudgetExhausted, ConfigError, GuestFault
from testbed.execute import Workload, execute

from .conftest import GUEST_TESTS

ISAS = ("mipsel", "sparc")


def _printf_program(tmp_path: Path, values: list[float]) -> Path:
    """A guest printing each value in several formats; values given by their exact bits."""
    words = ",\n".join(f"    0x{struct.unpack('<Q', struct.pack('<d', v))[0]:016x}ull" for v in values)
    src = tmp_path / "printf_check.c"
    src.write_text(f"""#include <stdio.h>
#include <stdint.h>
static const uint64_t bits[] = {{
{words}
}};
int main(void) {{
    unsigned i;
    union {{ uint64_t u; double d; }} v;
    for (i = 0; i < sizeof bits / sizeof bits[0]; i++) {{
        v.u = bits[i];
        printf("%.17g|%g|%e|%.3f|%.10e|%12.4g|%-+9.2f|%.0f|%.0e\\n",
               v.d, v.d, v.d, v.d, v.d, v.d, v.d, v.d, v.d);
    }}
    return 0;
}}
""")
    return src


def _python_reference(values: list[float]) -> str:
    fmt = "%.17g|%g|%e|%.3f|%.10e|%12.4g|%-+9.2f|%.0f|%.0e\n"
    return "".join(fmt % ((v,) * 9) for v in values)


def test_printf_doubles_are_exact_and_identical_everywhere(tmp_path: Path) -> None:
    rng = random.Random(1998)
    values = [0.0, -0.0, 0.1, 1 / 3, 2.5, 0.5, 1.5, 3.5, -2.5, 1e22, 1e23, 9.999999999999999e22,
              5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 123456789.125, 0.0005,
              0.00049999999999999999, 999.9995, 1e-5, 123456.5, float("inf"), float("-inf")]
    while len(values) < 160:  # random bit patterns: every exponent range
        (v,) = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))
        if v == v and abs(v) != float("inf"):
            values.append(v)
    values += [rng.uniform(-1e6, 1e6) for _ in range(60)]
    src = _printf_program(tmp_path, values)
    expected = _python_reference(values)
    host = build_program("printf_check", [src], "host")
    assert subprocess.run([str(host.path)], capture_output=True, text=True).stdout == expected
    for name in ISAS:
        build = build_program("printf_check", [src], name)
        result = Guest(build.path, resolve(name), ["printf_check"]).run()
        assert result is not None
        assert result.stdout == expected, name


@pytest.mark.parametrize("name", ISAS)
def test_wild_pointer_is_one_clear_line(name: str) -> None:
    with pytest.raises(GuestFault) as info:
        execute(Workload.resolve(str(GUEST_TESTS / "wild_pointer.c")), name)
    message = str(info.value)
    assert "\n" not in message
    assert "unmapped address 0x16c03874" in message
    assert f"guest fault on {name}" in message
    assert "pc 0x" in message and "main+0x" in message
    assert info.value.output == "about to crash\n"


@pytest.mark.parametrize("name", ISAS)
def test_endless_guest_is_stopped_by_the_budget(name: str) -> None:
    with pytest.raises(BudgetExhausted) as info:
        execute(Workload.resolve(str(GUEST_TESTS / "never_ends.c")), name, budget=2_000_000)
    message = str(info.value)
    assert "\n" not in message
    assert "budget of 2,000,000 instructions" in message
    assert "(spin+0x" in message


@pytest.mark.parametrize("name", ISAS)
def test_native_block_counter_matches_a_python_block_hook(name: str, tmp_path: Path) -> None:
    """The C hook's instruction count equals an independent Python UC_HOOK_BLOCK count."""
    src = tmp_path / "calls.c"
    src.write_text("""#include <stdio.h>
static int step(int x) { return x % 7 == 0 ? x / 7 : 3 * x + 1; }
int main(void) { int i, s = 0; for (i = 1; i < 3000; i++) s += step(i); printf("%d\\n", s); return 0; }
""")
    build = build_program("calls", [src], name)
    guest = Guest(build.path, resolve(name), ["calls"])
    seen = [0]

    def count(_uc: unicorn.Uc, _address: int, size: int, _user: object) -> None:
        seen[0] += size >> 2

    guest.uc.hook_add(unicorn.UC_HOOK_BLOCK, count)
    result = guest.run()
    assert result is not None and result.exit_code == 0
    assert guest.instructions == seen[0] > 30_000
    assert result.instructions == guest.instructions  # every block was in the priced range


def test_sparc_classification_from_opcode_fields() -> None:
    sparc = isa("sparc")
    words = {
        "fadd": 0x81A00842,  # faddd %f0, %f2, %f0
        "fmul": 0x81A00942,  # fmuld
        "fdiv": 0x81A009C2,  # fdivd
        "mul": 0x80500001,   # umul %g0, %g1, %g0
        "div": 0x80700001,   # udiv
        "load": 0xC2002000,  # ld [%g0], %g1
        "store": 0xC2202000, # st %g1, [%g0]
        "branch": 0x40000000,  # call
        "trap": 0x91D02010,  # ta 0x10
        "alu": 0x82102001,   # mov 1, %g1
    }
    for cls, word in words.items():
        counts = sparc.classify(struct.pack(">I", word), 0)
        assert counts[CLASS_INDEX[cls]] == 1, cls


def test_mips_classification_with_capstone() -> None:
    mips = isa("mipsel")
    words = {
        "load": 0x8C820000,   # lw $v0, 0($a0)
        "store": 0xAC820000,  # sw
        "mul": 0x00850018,    # mult
        "div": 0x0085001A,    # div
        "fadd": 0x46220000,   # add.d $f0, $f0, $f2
        "fmul": 0x46220002,   # mul.d
        "fdiv": 0x46220003,   # div.d
        "branch": 0x03E00008,  # jr $ra
        "trap": 0x0000000C,   # syscall
        "alu": 0x24020001,    # addiu $v0, $zero, 1
    }
    for cls, word in words.items():
        counts = mips.classify(struct.pack("<I", word), 0)
        assert counts[CLASS_INDEX[cls]] == 1, cls


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="valid programs: bitonic, linpack, matmul, test_pointer"):
        Workload.resolve("nosuch")
    with pytest.raises(ConfigError, match="valid sizes: small, paper1, paper2"):
        Workload.resolve("linpack", "huge")
    with pytest.raises(ConfigError, match="valid: host, dec5000, mipsel, sparc, ss20, ultra5"):
        execute(Workload.resolve(str(GUEST_TESTS / "never_ends.c")), "vax")
    with pytest.raises(ConfigError, match="valid machines: dec5000, ss20, ultra5"):
        profiles.machine("pdp11")


def test_isa_names_mean_their_default_machines() -> None:
    assert resolve("mipsel").name == "dec5000"
    assert resolve("sparc").name == "ss20"
    assert resolve("ultra5").isa.name == "sparc"


def test_profile_units_are_checked() -> None:
    p = profiles.machine("dec5000")
    assert p.get("cpu.clock", "Hz") == 20e6
    assert p.get("cpu.clock", "MHz") == 20
    with pytest.raises(ConfigError, match="cannot be converted"):
        p.get("cpu.clock", "s")
    for name in profiles.machine_names():
        for param in profiles.machine(name).params("cpu"):
            assert param.source.strip(), f"{name}: {param.path} has no source"


def test_cli_exec_json_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["exec", str(GUEST_TESTS / "wild_pointer.c"), "--arch", "sparc"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("testbed: error: guest fault on sparc") and err.count("\n") == 1
    assert cli_main(["exec", "nosuch"]) == 2
    assert "unknown program 'nosuch'" in capsys.readouterr().err


def test_cli_exec_json_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { printf("hi %.17g\\n", 0.1); return 0; }\n')
    assert cli_main(["exec", str(src), "--arch", "ultra5", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("program", "arch", "machine", "size", "output", "instructions", "cycles", "seconds", "wall_s"):
        assert key in record
    assert record["machine"] == "ultra5" and record["arch"] == "sparc"
    assert record["output"] == "hi 0.10000000000000001\n"
    clock = profiles.machine("ultra5").get("cpu.clock", "Hz")
    assert record["seconds"] == pytest.approx(record["cycles"] / clock)
