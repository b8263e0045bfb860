/* The decoder: restoration re-creates the blocks a stream describes (after mig_validate.c
 * has checked all of it) and rebuilds the frame records that the re-entered frames pop.
 *
 * Stack blocks of frames deeper than main do not exist until the frames are re-entered:
 * they are decoded into staging copies, and every pointer decoded into one is remembered
 * as a fix-up, resolved when the frame registers the block again (mig_register_stack).
 * Part of mig.c's translation unit.
 */
#include "msr.h"

/* Stack blocks of frames deeper than main do not exist yet while the stream is decoded:
 * their contents go to staging areas, pointers into them are fixed up later. */
struct fixup {
    void **slot;
    uint32_t block;
    uint32_t ordinal;
};

static struct fixup *fixups;
static uint32_t nfixups, fixups_cap;
static uint32_t *id_to_block; /* logical id -> entry index, during one restore */
static uint32_t ids_cap, nids;

static MIG_TEXT void fixup_add(void **slot, uint32_t block, uint32_t ordinal)
{
    reserve(&fixups, &fixups_cap, nfixups + 1, sizeof(struct fixup), 64);
    fixups[nfixups].slot = slot;
    fixups[nfixups].block = block;
    fixups[nfixups].ordinal = ordinal;
    nfixups++;
}

static MIG_TEXT void id_bind(uint32_t block)
{
    reserve(&id_to_block, &ids_cap, nids + 1, sizeof(uint32_t), 1024);
    B(block)->id = nids;
    B(block)->epoch = epoch;
    id_to_block[nids++] = block;
}

static void *pending_ptr_slot; /* where the pointer being restored will be stored */

static MIG_TEXT void *pointer_into(uint32_t b, uint32_t ordinal)
{
    uint32_t leaves = type_leaves(B(b)->type), elem = ordinal / leaves;
    char *base = B(b)->data;
    if (B(b)->data != B(b)->addr && B(b)->seg == SEG_STACK && pending_ptr_slot)
        fixup_add(pending_ptr_slot, b, ordinal);
    return base + elem * type_size(B(b)->type) + offset_of_leaf(B(b)->type, ordinal - elem * leaves);
}

/* A pointer's tag and, for a new block, its header: the block is made (or found) and bound
 * to the next logical id. Returns the block, 0 for NULL, with the pointer's leaf ordinal;
 * *fresh is set when the block's contents follow (restore_contents). */
static inline __attribute__((always_inline)) MIG_TEXT uint32_t get_pointer(uint32_t *ordinal, int *fresh)
{
    uint32_t tag = get_ptr_tag(), b;
    *fresh = 0;
    if (tag == TAG_NULL)
        return 0;
    if (tag == TAG_REF) {
        uint32_t id = get_ref_id();
        b = id_to_block[id]; /* validated before decoding */
        *ordinal = get_varint();
        return b;
    }
    {
        uint32_t seg = get_new_seg(), count, locator = 0;
        int32_t btype = (int32_t)get_new_type() - 1;
        count = get_varint();
        if (seg != SEG_HEAP)
            locator = get_varint();
        *ordinal = get_varint();
        if (seg == SEG_HEAP) {
            void *p = btype < 0 ? rt_alloc_typed(-1, count, 1) : rt_alloc_typed(btype, count, type_size(btype));
            b = heap_block_entry(p);
        } else if (seg == SEG_GLOBAL) {
            b = globals[locator];
        } else if (seg == SEG_RODATA) { /* here already, and its contents do not follow */
            b = rodata_block(locator);
            id_bind(b);
            return b;
        } else if (locator < nstack) {
            b = stack_slots[locator];
        } else { /* a deeper frame's block: staged until the frame registers it */
            uint32_t size = count * type_size(btype);
            char *staging = mig_alloc(size);
            b = block_new(staging, btype, count, size, SEG_STACK);
            B(b)->locator = locator;
            block_hide(b); /* not addressable until the frame registers it */
            reserve(&staged, &staged_cap, nstaged + 1, sizeof(uint32_t), 16);
            staged[nstaged++] = b;
        }
        id_bind(b);
        *fresh = 1;
        return b;
    }
}

MIG_TEXT void *mig_restore_ptr(int32_t type)
{
    uint32_t b, ordinal = 0;
    int fresh;
    void *slot = pending_ptr_slot;
    (void)type;
    b = get_pointer(&ordinal, &fresh);
    if (!b)
        return NULL;
    if (fresh) {
        pending_ptr_slot = NULL; /* pointers inside the block carry their own slots */
        restore_contents(b);
        pending_ptr_slot = slot;
    }
    return pointer_into(b, ordinal);
}

MIG_TEXT void mig_restore_ptr_at(void **slot, int32_t type)
{
    pending_ptr_slot = slot;
    *slot = mig_restore_ptr(type);
    pending_ptr_slot = NULL;
}

