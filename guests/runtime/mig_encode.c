/* The encoder: collection writes the unwound frames (outermost first) and then every
 * global, following pointers depth-first; a block is written inline the first time it is
 * reached (TAG_NEW) and referred to by its logical id afterwards (TAG_REF). Part of
 * mig.c's translation unit.
 */
#include "msr.h"

static uint32_t next_id;

static MIG_TEXT uint32_t block_ordinal(uint32_t b, const char *p)
{
    uint32_t off = (uint32_t)(p - B(b)->addr);
    uint32_t es, elem;
    int32_t inner;
    if (off == 0) /* most pointers point at a block's start: no division */
        return 0;
    es = type_size(B(b)->type);
    elem = off / es;
    inner = leaf_within(B(b)->type, off - elem * es);
    if (inner < 0)
        mig_fail(ERR_COLLECT, "collection failed: a live pointer points into the middle of a primitive value");
    return elem * type_leaves(B(b)->type) + (uint32_t)inner;
}

/* A pointer into block b at a leaf ordinal: the block's id if it was reached before, else
 * its header; returns b when its contents must follow (save_contents), else 0. */
static inline __attribute__((always_inline)) MIG_TEXT uint32_t put_block_ref(uint32_t b, uint32_t ordinal)
{
    if (B(b)->epoch == epoch) {
        put_ref_head(B(b)->id);
        put_varint(ordinal);
        return 0;
    }
    B(b)->epoch = epoch;
    B(b)->id = next_id++;
    put_new_head(B(b)->seg, (uint32_t)(B(b)->type + 1));
    put_varint(B(b)->count);
    if (B(b)->seg != SEG_HEAP)
        put_varint(B(b)->locator);
    put_varint(ordinal);
    return B(b)->seg == SEG_RODATA ? 0 : b; /* both sides have its contents */
}

/* A pointer's tag and, for a block reached for the first time, the block's header: returns
 * that block, whose contents must follow (save_contents), else 0. */
static inline __attribute__((always_inline)) MIG_TEXT uint32_t put_pointer(const void *p)
{
    uint32_t b, ordinal;
    if (p == NULL) {
        put_null_head();
        return 0;
    }
    b = block_containing(p);
    if (!b)
        b = rodata_containing(p); /* a string literal or a const global */
    if (!b)
        mig_fail(ERR_COLLECT, "collection failed: a live pointer points outside every registered block "
                              "(a freed block, or memory the program did not declare)");
    ordinal = block_ordinal(b, p);
    return put_block_ref(b, ordinal);
}

MIG_TEXT void mig_save_ptr(const void *p, int32_t type)
{
    uint32_t b;
    (void)type;
    ITEM();
    b = put_pointer(p);
    if (b)
        save_contents(b);
}

/* 1 + the index of f in the program's function table, 0 for NULL (VAL_FUNC). */
MIG_TEXT void mig_put_func(mig_func_t f)
{
    uint32_t i;
    ITEM();
    if (f == NULL) {
        put_be32(0);
        return;
    }
    for (i = 0; i < mig_nfunctions; i++)
        if (mig_functions[i] == f) {
            put_be32(i + 1);
            return;
        }
    mig_fail(ERR_COLLECT, "collection failed: a live function pointer names no function of the program "
                          "(a C library function, or an integer cast to a function pointer)");
}

static MIG_TEXT uint32_t source_isa(void)
{
#if defined(__mips64)
    return ISA_MIPS64;
#elif defined(__mips__) && defined(__MIPSEB__)
    return ISA_MIPS;
#elif defined(__mips__)
    return ISA_MIPSEL;
#elif defined(__powerpc__)
    return ISA_PPC32;
#elif defined(__aarch64__)
    return ISA_AARCH64;
#elif defined(__sparc__)
    return ISA_SPARC;
#elif defined(__riscv) && __riscv_xlen == 64
    return ISA_RISCV64;
#elif defined(RT_GUEST_X86_64) /* the emulated x86-64, not the native host build */
    return ISA_X86_64;
#else
    return ISA_HOST;
#endif
}

