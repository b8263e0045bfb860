"""The ``testbed`` command itself: its command table, and errors as one readable line."""

from __future__ import annotations

import json

import pytest

from testbed import cli


def test_every_command_module_registers() -> None:
    commands = cli.build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    for expected in ("exec", "run", "mcl", "check", "overhead", "bench", "calibrate", "net", "sweep", "reproduce"):
        assert expected in commands, expected


def test_a_missing_command_module_is_an_error_not_a_missing_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "testbed.cli.no_such_group"))
    with pytest.raises(ModuleNotFoundError, match="no_such_group"):
        cli.build_parser()


def _json_of(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    cli.main(argv)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_run_seed_makes_a_lossy_link_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "linpack", "--size", "small", "--loss", "0.3", "--json", "--no-roundtrip"]
    first, again, other = (_json_of(capsys, [*argv, "--seed", s]) for s in ("0", "0", "1"))
    assert (first["tx_s"], first["eth_frames"]) == (again["tx_s"], again["eth_frames"])
    assert first["tx_s"] != other["tx_s"]  # the seed drives the losses
    assert (first["seed"], other["seed"], first["loss"]) == (0, 1, 0.3)
    assert first["verified"] and other["verified"]


def test_net_seed_makes_a_lossy_transfer_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["net", "--bytes", "100000", "--src", "dec5000", "--dst", "ss20", "--loss", "0.05", "--json"]
    first, again, other = (_json_of(capsys, [*argv, "--seed", s]) for s in ("1", "1", "0"))
    assert first == again
    assert first["tx_s"] != other["tx_s"] and first["retransmits"] != other["retransmits"]
