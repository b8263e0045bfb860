"""PVM task programs: finding ``NAME.c``, building it per ISA with Mlibpvm, placing tasks.

A task spawned by name is the C file ``NAME.c`` in the spawning program's directory, or
in one of the ``--path`` directories, in that order (as the real pvmd searches its
``ep=`` path). Each is built once per ISA, with Mlibpvm (``guests/runtime/pvm/``) linked
in and its headers (``pvm3.h``, ``strings.h``, ``sys/time.h``, ``unistd.h``) on the path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from testbed.build import RUNTIME_DIR, build_program, target
from testbed.cluster import pvm3
from testbed.cluster.topology import Cluster, ClusterHost
from testbed.errors import ConfigError

PVM_STATE = "pvm/pvm_state.c"  # the task state: precompiled with the program in a migratable build
PVM_SOURCES = (PVM_STATE, "pvm/pvm_task.c", "pvm/pvm_buf.c", "pvm/pvm_group.c", "pvm/pvm_libc.c")
PVM_INCLUDE = RUNTIME_DIR / "pvm" / "include"

# PVM's architecture names of the emulated machines (pvm_config's hi_arch, PvmTaskArch),
# as PVM 3.4's pvmgetarch names their systems: Ultrix on a DECstation, SunOS on a SPARC,
# IRIX 5 on an Indy, AIX 4 on a PowerPC, 64-bit IRIX 6 on an Octane, LINUX64 on x86-64
# Linux (Debian's build of 3.4.6: /usr/lib/pvm3/conf/LINUX64.def). PVM 3.4 knows no
# AArch64 or RISC-V Linux: LINUX64 is assumed for them. An arch name only selects hosts.
PVM_ARCH = {"mipsel": "PMAX", "sparc": "SUN4", "mips": "SGI5", "ppc32": "AIX46K", "mips64": "SGI64",
            "aarch64": "LINUX64", "riscv64": "LINUX64", "x86-64": "LINUX64"}



def find_task(name: str, beside: Path, path: Sequence[Path]) -> Path | None:
    """The source of task ``name``: ``NAME.c`` beside ``beside`` or in a ``path`` dir."""
    stem = name[:-2] if name.endswith(".c") else name
    if "/" in stem or not stem:
        candidates = [Path(stem + ".c")]
    else:
        candidates = [d / f"{stem}.c" for d in (beside.parent, *path)]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    return None


def build_task(source: Path, isa: str, extra_flags: tuple[str, ...] = ()) -> Path:
    """The ELF of ``source`` for ``isa`` with Mlibpvm linked in (cached by content)."""
    t = target(isa)
    flags = ("-I", str(PVM_INCLUDE), *extra_flags)
    return build_program(f"pvm-{source.stem}", [source], isa, extra_flags=flags,
                         runtime_sources=(*t.runtime_sources, *PVM_SOURCES)).path


class Placement:
    """Round-robin placement over the cluster's hosts, in the file's order.

    The first task (the one the user starts) runs on the first host; every default spawn
    takes the next host after the previous placement, so consecutive spawns spread over
    the cluster and repeat deterministically. ``where`` narrows the candidates to one
    host (``PvmTaskHost``) or one architecture (``PvmTaskArch``, PVM's names)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.next = 0

    def first(self) -> ClusterHost:
        self.next = 1 % len(self.cluster.hosts)
        return self.cluster.hosts[0]

    def choose(self, flag: int, where: str) -> ClusterHost:
        hosts = self.cluster.hosts
        if flag & pvm3.TASK_HOST and where:
            return self.cluster.host(where)
        candidates = list(range(len(hosts)))
        if flag & pvm3.TASK_ARCH and where:
            candidates = [i for i in candidates if PVM_ARCH.get(hosts[i].isa) == where]
            if not candidates:
                arches = sorted({PVM_ARCH[h.isa] for h in hosts})
                raise ConfigError(f"pvm_spawn: no host of architecture {where!r} in cluster "
                                  f"{self.cluster.name!r}; valid: {', '.join(arches)}")
        n = len(hosts)
        for step in range(n):
            i = (self.next + step) % n
            if i in candidates:
                self.next = (i + 1) % n
                return hosts[i]
        raise AssertionError("unreachable: candidates is not empty")
