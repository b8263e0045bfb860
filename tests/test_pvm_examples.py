"""The real PVM examples (Debian's pvm-examples), unmodified, against the real PVM.

``hello``/``hello_other`` and ``master1``/``slave1`` are unpacked from
/usr/share/doc/pvm-examples/examples.tar.gz into a temporary directory, built for the
emulated cluster with Mlibpvm and natively with the real libpvm3, and the native build is
run under a real pvmd started (and halted) by the test. Compared:

* hello: line by line (deterministic), after replacing the host name hello_other
  reports, which is the machine's own in either world;
* master1: as a sorted multiset of lines, since the results arrive in whatever order the
  slaves finish (on the real PVM as on the cluster).

Both worlds have one host (the cluster ``solo``), so master1 spawns 3 slaves in each and
task ids agree (t40001, t40002, ...). The cluster runs on mixed hosts (pair, and mixed64 with
its LP64 hosts) are checked on their own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.cluster.run import run_program
from testbed.cluster.topology import cluster

EXAMPLES = Path("/usr/share/doc/pvm-examples/examples.tar.gz")
PVM_ROOT = Path("/usr/lib/pvm3")
needs_pvm = pytest.mark.skipif(
    not EXAMPLES.is_file() or shutil.which("pvmd") is None or not Path("/usr/include/pvm3.h").is_file(),
    reason="the real PVM is not installed (apt-get install pvm pvm-dev pvm-examples; scripts/setup.sh does)")

HALT = "#include <pvm3.h>\nint main(void) { pvm_mytid(); return pvm_halt() < 0; }\n"


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pvm-examples")
    with tarfile.open(EXAMPLES) as tar:
        tar.extractall(root, filter="data")
    return root / "examples"


def _native(examples: Path, work: Path, names: list[str]) -> None:
    for name in [*names]:
        subprocess.run(["gcc", "-w", "-o", str(work / name), str(examples / f"{name}.c"), "-lpvm3"],
                       check=True, capture_output=True)
    (work / "halt.c").write_text(HALT)
    subprocess.run(["gcc", "-o", str(work / "halt"), str(work / "halt.c"), "-lpvm3"], check=True, capture_output=True)


@pytest.fixture(scope="module")
def real_pvm(examples: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A real pvmd whose executable path is a directory of native builds; halted after."""
    work = tmp_path_factory.mktemp("pvm-native")
    _native(examples, work, ["hello", "hello_other", "master1", "slave1"])
    (work / "tmp").mkdir()
    hostname = subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()
    (work / "hostfile").write_text(f"* ep={work} wd={work}\n{hostname}\n")
    env = {**os.environ, "PVM_ROOT": str(PVM_ROOT), "PVM_ALLOW_ROOT": "1", "PVM_TMP": str(work / "tmp")}
    daemon = subprocess.Popen(["pvmd", str(work / "hostfile")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=env, text=True)
    try:
        assert daemon.stdout is not None
        daemon.stdout.readline()  # pvmd prints its address file once it accepts tasks
        yield work, env
    finally:
        subprocess.run([str(work / "halt")], env=env, capture_output=True, timeout=20)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def _run_native(real_pvm: tuple[Path, dict[str, str]], name: str) -> str:
    work, env = real_pvm
    return subprocess.run([str(work / name)], env=env, capture_output=True, text=True, timeout=60,
                          cwd=work, check=True).stdout


def _without_host(text: str, host: str) -> str:
    return re.sub(rf"hello, world from {re.escape(host)}$", "hello, world from HOST", text, flags=re.MULTILINE)


@needs_pvm
def test_hello_matches_the_real_pvm_line_by_line(examples: Path, real_pvm: tuple[Path, dict[str, str]]) -> None:
    ours = run_program(str(examples / "hello.c"), cluster("solo"))
    hostname = subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()
    native = _run_native(real_pvm, "hello")
    assert native.startswith("i'm t40001\nfrom t40002: hello, world from")
    assert _without_host(ours.output, "dec1").splitlines() == _without_host(native, hostname).splitlines()


@needs_pvm
def test_master1_matches_the_real_pvm_as_a_multiset(examples: Path, real_pvm: tuple[Path, dict[str, str]]) -> None:
    ours = run_program(str(examples / "master1.c"), cluster("solo"))
    native = _run_native(real_pvm, "master1")
    assert len(native.splitlines()) == 4  # "Spawning 3 worker tasks ... SUCCESSFUL" and 3 results
    assert sorted(ours.output.splitlines()) == sorted(native.splitlines())


@needs_pvm
@pytest.mark.parametrize("name", ["pair", "mixed64"])  # mixed64: LP64 and ILP32 hosts, both byte orders
def test_master1_on_mixed_hosts_gets_what_it_expects(examples: Path, name: str) -> None:
    ours = run_program(str(examples / "master1.c"), cluster(name))
    workers = 3 * len(cluster(name).hosts)  # master1 starts three per host
    lines = ours.output.splitlines()
    assert lines[0] == f"Spawning {workers} worker tasks ... SUCCESSFUL" and len(lines) == workers + 1
    for line in lines[1:]:
        got, expected = re.fullmatch(r"I got (\S+) from \d+; \(expecting (\S+)\)", line).groups()  # type: ignore[union-attr]
        assert got == expected


@needs_pvm
def test_hello_from_an_lp64_host(examples: Path) -> None:
    ours = run_program(str(examples / "hello.c"), cluster("mixed64"))  # on rpi1 (aarch64); hello_other on ss1
    assert ours.output == "i'm t40001\nfrom t80001: hello, world from ss1\n" and ours.errors == ""


REAL_HEADER = Path("/usr/include/pvm3.h")


@pytest.mark.skipif(not REAL_HEADER.is_file(), reason="pvm-dev is not installed")
def test_every_constant_and_prototype_matches_the_real_header() -> None:
    from testbed.cluster.pvm3 import PVM, PVM3_HEADER

    real = dict(re.findall(r"^#define\s+(\w+)\s+(-?\d+)\b", REAL_HEADER.read_text(), re.MULTILINE))
    assert PVM and all(int(real[name]) == value for name, value in PVM.items()), \
        {n: (v, real.get(n)) for n, v in PVM.items() if real.get(n) != str(v)}

    def prototypes(text: str) -> dict[str, str]:
        text = re.sub(r"__ProtoGlarp__\(\((.*?)\)\)", r"(\1)", text, flags=re.DOTALL)
        found = re.findall(r"^int\s+(pvm_\w+)\s*\((.*?)\)\s*;", text, re.MULTILINE | re.DOTALL)
        return {name: re.sub(r"\s+", "", args) for name, args in found}

    ours, theirs = prototypes(PVM3_HEADER.read_text()), prototypes(REAL_HEADER.read_text())
    assert len(ours) > 40 and all(theirs[name] == args for name, args in ours.items()), \
        {n: (a, theirs.get(n)) for n, a in ours.items() if theirs.get(n) != a}
