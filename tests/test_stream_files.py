"""Streams as files: ``testbed run --save-stream``, ``testbed stream show`` and ``testbed
stream restore``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed.build.migratable import type_table
from testbed.cli import main
from testbed.migration.decode import encode_varint, read_header_fields, replace_span, walk
from testbed.migration.run import MigrationSpec, migrate
from testbed.migration.streamfile import description_path


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("streams") / "test_pointer.mig"
    record = migrate(MigrationSpec("test_pointer", "small", "mipsel", "sparc", at="50%", save_stream=str(path)))
    assert record.verified and path.stat().st_size == record.stream.tx_bytes
    return path


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_saved_stream_has_its_request_beside_it(saved: Path) -> None:
    request = json.loads(description_path(saved).read_text())
    assert request["program"] == "test_pointer" and request["size"] == "small"
    assert request["src"] == "mipsel" and request["runtime"] == "modern" and request["at"] > 0
    assert request["source_output"]  # the source printed its banner before migrating


def test_show_lists_header_frames_blocks_and_pointers(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stream", "show", str(saved), "--json"]) == 0
    info = _json_out(capsys)
    stream = saved.read_bytes()
    layout = walk(stream, type_table("test_pointer"))
    assert info["program"] == "test_pointer"  # found by its fingerprint
    assert info["header"] == {**read_header_fields(stream), "isa_name": "mipsel"}
    assert len(info["blocks"]) == info["header"]["blocks"] == len(layout.blocks)
    assert info["segments"] == layout.segments() and set(info["segments"]) == {"global", "stack", "heap"}
    assert info["frames"][0]["function_name"] == "main" and len(info["frames"]) == info["header"]["frames"]
    assert info["pointers"]["ref"] == layout.count("ref") > 0 and info["pointers"]["cycles"] > 0
    assert main(["stream", "show", str(saved)]) == 0
    listing = capsys.readouterr().out
    assert "Frames (2, outermost first)" in listing and "more (--all lists them)" in listing


@pytest.mark.parametrize("dst", ["sparc", "mipsel"])
def test_restore_finishes_with_the_right_answer(saved: Path, dst: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stream", "restore", str(saved), "--dst", dst, "--json"]) == 0
    record = _json_out(capsys)
    assert record["verified"] is True and record["exit_code"] == 0 and record["dst"] == dst
    assert record["restore_instructions"] > 0


def test_restore_without_description_needs_the_size(saved: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bare = tmp_path / "bare.mig"
    bare.write_bytes(saved.read_bytes())
    assert main(["stream", "restore", str(bare), "--dst", "sparc"]) == 2
    assert "give it with --size" in capsys.readouterr().err
    assert main(["stream", "restore", str(bare), "--dst", "sparc", "--size", "small", "--json"]) == 0
    assert _json_out(capsys)["verified"] is None  # nothing to compare with: not claimed


def test_a_forged_file_is_refused_with_one_line(saved: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    stream = saved.read_bytes()
    layout = walk(stream, type_table("test_pointer"))
    ref = next(p for p in layout.pointers if p.tag == "ref")
    forged = tmp_path / "forged.mig"
    forged.write_bytes(replace_span(stream, ref.id_span, encode_varint(999_999)))  # no such block
    assert main(["stream", "restore", str(forged), "--dst", "sparc", "--size", "small"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("testbed: error:") and "refused" in err and "\n" not in err


@pytest.mark.parametrize("content", [b"", b"not a stream at all, just text" * 3])
def test_not_a_stream_is_a_readable_error(tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junk.mig"
    path.write_bytes(content)
    assert main(["stream", "show", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("testbed: error:") and "\n" not in err
    assert main(["stream", "show", str(tmp_path / "missing.mig")]) == 2
    assert "cannot read the stream file" in capsys.readouterr().err
