"""Build a program with the migration runtime: program + Type-Information table + mig.c.

The migratable translation unit (testbed.mcl.unit) is generated into the build directory,
named by a hash of the program and of everything that shapes the generated code (the
headers it includes, the runtime's headers, the MCL tools), beside its Type-Information and site tables as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from testbed.build import (
    BUILD_DIR,
    INCLUDE_DIR,
    RUNTIME_DIR,
    Build,
    build_program,
    deps,
    runtime_flags,
)
from testbed.build.atomic import write_atomic
from testbed.build.preprocess import dependencies, parse_program, require_same_text_on_every_isa
from testbed.errors import ConfigError
from testbed.mcl.precompiler import DEFAULT_MAX_COST
from testbed.mcl.unit import Generated, migratable_unit
from testbed.programs import program


def _inputs_key(text: str) -> str:
    h = hashlib.sha256(text.encode())
    here = Path(__file__).resolve().parent
    tools = [Path(__file__), here / "preprocess.py", *sorted((here.parent / "mcl").glob("*.py"))]
    for path in [*sorted(INCLUDE_DIR.glob("*.h")), RUNTIME_DIR / "mig.h", *tools]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# The poll-point bound of the builds (testbed conformance lowers it so that the small
# programs of a test suite get poll-points); part of every generated unit's key.
MAX_COST_ENV = "TESTBED_MCL_MAX_COST"


def build_max_cost() -> int:
    return int(os.environ.get(MAX_COST_ENV, DEFAULT_MAX_COST))


def generate(source: Path, program_key: str, max_cost: int = DEFAULT_MAX_COST) -> Generated:
    """Precompile the plain C program ``source`` into a migratable translation unit."""
    ast = parse_program(source)
    require_same_text_on_every_isa(source)
    return migratable_unit(ast, source.name, program_key, max_cost)


def migratable_source(name: str, max_cost: int = DEFAULT_MAX_COST) -> Path:
    """The generated translation unit for ``name`` (regenerated when its inputs change)."""
    p = program(name)
    try:
        text = p.source.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:  # the CLI refuses it earlier; conformance comes here
        raise ConfigError(f"{p.source}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                          f"{exc.start}): save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    # the precompiler's bound: an explicit one, else the environment's (conformance), else the
    # default; a non-default bound is an input too (the default keeps the keys it always had)
    max_cost = max_cost if max_cost != DEFAULT_MAX_COST else build_max_cost()
    bound = "" if max_cost == DEFAULT_MAX_COST else f"\0max_cost={max_cost}"
    base = _inputs_key(f"{p.source.resolve()}\0{text}{bound}")  # the path: #line names it, headers are found from it
    manifest = BUILD_DIR / "generated" / "deps" / f"{p.name}-mig-{base}.deps"
    key = deps.cached_key(base, manifest)
    if key is not None and (BUILD_DIR / "generated" / f"{p.name}-mig-{key}.c").is_file():
        return BUILD_DIR / "generated" / f"{p.name}-mig-{key}.c"
    read = dependencies(p.source)  # the program's own headers shape the unit too
    deps.save_manifest(manifest, read)
    key = deps.files_key(base, read)
    out = BUILD_DIR / "generated" / f"{p.name}-mig-{key}.c"
    if out.is_file():
        return out
    # The fingerprint names the program and its sources' contents, not the checkout's path:
    # a stream saved in one clone restores in another clone of the same sources.
    g = generate(p.source, program_key=f"{p.name}:{deps.contents_key(_inputs_key(text + bound), read)}",
                 max_cost=max_cost)  # another bound places other sites: another fingerprint
    portable = [
        {"id": e.id, "name": e.name, "kind": e.kind, "prim": e.prim, "target": e.target, "count": e.count,
         "leaves": e.leaves, "fields": [f.type for f in e.fields]}
        for e in g.ti.types
    ]
    # the tables first, the unit last: its presence says the set is complete
    write_atomic(out.with_suffix(".ti.json"), json.dumps({"fingerprint": g.ti.fingerprint, "types": portable}))
    sites = {f"{fn.fid}:{site.id}": {"function": fn.name, "kind": site.kind, "where": site.coord,
                                      "reason": site.reason, "live": site.live, "blocks": len(fn.blocks)}
             for fn in g.plan.functions.values() for site in fn.sites}
    write_atomic(out.with_suffix(".sites.json"), json.dumps(sites, indent=1))
    write_atomic(out, g.unit)
    return out


def site_table(name: str, max_cost: int = DEFAULT_MAX_COST) -> dict[str, dict]:
    """Every migration site of the program: "function id:site id" -> where, kind, live variables."""
    return json.loads(migratable_source(name, max_cost).with_suffix(".sites.json").read_text())


def type_table(name: str, max_cost: int = DEFAULT_MAX_COST) -> list[dict]:
    """The portable description of the program's types (what the stream walker needs)."""
    return json.loads(migratable_source(name, max_cost).with_suffix(".ti.json").read_text())["types"]


def build_migratable(name: str, target: str, runtime: str = "modern", max_cost: int = DEFAULT_MAX_COST) -> Build:
    """The migratable executable of program ``name`` for ``target`` with the chosen runtime
    (``max_cost``: the precompiler's bound on estimated instructions between poll-points)."""
    return build_program(f"{program(name).name}-mig", [migratable_source(name, max_cost), RUNTIME_DIR / "mig.c"],
                         target, extra_flags=runtime_flags(runtime))
