"""Emulated heterogeneous-cluster testbed for process migration (SNOW / MpPVM line)."""

from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
GUESTS_DIR = PROJECT_DIR / "guests"