static MIG_TEXT void put_value(const struct value *v)
{
    ITEM();
    put_byte(v->kind);
    switch (v->kind) {
    case VAL_I32: mig_put_i32(v->v.i32); break;
    case VAL_U32: mig_put_u32(v->v.u32); break;
    case VAL_I64: mig_put_i64(v->v.i64); break;
    case VAL_F64: mig_put_f64(v->v.f64); break;
    case VAL_F32: mig_put_f32(v->v.f32); break;
    case VAL_PTR: mig_save_ptr(v->v.ptr, v->type); break;
    case VAL_FUNC: mig_put_func(v->v.func); break;
    default: /* VAL_OBJ: the variable's own pointers are followed like a block's */
        put_varint((uint32_t)(v->type + 1));
        put_varint(v->count);
        if (v->type < 0)
            mig_put_array(v->v.obj, MIG_U8, v->count);
        else
            mig_types[v->type].save(v->v.obj, v->count);
    }
}

/* where collection is: -1 when it is not in a frame (encoding the globals) */
static volatile int32_t collect_function = -1, collect_site = -1, collect_value = -1;

static unsigned char *own_stream; /* the last stream collected, to resume from if asked */
static uint32_t own_len;

/* Encode everything: frames outermost first, then every global. */
MIG_TEXT int mig_collect(void)
{
    uint32_t f, i, crc, resume;
    rt_hypercall(HC_MIG_EVENT, EV_COLLECT_BEGIN, 0, 0);
    crc_init();
    new_epoch();
    next_id = 0;
    mig_items = 2; /* the header and the trailer */
    out_len = 0;
    out_reserve(HDR_SIZE);
    out_len = HDR_SIZE;
    for (f = nframes; f-- > 0;) {
        ITEM();
        put_varint((uint32_t)frames[f].function);
        put_varint((uint32_t)frames[f].site);
        put_varint(frames[f].n);
        /* where collection is, for error reports (the host maps them to file:line) */
        collect_function = frames[f].function;
        collect_site = frames[f].site;
        for (i = 0; i < frames[f].n; i++) {
            collect_value = (int32_t)i;
            put_value(&values[frames[f].first + i]);
        }
    }
    collect_function = collect_site = collect_value = -1;
    for (i = 0; i < nglobals; i++)
        mig_save_ptr(B(globals[i])->addr, B(globals[i])->type);
    put_byte(STREAM_END_MARKER);
    /* header, now that the sizes are known */
    {
        uint32_t payload = out_len - HDR_SIZE, saved = out_len;
        out_len = 0;
        put_be32(STREAM_MAGIC);
        put_version_flags();
        put_be32(source_isa());
        put_be32(mig_fingerprint);
        put_be32(payload);
        put_be32(nframes);
        put_be32(next_id);
        put_be32(mig_control.binding);
        out_len = saved;
    }
    crc = crc32(out, out_len);
    put_be32(crc);
    /* the frames that returned are gone: so are their stack blocks and the copies */
    for (i = nstack - unwound_slots; i < nstack; i++)
        block_delete(stack_slots[i]);
    nstack -= unwound_slots;
    unwound_slots = 0;
    mig_mode = MIG_NORMAL;
    rt_hypercall(HC_MIG_EVENT, EV_COLLECT_END, 0, 0);
    mig_control.items = mig_items;
    resume = (uint32_t)rt_hypercall(HC_MIG_STREAM, (long)out, (long)out_len, 0);
    if (!resume)
        return 0;
    /* Resume here (a failed transfer, or a round-trip check) from the stream just made.
     * Every live heap block is in it if reachable and garbage if not: release them all so
     * that decoding re-creates exactly the reachable ones. */
    release_heap_blocks();
    if (own_stream)
        mig_free(own_stream);
    own_stream = out;
    own_len = out_len;
    out = NULL;
    out_len = out_cap = 0;
    return mig_restore_from(own_stream, own_len);
}
