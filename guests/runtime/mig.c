/* The migration runtime: MSR Lookup Table, collection and restoration of the process's
 * data, and the records of unwound frames. See mig.h for the interface and
 * docs/stream-format.md for the bytes.
 *
 * Lookup. Heap blocks carry their type and count in the allocator's header (rt.h), with a
 * check word keyed by their address, so a pointer to a heap block's start is recognised in
 * O(1) and registering a block at allocation costs a few stores. Their MSRLT entries are
 * made lazily, when a collection or restore first touches them. Globals and stack blocks
 * are few and sit in a hash table keyed by start address. A pointer into the middle of a
 * block is found by binary search: for the heap in an index built by one walk over the
 * heap's headers (linear, in address order), for the rest in a sorted copy of the table.
 *
 * With MIG_CLASSIC (--runtime classic) the lookup table is the original design's instead:
 * every block, heap blocks included (reported by the classic allocator), in one table
 * kept sorted by address and searched by binary search: collection O(n log n) in blocks,
 * rebuilding O(n). The classic runtime also counts the items it encodes, because it wrote
 * its stream to a file one item per write() call (the host prices those calls).
 *
 * Stack blocks of frames that have already returned during unwinding are copied aside
 * before their memory is reused, and keep their MSRLT entry under their original address.
 * On the destination, stack blocks of frames deeper than main do not exist until the
 * frames are re-entered: they are decoded into staging copies, and every pointer decoded
 * into one is remembered as a fix-up, resolved when the frame registers the block again.
 */
#include <stdint.h>
#include <string.h>

#include "mig.h"
#include "mig_protocol.h"
#include "rt.h"

volatile int32_t mig_flag;
/* Items encoded by the last collection: classic file mode wrote each with one write(). */
volatile uint32_t mig_items;
#ifdef MIG_CLASSIC
#define ITEM() (mig_items++)
#else
#define ITEM() ((void)0)
#endif
volatile int32_t mig_countdown = 0x7fffffff;
static int32_t saved_countdown, saved_flag;
int mig_mode;

/* ------------------------------------------------------------------ memory */

/* The runtime's own allocations are typed RT_TYPE_INTERNAL: never program blocks. The
 * classic allocator reports releases without a type, hence the flag around them. */
static int mig_internal;

static MIG_TEXT void *mig_alloc(size_t size)
{
    return rt_alloc_typed(RT_TYPE_INTERNAL, size ? size : 1, 1);
}

static MIG_TEXT void mig_free(void *p)
{
    mig_internal = 1;
    rt_free_typed(p);
    mig_internal = 0;
}

static MIG_TEXT void *mig_grow(void *old, size_t old_size, size_t new_size)
{
    void *p = mig_alloc(new_size);
    if (old) {
        memcpy(p, old, old_size);
        mig_free(old);
    }
    return p;
}

/* Make room for `need` elements of `size` bytes in the array *array of capacity *cap,
 * keeping its contents: the capacity at least doubles, starting at `first`. */
static MIG_TEXT void reserve(void *array, uint32_t *cap, uint32_t need, uint32_t size, uint32_t first)
{
    void **a = (void **)array;
    uint32_t c;
    if (need <= *cap)
        return;
    c = *cap ? *cap * 2 : first;
    if (c < need)
        c = need;
    *a = mig_grow(*a, (size_t)*cap * size, (size_t)c * size);
    *cap = c;
}

static MIG_TEXT void mig_fail(int code, const char *message)
{
    rt_flush();
    rt_hypercall(HC_MIG_ERROR, (long)message, (long)strlen(message), code);
    rt_panic(message); /* not reached: the host stops the guest */
}

/* ------------------------------------------------------------------ MSRLT */

struct block {
    char *addr;        /* start address in the process (the key) */
    char *data;        /* where the contents are now: addr, or a copy / staging area */
    uint32_t size;     /* bytes */
    int32_t type;      /* TI type, -1 for untyped bytes */
    uint32_t count;    /* elements */
    uint32_t seg;      /* SEG_* */
    uint32_t locator;  /* global index, or stack slot (position among live stack blocks) */
    uint32_t epoch;    /* == current epoch once visited in this collection / restore */
    uint32_t id;       /* logical id in this collection / restore */
    uint32_t next;     /* hash chain, or free list; 0 = end (entry 0 is unused) */
    uint32_t live;
};

static struct block *blocks; /* globals and stack blocks; entry 0 unused (0 ends a chain) */
static uint32_t nblocks_cap, nblocks_used, free_list;
static uint32_t *buckets;
static uint32_t nbuckets; /* power of two */
static uint32_t live_blocks;
static uint32_t epoch = 1; /* headers start at epoch 0: no entry yet */

#ifdef MIG_CLASSIC
#define B(i) (&blocks[i])
static uint32_t last_registered; /* the entry of the latest heap allocation */
#else
/* Heap blocks' entries, made on first touch in the current epoch; an index with this bit
 * set names one of them. */
#define HEAP_ENTRY 0x80000000u
static struct block *heap_entries;
static uint32_t nheap, heap_cap;
#define B(i) ((i) & HEAP_ENTRY ? &heap_entries[(i) & ~HEAP_ENTRY] : &blocks[i])
#endif

static int table_dirty; /* classic: blocks were added or removed since the last sort */
static uint32_t *globals; /* entry index of each registered global, in registration order */
static uint32_t nglobals, globals_cap;
static uint32_t *stack_slots; /* entry index of each live stack block, LIFO */
static uint32_t nstack, stack_cap;
static uint32_t unwound_slots; /* stack blocks of frames that returned while unwinding */
static uint32_t *staged;       /* entries of deeper frames' blocks decoded into staging */
static uint32_t nstaged, staged_cap;

static MIG_TEXT uint32_t hash_addr(const void *p)
{
    uint32_t x = (uint32_t)(uintptr_t)p;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    return x & (nbuckets - 1);
}

static MIG_TEXT void rehash(uint32_t new_buckets)
{
    uint32_t i;
    if (buckets)
        mig_free(buckets);
    nbuckets = new_buckets;
    buckets = mig_alloc(nbuckets * sizeof(uint32_t));
    memset(buckets, 0, nbuckets * sizeof(uint32_t));
    for (i = 1; i < nblocks_used; i++) {
        if (B(i)->live) {
            uint32_t h = hash_addr(B(i)->addr);
            B(i)->next = buckets[h];
            buckets[h] = i;
        }
    }
}

