"""The registry of guest programs and their problem sizes.

Each program is plain C in guests/programs/NAME.c taking its problem size as argv[1].
Sizes: ``small`` (fast, for tests), ``paper1`` / ``paper2`` (the original measurements'
two sizes), or an explicit positive integer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from testbed import GUESTS_DIR
from testbed.errors import ConfigError

PROGRAM_DIR = GUESTS_DIR / "programs"
SIZE_NAMES = ("small", "paper1", "paper2")


@dataclass(frozen=True)
class Program:
    name: str
    description: str
    size_meaning: str  # what the integer size counts
    sizes: dict[str, int] = field(default_factory=dict)
    path: Path | None = None  # a C file outside the registry

    @property
    def source(self) -> Path:
        return self.path if self.path is not None else PROGRAM_DIR / f"{self.name}.c"

    def size_value(self, size: str | int) -> int:
        """The integer problem size for a size name or an integer (given as int or text)."""
        if isinstance(size, int) or (isinstance(size, str) and size.isdigit()):
            n = int(size)
            if n <= 0:
                raise ConfigError(f"size of {self.name} must be positive, not {n}")
            return n
        if size not in self.sizes:
            raise ConfigError(
                f"unknown size {size!r} for {self.name}; valid sizes: {', '.join(SIZE_NAMES)} "
                f"or a positive integer ({self.size_meaning})"
            )
        return self.sizes[size]

    def argv(self, size: str | int) -> list[str]:
        n = self.size_value(size)
        return [self.name] + ([str(n)] if n else [])  # 0: a C file run without an argument


PROGRAMS: dict[str, Program] = {
    p.name: p
    for p in (
        Program("linpack", "LU factorisation with partial pivoting and solve of Ax=b (dense doubles, "
                "column-major VLAs local to main, no heap)",
                "matrix order n", {"small": 24, "paper1": 200, "paper2": 1000}),
        Program("bitonic", "bitonic sort (Olden bisort) of random keys kept in a binary tree with "
                "one heap allocation per node",
                "number of keys, a power of two", {"small": 256, "paper1": 2048, "paper2": 8192}),
        # paper1/paper2: the data come to 40 B per tree node plus 48 B per lattice node (about
        # n/2 of them), counting pointers as 8 B; 18281 and 50815 nodes give 1,165,664 B and
        # 3,242,464 B against the original 1,165,680 B and 3,242,480 B.
        Program("test_pointer", "synthetic pointer-rich data: a tree with back pointers and a "
                "ring, a DAG with shared nodes, interior pointers, pointers to int arrays",
                "number of tree nodes", {"small": 200, "paper1": 18281, "paper2": 50815}),
        Program("matmul", "blocked matrix multiplication, master handing row blocks to workers",
                "matrix order n", {"small": 32, "paper1": 128, "paper2": 256}),
    )
}


def program(name: str) -> Program:
    """A registered program, or any C file given by its path (its size is argv[1])."""
    if name.endswith(".c"):
        path = Path(name).resolve()
        if not path.is_file():
            raise ConfigError(f"C file {name} does not exist")
        return Program(path.stem, f"C file {path}", "argv[1] (none for named sizes)",
                       {size: 0 for size in SIZE_NAMES}, path)
    if name not in PROGRAMS:
        raise ConfigError(f"unknown program {name!r}; valid programs: {', '.join(sorted(PROGRAMS))} "
                          "(or a path to a .c file)")
    return PROGRAMS[name]
