"""The golden stream corpus (tests/data/streams/): every stream, collected again, has the
same bytes and the same walk. Regenerate on purpose with
``.venv/bin/python -m testbed.migration.corpus --write`` (see testbed/migration/corpus.py)."""

from __future__ import annotations

import json

import pytest

from testbed.migration.corpus import (
    REGENERATE,
    cases,
    expected,
    pinned,
    pinned_walk,
    stream_path,
    walk_path,
)
from testbed.migration.streamfile import describe

CASES = cases()


@pytest.mark.parametrize("case", sorted(CASES))
def test_stream_bytes_and_walk_are_unchanged(case: str) -> None:
    kept = stream_path(case).read_bytes()
    kept_walk = json.loads(walk_path(case).read_text())
    stream, layout = expected(CASES[case])
    hint = f"{case}: if the format change is intended, regenerate with `{REGENERATE}`"
    assert pinned_walk(layout) == kept_walk, hint
    assert pinned(stream) == pinned(kept), hint
    # the kept file itself walks to the kept description (the walker did not drift either)
    assert pinned_walk({"request": kept_walk["request"], **describe(kept, CASES[case].program)}) == kept_walk


def test_corpus_covers_every_program_and_runtime() -> None:
    assert {(r.program, r.runtime) for r in CASES.values()} == {
        (p, rt) for p in ("bitonic", "linpack", "matmul", "test_pointer") for rt in ("modern", "classic")}
    for case, request in CASES.items():
        walk = json.loads(walk_path(case).read_text())
        assert walk["header"]["blocks"] == len(walk["blocks"]) > 0
        assert walk["request"]["runtime"] == request.runtime and walk["program"] == request.program