static MIG_TEXT uint32_t block_new(void *addr, int32_t type, uint32_t count, uint32_t size, uint32_t seg)
{
    uint32_t i, h;
    if (free_list) {
        i = free_list;
        free_list = B(i)->next;
    } else {
        if (nblocks_used == 0)
            nblocks_used = 1;
        /* start big enough that most programs never copy the table */
        reserve(&blocks, &nblocks_cap, nblocks_used + 1, sizeof(struct block), 4096);
        i = nblocks_used++;
    }
    B(i)->addr = addr;
    B(i)->data = addr;
    B(i)->size = size;
    B(i)->type = type;
    B(i)->count = count;
    B(i)->seg = seg;
    B(i)->locator = 0;
    B(i)->epoch = 0;
    B(i)->id = 0;
    B(i)->live = 1;
    live_blocks++;
#ifdef MIG_CLASSIC
    (void)h;
    table_dirty = 1; /* the sorted table is rebuilt before the next search */
#else
    if (live_blocks > nbuckets)
        rehash(nbuckets ? nbuckets * 2 : 4096); /* also links entry i */
    else {
        h = hash_addr(addr);
        B(i)->next = buckets[h];
        buckets[h] = i;
    }
#endif
    return i;
}

static MIG_TEXT void block_delete(uint32_t i)
{
#ifdef MIG_CLASSIC
    table_dirty = 1;
#else
    uint32_t h = hash_addr(B(i)->addr);
    uint32_t *link = &buckets[h];
    while (*link && *link != i)
        link = &B(*link)->next;
    if (*link)
        *link = B(i)->next;
#endif
    if (B(i)->data != B(i)->addr)
        mig_free(B(i)->data);
    B(i)->live = 0;
    B(i)->next = free_list;
    free_list = i;
    live_blocks--;
}

static MIG_TEXT uint32_t block_search(const char *p);

static MIG_TEXT uint32_t block_at_start(const void *p)
{
    uint32_t i;
#ifdef MIG_CLASSIC
    i = block_search(p);
    return i && B(i)->addr == (const char *)p ? i : 0;
#endif
    if (!nbuckets)
        return 0;
    for (i = buckets[hash_addr(p)]; i; i = B(i)->next)
        if (B(i)->addr == (const char *)p)
            return i;
    return 0;
}

static MIG_TEXT uint32_t type_size(int32_t type)
{
    return type < 0 ? 1 : mig_types[type].size;
}

#ifdef MIG_CLASSIC
/* ---- classic: the allocator reports heap blocks; the table holds them ---- */

static MIG_TEXT void new_epoch(void)
{
    epoch++;
}

MIG_TEXT void rt_on_alloc(void *pointer, int type_id, size_t count, size_t element_size)
{
    if (type_id == RT_TYPE_INTERNAL)
        return;
    if (type_id < 0) { /* untyped: a block of bytes */
        count *= element_size;
        element_size = 1;
    }
    last_registered = block_new(pointer, type_id, (uint32_t)count, (uint32_t)(count * element_size), SEG_HEAP);
}

MIG_TEXT void rt_on_free(void *pointer)
{
    uint32_t i;
    if (mig_internal)
        return;
    if (table_dirty) { /* a linear scan: sorting after every allocation would cost more */
        for (i = 1; i < nblocks_used; i++)
            if (B(i)->live && B(i)->addr == (char *)pointer)
                break;
        if (i == nblocks_used)
            return;
    } else {
        i = block_at_start(pointer);
    }
    if (i)
        block_delete(i);
}

#else
/* ---- heap blocks: their headers are their registration ---- */

static char *heap_first, *heap_end; /* the carved heap at this epoch */
static struct rt_block_header **heap_index; /* program blocks in address order, on demand */
static uint32_t nheap_index, heap_index_cap, heap_index_epoch;

static MIG_TEXT void new_epoch(void)
{
    epoch++;
    nheap = 0; /* every heap entry belonged to the previous epoch */
    rt_heap_bounds(&heap_first, &heap_end);
}

static MIG_TEXT uint32_t heap_entry(struct rt_block_header *h)
{
    struct block *e;
    if (h->epoch == epoch)
        return h->entry;
    reserve(&heap_entries, &heap_cap, nheap + 1, sizeof(struct block), 4096);
    e = &heap_entries[nheap];
    e->addr = e->data = (char *)(h + 1);
    e->type = h->type;
    e->count = h->count;
    e->size = h->count * (h->type < 0 ? 1 : mig_types[h->type].size);
    e->seg = SEG_HEAP;
    e->locator = 0;
    e->epoch = 0; /* not visited yet */
    e->id = 0;
    e->live = 1;
    h->epoch = epoch;
    h->entry = nheap++ | HEAP_ENTRY;
    return h->entry;
}

/* The header of the program heap block starting at p, or NULL. */
static inline MIG_TEXT struct rt_block_header *heap_header_at(const char *p)
{
    struct rt_block_header *h = (struct rt_block_header *)p - 1;
    if (p < heap_first + sizeof *h || p >= heap_end || ((uintptr_t)p & 7))
        return NULL;
    if (h->check != (RT_USED ^ (uint32_t)(uintptr_t)p) || h->type == RT_TYPE_INTERNAL)
        return NULL;
    return h;
}

/* The program heap block containing p (not at its start), by one linear walk of the heap's
 * headers per epoch, then binary search. */