MIG_TEXT mig_func_t mig_get_func(void)
{
    uint32_t i = get_be32();
    if (i > mig_nfunctions) /* the validator refused it already */
        mig_fail(ERR_FORMAT, "stream refused: a function pointer names no function of this program");
    return i ? mig_functions[i - 1] : NULL;
}

static MIG_TEXT void get_value(struct value *v)
{
    v->kind = (uint8_t)get_byte();
    switch (v->kind) {
    case VAL_I32: v->v.i32 = mig_get_i32(); break;
    case VAL_U32: v->v.u32 = mig_get_u32(); break;
    case VAL_I64: v->v.i64 = mig_get_i64(); break;
    case VAL_F64: v->v.f64 = mig_get_f64(); break;
    case VAL_F32: v->v.f32 = mig_get_f32(); break;
    case VAL_PTR: mig_restore_ptr_at((void **)&v->v.ptr, -1); break;
    case VAL_FUNC: v->v.func = mig_get_func(); break;
    default: {
        uint32_t size;
        v->type = (int32_t)get_varint() - 1;
        v->count = get_varint();
        size = v->count * type_size(v->type);
        v->v.obj = mig_alloc(size);
        if (v->type < 0)
            mig_get_array(v->v.obj, MIG_U8, v->count);
        else
            mig_types[v->type].restore(v->v.obj, v->count);
    }
    }
}

static MIG_TEXT int mig_restore_from(const unsigned char *stream, uint32_t length)
{
    uint32_t f, nf, i;
    rt_hypercall(HC_MIG_EVENT, EV_RESTORE_BEGIN, 0, 0);
    crc_init();
    in = stream;
    in_pos = 0;
    in_end = length;
    validate_stream(length);
    /* decode for real: the stream is known to be well formed */
    reset_records();
    in_end = length - STREAM_TRAILER_SIZE;
    in_pos = HDR_FRAMES_OFFSET;
    nf = get_be32();
    {
        uint32_t nb = get_be32();
        reserve_entries(nb);
        if (nb > ids_cap) {
            id_to_block = mig_grow(id_to_block, 0, nb * sizeof(uint32_t));
            ids_cap = nb;
        }
    }
    in_pos = HDR_SIZE;
    new_epoch();
    nids = 0;
    nfixups = 0;
    nstaged = 0;
    for (f = 0; f < nf; f++) {
        uint32_t n;
        int32_t function = (int32_t)get_varint(), site = (int32_t)get_varint();
        mig_frame_push(function, site);
        n = get_varint();
        for (i = 0; i < n; i++)
            get_value(value_new(0));
    }
    for (i = 0; i < nglobals; i++) {
        void *ignored;
        mig_restore_ptr_at(&ignored, -1);
    }
    frame_pos = 0;
    mig_mode = MIG_REWINDING;
    /* Functions whose entry is a poll-point dispatch from there: hold the countdown at 1
     * so that every such poll fires while rewinding; mig_rewind_done puts it back. */
    saved_countdown = mig_control.countdown;
    saved_flag = mig_control.flag;
    mig_control.flag = 1;
    mig_control.countdown = 1;
    rt_hypercall(HC_MIG_EVENT, EV_DECODE_END, 0, 0);
    return 1;
}

MIG_TEXT int mig_start(void)
{
    uint32_t length = (uint32_t)rt_hypercall(HC_MIG_START, 0, 0, 0);
    unsigned char *stream;
    if (length == 0)
        return 0;
    stream = mig_alloc(length);
    rt_hypercall(HC_MIG_READ, (long)stream, (long)length, 0);
    return mig_restore_from(stream, length);
}

/* A frame registers its stack blocks on entry; while rewinding, a block that was staged
 * during decoding moves into place here and the pointers into it are fixed up. */
MIG_TEXT void mig_register_stack(void *address, int32_t type, uint32_t count)
{
    uint32_t i, b = 0, size = count * type_size(type);
    if (mig_mode == MIG_REWINDING) {
        for (i = 0; i < nstaged; i++) {
            if (B(staged[i])->locator == nstack) {
                b = staged[i];
                staged[i] = staged[--nstaged];
                break;
            }
        }
    }
    if (b) {
        char *staging = B(b)->data;
        uint32_t k;
        memcpy(address, staging, size);
        for (k = 0; k < nfixups; k++) { /* fix-up slots inside the staged copy move with it */
            char *s = (char *)fixups[k].slot;
            if (s >= staging && s < staging + size)
                fixups[k].slot = (void **)((char *)address + (s - staging));
        }
        block_move(b, address);
        mig_free(staging);
        for (k = 0; k < nfixups; k++) {
            if (fixups[k].block == b) {
                *fixups[k].slot = pointer_into(b, fixups[k].ordinal);
                fixups[k] = fixups[--nfixups];
                k--;
            }
        }
    } else {
        b = block_new(address, type, count, size, SEG_STACK);
    }
    reserve(&stack_slots, &stack_cap, nstack + 1, sizeof(uint32_t), 64);
    B(b)->locator = nstack;
    stack_slots[nstack++] = b;
}
