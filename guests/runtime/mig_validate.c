/* The validator: a dry run over a received stream that writes nothing to the process, so
 * that a damaged, truncated, forged or foreign stream is refused (HC_MIG_ERROR with a
 * code and one message) before restoration touches anything. Part of mig.c's translation
 * unit; docs/stream-format.md ("Validation") lists every check with its message.
 *
 * What it proves, in stream order:
 * - the header: magic, version, flags 0, a known source ISA, fingerprint, payload length,
 *   the binding of this migration, a block count the stream can hold, the CRC-32;
 * - the frames: function and site ids of the program (the precompiler's site table,
 *   mig_sites), main outermost, each call site calling the next frame's function (a call
 *   through a pointer: any function of the function table), a
 *   poll-point innermost; each frame's values of the kinds, types and count its site
 *   declares, its stack blocks pointing at themselves;
 * - every pointer, in a frame, a global root or a block, against its declared type: the
 *   target leaf (interior ordinals included) starts an object of that type, void and byte
 *   pointers excepted; reference ids name a block already in the stream; ordinals lie in
 *   their block; type ids exist; globals and main's stack blocks have the destination's
 *   type and size; global roots name their own global;
 * - at the end: stack-block locators in range, unique, of the type (and fixed size) the
 *   frame declares; the end marker ends the payload; the block count is the header's;
 * - on a destination whose long is 32 bits: every long and word-sized integer (8 bytes in
 *   the stream) fits it, in frames and blocks alike; one that does not is refused naming
 *   where it is, its value and the type (ERR_RANGE): never truncated.
 * The walk is iterative (an explicit work stack in the runtime's heap): a linked list of a
 * million nodes is a million blocks deep and must not overflow the guest's stack.
 */
#include "msr.h"
#include <stdio.h> /* snprintf: the range refusal names the value */

static uint32_t *flat_bytes; /* encoded bytes per object of a pointer-free type */
static uint8_t *flat_longs;  /* a pointer-free type holds a long this machine may not fit
                              * (NULL: this machine's long is 64 bits, or the program has none) */

static MIG_TEXT uint32_t encoded_flat_size(int32_t type)
{
    const struct mig_type *t = &mig_types[type];
    uint32_t f, n = 0;
    if (t->kind == MIG_KIND_PRIM)
        return WIRE_SIZE(t->prim);
    if (t->kind == MIG_KIND_ARRAY)
        return t->count * encoded_flat_size(t->target);
    for (f = 0; f < t->nfields; f++)
        n += encoded_flat_size(t->fields[f].type);
    return n;
}

struct vblock {
    int32_t type;
    uint32_t count;
    uint32_t seg;
    uint32_t locator;
};
static struct vblock *vblocks;
static uint32_t nvblocks, vblocks_cap;
static uint32_t *vstack_ids; /* blocks of the stack segment, checked once the frames are known */
static uint32_t nvstack, vstack_cap;
static uint8_t *vglobal_seen;
static uint32_t vglobal_cap;
static uint8_t *vrodata_seen;

/* The work stack: `n` objects of `type` (-1: n untyped bytes), the first of them from its
 * field `field` on (a struct whose earlier fields are done), in block `block` (-1: a
 * frame's struct variable; for range refusals). Of the block's own elements (`type` is
 * the block's type), the last `n` remain: the first of them is element count - n. */
struct work { /* 12 bytes, as before blocks were tracked: a million nested blocks fit the heap */
    int16_t type;   /* ti.py keeps type ids and field counts below these limits */
    uint16_t field;
    uint32_t n;
    int32_t block;
};
static struct work *work;
static uint32_t nwork, work_cap;

static MIG_TEXT __attribute__((noinline)) void grow_work(void)
{
    reserve(&work, &work_cap, nwork + 1, sizeof(struct work), 256);
}

static inline MIG_TEXT void push_work(int32_t type, uint32_t n, uint32_t field, int32_t block)
{
    if (nwork == work_cap)
        grow_work();
    work[nwork].type = (int16_t)type;
    work[nwork].n = n;
    work[nwork].field = (uint16_t)field;
    work[nwork].block = block;
    nwork++;
}

static MIG_TEXT void refuse(int code, const char *message)
{
    mig_fail(code, message);
}

static MIG_TEXT void skip_bytes(uint32_t n, uint32_t objects);
static MIG_TEXT void refuse(int code, const char *message);

