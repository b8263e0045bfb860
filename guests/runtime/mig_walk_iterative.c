/* The modern walk over a block's contents (runtime_design.h): an interpreter of the
 * Type-Information table with an explicit work stack in the heap, so that a chain of
 * blocks first reached through one another (a linked list of a million nodes) takes no C
 * stack, only a few frames of this stack.
 *
 * The bytes are those of the generated save/restore functions (the leaves in order,
 * big-endian, pointers as put_pointer/get_pointer write them), so the stream is the same:
 * when a pointer reaches a new block, the block's contents are encoded right there, before
 * the rest of the object holding the pointer. A frame that has nothing left is retired
 * before the new block's frame is pushed: a pointer in an object's last field (a list's
 * `next`) does not deepen the stack. A function pointer is a leaf of its own (its index in
 * the function table), never part of a flat run. Pointer-free runs (a flat field, a flat array, a flat
 * block) are copied in bulk when their leaves are one packed primitive type. This walk is
 * the modern design's: it uses msr_modern.c's heap headers for the common pointer, one to
 * the start of a heap block. Part of mig.c's translation unit.
 */
#include "msr.h"

struct walk_frame {
    char *base;     /* the first object */
    int32_t type;   /* their type, one with pointers inside */
    uint32_t index; /* the next object */
    uint32_t count; /* objects */
    uint32_t field; /* a struct type: the next field of object `index` */
};

static struct walk_frame *walk_stack;
static uint32_t walk_depth, walk_cap;

/* Per type: the primitive of its leaves when it is pointer-free and packed (its bytes are
 * its leaves, in order, with no padding), else 0. Made on first use. */
static uint8_t *packed;

static MIG_TEXT uint8_t packed_prim(int32_t type)
{
    const struct mig_type *t = &mig_types[type];
    uint32_t f, at = 0;
    uint8_t prim = 0;
    if (t->has_pointers || t->has_bit_fields)
        return 0;
    if (t->kind == MIG_KIND_PRIM)
        return t->prim;
    if (t->kind == MIG_KIND_ARRAY)
        return packed_prim(t->target);
    for (f = 0; f < t->nfields; f++) {
        uint8_t p = packed_prim(t->fields[f].type);
        if (!p || (prim && p != prim) || t->fields[f].offset != at)
            return 0;
        prim = p;
        at += mig_types[t->fields[f].type].size;
    }
    return at == t->size ? prim : 0;
}

static MIG_TEXT __attribute__((noinline)) void make_packed(void)
{
    uint32_t i;
    packed = mig_alloc(mig_ntypes);
    for (i = 0; i < mig_ntypes; i++)
        packed[i] = packed_prim((int32_t)i);
}

static inline MIG_TEXT void walk_init(void)
{
    if (!packed)
        make_packed();
}

static inline MIG_TEXT void walk_push(char *base, int32_t type, uint32_t count)
{
    struct walk_frame *f;
    if (walk_depth == walk_cap)
        reserve(&walk_stack, &walk_cap, walk_depth + 1, sizeof *walk_stack, 64);
    f = &walk_stack[walk_depth++];
    f->base = base;
    f->type = type;
    f->index = 0;
    f->count = count;
    f->field = 0;
}

/* The next item of the top frame: an object of *type (*count of them: a whole array
 * field) at the returned address. The frame is retired once its last item is taken. */
static inline MIG_TEXT char *walk_next(int32_t *type, uint32_t *count)
{
    struct walk_frame *f = &walk_stack[walk_depth - 1];
    const struct mig_type *t = &mig_types[f->type];
    char *item = f->base + f->index * t->size;
    *count = 1;
    if (t->kind == MIG_KIND_STRUCT) {
        const struct mig_field *field = &t->fields[f->field];
        item += field->offset;
        *type = field->type;
        if (++f->field < t->nfields)
            return item;
        f->field = 0;
    } else if (t->kind == MIG_KIND_ARRAY) {
        *type = t->target;
        *count = t->count;
    } else { /* a pointer */
        *type = f->type;
    }
    if (++f->index == f->count)
        walk_depth--;
    return item;
}

/* ---- encoding ---- */

static inline MIG_TEXT void put_scalar(int prim, const char *p)
{
    if (narrow_long(prim)) {
        mig_put_array(p, prim, 1);
        return;
    }
    switch (prim_size(prim)) {
    case 1: put_byte(*(const uint8_t *)p); break;
    case 2: mig_put_u16(*(const uint16_t *)p); break;
    case 4: put_be32(*(const uint32_t *)p); break;
    default: mig_put_u64(*(const uint64_t *)p);
    }
}

static inline MIG_TEXT void put_flat(int32_t type, const char *p, uint32_t n)
{
    if (type < 0)
        mig_put_array(p, MIG_U8, n);
    else if (n == 1 && mig_types[type].kind == MIG_KIND_PRIM) /* one scalar field */
        put_scalar(mig_types[type].prim, p);
    else if (packed[type])
        mig_put_array(p, packed[type], n * mig_types[type].leaves);
    else
        mig_types[type].save(p, n); /* pointer-free: the generated code does not come back */
}

