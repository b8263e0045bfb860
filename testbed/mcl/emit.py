"""Emission: the C code of poll-points, call sites, returns that release stack blocks,
function prologues (registration and the rewind dispatch) and the record/restore of the
live variables."""

from __future__ import annotations

import copy

from pycparser import c_ast

from testbed.mcl.ctype import Array, Pointer, Prim, VarArray
from testbed.mcl.nodes import (
    INDIRECT,
    Function,
    Marks,
    Raw,
    Site,
    SiteMark,
    Var,
    declare,
    gen,
    is_pure,
    is_void,
    replace_child,
    type_id,
)
from testbed.mcl.resolve import TypeResolver

# How a scalar local travels in a frame record (mig_rec_<kind> / mig_ld_<kind>): longs
# and the 64-bit integers as int64, whatever the ISA's width of long.
SCALAR_RECORD = {"U32": "u32", "I64": "i64", "U64": "i64", "IL": "i64", "UL": "i64", "F32": "f32", "F64": "f64"}


def block_address(v: Var) -> str:
    """The address of a stack block's first element (separated blocks: in their wrapper)."""
    place = v.place or v.name
    return place if isinstance(v.ctype, Array | VarArray) else f"&{place}"


class Emitter:
    """Replaces the marks the rewrite left in a function (``emit_sites``) with C, and
    writes its prologue (``prologue``)."""

    def __init__(self, defs: dict[str, c_ast.FuncDef], marks: Marks, resolver: TypeResolver) -> None:
        self.defs = defs
        self.marks = marks
        self.resolver = resolver

    def _record(self, fn: Function, names: list[str]) -> list[str]:
        lines = [f"mig_rec_ptr({block_address(v)}, {type_id(v.elem)});" for v in fn.blocks]
        for name in names:
            v = fn.vars[name]
            lines.append(self._rec_one(v))
        return lines

    def _rec_one(self, v: Var) -> str:
        t = v.ctype
        if v.role == "pointer":
            assert isinstance(t, Pointer)
            return f"mig_rec_ptr({v.name}, {type_id(t.target)});"
        if v.role == "value":
            return f"mig_rec_obj(&{v.name}, {type_id(t)}, 1u);"
        if v.role == "func":
            return f"mig_rec_func((mig_func_t){v.name});"
        assert isinstance(t, Prim)
        kind = SCALAR_RECORD.get(t.prim, "i32")
        cast = "(long long)" if kind == "i64" else ""
        return f"mig_rec_{kind}({cast}{v.name});"

    def _restore(self, fn: Function, names: list[str]) -> list[str]:
        lines = ["(void)mig_ld_ptr();" for _ in fn.blocks]  # restored in place, as blocks
        for name in names:
            v = fn.vars[name]
            t = v.ctype
            if v.role == "pointer":
                lines.append(f"{name} = mig_ld_ptr();")
            elif v.role == "value":
                lines.append(f"mig_ld_obj(&{name}, {type_id(t)}, 1u);")
            elif v.role == "func":
                lines.append(f"{name} = (__typeof__({name}))mig_ld_func();")
            else:
                assert isinstance(t, Prim)
                kind = SCALAR_RECORD.get(t.prim, "i32")
                lines.append(f"{name} = mig_ld_{kind}();")
        return lines

    def _leave(self, fn: Function) -> str:
        if fn.name == "main":
            return "if (mig_collect())\n        goto __mcl_dispatch;\n    return 0;"
        release = f"mig_release_stack({len(fn.blocks)}u);\n    " if fn.blocks else ""
        ret = fn.node.decl.type.type
        if is_void(ret):
            return release + "return;"
        if isinstance(self.resolver.resolve(ret), Prim | Pointer):
            return release + "return 0;"
        # a struct, also through a typedef: the caller is unwinding and ignores the value
        return release + "{ static " + declare(ret, "__mcl_z") + "; return __mcl_z; }"

    def emit_sites(self, fn: Function, node: c_ast.Node) -> None:
        # A site's code is several statements: where C allows only one (the branch of an
        # unbraced if, a loop body, a label's statement) it must become one block, or
        # only its first statement would stay under the if.
        single = not isinstance(node, c_ast.Compound | c_ast.Case | c_ast.Default)
        for name, child in list(node.children()):
            if isinstance(child, SiteMark):
                replace_child(node, name, Raw(_one_statement(self._poll_code(fn, child.site), single)))
                continue
            call = self.marks.call_at.get(child)
            if call is not None:
                replace_child(node, name, Raw(_one_statement(self._call_code(fn, child, *call), single)))
                continue
            if child in self.marks.release_at:
                replace_child(node, name, Raw(self._return_code(fn, child)))
                continue
            self.emit_sites(fn, child)

    def _poll_code(self, fn: Function, site: Site) -> str:
        restore = "\n        ".join(self._restore(fn, site.live))
        record = "\n        ".join(self._record(fn, site.live))
        return (f"/* MCL poll-point {site.id} ({site.reason}, {site.coord}); live: {', '.join(site.live) or '-'} */\n"
                f"    if (0) {{\n    __mcl_r{site.id}:\n        {restore}\n        mig_rewind_done();\n    }}\n"
                f"    if (__builtin_expect(MIG_POLL(), 0)) {{\n{self._entry_dispatch(fn, site)}        mig_unwind_begin();\n        mig_frame_push({fn.fid}, {site.id});\n"
                f"        {record}\n        {self._leave(fn)}\n    }}")

    def _entry_dispatch(self, fn: Function, site: Site) -> str:
        if self.marks.entry_poll.get(fn.name) is not site:
            return ""
        return (f"        if (mig_mode == MIG_REWINDING) {{\n            mig_control.countdown = 1;\n"
                f"            {self._dispatch(fn)}\n        }}\n")

    def _call_code(self, fn: Function, stmt: c_ast.Node, site: Site, call: c_ast.FuncCall, form: str) -> str:
        restore = "\n        ".join(self._restore(fn, site.live))
        record = "\n        ".join(self._record(fn, site.live))
        hoisted = _evaluate_once(call, site.id)
        call_text = gen(call)
        indirect = site.reason == INDIRECT
        if indirect:  # a used result is not void; `return fp();` is void in a void function
            void = form == "call" or (form == "return" and is_void(fn.node.decl.type.type))
        else:
            void = is_void(self.defs[call.name.name].decl.type.type)
        if form == "call" or void:
            invoke = f"{call_text};"
        else:
            invoke = f"__mcl_t{site.id} = {call_text};"
        # through a pointer: the restored pointer must name the next frame's function
        # (checked before the call when the callee is free of side effects), and the
        # callee must have taken that frame (a function without frames returns still
        # rewinding); either mismatch is the stream's call chain not matching
        check_callee = f"\n        mig_indirect_callee((mig_func_t)({gen(call.name)}));" if (
            indirect and is_pure(call.name)) else ""
        unwinding = "mig_mode == MIG_UNWINDING"
        returned = ""
        if indirect:
            unwinding = "mig_mode != MIG_NORMAL"
            returned = "\n        mig_indirect_returned();"
        after = ""
        if form == "assign":
            after = f"\n    {gen(stmt.lvalue)} = __mcl_t{site.id};"
        elif form == "decl":
            after = f"\n    {stmt.name} = __mcl_t{site.id};"
        elif form == "return":
            release = f"mig_release_stack({len(fn.blocks)}u);\n    " if fn.blocks and fn.name != "main" else ""
            after = f"\n    {release}return{'' if void else f' __mcl_t{site.id}'};"
        decl = ""
        if form == "decl":  # the declaration stays, the call becomes its assignment
            d = copy.deepcopy(stmt)
            d.init = None
            decl = gen(d) + ";\n    "
        # read only by the arguments, which are evaluated again: give them a defined value
        zero = "".join(f"\n        memset(&{v}, 0, sizeof {v});" if fn.vars[v].role == "value" else f"\n        {v} = 0;"
                       for v in site.zero)
        code = (f"/* MCL call site {site.id} ({site.reason}, {site.coord}); live: {', '.join(site.live) or '-'} */\n"
                f"    if (0) {{\n    __mcl_r{site.id}:\n        {restore}{zero}{check_callee}\n    }}\n"
                f"    {invoke}\n"
                f"    if (__builtin_expect({unwinding}, 0)) {{{returned}\n        mig_frame_push({fn.fid}, {site.id});\n"
                f"        {record}\n        {self._leave(fn)}\n    }}{after}")
        if indirect and not void:  # its temporary, of the call's type, in a block of its own
            code = f"{{\n    __typeof__({call_text}) __mcl_t{site.id};\n    {code}\n    }}"
        if hoisted:  # before the resume label, in a block of their own
            code = f"{{\n    {hoisted}{code}\n    }}"
        return decl + code

    def _return_code(self, fn: Function, ret: c_ast.Return) -> str:
        release = f"mig_release_stack({len(fn.blocks)}u);"
        if ret.expr is None:
            return f"{{\n        {release}\n        return;\n    }}"
        return (f"{{\n        {declare(fn.node.decl.type.type, '__mcl_rv')} = {gen(ret.expr)};\n"
                f"        {release}\n        return __mcl_rv;\n    }}")

    def prologue(self, fn: Function) -> list[c_ast.Node]:
        lines: list[str] = []
        if fn.name == "main":
            lines.append("mig_register_globals();")
        for v in fn.blocks:
            lines.append(f"mig_register_stack({block_address(v)}, {type_id(v.elem)}, {v.count});")
        dispatch = self._dispatch(fn)
        if fn.name == "main":
            lines.append(f"if (mig_start()) {{\n    __mcl_dispatch:\n        {dispatch}\n    }}")
        elif self.marks.entry_poll.get(fn.name) is None:
            lines.append(f"if (__builtin_expect(mig_mode == MIG_REWINDING, 0)) {{\n        {dispatch}\n    }}")
        # else: the entry poll-point dispatches (the runtime holds the countdown at 1
        # while rewinding), which saves a check on every call of a recursive function
        return [Raw("/* MCL prologue */\n    " + "\n    ".join(lines))]

    def _dispatch(self, fn: Function) -> str:
        cases = " ".join(f"case {s.id}: goto __mcl_r{s.id};" for s in fn.sites)
        return (f"switch (mig_frame_pop({fn.fid})) {{ {cases} default: "
                f"rt_panic(\"MCL: no such site in {fn.name}\"); }}")


def _evaluate_once(call: c_ast.FuncCall, site_id: int) -> str:
    """Declarations that evaluate the call's impure arguments (and an impure callee
    expression) once, before the resume label; the call then reads them. A resumed call
    jumps to the label and passes whatever they hold, which the callee, restoring its
    own parameters, never reads: evaluated again there, ``f(--b)`` or ``f(next_id())``
    would change ``b`` or the counter a second time."""
    parts: list[str] = []
    exprs = call.args.exprs if call.args is not None else []
    for k, arg in enumerate(exprs):
        if not is_pure(arg):
            name = f"__mcl_a{site_id}_{k}"
            parts.append(f"__auto_type {name} = ({gen(arg)});")
            exprs[k] = c_ast.ID(name, arg.coord)
    if not isinstance(call.name, c_ast.ID) and not is_pure(call.name):
        parts.append(f"__auto_type __mcl_f{site_id} = ({gen(call.name)});")
        call.name = c_ast.ID(f"__mcl_f{site_id}", call.name.coord)
    return "".join(f"{p}\n    " for p in parts)


def _one_statement(code: str, single: bool) -> str:
    return f"{{\n    {code}\n    }}" if single else code