/* ---- word-sized integers on a destination with a 32-bit long ---- */

static MIG_TEXT int holds_long(int32_t type)
{
    const struct mig_type *t = &mig_types[type];
    uint32_t f;
    if (t->kind == MIG_KIND_PRIM)
        return t->prim == MIG_IL || t->prim == MIG_UL;
    if (t->kind == MIG_KIND_ARRAY)
        return holds_long(t->target);
    for (f = 0; f < t->nfields; f++)
        if (holds_long(t->fields[f].type))
            return 1;
    return 0;
}

static const char *const segment_names[] = { "", "global", "stack", "heap" };

/* Where the longs being checked lie, set before each check (on this path only): block
 * (-1: a frame variable), the element the checked objects start at (NO_ELEMENT: inside
 * an element the walk does not count) and the leaves of one element. */
#define NO_ELEMENT 0xffffffffu
static int32_t range_block;
static uint32_t range_element, range_leaves;

static MIG_TEXT void range_at(int32_t block, int32_t type, uint32_t remaining)
{
    range_block = block;
    range_element = block >= 0 && vblocks[block].type == type ? vblocks[block].count - remaining : NO_ELEMENT;
    range_leaves = type >= 0 ? type_leaves(type) : 1;
}

/* The refusal: the value's place (a frame variable, or its block and element; the host
 * adds the variable's or global's name, testbed/migration/host.py), value and type.
 * `leaf` counts the leaves from the start of the checked objects. */
static MIG_TEXT __attribute__((noinline)) void refuse_range(int prim, uint64_t value, uint32_t leaf)
{
    static char message[200];
    char where[96];
    if (range_block < 0) {
        snprintf(where, sizeof where, "a frame variable");
    } else {
        const struct vblock *v = &vblocks[range_block];
        uint32_t element = range_element == NO_ELEMENT ? NO_ELEMENT : range_element + leaf / range_leaves;
        if (element == NO_ELEMENT)
            snprintf(where, sizeof where, "a long inside %s block %u (%s)", segment_names[v->seg],
                     (unsigned)range_block, mig_types[v->type].name);
        else
            snprintf(where, sizeof where, "element %u of %s block %u (%s)", (unsigned)element,
                     segment_names[v->seg], (unsigned)range_block, mig_types[v->type].name);
        collect_function = -1 - (int32_t)v->seg; /* the host names a global from its address */
        collect_site = v->seg == SEG_GLOBAL ? (int32_t)(uintptr_t)B(globals[v->locator])->data : range_block;
        collect_value = (int32_t)element;
    }
    if (prim == MIG_IL)
        snprintf(message, sizeof message, "stream refused: %s holds %lld, which does not fit this machine's "
                 "%d-bit long", where, (long long)value, (int)(8 * sizeof(long)));
    else
        snprintf(message, sizeof message, "stream refused: %s holds %llu, which does not fit this machine's "
                 "%d-bit unsigned long", where, (unsigned long long)value, (int)(8 * sizeof(long)));
    refuse(ERR_RANGE, message);
}

/* Whether this machine's long holds the stream's 8-byte value. */
static inline MIG_TEXT int long_fits(int prim, uint64_t v)
{
    return prim == MIG_IL ? (int64_t)v == (int64_t)(long)(int64_t)v : v == (uint64_t)(unsigned long)v;
}

/* `n` pointer-free objects of `type` that hold longs, leaf by leaf (`leaf` counts from
 * where range_at placed the check); returns the leaf after them. Recursion follows the
 * type's nesting only. */
static MIG_TEXT uint32_t check_flat_longs(int32_t type, uint32_t n, uint32_t leaf)
{
    const struct mig_type *t = &mig_types[type];
    uint32_t f;
    for (; n; n--) {
        if (t->kind == MIG_KIND_PRIM) {
            if (t->prim == MIG_IL || t->prim == MIG_UL) {
                uint64_t v = mig_get_u64();
                if (!long_fits(t->prim, v))
                    refuse_range(t->prim, v, leaf);
            } else {
                skip_bytes(prim_size(t->prim), 1);
            }
            leaf++;
        } else if (t->kind == MIG_KIND_ARRAY) {
            leaf = check_flat_longs(t->target, t->count, leaf);
        } else {
            for (f = 0; f < t->nfields; f++)
                leaf = check_flat_longs(t->fields[f].type, 1, leaf);
        }
    }
    return leaf;
}

