"""The test suites: GCC's C execution torture tests from Debian's gcc-12-source package.

The package puts the GCC source tarball under /usr/src/gcc-12/; only the directory of
execute tests (its top-level ``*.c``, not the ``builtins/`` or ``ieee/`` subdirectories,
which need their own harness files) is extracted, once, into the build cache."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from testbed.build import BUILD_DIR
from testbed.build.atomic import write_atomic
from testbed.errors import ConfigError

SUITES = ("gcc-torture",)
GCC_SOURCE_DIR = Path("/usr/src/gcc-12")
EXECUTE_DIR = "gcc/testsuite/gcc.c-torture/execute"
SAMPLE_SIZE = 50


def _tarball(source_dir: Path) -> Path:
    found = sorted(source_dir.glob("gcc-*.tar.*")) if source_dir.is_dir() else []
    if not found:
        raise ConfigError(f"no GCC source tarball under {source_dir}: install it with "
                          "`apt-get install gcc-12-source` (it is not part of the default set-up)")
    return found[0]


def available(source_dir: Path = GCC_SOURCE_DIR) -> bool:
    """Whether the suite's source package is installed."""
    try:
        _tarball(source_dir)
    except ConfigError:
        return False
    return True


def suite_dir(suite: str = "gcc-torture", source_dir: Path = GCC_SOURCE_DIR) -> Path:
    """The directory of the suite's programs in the build cache, extracted if needed."""
    if suite not in SUITES:
        raise ConfigError(f"unknown suite {suite!r}; valid: {', '.join(SUITES)}")
    tarball = _tarball(source_dir)
    out = BUILD_DIR / "conformance" / suite / tarball.name.split(".tar")[0]
    done = out / ".complete"
    if done.is_file():
        return out / "execute"
    out.mkdir(parents=True, exist_ok=True)
    top = _top_directory(tarball)
    member = f"{top}/{EXECUTE_DIR}/*.c"
    # tar reads the xz stream once; --no-wildcards-match-slash keeps the subdirectories out
    proc = subprocess.run(["tar", "-xJf", str(tarball), "-C", str(out), "--wildcards", "--no-wildcards-match-slash",
                           "--transform", f"s|^{top}/{EXECUTE_DIR}|execute|", member],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ConfigError(f"extracting {member} from {tarball} failed: {proc.stderr.strip()[:300]}")
    write_atomic(done, tarball.name)
    return out / "execute"


def _top_directory(tarball: Path) -> str:
    with tarfile.open(tarball) as tar:
        first = tar.next()
    if first is None:
        raise ConfigError(f"{tarball} is empty")
    return first.name.split("/", 1)[0]


def programs(suite: str = "gcc-torture", limit: int | None = None) -> list[Path]:
    """The suite's programs in name order; ``limit`` takes a fixed, evenly spread sample
    (the same programs on every run, spread over the alphabet)."""
    files = sorted(suite_dir(suite).glob("*.c"))
    if limit is not None and 0 < limit < len(files):
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    return files
