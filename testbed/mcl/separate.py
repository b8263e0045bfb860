"""Stack blocks that never abut: a one-past-the-end pointer must name its own block.

C allows a pointer one past the end of an array (``end = a + 8``), and gcc may place
the next local array exactly there (it does on sparc). At collection the runtime sees
only an address: ``a + 8`` and ``&b[0]`` are the same bytes, so the pointer would travel
as a pointer into ``b`` and be restored there (a wrong answer after a migration, or a
failed round trip). The precompiler removes the ambiguity at its source: every stack
block of fixed size becomes the first member of a wrapper that ends in a byte of its own,

    int a[8];   ->   struct { int v[8]; char __mcl_gap; } __mcl_sb_a;

and every use of ``a`` in the function becomes ``__mcl_sb_a.v`` (same type, same
``sizeof``, same address arithmetic). One past ``a``'s end is then the gap byte, inside
no other block, and the runtime accepts it as the end of ``a``
(docs/stream-format.md: its leaf ordinal is the element count x leaves per element).

The rewrite happens after the analysis, on the AST nodes' classes only (nodes.BlockRef,
nodes.SeparatedDecl): the Type-Information walk still sees ``int a[8]``, so the table
and the streams are those of the unseparated program. A variable-length array cannot
be a struct member and stays as it is (docs/mcl.md says what that leaves).
"""

from __future__ import annotations

from pycparser import c_ast

from testbed.mcl.ctype import Array, VarArray
from testbed.mcl.nodes import BlockRef, Function, SeparatedDecl, block_place, call_name, walk


def separate_stack_blocks(fn: Function) -> None:
    """Wrap every fixed-size stack block of ``fn`` and point its uses at the wrapper."""
    names = {v.name for v in fn.blocks if not isinstance(v.ctype, VarArray)}
    if not names:
        return
    for v in fn.blocks:
        if v.name in names:
            v.place = block_place(v.name)
    for item in fn.node.body.block_items or []:
        if isinstance(item, c_ast.Decl) and item.name in names:
            var = fn.vars[item.name]
            array = item.type
            if isinstance(array, c_ast.ArrayDecl) and array.dim is None and isinstance(var.ctype, Array):
                # `char s[] = "abc"`: a struct member needs its size spelled out
                array.dim = c_ast.Constant("int", str(var.ctype.count))
            item.storage = [s for s in item.storage if s != "register"]
            item.__class__ = SeparatedDecl
    for node in _uses(fn.node.body):
        if node.name in names:
            node.__class__ = BlockRef


def _uses(body: c_ast.Node) -> list[c_ast.ID]:
    """The identifiers of ``body`` that name variables: not a member after `.`/`->`, not a
    designator of an initialiser (no local is declared twice in a migratable function,
    so a variable's name means that variable everywhere in it)."""
    members = set()
    for node in walk(body):
        if isinstance(node, c_ast.StructRef):
            members.add(id(node.field))
        elif isinstance(node, c_ast.NamedInitializer):
            members.update(id(n) for n in node.name)
        elif call_name(node) in ("offsetof", "__builtin_offsetof") and node.args is not None:
            members.update(id(n) for arg in node.args.exprs[1:] for n in walk(arg))
    return [n for n in walk(body) if type(n) is c_ast.ID and id(n) not in members]