static MIG_TEXT void skip_bytes(uint32_t n, uint32_t objects)
{
    /* n bytes per object, `objects` of them, without overflowing 32 bits */
    if (n && objects > (in_end - in_pos) / n)
        refuse(ERR_TRUNCATED, "stream refused: a block's contents run past the end of the stream (truncated)");
    in_pos += n * objects;
}

/* The declared type with its array layers removed: a pointer to int[10] may point at the
 * first of ten ints of a block of int. */
static MIG_TEXT int32_t innermost(int32_t type)
{
    while (type >= 0 && mig_types[type].kind == MIG_KIND_ARRAY)
        type = mig_types[type].target;
    return type;
}

/* Whether objects of types a and b (not the same) may be accessed as each other: an
 * integer type and its signed or unsigned counterpart (C11 6.5p7: `long *` may point at
 * an unsigned long). */
static MIG_TEXT int same_access(int32_t a, int32_t b)
{
    uint8_t pa, pb;
    if (a < 0 || b < 0 || mig_types[a].kind != MIG_KIND_PRIM || mig_types[b].kind != MIG_KIND_PRIM)
        return 0;
    pa = mig_types[a].prim;
    pb = mig_types[b].prim;
    if (pa > pb) {
        uint8_t t = pa;
        pa = pb;
        pb = t;
    }
    /* enum mig_prim lists each signed integer type just before its unsigned one */
    return pb == pa + 1 && (pa == MIG_I8 || pa == MIG_I16 || pa == MIG_I32 || pa == MIG_I64 || pa == MIG_IL);
}

/* Whether the leaf `ordinal` of a block of `count` objects of `type` starts an object of
 * type `declared` (or of its innermost element type). */
static MIG_TEXT int target_has_type(int32_t declared, int32_t type, uint32_t count, uint32_t ordinal)
{
    int32_t inner = innermost(declared);
    uint32_t leaves = type_leaves(type), rem;
    if (type < 0) /* untyped bytes: only a byte pointer may point into them */
        return 0;
    if (ordinal == count * leaves) /* one past the end: typed as the block's elements */
        ordinal = 0;
    rem = ordinal % leaves;
    for (;;) {
        const struct mig_type *t = &mig_types[type];
        if (rem == 0 && (type == declared || type == inner || same_access(type, declared)
                         || same_access(type, inner)))
            return 1;
        if (t->kind == MIG_KIND_ARRAY) {
            uint32_t el = type_leaves(t->target);
            rem -= (rem / el) * el;
            type = t->target;
        } else if (t->kind == MIG_KIND_STRUCT && t->nfields) {
            uint32_t f = t->nfields;
            while (f > 1 && t->fields[f - 1].leaf_start > rem)
                f--;
            if (t->fields[f - 1].bits) /* a bit-field has no address: nothing points at it */
                return 0;
            rem -= t->fields[f - 1].leaf_start;
            type = t->fields[f - 1].type;
        } else {
            return 0;
        }
    }
}

static MIG_TEXT void check_target(int32_t declared, uint32_t id, uint32_t ordinal)
{
    const struct vblock *v = &vblocks[id];
    uint32_t leaves = type_leaves(v->type);
    if (ordinal > v->count * leaves) /* no overflow: bounded when the block arrived */
        refuse(ERR_OFFSET, "stream refused: a pointer's element offset lies outside its block");
    if (declared < 0) /* void * */
        return;
    if ((v->type == declared || same_access(v->type, declared)) && (leaves == 1 || ordinal % leaves == 0))
        return; /* the common case: the start of an element of the declared type */
    if (mig_types[declared].kind == MIG_KIND_PRIM && prim_size(mig_types[declared].prim) == 1)
        return; /* a byte pointer may point anywhere in a block */
    if (!target_has_type(declared, v->type, v->count, ordinal))
        refuse(ERR_TYPE, "stream refused: a pointer's type does not match what it points to");
}

/* One pointer: checks it and, for a block seen the first time, its header, and queues
 * the block's contents. Returns the target's logical id + 1 (0 for NULL); *ordinal is
 * the pointer's leaf ordinal. */
