"""Where a result came from: the code revision and the versions of what priced it.

A number without its revision cannot be compared with a later one: the cost models
change (the CPU parameters are still being calibrated). So every result row carries the
git revision of the testbed and the versions of the packages that emulate and price.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata

from testbed import PROJECT_DIR

VERSIONED_PACKAGES = ("testbed", "unicorn", "capstone", "simpy")
# Outputs, not inputs: writing results must not make the next run's revision "-dirty".
_NOT_CODE = (":(exclude)results",)


def git_revision() -> str:
    """``git rev-parse --short HEAD`` of the testbed's tree, plus ``-dirty`` when tracked
    files (other than results/) differ from it; ``unknown`` outside a repository."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(PROJECT_DIR), *args], capture_output=True,
                              text=True, timeout=30)

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return "unknown"
        status = git("status", "--porcelain", "--untracked-files=no", "--", ".", *_NOT_CODE)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    revision = head.stdout.strip()
    if status.returncode != 0 or status.stdout.strip():
        revision += "-dirty"
    return revision


@cache
def versions() -> dict[str, str]:
    """``<package>_version`` columns; ``unknown`` for a package that is not installed."""
    out = {}
    for name in VERSIONED_PACKAGES:
        try:
            out[f"{name}_version"] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[f"{name}_version"] = "unknown"
    return out


def timestamp() -> str:
    """Now, in UTC, ISO 8601 to the second: sortable and unambiguous across machines."""
    return datetime.now(UTC).isoformat(timespec="seconds")
