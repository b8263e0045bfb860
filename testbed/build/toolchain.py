"""Compilers and flags for each build target: the emulated ISAs and the host.

The flags are those verified to run under unicorn 2.1.4 with Debian 12's gcc 12 cross
compilers; every target builds the same freestanding C with the same runtime, so output
is byte-identical between them.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from testbed.errors import ToolchainError, unknown_name

TEXT_BASE = 0x0040_0000  # first loadable segment of both guests (-Ttext-segment: --section-start=.text collides with .MIPS.abiflags)

# Flags shared by every target: no C library, no builtin rewrites (printf -> puts), no
# fused multiply-add contraction, so floating point is bit-identical across machines.
COMMON_CFLAGS = (
    "-std=gnu99", "-O2", "-ffreestanding", "-fno-builtin", "-ffp-contract=off",
    "-fno-strict-aliasing", "-fno-stack-protector", "-Wall", "-Wno-unused-function",
)


# An x86 host computes doubles in SSE2 registers, never in the x87's 80-bit ones (whose
# excess precision would change results); x86-64 does by default, this makes it explicit.
_HOST_FP_FLAGS = ("-msse2", "-mfpmath=sse") if platform.machine() in ("x86_64", "AMD64", "i386", "i686") else ()

# The runtime's C library beyond rt_libc.c: libm, stdlib, string, ctype, time, and the
# sparc long double helpers (empty elsewhere). The same code on every target.
LIBC_SOURCES = (
    "rt_math.c", "rt_explog.c", "rt_trig.c", "rt_atrig.c", "rt_mathf.c",
    "rt_stdlib.c", "rt_string.c", "rt_ctype.c", "rt_time.c", "rt_softquad.c",
)


@dataclass(frozen=True)
class Target:
    """One build target: its compiler, flags and the Debian packages that provide it."""

    name: str
    compiler: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    packages: tuple[str, ...]
    emulated: bool
    big_endian: bool = False

    def require(self) -> str:
        """The compiler's full path, or a ToolchainError saying how to install it."""
        path = shutil.which(self.compiler)
        if path is None:
            raise ToolchainError(
                f"the {self.name} compiler {self.compiler!r} is not installed; install it with "
                f"`apt-get install {' '.join(self.packages)}` (or run `make setup`)"
            )
        return path

    @property
    def runtime_sources(self) -> tuple[str, ...]:
        common = ("rt_printf.c", "rt_libc.c", "rt_alloc.c", *LIBC_SOURCES)
        return common + (("rt_guest.c", "rt_int64.c") if self.emulated else ("rt_host.c",))