static MIG_TEXT uint32_t pointer_head(int32_t declared, uint32_t *ordinal)
{
    uint32_t tag = get_ptr_tag(), id;
    if (tag == TAG_NULL)
        return 0;
    if (tag == TAG_REF) {
        id = get_ref_id();
        if (id >= nvblocks)
            refuse(ERR_BLOCK_ID, "stream refused: a pointer refers to a block id that does not exist (yet)");
        *ordinal = get_varint();
        check_target(declared, id, *ordinal);
        return id + 1;
    }
    if (tag != TAG_NEW)
        refuse(ERR_FORMAT, "stream refused: unknown pointer tag");
    {
        uint32_t seg = get_new_seg(), count, locator = 0;
        int32_t type = (int32_t)get_new_type() - 1;
        struct vblock *v;
        if (seg < SEG_GLOBAL || seg > SEG_RODATA)
            refuse(ERR_FORMAT, "stream refused: unknown memory segment");
        if (type < -1 || type >= (int32_t)mig_ntypes)
            refuse(ERR_TYPE, "stream refused: a block has a type id this program does not have");
        count = get_varint();
        if (seg != SEG_HEAP)
            locator = get_varint();
        *ordinal = get_varint();
        if (count == 0 || (seg != SEG_RODATA && count > in_end - in_pos + 1) /* contents follow */
            || (type_leaves(type) > 1 && count > 0xffffffffu / type_leaves(type))) /* ordinals fit 32 bits */
            refuse(ERR_FORMAT, "stream refused: a block's element count is implausible");
        if (seg == SEG_GLOBAL) {
            if (locator >= nglobals)
                refuse(ERR_BLOCK_ID, "stream refused: a global the program does not have");
            if (vglobal_seen[locator])
                refuse(ERR_FORMAT, "stream refused: a global appears twice");
            vglobal_seen[locator] = 1;
            if (B(globals[locator])->type != type || B(globals[locator])->count != count)
                refuse(ERR_TYPE, "stream refused: a global's type or size does not match this program");
        } else if (seg == SEG_STACK) {
            reserve(&vstack_ids, &vstack_cap, nvstack + 1, sizeof(uint32_t), 16);
            vstack_ids[nvstack++] = nvblocks;
        } else if (seg == SEG_RODATA) {
            if (locator >= mig_nrodata)
                refuse(ERR_BLOCK_ID, "stream refused: a read-only object the program does not have");
            if (vrodata_seen[locator])
                refuse(ERR_FORMAT, "stream refused: a read-only object appears twice");
            vrodata_seen[locator] = 1;
            if (mig_rodata[locator].type != type || mig_rodata[locator].count != count)
                refuse(ERR_TYPE, "stream refused: a read-only object's type or size does not match this program");
        }
        if (nvblocks == vblocks_cap) /* more blocks than the header said: refused at the end */
            reserve(&vblocks, &vblocks_cap, nvblocks + 1, sizeof(struct vblock), 1024);
        id = nvblocks++;
        v = &vblocks[id];
        v->type = type;
        v->count = count;
        v->seg = seg;
        v->locator = locator;
        check_target(declared, id, *ordinal);
        if (seg != SEG_RODATA) /* read-only contents never travel */
            push_work(type, count, 0, (int32_t)id);
        return id + 1;
    }
}

/* A function pointer: 0 (NULL) or 1 + an index of the program's function table. */
static MIG_TEXT void check_func(void)
{
    if (get_be32() > mig_nfunctions)
        refuse(ERR_FORMAT, "stream refused: a function pointer names no function of this program");
}

/* Whether the next pointer in the stream opens a block (whose contents then come first). */
static inline MIG_TEXT int opens_block(void)
{
    return next_opens_block();
}

/* Everything queued: objects, their pointers, and the blocks first reached from them.
 * Pointers and flat fields are handled in place; only a pointer that opens a block
 * leaves the rest of its object on the stack, under the block's contents. */
