"""Machine and network profiles: the typed schema, its load-time checks, extends, layouts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testbed import profiles
from testbed.emu.memory import MemoryLayout
from testbed.errors import ConfigError
from testbed.profiles import MACHINE_DIR, NETWORK_DIR, load_profile

MIB = 1 << 20


def _variant(tmp_path: Path, source: Path, edit: tuple[str, str], kind: str = "machine") -> Path:
    """A copy of ``source`` with one regex substitution (which must apply exactly once)."""
    text, n = re.subn(edit[0], edit[1], source.read_text(), count=1, flags=re.M)
    assert n == 1, edit
    path = tmp_path / f"variant-{kind}.toml"
    path.write_text(text)
    return path


def test_every_shipped_parameter_has_a_unit_and_a_source() -> None:
    for name in profiles.machine_names():
        params = profiles.machine(name).params()
        assert len(params) >= 30
        for p in params:
            assert p.source.strip() and p.unit in profiles.UNITS, (name, p.path)
    for name in profiles.network_names():
        assert all(p.source.strip() for p in profiles.network(name).params())


@pytest.mark.parametrize(("edit", "message"), [
    ((r'^(clock = \{ value = 333, unit = "MHz"), source = "[^"]*"', r"\1"),
     "parameter cpu.clock has no source"),
    ((r'^(clock = \{ value = 333), unit = "MHz"', r"\1"), "parameter cpu.clock has no unit"),
    ((r'source = "common Ultra 5 configuration"', 'source = "  "'), "memory.size has an empty source"),
    ((r'^clock = ', "clok = "), "unknown key 'clok' in [cpu]"),
    ((r'unit = "MHz"', 'unit = "MB"'), "cpu.clock is in 'MB', which cannot be converted to 'Hz'"),
    ((r'unit = "MHz"', 'unit = "furlongs"'), "unknown unit 'furlongs'"),
    ((r'^\[os\]', "[oss]"), "unknown key 'oss' in the top level"),
    ((r'^extends = .*$', 'extends = ["guest32", "no-such-base"]'), "extends unknown shared profile 'no-such-base'; valid: guest32, guest64, solaris-ufs"),
    ((r'^per_packet = \{ value = 30,', "per_packet = { value = \"30\","), "must have a numeric value"),
])
def test_a_bad_machine_profile_is_refused_with_one_line(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = _variant(tmp_path, MACHINE_DIR / "ultra5.toml", edit)
    with pytest.raises(ConfigError) as info:
        load_profile("machine", path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_a_network_profile_without_a_source_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, NETWORK_DIR / "10mbps.toml",
                    (r'^(mss\s*= \{ value = 1460, unit = "B"), source = "[^"]*"', r"\1"), "network")
    with pytest.raises(ConfigError, match="parameter tcp.mss has no source"):
        load_profile("network", path)


def test_shared_values_come_from_extends_with_their_sources(tmp_path: Path) -> None:
    ss20, ultra5 = profiles.machine("ss20"), profiles.machine("ultra5")
    for p in (ss20, ultra5):
        block = p.param("disk.block_size")
        assert block.to("B") == 8192 and block.source == "Solaris UFS default block size"
        assert p.get("memory.stack_size", "MiB") == 8
        assert p.get("memory.layout.heap_base", "address") == 0x1000_0000
    assert "block_size" not in (MACHINE_DIR / "ss20.toml").read_text()  # written once, in common/
    # A machine's own value overrides the shared one, source included.
    path = _variant(tmp_path, MACHINE_DIR / "ultra5.toml",
                    (r"^\[disk\]\n", '[disk]\nblock_size = { value = 4, unit = "KiB", source = "test override" }\n'))
    own = load_profile("machine", path).param("disk.block_size")
    assert own.to("B") == 4096 and own.source == "test override"


def test_calibrated_values_stay_in_each_machines_own_file() -> None:
    """The calibration writer edits machines/<name>.toml; nothing calibrated is shared."""
    for path in (profiles.COMMON_DIR).glob("*.toml"):
        assert "calibrated" not in path.read_text(), path
    for name in profiles.machine_names():
        text = (MACHINE_DIR / f"{name}.toml").read_text()
        for p in profiles.machine(name).params():
            if p.source.startswith("calibrated"):
                assert p.source in text, (name, p.path)


def test_memory_layout_comes_from_the_profile() -> None:
    ultra5 = MemoryLayout.from_profile(profiles.machine("ultra5"))
    assert ultra5.heap_size == 128 * MIB  # the Ultra 5's memory
    assert ultra5.stack_size == 8 * MIB and ultra5.stack_top == 0x8000_0000
    assert ultra5.heap_end + 4096 <= ultra5.stack_low
    dec = MemoryLayout.from_profile(profiles.machine("dec5000"))
    assert dec.heap_size == 32 * MIB and dec.stack_size == 16 * MIB
    assert dec.text_base == 0x40_0000 and dec.sentinel == 0x1000


def test_a_layout_whose_heap_reaches_the_stack_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, MACHINE_DIR / "ultra5.toml",
                    (r'^size = \{ value = 128, unit = "MiB"', 'size = { value = 2000, unit = "MiB"'))
    with pytest.raises(ConfigError, match="the heap .* reaches the stack"):
        MemoryLayout.from_profile(load_profile("machine", path))
