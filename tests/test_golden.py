"""Golden transcripts (tests/golden/): fixed `testbed run` commands must keep printing the
same figures. Counts and bytes compare exactly, simulated seconds to 1e-9 relative."""

from __future__ import annotations

import pytest

from testbed import golden


def test_every_case_has_a_transcript_and_nothing_else_is_stored() -> None:
    stored = {p.stem for p in golden.GOLDEN_DIR.glob("*.json")}
    assert stored == set(golden.CASES), f"tests/golden/ is out of step with testbed/golden.py: regenerate with {golden.REGENERATE}"


@pytest.mark.parametrize("name", list(golden.CASES))
def test_golden_transcript(name: str) -> None:
    transcript = golden.load(name)
    assert transcript["command"] == golden.CASES[name], f"the stored command is stale: regenerate with {golden.REGENERATE}"
    moved = golden.differences(transcript["expected"], golden.observe(transcript["command"]))
    assert not moved, (
        f"{name} ({transcript['command']}) no longer prints its golden figures:\n  " + "\n  ".join(moved)
        + f"\nIf the change is intended, regenerate with `{golden.REGENERATE}` and commit tests/golden/.")


def test_comparison_catches_a_moved_figure() -> None:
    base = {"scan_s": 0.25, "scan_instructions": 1000, "verified": True}
    assert golden.differences(base, dict(base)) == []
    assert golden.differences(base, {**base, "scan_s": 0.25 * (1 + 1e-12)}) == []
    assert golden.differences(base, {**base, "scan_s": 0.25 * (1 + 1e-8)}) != []
    assert golden.differences(base, {**base, "scan_instructions": 1001}) != []
    assert golden.differences(base, {**base, "verified": 1}) != []  # a flag is not a count
    assert golden.differences(base, {k: v for k, v in base.items() if k != "verified"}) != []


def test_a_golden_command_must_be_a_testbed_json_command() -> None:
    with pytest.raises(ValueError):
        golden.observe("testbed run linpack --size small")