static MIG_TEXT void drain(void)
{
    uint32_t ordinal;
    while (nwork) {
        struct work w = work[--nwork];
        const struct mig_type *t;
        if (w.type < 0) {
            skip_bytes(UNTYPED_WIRE_BYTES, w.n);
            continue;
        }
        t = &mig_types[w.type];
        if (!t->has_pointers) { /* a flat run is skipped in one step, unless it holds longs */
            if (flat_longs && flat_longs[w.type]) {
                range_at(w.block, w.type, w.n);
                (void)check_flat_longs(w.type, w.n, 0);
            } else {
                skip_bytes(flat_bytes[w.type], w.n);
            }
            continue;
        }
        if (t->kind == MIG_KIND_ARRAY) {
            if (w.n > 1)
                push_work(w.type, w.n - 1, 0, w.block);
            push_work(t->target, t->count, 0, w.block);
            continue;
        }
        if (t->kind == MIG_KIND_PTR) { /* w.n pointers in a row */
            while (w.n) {
                w.n--;
                if (opens_block()) {
                    if (w.n)
                        push_work(w.type, w.n, 0, w.block);
                    (void)pointer_head(t->target, &ordinal);
                    break;
                }
                (void)pointer_head(t->target, &ordinal);
            }
            continue;
        }
        if (t->kind == MIG_KIND_FUNC) { /* w.n function pointers in a row */
            while (w.n--)
                check_func();
            continue;
        }
        while (w.n) { /* a struct: its objects field by field, from w.field on */
            uint32_t f;
            for (f = w.field; f < t->nfields; f++) {
                int32_t ft = t->fields[f].type;
                const struct mig_type *field = &mig_types[ft];
                if (!field->has_pointers) {
                    if (flat_longs && flat_longs[ft]) {
                        range_at(w.block, w.type, w.n);
                        (void)check_flat_longs(ft, 1, 0);
                    } else
                        skip_bytes(flat_bytes[ft], 1);
                } else if (field->kind == MIG_KIND_PTR && !opens_block()) {
                    (void)pointer_head(field->target, &ordinal);
                } else if (field->kind == MIG_KIND_FUNC) {
                    check_func();
                } else { /* a block opens, or an aggregate with pointers: the rest later */
                    push_work(w.type, w.n, f + 1, w.block);
                    if (field->kind == MIG_KIND_PTR)
                        (void)pointer_head(field->target, &ordinal);
                    else
                        push_work(ft, 1, 0, w.block);
                    break;
                }
            }
            if (f < t->nfields)
                break;
            w.n--;
            w.field = 0;
        }
    }
}

/* A pointer that must name one particular block from its start: a frame's own stack
 * block, or a global root. */
static MIG_TEXT void expect_own_block(int32_t declared, uint32_t seg, uint32_t locator, const char *message)
{
    uint32_t ordinal = 0, id = pointer_head(declared, &ordinal);
    if (id == 0 || vblocks[id - 1].seg != seg || vblocks[id - 1].locator != locator || ordinal != 0)
        refuse(ERR_FORMAT, message);
    drain();
}

static MIG_TEXT const struct mig_site *site_of(uint32_t function, uint32_t site)
{
    uint32_t i;
    for (i = 0; i < mig_nsites; i++)
        if ((uint32_t)mig_sites[i].function == function && (uint32_t)mig_sites[i].site == site)
            return &mig_sites[i];
    refuse(ERR_FORMAT, "stream refused: a frame names a function or site this program does not have");
    return 0;
}

/* Whether a call through a pointer can reach the frames of `function`: a function of
 * the program's function table (only those have their address taken). */
static MIG_TEXT int in_function_table(uint32_t function)
{
    uint32_t i;
    for (i = 0; i < mig_nfunctions; i++)
        if (mig_function_frames[i] == (int32_t)function)
            return 1;
    return 0;
}

/* One frame record against its site; returns the site. `base` is the locator of the
 * frame's first stack block. */
