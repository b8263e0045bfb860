"""Migratable PVM tasks (MpPVM): the program and Mlibpvm's task state precompiled as one.

A PVM program's state is not only its own: its message buffers (the active send buffer
with what is packed so far, received messages not yet unpacked, the read position), its
cached tid and its options are Mlibpvm's globals and heap blocks. So that they travel in
the one stream, in the portable encoding and validated like the program's data, the
precompiler sees them as part of the program: the translation unit it precompiles is the
program followed by ``guests/runtime/pvm/pvm_state.c`` (named ``<mlibpvm>/pvm_state.c`` in
its line markers, so it counts as program text, not as a runtime header). The rest of
Mlibpvm (packing, sending, spawning, groups) holds no state and is linked as runtime.
Because pvm_state.c's ``pvm_recv`` contains a poll-point, every blocking receive is a
poll-point and every function that calls it becomes migratable through its call sites.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from testbed.build import BUILD_DIR, RUNTIME_DIR, build_program, runtime_flags, target
from testbed.build.atomic import write_atomic
from testbed.build.migratable import migratable_source, site_table, type_table
from testbed.cluster.programs import PVM_INCLUDE, PVM_SOURCES, PVM_STATE

STATE_NAME = "<mlibpvm>/pvm_state.c"  # "<...>": program text to the precompiler (cparse.is_runtime_file)
_INTERNAL = '#include "pvm_internal.h"'


def combined_source(source: Path) -> Path:
    """The program followed by Mlibpvm's state, as one C file (written once per content)."""
    source = Path(source).resolve()
    state = (RUNTIME_DIR / PVM_STATE).read_text().replace(_INTERNAL, '#include "pvm/pvm_internal.h"')
    text = f'#line 1 "{source}"\n{source.read_text()}\n#line 1 "{STATE_NAME}"\n{state}'
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    out = BUILD_DIR / "generated" / "mppvm" / f"{source.stem}-{digest}.c"
    if not out.is_file():
        write_atomic(out, text)
    return out


def _unit(source: Path) -> Path:
    """The precompiled unit with Mlibpvm's internal header in front (the precompiler emits
    only program text; pvm_state.c's struct and the PVM declarations come from there)."""
    generated = migratable_source(str(combined_source(source)))
    out = generated.with_name(generated.stem + "-pvm.c")
    if not out.is_file():
        text = generated.read_text().replace('#include "mig.h"\n', '#include "mig.h"\n#include "pvm/pvm_internal.h"\n', 1)
        write_atomic(out, text)
    return out


def build_migratable_task(source: Path, isa: str, runtime: str = "modern") -> Path:
    """The migratable ELF of PVM program ``source`` for ``isa`` (cached by content)."""
    t = target(isa)
    stateless = tuple(s for s in PVM_SOURCES if s != PVM_STATE)
    return build_program(f"pvm-{Path(source).stem}-mig", [_unit(source), RUNTIME_DIR / "mig.c"], isa,
                         extra_flags=("-I", str(PVM_INCLUDE), *runtime_flags(runtime)),
                         runtime_sources=(*t.runtime_sources, *stateless)).path


def task_sites(source: Path) -> dict[str, dict]:
    """The site table of the migratable task (poll-points and call sites)."""
    return site_table(str(combined_source(source)))


def task_types(source: Path) -> list[dict]:
    """The portable type table of the migratable task (for the host-side stream walker)."""
    return type_table(str(combined_source(source)))
