"""Shared fixtures: guest builds are content-addressed and cached under build/, so tests that
build the same program share the work."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
GUEST_TESTS = TESTS_DIR / "guests"


@pytest.fixture(scope="session")
def guest_tests_dir() -> Path:
    return GUEST_TESTS