static MIG_TEXT const struct mig_site *validate_frame(uint32_t f, uint32_t nf, int32_t caller_callee, uint32_t base)
{
    uint32_t function = get_varint(), site = get_varint(), n, i;
    const struct mig_site *s = site_of(function, site);
    if (f == 0 ? function != 0 : caller_callee == SITE_CALLEE_INDIRECT ? !in_function_table(function)
                                                                       : (int32_t)function != caller_callee)
        refuse(ERR_FORMAT, "stream refused: its frames are not a call chain of this program");
    if (s->poll != (f == nf - 1))
        refuse(ERR_FORMAT, "stream refused: only the innermost frame may stop at a poll-point, the others at calls");
    n = get_varint();
    if (n != s->nvalues)
        refuse(ERR_FORMAT, "stream refused: a frame holds another number of values than its site declares");
    for (i = 0; i < n; i++) {
        const struct mig_site_value *want = &s->values[i];
        uint32_t ordinal;
        if (get_byte() != want->kind)
            refuse(ERR_FORMAT, "stream refused: a frame value's kind is not the one its site declares");
        switch (want->kind) {
        case VAL_I32: case VAL_U32: case VAL_F32: skip_bytes(4, 1); break;
        case VAL_I64:
            if (want->type >= 0 && flat_longs && flat_longs[want->type]) { /* a long variable */
                uint64_t v = mig_get_u64();
                if (!long_fits(mig_types[want->type].prim, v)) {
                    collect_function = (int32_t)function; /* the host names the variable */
                    collect_site = (int32_t)site;
                    collect_value = (int32_t)i;
                    range_block = -1;
                    refuse_range(mig_types[want->type].prim, v, 0);
                }
            } else {
                skip_bytes(8, 1);
            }
            break;
        case VAL_F64: skip_bytes(8, 1); break;
        case VAL_FUNC: check_func(); break;
        case VAL_PTR:
            if (i < s->nblocks) {
                expect_own_block(want->type, SEG_STACK, base + i,
                                 "stream refused: a frame's stack block is not where its site says");
            } else {
                (void)pointer_head(want->type, &ordinal);
                drain();
            }
            break;
        default: /* VAL_OBJ */
            if ((int32_t)get_varint() - 1 != want->type || get_varint() != 1)
                refuse(ERR_TYPE, "stream refused: a variable's type is not the one its site declares");
            collect_function = (int32_t)function; /* a long inside it: the host names the variable */
            collect_site = (int32_t)site;
            collect_value = (int32_t)i;
            push_work(want->type, 1, 0, -1);
            drain();
            collect_function = collect_site = collect_value = -1;
        }
    }
    return s;
}

/* The stack blocks, now that the frames say which exist: each locator once, in range,
 * with the type and (when fixed) the size its frame declares or main has registered. */
static MIG_TEXT void validate_stack_blocks(const uint32_t *frame_sites, uint32_t nf, uint32_t total)
{
    uint32_t k;
    uint8_t *seen = mig_alloc(total + 1);
    memset(seen, 0, total + 1);
    for (k = 0; k < nvstack; k++) {
        const struct vblock *v = &vblocks[vstack_ids[k]];
        uint32_t f = 0, base = 0;
        const struct mig_site_value *want;
        if (v->locator >= total)
            refuse(ERR_BLOCK_ID, "stream refused: a stack block's locator is outside the frames' stack blocks");
        if (seen[v->locator])
            refuse(ERR_FORMAT, "stream refused: two stack blocks have the same locator");
        seen[v->locator] = 1;
        if (v->locator < nstack) { /* main's: registered here already */
            const struct block *b = B(stack_slots[v->locator]);
            if (b->type != v->type || b->count != v->count)
                refuse(ERR_TYPE, "stream refused: a stack block's type or size does not match this program");
            continue;
        }
        while (f < nf && base + mig_sites[frame_sites[f]].nblocks <= v->locator)
            base += mig_sites[frame_sites[f++]].nblocks;
        want = &mig_sites[frame_sites[f]].values[v->locator - base];
        if (want->type != v->type || (want->count && want->count != v->count))
            refuse(ERR_TYPE, "stream refused: a stack block's type or size does not match its frame");
    }
    mig_free(seen);
}