static inline MIG_TEXT void save_or_push(uint32_t b)
{
    int32_t type = B(b)->type;
    if (type < 0 || !mig_types[type].has_pointers)
        put_flat(type, B(b)->data, type < 0 ? B(b)->size : B(b)->count);
    else if (mig_types[type].has_bit_fields) /* its fields are not all bytes at an offset */
        mig_types[type].save(B(b)->data, B(b)->count);
    else
        walk_push(B(b)->data, type, B(b)->count);
}

/* Most pointers point at the start of a heap block: its header says so at once
 * (msr_modern.c), with no search and a leaf ordinal of 0. */
static inline MIG_TEXT uint32_t walk_put_pointer(const void *p)
{
    struct rt_block_header *h = p ? heap_header_at(p) : NULL;
    if (h)
        return put_block_ref(heap_entry(h), 0);
    return put_pointer(p);
}

/* Re-entrant: a pointer in a struct variable comes here through the generated code and
 * mig_save_ptr, and walks above the frames of any walk in progress. */
static MIG_TEXT void save_contents(uint32_t b)
{
    uint32_t floor = walk_depth;
    walk_init();
    save_or_push(b);
    while (walk_depth > floor) {
        int32_t type;
        uint32_t count;
        char *item = walk_next(&type, &count);
        const struct mig_type *t = &mig_types[type];
        if (!t->has_pointers) {
            put_flat(type, item, count);
        } else if (t->kind == MIG_KIND_PTR && count == 1) {
            uint32_t nb = walk_put_pointer(*(void *const *)item);
            if (nb)
                save_or_push(nb);
        } else if (t->kind == MIG_KIND_FUNC) {
            mig_put_func(*(const mig_func_t *)item);
        } else if (t->has_bit_fields) { /* the generated code, which comes back for pointers */
            t->save(item, count);
        } else {
            walk_push(item, type, count);
        }
    }
}

/* ---- decoding ---- */

static inline MIG_TEXT void get_scalar(int prim, char *p)
{
    if (narrow_long(prim)) {
        mig_get_array(p, prim, 1);
        return;
    }
    switch (prim_size(prim)) {
    case 1: *(uint8_t *)p = (uint8_t)get_byte(); break;
    case 2: *(uint16_t *)p = mig_get_u16(); break;
    case 4: *(uint32_t *)p = get_be32(); break;
    default: *(uint64_t *)p = mig_get_u64();
    }
}

static inline MIG_TEXT void get_flat(int32_t type, char *p, uint32_t n)
{
    if (type < 0)
        mig_get_array(p, MIG_U8, n);
    else if (n == 1 && mig_types[type].kind == MIG_KIND_PRIM) /* one scalar field */
        get_scalar(mig_types[type].prim, p);
    else if (packed[type])
        mig_get_array(p, packed[type], n * mig_types[type].leaves);
    else
        mig_types[type].restore(p, n);
}

static inline MIG_TEXT void restore_or_push(uint32_t b)
{
    int32_t type = B(b)->type;
    if (type < 0 || !mig_types[type].has_pointers)
        get_flat(type, B(b)->data, B(b)->count);
    else if (mig_types[type].has_bit_fields)
        mig_types[type].restore(B(b)->data, B(b)->count);
    else
        walk_push(B(b)->data, type, B(b)->count);
}

static MIG_TEXT void restore_contents(uint32_t b)
{
    uint32_t floor = walk_depth;
    walk_init();
    restore_or_push(b);
    while (walk_depth > floor) {
        int32_t type;
        uint32_t count;
        char *item = walk_next(&type, &count);
        const struct mig_type *t = &mig_types[type];
        if (!t->has_pointers) {
            get_flat(type, item, count);
        } else if (t->kind == MIG_KIND_PTR && count == 1) {
            void **slot = (void **)item;
            uint32_t ordinal = 0;
            int fresh;
            uint32_t nb = get_pointer(&ordinal, &fresh);
            if (!nb) {
                *slot = NULL;
                continue;
            }
            if (ordinal == 0 && B(nb)->data == B(nb)->addr) { /* a block's start, in place */
                *slot = B(nb)->data;
            } else {
                pending_ptr_slot = slot; /* a pointer into a staged block is fixed up later */
                *slot = pointer_into(nb, ordinal);
                pending_ptr_slot = NULL;
            }
            if (fresh)
                restore_or_push(nb);
        } else if (t->kind == MIG_KIND_FUNC) {
            *(mig_func_t *)item = mig_get_func();
        } else if (t->has_bit_fields) {
            t->restore(item, count);
        } else {
            walk_push(item, type, count);
        }
    }
}
