/* The modern MSR lookup table (msr.h). Heap blocks carry their type and count in the
 * allocator's header (rt.h), with a check word keyed by their address, so a pointer to a
 * heap block's start is recognised in O(1) and registering a block at allocation costs a
 * few stores; their entries are made lazily, when a collection or restore first touches
 * them. Globals and stack blocks are few and sit in a hash table keyed by start address.
 * A pointer into the middle of a block is found by binary search: for the heap in an index
 * built by one walk over the heap's headers (linear, in address order), for the rest in
 * the sorted view of the table (msr.c). Part of mig.c's translation unit.
 */
#include "msr.h"

/* Heap blocks' entries, made on first touch in the current epoch; an index with this bit
 * set names one of them. */
#define HEAP_ENTRY 0x80000000u
static struct block *heap_entries;
static uint32_t nheap, heap_cap;
#define B(i) ((i) & HEAP_ENTRY ? &heap_entries[(i) & ~HEAP_ENTRY] : &blocks[i])

static uint32_t *buckets;
static uint32_t nbuckets; /* power of two */

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
    uint32_t i = entry_new(addr, type, count, size, seg), h;
    if (live_blocks > nbuckets)
        rehash(nbuckets ? nbuckets * 2 : 4096); /* also links entry i */
    else {
        h = hash_addr(addr);
        B(i)->next = buckets[h];
        buckets[h] = i;
    }
    return i;
}

/* Out of the address hash (it stays in the table). */
static MIG_TEXT void hash_unlink(uint32_t i)
{
    uint32_t h = hash_addr(B(i)->addr);
    uint32_t *link = &buckets[h];
    while (*link && *link != i)
        link = &B(*link)->next;
    if (*link)
        *link = B(i)->next;
}

static MIG_TEXT void block_delete(uint32_t i)
{
    hash_unlink(i);
    entry_release(i);
}

static MIG_TEXT uint32_t block_at_start(const void *p)
{
    uint32_t i;
    if (!nbuckets)
        return 0;
    for (i = buckets[hash_addr(p)]; i; i = B(i)->next)
        if (B(i)->addr == (const char *)p)
            return i;
    return 0;
}

static char *heap_first, *heap_end; /* the carved heap at this epoch */
static struct rt_block_header **heap_index; /* program blocks in address order, on demand */
static uint32_t nheap_index, heap_index_cap, heap_index_epoch;

static MIG_TEXT void new_epoch(void)
{
    epoch++;
    nheap = 0; /* every heap entry belonged to the previous epoch */
    rt_heap_bounds(&heap_first, &heap_end);
}

static inline MIG_TEXT uint32_t heap_entry(struct rt_block_header *h)
{
    struct block *e;
    if (h->epoch == epoch)
        return h->entry;
    if (nheap == heap_cap) /* the call only to grow: every block reached comes here */
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


static uint32_t last_interior; /* interior pointers tend to come in runs into one array */

static MIG_TEXT uint32_t block_containing(const char *p)
{
    uint32_t lo = 0, hi, i;
    struct rt_block_header *h;
    if (p >= heap_first && p <= heap_end) { /* one past the last block is its pointer */
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
    /* one past the end is a valid pointer of its block: the precompiler keeps another
     * stack block from starting there (testbed/mcl/separate.py); a block that does start
     * there was found above, as block_at_start */
    if (p > B(i)->addr + B(i)->size)
        return 0;
    last_interior = i;
    return i;
}

MSR_HOOK MIG_TEXT uint32_t heap_block_entry(void *p)
{
    return heap_entry((struct rt_block_header *)p - 1);
}

/* One entry per block at most, made as blocks arrive. */
MSR_HOOK MIG_TEXT void reserve_entries(uint32_t nb)
{
    if (nb > heap_cap) {
        heap_entries = mig_grow(heap_entries, 0, nb * sizeof(struct block));
        heap_cap = nb;
    }
}

/* The headers say which blocks are the program's: walk them all. */
MSR_HOOK MIG_TEXT void release_heap_blocks(void)
{
    char *at = heap_first;
    while (at < heap_end) {
        struct rt_block_header *h = (struct rt_block_header *)at;
        at += sizeof *h + h->size;
        if (h->check == (RT_USED ^ (uint32_t)(uintptr_t)(h + 1)) && h->type != RT_TYPE_INTERNAL)
            rt_free_typed(h + 1);
    }
}

/* Out of the hash: a staging copy must not shadow a real block. */
MSR_HOOK MIG_TEXT void block_hide(uint32_t i)
{
    hash_unlink(i);
    B(i)->addr = (char *)0 + 1; /* not addressable until block_move */
}

MSR_HOOK MIG_TEXT void block_move(uint32_t i, char *address)
{
    uint32_t h = hash_addr(address);
    B(i)->addr = address;
    B(i)->data = address;
    B(i)->next = buckets[h];
    buckets[h] = i;
}