TARGETS: dict[str, Target] = {
    "mipsel": Target(
        name="mipsel",
        compiler="mipsel-linux-gnu-gcc",
        # -G 8: small globals are $gp-relative (one load), as on the DECstation's
        # compilers; _start sets $gp (rt_guest.c).
        cflags=COMMON_CFLAGS + ("-march=mips1", "-mfp32", "-mno-abicalls", "-fno-pic", "-G8"),
        ldflags=("-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-mipsel-linux-gnu",),
        emulated=True,
    ),
    "mips": Target(
        name="mips",
        compiler="mips-linux-gnu-gcc",
        # mipsel's flags (gp-relative small data included); Debian's mips-linux-gnu
        # compiler defaults to big-endian o32
        cflags=COMMON_CFLAGS + ("-EB", "-march=mips1", "-mfp32", "-mno-abicalls", "-fno-pic", "-G8"),
        ldflags=("-EB", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-mips-linux-gnu",),
        emulated=True,
        big_endian=True,
    ),
    "sparc": Target(
        name="sparc",
        compiler="sparc64-linux-gnu-gcc",
        cflags=COMMON_CFLAGS + ("-m32", "-mcpu=v8", "-mflat", "-fno-pic", "-fno-pie"),
        ldflags=("-m32", "-no-pie", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-sparc64-linux-gnu", "gcc-12-multilib-sparc64-linux-gnu"),
        emulated=True,
        big_endian=True,
    ),
    "ppc32": Target(
        name="ppc32",
        compiler="powerpc-linux-gnu-gcc",
        # -msdata=none: no r13-relative small data, so _start sets up nothing but r1
        cflags=COMMON_CFLAGS + ("-mcpu=604", "-mbig-endian", "-mhard-float", "-msdata=none",
                                "-fno-pic", "-fno-pie"),
        ldflags=("-no-pie", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-powerpc-linux-gnu",),
        emulated=True,
        big_endian=True,
    ),
    "aarch64": Target(
        name="aarch64",
        compiler="aarch64-linux-gnu-gcc",
        # LP64; the small code model (adrp + add) reaches the whole sub-2 GiB guest map;
        # no outline atomics (they call libgcc helpers the freestanding link lacks)
        cflags=COMMON_CFLAGS + ("-mcpu=cortex-a72", "-mlittle-endian", "-mcmodel=small",
                                "-mno-outline-atomics", "-fno-pic", "-fno-pie"),
        ldflags=("-no-pie", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-aarch64-linux-gnu",),
        emulated=True,
    ),
    "riscv64": Target(
        name="riscv64",
        compiler="riscv64-linux-gnu-gcc",
        # rv64g without the compressed extension: every instruction is 4 bytes, so the
        # block counter's size / 4 is the exact instruction count (the U74 runs both).
        # _start sets gp for the linker's gp-relative relaxation (rt_guest.c).
        cflags=COMMON_CFLAGS + ("-march=rv64g", "-mabi=lp64d", "-mcmodel=medany", "-fno-pic", "-fno-pie"),
        ldflags=("-march=rv64g", "-mabi=lp64d", "-no-pie", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-riscv64-linux-gnu",),
        emulated=True,
    ),
    "x86-64": Target(
        name="x86-64",
        compiler="gcc",
        # The host compiler, freestanding: no red zone below %rsp (the host's hypercall
        # handling never touches the guest stack, but the runtime's own asm must not be
        # clobbered by it either), SSE2 doubles as on the host, no PIE. RT_GUEST_X86_64
        # tells the runtime it is the emulated x86-64, not the native host build.
        cflags=COMMON_CFLAGS + ("-m64", "-mno-red-zone", "-msse2", "-mfpmath=sse", "-fno-pic", "-fno-pie",
                                "-DRT_GUEST_X86_64"),
        ldflags=("-m64", "-no-pie", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc",),
        emulated=True,
    ),
    "mips64": Target(
        name="mips64",
        compiler="mips64-linux-gnuabi64-gcc",
        # n64 for the R10000 (MIPS IV) with 32-bit symbols (-msym32): addresses load in two instructions as on
        # o32; no abicalls/PIC; -G8 small data from $gp as on mips and mipsel.
        cflags=COMMON_CFLAGS + ("-EB", "-mabi=64", "-march=r10000", "-mno-abicalls", "-msym32",
                                "-fno-pic", "-G8"),
        ldflags=("-EB", "-mabi=64", "-nostdlib", "-static", "-Wl,-e,_start",
                 f"-Wl,-Ttext-segment={TEXT_BASE:#x}", "-Wl,--build-id=none"),
        packages=("gcc-mips64-linux-gnuabi64",),
        emulated=True,
        big_endian=True,
    ),
    "host": Target(
        name="host",
        compiler="gcc",
        cflags=COMMON_CFLAGS + _HOST_FP_FLAGS,
        ldflags=(),
        packages=("gcc",),
        emulated=False,
    ),
}

ISAS = ("mipsel", "mips", "sparc", "ppc32", "aarch64", "riscv64", "x86-64", "mips64")


def target(name: str) -> Target:
    if name not in TARGETS:
        raise unknown_name("build target", name, list(TARGETS))
    return TARGETS[name]


@cache
def compiler_identity(t: Target) -> str:
    """The compiler's version line: part of every build's cache key."""
    try:
        out = subprocess.run([t.require(), "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"cannot run the {t.name} compiler {t.compiler!r}: {exc}") from None
    return out.stdout.splitlines()[0] if out.stdout else t.compiler


@cache
def compiler_include_dir(t: Target) -> str:
    """The compiler's own freestanding headers (stdarg.h), used with -nostdinc."""
    args = [t.require(), *(("-m32",) if t.name == "sparc" else ()), "-print-file-name=include"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
