"""A stream's fingerprint depends on the program's sources, never on where they are: a
stream saved in one clone of the project restores in another clone of the same sources."""

from __future__ import annotations

import json
from pathlib import Path

from testbed.build.migratable import migratable_source

from .conftest import GUEST_TESTS


def _fingerprint(source: Path) -> int:
    unit = migratable_source(str(source))
    return json.loads(unit.with_suffix(".ti.json").read_text())["fingerprint"]


def test_the_fingerprint_is_the_same_wherever_the_sources_are(tmp_path: Path) -> None:
    text = (GUEST_TESTS / "struct_return.c").read_text()
    a, b = tmp_path / "a" / "prog.c", tmp_path / "b" / "prog.c"
    for path in (a, b):
        path.parent.mkdir()
        path.write_text(text)
    assert _fingerprint(a) == _fingerprint(b)
    b.write_text(text + "\n/* another build of it */\nstatic int unused_marker;\n")
    assert _fingerprint(a) != _fingerprint(b)