static MIG_TEXT void validate_header(uint32_t length)
{
    uint32_t isa, declared;
    if (length < HDR_SIZE + 1 + STREAM_TRAILER_SIZE) /* and the end marker */
        refuse(ERR_TRUNCATED, "stream refused: shorter than a header and a trailer (truncated)");
    if (get_be32() != STREAM_MAGIC)
        refuse(ERR_MAGIC, "stream refused: bad magic number (not a migration stream)");
    if (get_version() != STREAM_VERSION)
        refuse(ERR_VERSION, "stream refused: unsupported stream format version");
    if (get_flags() != CODEC_FLAGS)
        refuse(ERR_FORMAT, CODEC_FLAGS_REFUSAL);
    isa = get_be32();
    if (isa != ISA_MIPSEL && isa != ISA_SPARC && isa != ISA_HOST && isa != ISA_MIPS && isa != ISA_PPC32
        && isa != ISA_AARCH64 && isa != ISA_RISCV64 && isa != ISA_X86_64 && isa != ISA_MIPS64)
        refuse(ERR_FORMAT, "stream refused: unknown source ISA in the header");
    if (get_be32() != mig_fingerprint)
        refuse(ERR_FINGERPRINT, "stream refused: it comes from a different program or build (TI fingerprint mismatch)");
    if (get_be32() != length - HDR_SIZE - STREAM_TRAILER_SIZE)
        refuse(ERR_TRUNCATED, "stream refused: its length does not match its header (truncated or padded)");
    /* the trailer indexed from `length` (not through load_be32): the instructions the
     * classic runtime's transcripts pin */
    if (crc32(in, length - STREAM_TRAILER_SIZE) != ((uint32_t)in[length - STREAM_TRAILER_SIZE] << 24 | (uint32_t)in[length - STREAM_TRAILER_SIZE + 1] << 16 |
                                                    (uint32_t)in[length - STREAM_TRAILER_SIZE + 2] << 8 | in[length - STREAM_TRAILER_SIZE + 3]))
        refuse(ERR_CRC, "stream refused: CRC-32 mismatch (the stream was damaged)");
    if (load_be32(in + HDR_BINDING_OFFSET) != mig_control.binding)
        refuse(ERR_BINDING, "stream refused: it belongs to another migration (binding mismatch)");
    declared = load_be32(in + HDR_BLOCKS_OFFSET);
    if (declared > length) /* every block takes at least one byte */
        refuse(ERR_FORMAT, "stream refused: its header declares more blocks than it can hold");
    if (declared > vblocks_cap) {
        vblocks = mig_grow(vblocks, 0, declared * sizeof(struct vblock));
        vblocks_cap = declared;
    }
    if (load_be32(in + HDR_FRAMES_OFFSET) == 0 || load_be32(in + HDR_FRAMES_OFFSET) > length)
        refuse(ERR_FORMAT, "stream refused: its header's frame count is implausible");
}

static MIG_TEXT void validate_stream(uint32_t length)
{
    uint32_t f, nf, i, total = 0, *frame_sites;
    int32_t callee = -1;
    validate_header(length);
    if (!flat_bytes) {
        flat_bytes = mig_alloc(mig_ntypes * sizeof(uint32_t) + 4);
        for (i = 0; i < mig_ntypes; i++)
            flat_bytes[i] = mig_types[i].has_pointers ? 0 : encoded_flat_size((int32_t)i);
        if (sizeof(long) < 8 && mig_nword_prims) {
            flat_longs = mig_alloc(mig_ntypes + 1);
            for (i = 0; i < mig_ntypes; i++)
                flat_longs[i] = !mig_types[i].has_pointers && holds_long((int32_t)i);
        }
    }
    if (nglobals > vglobal_cap) {
        vglobal_seen = mig_grow(vglobal_seen, 0, nglobals);
        vglobal_cap = nglobals;
    }
    memset(vglobal_seen, 0, nglobals);
    if (!vrodata_seen)
        vrodata_seen = mig_alloc(mig_nrodata + 1);
    memset(vrodata_seen, 0, mig_nrodata);
    in_end = length - STREAM_TRAILER_SIZE;
    in_pos = HDR_SIZE;
    nvblocks = nvstack = nwork = 0;
    nf = load_be32(in + HDR_FRAMES_OFFSET);
    frame_sites = mig_alloc(nf * sizeof(uint32_t));
    for (f = 0; f < nf; f++) {
        const struct mig_site *s = validate_frame(f, nf, callee, total);
        frame_sites[f] = (uint32_t)(s - mig_sites);
        callee = s->callee;
        total += s->nblocks;
    }
    for (i = 0; i < nglobals; i++)
        expect_own_block(B(globals[i])->type, SEG_GLOBAL, i, "stream refused: a global root does not name its own global");
    if (get_byte() != STREAM_END_MARKER || in_pos != in_end)
        refuse(ERR_FORMAT, "stream refused: no end marker where the stream should end");
    if (nvblocks != load_be32(in + HDR_BLOCKS_OFFSET))
        refuse(ERR_FORMAT, "stream refused: its header's block count does not match its blocks");
    validate_stack_blocks(frame_sites, nf, total);
    mig_free(frame_sites);
}
