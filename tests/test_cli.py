"""The ``testbed`` command itself: its command table, and errors as one readable line."""

from __future__ import annotations

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