static MIG_TEXT struct rt_block_header *heap_block_containing(const char *p)
{
    uint32_t lo = 0, hi;
    if (heap_index_epoch != epoch) {
        char *at = heap_first;
        nheap_index = 0;
        while (at < heap_end) {
            struct rt_block_header *h = (struct rt_block_header *)at;
            if (h->check == (RT_USED ^ (uint32_t)(uintptr_t)(h + 1)) && h->type != RT_TYPE_INTERNAL) {
                reserve(&heap_index, &heap_index_cap, nheap_index + 1, sizeof *heap_index, 1024);
                heap_index[nheap_index++] = h;
            }
            at += sizeof *h + h->size;
        }
        heap_index_epoch = epoch;
    }
    hi = nheap_index;
    while (lo < hi) { /* last block starting at or before p */
        uint32_t mid = (lo + hi) / 2;
        if ((char *)(heap_index[mid] + 1) <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    {
        struct rt_block_header *h = heap_index[lo - 1];
        uint32_t bytes = h->count * (h->type < 0 ? 1 : mig_types[h->type].size);
        return p <= (char *)(h + 1) + bytes ? h : NULL; /* one past the end is a valid pointer */
    }
}

#endif /* MIG_CLASSIC */

MIG_TEXT void mig_register_global(void *address, int32_t type, uint32_t count)
{
    uint32_t i = block_new(address, type, count, count * type_size(type), SEG_GLOBAL);
    reserve(&globals, &globals_cap, nglobals + 1, sizeof(uint32_t), 32);
    B(i)->locator = nglobals;
    globals[nglobals++] = i;
}

/* ------------------------------------------------------------------ output buffer */

static unsigned char *out;
static uint32_t out_len, out_cap;

static MIG_TEXT __attribute__((noinline)) void out_grow(uint32_t n)
{
    uint32_t cap = out_cap ? out_cap : 4096;
    while (cap < out_len + n)
        cap *= 2;
    out = mig_grow(out, out_len, cap);
    out_cap = cap;
}

/* The check inline, the growth out of line: every encoded item passes here. */
static inline MIG_TEXT void out_reserve(uint32_t n)
{
    if (out_len + n > out_cap)
        out_grow(n);
}

static inline MIG_TEXT void put_byte(uint32_t v)
{
    out_reserve(1);
    out[out_len++] = (unsigned char)v;
}

static inline MIG_TEXT void put_varint(uint32_t v)
{
    out_reserve(5);
    while (v >= 0x80) {
        out[out_len++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[out_len++] = (unsigned char)v;
}

static inline MIG_TEXT void put_be32(uint32_t v)
{
    out_reserve(4);
    out[out_len] = (unsigned char)(v >> 24);
    out[out_len + 1] = (unsigned char)(v >> 16);
    out[out_len + 2] = (unsigned char)(v >> 8);
    out[out_len + 3] = (unsigned char)v;
    out_len += 4;
}

MIG_TEXT void mig_put_i8(int8_t v) { ITEM(); put_byte((uint8_t)v); }
MIG_TEXT void mig_put_u8(uint8_t v) { ITEM(); put_byte(v); }
MIG_TEXT void mig_put_i16(int16_t v) { mig_put_u16((uint16_t)v); }
MIG_TEXT void mig_put_u16(uint16_t v)
{
    ITEM();
    out_reserve(2);
    out[out_len] = (unsigned char)(v >> 8);
    out[out_len + 1] = (unsigned char)v;
    out_len += 2;
}
MIG_TEXT void mig_put_i32(int32_t v) { ITEM(); put_be32((uint32_t)v); }
MIG_TEXT void mig_put_u32(uint32_t v) { ITEM(); put_be32(v); }
MIG_TEXT void mig_put_u64(uint64_t v)
{
    ITEM();
    put_be32((uint32_t)(v >> 32));
    put_be32((uint32_t)v);
}
MIG_TEXT void mig_put_i64(int64_t v) { mig_put_u64((uint64_t)v); }
MIG_TEXT void mig_put_f32(float v)
{
    union { float f; uint32_t u; } x;
    ITEM();
    x.f = v;
    put_be32(x.u);
}
MIG_TEXT void mig_put_f64(double v)
{
    union { double d; uint64_t u; } x;
    x.d = v;
    mig_put_u64(x.u);
}

static MIG_TEXT uint32_t prim_size(int prim)
{
    switch (prim) {
    case MIG_I8: case MIG_U8: return 1;
    case MIG_I16: case MIG_U16: return 2;
    case MIG_I32: case MIG_U32: case MIG_F32: return 4;
    default: return 8;
    }
}

static MIG_TEXT int host_is_big_endian(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe == 0;
}

/* Copy `bytes` of primitives of `size` bytes, reversing each primitive's bytes on a
 * little-endian machine: the stream is big-endian. The same in both directions. */
static MIG_TEXT void copy_big_endian(unsigned char *d, const unsigned char *s, uint32_t bytes, uint32_t size)
{
    uint32_t i;
    if (size == 1 || host_is_big_endian()) {
        memcpy(d, s, bytes);
    } else if (size == 4) {
        for (i = 0; i < bytes; i += 4) {
            d[i] = s[i + 3]; d[i + 1] = s[i + 2]; d[i + 2] = s[i + 1]; d[i + 3] = s[i];
        }
    } else if (size == 8) {
        for (i = 0; i < bytes; i += 8) {
            d[i] = s[i + 7]; d[i + 1] = s[i + 6]; d[i + 2] = s[i + 5]; d[i + 3] = s[i + 4];
            d[i + 4] = s[i + 3]; d[i + 5] = s[i + 2]; d[i + 6] = s[i + 1]; d[i + 7] = s[i];
        }
    } else {
        for (i = 0; i < bytes; i += 2) {
            d[i] = s[i + 1]; d[i + 1] = s[i];
        }
    }
}

MIG_TEXT void mig_put_array(const void *p, int prim, uint32_t n)
{
    uint32_t size = prim_size(prim), bytes = n * size;
    ITEM();
    out_reserve(bytes);
    copy_big_endian(out + out_len, p, bytes, size);
    out_len += bytes;
}

/* ------------------------------------------------------------------ input buffer */

static const unsigned char *in;
static uint32_t in_pos, in_end;

static MIG_TEXT __attribute__((noinline)) void truncated(void)
{
    mig_fail(ERR_TRUNCATED, "stream refused: it ends in the middle of an item (truncated)");
}

static inline MIG_TEXT void need(uint32_t n)
{
    if (in_end - in_pos < n)
        truncated();
}

static inline MIG_TEXT uint32_t get_byte(void)
{
    need(1);
    return in[in_pos++];
}

static MIG_TEXT __attribute__((noinline)) uint32_t get_long_varint(void);

static inline MIG_TEXT uint32_t get_varint(void)
{
    if (in_pos < in_end && in[in_pos] < 0x80) /* most ids, counts and ordinals: one byte */
        return in[in_pos++];
    return get_long_varint();
}

static MIG_TEXT __attribute__((noinline)) uint32_t get_long_varint(void)
{
    uint32_t v = 0, shift = 0, b;
    do {
        b = get_byte();
        if (shift == 28 && b > 0x0f)
            mig_fail(ERR_FORMAT, "stream refused: a variable-length number overflows 32 bits");
        v |= (b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

/* The big-endian word at p (header fields and the trailer). */
static inline MIG_TEXT uint32_t load_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline MIG_TEXT uint32_t get_be32(void)
{
    uint32_t v;
    need(4);
    v = ((uint32_t)in[in_pos] << 24) | ((uint32_t)in[in_pos + 1] << 16) | ((uint32_t)in[in_pos + 2] << 8) | in[in_pos + 3];
    in_pos += 4;
    return v;
}

MIG_TEXT int8_t mig_get_i8(void) { return (int8_t)get_byte(); }
MIG_TEXT uint8_t mig_get_u8(void) { return (uint8_t)get_byte(); }
MIG_TEXT uint16_t mig_get_u16(void)
{
    uint16_t v;
    need(2);
    v = (uint16_t)((in[in_pos] << 8) | in[in_pos + 1]);
    in_pos += 2;
    return v;
}
MIG_TEXT int16_t mig_get_i16(void) { return (int16_t)mig_get_u16(); }
MIG_TEXT int32_t mig_get_i32(void) { return (int32_t)get_be32(); }
MIG_TEXT uint32_t mig_get_u32(void) { return get_be32(); }
MIG_TEXT uint64_t mig_get_u64(void)
{
    uint64_t hi = get_be32();
    return (hi << 32) | get_be32();
}
MIG_TEXT int64_t mig_get_i64(void) { return (int64_t)mig_get_u64(); }
MIG_TEXT float mig_get_f32(void)
{
    union { float f; uint32_t u; } x;
    x.u = get_be32();
    return x.f;
}
MIG_TEXT double mig_get_f64(void)
{
    union { double d; uint64_t u; } x;
    x.u = mig_get_u64();
    return x.d;
}

MIG_TEXT void mig_get_array(void *p, int prim, uint32_t n)
{
    uint32_t size = prim_size(prim), bytes = n * size;
    need(bytes);
    copy_big_endian(p, in + in_pos, bytes, size);
    in_pos += bytes;
}

/* ------------------------------------------------------------------ leaf ordinals */

static MIG_TEXT uint32_t type_leaves(int32_t type)
{
    return type < 0 ? 1 : mig_types[type].leaves;
}

/* Leaf ordinal of byte offset `rem` inside one object of `type`; -1 if it is not the start
 * of a leaf (a pointer into the middle of a primitive cannot be made portable). */
static MIG_TEXT int32_t leaf_within(int32_t type, uint32_t rem)
{
    const struct mig_type *t;
    while (rem) {
        if (type < 0)
            return (int32_t)rem;
        t = &mig_types[type];
        if (t->kind == MIG_KIND_ARRAY) {
            uint32_t es = mig_types[t->target].size;
            uint32_t i = rem / es;
            return (int32_t)(i * mig_types[t->target].leaves) + leaf_within(t->target, rem - i * es);
        }
        if (t->kind == MIG_KIND_STRUCT) {
            uint32_t f = t->nfields;
            int32_t inner;
            while (f > 0 && t->fields[f - 1].offset > rem)
                f--;
            if (f == 0)
                return -1;
            inner = leaf_within(t->fields[f - 1].type, rem - t->fields[f - 1].offset);
            return inner < 0 ? -1 : (int32_t)t->fields[f - 1].leaf_start + inner;
        }
        return -1;
    }
    return 0;
}

/* Byte offset of leaf `leaf` inside one object of `type` (inverse of leaf_within). */
static MIG_TEXT uint32_t offset_of_leaf(int32_t type, uint32_t leaf)
{
    uint32_t offset = 0;
    while (leaf) {
        const struct mig_type *t;
        if (type < 0)
            return offset + leaf;
        t = &mig_types[type];
        if (t->kind == MIG_KIND_ARRAY) {
            uint32_t el = mig_types[t->target].leaves, i = leaf / el;
            offset += i * mig_types[t->target].size;
            leaf -= i * el;
            type = t->target;
        } else if (t->kind == MIG_KIND_STRUCT) {
            uint32_t f = t->nfields;
            while (f > 1 && t->fields[f - 1].leaf_start > leaf)
                f--;
            offset += t->fields[f - 1].offset;
            leaf -= t->fields[f - 1].leaf_start;
            type = t->fields[f - 1].type;
        } else {
            break;
        }
    }
    return offset;
}

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

/* ------------------------------------------------------------------ interior lookup */

static uint32_t *sorted;  /* live entry indices by address, built on demand */
static uint32_t nsorted;
static uint32_t sorted_epoch;

static MIG_TEXT void sort_blocks(void)
{
    uint32_t i, n = 0, width;
    uint32_t *tmp;
    if (sorted)
        mig_free(sorted);
    sorted = mig_alloc((live_blocks + 1) * sizeof(uint32_t));
    tmp = mig_alloc((live_blocks + 1) * sizeof(uint32_t));
    for (i = 1; i < nblocks_used; i++)
        if (B(i)->live)
            sorted[n++] = i;
    /* bottom-up merge sort: O(n log n), no recursion */
    for (width = 1; width < n; width *= 2) {
        uint32_t lo;
        for (lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = B(sorted[a])->addr <= B(sorted[b])->addr ? sorted[a++] : sorted[b++];
            while (a < mid)
                tmp[k++] = sorted[a++];
            while (b < hi)
                tmp[k++] = sorted[b++];
        }
        memcpy(sorted, tmp, n * sizeof(uint32_t));
    }
    mig_free(tmp);
    nsorted = n;
    sorted_epoch = epoch;
}

#ifndef MIG_CLASSIC
static uint32_t last_interior; /* interior pointers tend to come in runs into one array */
#endif

/* Classic: the last block starting at or before p, by binary search over the table kept
 * sorted by address (re-sorted only after blocks came or went). */
static MIG_TEXT uint32_t block_search(const char *p)
{
    uint32_t lo = 0, hi;
    if (!sorted || table_dirty) {
        sort_blocks();
        table_dirty = 0;
    }
    hi = nsorted;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (B(sorted[mid])->addr <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? sorted[lo - 1] : 0;
}

static MIG_TEXT uint32_t block_containing(const char *p)
{
    uint32_t lo = 0, hi, i;
#ifdef MIG_CLASSIC
    (void)lo, (void)hi;
    i = block_search(p);
    return i && p <= B(i)->addr + B(i)->size ? i : 0; /* one past the end included */
#else
    struct rt_block_header *h;
    if (p >= heap_first && p < heap_end) {
        h = heap_header_at(p);
        if (!h)
            h = heap_block_containing(p);
        return h ? heap_entry(h) : 0;
    }
    i = block_at_start(p);
    if (i)
        return i;
    i = last_interior;
    if (i && !(i & HEAP_ENTRY) && B(i)->live && p > B(i)->addr && p < B(i)->addr + B(i)->size)
        return i;
    if (!sorted || sorted_epoch != epoch)
        sort_blocks();
    hi = nsorted;
    while (lo < hi) { /* last block starting at or before p */
        uint32_t mid = (lo + hi) / 2;
        if (B(sorted[mid])->addr <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    i = sorted[lo - 1];
    if (p >= B(i)->addr + B(i)->size)
        return 0;
    last_interior = i;
    return i;
#endif
}

/* ------------------------------------------------------------------ collection */

static uint32_t next_id;

static MIG_TEXT void save_contents(uint32_t b)
{
    if (B(b)->type < 0)
        mig_put_array(B(b)->data, MIG_U8, B(b)->size);
    else
        mig_types[B(b)->type].save(B(b)->data, B(b)->count);
}

MIG_TEXT void mig_save_ptr(const void *p, int32_t type)
{
    uint32_t b, ordinal;
    (void)type;
    ITEM();
    if (p == NULL) {
        put_byte(TAG_NULL);
        return;
    }
    b = block_containing(p);
    if (!b)
        mig_fail(ERR_COLLECT, "collection failed: a live pointer points outside every registered block "
                              "(a string literal, a freed block or unregistered memory)");
    ordinal = block_ordinal(b, p);
    if (B(b)->epoch == epoch) {
        put_byte(TAG_REF);
        put_varint(B(b)->id);
        put_varint(ordinal);
        return;
    }
    B(b)->epoch = epoch;
    B(b)->id = next_id++;
    put_byte(TAG_NEW);
    put_varint(B(b)->seg);
    put_varint((uint32_t)(B(b)->type + 1));
    put_varint(B(b)->count);
    if (B(b)->seg != SEG_HEAP)
        put_varint(B(b)->locator);
    put_varint(ordinal);
    save_contents(b);
}

/* ---- frame records: what unwinding frames leave behind, natively ---- */

struct value {
    uint8_t kind;
    int32_t type;
    uint32_t count;
    union {
        int32_t i32;
        uint32_t u32;
        int64_t i64;
        double f64;
        float f32;
        const void *ptr;
        void *obj; /* a private copy of a struct or array variable */
    } v;
};

struct frame {
    int32_t function, site;
    uint32_t first, n; /* values[first .. first + n) */
};

static struct value *values;
static uint32_t nvalues, values_cap;
static struct frame *frames;
static uint32_t nframes, frames_cap, frame_pos, value_pos;

static MIG_TEXT struct value *value_new(uint8_t kind)
{
    struct value *v;
    reserve(&values, &values_cap, nvalues + 1, sizeof(struct value), 64);
    v = &values[nvalues++];
    v->kind = kind;
    frames[nframes - 1].n++;
    return v;
}

static MIG_TEXT void reset_records(void)
{
    uint32_t i;
    for (i = 0; i < nvalues; i++)
        if (values[i].kind == VAL_OBJ)
            mig_free(values[i].v.obj);
    nvalues = nframes = frame_pos = value_pos = 0;
}

MIG_TEXT void mig_unwind_begin(void)
{
    rt_hypercall(HC_MIG_EVENT, EV_UNWIND_BEGIN, 0, 0);
    reset_records();
    unwound_slots = 0;
    mig_mode = MIG_UNWINDING;
}

MIG_TEXT void mig_frame_push(int32_t function, int32_t site)
{
    reserve(&frames, &frames_cap, nframes + 1, sizeof(struct frame), 16);
    frames[nframes].function = function;
    frames[nframes].site = site;
    frames[nframes].first = nvalues;
    frames[nframes].n = 0;
    nframes++;
}

MIG_TEXT void mig_rec_i32(int32_t v) { value_new(VAL_I32)->v.i32 = v; }
MIG_TEXT void mig_rec_u32(uint32_t v) { value_new(VAL_U32)->v.u32 = v; }
MIG_TEXT void mig_rec_i64(int64_t v) { value_new(VAL_I64)->v.i64 = v; }
MIG_TEXT void mig_rec_f64(double v) { value_new(VAL_F64)->v.f64 = v; }
MIG_TEXT void mig_rec_f32(float v) { value_new(VAL_F32)->v.f32 = v; }

MIG_TEXT void mig_rec_ptr(const void *p, int32_t type)
{
    struct value *v = value_new(VAL_PTR);
    v->v.ptr = p;
    v->type = type;
}

MIG_TEXT void mig_rec_obj(const void *p, int32_t type, uint32_t count)
{
    struct value *v = value_new(VAL_OBJ);
    uint32_t size = count * type_size(type);
    v->type = type;
    v->count = count;
    v->v.obj = mig_alloc(size);
    memcpy(v->v.obj, p, size);
}

MIG_TEXT void mig_register_stack(void *address, int32_t type, uint32_t count);

/* A frame's stack blocks die when it returns: while unwinding, their contents are copied
 * aside (the entry keeps its original address, so pointers into them still resolve). */
MIG_TEXT void mig_release_stack(uint32_t n)
{
    uint32_t i, lo;
    if (n + unwound_slots > nstack)
        rt_panic("mig_release_stack: more stack blocks released than registered");
    lo = nstack - unwound_slots - n; /* below the blocks of frames already unwound */
    for (i = lo; i < lo + n; i++) {
        uint32_t b = stack_slots[i];
        if (mig_mode == MIG_UNWINDING) {
            B(b)->data = mig_alloc(B(b)->size);
            memcpy(B(b)->data, B(b)->addr, B(b)->size);
        } else {
            block_delete(b);
        }
    }
    if (mig_mode == MIG_UNWINDING)
        unwound_slots += n;
    else
        nstack -= n;
}

/* ---- CRC-32 (IEEE 802.3), slicing by four ---- */

static uint32_t crc_table[4][256];

static MIG_TEXT void crc_init(void)
{
    uint32_t i, j, c;
    if (crc_table[0][1])
        return;
    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++) {
        c = crc_table[0][i];
        for (j = 1; j < 4; j++) {
            c = crc_table[0][c & 0xff] ^ (c >> 8);
            crc_table[j][i] = c;
        }
    }
}

static MIG_TEXT uint32_t crc32(const unsigned char *p, uint32_t n)
{
    uint32_t c = 0xffffffffu;
    while (n && ((uintptr_t)p & 3)) {
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        n--;
    }
    while (n >= 4) {
        /* bytes in stream order, independent of the machine's endianness */
        c ^= (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
        c = crc_table[3][c & 0xff] ^ crc_table[2][(c >> 8) & 0xff] ^ crc_table[1][(c >> 16) & 0xff] ^ crc_table[0][c >> 24];
        p += 4;
        n -= 4;
    }
    while (n--)
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static MIG_TEXT uint32_t source_isa(void)
{
#if defined(__mips__)
    return ISA_MIPSEL;
#elif defined(__sparc__)
    return ISA_SPARC;
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
    default: /* VAL_OBJ: the variable's own pointers are followed like a block's */
        put_varint((uint32_t)(v->type + 1));
        put_varint(v->count);
        if (v->type < 0)
            mig_put_array(v->v.obj, MIG_U8, v->count);
        else
            mig_types[v->type].save(v->v.obj, v->count);
    }
}

/* Where collection is, for error reports: the frame's function and site and the index of
 * the value being encoded (the host maps them to file:line and a variable name). */
volatile int32_t mig_err_function = -1, mig_err_site = -1, mig_err_value = -1;

static unsigned char *own_stream; /* the last stream collected, to resume from if asked */
static uint32_t own_len;
static int mig_restore_from(const unsigned char *stream, uint32_t length);

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
        mig_err_function = frames[f].function;
        mig_err_site = frames[f].site;
        for (i = 0; i < frames[f].n; i++) {
            mig_err_value = (int32_t)i;
            put_value(&values[frames[f].first + i]);
        }
    }
    mig_err_function = mig_err_site = mig_err_value = -1;
    for (i = 0; i < nglobals; i++)
        mig_save_ptr(B(globals[i])->addr, B(globals[i])->type);
    put_byte(STREAM_END_MARKER);
    /* header, now that the sizes are known */
    {
        uint32_t payload = out_len - HDR_SIZE, saved = out_len;
        out_len = 0;
        put_be32(STREAM_MAGIC);
        mig_put_u16(STREAM_VERSION);
        mig_put_u16(0);
        put_be32(source_isa());
        put_be32(mig_fingerprint);
        put_be32(payload);
        put_be32(nframes);
        put_be32(next_id);
        put_be32(0);
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
    resume = (uint32_t)rt_hypercall(HC_MIG_STREAM, (long)out, (long)out_len, 0);
    if (!resume)
        return 0;
    /* Resume here (a failed transfer, or a round-trip check) from the stream just made.
     * Every live heap block is in it if reachable and garbage if not: release them all so
     * that decoding re-creates exactly the reachable ones. */
#ifdef MIG_CLASSIC
    /* each entry is known: delete it here rather than through rt_on_free, whose lookup
     * would re-sort the table after every deletion (quadratic) */
    for (i = 1; i < nblocks_used; i++) {
        if (B(i)->live && B(i)->seg == SEG_HEAP) {
            char *addr = B(i)->addr;
            block_delete(i);
            mig_free(addr);
        }
    }
#else
    {
        char *at = heap_first;
        while (at < heap_end) {
            struct rt_block_header *h = (struct rt_block_header *)at;
            at += sizeof *h + h->size;
            if (h->check == (RT_USED ^ (uint32_t)(uintptr_t)(h + 1)) && h->type != RT_TYPE_INTERNAL)
                rt_free_typed(h + 1);
        }
    }
#endif
    if (own_stream)
        mig_free(own_stream);
    own_stream = out;
    own_len = out_len;
    out = NULL;
    out_len = out_cap = 0;
    return mig_restore_from(own_stream, own_len);
}

/* ------------------------------------------------------------------ restoration */

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

/* Restore the pointer stored at `slot` (the generated code passes the field's address). */
MIG_TEXT void mig_restore_ptr_at(void **slot, int32_t type);

MIG_TEXT void *mig_restore_ptr(int32_t type)
{
    uint32_t tag = get_byte(), b, ordinal;
    (void)type;
    if (tag == TAG_NULL)
        return NULL;
    if (tag == TAG_REF) {
        uint32_t id = get_varint();
        b = id_to_block[id]; /* validated before decoding */
        ordinal = get_varint();
        return pointer_into(b, ordinal);
    }
    {
        uint32_t seg = get_varint(), count, locator = 0;
        int32_t btype = (int32_t)get_varint() - 1;
        void *slot = pending_ptr_slot;
        count = get_varint();
        if (seg != SEG_HEAP)
            locator = get_varint();
        ordinal = get_varint();
        if (seg == SEG_HEAP) {
            void *p = btype < 0 ? rt_alloc_typed(-1, count, 1) : rt_alloc_typed(btype, count, type_size(btype));
#ifdef MIG_CLASSIC
            (void)p;
            b = last_registered;
#else
            b = heap_entry((struct rt_block_header *)p - 1);
#endif
        } else if (seg == SEG_GLOBAL) {
            b = globals[locator];
        } else if (locator < nstack) {
            b = stack_slots[locator];
        } else { /* a deeper frame's block: staged until the frame registers it */
            uint32_t size = count * type_size(btype);
            char *staging = mig_alloc(size);
            b = block_new(staging, btype, count, size, SEG_STACK);
            B(b)->locator = locator;
            B(b)->addr = (char *)0 + 1; /* not addressable until registered */
            B(b)->data = staging;
            /* move it out of the address hash: it must not shadow a real block */
            {
                uint32_t h = hash_addr(staging), *link = &buckets[h];
                while (*link && *link != b)
                    link = &B(*link)->next;
                if (*link)
                    *link = B(b)->next;
            }
            reserve(&staged, &staged_cap, nstaged + 1, sizeof(uint32_t), 16);
            staged[nstaged++] = b;
        }
        id_bind(b);
        pending_ptr_slot = NULL; /* pointers inside the block carry their own slots */
        if (btype < 0)
            mig_get_array(B(b)->data, MIG_U8, count);
        else
            mig_types[btype].restore(B(b)->data, count);
        pending_ptr_slot = slot;
        return pointer_into(b, ordinal);
    }
}

MIG_TEXT void mig_restore_ptr_at(void **slot, int32_t type)
{
    pending_ptr_slot = slot;
    *slot = mig_restore_ptr(type);
    pending_ptr_slot = NULL;
}

/* ---- validation: a dry run over the stream that writes nothing ---- */

static uint32_t *flat_bytes; /* encoded bytes per object of a pointer-free type */

static MIG_TEXT uint32_t encoded_flat_size(int32_t type)
{
    const struct mig_type *t = &mig_types[type];
    uint32_t f, n = 0;
    if (t->kind == MIG_KIND_PRIM)
        return prim_size(t->prim);
    if (t->kind == MIG_KIND_ARRAY)
        return t->count * encoded_flat_size(t->target);
    for (f = 0; f < t->nfields; f++)
        n += encoded_flat_size(t->fields[f].type);
    return n;
}

struct vblock {
    int32_t type;
    uint32_t count;
};
static struct vblock *vblocks;
static uint32_t nvblocks, vblocks_cap;

static MIG_TEXT void validate_ptr(int32_t declared);

static MIG_TEXT void validate_object(int32_t type, uint32_t n)
{
    const struct mig_type *t;
    uint32_t i, f;
    if (type < 0) {
        need(n);
        in_pos += n;
        return;
    }
    t = &mig_types[type];
    if (!t->has_pointers) {
        uint32_t bytes = flat_bytes[type];
        if (n && bytes > (in_end - in_pos) / n)
            mig_fail(ERR_TRUNCATED, "stream refused: a block's contents run past the end of the stream (truncated)");
        in_pos += n * bytes;
        return;
    }
    for (i = 0; i < n; i++) {
        if (t->kind == MIG_KIND_PTR) {
            validate_ptr(t->target);
        } else if (t->kind == MIG_KIND_ARRAY) {
            validate_object(t->target, t->count);
        } else {
            for (f = 0; f < t->nfields; f++) {
                const struct mig_type *ft = &mig_types[t->fields[f].type];
                if (!ft->has_pointers) { /* skip flat fields without a call */
                    need(flat_bytes[t->fields[f].type]);
                    in_pos += flat_bytes[t->fields[f].type];
                } else if (ft->kind == MIG_KIND_PTR) {
                    validate_ptr(ft->target);
                } else {
                    validate_object(t->fields[f].type, 1);
                }
            }
        }
    }
}

static MIG_TEXT void check_type(int32_t declared, int32_t actual, uint32_t ordinal)
{
    /* A pointer to the start of an element must have the block's element type, unless it
     * is untyped (void *) or a byte pointer. */
    if (declared < 0 || actual < 0 || ordinal % type_leaves(actual) != 0)
        return;
    if (mig_types[declared].kind == MIG_KIND_PRIM && prim_size(mig_types[declared].prim) == 1)
        return;
    if (declared != actual && !(mig_types[actual].kind == MIG_KIND_ARRAY && mig_types[actual].target == declared))
        mig_fail(ERR_TYPE, "stream refused: a pointer's type does not match the block it points to");
}

static MIG_TEXT void validate_ptr(int32_t declared)
{
    uint32_t tag = get_byte(), ordinal;
    if (tag == TAG_NULL)
        return;
    if (tag == TAG_REF) {
        uint32_t id = get_varint();
        if (id >= nvblocks)
            mig_fail(ERR_BLOCK_ID, "stream refused: a pointer refers to a block id that does not exist");
        ordinal = get_varint();
        if (ordinal > vblocks[id].count * type_leaves(vblocks[id].type))
            mig_fail(ERR_OFFSET, "stream refused: a pointer's element offset lies outside its block");
        check_type(declared, vblocks[id].type, ordinal);
        return;
    }
    if (tag != TAG_NEW)
        mig_fail(ERR_FORMAT, "stream refused: unknown pointer tag");
    {
        uint32_t seg = get_varint(), count, locator = 0, id;
        int32_t type = (int32_t)get_varint() - 1;
        if (seg < SEG_GLOBAL || seg > SEG_HEAP)
            mig_fail(ERR_FORMAT, "stream refused: unknown memory segment");
        if (type < -1 || type >= (int32_t)mig_ntypes)
            mig_fail(ERR_TYPE, "stream refused: a block has a type id this program does not have");
        count = get_varint();
        if (seg != SEG_HEAP)
            locator = get_varint();
        ordinal = get_varint();
        if (count == 0 || count > in_end - in_pos + 1)
            mig_fail(ERR_FORMAT, "stream refused: a block's element count is implausible");
        if (ordinal > count * type_leaves(type))
            mig_fail(ERR_OFFSET, "stream refused: a pointer's element offset lies outside its block");
        if (seg == SEG_GLOBAL) {
            if (locator >= nglobals)
                mig_fail(ERR_BLOCK_ID, "stream refused: a global the program does not have");
            if (B(globals[locator])->type != type || B(globals[locator])->count != count)
                mig_fail(ERR_TYPE, "stream refused: a global's type or size does not match this program");
        }
        if (seg == SEG_STACK && locator < nstack) {
            uint32_t b = stack_slots[locator];
            if (B(b)->type != type || B(b)->count != count)
                mig_fail(ERR_TYPE, "stream refused: a stack block's type or size does not match this program");
        }
        check_type(declared, type, ordinal);
        reserve(&vblocks, &vblocks_cap, nvblocks + 1, sizeof(struct vblock), 1024);
        id = nvblocks++;
        vblocks[id].type = type;
        vblocks[id].count = count;
        validate_object(type, count);
    }
}

static MIG_TEXT void validate_stream(uint32_t length)
{
    uint32_t f, nf, i;
    if (length < HDR_SIZE + 1 + STREAM_TRAILER_SIZE) /* and the end marker */
        mig_fail(ERR_TRUNCATED, "stream refused: shorter than a header and a trailer (truncated)");
    if (get_be32() != STREAM_MAGIC)
        mig_fail(ERR_MAGIC, "stream refused: bad magic number (not a migration stream)");
    if (mig_get_u16() != STREAM_VERSION)
        mig_fail(ERR_VERSION, "stream refused: unsupported stream format version");
    mig_get_u16();
    get_be32(); /* source ISA: informational */
    if (get_be32() != mig_fingerprint)
        mig_fail(ERR_FINGERPRINT, "stream refused: it comes from a different program or build (TI fingerprint mismatch)");
    if (get_be32() != length - HDR_SIZE - STREAM_TRAILER_SIZE)
        mig_fail(ERR_TRUNCATED, "stream refused: its length does not match its header (truncated or padded)");
    nf = get_be32();
    get_be32();
    get_be32();
    /* the trailer indexed from `length` (not through load_be32): the instructions the
     * classic runtime's transcripts pin */
    if (crc32(in, length - STREAM_TRAILER_SIZE) != ((uint32_t)in[length - STREAM_TRAILER_SIZE] << 24 | (uint32_t)in[length - STREAM_TRAILER_SIZE + 1] << 16 |
                                                    (uint32_t)in[length - STREAM_TRAILER_SIZE + 2] << 8 | in[length - STREAM_TRAILER_SIZE + 3]))
        mig_fail(ERR_CRC, "stream refused: CRC-32 mismatch (the stream was damaged)");
    if (!flat_bytes) {
        flat_bytes = mig_alloc(mig_ntypes * sizeof(uint32_t) + 4);
        for (i = 0; i < mig_ntypes; i++)
            flat_bytes[i] = mig_types[i].has_pointers ? 0 : encoded_flat_size((int32_t)i);
    }
    in_end = length - STREAM_TRAILER_SIZE;
    nvblocks = 0;
    {
        uint32_t declared = load_be32(in + HDR_BLOCKS_OFFSET);
        if (declared > length) /* every block takes at least one byte */
            mig_fail(ERR_FORMAT, "stream refused: its header declares more blocks than it can hold");
        if (declared > vblocks_cap) {
            vblocks = mig_grow(vblocks, 0, declared * sizeof(struct vblock));
            vblocks_cap = declared;
        }
    }
    for (f = 0; f < nf; f++) {
        uint32_t n;
        get_varint();
        get_varint();
        n = get_varint();
        for (i = 0; i < n; i++) {
            uint32_t kind = get_byte();
            switch (kind) {
            case VAL_I32: case VAL_U32: case VAL_F32: need(4); in_pos += 4; break;
            case VAL_I64: case VAL_F64: need(8); in_pos += 8; break;
            case VAL_PTR: validate_ptr(-1); break;
            case VAL_OBJ: {
                int32_t type = (int32_t)get_varint() - 1;
                uint32_t count = get_varint();
                if (type < -1 || type >= (int32_t)mig_ntypes)
                    mig_fail(ERR_TYPE, "stream refused: a variable has a type id this program does not have");
                validate_object(type, count);
                break;
            }
            default:
                mig_fail(ERR_FORMAT, "stream refused: unknown value kind in a frame record");
            }
        }
    }
    for (i = 0; i < nglobals; i++)
        validate_ptr(-1);
    if (get_byte() != STREAM_END_MARKER || in_pos != in_end)
        mig_fail(ERR_FORMAT, "stream refused: no end marker where the stream should end");
    if (nvblocks != load_be32(in + HDR_BLOCKS_OFFSET))
        mig_fail(ERR_FORMAT, "stream refused: its header's block count does not match its blocks");
}

/* ---- decoding ---- */

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
#ifdef MIG_CLASSIC
        /* rebuilding is O(n): make room for every block the header announces at once */
        if (nblocks_used + nb + 1 > nblocks_cap) {
            uint32_t cap = nblocks_used + nb + 1;
            blocks = mig_grow(blocks, nblocks_cap * sizeof(struct block), cap * sizeof(struct block));
            nblocks_cap = cap;
        }
#else
        if (nb > heap_cap) { /* one entry per block at most, made as blocks arrive */
            heap_entries = mig_grow(heap_entries, 0, nb * sizeof(struct block));
            heap_cap = nb;
        }
#endif
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
    saved_countdown = mig_countdown;
    saved_flag = mig_flag;
    mig_flag = 1;
    mig_countdown = 1;
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

MIG_TEXT int32_t mig_frame_pop(int32_t function)
{
    struct frame *f;
    if (frame_pos >= nframes)
        mig_fail(ERR_FORMAT, "restore failed: more frames re-entered than the stream holds");
    /* frames were decoded outermost first */
    f = &frames[frame_pos++];
    if (f->function != function)
        mig_fail(ERR_FORMAT, "restore failed: the stream's call chain does not match this program");
    value_pos = f->first;
    return f->site;
}

static MIG_TEXT struct value *next_value(uint8_t kind)
{
    struct value *v = &values[value_pos++];
    if (v->kind != kind)
        mig_fail(ERR_FORMAT, "restore failed: a frame's variables do not match this program");
    return v;
}

MIG_TEXT int32_t mig_ld_i32(void) { return next_value(VAL_I32)->v.i32; }
MIG_TEXT uint32_t mig_ld_u32(void) { return next_value(VAL_U32)->v.u32; }
MIG_TEXT int64_t mig_ld_i64(void) { return next_value(VAL_I64)->v.i64; }
MIG_TEXT double mig_ld_f64(void) { return next_value(VAL_F64)->v.f64; }
MIG_TEXT float mig_ld_f32(void) { return next_value(VAL_F32)->v.f32; }
MIG_TEXT void *mig_ld_ptr(void) { return (void *)next_value(VAL_PTR)->v.ptr; }

MIG_TEXT void mig_ld_obj(void *p, int32_t type, uint32_t count)
{
    struct value *v = next_value(VAL_OBJ);
    if (v->type != type || v->count != count)
        mig_fail(ERR_TYPE, "restore failed: a variable's type does not match this program");
    memcpy(p, v->v.obj, count * type_size(type));
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
        B(b)->addr = address;
        B(b)->data = address;
        {
            uint32_t h = hash_addr(address);
            B(b)->next = buckets[h];
            buckets[h] = b;
        }
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

MIG_TEXT void mig_rewind_done(void)
{
    mig_mode = MIG_NORMAL;
    mig_countdown = saved_countdown;
    mig_flag = saved_flag;
    reset_records();
    rt_hypercall(HC_MIG_EVENT, EV_RESTORE_END, 0, 0);
}
